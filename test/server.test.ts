import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { irisLikeClassifier } from './fixtures/onnx-models.ts';
import { graphql } from './gql/index.ts';
import { startEmbeddedServer } from './support/embedded-server.ts';
import {
  modelWithVersion,
  PASSWORD,
  PredictDocument,
  RegisterDocument,
  registerUser,
  uniqueEmail,
} from './support/fixtures.ts';
import { freePort, PrivateRedis } from './support/redis-server.ts';
import { errorCode, execute, run, startServer, type TestServer } from './support/server.ts';

const HistoryIdsDocument = graphql(`
  query HistoryIds {
    predictions {
      edges {
        node {
          id
        }
      }
    }
  }
`);

const MeEmailDocument = graphql(`
  query MeEmail {
    me {
      email
    }
  }
`);

describe('HTTP endpoints', () => {
  let server: TestServer;
  let corsServer: TestServer;
  beforeAll(async () => {
    [server, corsServer] = await Promise.all([
      startServer(),
      startServer({ CORS_ORIGINS: 'https://app.example.com, https://admin.example.com' }),
    ]);
  });
  afterAll(() => Promise.all([server.stop(), corsServer.stop()]));

  it('answers /health and /ready', async () => {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
  });

  it('serves GraphiQL to a browser from the package, with no CDN', async () => {
    const response = await fetch(server.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toMatch(/graphiql/i);
    expect(html).not.toMatch(/unpkg\.com|jsdelivr|cdn\./);
  });

  const preflight = (target: TestServer, origin: string) =>
    fetch(target.graphqlUrl, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });

  it('allows only the configured origins cross-origin', async () => {
    const allowed = await preflight(corsServer, 'https://admin.example.com');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://admin.example.com');
    const refused = await preflight(corsServer, 'https://evil.example.com');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const byDefault = await preflight(server, 'https://app.example.com');
    expect(byDefault.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('configuration', () => {
  it('reports every invalid variable at once, by name', () => {
    const attempt = () =>
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://localhost/db',
        REDIS_URL: 'not a url',
        JWT_SECRET: 'short',
        ADMIN_EMAIL: 'admin@example.com',
        CORS_ORIGINS: 'https://ok.example.com,ftp//broken',
        LOG_LEVEL: 'loud',
      });
    expect(attempt).toThrow(ConfigError);
    const problems = (() => {
      try {
        attempt();
      } catch (error) {
        return (error as ConfigError).problems.join('\n');
      }
    })();
    for (const name of [
      'PORT',
      'DATABASE_URL',
      'REDIS_URL',
      'JWT_SECRET',
      'ADMIN_PASSWORD',
      'CORS_ORIGINS',
      'LOG_LEVEL',
    ]) {
      expect(problems).toContain(name);
    }
  });

  it('makes the process exit non-zero with the problems on stderr', async () => {
    const child = spawn(process.execPath, ['src/main.ts'], {
      env: { ...process.env, PORT: '-1', LOG_LEVEL: 'verbose' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/PORT/);
    expect(stderr).toMatch(/LOG_LEVEL/);
  });
});

describe('migrations', () => {
  it('build a fresh database once when several instances start together', async () => {
    const name = `mlp_test_${randomBytes(6).toString('hex')}`;
    const adminUrl = inject('databaseUrl');
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    try {
      const servers = await Promise.all([1, 2, 3].map(() => startServer({ DATABASE_URL: url.toString() })));
      const email = uniqueEmail();
      await run(servers[0]!, RegisterDocument, { input: { email, password: PASSWORD } });
      const { register } = await run(servers[2]!, RegisterDocument, {
        input: { email: uniqueEmail(), password: PASSWORD },
      });
      expect((await run(servers[1]!, MeEmailDocument, {}, { token: register.token })).me.email).toBe(
        register.user.email,
      );
      await Promise.all(servers.map((server) => server.stop()));
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});

describe('shutdown', () => {
  // A hang here fails by the test's timeout: shutdown must not wait for a Redis that is not coming back.
  it('finishes while Redis is away, after serving a prediction without it', { timeout: 15_000 }, async () => {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    const server = await startServer({ REDIS_URL: redis.url });
    try {
      const user = await registerUser(server);
      const { model } = await modelWithVersion(server, user, irisLikeClassifier());
      await redis.stop();
      const { predict } = await run(
        server,
        PredictDocument,
        { input: { modelId: model.id, inputs: [[5.1, 3.5, 1.4, 0.2]] } },
        user.auth,
      );
      expect(predict.cached).toBe(false);
      await server.stop();
    } finally {
      await redis.stop();
    }
  });
});

describe('the embedded default', () => {
  let child: ChildProcess;
  let server: TestServer;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mlp-embedded-'));
    ({ child, server } = await startEmbeddedServer({ DATA_DIR: dataDir }));
  });
  afterAll(() => {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts on PGlite, answers queries, and shuts down cleanly on SIGTERM, finishing the request in flight', async () => {
    const { register } = await run(server, RegisterDocument, {
      input: { email: uniqueEmail(), password: PASSWORD },
    });
    expect((await run(server, MeEmailDocument, {}, { token: register.token })).me.email).toBe(
      register.user.email,
    );
    // The whole prediction path on PGlite and the in-process stand-ins: upload, predict, history.
    const user = await registerUser(server);
    const { model } = await modelWithVersion(server, user, irisLikeClassifier());
    const { predict } = await run(
      server,
      PredictDocument,
      { input: { modelId: model.id, inputs: [[5.1, 3.5, 1.4, 0.2]] } },
      user.auth,
    );
    const { predictions } = await run(server, HistoryIdsDocument, {}, user.auth);
    expect(predictions.edges.map((edge) => edge.node.id)).toEqual([predict.id]);
    // Idempotency keys live in PGlite too: a retry gets the first answer, other bytes are refused.
    const keyed = { token: user.token, headers: { 'idempotency-key': randomBytes(16).toString('hex') } };
    const input = { input: { modelId: model.id, inputs: [[5.1, 3.5, 1.4, 0.2]], cache: false } };
    const sent = await run(server, PredictDocument, input, keyed);
    expect((await run(server, PredictDocument, input, keyed)).predict.id).toBe(sent.predict.id);
    const other = await execute(
      server,
      PredictDocument,
      { input: { ...input.input, inputs: [[1, 1, 1, 1]] } },
      keyed,
    );
    expect(errorCode(other)).toBe('IDEMPOTENCY_KEY_REUSED');

    // A registration hashes a password at OWASP's cost, about 0.4 s here: SIGTERM lands while it is in
    // flight, once the server has surely read the request (one it had not read would be refused instead).
    const inFlight = run(server, RegisterDocument, { input: { email: uniqueEmail(), password: PASSWORD } });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect((await inFlight).register.user.email).toMatch(/@example\.com$/);
    expect(await exited).toBe(0);
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });
});
