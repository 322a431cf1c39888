import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceJob, JobRunner, LoadBytes } from '../src/infra/inference/inference-job.ts';
import { MicroBatcher } from '../src/infra/inference/micro-batcher.ts';
import { type PoolConfig, WorkerPool } from '../src/infra/inference/worker-pool.ts';
import { Metrics } from '../src/infra/metrics/metrics.ts';
import { createLogger } from '../src/logger.ts';
import { LINEAR_4X3, linearModel, linearReference, lookupModel } from './fixtures/onnx-models.ts';
import { modelWithVersion, PredictDocument, registerUser } from './support/fixtures.ts';
import { errorCode, execute, startServer, type TestServer } from './support/server.ts';

const { weights: WEIGHTS, bias: BIAS } = LINEAR_4X3;
const LINEAR = linearModel(WEIGHTS, BIAS);
const TABLE = [
  [1, 10],
  [2, 20],
  [3, 30],
  [4, 40],
];

function expectRowsClose(actual: unknown, expected: number[][]) {
  const rows = actual as number[][];
  expect(rows).toHaveLength(expected.length);
  rows.forEach((row, i) => {
    row.forEach((value, j) => {
      expect(value).toBeCloseTo(expected[i]![j]!, 4);
    });
  });
}

function pool(isolation: PoolConfig['isolation']): WorkerPool {
  return new WorkerPool(
    {
      isolation,
      workers: 2,
      maxRunsPerUser: 2,
      maxRunsPerVersion: 2,
      runTimeoutMs: 5000,
      loadTimeoutMs: 10_000,
      queueTimeoutMs: 10_000,
      memoryLimitBytes: 4 * 1024 ** 3,
      worker: { sessionCacheSize: 4, session: { intraOpThreads: 1, limits: { maxTensorElements: 1e8 } } },
    },
    createLogger('silent'),
    () => {},
    new Metrics(),
  );
}

/** A real runner that counts the onnxruntime calls made through it. */
function counting(runner: JobRunner): JobRunner & { calls: number[] } {
  const calls: number[] = [];
  return {
    parallelism: runner.parallelism,
    calls,
    run(job: InferenceJob, loadBytes: LoadBytes) {
      calls.push(job.feeds.x!.dims[0]!);
      return runner.run(job, loadBytes);
    },
  };
}

const rowsOf = (n: number, seed: number) =>
  Array.from({ length: n }, (_, r) => Array.from({ length: 4 }, (_, c) => seed + r * 0.5 - c * 0.25));

describe('micro-batching', () => {
  it.each([
    ['in two worker processes', () => pool('process')],
    ['in two worker threads', () => pool('thread')],
  ])(
    'runs 64 concurrent requests %s as a few onnxruntime calls, each caller getting its own rows',
    async (_, make) => {
      const workers = make();
      const runner = counting(workers);
      const batcher = new MicroBatcher(runner);
      const policy = { windowMs: 5, maxRows: 64, preferredRows: [] };
      let loads = 0;
      const loadBytes = async () => {
        loads++;
        return LINEAR;
      };
      try {
        const inputs = Array.from({ length: 64 }, (_, i) => rowsOf(1 + (i % 3), i));
        const results = await Promise.all(
          inputs.map((rows) =>
            batcher.run(
              {
                versionId: 'v1',
                tenant: 'u1',
                maxOutputElements: 1000,
                feeds: {
                  x: { type: 'float32', dims: [rows.length, 4], data: Float32Array.from(rows.flat()) },
                },
                outputNames: ['logits'],
                labels: { model: 'm1', version: '1' },
                observe: null,
              },
              loadBytes,
              policy,
            ),
          ),
        );
        results.forEach((outputs, i) => {
          const rows = inputs[i]!;
          expect(outputs.logits!.dims).toEqual([rows.length, 3]);
          const values = Array.from(outputs.logits!.data as Float32Array);
          expectRowsClose(
            rows.map((_, r) => values.slice(r * 3, r * 3 + 3)),
            linearReference(WEIGHTS, BIAS, rows),
          );
        });
        // 128 rows in all, at most 64 per batch: a handful of runs instead of 64.
        expect(runner.calls.length).toBeLessThanOrEqual(6);
        expect(Math.max(...runner.calls)).toBeLessThanOrEqual(64);
        expect(loads).toBeLessThanOrEqual(runner.parallelism);
      } finally {
        await workers.close();
      }
    },
  );
});

describe('batching policy', () => {
  const job = (rows: number) => ({
    versionId: 'v-policy',
    tenant: 'u1',
    maxOutputElements: 1000,
    feeds: {
      x: { type: 'float32' as const, dims: [rows, 4], data: Float32Array.from(rowsOf(rows, 1).flat()) },
    },
    outputNames: ['logits'],
    labels: { model: 'm-policy', version: '1' },
    observe: null,
  });
  const loadBytes = async () => LINEAR;

  it('runs a lone call at once with no window, and waits for a preferred size, or the window, with one', async () => {
    const workers = pool('thread');
    const runner = counting(workers);
    const batcher = new MicroBatcher(runner);
    try {
      await batcher.run(job(1), loadBytes, { windowMs: 0, maxRows: 64, preferredRows: [] });
      expect(runner.calls).toEqual([1]);

      // Four calls make the preferred batch of 4: they run together, long before the window ends.
      const policy = { windowMs: 10_000, maxRows: 64, preferredRows: [4, 8] };
      const started = Date.now();
      await Promise.all([1, 2, 3, 4].map(() => batcher.run(job(1), loadBytes, policy)));
      expect(runner.calls.slice(1)).toEqual([4]);
      expect(Date.now() - started).toBeLessThan(5_000);

      // Two calls make no preferred size: they wait for the window, then run together.
      const short = { windowMs: 300, maxRows: 64, preferredRows: [4] };
      await Promise.all([1, 2].map(() => batcher.run(job(1), loadBytes, short)));
      expect(runner.calls.slice(2)).toEqual([2]);
    } finally {
      await workers.close();
    }
  });
});

describe('predict under concurrency', () => {
  let processes: TestServer;
  let threads: TestServer;
  beforeAll(async () => {
    [processes, threads] = await Promise.all([
      startServer({ INFERENCE_WORKERS: '2', INFERENCE_BATCH_WINDOW_MS: '5' }),
      startServer({ INFERENCE_WORKERS: '2', INFERENCE_ISOLATION: 'thread', INFERENCE_BATCH_WINDOW_MS: '5' }),
    ]);
  });
  afterAll(() => Promise.all([processes.stop(), threads.stop()]));

  it.each([
    ['in two worker processes', () => processes],
    ['in two worker threads', () => threads],
  ])('answers each of many concurrent callers with its own rows (%s)', async (_, server) => {
    const user = await registerUser(server());
    const { model } = await modelWithVersion(server(), user, LINEAR);
    const inputs = Array.from({ length: 48 }, (_, i) => rowsOf(1 + (i % 3), i));
    const responses = await Promise.all(
      inputs.map((rows) =>
        execute(server(), PredictDocument, { input: { modelId: model.id, inputs: rows } }, user.auth),
      ),
    );
    responses.forEach((response, i) => {
      expect(response.errors).toBeUndefined();
      const outputs = response.data!.predict.outputs as { logits: number[][] };
      expectRowsClose(outputs.logits, linearReference(WEIGHTS, BIAS, inputs[i]!));
    });
  });

  it('fails only the caller whose input breaks the model, never its batch-mates', async () => {
    const user = await registerUser(processes);
    const { model } = await modelWithVersion(processes, user, lookupModel(TABLE));
    const ids = Array.from({ length: 24 }, (_, i) => (i === 7 ? [2, 99] : [i % 4]));
    const responses = await Promise.all(
      ids.map((inputs) =>
        execute(processes, PredictDocument, { input: { modelId: model.id, inputs } }, user.auth),
      ),
    );
    responses.forEach((response, i) => {
      if (i === 7) {
        expect(errorCode(response)).toBe('INFERENCE_FAILED');
        expect(response.errors![0]!.message).toMatch(/^The model failed on these inputs: .*99/);
        // onnxruntime's own message names its source files by their full paths; the client sees no directory.
        expect(response.errors![0]!.message).not.toMatch(/[\\/][\w.-]+[\\/]/);
      } else {
        expect(response.errors).toBeUndefined();
        expect(response.data!.predict.outputs).toEqual({ rows: [TABLE[i % 4]] });
      }
    });
  });
});
