// Idempotency keys through two real instances on one PostgreSQL and Redis: a retry gets the first
// response, runs and charges nothing, on whichever instance it lands, even while the first still runs.
import { randomUUID } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loopModel } from './fixtures/hostile-models.ts';
import { irisLikeClassifier, linearModel } from './fixtures/onnx-models.ts';
import { graphql } from './gql/index.ts';
import {
  createModel,
  modelWithVersion,
  PredictDocument,
  registerUser,
  type TestUser,
  UploadModelVersionDocument,
} from './support/fixtures.ts';
import { type GraphQLResponse, run, startServer, type TestServer, uploadFile } from './support/server.ts';

const CreatePredictionDocument = graphql(`
  mutation IdempotentCreatePrediction($input: CreatePredictionInput!) {
    createPrediction(input: $input) {
      id
      status
    }
  }
`);

const CreateApiKeyDocument = graphql(`
  mutation IdempotentCreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      secret
      apiKey {
        id
        name
      }
    }
  }
`);

const HistoryDocument = graphql(`
  query IdempotentHistory($modelId: ID) {
    predictions(modelId: $modelId, first: 100) {
      edges {
        node {
          id
        }
      }
    }
  }
`);

const VersionsDocument = graphql(`
  query IdempotentVersions($id: ID!) {
    model(id: $id) {
      versions {
        version
      }
    }
  }
`);

const MeDocument = graphql(`
  query IdempotentMe {
    me {
      email
    }
  }
`);

type Sent<T> = { status: number; replayed: boolean; body: GraphQLResponse<T> };

/** One request with an Idempotency-Key, as a client sends it. */
async function send<T, V>(
  server: TestServer,
  document: TypedDocumentNode<T, V>,
  variables: V,
  user: TestUser | null,
  key: string,
): Promise<Sent<T>> {
  const response = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': key,
      ...(user ? { authorization: `Bearer ${user.token}` } : {}),
    },
    body: JSON.stringify({ query: print(document), variables }),
  });
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed') === 'true',
    body: (await response.json()) as GraphQLResponse<T>,
  };
}

/** Charges of the rate limits and cost budget so far, across both instances: one per operation charged. */
async function charges(): Promise<number> {
  let total = 0;
  for (const server of [a, b]) {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    for (const line of text.split('\n')) {
      if (line.startsWith('mlp_rate_limit_decisions_total{')) total += Number(line.split(' ').at(-1));
    }
  }
  return total;
}

/** A Loop this long runs for about a second here: a request still running when its retry arrives. */
const SLOW_TRIPS = 1_000_000n;

let a: TestServer;
let b: TestServer;
let db: pg.Client;

/** The key's row, once a request has taken it (polled: the request is still on its way). */
async function heldKey(userId: string, key: string): Promise<{ response: Buffer | null }> {
  for (;;) {
    const { rows } = await db.query<{ response: Buffer | null }>(
      'select "response" from "idempotency_keys" where "user_id" = $1 and "key" = $2',
      [userId, key],
    );
    if (rows[0]) return rows[0];
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A predict that runs for a while (`trips`), sent to `a` with a new key: once it holds the key. */
async function holdingKey(user: TestUser, trips: bigint) {
  const { model } = await modelWithVersion(a, user, loopModel(trips));
  const variables = { input: { modelId: model.id, inputs: [[1]], cache: false } };
  const key = randomUUID();
  const first = send(a, PredictDocument, variables, user, key);
  const held = await heldKey(user.id, key);
  return { modelId: model.id, variables, key, first, held };
}

beforeAll(async () => {
  const env = { QUEUE_PREFIX: `idempotency-${randomUUID().slice(0, 8)}`, INFERENCE_TIMEOUT_MS: '30000' };
  [a, b] = await Promise.all([startServer(env), startServer(env)]);
  db = new pg.Client({ connectionString: inject('databaseUrl') });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await Promise.all([a?.stop(), b?.stop()]);
});

describe('an Idempotency-Key', () => {
  it('sent to two instances at once, makes one prediction and one charge', async () => {
    const user = await registerUser(a);
    const { model } = await modelWithVersion(a, user, irisLikeClassifier());
    const variables = { input: { modelId: model.id, inputs: [[5.1, 3.5, 1.4, 0.2]] } };
    const key = randomUUID();
    const before = await charges();
    const sent = await Promise.all([
      send(a, CreatePredictionDocument, variables, user, key),
      send(b, CreatePredictionDocument, variables, user, key),
    ]);
    for (const { body } of sent) expect(body.errors).toBeUndefined();
    const [first, second] = sent.map(({ body }) => body.data!.createPrediction);
    expect(second!.id).toBe(first!.id);
    // One ran; the other got its response, marked as a replay.
    expect(sent.map(({ replayed }) => replayed).sort()).toEqual([false, true]);
    expect(await charges()).toBe(before + 1);
    const history = await run(b, HistoryDocument, { modelId: model.id }, user.auth);
    expect(history.predictions.edges.map(({ node }) => node.id)).toEqual([first!.id]);

    // Later, the same again: the same response, still nothing run or charged.
    const charged = await charges();
    const again = await send(b, CreatePredictionDocument, variables, user, key);
    expect(again).toMatchObject({ status: 200, replayed: true });
    expect(again.body.data!.createPrediction.id).toBe(first!.id);
    expect(await charges()).toBe(charged);
  });

  it('sent again while the first request still runs, waits for it and gets its response', async () => {
    const user = await registerUser(a);
    const { modelId, variables, key, first, held } = await holdingKey(user, SLOW_TRIPS);
    // Sent once the first holds the key, and before it has a response.
    expect(held.response).toBeNull();
    const retry = await send(b, PredictDocument, variables, user, key);
    const original = await first;
    expect(original.body.errors).toBeUndefined();
    expect(retry).toMatchObject({ status: 200, replayed: true });
    expect(retry.body.data).toEqual(original.body.data);
    const history = await run(a, HistoryDocument, { modelId }, user.auth);
    expect(history.predictions.edges).toHaveLength(1);
  });

  it('sent again while the first request runs past the wait, is told the key is in use', async () => {
    const impatient = await startServer({ IDEMPOTENCY_WAIT_SECONDS: '1', INFERENCE_TIMEOUT_MS: '30000' });
    try {
      const user = await registerUser(a);
      const { variables, key, first } = await holdingKey(user, SLOW_TRIPS * 4n);
      const early = await send(impatient, PredictDocument, variables, user, key);
      expect(early.status).toBe(409);
      expect(early.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_IN_USE');
      // Once the first has answered, the retry gets its response.
      const original = await first;
      const later = await send(impatient, PredictDocument, variables, user, key);
      expect(later).toMatchObject({ replayed: true, body: { data: original.body.data } });
    } finally {
      await impatient.stop();
    }
  });

  it('sent again after the instance running the first died, runs again rather than waiting', async () => {
    const user = await registerUser(a);
    const { variables, key, first } = await holdingKey(user, SLOW_TRIPS * 4n);
    // The retry waits for the first; meanwhile its instance dies, and nobody renews the hold, which runs out.
    const retrying = send(b, PredictDocument, variables, user, key);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await db.query(
      `update "idempotency_keys" set "holder" = gen_random_uuid(), "held_until" = now() - interval '1 second'
        where "user_id" = $1 and "key" = $2`,
      [user.id, key],
    );
    // Without the takeover, the retry would wait for IDEMPOTENCY_WAIT_SECONDS (90 s) and be told "in use".
    const retry = await retrying;
    expect(retry).toMatchObject({ status: 200, replayed: false });
    expect(retry.body.errors).toBeUndefined();
    // What the "dead" instance still answers is its own; the key keeps the retry's.
    await first;
    const again = await send(b, PredictDocument, variables, user, key);
    expect(again).toMatchObject({ replayed: true, body: { data: retry.body.data } });
  });

  it('sent with a different request is refused, and is the sender’s own', async () => {
    const user = await registerUser(a);
    const { model } = await modelWithVersion(a, user, irisLikeClassifier());
    const key = randomUUID();
    const row = [5.1, 3.5, 1.4, 0.2];
    const first = await send(a, PredictDocument, { input: { modelId: model.id, inputs: [row] } }, user, key);
    expect(first.body.errors).toBeUndefined();
    const other = await send(
      b,
      PredictDocument,
      { input: { modelId: model.id, inputs: [[6, 3, 4, 1]] } },
      user,
      key,
    );
    expect(other.status).toBe(422);
    expect(other.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(other.body.data ?? null).toBeNull();
    // Another mutation altogether with the key: refused too.
    const elsewhere = await send(
      b,
      CreatePredictionDocument,
      { input: { modelId: model.id, inputs: [row] } },
      user,
      key,
    );
    expect(elsewhere.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // Keys are per user: another user's request with the same key runs on its own.
    const stranger = await registerUser(b);
    const { model: theirs } = await modelWithVersion(b, stranger, irisLikeClassifier());
    const own = await send(
      b,
      PredictDocument,
      { input: { modelId: theirs.id, inputs: [row] } },
      stranger,
      key,
    );
    expect(own).toMatchObject({ status: 200, replayed: false });
    expect(own.body.data!.predict.id).not.toBe(first.body.data!.predict.id);
  });

  it('makes one version of an upload sent twice, and refuses it with other bytes', async () => {
    const user = await registerUser(a);
    const model = await createModel(a, user);
    const key = randomUUID();
    const upload = (server: TestServer, bytes: Uint8Array) =>
      uploadFile(
        server,
        UploadModelVersionDocument,
        { input: { modelId: model.id, file: null as unknown as File } },
        { bytes, name: 'model.onnx' },
        { ...user.auth, headers: { 'idempotency-key': key } },
      );
    const bytes = linearModel([[1], [2]], [0]);
    const [first, second] = await Promise.all([upload(a, bytes), upload(b, bytes)]);
    expect(first.errors).toBeUndefined();
    expect(second.data).toEqual(first.data);
    const { model: stored } = await run(a, VersionsDocument, { id: model.id }, user.auth);
    expect(stored!.versions.map(({ version }) => version)).toEqual([1]);
    const changed = await upload(b, linearModel([[3], [4]], [0]));
    expect(changed.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('replays a new API key, which is stored sealed', async () => {
    const user = await registerUser(a);
    const key = randomUUID();
    const variables = { input: { name: 'ci', scopes: ['PREDICT' as const] } };
    const first = await send(a, CreateApiKeyDocument, variables, user, key);
    const again = await send(b, CreateApiKeyDocument, variables, user, key);
    expect(first.body.errors).toBeUndefined();
    expect(again).toMatchObject({ replayed: true, body: { data: first.body.data } });
    const secret = first.body.data!.createApiKey.secret;
    const me = await run(a, MeDocument, {}, { headers: { 'x-api-key': secret } });
    expect(me.me!.email).toBe(user.email);
    // The same request with the same key from that API key is not a replay: a replay checks no scope,
    // so it is the sender's own, and creating keys takes a session.
    const fromKey = await fetch(a.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key, 'x-api-key': secret },
      body: JSON.stringify({ query: print(CreateApiKeyDocument), variables }),
    });
    const refused = (await fromKey.json()) as GraphQLResponse<unknown>;
    expect(fromKey.headers.get('idempotent-replayed')).toBeNull();
    expect(refused.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(JSON.stringify(refused)).not.toContain(secret);
    // The row holds the response sealed: neither the key nor its id can be read from it.
    const { rows } = await db.query<{ response: Buffer }>(
      'select "response" from "idempotency_keys" where "user_id" = $1 and "key" = $2',
      [user.id, key],
    );
    const stored = rows[0]!.response.toString('latin1');
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(first.body.data!.createApiKey.apiKey.id);
  });

  it('is let go when the request was refused before it ran, so a retry runs it', async () => {
    // Twenty predicts a minute: one more every three seconds once the first twenty are spent.
    const limited = await startServer({ RATE_LIMIT_FREE: '20,100000' });
    try {
      const user = await registerUser(limited);
      const { model } = await modelWithVersion(limited, user, irisLikeClassifier());
      const variables = { input: { modelId: model.id, inputs: [[5.1, 3.5, 1.4, 0.2]] } };
      const spend = () => send(limited, PredictDocument, variables, user, randomUUID());
      // Spent until the next call is over a second away (retryAfter 2 or 3), so the keyed one is refused.
      for (let i = 0; i < 60; i++) {
        const { status, body } = await spend();
        if (status === 429 && Number(body.errors![0]!.extensions!.retryAfter) >= 2) break;
      }
      const key = randomUUID();
      const refused = await send(limited, PredictDocument, variables, user, key);
      expect(refused.status).toBe(429);
      const retryAfter = Number(refused.body.errors![0]!.extensions!.retryAfter);
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 100));
      const retried = await send(limited, PredictDocument, variables, user, key);
      expect(retried).toMatchObject({ status: 200, replayed: false });
      expect(retried.body.errors).toBeUndefined();
    } finally {
      await limited.stop();
    }
  });

  it('is ignored on queries, and refused when malformed or anonymous', async () => {
    const user = await registerUser(a);
    const key = randomUUID();
    // Sent twice: a key taken on a query would make the second a replay.
    for (let i = 0; i < 2; i++) {
      const query = await send(a, MeDocument, {}, user, key);
      expect(query).toMatchObject({ replayed: false, body: { data: { me: { email: user.email } } } });
    }
    const bad = await send(
      a,
      CreatePredictionDocument,
      { input: { modelId: randomUUID(), inputs: [[1]] } },
      user,
      'no spaces allowed',
    );
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const anonymous = await send(
      a,
      CreatePredictionDocument,
      { input: { modelId: randomUUID(), inputs: [[1]] } },
      null,
      key,
    );
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
