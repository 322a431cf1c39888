import { randomInt } from 'node:crypto';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearModel } from './fixtures/onnx-models.ts';
import { graphql } from './gql/index.ts';
import {
  modelWithVersion,
  PASSWORD,
  PredictDocument,
  registerUser as register,
  type TestUser,
} from './support/fixtures.ts';
import { freePort, PrivateRedis } from './support/redis-server.ts';
import { ANNOUNCED, execute, run, startServer, type TestServer } from './support/server.ts';
import { connectSocket, subscribe } from './support/ws.ts';

const RateLimitDocument = graphql(`
  query RateLimit {
    rateLimit {
      tier
      minute {
        limit
        remaining
        resetAt
      }
      day {
        limit
        remaining
      }
    }
  }
`);

const LoginAttemptDocument = graphql(`
  mutation LoginAttempt($input: LoginInput!) {
    login(input: $input) {
      token
    }
  }
`);

const KeyForLimitsDocument = graphql(`
  mutation KeyForLimits {
    createApiKey(input: { name: "limits" }) {
      secret
    }
  }
`);

const MODEL = linearModel([[1], [1]], [0]);
const REAL_LIMITS = {
  RATE_LIMIT_FREE: '10,1000',
  RATE_LIMIT_AUTH_PER_MINUTE: '10',
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '30',
  // These tests guess at one account from one address; the limits per account are test/sessions.test.ts's.
  SIGN_IN_FREE_ATTEMPTS: '1000',
  // Each test signs in from its own made-up address, sent the way a proxy would.
  TRUST_PROXY_HOPS: '1',
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const randomIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
const fromNewAddress = () => ({ headers: { 'x-forwarded-for': randomIp() } });
/** Registers from an address of its own, so sign-ups do not eat into each other's per-IP budget. */
const registerUser = (server: TestServer) => register(server, 'limits', fromNewAddress());

async function predictRaw(
  server: TestServer,
  user: TestUser,
  modelId: string,
  headers: Record<string, string> = {},
) {
  return fetch(server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}`, ...headers },
    body: JSON.stringify({
      query: print(PredictDocument),
      variables: { input: { modelId, inputs: [[1, 2]] } },
    }),
  });
}

let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  [a, b] = await Promise.all([startServer(REAL_LIMITS), startServer(REAL_LIMITS)]);
});
afterAll(() => Promise.all([a.stop(), b.stop()]));

describe('tier limits on predict', () => {
  it('lets exactly 10 of 50 simultaneous calls of a FREE user through, across two instances', async () => {
    const user = await registerUser(a);
    const { model } = await modelWithVersion(a, user, MODEL);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        execute(
          i % 2 ? a : b,
          PredictDocument,
          { input: { modelId: model.id, inputs: [[1, 2]] } },
          user.auth,
        ),
      ),
    );
    const passed = results.filter((result) => !result.errors);
    expect(passed).toHaveLength(10);
    for (const result of results.filter((r) => r.errors)) {
      expect(result.errors![0]!.extensions).toMatchObject({
        code: 'RATE_LIMITED',
        window: 'minute',
        limit: 10,
      });
      expect(result.errors![0]!.extensions!.retryAfter).toBeGreaterThanOrEqual(1);
      expect(result.errors![0]!.extensions!.retryAfter).toBeLessThanOrEqual(6);
    }
    // Rejected calls were not counted: the status still shows the budget as 10 spent, not 50.
    const { rateLimit } = await run(a, RateLimitDocument, {}, user.auth);
    expect(rateLimit).toMatchObject({
      tier: 'FREE',
      minute: { limit: 10, remaining: 0 },
      day: { limit: 1000, remaining: 990 },
    });
  });

  it('answers 429 with Retry-After when refused, and RateLimit headers when not', async () => {
    const user = await registerUser(a);
    const { model } = await modelWithVersion(a, user, MODEL);
    const first = await predictRaw(a, user, model.id);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"minute";q=10;w=60');
    expect(first.headers.get('ratelimit')).toMatch(/^"minute";r=9;t=\d+$/);
    for (let i = 0; i < 9; i++) expect((await predictRaw(b, user, model.id)).status).toBe(200);

    const refused = await predictRaw(a, user, model.id);
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as { errors: { extensions: { retryAfter: number } }[] };
    expect(refused.headers.get('retry-after')).toBe(String(body.errors[0]!.extensions.retryAfter));
  });

  it('shares one budget between a user’s JWT and keys, and counts operations sent over WebSocket', async () => {
    const user = await registerUser(a);
    const { model } = await modelWithVersion(a, user, MODEL);
    const { createApiKey } = await run(a, KeyForLimitsDocument, {}, user.auth);
    const key = { headers: { 'x-api-key': createApiKey.secret } };
    const input = { input: { modelId: model.id, inputs: [[1, 2]] } };
    for (let i = 0; i < 5; i++) await run(a, PredictDocument, input, user.auth);
    for (let i = 0; i < 4; i++) await run(b, PredictDocument, input, key);

    const socket = connectSocket(a, { 'x-api-key': createApiKey.secret });
    const overSocket = subscribe(socket, PredictDocument, input);
    expect((await overSocket.next()).errors).toBeUndefined();
    const refused = await subscribe(socket, PredictDocument, input).next();
    expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    await socket.client.dispose();

    expect((await execute(b, PredictDocument, input, user.auth)).errors?.[0]?.extensions?.code).toBe(
      'RATE_LIMITED',
    );
  });

  it('reports the status without spending any of it', async () => {
    const user = await registerUser(a);
    const first = await run(a, RateLimitDocument, {}, user.auth);
    const second = await run(b, RateLimitDocument, {}, user.auth);
    expect(first.rateLimit.minute.remaining).toBe(10);
    expect(second.rateLimit.minute.remaining).toBe(10);
  });
});

describe('tiers and windows', () => {
  it('applies a new tier as soon as an admin sets it', async () => {
    const adminEmail = `admin-${randomInt(1e9)}@example.com`;
    const server = await startServer({ ...REAL_LIMITS, ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: PASSWORD });
    try {
      const user = await registerUser(server);
      const admin = await run(
        server,
        LoginAttemptDocument,
        { input: { email: adminEmail, password: PASSWORD } },
        fromNewAddress(),
      );
      const SetTier = graphql(`
        mutation PromoteTier($input: SetUserTierInput!) {
          setUserTier(input: $input) {
            tier
          }
        }
      `);
      const tierOn = async (target: TestServer) =>
        (await run(target, RateLimitDocument, {}, user.auth)).rateLimit.tier;
      // Both instances have read (and cached) the FREE tier.
      expect(await tierOn(server)).toBe('FREE');
      expect((await run(a, RateLimitDocument, {}, user.auth)).rateLimit.minute.limit).toBe(10);
      await run(server, SetTier, { input: { userId: user.id, tier: 'PRO' } }, { token: admin.login.token });
      // The instance that made the change knows before it answers; a hears of it through Redis.
      expect(await tierOn(server)).toBe('PRO');
      await expect.poll(() => tierOn(a), ANNOUNCED).toBe('PRO');
      const { rateLimit } = await run(a, RateLimitDocument, {}, user.auth);
      expect(rateLimit).toMatchObject({ tier: 'PRO', minute: { limit: 100 }, day: { limit: 50000 } });
    } finally {
      await server.stop();
    }
  });

  it('tells exactly when to retry, and enforces the day window too (short windows)', async () => {
    // 4 per 4-second "minute" and 6 per 60-second "day": the same algorithm as 60 s and 86,400 s. Limits
    // refill continuously: the fifth call is refused only within a second of the first (the model's load
    // included), and a seventh that passed the minute is refused by the day only within ten.
    const server = await startServer({
      RATE_LIMIT_FREE: '4,6',
      RATE_LIMIT_MINUTE_MS: '4000',
      RATE_LIMIT_DAY_MS: '60000',
    });
    try {
      const user = await registerUser(server);
      const { model } = await modelWithVersion(server, user, MODEL);
      const input = { input: { modelId: model.id, inputs: [[1, 2]] } };
      for (let i = 0; i < 4; i++) await run(server, PredictDocument, input, user.auth);
      const minute = await execute(server, PredictDocument, input, user.auth);
      expect(minute.errors?.[0]?.extensions).toMatchObject({
        code: 'RATE_LIMITED',
        window: 'minute',
        retryAfter: 1,
      });

      await sleep(1000); // retryAfter seconds later, the call passes
      await run(server, PredictDocument, input, user.auth);
      await sleep(2000); // and the minute has room for two more
      await run(server, PredictDocument, input, user.auth);

      const day = await execute(server, PredictDocument, input, user.auth);
      expect(day.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', window: 'day', limit: 6 });
      expect(day.errors?.[0]?.extensions?.retryAfter).toBeGreaterThan(1);
    } finally {
      await server.stop();
    }
  });
});

describe('sign-in limits per IP', () => {
  it('stops password guessing from one address, and only from that address', async () => {
    const user = await registerUser(a);
    const guesser = fromNewAddress();
    const guess = { input: { email: user.email, password: 'wrong password!' } };
    for (let i = 0; i < 10; i++) {
      expect(
        (await execute(i % 2 ? a : b, LoginAttemptDocument, guess, guesser)).errors?.[0]?.extensions?.code,
      ).toBe('UNAUTHENTICATED');
    }
    const blocked = await execute(
      a,
      LoginAttemptDocument,
      { input: { email: user.email, password: PASSWORD } },
      guesser,
    );
    expect(blocked.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    await run(
      a,
      LoginAttemptDocument,
      { input: { email: user.email, password: PASSWORD } },
      fromNewAddress(),
    );
  });
});

describe('client addresses', () => {
  const hextet = () => randomInt(0x10000).toString(16);

  it('counts an IPv6 client by its /64, so new addresses from the same network do not reset its limit', async () => {
    const user = await registerUser(a);
    const network = `2001:db8:${hextet()}:${hextet()}`;
    const guess = { input: { email: user.email, password: 'wrong password!' } };
    for (let i = 1; i <= 10; i++) {
      const from = { headers: { 'x-forwarded-for': `${network}::${i.toString(16)}` } };
      expect((await execute(a, LoginAttemptDocument, guess, from)).errors?.[0]?.extensions?.code).toBe(
        'UNAUTHENTICATED',
      );
    }
    const sameNetwork = { headers: { 'x-forwarded-for': `${network}:ffff:ffff:ffff:ffff` } };
    const refused = await execute(a, LoginAttemptDocument, guess, sameNetwork);
    expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    const otherNetwork = { headers: { 'x-forwarded-for': `2001:db8:${hextet()}:${hextet()}::1` } };
    expect((await execute(a, LoginAttemptDocument, guess, otherNetwork)).errors?.[0]?.extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    // The proxies are elsewhere: this test's requests come straight from 127.0.0.1. (A minute of a length
    // of its own keeps its counts for 127.0.0.1 apart from every other test's and run's, all from there.)
    const server = await startServer({
      ...REAL_LIMITS,
      RATE_LIMIT_AUTH_PER_MINUTE: '3',
      RATE_LIMIT_MINUTE_MS: String(50_000 + randomInt(10_000)),
      TRUSTED_PROXIES: '10.0.0.0/8',
    });
    try {
      const guess = { input: { email: 'nobody@example.com', password: 'wrong password!' } };
      const codes = [];
      for (let i = 0; i < 4; i++) {
        // A different forged address each time: none of them is believed.
        const answer = await execute(server, LoginAttemptDocument, guess, fromNewAddress());
        codes.push(answer.errors?.[0]?.extensions?.code);
      }
      expect(codes.slice(0, 3)).not.toContain('RATE_LIMITED');
      expect(codes[3]).toBe('RATE_LIMITED');
    } finally {
      await server.stop();
    }
  });
});

describe('failed authentications per IP', () => {
  it('pauses an address that keeps sending invalid credentials, on every instance, and only that address', async () => {
    const user = await registerUser(a);
    const guesser = fromNewAddress().headers;
    const me = async (server: TestServer, headers: Record<string, string>) => {
      const response = await fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: '{ me { id } }' }),
      });
      const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
      return {
        status: response.status,
        code: body.errors?.[0]?.extensions?.code,
        retryAfter: response.headers.get('retry-after'),
      };
    };
    const bogus = { ...guesser, authorization: 'Bearer not-a-token' };
    // 30 failures a minute pass (the default), counted across both instances.
    for (let i = 0; i < 30; i++) expect((await me(i % 2 ? a : b, bogus)).code).toBe('UNAUTHENTICATED');
    // The next failure on each instance tells it the address is over; from then on it checks nothing.
    for (const server of [a, b]) expect((await me(server, bogus)).code).toBe('UNAUTHENTICATED');
    for (const server of [a, b]) {
      const paused = await me(server, { ...guesser, authorization: `Bearer ${user.token}` });
      expect(paused).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
      expect(Number(paused.retryAfter)).toBeGreaterThan(0);
    }
    // Everybody else is unaffected.
    expect(await me(a, { ...fromNewAddress().headers, authorization: `Bearer ${user.token}` })).toMatchObject(
      {
        status: 200,
        code: undefined,
      },
    );
  });
});

describe('when Redis is down', () => {
  it('keeps answering, limits in memory meanwhile, and goes back to Redis when it returns', async () => {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    const server = await startServer({ ...REAL_LIMITS, REDIS_URL: redis.url });
    try {
      const user = await registerUser(server);
      const { model } = await modelWithVersion(server, user, MODEL);
      const input = { input: { modelId: model.id, inputs: [[1, 2]] } };
      for (let i = 0; i < 3; i++) await run(server, PredictDocument, input, user.auth);

      await redis.stop();
      // Fail open, but not unlimited: this process now counts on its own, from a fresh budget.
      const during = [];
      for (let i = 0; i < 12; i++) during.push(await execute(server, PredictDocument, input, user.auth));
      expect(during.filter((result) => !result.errors)).toHaveLength(10);
      expect(during.filter((result) => result.errors?.[0]?.extensions?.code === 'RATE_LIMITED')).toHaveLength(
        2,
      );

      await redis.start();
      // Back on Redis (which lost everything): a fresh budget there.
      let status = await execute(server, RateLimitDocument, {}, user.auth);
      for (let i = 0; i < 100 && status.data?.rateLimit.minute.remaining !== 10; i++) {
        await sleep(50);
        status = await execute(server, RateLimitDocument, {}, user.auth);
      }
      expect(status.data?.rateLimit.minute.remaining).toBe(10);
      await run(server, PredictDocument, input, user.auth);
      expect((await run(server, RateLimitDocument, {}, user.auth)).rateLimit.minute.remaining).toBe(9);
    } finally {
      await server.stop();
      await redis.stop();
    }
  });
});
