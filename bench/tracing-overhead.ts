// What tracing every request costs one predict in CPU, measured in-process on the real SDK and exporter
// (`startTracing`, OTLP/protobuf to a receiver in its own process, bench/otlp-sink.ts). It makes the spans
// a predict over GraphQL makes, as the code makes them: the HTTP request's (http-requests.ts), the
// operation's (graphql-tracing.ts), the rate limit's and the Redis cache lookup's, and on a miss the
// inference span recorded from the worker's timings (inference.ts). The CPU counted is the process's,
// so it includes the batch processor's serialising and sending, flushed before the clock stops; the
// same loop untraced is subtracted. Throughput in turns (run.ts) cannot resolve 5% on a shared machine:
// this can. A hot loop is a lower bound, as for metrics; CPU profiles of the traced bench server
// (BENCH_PROFILE_DIR) show what it leaves out.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { startTracing } from '../src/infra/telemetry/start-tracing.ts';
import type { Tracing } from '../src/infra/telemetry/tracing.ts';

export type TracingOverheadRow = { sampling: string; predict: string; traceUs: number };

const REQUESTS = 10_000;

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** The spans of one predict over GraphQL, nested as the server nests them. */
async function predict(tracing: Tracing, cached: boolean): Promise<void> {
  await new Promise<void>((done) =>
    tracing.request(
      {
        requestId: 'bench',
        name: 'POST /graphql',
        headers: {},
        attributes: { 'http.request.method': 'POST', 'url.path': '/graphql', 'http.route': '/graphql' },
      },
      async (http) => {
        const execute = async () => {
          await tracing.span('rate limit', { 'mlp.tier': 'ENTERPRISE' }, async (span) => {
            span.setAttribute('mlp.rate_limit.allowed', true);
          });
          await tracing.span('cache lookup', { 'mlp.cache.tier': 'redis' }, async (span) => {
            span.setAttribute('mlp.cache.result', cached ? 'hit' : 'miss');
          });
          tracing.event('predict', {
            'mlp.prediction.id': '01937d2e-4b6c-7d8e-9f00-112233445566',
            'mlp.model.id': '01937d2e-4b6c-7d8e-9f00-665544332211',
            'mlp.model.version': 1,
            'mlp.prediction.cached': cached,
          });
          if (cached) return;
          const at = tracing.position();
          const now = Date.now();
          if (!at) return;
          const worker = { 'process.pid': 1, 'mlp.inference.isolation': 'process' };
          tracing.record(
            at,
            'inference',
            { start: now - 0.3, end: now - 0.05 },
            {
              attributes: { ...worker, 'mlp.inference.batch_rows': 1 },
              events: [
                { name: 'dispatched', time: now - 0.2 },
                { name: 'run started', time: now - 0.15 },
              ],
            },
          );
        };
        // As graphql-tracing.ts: no operation span in a request the sampler turned down.
        if (tracing.sampling) {
          const operation = tracing.start('mutation predict', { 'graphql.operation.type': 'mutation' });
          await operation.within(execute);
          operation.span.end();
        } else await execute();
        http.setAttribute('http.response.status_code', 200);
        http.end();
        done();
      },
    ),
  );
}

/** Predicts between flushes: their spans fit the batch processor's queue (4096), so none is dropped. */
const FLUSH_EVERY = 500;

/**
 * Process CPU microseconds per call of `run`: the median of five rounds of `count` calls, flushing
 * every FLUSH_EVERY calls (so every span is serialised and sent, as a server's are), after a warm-up round.
 */
async function cpuPerCall(run: () => Promise<void>, count: number, flush: () => Promise<void>) {
  const round = async () => {
    const started = process.cpuUsage();
    for (let i = 1; i <= count; i++) {
      await run();
      if (i % FLUSH_EVERY === 0) await flush();
    }
    await flush();
    const used = process.cpuUsage(started);
    return (used.user + used.system) / count;
  };
  await round();
  const rounds: number[] = [];
  for (let i = 0; i < 5; i++) rounds.push(await round());
  return rounds.sort((a, b) => a - b)[2]!;
}

/** Tracing as OTEL_* sets it up: every request traced (the SDK's default), or one trace in ten. */
const SAMPLINGS = [
  { sampling: 'every request', sampler: { kind: 'always_on', ratio: 1, parentBased: true } },
  { sampling: '1 in 10', sampler: { kind: 'traceidratio', ratio: 0.1, parentBased: true } },
] as const;

export async function measureTracingOverhead(): Promise<TracingOverheadRow[]> {
  const port = await freePort();
  const sink = spawn(process.execPath, ['bench/otlp-sink.ts', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await once(sink.stdout, 'data');
  try {
    const untraced = await startTracing(null, 'mlp-bench');
    const rows: TracingOverheadRow[] = [];
    for (const { sampling, sampler } of SAMPLINGS) {
      const traced = await startTracing(
        {
          endpoint: `http://127.0.0.1:${port}/v1/traces`,
          protocol: 'http/protobuf',
          headers: {},
          timeoutMs: 10_000,
          serviceName: 'mlp-bench',
          resourceAttributes: {},
          sampler,
          exportDelayMs: 5_000,
        },
        'mlp-bench',
      );
      for (const cached of [true, false]) {
        const on = await cpuPerCall(
          () => predict(traced, cached),
          REQUESTS,
          () => traced.flush(),
        );
        const off = await cpuPerCall(
          () => predict(untraced, cached),
          REQUESTS,
          async () => {},
        );
        rows.push({ sampling, predict: cached ? 'cache hit' : 'cache miss', traceUs: on - off });
      }
      await traced.shutdown();
    }
    return rows;
  } finally {
    sink.kill('SIGTERM');
  }
}

if (import.meta.main) {
  for (const row of await measureTracingOverhead())
    console.log(`predict, ${row.predict}, ${row.sampling} traced: ${row.traceUs.toFixed(1)} µs of CPU`);
}
