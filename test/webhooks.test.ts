// Signed webhooks through the real server: two API instances and a worker on one PostgreSQL and Redis,
// delivering to a receiver in this process (node:http), verified with the standardwebhooks library.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { irisLikeClassifier, linearModel } from './fixtures/onnx-models.ts';
import { graphql } from './gql/index.ts';
import { createModel, modelWithVersion, registerUser, type TestUser } from './support/fixtures.ts';
import { errorCode, execute, run, startServer, type TestServer, uploadFile } from './support/server.ts';
import { startWorker, type TestWorker } from './support/worker.ts';

const CreateWebhookDocument = graphql(`
  mutation CreateWebhook($input: CreateWebhookInput!) {
    createWebhook(input: $input) {
      secret
      webhook {
        id
        url
        events
      }
    }
  }
`);

const RotateWebhookSecretDocument = graphql(`
  mutation RotateWebhookSecret($id: ID!) {
    rotateWebhookSecret(id: $id) {
      secret
    }
  }
`);

const DeleteWebhookDocument = graphql(`
  mutation DeleteWebhook($id: ID!) {
    deleteWebhook(id: $id)
  }
`);

const WebhooksDocument = graphql(`
  query Webhooks {
    webhooks {
      id
    }
  }
`);

const PredictionWebhookSecretDocument = graphql(`
  query PredictionWebhookSecret {
    predictionWebhookSecret
  }
`);

const DeliveriesDocument = graphql(`
  query WebhookDeliveries($webhookId: ID, $predictionId: ID, $first: Int) {
    webhookDeliveries(webhookId: $webhookId, predictionId: $predictionId, first: $first) {
      id
      event
      objectId
      status
      attempts
      lastStatusCode
      lastError
      deliveredAt
      nextAttemptAt
    }
  }
`);

const CreatePredictionDocument = graphql(`
  mutation WebhookedPrediction($input: CreatePredictionInput!) {
    createPrediction(input: $input) {
      id
    }
  }
`);

const TrainDocument = graphql(`
  mutation WebhookedTraining($input: StartTrainingInput!) {
    startTraining(input: $input) {
      id
    }
  }
`);

type Received = { path: string; headers: IncomingHttpHeaders; body: string };
type Payload = { type: string; timestamp: string; data: Record<string, unknown> };

/**
 * A webhook receiver: every request it gets, by path. Paths starting `/fail-once/` answer 500 to the
 * first delivery of each `webhook-id`, `/fail/` always 500; the rest 204.
 */
async function startReceiver() {
  const received: Received[] = [];
  const failedOnce = new Set<string>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '';
      received.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      const id = String(request.headers['webhook-id']);
      const fail = path.startsWith('/fail/') || (path.startsWith('/fail-once/') && !failedOnce.has(id));
      if (path.startsWith('/fail-once/')) failedOnce.add(id);
      response.writeHead(fail ? 500 : 204).end(fail ? 'receiver down' : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    /** What reached `path` so far, in the order it came. */
    seen: (path: string) => received.filter((request) => request.path === path),
    /** Waits until `count` requests reached `path`, and returns them in the order they came. */
    async at(path: string, count: number, timeoutMs = 20_000): Promise<Received[]> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const got = received.filter((request) => request.path === path);
        if (got.length >= count) return got;
        if (Date.now() > deadline) throw new Error(`${got.length} of ${count} deliveries reached ${path}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The payload, once the library has checked its signature and timestamp with `secret`. */
function verified(secret: string, request: Received): Payload {
  const headers = Object.fromEntries(
    ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => [
      name,
      String(request.headers[name]),
    ]),
  );
  return new Webhook(secret).verify(request.body, headers) as Payload;
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let a: TestServer;
let b: TestServer;
let worker: TestWorker;

const env = {
  QUEUE_PREFIX: `webhooks-${randomUUID().slice(0, 8)}`,
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
  WEBHOOK_RETRY_SECONDS: '1,1,1',
  WEBHOOK_TIMEOUT_MS: '2000',
};

beforeAll(async () => {
  receiver = await startReceiver();
  [a, b, worker] = await Promise.all([startServer(env), startServer(env), startWorker(env)]);
});
afterAll(async () => {
  await worker?.stop();
  await Promise.all([a?.stop(), b?.stop()]);
  await receiver?.close();
});

async function createWebhook(user: TestUser, path: string, events: string[]) {
  const { createWebhook } = await run(
    a,
    CreateWebhookDocument,
    { input: { url: `${receiver.url}${path}`, events: events as never } },
    user.auth,
  );
  return createWebhook;
}

describe('webhooks', () => {
  it('deliver signed events: a new version, and a queued prediction’s start and end in order', async () => {
    const user = await registerUser(a);
    const path = `/all/${randomUUID()}`;
    const { secret, webhook } = await createWebhook(user, path, [
      'MODEL_VERSION_CREATED',
      'PREDICTION_COMPLETED',
    ]);
    expect(secret).toMatch(/^whsec_/);
    const { model, version } = await modelWithVersion(b, user, irisLikeClassifier());
    const [created] = await receiver.at(path, 1);
    const versionEvent = verified(secret, created!);
    expect(versionEvent).toMatchObject({
      type: 'model_version.created',
      data: { id: version.id, modelId: model.id, version: 1, active: true },
    });
    // Signed with another secret, it does not verify.
    expect(() => verified(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, created!)).toThrow();

    // A prediction's own webhook, signed with the user's prediction webhook secret (read afterwards:
    // it is made with the first prediction that has a webhook).
    const own = `/own/${randomUUID()}`;
    const { createPrediction } = await run(
      b,
      CreatePredictionDocument,
      {
        input: {
          modelId: model.id,
          inputs: [[5.1, 3.5, 1.4, 0.2]],
          webhook: `${receiver.url}${own}`,
          webhookEvents: ['START', 'COMPLETED'],
        },
      },
      user.auth,
    );
    const { predictionWebhookSecret } = await run(a, PredictionWebhookSecretDocument, {}, user.auth);
    const [started, completed] = (await receiver.at(own, 2)).map((request) =>
      verified(predictionWebhookSecret, request),
    );
    expect(started).toMatchObject({
      type: 'prediction.started',
      data: { id: createPrediction.id, status: 'PROCESSING' },
    });
    expect(completed).toMatchObject({
      type: 'prediction.completed',
      data: { id: createPrediction.id, status: 'SUCCEEDED' },
    });
    expect(Object.keys(completed!.data.outputs as object).length).toBeGreaterThan(0);
    // The user's webhook, subscribed to completions, is told too; not of the start.
    const [, userCompleted] = await receiver.at(path, 2);
    expect(verified(secret, userCompleted!)).toMatchObject({
      type: 'prediction.completed',
      data: { id: createPrediction.id },
    });

    // The worker writes DELIVERED once the receiver's answer is back, a moment after the receiver has it.
    await expect
      .poll(async () => {
        const log = await run(a, DeliveriesDocument, { webhookId: webhook.id }, user.auth);
        return log.webhookDeliveries.map((d) => [d.event, d.status, d.attempts, d.lastStatusCode]);
      })
      .toEqual([
        ['prediction.completed', 'DELIVERED', 1, 204],
        ['model_version.created', 'DELIVERED', 1, 204],
      ]);
    const ownLog = await run(a, DeliveriesDocument, { predictionId: createPrediction.id }, user.auth);
    expect(ownLog.webhookDeliveries.map((d) => d.event)).toEqual([
      'prediction.completed',
      'prediction.started',
    ]);
  });

  it('retry a delivery the receiver answered 500, with the same id, and give up after the last retry', async () => {
    const user = await registerUser(a);
    const flaky = `/fail-once/${randomUUID()}`;
    const down = `/fail/${randomUUID()}`;
    const first = await createWebhook(user, flaky, ['MODEL_VERSION_CREATED']);
    const second = await createWebhook(user, down, ['MODEL_VERSION_CREATED']);
    await modelWithVersion(b, user, linearModel([[1], [2]], [0]));
    const [failed, retried] = await receiver.at(flaky, 2);
    expect(retried!.headers['webhook-id']).toBe(failed!.headers['webhook-id']);
    expect(verified(first.secret, retried!).type).toBe('model_version.created');
    const waitForLog = async (webhookId: string, status: string) => {
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
        const log = await run(a, DeliveriesDocument, { webhookId }, user.auth);
        if (log.webhookDeliveries[0]?.status === status) return log.webhookDeliveries[0];
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`no ${status} delivery`);
    };
    expect(await waitForLog(first.webhook.id, 'DELIVERED')).toMatchObject({
      attempts: 2,
      lastStatusCode: 204,
    });
    // WEBHOOK_RETRY_SECONDS=1,1,1: four attempts in all, then FAILED with the receiver's last answer.
    expect(await waitForLog(second.webhook.id, 'FAILED')).toMatchObject({
      attempts: 4,
      lastStatusCode: 500,
      lastError: 'receiver down',
      nextAttemptAt: null,
    });
    expect(await receiver.at(down, 4)).toHaveLength(4);
  });

  it('tell a training job’s updates in the order they happened', async () => {
    const user = await registerUser(a);
    const path = `/training/${randomUUID()}`;
    const { secret } = await createWebhook(user, path, ['TRAINING_JOB_UPDATED']);
    const model = await createModel(a, user);
    const iris = readFileSync(new URL('./fixtures/iris.csv', import.meta.url));
    const started = await uploadFile(
      b,
      TrainDocument,
      {
        input: {
          modelId: model.id,
          dataset: null as unknown as File,
          labelColumn: 'species',
          algorithm: 'LOGISTIC_REGRESSION',
          epochs: 20,
        },
      },
      { bytes: iris, name: 'iris.csv', at: 'variables.input.dataset' },
      user.auth,
    );
    const jobId = started.data!.startTraining.id;
    let updates: Payload[] = [];
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      updates = receiver.seen(path).map((request) => verified(secret, request));
      if (updates.at(-1)?.data.status === 'SUCCEEDED') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(
      updates.every((update) => update.type === 'training_job.updated' && update.data.id === jobId),
    ).toBe(true);
    const statuses = updates.map((update) => update.data.status);
    expect(statuses[0]).toBe('QUEUED');
    expect(statuses.at(-1)).toBe('SUCCEEDED');
    // In order: each status after the one before it, progress never going back.
    const rank = ['QUEUED', 'RUNNING', 'SUCCEEDED'];
    for (let i = 1; i < statuses.length; i++) {
      expect(rank.indexOf(String(statuses[i]))).toBeGreaterThanOrEqual(rank.indexOf(String(statuses[i - 1])));
      expect(Number(updates[i]!.data.progress)).toBeGreaterThanOrEqual(Number(updates[i - 1]!.data.progress));
    }
  });

  it('sign with a rotated secret from the next delivery on', async () => {
    const user = await registerUser(a);
    const path = `/rotated/${randomUUID()}`;
    const { secret: old, webhook } = await createWebhook(user, path, ['MODEL_VERSION_CREATED']);
    const { rotateWebhookSecret } = await run(b, RotateWebhookSecretDocument, { id: webhook.id }, user.auth);
    await modelWithVersion(b, user, linearModel([[1], [2]], [0]));
    const [delivery] = await receiver.at(path, 1);
    expect(verified(rotateWebhookSecret.secret, delivery!).type).toBe('model_version.created');
    expect(() => verified(old, delivery!)).toThrow();
  });

  it('stop when deleted, retries still pending included', async () => {
    const user = await registerUser(a);
    const down = `/fail/${randomUUID()}`;
    const { webhook } = await createWebhook(user, down, ['MODEL_VERSION_CREATED']);
    await modelWithVersion(b, user, linearModel([[1], [2]], [0]));
    await receiver.at(down, 1);
    // Failed once, its next attempt a second away (WEBHOOK_RETRY_SECONDS=1,1,1): deleted now.
    expect((await run(a, DeleteWebhookDocument, { id: webhook.id }, user.auth)).deleteWebhook).toBe(true);
    expect((await run(a, WebhooksDocument, {}, user.auth)).webhooks).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 3500));
    // Undeleted, it would have been tried four times by now; one attempt already under way may land.
    expect(receiver.seen(down).length).toBeLessThanOrEqual(2);
    expect(
      (await run(a, DeliveriesDocument, { webhookId: webhook.id }, user.auth)).webhookDeliveries,
    ).toEqual([]);
  });
});

describe('a user’s webhooks', () => {
  it('are at most twenty, even created at once on two instances', async () => {
    const user = await registerUser(a);
    const created = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        execute(
          i % 2 ? a : b,
          CreateWebhookDocument,
          { input: { url: `${receiver.url}/many/${i}`, events: ['MODEL_VERSION_CREATED'] } },
          user.auth,
        ),
      ),
    );
    expect(created.filter((result) => !result.errors).length).toBe(20);
    expect(created.filter((result) => result.errors?.[0]?.extensions?.code === 'BAD_USER_INPUT').length).toBe(
      5,
    );
    expect((await run(a, WebhooksDocument, {}, user.auth)).webhooks).toHaveLength(20);
  });
});

describe('the delivery log', () => {
  it('is read newest first, as many as `first` asks, from 1 to 100', async () => {
    const user = await registerUser(a);
    const { webhook } = await createWebhook(user, `/log/${randomUUID()}`, ['MODEL_VERSION_CREATED']);
    const models = [await modelWithVersion(a, user, linearModel([[1]], [0]))];
    models.push(await modelWithVersion(a, user, linearModel([[2]], [0])));
    await expect
      .poll(
        async () =>
          (await run(a, DeliveriesDocument, { webhookId: webhook.id }, user.auth)).webhookDeliveries.length,
      )
      .toBe(2);
    const newest = await run(a, DeliveriesDocument, { webhookId: webhook.id, first: 1 }, user.auth);
    expect(newest.webhookDeliveries.map((delivery) => delivery.objectId)).toEqual([models[1]!.version.id]);
    for (const first of [0, -3, 101]) {
      const refused = await execute(a, DeliveriesDocument, { webhookId: webhook.id, first }, user.auth);
      expect(errorCode(refused)).toBe('BAD_USER_INPUT');
      expect(refused.errors![0]!.message).toBe('first must be from 1 to 100');
    }
  });
});

describe('webhook URLs', () => {
  it('are refused when private, loopback or link-local, unless the server allows them', async () => {
    const strict = await startServer({ QUEUE_PREFIX: env.QUEUE_PREFIX });
    try {
      const user = await registerUser(strict);
      for (const url of [
        `${receiver.url}/private`,
        'http://localhost:8080/',
        'http://169.254.169.254/latest/meta-data/',
        'http://10.0.0.7/hook',
        'http://[::1]/hook',
        'http://[::ffff:127.0.0.1]/hook',
        'http://[fd00::1]/hook',
        'file:///etc/passwd',
        'http://user:password@example.com/hook',
      ]) {
        const refused = await execute(
          strict,
          CreateWebhookDocument,
          { input: { url, events: ['MODEL_VERSION_CREATED'] } },
          user.auth,
        );
        expect([url, errorCode(refused)]).toEqual([url, 'BAD_USER_INPUT']);
      }
      const { model } = await modelWithVersion(strict, user, irisLikeClassifier());
      const prediction = await execute(
        strict,
        CreatePredictionDocument,
        { input: { modelId: model.id, inputs: [[5.1, 3.5, 1.4, 0.2]], webhook: 'http://127.0.0.1:9/' } },
        user.auth,
      );
      expect(errorCode(prediction)).toBe('BAD_USER_INPUT');
      expect(prediction.errors?.[0]?.extensions?.field).toBe('webhook');
      expect((await run(strict, WebhooksDocument, {}, user.auth)).webhooks).toEqual([]);
    } finally {
      await strict.stop();
    }
  });
});
