import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { linearModel } from './fixtures/onnx-models.ts';
import { graphql } from './gql/index.ts';
import {
  createModel,
  modelWithVersion,
  PredictDocument,
  registerUser,
  type TestUser,
} from './support/fixtures.ts';
import {
  ANNOUNCED,
  type Auth,
  errorCode,
  execute,
  type GraphQLResponse,
  run,
  startServer,
  type TestServer,
} from './support/server.ts';

const CreateApiKeyDocument = graphql(`
  mutation CreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      secret
      apiKey {
        id
        name
        prefix
        scopes
        isActive
        expiresAt
      }
    }
  }
`);

const ApiKeysDocument = graphql(`
  query ApiKeys {
    apiKeys {
      id
      name
      prefix
      scopes
      isActive
      createdAt
      lastUsedAt
      expiresAt
      revokedAt
    }
  }
`);

const RevokeApiKeyDocument = graphql(`
  mutation RevokeApiKey($id: ID!) {
    revokeApiKey(id: $id) {
      id
      isActive
      revokedAt
    }
  }
`);

const RotateApiKeyDocument = graphql(`
  mutation RotateApiKey($input: RotateApiKeyInput!) {
    rotateApiKey(input: $input) {
      secret
      apiKey {
        id
        name
        scopes
      }
    }
  }
`);

const WhoAmIDocument = graphql(`
  query WhoAmI {
    me {
      id
    }
  }
`);

const ModelNamesDocument = graphql(`
  query ModelNames {
    models {
      name
    }
  }
`);

const NewModelDocument = graphql(`
  mutation NewModel($name: String!) {
    createModel(input: { name: $name }) {
      id
    }
  }
`);

const MODEL = linearModel([[1], [2]], [0.5]);
const keyAuth = (secret: string): Auth => ({ headers: { 'x-api-key': secret } });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The code `target` refuses the key with, or undefined while it still takes it. */
async function refusal(target: TestServer, secret: string): Promise<string | undefined> {
  return (await execute(target, WhoAmIDocument, {}, keyAuth(secret))).errors?.[0]?.extensions?.code;
}

let server: TestServer;
let other: TestServer;
let db: pg.Client;
beforeAll(async () => {
  // Two instances sharing PostgreSQL and Redis, as behind a load balancer.
  [server, other] = await Promise.all([startServer(), startServer()]);
  db = new pg.Client({ connectionString: inject('databaseUrl') });
  await db.connect();
});
afterAll(async () => {
  await db.end();
  await Promise.all([server.stop(), other.stop()]);
});

async function createKey(user: TestUser, input: Parameters<typeof run<unknown, unknown>>[2] = {}) {
  const { createApiKey } = await run(
    server,
    CreateApiKeyDocument,
    { input: { name: 'ci', ...(input as object) } },
    user.auth,
  );
  return createApiKey;
}

describe('creating and listing keys', () => {
  it('issues a well-formed key once, with default scopes, and lists it without the secret', async () => {
    const user = await registerUser(server);
    const created = await createKey(user);
    expect(created.secret).toMatch(/^mlp_[0-9A-Za-z]{38}$/);
    expect(created.apiKey).toMatchObject({
      name: 'ci',
      prefix: created.secret.slice(0, 12),
      scopes: ['PREDICT', 'MODELS_READ'],
      isActive: true,
      expiresAt: null,
    });

    const listResponse = await execute(server, ApiKeysDocument, {}, user.auth);
    expect(JSON.stringify(listResponse)).not.toContain(created.secret.slice(12));
    expect(listResponse.data?.apiKeys).toEqual([
      expect.objectContaining({
        id: created.apiKey.id,
        prefix: created.secret.slice(0, 12),
        lastUsedAt: null,
      }),
    ]);
  });

  it('keeps the plain secret out of the database', async () => {
    const user = await registerUser(server);
    const { secret } = await createKey(user);
    const tables = await db.query<{ table_name: string }>(
      `select table_name from information_schema.tables where table_schema = 'public'`,
    );
    const hidden = secret.slice(12);
    for (const { table_name } of tables.rows) {
      const found = await db.query(`select 1 from "${table_name}" t where t::text like $1`, [`%${hidden}%`]);
      expect(found.rowCount, `secret found in ${table_name}`).toBe(0);
    }
    const stored = await db.query('select hash from api_keys where prefix = $1', [secret.slice(0, 12)]);
    expect(stored.rows[0].hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a sixth active key, but counts revoked ones out', async () => {
    const user = await registerUser(server);
    const keys = [];
    for (let i = 0; i < 5; i++) keys.push(await createKey(user));
    const sixth = await execute(server, CreateApiKeyDocument, { input: { name: 'one too many' } }, user.auth);
    expect(errorCode(sixth)).toBe('BAD_USER_INPUT');
    expect(sixth.errors![0]!.message).toMatch(/5 active API keys/);

    await run(server, RevokeApiKeyDocument, { id: keys[0]!.apiKey.id }, user.auth);
    await createKey(user);
  });

  it('holds the limit under concurrent creation', async () => {
    const user = await registerUser(server);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        execute(i % 2 ? other : server, CreateApiKeyDocument, { input: { name: `k${i}` } }, user.auth),
      ),
    );
    expect(results.filter((result) => !result.errors).length).toBe(5);
  });

  it('refuses an expiry in the past and an empty name', async () => {
    const user = await registerUser(server);
    const past = await execute(
      server,
      CreateApiKeyDocument,
      { input: { name: 'old', expiresAt: new Date(Date.now() - 1000).toISOString() } },
      user.auth,
    );
    expect(errorCode(past)).toBe('BAD_USER_INPUT');
    const empty = await execute(server, CreateApiKeyDocument, { input: { name: ' ' } }, user.auth);
    expect(errorCode(empty)).toBe('BAD_USER_INPUT');
  });
});

describe('using keys', () => {
  it('authenticates as its owner through X-API-Key or a bearer header, and records its use', async () => {
    const user = await registerUser(server);
    const { secret, apiKey } = await createKey(user);
    expect((await run(server, WhoAmIDocument, {}, keyAuth(secret))).me.id).toBe(user.id);
    expect((await run(other, WhoAmIDocument, {}, { token: secret })).me.id).toBe(user.id);

    let lastUsedAt: string | null | undefined = null;
    for (let i = 0; i < 50 && !lastUsedAt; i++) {
      await sleep(20);
      lastUsedAt = (await run(server, ApiKeysDocument, {}, user.auth)).apiKeys.find(
        (k) => k.id === apiKey.id,
      )?.lastUsedAt;
    }
    expect(lastUsedAt).not.toBeNull();
  });

  it('allows what its scopes allow, and refuses the rest naming the scope', async () => {
    const user = await registerUser(server);
    const { model } = await modelWithVersion(server, user, MODEL);
    const { secret } = await createKey(user); // PREDICT, MODELS_READ
    const auth = keyAuth(secret);
    await run(server, PredictDocument, { input: { modelId: model.id, inputs: [[1, 1]] } }, auth);
    expect((await run(server, ModelNamesDocument, {}, auth)).models).toHaveLength(1);

    const write = await execute(server, NewModelDocument, { name: 'nope' }, auth);
    expect(errorCode(write)).toBe('FORBIDDEN');
    expect(write.errors![0]!.message).toMatch(/MODELS_WRITE/);

    const { secret: writer } = await createKey(user, { scopes: ['MODELS_WRITE'] });
    await run(server, NewModelDocument, { name: 'yes' }, keyAuth(writer));
    const predict = await execute(
      server,
      PredictDocument,
      { input: { modelId: model.id, inputs: [[1, 1]] } },
      keyAuth(writer),
    );
    expect(errorCode(predict)).toBe('FORBIDDEN');
    expect(predict.errors![0]!.message).toMatch(/PREDICT/);
  });

  it('holds its scopes in every field it reaches, nested or in fragments, before anything runs', async () => {
    const user = await registerUser(server);
    const { model } = await modelWithVersion(server, user, MODEL);
    const predictor = keyAuth((await createKey(user, { scopes: ['PREDICT'] })).secret);
    const post = async (auth: Auth, query: string, variables: Record<string, unknown> = {}) => {
      const response = await fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth.headers },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as GraphQLResponse<Record<string, unknown>>;
      return { status: response.status, ...body };
    };
    const input = { modelId: model.id, inputs: [[1, 1]] };

    // What a key that predicts needs: which model and version answered, and what the version takes.
    const allowed = await post(
      predictor,
      `mutation ($input: PredictInput!) {
        predict(input: $input) { outputs model { id name } version { id version inputs { name shape } } }
      }`,
      { input },
    );
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data!.predict).toMatchObject({ model: { id: model.id }, version: { version: 1 } });

    // Reading the model's other versions needs MODELS_READ: refused whole, the model never run.
    const nested = await post(
      predictor,
      `mutation ($input: PredictInput!) { predict(input: $input) { outputs model { versions { version } } } }`,
      { input },
    );
    expect(nested.status).toBe(403);
    expect(nested.data).toBeUndefined();
    expect(nested.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'Model.versions' });
    expect(nested.errors![0]!.message).toBe(
      'This API key lacks the MODELS_READ scope, which Model.versions needs',
    );
    expect(nested.extensions).toMatchObject({ cost: { requested: 0 } });

    const throughHistory = await post(
      predictor,
      `query { predictions(first: 5) { edges { node { ...Seen } } } }
       fragment Seen on Prediction { model { ... on Model { description activeVersion { sizeBytes } } } }`,
    );
    expect(throughHistory.errors![0]!.extensions).toMatchObject({
      code: 'FORBIDDEN',
      field: 'Model.description',
    });

    // The other way round: MODELS_READ reads models but not the prediction history.
    const reader = keyAuth((await createKey(user, { scopes: ['MODELS_READ'] })).secret);
    const history = await post(reader, '{ predictions(first: 1) { edges { node { id } } } }');
    expect(history.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'Query.predictions' });
    const models = await post(
      reader,
      '{ modelsConnection(first: 5) { edges { node { versions { sizeBytes } } } } }',
    );
    expect(models.errors).toBeUndefined();

    // Whoever may change models may read them.
    const writer = keyAuth((await createKey(user, { scopes: ['MODELS_WRITE'] })).secret);
    const read = await post(writer, `{ model(id: "${model.id}") { activeVersion { version sizeBytes } } }`);
    expect(read.errors).toBeUndefined();
  });

  it('cannot manage keys or tiers: that needs a signed-in session', async () => {
    const user = await registerUser(server);
    const { secret, apiKey } = await createKey(user, {
      scopes: ['PREDICT', 'MODELS_READ', 'MODELS_WRITE', 'TRAIN'],
    });
    const auth = keyAuth(secret);
    const attempts = [
      await execute(server, ApiKeysDocument, {}, auth),
      await execute(server, CreateApiKeyDocument, { input: { name: 'child' } }, auth),
      await execute(server, RevokeApiKeyDocument, { id: apiKey.id }, auth),
      await execute(server, RotateApiKeyDocument, { input: { id: apiKey.id } }, auth),
    ];
    for (const attempt of attempts) {
      expect(errorCode(attempt)).toBe('FORBIDDEN');
      expect(attempt.errors![0]!.message).toMatch(/session/);
    }
  });

  it('refuses malformed, unknown and doubled credentials as invalid', async () => {
    const user = await registerUser(server);
    const { secret } = await createKey(user);
    const flipped = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
    const anotherKey = (await createKey(await registerUser(server))).secret;
    await run(
      server,
      RevokeApiKeyDocument,
      { id: (await run(server, ApiKeysDocument, {}, user.auth)).apiKeys[0]!.id },
      user.auth,
    );
    for (const bad of ['mlp_short', 'sk_live_abcdefghijklmnopqrstuvwxyz0123456789ab', flipped, secret]) {
      const result = await execute(server, WhoAmIDocument, {}, keyAuth(bad));
      expect(errorCode(result)).toBe('UNAUTHENTICATED');
      expect(result.errors![0]!.message).toBe('Invalid credentials');
    }
    const both = await execute(
      server,
      WhoAmIDocument,
      {},
      { token: user.token, headers: { 'x-api-key': anotherKey } },
    );
    expect(errorCode(both)).toBe('UNAUTHENTICATED');
    expect(both.errors![0]!.message).toMatch(/not both/);
  });

  it('stops working when it expires, with an "expired" error', async () => {
    const user = await registerUser(server);
    const { secret } = await createKey(user, { expiresAt: new Date(Date.now() + 1500).toISOString() });
    await run(server, WhoAmIDocument, {}, keyAuth(secret));
    await sleep(1600);
    const result = await execute(server, WhoAmIDocument, {}, keyAuth(secret));
    expect(errorCode(result)).toBe('UNAUTHENTICATED');
    expect(result.errors![0]!.message).toMatch(/expired/);
  });
});

describe('revoking and rotating', () => {
  it('revokes at once where it is revoked, and on every other instance as the news reaches it, even where the key was just verified and cached', async () => {
    const user = await registerUser(server);
    const { secret, apiKey } = await createKey(user);
    // Both instances have verified (and cached) the key.
    await run(server, WhoAmIDocument, {}, keyAuth(secret));
    await run(other, WhoAmIDocument, {}, keyAuth(secret));
    const { revokeApiKey } = await run(server, RevokeApiKeyDocument, { id: apiKey.id }, user.auth);
    expect(revokeApiKey.isActive).toBe(false);
    expect(errorCode(await execute(server, WhoAmIDocument, {}, keyAuth(secret)))).toBe('UNAUTHENTICATED');
    // The other instance hears of it through one Redis pub/sub hop; its cached entry would otherwise
    // have lived for 30 seconds.
    await expect.poll(() => refusal(other, secret), ANNOUNCED).toBe('UNAUTHENTICATED');
  });

  it('rotates without grace: the old key stops on every instance, the new one has its name and scopes', async () => {
    const user = await registerUser(server);
    const old = await createKey(user, { name: 'deploy', scopes: ['PREDICT'] });
    await run(other, WhoAmIDocument, {}, keyAuth(old.secret));
    const { rotateApiKey } = await run(
      server,
      RotateApiKeyDocument,
      { input: { id: old.apiKey.id } },
      user.auth,
    );
    expect(rotateApiKey.apiKey).toMatchObject({ name: 'deploy', scopes: ['PREDICT'] });
    expect(rotateApiKey.secret).not.toBe(old.secret);
    await expect.poll(() => refusal(other, old.secret), ANNOUNCED).toBe('UNAUTHENTICATED');
    expect((await run(other, WhoAmIDocument, {}, keyAuth(rotateApiKey.secret))).me.id).toBe(user.id);
  });

  it('rotates with grace: the old key works until the grace period ends', async () => {
    const user = await registerUser(server);
    const old = await createKey(user);
    await run(other, WhoAmIDocument, {}, keyAuth(old.secret));
    const { rotateApiKey } = await run(
      server,
      RotateApiKeyDocument,
      { input: { id: old.apiKey.id, gracePeriodSeconds: 2 } },
      user.auth,
    );
    expect((await run(other, WhoAmIDocument, {}, keyAuth(old.secret))).me.id).toBe(user.id);
    expect((await run(other, WhoAmIDocument, {}, keyAuth(rotateApiKey.secret))).me.id).toBe(user.id);
    await sleep(2100);
    expect(errorCode(await execute(other, WhoAmIDocument, {}, keyAuth(old.secret)))).toBe('UNAUTHENTICATED');
    const listed = (await run(server, ApiKeysDocument, {}, user.auth)).apiKeys;
    expect(listed.find((key) => key.id === old.apiKey.id)?.isActive).toBe(false);
  });

  it('rotates a key once, even when asked many times at once: one in its grace has its successor', async () => {
    const user = await registerUser(server);
    const old = await createKey(user);
    const rotate = { input: { id: old.apiKey.id, gracePeriodSeconds: 3600 } };
    const attempts = await Promise.all(
      Array.from({ length: 5 }, () => execute(server, RotateApiKeyDocument, rotate, user.auth)),
    );
    expect(attempts.filter((attempt) => !attempt.errors)).toHaveLength(1);
    for (const refused of attempts.filter((attempt) => attempt.errors)) {
      expect(errorCode(refused)).toBe('BAD_USER_INPUT');
    }
    // The old key in its grace, and one successor: not one new key per request.
    const listed = (await run(server, ApiKeysDocument, {}, user.auth)).apiKeys;
    expect(listed.filter((key) => key.isActive)).toHaveLength(2);
  });

  it('cannot touch another user’s keys', async () => {
    const owner = await registerUser(server);
    const stranger = await registerUser(server);
    const { apiKey, secret } = await createKey(owner);
    expect(errorCode(await execute(server, RevokeApiKeyDocument, { id: apiKey.id }, stranger.auth))).toBe(
      'NOT_FOUND',
    );
    expect(
      errorCode(await execute(server, RotateApiKeyDocument, { input: { id: apiKey.id } }, stranger.auth)),
    ).toBe('NOT_FOUND');
    expect((await run(server, WhoAmIDocument, {}, keyAuth(secret))).me.id).toBe(owner.id);
    await createModel(server, owner);
  });
});
