import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { inject } from 'vitest';
import { freePort } from './redis-server.ts';
import { TEST_JWT_SECRET, TEST_REDIS_URL } from './server.ts';

export type TestWorker = {
  child: ChildProcess;
  /** Its health port: /health, /ready, /metrics. */
  url: string;
  /** Its log lines, parsed, when started with `logs: true`. */
  logs: Record<string, unknown>[];
  /** Stops it with `signal` (SIGKILL: as a crash would) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
};

/**
 * A training worker process (`npm run worker`) against the run's database and Redis, ready when this
 * resolves. `logs: true` keeps its log lines (JSON) for the test to read.
 */
export async function startWorker(
  env: Record<string, string> = {},
  options: { logs?: boolean } = {},
): Promise<TestWorker> {
  const port = await freePort();
  const child = spawn(process.execPath, ['src/worker.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: inject('databaseUrl'),
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: new URL(inject('databaseUrl')).pathname.slice(1),
      // The API's: webhook secrets sealed by the API are opened by the worker that signs with them.
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: options.logs ? 'info' : 'warn',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', options.logs ? 'pipe' : 'inherit', 'inherit'],
  });
  const logs: Record<string, unknown>[] = [];
  if (child.stdout) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        process.stdout.write(`${line}\n`);
      }
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const worker = {
    child,
    url,
    logs,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  for (let i = 0; i < 150; i++) {
    if ((await fetch(`${url}/ready`).catch(() => null))?.ok) return worker;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await worker.stop('SIGKILL');
  throw new Error('the worker did not get ready');
}
