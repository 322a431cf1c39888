import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { linearModel } from './fixtures/onnx-models.ts';
import { modelWithVersion, PASSWORD, registerUser, uniqueEmail } from './support/fixtures.ts';
import { startServer, type TestServer } from './support/server.ts';

type Body = { data?: Record<string, unknown> | null; errors?: { extensions?: { code?: string } }[] };

async function send(server: TestServer, token: string, query: string, variables = {}): Promise<Body> {
  const response = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as Body;
}

describe('configuration that would be unsafe', () => {
  it('refuses to start in production without a JWT secret, and says why', () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      DATA_DIR: ':memory:',
      PORT: '0',
    };
    for (const name of ['JWT_SECRET', 'DATABASE_URL', 'REDIS_URL']) delete env[name];
    const started = spawnSync(process.execPath, ['src/main.ts'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(started.status).toBe(1);
    expect(started.stderr).toContain('JWT_SECRET must be set in production');
  });

  it('refuses to start on a Redis that answers but says no, instead of running without it', async () => {
    await expect(startServer({ REDIS_URL: 'redis://127.0.0.1:6379/16' })).rejects.toThrow(
      /REDIS_URL: Redis refused the connection \(ERR DB index is out of range\)/,
    );
  });

  it('refuses to start on a PostgreSQL that answers but refuses the user, and says why', async () => {
    const url = new URL(inject('databaseUrl'));
    url.username = 'no_such_role_for_mlp';
    await expect(startServer({ DATABASE_URL: url.toString() })).rejects.toThrow(
      /DATABASE_URL: PostgreSQL refused the connection \(role "no_such_role_for_mlp" does not exist\)/,
    );
  });

  it('never makes an admin of an account someone registered first, unless told to', async () => {
    const server = await startServer();
    try {
      const early = await registerUser(server, 'early');
      await expect(startServer({ ADMIN_EMAIL: early.email, ADMIN_PASSWORD: PASSWORD })).rejects.toThrow(
        /belongs to an account that is not an admin: refusing to promote it/,
      );
      const still = await send(server, early.token, '{ me { role } }');
      expect(still.data).toEqual({ me: { role: 'USER' } });

      const told = await startServer({
        ADMIN_EMAIL: early.email,
        ADMIN_PASSWORD: 'the configured admin passphrase',
        ADMIN_PROMOTE_EXISTING: 'true',
      });
      await told.stop();
      // Promoted, and whoever held the account's tokens before holds nothing now, on any instance.
      await expect
        .poll(async () => (await send(server, early.token, '{ me { role } }')).errors?.[0]?.extensions?.code)
        .toBe('UNAUTHENTICATED');
      const login = await send(
        server,
        '',
        'mutation ($input: LoginInput!) { login(input: $input) { user { role } } }',
        { input: { email: early.email, password: 'the configured admin passphrase' } },
      );
      expect(login.data).toEqual({ login: { user: { role: 'ADMIN' } } });

      // A fresh address is simply created as the admin.
      const fresh = await startServer({ ADMIN_EMAIL: uniqueEmail('admin'), ADMIN_PASSWORD: PASSWORD });
      await fresh.stop();
    } finally {
      await server.stop();
    }
  });
});

describe('ids in any case', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server?.stop());

  it('reads an upper-case model id as the model, and never as a stale copy after a change', async () => {
    const user = await registerUser(server, 'case');
    const { model } = await modelWithVersion(server, user, linearModel([[2]], [0]));
    const upper = model.id.toUpperCase();
    const predict = 'mutation ($input: PredictInput!) { predict(input: $input) { outputs model { id } } }';
    const first = await send(server, user.token, predict, { input: { modelId: upper, inputs: [[3]] } });
    expect(first.data).toEqual({ predict: { outputs: { logits: [[6]] }, model: { id: model.id } } });

    await send(server, user.token, 'mutation ($id: ID!) { deleteModel(id: $id) }', { id: model.id });
    const gone = await send(server, user.token, predict, { input: { modelId: upper, inputs: [[3]] } });
    expect(gone.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
