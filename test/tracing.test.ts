// OpenTelemetry tracing: an OTLP/HTTP receiver (a few lines of node:http) collects what an API instance
// and a training worker send, and finds one trace per predict (API and inference process) and per
// training job (API, queue and worker), the caller's own trace continued, and the ids in logs.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearModel } from './fixtures/onnx-models.ts';
import { graphql } from './gql/index.ts';
import { createModel, modelWithVersion, registerUser } from './support/fixtures.ts';
import { execute, startServer, type TestServer, uploadFile } from './support/server.ts';
import { startWorker, type TestWorker } from './support/worker.ts';

const TracedPredictDocument = graphql(`
  mutation TracedPredict($input: PredictInput!) {
    predict(input: $input) {
      id
      cached
    }
  }
`);

const TracedTrainDocument = graphql(`
  mutation TracedTrain($input: StartTrainingInput!) {
    startTraining(input: $input) {
      id
    }
  }
`);

const TracedCreatePredictionDocument = graphql(`
  mutation TracedCreatePrediction($input: CreatePredictionInput!) {
    createPrediction(input: $input) {
      id
      status
    }
  }
`);

const TracedJobDocument = graphql(`
  query TracedJob($id: ID!) {
    trainingJob(id: $id) {
      status
    }
  }
`);

type OtlpValue = {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
};
type OtlpAttribute = { key: string; value: OtlpValue };
type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: OtlpAttribute[];
  links?: { traceId: string; spanId: string }[];
  events?: { name: string; timeUnixNano: string; attributes?: OtlpAttribute[] }[];
  status?: { code?: number };
};
type OtlpRequest = {
  resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
};

/** A span as received, with its process's service name and its attributes as plain values. */
type ReceivedSpan = {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: number;
  service: string;
  start: number;
  end: number;
  attributes: Record<string, unknown>;
  links: string[];
  events: { name: string; time: number; attributes: Record<string, unknown> }[];
};

const epochMs = (unixNano: string) => Number(BigInt(unixNano) / 1000n) / 1000;

const SPAN_KIND = { SERVER: 2, PRODUCER: 4, CONSUMER: 5 };

function plain(attributes: OtlpAttribute[] = []): Record<string, unknown> {
  return Object.fromEntries(
    attributes.map(({ key, value }) => [
      key,
      value.stringValue ??
        (value.intValue === undefined ? undefined : Number(value.intValue)) ??
        value.doubleValue ??
        value.boolValue,
    ]),
  );
}

/** An OTLP/HTTP (JSON) trace receiver: what a collector would get. */
async function startReceiver() {
  const spans: ReceivedSpan[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces' && request.headers['content-type'] === 'application/json') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpRequest;
        for (const { resource, scopeSpans } of body.resourceSpans) {
          const service = String(plain(resource.attributes)['service.name']);
          for (const span of scopeSpans.flatMap((scope) => scope.spans)) {
            spans.push({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId || null,
              name: span.name,
              kind: span.kind,
              service,
              start: epochMs(span.startTimeUnixNano),
              end: epochMs(span.endTimeUnixNano),
              attributes: plain(span.attributes),
              links: (span.links ?? []).map((link) => link.spanId),
              events: (span.events ?? []).map((event) => ({
                name: event.name,
                time: epochMs(event.timeUnixNano),
                attributes: plain(event.attributes),
              })),
            });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    /** Waits until the spans received satisfy `done`, and returns them. */
    async until(done: (spans: ReceivedSpan[]) => boolean, timeoutMs = 15_000): Promise<ReceivedSpan[]> {
      const deadline = Date.now() + timeoutMs;
      while (!done(spans)) {
        if (Date.now() > deadline) throw new Error(`spans never arrived; got ${spans.map((s) => s.name)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return spans;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The one span of `trace` named `name`. */
function only(trace: ReceivedSpan[], name: string): ReceivedSpan {
  const named = trace.filter((span) => span.name === name);
  expect(named.map((span) => span.name)).toEqual([name]);
  return named[0]!;
}

/**
 * Whether spans of each name have arrived for the trace: each process exports its own, in batches, so
 * the inference process's may come before the API's or after.
 */
const hasSpans = (all: ReceivedSpan[], traceId: string, names: string[]) =>
  names.every((name) => all.some((span) => span.traceId === traceId && span.name === name));

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let server: TestServer;
let worker: TestWorker;

beforeAll(async () => {
  receiver = await startReceiver();
  const otel = {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '50',
    // A queue of their own, so no other test file's worker takes these jobs.
    QUEUE_PREFIX: `tracing-${randomUUID().slice(0, 8)}`,
  };
  [server, worker] = await Promise.all([startServer(otel), startWorker(otel, { logs: true })]);
});
afterAll(async () => {
  await worker?.stop();
  await server?.stop();
  await receiver?.close();
});

describe('a predict', () => {
  it('is one trace, continuing the caller’s, from the API into the inference process', async () => {
    const user = await registerUser(server, 'traced');
    const { model } = await modelWithVersion(server, user, linearModel([[1], [2]], [0]));
    const [callerTrace, callerSpan] = [hex(16), hex(8)];
    const response = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${user.token}`,
        traceparent: `00-${callerTrace}-${callerSpan}-01`,
        'x-request-id': 'client-request-1',
      },
      body: JSON.stringify({
        query: print(TracedPredictDocument),
        variables: { input: { modelId: model.id, inputs: [[1, 2]] } },
      }),
    });
    const body = (await response.json()) as { data: unknown; extensions: Record<string, unknown> };
    expect(body.data).toMatchObject({ predict: { cached: false } });
    expect(body.extensions).toMatchObject({ traceId: callerTrace, requestId: 'client-request-1' });
    expect(response.headers.get('x-request-id')).toBe('client-request-1');

    const spans = await receiver.until((all) => hasSpans(all, callerTrace, ['inference', 'POST /graphql']));
    const trace = spans.filter((span) => span.traceId === callerTrace);
    const http = only(trace, 'POST /graphql');
    expect(http).toMatchObject({ parentSpanId: callerSpan, kind: SPAN_KIND.SERVER, service: 'mlp-api' });
    expect(http.attributes).toMatchObject({ 'http.route': '/graphql', 'http.response.status_code': 200 });
    const operation = only(trace, 'mutation predict');
    expect(operation.parentSpanId).toBe(http.spanId);
    // The operation says which version ran, and which prediction it made.
    const [predict, ...more] = operation.events.filter((event) => event.name === 'predict');
    expect(more).toEqual([]);
    expect(predict?.attributes).toMatchObject({
      'mlp.prediction.id': (body.data as { predict: { id: string } }).predict.id,
      'mlp.model.id': model.id,
      'mlp.prediction.cached': false,
    });
    // Beneath it: the limits, the cache, and the inference: the wait for a worker, then the run itself as
    // the worker process measured it.
    for (const name of ['rate limit', 'cache lookup', 'inference'])
      expect(only(trace, name).parentSpanId).toBe(operation.spanId);
    const inference = only(trace, 'inference');
    expect(inference.attributes['mlp.inference.isolation']).toBe('process');
    expect(inference.attributes['process.pid']).not.toBe(process.pid);
    expect(inference.attributes['mlp.inference.batch_rows']).toBe(1);
    const [dispatched, started] = inference.events;
    expect(inference.events.map((event) => event.name)).toEqual(['dispatched', 'run started']);
    expect(inference.start).toBeLessThanOrEqual(dispatched!.time);
    expect(dispatched!.time).toBeLessThanOrEqual(started!.time);
    expect(started!.time).toBeLessThanOrEqual(inference.end);
    expect(inference.end).toBeLessThanOrEqual(operation.end);

    // History is written later, in a batch: a span of its own, linked to the operations it wrote for.
    const written = await receiver.until((all) =>
      all.some((span) => span.name === 'history write' && span.links.includes(operation.spanId)),
    );
    expect(written.find((span) => span.links.includes(operation.spanId))?.traceId).not.toBe(callerTrace);
  });

  it('starts a trace of its own without a caller’s, and every response carries a request id', async () => {
    const user = await registerUser(server, 'traced-new');
    const { model } = await modelWithVersion(server, user, linearModel([[1], [2]], [0]));
    const result = await execute(
      server,
      TracedPredictDocument,
      { input: { modelId: model.id, inputs: [[3, 4]] } },
      { ...user.auth, headers: { 'x-request-id': 'x'.repeat(300) } },
    );
    const { traceId, requestId } = result.extensions as { traceId: string; requestId: string };
    expect(traceId).toMatch(/^[\da-f]{32}$/);
    // A request id no log line should carry (too long) is replaced by one of the server's.
    expect(requestId).toMatch(/^[\da-f-]{36}$/);
    const spans = await receiver.until((all) => hasSpans(all, traceId, ['inference', 'POST /graphql']));
    expect(
      only(
        spans.filter((span) => span.traceId === traceId),
        'POST /graphql',
      ).parentSpanId,
    ).toBeNull();
  });
});

/**
 * The trace ids of the calls the sampler took, of `count` made one after another at a ratio of one half:
 * some but not all (all or none of twenty would be 2 chances in a million).
 */
async function sampledOf(
  count: number,
  call: (i: number) => Promise<{ extensions?: Record<string, unknown> }>,
): Promise<string[]> {
  const traceIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const traceId = (await call(i)).extensions?.traceId;
    if (typeof traceId === 'string') traceIds.push(traceId);
  }
  expect(traceIds.length).toBeGreaterThan(0);
  expect(traceIds.length).toBeLessThan(count);
  return traceIds;
}

describe('one trace in N', () => {
  it('traces the requests it samples whole and leaves no span of the others; a caller’s sampled trace goes on', async () => {
    const sampled = await startServer({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '50',
      OTEL_SERVICE_NAME: 'mlp-sampled',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.5',
    });
    try {
      const user = await registerUser(sampled, 'sampled');
      const { model } = await modelWithVersion(sampled, user, linearModel([[1], [2]], [0]));
      const traceIds = await sampledOf(24, async (i) => {
        const result = await execute(
          sampled,
          TracedPredictDocument,
          { input: { modelId: model.id, inputs: [[i, 1]] } },
          user.auth,
        );
        expect(result.data?.predict.cached).toBe(false);
        return result;
      });

      // A caller's sampled trace is always continued, whatever the ratio.
      const [callerTrace, callerSpan] = [hex(16), hex(8)];
      const continued = await execute(
        sampled,
        TracedPredictDocument,
        { input: { modelId: model.id, inputs: [[99, 1]] } },
        { ...user.auth, headers: { traceparent: `00-${callerTrace}-${callerSpan}-01` } },
      );
      expect(continued.extensions?.traceId).toBe(callerTrace);

      const predicts = [...traceIds, callerTrace];
      const spans = await receiver.until((all) =>
        // The HTTP span ends last, after every span beneath it.
        predicts.every((id) => all.some((span) => span.traceId === id && span.name === 'POST /graphql')),
      );
      // Every sampled predict arrived whole, and nothing else is a predict's; no step is a trace of its
      // own (a turned-down request's rate limit, cache lookup or inference, sampled on its own). Sign-up
      // and upload are traces of their own, sampled at the same ratio.
      const own = spans.filter((span) => span.service === 'mlp-sampled');
      const predictTraces = new Set(
        own.filter((span) => span.name === 'mutation predict').map((span) => span.traceId),
      );
      expect([...predictTraces].sort()).toEqual([...predicts].sort());
      for (const traceId of predicts) {
        // Each inference process loads the version's session on its first predict: those have a load too.
        const names = own
          .filter((span) => span.traceId === traceId && span.name !== 'inference load')
          .map((span) => span.name);
        expect(names.sort()).toEqual(
          ['POST /graphql', 'cache lookup', 'inference', 'mutation predict', 'rate limit'].sort(),
        );
      }
      const steps = own.filter((span) =>
        ['rate limit', 'cache lookup', 'inference', 'inference load'].includes(span.name),
      );
      for (const step of steps) expect(own.map((span) => span.spanId)).toContain(step.parentSpanId);
    } finally {
      await sampled.stop();
    }
  });

  it('without parent-basing, keeps a sampled request’s queued work in its trace on the worker', async () => {
    // The worker takes the job under the API's trace, a remote parent: a sampler that is not
    // parent-based decides again there, by the same trace id, and must decide alike.
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '50',
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.5',
      QUEUE_PREFIX: `tracing-ratio-${randomUUID().slice(0, 8)}`,
    };
    const [api, ratioWorker] = await Promise.all([
      startServer({ ...otel, OTEL_SERVICE_NAME: 'mlp-ratio' }),
      startWorker({ ...otel, OTEL_SERVICE_NAME: 'mlp-ratio-worker' }),
    ]);
    try {
      const user = await registerUser(api, 'ratio');
      const { model } = await modelWithVersion(api, user, linearModel([[1], [2]], [0]));
      const traceIds = await sampledOf(20, async (i) => {
        const result = await execute(
          api,
          TracedCreatePredictionDocument,
          { input: { modelId: model.id, inputs: [[i, 2]], wait: 30 } },
          user.auth,
        );
        expect(result.data?.createPrediction.status).toBe('SUCCEEDED');
        return result;
      });
      // The job's span ends after every other span of the job on the worker.
      const spans = await receiver.until((all) =>
        traceIds.every((id) => all.some((span) => span.traceId === id && span.name === 'prediction job')),
      );
      for (const traceId of traceIds) {
        const onWorker = spans.filter(
          (span) => span.traceId === traceId && span.service === 'mlp-ratio-worker',
        );
        expect(
          onWorker.map((span) => span.name),
          traceId,
        ).toEqual(expect.arrayContaining(['prediction queued', 'prediction job', 'inference']));
      }
    } finally {
      await Promise.all([ratioWorker.stop(), api.stop()]);
    }
  });
});

describe('a training job', () => {
  it('is one trace from the API through the queue into the worker, epoch by epoch', async () => {
    const user = await registerUser(server, 'traced-train');
    const model = await createModel(server, user);
    const iris = readFileSync(new URL('./fixtures/iris.csv', import.meta.url));
    const epochs = 5;
    const started = await uploadFile(
      server,
      TracedTrainDocument,
      {
        input: {
          modelId: model.id,
          dataset: null as unknown as File,
          labelColumn: 'species',
          algorithm: 'LOGISTIC_REGRESSION',
          epochs,
        },
      },
      { bytes: iris, name: 'iris.csv', at: 'variables.input.dataset' },
      user.auth,
    );
    const jobId = started.data!.startTraining.id;
    const traceId = started.extensions?.traceId as string;
    expect(traceId).toMatch(/^[\da-f]{32}$/);

    const spans = await receiver.until(
      (all) => all.some((span) => span.traceId === traceId && span.name === 'training job'),
      30_000,
    );
    const status = await execute(server, TracedJobDocument, { id: jobId }, user.auth);
    expect(status.data?.trainingJob?.status).toBe('SUCCEEDED');
    const trace = spans.filter((span) => span.traceId === traceId);

    const operation = only(trace, 'mutation startTraining');
    const enqueue = only(trace, 'training enqueue');
    expect(enqueue).toMatchObject({ service: 'mlp-api', kind: SPAN_KIND.PRODUCER });
    expect(enqueue.parentSpanId).toBe(operation.spanId);
    const queued = only(trace, 'training queued');
    const job = only(trace, 'training job');
    for (const span of [queued, job]) expect(span.parentSpanId).toBe(enqueue.spanId);
    expect(job).toMatchObject({ service: 'mlp-worker', kind: SPAN_KIND.CONSUMER });
    expect(job.attributes['mlp.training_job.id']).toBe(jobId);
    expect(queued.end).toBeLessThanOrEqual(job.start + 1);

    // One span per progress report, covering every epoch since the one before: all five, in order.
    const epochSpans = trace
      .filter((span) => span.name === 'training epoch')
      .sort((x, y) => x.start - y.start);
    expect(epochSpans.at(-1)?.attributes['mlp.training.epoch']).toBe(epochs);
    expect(epochSpans.reduce((sum, span) => sum + Number(span.attributes['mlp.training.epochs']), 0)).toBe(
      epochs,
    );
    for (const [i, span] of epochSpans.entries()) {
      expect(span.parentSpanId).toBe(job.spanId);
      expect(span.attributes['mlp.training.loss']).toBeTypeOf('number');
      if (i > 0) expect(span.start).toBeGreaterThanOrEqual(epochSpans[i - 1]!.end);
    }
    for (const name of ['training export', 'training publish']) {
      expect(only(trace, name).parentSpanId).toBe(job.spanId);
    }

    // The worker's log lines about the job carry its trace.
    const logged = worker.logs.filter((line) => line.jobId === jobId);
    expect(logged.map((line) => line.msg)).toEqual(['training job started', 'training job finished']);
    for (const line of logged) expect(line.traceId).toBe(traceId);
  });
});
