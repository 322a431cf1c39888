// `npm run bench:subscribers`: how fast an event reaches many live subscribers, and what an idle
// subscription costs. Starts mlp (real PostgreSQL and Redis) in its own process, opens N graphql-ws
// clients (BENCH_SUBSCRIBERS, default 1000) subscribed to predictionCompleted for one user, then makes
// predictions and times each from the mutation's start to the moment the last subscriber has it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { linearModel } from '../test/fixtures/onnx-models.ts';
import { freePort } from '../test/support/redis-server.ts';

const POSTGRES = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const EVENTS = 30;

const rssKiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

const database = `mlp_bench_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: POSTGRES });
await admin.connect();
await admin.query(`create database ${database}`);
const port = await freePort();
const server = spawn(process.execPath, ['src/main.ts'], {
  env: {
    ...process.env,
    PORT: String(port),
    DATABASE_URL: Object.assign(new URL(POSTGRES), { pathname: `/${database}` }).toString(),
    REDIS_URL: REDIS,
    JWT_SECRET: randomBytes(32).toString('hex'),
    RATE_LIMIT_FREE: '1000000,1000000',
    RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
try {
  await new Promise<void>((resolve) =>
    server.stdout!.on('data', (chunk) => /listening/.test(String(chunk)) && resolve()),
  );
  const url = `http://127.0.0.1:${port}/graphql`;
  const call = async (query: string, variables: unknown, token?: string) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: seeding reads a few known fields
    return ((await response.json()) as { data: Record<string, any> }).data;
  };
  const { register } = await call('mutation($i: RegisterInput!) { register(input: $i) { token } }', {
    i: { email: `subs-${Date.now()}@example.com`, password: 'bench passphrase 1234' },
  });
  const token: string = register.token;
  const { createModel } = await call('mutation { createModel(input: { name: "m" }) { id } }', {}, token);
  const form = new FormData();
  form.set(
    'operations',
    JSON.stringify({
      query: 'mutation($input: UploadModelVersionInput!) { uploadModelVersion(input: $input) { version } }',
      variables: { input: { modelId: createModel.id, file: null } },
    }),
  );
  form.set('map', JSON.stringify({ 0: ['variables.input.file'] }));
  form.set('0', new Blob([linearModel([[1], [1]], [0]) as Uint8Array<ArrayBuffer>]), 'm.onnx');
  await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });

  const before = rssKiB(server.pid!);
  // One mutation at a time, so every subscriber's next event is that mutation's.
  let remaining = 0;
  let allReceived: (at: number) => void = () => {};
  let ready = 0;
  const clients = [];
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const client = createClient({
      url: url.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      lazy: false,
    });
    clients.push(client);
    client.on('connected', () => ready++);
    client.subscribe(
      { query: 'subscription { predictionCompleted { id } }' },
      {
        next: () => {
          if (--remaining === 0) allReceived(performance.now());
        },
        error: (error) => console.error(error),
        complete: () => {},
      },
    );
  }
  while (ready < SUBSCRIBERS) await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => setTimeout(resolve, 2000)); // let every subscription reach the server
  const after = rssKiB(server.pid!);

  const latencies: number[] = [];
  for (let i = 0; i < EVENTS; i++) {
    remaining = SUBSCRIBERS;
    const received = new Promise<number>((resolve) => {
      allReceived = resolve;
    });
    const started = performance.now();
    await call(
      'mutation($i: PredictInput!) { predict(input: $i) { id } }',
      {
        i: { modelId: createModel.id, inputs: [[i, Math.random()]] },
      },
      token,
    );
    latencies.push((await received) - started);
  }
  latencies.sort((a, b) => a - b);
  console.log(
    `${SUBSCRIBERS} subscribers on one instance: mutation start -> last subscriber has the event: ` +
      `p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms ` +
      `(${EVENTS} events); server RSS ${before} KiB -> ${after} KiB with the sockets open: ` +
      `${(((after - before) * 1024) / SUBSCRIBERS / 1024).toFixed(1)} KiB per idle subscription`,
  );
  for (const client of clients) await client.dispose();
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await admin.query(`drop database if exists ${database} with (force)`);
  await admin.end();
}
