import { randomUUID } from 'node:crypto';
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopModel } from './fixtures/hostile-models.ts';
import { irisLikeClassifier } from './fixtures/onnx-models.ts';
import { graphql } from './gql/index.ts';
import { modelWithVersion, registerUser, type TestUser } from './support/fixtures.ts';
import { errorCode, execute, run, startServer, TEST_REDIS_URL, type TestServer } from './support/server.ts';
import { startWorker, type TestWorker } from './support/worker.ts';
import { connectSocket, subscribe } from './support/ws.ts';

const CreatePredictionDocument = graphql(`
  mutation CreatePrediction($input: CreatePredictionInput!) {
    createPrediction(input: $input) {
      id
      status
      outputs
      createdAt
      startedAt
      completedAt
      deadline
      error {
        code
        message
      }
    }
  }
`);

const CancelPredictionDocument = graphql(`
  mutation CancelPrediction($id: ID!) {
    cancelPrediction(id: $id) {
      id
      status
      outputs
      completedAt
    }
  }
`);

const PredictionDocument = graphql(`
  query OnePrediction($id: ID!) {
    prediction(id: $id) {
      id
      status
      outputs
      cached
      createdAt
      startedAt
      completedAt
      error {
        code
        message
      }
      version {
        version
      }
    }
  }
`);

const HistoryDocument = graphql(`
  query PredictionHistory($modelId: ID) {
    predictions(modelId: $modelId, first: 100) {
      edges {
        node {
          id
          status
        }
      }
    }
  }
`);

const SyncPredictDocument = graphql(`
  mutation SyncPredict($input: PredictInput!) {
    predict(input: $input) {
      id
      outputs
      status
      completedAt
    }
  }
`);

const CompletedDocument = graphql(`
  subscription QueuedCompleted($modelId: ID) {
    predictionCompleted(modelId: $modelId) {
      id
      status
      outputs
    }
  }
`);

const PredictionUpdatedDocument = graphql(`
  subscription PredictionUpdated($id: ID!) {
    predictionUpdated(id: $id) {
      id
      status
      outputs
      error {
        code
      }
    }
  }
`);

/** A Loop this long takes a few seconds in onnxruntime here: time to watch, cancel or kill it mid-run. */
const SLOW_TRIPS = 3_000_000n;

const ENDED = ['SUCCEEDED', 'FAILED', 'CANCELED'];

let a: TestServer;
let b: TestServer;
let worker: TestWorker;
// This file's own queues: no other file's worker takes its predictions, and its killed worker none of theirs.
const queue = { QUEUE_PREFIX: `async-${randomUUID().slice(0, 8)}` };
const workerEnv = { ...queue, INFERENCE_TIMEOUT_MS: '60000' };

beforeAll(async () => {
  a = await startServer({ ...queue, MAX_INPUT_ELEMENTS: '100', ASYNC_MAX_INPUT_ELEMENTS: '10000' });
  b = await startServer(queue);
  worker = await startWorker(workerEnv);
});
afterAll(async () => {
  await worker?.stop();
  await Promise.all([a?.stop(), b?.stop()]);
});

/** Every state a subscriber on `server` sees of the prediction, from its current one until it ends. */
async function watch(server: TestServer, user: TestUser, id: string) {
  const socket = connectSocket(server, { authorization: `Bearer ${user.token}` });
  const updates = subscribe(socket, PredictionUpdatedDocument, { id });
  const seen: { status: string; outputs: unknown; error: { code: string } | null }[] = [];
  const done = (async () => {
    for (;;) {
      const { data, errors } = await updates.next(90_000);
      if (errors) throw new Error(JSON.stringify(errors));
      seen.push(data!.predictionUpdated);
      if (ENDED.includes(data!.predictionUpdated.status)) break;
    }
    await socket.client.dispose();
    return seen;
  })();
  return { seen, done };
}

async function slowModel(user: TestUser) {
  return (await modelWithVersion(a, user, loopModel(SLOW_TRIPS))).model;
}

const create = (user: TestUser, input: Record<string, unknown>, server = a) =>
  execute(server, CreatePredictionDocument, { input: input as never }, user.auth);

describe('a queued prediction', () => {
  it('moves from STARTING to SUCCEEDED on a worker, seen live on another instance and in history', async () => {
    const user = await registerUser(a);
    const { model } = await modelWithVersion(a, user, irisLikeClassifier());
    const row = [5.1, 3.5, 1.4, 0.2];
    const socket = connectSocket(b, { authorization: `Bearer ${user.token}` });
    const completions = subscribe(socket, CompletedDocument, { modelId: model.id });
    await completions.ready;
    const created = await create(user, { modelId: model.id, inputs: [row], cache: false });
    expect(created.errors).toBeUndefined();
    const prediction = created.data!.createPrediction;
    expect(['STARTING', 'PROCESSING', 'SUCCEEDED']).toContain(prediction.status);
    const { done } = await watch(b, user, prediction.id);
    const seen = await done;
    // In order, each status once at most, ending SUCCEEDED with the outputs `predict` gives.
    const statuses = seen.map((state) => state.status);
    expect(statuses.at(-1)).toBe('SUCCEEDED');
    expect(statuses).toEqual(['STARTING', 'PROCESSING', 'SUCCEEDED'].filter((s) => statuses.includes(s)));
    const sync = await run(
      a,
      SyncPredictDocument,
      { input: { modelId: model.id, inputs: [row] } },
      user.auth,
    );
    expect(sync.predict.status).toBe('SUCCEEDED');
    expect(seen.at(-1)!.outputs).toEqual(sync.predict.outputs);
    // Subscribers of every completion hear of it too, with its outputs.
    const completed = (await completions.next(10_000)).data!.predictionCompleted;
    expect(completed).toEqual({ id: prediction.id, status: 'SUCCEEDED', outputs: sync.predict.outputs });
    await socket.client.dispose();

    const { prediction: read } = await run(b, PredictionDocument, { id: prediction.id }, user.auth);
    expect(read).toMatchObject({ status: 'SUCCEEDED', cached: false, error: null, version: { version: 1 } });
    const times = [read!.createdAt, read!.startedAt!, read!.completedAt!].map((t) => Date.parse(t as string));
    expect(times).toEqual([...times].sort((x, y) => x - y));
    // History holds both kinds, each once.
    const { predictions } = await run(b, HistoryDocument, { modelId: model.id }, user.auth);
    const ids = predictions.edges.map(({ node }) => node.id);
    expect(ids.filter((id) => id === prediction.id)).toHaveLength(1);
    expect(ids).toContain(sync.predict.id);
    // Another user sees none of it.
    const stranger = await registerUser(a);
    expect((await run(b, PredictionDocument, { id: prediction.id }, stranger.auth)).prediction).toBeNull();
  });

  it('holds the request with `wait` until it ends, or returns it as it stands when the wait is over', async () => {
    const user = await registerUser(a);
    const { model } = await modelWithVersion(a, user, irisLikeClassifier());
    const started = Date.now();
    const early = await create(user, { modelId: model.id, inputs: [[1, 2, 3, 4]], wait: 30 });
    expect(early.data!.createPrediction).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(early.data!.createPrediction.completedAt).not.toBeNull();
    // Returned when it ended, not when the 30 s were over.
    expect(Date.now() - started).toBeLessThan(20_000);

    const slow = await slowModel(user);
    const late = await create(user, { modelId: slow.id, inputs: [[1]], wait: 1 });
    const pending = late.data!.createPrediction;
    expect(['STARTING', 'PROCESSING']).toContain(pending.status);
    expect(pending).toMatchObject({ outputs: {}, completedAt: null, error: null });
    const { done } = await watch(b, user, pending.id);
    const seen = await done;
    expect(seen.at(-1)).toMatchObject({ status: 'SUCCEEDED', outputs: { y: [[1 + Number(SLOW_TRIPS)]] } });
  });

  it('is cancelled, and stays cancelled when its run ends', async () => {
    const user = await registerUser(a);
    const model = await slowModel(user);
    const { createPrediction } = (await create(user, { modelId: model.id, inputs: [[0]] })).data!;
    const { done } = await watch(b, user, createPrediction.id);
    const stranger = await registerUser(a);
    expect(
      errorCode(await execute(a, CancelPredictionDocument, { id: createPrediction.id }, stranger.auth)),
    ).toBe('NOT_FOUND');
    const { cancelPrediction } = await run(
      b,
      CancelPredictionDocument,
      { id: createPrediction.id },
      user.auth,
    );
    expect(cancelPrediction).toMatchObject({ status: 'CANCELED', outputs: {} });
    expect(cancelPrediction.completedAt).not.toBeNull();
    expect((await done).at(-1)!.status).toBe('CANCELED');
    // A second cancel, and the worker's run ending meanwhile, change nothing.
    const again = await run(a, CancelPredictionDocument, { id: createPrediction.id }, user.auth);
    expect(again.cancelPrediction).toEqual(cancelPrediction);
    await waitForIdleWorker();
    const { prediction } = await run(a, PredictionDocument, { id: createPrediction.id }, user.auth);
    expect(prediction).toMatchObject({
      status: 'CANCELED',
      outputs: {},
      completedAt: cancelPrediction.completedAt,
    });
  });

  it('fails with DEADLINE_EXCEEDED when it has not ended by its deadline', async () => {
    const user = await registerUser(a);
    const model = await slowModel(user);
    const { createPrediction } = (await create(user, { modelId: model.id, inputs: [[0]], cancelAfter: 1 }))
      .data!;
    expect(Date.parse(createPrediction.deadline as string)).toBeGreaterThan(
      Date.parse(createPrediction.createdAt as string),
    );
    const { done } = await watch(a, user, createPrediction.id);
    const seen = await done;
    expect(seen.at(-1)).toMatchObject({
      status: 'FAILED',
      outputs: {},
      error: { code: 'DEADLINE_EXCEEDED' },
    });
    await waitForIdleWorker();
    const { prediction } = await run(b, PredictionDocument, { id: createPrediction.id }, user.auth);
    expect(prediction).toMatchObject({ status: 'FAILED', error: { code: 'DEADLINE_EXCEEDED' } });
  });

  it('completes once on another worker when the one running it dies', async () => {
    const user = await registerUser(a);
    const model = await slowModel(user);
    const { createPrediction } = (await create(user, { modelId: model.id, inputs: [[2]] })).data!;
    const { seen, done } = await watch(b, user, createPrediction.id);
    await until(() => seen.some((state) => state.status === 'PROCESSING'));
    await worker.stop('SIGKILL');
    worker = await startWorker(workerEnv);
    const states = await done;
    expect(states.at(-1)).toMatchObject({ status: 'SUCCEEDED', outputs: { y: [[2 + Number(SLOW_TRIPS)]] } });
    expect(states.filter((state) => ENDED.includes(state.status))).toHaveLength(1);
    const { predictions } = await run(a, HistoryDocument, { modelId: model.id }, user.auth);
    expect(predictions.edges.map(({ node }) => node)).toEqual([
      { id: createPrediction.id, status: 'SUCCEEDED' },
    ]);
    // A worker's start, bee-queue's stall check (5 s) and the rerun, on a loaded machine.
  }, 90_000);
});

describe('a prediction whose job was lost', () => {
  it('is queued again and runs', async () => {
    // Its own queue, with nobody taking from it yet, searched for stranded predictions every second.
    const lost = { QUEUE_PREFIX: `lost-${randomUUID().slice(0, 8)}`, PREDICTION_REQUEUE_SECONDS: '1' };
    const server = await startServer(lost);
    let rescuer: TestWorker | null = null;
    const redis = createClient({ url: TEST_REDIS_URL });
    try {
      const user = await registerUser(server);
      const { model } = await modelWithVersion(server, user, irisLikeClassifier());
      const { createPrediction } = (await create(user, { modelId: model.id, inputs: [[1, 2, 3, 4]] }, server))
        .data!;
      expect(createPrediction.status).toBe('STARTING');
      // Redis loses the queue (flushed, failed over without persistence): the job is gone.
      await redis.connect();
      const keys = await redis.keys(`${lost.QUEUE_PREFIX}:*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(keys);
      const { done } = await watch(server, user, createPrediction.id);
      rescuer = await startWorker({ ...workerEnv, ...lost });
      expect((await done).at(-1)).toMatchObject({ status: 'SUCCEEDED', error: null });
    } finally {
      await redis.close();
      await rescuer?.stop();
      await server.stop();
    }
  });
});

describe('creating a queued prediction', () => {
  it('keeps to the tier’s number of open predictions', async () => {
    // A queue nobody takes from: what is created stays open.
    const server = await startServer({
      QUEUE_PREFIX: `idle-${randomUUID().slice(0, 8)}`,
      QUEUED_PREDICTIONS_FREE: '2',
    });
    try {
      const user = await registerUser(server);
      const { model } = await modelWithVersion(server, user, irisLikeClassifier());
      const input = { modelId: model.id, inputs: [[1, 2, 3, 4]] };
      const results = await Promise.all([1, 2, 3].map(() => create(user, input, server)));
      const refused = results.filter((result) => result.errors);
      expect(refused.map(errorCode)).toEqual(['BAD_USER_INPUT']);
      expect(refused[0]!.errors![0]!.message).toMatch(
        /2 queued predictions not yet ended, the most the FREE tier/,
      );
      // One ended, one more may start; another user has a count of their own.
      const open = results.find((result) => !result.errors)!.data!.createPrediction;
      await run(server, CancelPredictionDocument, { id: open.id }, user.auth);
      const next = await create(user, input, server);
      expect(next.errors).toBeUndefined();
      const other = await registerUser(server);
      const theirs = await modelWithVersion(server, other, irisLikeClassifier());
      const own = await create(other, { ...input, modelId: theirs.model.id }, server);
      expect(own.errors).toBeUndefined();
      // Nothing left open for other instances' stranded-prediction search to hand their workers.
      for (const result of [...results, next]) {
        if (!result.errors)
          await run(server, CancelPredictionDocument, { id: result.data!.createPrediction.id }, user.auth);
      }
      await run(server, CancelPredictionDocument, { id: own.data!.createPrediction.id }, other.auth);
    } finally {
      await server.stop();
    }
  });

  it('takes inputs beyond predict’s limit, up to its own, and refuses bad input with coded errors', async () => {
    const user = await registerUser(a);
    const { model } = await modelWithVersion(a, user, irisLikeClassifier());
    // 50 rows of 4: 200 numbers, over this instance's MAX_INPUT_ELEMENTS (100), under its async cap.
    const rows = Array.from({ length: 50 }, (_, i) => [i / 10, 1, 2, 3]);
    const sync = await execute(
      a,
      SyncPredictDocument,
      { input: { modelId: model.id, inputs: rows } },
      user.auth,
    );
    expect(errorCode(sync)).toBe('BAD_USER_INPUT');
    const queued = await create(user, { modelId: model.id, inputs: rows, wait: 30 });
    expect(queued.errors).toBeUndefined();
    expect(
      (queued.data!.createPrediction.outputs as { probabilities: number[][] }).probabilities,
    ).toHaveLength(50);
    const tooMany = Array.from({ length: 2600 }, () => [1, 2, 3, 4]);
    expect(errorCode(await create(user, { modelId: model.id, inputs: tooMany }))).toBe('BAD_USER_INPUT');

    expect(errorCode(await create(user, { modelId: model.id, inputs: [[1, 2, 3]] }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await create(user, { modelId: model.id, inputs: [[1, 2, 3, 4]], wait: 61 }))).toBe(
      'BAD_USER_INPUT',
    );
    expect(
      errorCode(await create(user, { modelId: model.id, inputs: [[1, 2, 3, 4]], cancelAfter: -1 })),
    ).toBe('BAD_USER_INPUT');
    const stranger = await registerUser(a);
    expect(errorCode(await create(stranger, { modelId: model.id, inputs: [[1, 2, 3, 4]] }))).toMatch(
      /NOT_FOUND|FORBIDDEN/,
    );
    // Nothing was stored for the refused calls.
    const { predictions } = await run(a, HistoryDocument, { modelId: model.id }, user.auth);
    expect(predictions.edges).toHaveLength(1);
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

/** Until the worker's queue has nothing running: whatever it was running has ended. */
async function waitForIdleWorker(): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const text = await (await fetch(`${worker.url}/metrics`)).text();
    if (/^mlp_prediction_queue_jobs\{state="active"\} 0$/m.test(text)) return;
    await sleep(100);
  }
  throw new Error('the worker is still running a prediction');
}
