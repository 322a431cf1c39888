import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type InferenceJob,
  type InferenceRunner,
  InlineInference,
  type LoadBytes,
} from '../src/infra/inference/inference-runner.ts';
import { MicroBatcher } from '../src/infra/inference/micro-batcher.ts';
import { ThreadedInference } from '../src/infra/inference/threaded-inference.ts';
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

/** A real runner that counts the onnxruntime calls made through it. */
function counting(runner: InferenceRunner): InferenceRunner & { calls: number[] } {
  const calls: number[] = [];
  return {
    parallelism: runner.parallelism,
    calls,
    run(job: InferenceJob, loadBytes: LoadBytes) {
      calls.push(job.feeds.x!.dims[0]!);
      return runner.run(job, loadBytes);
    },
    forget: (versionId) => runner.forget(versionId),
    close: () => runner.close(),
  };
}

const rowsOf = (n: number, seed: number) =>
  Array.from({ length: n }, (_, r) => Array.from({ length: 4 }, (_, c) => seed + r * 0.5 - c * 0.25));

describe('micro-batching', () => {
  it.each([
    ['inline', (): InferenceRunner => new InlineInference({ sessionCacheSize: 4, intraOpThreads: 1 })],
    [
      'in two threads',
      (): InferenceRunner =>
        new ThreadedInference(2, { sessionCacheSize: 4, intraOpThreads: 1 }, createLogger('silent')),
    ],
  ])(
    'runs 64 concurrent requests %s as a few onnxruntime calls, each caller getting its own rows',
    async (_, make) => {
      const runner = counting(make());
      const batcher = new MicroBatcher(runner, { windowMs: 5, maxRows: 64 });
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
                feeds: {
                  x: { type: 'float32', dims: [rows.length, 4], data: Float32Array.from(rows.flat()) },
                },
                outputNames: ['logits'],
              },
              loadBytes,
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
        await runner.close();
      }
    },
  );
});

describe('predict under concurrency', () => {
  let threaded: TestServer;
  let inline: TestServer;
  beforeAll(async () => {
    [threaded, inline] = await Promise.all([
      startServer({ INFERENCE_THREADS: '2', INFERENCE_BATCH_WINDOW_MS: '5' }),
      startServer({ INFERENCE_THREADS: '0', INFERENCE_BATCH_WINDOW_MS: '5' }),
    ]);
  });
  afterAll(() => Promise.all([threaded.stop(), inline.stop()]));

  it.each([
    ['in two inference threads', () => threaded],
    ['inline', () => inline],
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
    const user = await registerUser(threaded);
    const { model } = await modelWithVersion(threaded, user, lookupModel(TABLE));
    const ids = Array.from({ length: 24 }, (_, i) => (i === 7 ? [2, 99] : [i % 4]));
    const responses = await Promise.all(
      ids.map((inputs) =>
        execute(threaded, PredictDocument, { input: { modelId: model.id, inputs } }, user.auth),
      ),
    );
    responses.forEach((response, i) => {
      if (i === 7) {
        expect(errorCode(response)).toBe('INFERENCE_FAILED');
        expect(response.errors![0]!.message).toMatch(/^The model failed on these inputs: .*99/);
      } else {
        expect(response.errors).toBeUndefined();
        expect(response.data!.predict.outputs).toEqual({ rows: [TABLE[i % 4]] });
      }
    });
  });
});
