// `npm run bench`: mlp under load next to baselines, on real PostgreSQL and Redis.
// Prints a table (requests/s, p50, p99, ratio to baseline) and writes it as JSON under bench/results/.
// Environment: BENCH_POSTGRES_URL, BENCH_REDIS_URL, BENCH_DURATION (seconds, default 5),
// BENCH_CONNECTIONS (comma-separated, default "8,64").
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { irisLikeClassifier, mlpModel } from '../test/fixtures/onnx-models.ts';
import { freePort } from '../test/support/redis-server.ts';

const POSTGRES = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '8,64').split(',').map(Number);
const children: ChildProcess[] = [];

async function startProcess(args: string[], env: NodeJS.ProcessEnv, readyWhen: RegExp): Promise<void> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      if (readyWhen.test(output)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${output}`)));
  });
}

async function graphql(
  url: string,
  query: string,
  variables: unknown = {},
  headers: Record<string, string> = {},
) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: seeding reads a few known fields
  const body = (await response.json()) as { data: Record<string, any>; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function upload(url: string, token: string, modelId: string, bytes: Uint8Array) {
  const form = new FormData();
  form.set(
    'operations',
    JSON.stringify({
      query: 'mutation($input: UploadModelVersionInput!) { uploadModelVersion(input: $input) { version } }',
      variables: { input: { modelId, file: null } },
    }),
  );
  form.set('map', JSON.stringify({ 0: ['variables.input.file'] }));
  form.set('0', new Blob([bytes as Uint8Array<ArrayBuffer>]), 'model.onnx');
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const body = (await response.json()) as { errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
}

const randomRow = (width: number) => Array.from({ length: width }, () => Math.random());

type Scenario = {
  name: string;
  baseline?: string;
  url: string;
  headers?: Record<string, string>;
  /** A fixed body, or a new one per request (distinct inputs: cache misses). */
  body: () => string;
  fixed?: boolean;
};

type Measured = { name: string; connections: number; rps: number; p50: number; p99: number; errors: number };

async function measure(scenario: Scenario, connections: number): Promise<Measured> {
  const options = {
    url: scenario.url,
    method: 'POST' as const,
    connections,
    headers: { 'content-type': 'application/json', ...scenario.headers },
  };
  const requests: autocannon.Request[] = scenario.fixed
    ? [{ body: scenario.body() }]
    : [{ setupRequest: (request) => ({ ...request, body: scenario.body() }) }];
  await autocannon({ ...options, duration: 1, requests }); // warm-up
  const result = await autocannon({ ...options, duration: DURATION, requests });
  return {
    name: scenario.name,
    connections,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

async function main() {
  const database = `mlp_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES });
  await admin.connect();
  await admin.query(`create database ${database}`);
  const databaseUrl = Object.assign(new URL(POSTGRES), { pathname: `/${database}` }).toString();
  try {
    const [mlpPort, unlimitedPort, onnxSmallPort, onnxLargePort, yogaPort] = await Promise.all(
      Array.from({ length: 5 }, freePort),
    );
    const adminEmail = 'bench-admin@example.com';
    const password = 'bench passphrase 1234';
    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: REDIS,
      JWT_SECRET: randomBytes(32).toString('hex'),
      ADMIN_EMAIL: adminEmail,
      ADMIN_PASSWORD: password,
      LOG_LEVEL: 'warn',
      // Real limits would stop the benchmark within a second; these still run the full check per call.
      RATE_LIMIT_ENTERPRISE: '1000000000,1000000000',
      RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
    };
    await startProcess(['src/main.ts'], { ...env, PORT: String(mlpPort), LOG_LEVEL: 'info' }, /listening/);
    await startProcess(
      ['src/main.ts'],
      { ...env, PORT: String(unlimitedPort), RATE_LIMITS_ENABLED: 'false', LOG_LEVEL: 'info' },
      /listening/,
    );
    const url = `http://127.0.0.1:${mlpPort}/graphql`;
    const unlimitedUrl = `http://127.0.0.1:${unlimitedPort}/graphql`;

    // Seed: an ENTERPRISE user with an API key, and the two models.
    const { register } = await graphql(
      url,
      'mutation($i: RegisterInput!) { register(input: $i) { token user { id } } }',
      {
        i: { email: `bench-${Date.now()}@example.com`, password },
      },
    );
    const { login } = await graphql(url, 'mutation($i: LoginInput!) { login(input: $i) { token } }', {
      i: { email: adminEmail, password },
    });
    await graphql(
      url,
      'mutation($i: SetUserTierInput!) { setUserTier(input: $i) { tier } }',
      { i: { userId: register.user.id, tier: 'ENTERPRISE' } },
      { authorization: `Bearer ${login.token}` },
    );
    const jwt = { authorization: `Bearer ${register.token}` };
    const { createApiKey } = await graphql(
      url,
      'mutation { createApiKey(input: { name: "bench" }) { secret } }',
      {},
      jwt,
    );
    const key = { 'x-api-key': createApiKey.secret };
    const small = irisLikeClassifier();
    const large = mlpModel([64, 256, 256, 10]);
    const models: Record<string, string> = {};
    for (const [name, bytes] of [
      ['small', small],
      ['large', large],
    ] as const) {
      const { createModel } = await graphql(
        url,
        `mutation { createModel(input: { name: "${name}" }) { id } }`,
        {},
        jwt,
      );
      await upload(url, register.token, createModel.id, bytes);
      models[name] = createModel.id;
    }

    const dir = join(tmpdir(), `mlp-bench-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'small.onnx'), small);
    writeFileSync(join(dir, 'large.onnx'), large);
    await startProcess(
      ['bench/baseline-onnx.ts', join(dir, 'small.onnx'), String(onnxSmallPort)],
      {},
      /ready/,
    );
    await startProcess(
      ['bench/baseline-onnx.ts', join(dir, 'large.onnx'), String(onnxLargePort)],
      {},
      /ready/,
    );
    await startProcess(['bench/baseline-yoga.ts', String(yogaPort)], {}, /ready/);

    const predictQuery = 'mutation($i: PredictInput!) { predict(input: $i) { outputs cached } }';
    const predictBody = (model: string, width: number, distinct: boolean) => {
      const row = randomRow(width);
      return () =>
        JSON.stringify({
          query: predictQuery,
          variables: { i: { modelId: models[model], inputs: [distinct ? randomRow(width) : row] } },
        });
    };
    const trivial = () => JSON.stringify({ query: '{ __typename }' });
    const bareOnnx = (width: number) => {
      const row = randomRow(width);
      return () => JSON.stringify({ inputs: [row] });
    };
    const scenarios: Scenario[] = [
      {
        name: 'baseline: bare yoga, trivial query',
        url: `http://127.0.0.1:${yogaPort}/graphql`,
        body: trivial,
        fixed: true,
      },
      {
        name: 'baseline: bare onnxruntime, small',
        url: `http://127.0.0.1:${onnxSmallPort}/`,
        body: bareOnnx(4),
        fixed: true,
      },
      {
        name: 'baseline: bare onnxruntime, large',
        url: `http://127.0.0.1:${onnxLargePort}/`,
        body: bareOnnx(64),
        fixed: true,
      },
      {
        name: 'trivial query, anonymous',
        baseline: 'baseline: bare yoga, trivial query',
        url,
        body: trivial,
        fixed: true,
      },
      {
        name: 'trivial query, JWT',
        baseline: 'baseline: bare yoga, trivial query',
        url,
        headers: jwt,
        body: trivial,
        fixed: true,
      },
      {
        name: 'trivial query, API key',
        baseline: 'baseline: bare yoga, trivial query',
        url,
        headers: key,
        body: trivial,
        fixed: true,
      },
      {
        name: 'predict small, miss, key',
        baseline: 'baseline: bare onnxruntime, small',
        url,
        headers: key,
        body: predictBody('small', 4, true),
      },
      {
        name: 'predict small, hit, key',
        baseline: 'baseline: bare onnxruntime, small',
        url,
        headers: key,
        body: predictBody('small', 4, false),
        fixed: true,
      },
      {
        name: 'predict small, hit, JWT',
        baseline: 'baseline: bare onnxruntime, small',
        url,
        headers: jwt,
        body: predictBody('small', 4, false),
        fixed: true,
      },
      {
        name: 'predict large, miss, key',
        baseline: 'baseline: bare onnxruntime, large',
        url,
        headers: key,
        body: predictBody('large', 64, true),
      },
      {
        name: 'predict large, hit, key',
        baseline: 'baseline: bare onnxruntime, large',
        url,
        headers: key,
        body: predictBody('large', 64, false),
        fixed: true,
      },
      {
        name: 'predict small, miss, key, limiter off',
        baseline: 'predict small, miss, key',
        url: unlimitedUrl,
        headers: key,
        body: predictBody('small', 4, true),
      },
    ];

    const results: Measured[] = [];
    for (const connections of CONNECTIONS) {
      for (const scenario of scenarios) {
        const measured = await measure(scenario, connections);
        results.push(measured);
        console.error(`${connections} conns  ${scenario.name}: ${measured.rps.toFixed(0)} req/s`);
      }
    }

    const rows = results.map((result) => {
      const scenario = scenarios.find((s) => s.name === result.name)!;
      const base = results.find((r) => r.name === scenario.baseline && r.connections === result.connections);
      return { ...result, ratio: base ? result.rps / base.rps : null, baseline: scenario.baseline ?? null };
    });
    const header = '| scenario | conns | req/s | p50 ms | p99 ms | errors | vs baseline |';
    const lines = [header, '| --- | ---: | ---: | ---: | ---: | ---: | --- |'];
    for (const row of rows) {
      const ratio = row.ratio === null ? '' : `${row.ratio.toFixed(2)} × ${row.baseline}`;
      lines.push(
        `| ${row.name} | ${row.connections} | ${row.rps.toFixed(0)} | ${row.p50} | ${row.p99} | ${row.errors} | ${ratio} |`,
      );
    }
    const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`;
    console.log(`\n${machine}, ${DURATION} s per scenario\n\n${lines.join('\n')}`);
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    const report = JSON.stringify(
      { date: new Date().toISOString(), machine, durationSeconds: DURATION, rows },
      null,
      2,
    );
    writeFileSync(
      new URL(`./results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url),
      report,
    );
    writeFileSync(new URL('./results/latest.json', import.meta.url), report);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  }
}

await main();
