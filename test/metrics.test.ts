// Prometheus metrics of the API and of a training worker: counters move by exactly what was done, and
// the output passes `promtool check metrics`.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { linearModel } from './fixtures/onnx-models.ts';
import { graphql } from './gql/index.ts';
import { createModel, modelWithVersion, registerUser } from './support/fixtures.ts';
import { execute, startServer, type TestServer, uploadFile } from './support/server.ts';
import { startWorker, type TestWorker } from './support/worker.ts';

const MetricsPredictDocument = graphql(`
  mutation MetricsPredict($input: PredictInput!) {
    predict(input: $input) {
      cached
    }
  }
`);

const MetricsDeleteDocument = graphql(`
  mutation MetricsDelete($id: ID!) {
    deleteModel(id: $id)
  }
`);

const MetricsTrainDocument = graphql(`
  mutation MetricsTrain($input: StartTrainingInput!) {
    startTraining(input: $input) {
      id
    }
  }
`);

const MetricsJobDocument = graphql(`
  query MetricsJob($id: ID!) {
    trainingJob(id: $id) {
      status
    }
  }
`);

const MODEL = linearModel([[1], [2]], [0]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The samples of a scrape, by metric name and labels as written, e.g. `a_total{b="c"}`. */
type Samples = Map<string, number>;

async function scrape(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ text: string; samples: Samples }> {
  const response = await fetch(url, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/);
  const text = await response.text();
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return { text, samples };
}

/** A sample's value, 0 when it has not appeared yet. */
function value(samples: Samples, name: string, labels: Record<string, string> = {}): number {
  const written = Object.entries(labels)
    .map(([key, label]) => `${key}="${label}"`)
    .join(',');
  for (const [key, sampled] of samples) {
    const open = key.indexOf('{');
    const metric = open < 0 ? key : key.slice(0, open);
    if (metric !== name) continue;
    if (
      !written ||
      key
        .slice(open + 1, -1)
        .split(',')
        .sort()
        .join(',') === written.split(',').sort().join(',')
    )
      return sampled;
  }
  return 0;
}

/** `promtool check metrics` on a scrape: its complaints, or '' when there are none. */
function promtool(text: string): string {
  const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (checked.error) throw checked.error;
  return `${checked.stdout}${checked.stderr}`.trim();
}

describe('the API process', () => {
  let server: TestServer;
  let limited: TestServer;
  beforeAll(async () => {
    [server, limited] = await Promise.all([
      startServer(),
      startServer({ RATE_LIMIT_FREE: '1,1000', METRICS_TOKEN: 'scrape-secret-1234' }),
    ]);
  });
  afterAll(() => Promise.all([server?.stop(), limited?.stop()]));

  it('counts predictions, cache lookups, limits and failures by exactly what happened', async () => {
    const user = await registerUser(server, 'metrics');
    const { model, version } = await modelWithVersion(server, user, MODEL);
    const labels = { model: model.id, version: '1' };
    const before = (await scrape(`${server.url}/metrics`)).samples;
    const predict = (inputs: number[][]) =>
      execute(server, MetricsPredictDocument, { input: { modelId: model.id, inputs } }, user.auth);

    expect((await predict([[1, 2]])).data?.predict.cached).toBe(false);
    expect((await predict([[1, 2]])).data?.predict.cached).toBe(true);
    expect(
      (
        await predict([
          [3, 4],
          [5, 6],
        ])
      ).data?.predict.cached,
    ).toBe(false);
    const db = new pg.Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      // A version whose file is broken fails on load, in a worker that has not loaded it yet.
      await db.query(`update model_versions set onnx = '\\x00'::bytea where id = $1`, [version.id]);
      const other = await modelWithVersion(server, user, linearModel([[3], [4]], [0]));
      await db.query(`update model_versions set onnx = '\\x00'::bytea where id = $1`, [other.version.id]);
      const failed = await execute(
        server,
        MetricsPredictDocument,
        { input: { modelId: other.model.id, inputs: [[1, 1]] } },
        user.auth,
      );
      expect(failed.errors?.[0]?.extensions?.code).toBe('INFERENCE_FAILED');
      const after = (await scrape(`${server.url}/metrics`)).samples;
      const moved = (name: string, labelSet: Record<string, string> = {}) =>
        value(after, name, labelSet) - value(before, name, labelSet);

      expect(moved('mlp_inference_requests_total', { ...labels, outcome: 'success' })).toBe(3);
      expect(moved('mlp_inference_rows_total', labels)).toBe(3);
      expect(moved('mlp_inference_executions_total', labels)).toBe(2);
      expect(moved('mlp_inference_compute_seconds_count', labels)).toBe(2);
      // The second run went to the worker that had the version loaded already.
      expect(moved('mlp_inference_session_loads_total', labels)).toBe(1);
      expect(
        moved('mlp_inference_requests_total', { model: other.model.id, version: '1', outcome: 'failure' }),
      ).toBe(1);
      expect(moved('mlp_graphql_operations_total', { type: 'mutation', field: 'predict' })).toBe(4);
      expect(moved('mlp_graphql_errors_total', { code: 'INFERENCE_FAILED' })).toBe(1);
      expect(moved('mlp_prediction_cache_lookups_total', { tier: 'memory', result: 'hit' })).toBe(1);
      expect(moved('mlp_prediction_cache_lookups_total', { tier: 'memory', result: 'miss' })).toBe(3);
      expect(moved('mlp_prediction_cache_lookups_total', { tier: 'redis', result: 'miss' })).toBe(3);
      expect(value(after, 'mlp_nodejs_eventloop_lag_seconds')).toBeGreaterThan(0);
      // The predictions were written to history, in one write or more.
      expect(moved('mlp_prediction_history_write_seconds_count')).toBeGreaterThan(0);
      for (const connection of ['commands', 'subscriber']) {
        expect(value(after, 'mlp_redis_connected', { connection })).toBe(1);
      }

      // A deleted model's series go with it: what is exported does not grow with what was deleted.
      await execute(server, MetricsDeleteDocument, { id: model.id }, user.auth);
      const gone = await scrape(`${server.url}/metrics`);
      expect(gone.text).not.toContain(model.id);
    } finally {
      await db.end();
    }
  });

  it('counts refusals of the rate limit, and asks for the token when one is set', async () => {
    const user = await registerUser(limited, 'metrics-limited');
    const { model } = await modelWithVersion(limited, user, MODEL);
    const url = `${limited.url}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const auth = { authorization: 'Bearer scrape-secret-1234' };
    const before = (await scrape(url, auth)).samples;
    const predict = () =>
      execute(limited, MetricsPredictDocument, { input: { modelId: model.id, inputs: [[1, 1]] } }, user.auth);
    expect((await predict()).errors).toBeUndefined();
    expect((await predict()).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    const after = (await scrape(url, auth)).samples;
    const refused = { tier: 'FREE', outcome: 'refused' };
    expect(
      value(after, 'mlp_rate_limit_decisions_total', refused) -
        value(before, 'mlp_rate_limit_decisions_total', refused),
    ).toBe(1);
    expect(
      value(after, 'mlp_graphql_errors_total', { code: 'RATE_LIMITED' }) -
        value(before, 'mlp_graphql_errors_total', { code: 'RATE_LIMITED' }),
    ).toBe(1);
  });

  it('passes promtool check metrics', async () => {
    const { text } = await scrape(`${server.url}/metrics`);
    expect(promtool(text)).toBe('');
  });
});

describe('a training worker', () => {
  // A queue of their own, so no other test file's worker takes this job.
  const queuePrefix = `metrics-${randomUUID().slice(0, 8)}`;
  let server: TestServer;
  let worker: TestWorker;
  beforeAll(async () => {
    [server, worker] = await Promise.all([
      startServer({ QUEUE_PREFIX: queuePrefix }),
      startWorker({ QUEUE_PREFIX: queuePrefix }),
    ]);
  });
  afterAll(async () => {
    await worker?.stop();
    await server?.stop();
  });

  it('counts the jobs it ran by status, on its own /metrics, which promtool accepts', async () => {
    const user = await registerUser(server, 'metrics-train');
    const model = await createModel(server, user);
    const before = (await scrape(`${worker.url}/metrics`)).samples;
    const iris = readFileSync(new URL('./fixtures/iris.csv', import.meta.url));
    const started = await uploadFile(
      server,
      MetricsTrainDocument,
      {
        input: {
          modelId: model.id,
          dataset: null as unknown as File,
          labelColumn: 'species',
          algorithm: 'LOGISTIC_REGRESSION',
          epochs: 10,
        },
      },
      { bytes: iris, name: 'iris.csv', at: 'variables.input.dataset' },
      user.auth,
    );
    const id = started.data!.startTraining.id;
    let status = '';
    for (let i = 0; i < 300 && status !== 'SUCCEEDED' && status !== 'FAILED'; i++) {
      await sleep(100);
      status = (await execute(server, MetricsJobDocument, { id }, user.auth)).data?.trainingJob?.status ?? '';
    }
    expect(status).toBe('SUCCEEDED');
    // The worker lets the job go (and has counted it) a moment after the API can read it SUCCEEDED.
    let scraped: Awaited<ReturnType<typeof scrape>> | undefined;
    await expect
      .poll(async () => {
        scraped = await scrape(`${worker.url}/metrics`);
        return scraped.samples.get('mlp_training_queue_jobs{state="active"}');
      })
      .toBe(0);
    const { text, samples } = scraped!;
    for (const state of ['running', 'succeeded']) {
      const moved =
        value(samples, 'mlp_training_jobs_total', { status: state }) -
        value(before, 'mlp_training_jobs_total', { status: state });
      expect(moved).toBe(1);
    }
    // Every epoch timed, and the queue it took the job from is empty again.
    expect(
      value(samples, 'mlp_training_epoch_seconds_count') - value(before, 'mlp_training_epoch_seconds_count'),
    ).toBe(10);
    expect(samples.get('mlp_training_queue_jobs{state="waiting"}')).toBe(0);
    expect(samples.get('mlp_training_queue_jobs{state="active"}')).toBe(0);
    expect(promtool(text)).toBe('');
  });
});
