import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKeyvStore } from '../src/infra/cache/keyv-store.ts';
import { Metrics } from '../src/infra/metrics/metrics.ts';
import { connectRedis } from '../src/infra/redis.ts';
import { Tracing } from '../src/infra/telemetry/tracing.ts';
import { createLogger } from '../src/logger.ts';
import { PredictionCache, predictionKey } from '../src/modules/predictions/prediction-cache.ts';
import { addModel, linearModel } from './fixtures/onnx-models.ts';
import { graphql } from './gql/index.ts';
import { modelWithVersion, registerUser, type TestUser, uploadVersion } from './support/fixtures.ts';
import { freePort, PrivateRedis } from './support/redis-server.ts';
import {
  ANNOUNCED,
  errorCode,
  execute,
  run,
  startServer,
  TEST_REDIS_URL,
  type TestServer,
} from './support/server.ts';

const CachedPredictDocument = graphql(`
  mutation CachedPredict($input: PredictInput!) {
    predict(input: $input) {
      outputs
      cached
      version {
        version
      }
      model {
        name
      }
    }
  }
`);

const SwitchVersionDocument = graphql(`
  mutation SwitchVersion($input: UpdateModelInput!) {
    updateModel(input: $input) {
      id
    }
  }
`);

const DropModelDocument = graphql(`
  mutation DropModel($id: ID!) {
    deleteModel(id: $id)
  }
`);

const HistoryDocument = graphql(`
  query CacheHistory($modelId: ID) {
    predictions(modelId: $modelId) {
      edges {
        node {
          cached
        }
      }
    }
  }
`);

const V1 = linearModel([[1], [10]], [0]);
const V2 = linearModel([[2], [20]], [0]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  [a, b] = await Promise.all([startServer(), startServer()]);
});
afterAll(() => Promise.all([a.stop(), b.stop()]));

const predict = (server: TestServer, user: TestUser, modelId: string, inputs: unknown, cache?: boolean) =>
  run(server, CachedPredictDocument, { input: { modelId, inputs, cache } }, user.auth).then(
    (data) => data.predict,
  );

/** The version that answers the model on `server`, asked with inputs of the test's own. */
const activeOn = async (server: TestServer, user: TestUser, modelId: string, inputs: unknown) =>
  (await predict(server, user, modelId, inputs)).version.version;

describe('prediction cache', () => {
  it('answers a repeat from the cache, on any instance, and still records it in history', async () => {
    const user = await registerUser(a);
    const { model } = await modelWithVersion(a, user, V1);
    const miss = await predict(a, user, model.id, [[1, 2]]);
    const hit = await predict(b, user, model.id, [[1, 2]]);
    expect(miss).toMatchObject({ cached: false, outputs: { logits: [[21]] } });
    expect(hit).toEqual({ ...miss, cached: true });
    // Each instance writes its history in batches: b's prediction reaches a within a flush interval.
    await expect
      .poll(async () => {
        const { predictions } = await run(a, HistoryDocument, { modelId: model.id }, user.auth);
        return predictions.edges.map((edge) => edge.node.cached);
      })
      .toEqual([true, false]);
  });

  it('treats the same numbers as the same input, however they are written', async () => {
    const user = await registerUser(a);
    const { model } = await modelWithVersion(a, user, V1);
    await predict(a, user, model.id, { x: [[3, 4]] });
    expect((await predict(a, user, model.id, [[3, 4.0]])).cached).toBe(true);
    const { model: adder } = await modelWithVersion(a, user, addModel(2));
    await predict(a, user, adder.id, { a: [[1, 2]], b: [[3, 4]] });
    // Another key order, and the spacing of a hand-written query.
    const response = await fetch(a.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: `{"query":"mutation { predict(input: { modelId: \\"${adder.id}\\", inputs: { b: [[ 3 , 4 ]], a: [[1,2]] } }) { cached outputs } }"}`,
    });
    expect(((await response.json()) as { data: { predict: unknown } }).data.predict).toEqual({
      cached: true,
      outputs: { sum: [[4, 6]] },
    });
    expect((await predict(a, user, model.id, [[3, 5]])).cached).toBe(false);
  });

  it('never serves the outputs of a version that is no longer the one asked for, on any instance', async () => {
    const user = await registerUser(a);
    const { model } = await modelWithVersion(a, user, V1);
    await predict(a, user, model.id, [[1, 1]]);
    expect((await predict(a, user, model.id, [[1, 1]])).cached).toBe(true);

    await uploadVersion(b, user, model.id, V2); // activates version 2 on the other instance
    // `a` hears of each change through one Redis pub/sub hop; once it has, nothing of before is served.
    await expect.poll(() => activeOn(a, user, model.id, [[2, 2]]), ANNOUNCED).toBe(2);
    const after = await predict(a, user, model.id, [[1, 1]]);
    expect(after).toMatchObject({ cached: false, version: { version: 2 }, outputs: { logits: [[22]] } });

    await run(
      b,
      SwitchVersionDocument,
      { input: { id: model.id, activeVersion: 1, name: 'renamed' } },
      user.auth,
    );
    await expect.poll(() => activeOn(a, user, model.id, [[3, 3]]), ANNOUNCED).toBe(1);
    const back = await predict(a, user, model.id, [[1, 1]]);
    // Version 1's own outputs are still right for version 1; the model's new name is read fresh.
    expect(back).toMatchObject({
      version: { version: 1 },
      outputs: { logits: [[11]] },
      model: { name: 'renamed' },
    });

    await run(b, DropModelDocument, { id: model.id }, user.auth);
    await expect
      .poll(async () => {
        const input = { modelId: model.id, inputs: [[1, 1]] };
        return (await execute(a, CachedPredictDocument, { input }, user.auth)).errors?.[0]?.extensions?.code;
      }, ANNOUNCED)
      .toBe('NOT_FOUND');
  });

  it('never gives one user’s cached outputs to another', async () => {
    const owner = await registerUser(a);
    const other = await registerUser(a);
    const { model } = await modelWithVersion(a, owner, V1);
    await predict(a, owner, model.id, [[5, 5]]);
    const foreign = await execute(
      a,
      CachedPredictDocument,
      { input: { modelId: model.id, inputs: [[5, 5]] } },
      other.auth,
    );
    expect(errorCode(foreign)).toBe('NOT_FOUND');
    // The same file uploaded by someone else is another version: computed afresh.
    const { model: copy } = await modelWithVersion(a, other, V1);
    expect((await predict(a, other, copy.id, [[5, 5]])).cached).toBe(false);
  });

  it('runs the model when asked not to use the cache', async () => {
    const user = await registerUser(a);
    const { model } = await modelWithVersion(a, user, V1);
    await predict(a, user, model.id, [[7, 7]]);
    expect((await predict(a, user, model.id, [[7, 7]], false)).cached).toBe(false);
  });

  it('does not cache failures', async () => {
    const user = await registerUser(a);
    const { model, version } = await modelWithVersion(a, user, V1);
    const db = new pg.Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      // Break the stored file, so loading the model fails on an instance that has not loaded it yet.
      await db.query(`update model_versions set onnx = '\\x00'::bytea where id = $1`, [version.id]);
      const failed = await execute(
        b,
        CachedPredictDocument,
        { input: { modelId: model.id, inputs: [[2, 2]] } },
        user.auth,
      );
      expect(failed.errors?.[0]?.extensions?.code).toBe('INFERENCE_FAILED');
      expect(failed.errors?.[0]?.message).toMatch(/this version cannot be loaded \(not a valid ONNX file/);
      await db.query('update model_versions set onnx = $1 where id = $2', [Buffer.from(V1), version.id]);
      expect(await predict(b, user, model.id, [[2, 2]])).toMatchObject({
        cached: false,
        outputs: { logits: [[22]] },
      });
    } finally {
      await db.end();
    }
  });
});

describe('cache bounds', () => {
  it('expires entries after the TTL and skips outputs over the size cap', async () => {
    const server = await startServer({
      PREDICTION_CACHE_TTL_SECONDS: '1',
      PREDICTION_CACHE_MAX_ENTRY_BYTES: '100',
    });
    try {
      const user = await registerUser(server);
      const { model } = await modelWithVersion(server, user, V1);
      await predict(server, user, model.id, [[1, 0]]);
      expect((await predict(server, user, model.id, [[1, 0]])).cached).toBe(true);
      await sleep(1100);
      expect((await predict(server, user, model.id, [[1, 0]])).cached).toBe(false);

      // 40 float32 outputs: 160 bytes, over the 100 allowed.
      const big = Array.from({ length: 40 }, (_, i) => [i, i]);
      await predict(server, user, model.id, big);
      expect((await predict(server, user, model.id, big)).cached).toBe(false);
    } finally {
      await server.stop();
    }
  });

  it("answers repeats from each instance's memory while Redis is down, and shares again when it is back", async () => {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    const [a, b] = await Promise.all([
      startServer({ REDIS_URL: redis.url }),
      startServer({ REDIS_URL: redis.url }),
    ]);
    try {
      const user = await registerUser(a);
      const { model } = await modelWithVersion(a, user, V1);
      await predict(a, user, model.id, [[4, 4]]);
      // Shared: the other instance never ran it.
      expect((await predict(b, user, model.id, [[4, 4]])).cached).toBe(true);

      await redis.stop();
      // In memory: no round trip needed.
      expect(await predict(a, user, model.id, [[4, 4]])).toMatchObject({
        cached: true,
        outputs: { logits: [[44]] },
      });
      // New inputs run, and are remembered by the instance that ran them.
      expect(await predict(a, user, model.id, [[5, 5]])).toMatchObject({
        cached: false,
        outputs: { logits: [[55]] },
      });
      expect((await predict(a, user, model.id, [[5, 5]])).cached).toBe(true);
      expect((await predict(b, user, model.id, [[5, 5]])).cached).toBe(false);

      await redis.start();
      let shared = false;
      for (let i = 0; i < 100 && !shared; i++) {
        await sleep(50);
        const fresh = [[6 + i, 6]];
        await predict(a, user, model.id, fresh);
        await sleep(20);
        shared = (await predict(b, user, model.id, fresh)).cached;
      }
      expect(shared).toBe(true);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await redis.stop();
    }
  });

  it('never runs a replaced version on an instance that could have missed the change while Redis was away', async () => {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    const [writer, reader] = await Promise.all([
      startServer({ REDIS_URL: redis.url }),
      startServer({ REDIS_URL: redis.url }),
    ]);
    try {
      const user = await registerUser(writer);
      const { model } = await modelWithVersion(writer, user, V1);
      // The reader now knows the model's active version (version 1) without asking Redis each time.
      expect((await predict(reader, user, model.id, [[1, 1]])).outputs).toEqual({ logits: [[11]] });
      expect((await predict(reader, user, model.id, [[1, 1]])).cached).toBe(true);

      // With Redis away, nobody hears of the new version: the reader must not trust what it knew.
      await redis.stop();
      await uploadVersion(writer, user, model.id, V2);
      expect(await predict(reader, user, model.id, [[1, 1]])).toMatchObject({
        version: { version: 2 },
        outputs: { logits: [[22]] },
      });

      await redis.start();
      await sleep(300);
      expect(await predict(reader, user, model.id, [[1, 1]])).toMatchObject({
        version: { version: 2 },
        outputs: { logits: [[22]] },
      });
    } finally {
      await Promise.all([writer.stop(), reader.stop()]);
      await redis.stop();
    }
  });
});

describe('concurrent misses', () => {
  it('run the model once per instance for many identical simultaneous requests', async () => {
    const redis = await connectRedis(TEST_REDIS_URL, createLogger('silent'), {
      name: 'test',
      offline: 'fail',
    });
    try {
      const cache = new PredictionCache(
        createKeyvStore(redis, `mlp:test:${randomUUID()}`),
        { ttlMs: 60_000, maxEntryBytes: 65_536, memoryBytes: 1024 * 1024 },
        { logger: createLogger('silent'), metrics: new Metrics(), tracing: new Tracing(null) },
      );
      const feeds = { x: { type: 'float32' as const, dims: [1, 2], data: Float32Array.from([1, 2]) } };
      const key = predictionKey('version-1', feeds);
      let runs = 0;
      const infer = async () => {
        runs++;
        await sleep(50);
        return { y: { type: 'float32' as const, dims: [1, 1], data: Float32Array.from([3]) } };
      };
      const results = await Promise.all(Array.from({ length: 20 }, () => cache.compute(key, infer)));
      expect(runs).toBe(1);
      expect(results.every((outputs) => outputs.y?.data[0] === 3)).toBe(true);
      expect(await cache.get(key)).toEqual(results[0]);
    } finally {
      redis.destroy();
    }
  });
});
