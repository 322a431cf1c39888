// Sessions end when their user says so: at once on the instance told, on the others as the news reaches
// them; signing in is limited per account.
import { randomInt } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { graphql } from './gql/index.ts';
import { PASSWORD, RegisterDocument, registerUser, type TestUser, uniqueEmail } from './support/fixtures.ts';
import {
  ANNOUNCED,
  type Auth,
  errorCode,
  execute,
  run,
  startServer,
  type TestServer,
} from './support/server.ts';
import { connectSocket, subscribe } from './support/ws.ts';

const LoginDocument = graphql(`
  mutation SessionLogin($input: LoginInput!) {
    login(input: $input) {
      token
    }
  }
`);

const MeDocument = graphql(`
  query SessionMe {
    me {
      id
    }
  }
`);

const LogoutDocument = graphql(`
  mutation Logout {
    logout
  }
`);

const LogoutEverywhereDocument = graphql(`
  mutation LogoutEverywhere {
    logoutEverywhere
  }
`);

const ChangePasswordDocument = graphql(`
  mutation ChangePassword($input: ChangePasswordInput!) {
    changePassword(input: $input) {
      token
      user {
        id
      }
    }
  }
`);

const SessionKeyDocument = graphql(`
  mutation SessionKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      secret
    }
  }
`);

const ModelWatchDocument = graphql(`
  subscription ModelWatch {
    modelUpdated {
      id
    }
  }
`);

const bearer = (token: string): Auth => ({ token });

// Two instances behind one load balancer, as users run them.
let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  [a, b] = await Promise.all([startServer(), startServer()]);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

async function signIn(server: TestServer, user: TestUser, password = PASSWORD): Promise<string> {
  return (await run(server, LoginDocument, { input: { email: user.email, password } })).login.token;
}

/** What `me` answers with the token on the instance: the user's id, or the error code. */
async function meWith(server: TestServer, token: string): Promise<string | undefined> {
  const result = await execute(server, MeDocument, {}, bearer(token));
  return result.data?.me.id ?? errorCode(result);
}

/** A live socket signed in with the token on the instance, subscribed and running. */
async function openSocket(server: TestServer, token: string) {
  const socket = connectSocket(server, { authorization: `Bearer ${token}` });
  await subscribe(socket, ModelWatchDocument, {}).ready;
  return socket;
}

describe('logout', () => {
  it('ends this token on every instance, closes its sockets, and leaves other sessions alone', async () => {
    const user = await registerUser(a, 'logout');
    const laptop = await signIn(a, user);
    const phone = await signIn(a, user);
    const laptopSocket = await openSocket(b, laptop);
    const phoneSocket = await openSocket(b, phone);
    // Both instances have seen (and cached) the laptop's session before it ends.
    expect([await meWith(a, laptop), await meWith(b, laptop)]).toEqual([user.id, user.id]);

    expect((await run(a, LogoutDocument, {}, bearer(laptop))).logout).toBe(true);

    expect(await meWith(a, laptop)).toBe('UNAUTHENTICATED');
    await expect.poll(() => meWith(b, laptop), ANNOUNCED).toBe('UNAUTHENTICATED');
    const ended = await execute(b, MeDocument, {}, bearer(laptop));
    expect(ended.errors![0]!.message).toMatch(/session has ended/);
    expect(await laptopSocket.closed).toEqual({ code: 4403, reason: 'Session ended' });

    expect([await meWith(a, phone), await meWith(b, phone)]).toEqual([user.id, user.id]);
    const stillOpen = await Promise.race([
      phoneSocket.closed,
      new Promise((resolve) => setTimeout(() => resolve('open'), 300)),
    ]);
    expect(stillOpen).toBe('open');
    phoneSocket.client.dispose();
  });

  it('is for sessions only: an API key is revoked, not logged out', async () => {
    const user = await registerUser(a, 'logout-key');
    const { createApiKey } = await run(a, SessionKeyDocument, { input: { name: 'ci' } }, user.auth);
    const refused = await execute(a, LogoutDocument, {}, { headers: { 'x-api-key': createApiKey.secret } });
    expect(errorCode(refused)).toBe('FORBIDDEN');
    expect(await meWith(a, user.token)).toBe(user.id);
  });
});

describe('logoutEverywhere', () => {
  it("ends every one of the user's sessions on every instance, sockets included, and nobody else's", async () => {
    const user = await registerUser(a, 'everywhere');
    const other = await registerUser(a, 'bystander');
    const second = await signIn(b, user);
    const socketOnB = await openSocket(b, second);
    const socketOnA = await openSocket(a, user.token);
    expect(await meWith(b, second)).toBe(user.id);

    expect((await run(a, LogoutEverywhereDocument, {}, user.auth)).logoutEverywhere).toBe(true);

    expect(await meWith(a, user.token)).toBe('UNAUTHENTICATED');
    await expect.poll(() => meWith(b, user.token), ANNOUNCED).toBe('UNAUTHENTICATED');
    for (const server of [a, b]) {
      expect(await meWith(server, second)).toBe('UNAUTHENTICATED');
      expect(await meWith(server, other.token)).toBe(other.id);
    }
    expect(await socketOnB.closed).toEqual({ code: 4403, reason: 'Session ended' });
    expect(await socketOnA.closed).toEqual({ code: 4403, reason: 'Session ended' });

    // Signing in again starts afresh, on either instance.
    const fresh = await signIn(b, user);
    expect([await meWith(a, fresh), await meWith(b, fresh)]).toEqual([user.id, user.id]);
  });

  it('holds across a restart: the ended sessions live in PostgreSQL, not in a process', async () => {
    const user = await registerUser(a, 'restart');
    const laptop = await signIn(a, user);
    await run(a, LogoutDocument, {}, bearer(laptop));
    await run(a, LogoutEverywhereDocument, {}, user.auth);
    const restarted = await startServer();
    try {
      expect(await meWith(restarted, laptop)).toBe('UNAUTHENTICATED');
      expect(await meWith(restarted, user.token)).toBe('UNAUTHENTICATED');
    } finally {
      await restarted.stop();
    }
  });
});

describe('changePassword', () => {
  it('needs the current password, then ends every other session and signs in with the new one', async () => {
    const user = await registerUser(a, 'change');
    const elsewhere = await signIn(b, user);
    const socket = await openSocket(b, elsewhere);
    const { createApiKey } = await run(a, SessionKeyDocument, { input: { name: 'script' } }, user.auth);
    const newPassword = 'an entirely new passphrase 7';

    const wrong = await execute(
      a,
      ChangePasswordDocument,
      { input: { currentPassword: 'not the password', newPassword } },
      user.auth,
    );
    expect(errorCode(wrong)).toBe('BAD_USER_INPUT');
    expect(wrong.errors![0]!.extensions!.field).toBe('currentPassword');
    const weak = await execute(
      a,
      ChangePasswordDocument,
      { input: { currentPassword: PASSWORD, newPassword: 'short' } },
      user.auth,
    );
    expect(weak.errors![0]!.extensions!.field).toBe('newPassword');
    expect(await meWith(b, elsewhere)).toBe(user.id);

    const { changePassword } = await run(
      a,
      ChangePasswordDocument,
      { input: { currentPassword: PASSWORD, newPassword } },
      user.auth,
    );
    expect(changePassword.user.id).toBe(user.id);
    expect([await meWith(a, changePassword.token), await meWith(b, changePassword.token)]).toEqual([
      user.id,
      user.id,
    ]);
    expect(await meWith(b, elsewhere)).toBe('UNAUTHENTICATED');
    expect(await meWith(a, user.token)).toBe('UNAUTHENTICATED');
    expect(await socket.closed).toEqual({ code: 4403, reason: 'Session ended' });

    expect(
      errorCode(await execute(a, LoginDocument, { input: { email: user.email, password: PASSWORD } })),
    ).toBe('UNAUTHENTICATED');
    expect(await signIn(b, user, newPassword)).toBeTruthy();
    // API keys are not sessions: scripts keep running until their keys are revoked.
    const viaKey = await execute(a, MeDocument, {}, { headers: { 'x-api-key': createApiKey.secret } });
    expect(viaKey.data?.me.id).toBe(user.id);
  });
});

describe('sign-in limits per account', () => {
  // Three attempts at once from one network (an IPv4 address, an IPv6 /64), six from everywhere together.
  const env = { SIGN_IN_FREE_ATTEMPTS: '3', SIGN_IN_FREE_ATTEMPTS_ACCOUNT: '6', TRUST_PROXY_HOPS: '1' };
  let limited: TestServer;
  let limitedB: TestServer;
  beforeAll(async () => {
    [limited, limitedB] = await Promise.all([startServer(env), startServer(env)]);
  });
  afterAll(async () => {
    await Promise.all([limited?.stop(), limitedB?.stop()]);
  });
  /** An address of the IPv6 network: each request from another of its addresses. */
  const addressIn = (network: string) => ({
    headers: { 'x-forwarded-for': `${network}:${randomInt(1, 0xffff).toString(16)}::1` },
  });
  const newNetwork = () => `2001:db8:${randomInt(0xffff).toString(16)}:${randomInt(0xffff).toString(16)}`;
  /** From a network of its own every time, as a botnet would send them. */
  const fromAnywhere = (): Auth => addressIn(newNetwork());
  const attempt = (server: TestServer, email: string, password: string, from: Auth = fromAnywhere()) =>
    execute(server, LoginDocument, { input: { email, password } }, from);

  it("makes a guessing network wait, on every instance, and not the owner's", async () => {
    const user = await registerUser(limited, 'guessed');
    const guesser = newNetwork();
    for (const server of [limited, limitedB, limited]) {
      expect(errorCode(await attempt(server, user.email, 'a wrong guess 123', addressIn(guesser)))).toBe(
        'UNAUTHENTICATED',
      );
    }
    // The fourth attempt from that network waits, even with the right password, from another of its addresses.
    const response = await fetch(limitedB.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...addressIn(guesser).headers },
      body: JSON.stringify({
        query: 'mutation ($input: LoginInput!) { login(input: $input) { token } }',
        variables: { input: { email: user.email, password: PASSWORD } },
      }),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1');
    const body = (await response.json()) as {
      errors: { extensions: { code: string; retryAfter: number } }[];
    };
    expect(body.errors[0]!.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfter: 1,
      window: 'account',
    });
    // The owner, elsewhere, signs in all the same: a guesser cannot lock them out.
    expect(
      (await attempt(limited, user.email, PASSWORD, addressIn(newNetwork()))).data?.login.token,
    ).toBeTruthy();

    // After the wait, one more guess; the wait after it has doubled.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(errorCode(await attempt(limited, user.email, 'another wrong guess', addressIn(guesser)))).toBe(
      'UNAUTHENTICATED',
    );
    const doubled = await attempt(limitedB, user.email, PASSWORD, addressIn(guesser));
    expect(doubled.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 2 });
  });

  it('makes guessers on many networks wait together, and forgives the account when its owner gets in', async () => {
    const user = await registerUser(limited, 'botnet');
    for (let i = 0; i < 6; i++) {
      const server = i % 2 ? limitedB : limited;
      expect(errorCode(await attempt(server, user.email, 'a wrong guess 123'))).toBe('UNAUTHENTICATED');
    }
    expect(errorCode(await attempt(limitedB, user.email, PASSWORD))).toBe('RATE_LIMITED');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await attempt(limited, user.email, PASSWORD)).data?.login.token).toBeTruthy();
    // Success forgives the account's failures: a typo now is just a typo.
    expect(errorCode(await attempt(limitedB, user.email, 'one typo 12345'))).toBe('UNAUTHENTICATED');
    expect((await attempt(limitedB, user.email, PASSWORD)).data?.login.token).toBeTruthy();
  });

  it('limits an address nobody registered just the same, so the limit tells nothing', async () => {
    const email = uniqueEmail('nobody');
    const network = newNetwork();
    for (let i = 0; i < 3; i++) {
      expect(errorCode(await attempt(limited, email, PASSWORD, addressIn(network)))).toBe('UNAUTHENTICATED');
    }
    expect(errorCode(await attempt(limitedB, email, PASSWORD, addressIn(network)))).toBe('RATE_LIMITED');
  });

  it('counts registering over a taken address and changing the password as attempts too', async () => {
    const user = await registerUser(limited, 'detour');
    const network = newNetwork();
    const register = (password: string) =>
      execute(limited, RegisterDocument, { input: { email: user.email, password } }, addressIn(network));
    expect(errorCode(await register('a wrong guess 123'))).toBe('UNAUTHENTICATED');
    const change = await execute(
      limitedB,
      ChangePasswordDocument,
      { input: { currentPassword: 'a wrong guess 456', newPassword: 'whatever it is 789' } },
      { ...user.auth, ...addressIn(network) },
    );
    expect(errorCode(change)).toBe('BAD_USER_INPUT');
    expect(errorCode(await register('a wrong guess 789'))).toBe('UNAUTHENTICATED');
    expect(errorCode(await register(PASSWORD))).toBe('RATE_LIMITED');
  });
});

describe('password hashes', () => {
  it("are upgraded to the server's cost at the next sign-in, and keep working", async () => {
    const old = await startServer({ PASSWORD_HASH_COST: '12' });
    const current = await startServer({ PASSWORD_HASH_COST: '13' });
    const db = new pg.Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      const user = await registerUser(old, 'upgrade');
      const stored = async () =>
        (await db.query('select password_hash from users where id = $1', [user.id])).rows[0].password_hash;
      expect(await stored()).toMatch(/^scrypt\$4096\$8\$1\$/);
      await signIn(current, user);
      expect(await stored()).toMatch(/^scrypt\$8192\$8\$1\$/);
      // A server with a lower cost reads the stronger hash, and leaves it as it is.
      await signIn(old, user);
      expect(await stored()).toMatch(/^scrypt\$8192\$8\$1\$/);
    } finally {
      await db.end();
      await Promise.all([old.stop(), current.stop()]);
    }
  });
});
