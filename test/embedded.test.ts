// The in-process stand-ins for Redis, as `npm start` runs them with no configuration: limits, the
// prediction cache, live events, key revocation and model metadata, all in memory, against the same
// expectations as the Redis-backed ones.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearModel } from './fixtures/onnx-models.ts';
import { graphql } from './gql/index.ts';
import { createModel, modelWithVersion, registerUser, uploadVersion } from './support/fixtures.ts';
import { errorCode, execute, run, startServer, type TestServer } from './support/server.ts';
import { connectSocket, type SocketClient, subscribe } from './support/ws.ts';

const EmbeddedPredictDocument = graphql(`
  mutation EmbeddedPredict($input: PredictInput!) {
    predict(input: $input) {
      id
      outputs
      cached
    }
  }
`);

const EmbeddedPredictionsDocument = graphql(`
  subscription EmbeddedPredictions {
    predictionCompleted {
      id
      outputs
    }
  }
`);

const EmbeddedCreatePredictionDocument = graphql(`
  mutation EmbeddedCreatePrediction($input: CreatePredictionInput!) {
    createPrediction(input: $input) {
      id
      status
      outputs
    }
  }
`);

const EmbeddedWebhookSecretDocument = graphql(`
  query EmbeddedWebhookSecret {
    predictionWebhookSecret
  }
`);

const EmbeddedCreateKeyDocument = graphql(`
  mutation EmbeddedCreateKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      secret
      apiKey {
        id
      }
    }
  }
`);

const EmbeddedRevokeKeyDocument = graphql(`
  mutation EmbeddedRevokeKey($id: ID!) {
    revokeApiKey(id: $id) {
      id
    }
  }
`);

const EmbeddedWhoAmIDocument = graphql(`
  query EmbeddedWhoAmI {
    me {
      id
    }
  }
`);

/** `y = 2a + 3b + 1`, and a second version `y = 2a + 3b + 100`. */
const V1 = linearModel([[2], [3]], [1]);
const V2 = linearModel([[2], [3]], [100]);

let server: TestServer;
const sockets: SocketClient[] = [];
const receivers: Server[] = [];
beforeAll(async () => {
  server = await startServer({
    REDIS_URL: '',
    RATE_LIMIT_FREE: '3,1000',
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
  });
});
afterAll(async () => {
  for (const socket of sockets) await socket.client.dispose();
  for (const receiver of receivers) receiver.close();
  await server.stop();
});

describe('without Redis', () => {
  it('limits predict per user in memory', async () => {
    const user = await registerUser(server);
    const { model } = await modelWithVersion(server, user, V1);
    const predict = () =>
      execute(server, EmbeddedPredictDocument, { input: { modelId: model.id, inputs: [[1, 1]] } }, user.auth);
    for (let i = 0; i < 3; i++) expect((await predict()).errors).toBeUndefined();
    const refused = await predict();
    expect(errorCode(refused)).toBe('RATE_LIMITED');
    expect(refused.errors![0]!.extensions!.retryAfter).toBeGreaterThan(0);
  });

  it('caches outputs in memory, and never serves those of a version that is no longer active', async () => {
    const user = await registerUser(server);
    const { model } = await modelWithVersion(server, user, V1);
    const predict = () =>
      run(server, EmbeddedPredictDocument, { input: { modelId: model.id, inputs: [[1, 1]] } }, user.auth);
    expect((await predict()).predict).toMatchObject({ cached: false, outputs: { logits: [[6]] } });
    expect((await predict()).predict).toMatchObject({ cached: true, outputs: { logits: [[6]] } });
    await uploadVersion(server, user, model.id, V2);
    expect((await predict()).predict).toMatchObject({ cached: false, outputs: { logits: [[105]] } });
  });

  it('runs queued predictions in this process, and sends their webhooks', async () => {
    const user = await registerUser(server);
    const { model } = await modelWithVersion(server, user, V1);
    const { predictionWebhookSecret } = await run(server, EmbeddedWebhookSecretDocument, {}, user.auth);
    const delivered = new Promise<{ body: string; headers: Record<string, string> }>((resolve) => {
      const receiver = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => {
          body += chunk;
        });
        request.on('end', () => {
          response.writeHead(204).end();
          receiver.close();
          resolve({ body, headers: request.headers as Record<string, string> });
        });
      }).listen(0, '127.0.0.1');
      receivers.push(receiver);
    });
    await once(receivers.at(-1)!, 'listening');
    const { port } = receivers.at(-1)!.address() as AddressInfo;
    const { createPrediction } = await run(
      server,
      EmbeddedCreatePredictionDocument,
      { input: { modelId: model.id, inputs: [[1, 2]], wait: 30, webhook: `http://127.0.0.1:${port}/done` } },
      user.auth,
    );
    expect(createPrediction).toMatchObject({ status: 'SUCCEEDED', outputs: { logits: [[9]] } });
    const { body, headers } = await delivered;
    expect(new Webhook(predictionWebhookSecret).verify(body, headers)).toMatchObject({
      type: 'prediction.completed',
      data: { id: createPrediction.id, outputs: { logits: [[9]] } },
    });
  });

  it('delivers live events to the user’s own subscribers only', async () => {
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'bob');
    const { model } = await modelWithVersion(server, alice, V1);
    const socketOf = (token: string) => {
      const socket = connectSocket(server, { authorization: `Bearer ${token}` });
      sockets.push(socket);
      return socket;
    };
    const aliceWatch = subscribe(socketOf(alice.token), EmbeddedPredictionsDocument, {});
    const bobWatch = subscribe(socketOf(bob.token), EmbeddedPredictionsDocument, {});
    await Promise.all([aliceWatch.ready, bobWatch.ready]);

    const { predict } = await run(
      server,
      EmbeddedPredictDocument,
      { input: { modelId: model.id, inputs: [[2, 0]] } },
      alice.auth,
    );
    const event = await aliceWatch.next();
    expect(event.data?.predictionCompleted).toEqual({ id: predict.id, outputs: { logits: [[5]] } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bobWatch.pending()).toEqual([]);
  });

  it('stops a revoked API key at once', async () => {
    const user = await registerUser(server);
    await createModel(server, user);
    const { createApiKey } = await run(
      server,
      EmbeddedCreateKeyDocument,
      { input: { name: 'ci' } },
      user.auth,
    );
    const key = { headers: { 'x-api-key': createApiKey.secret } };
    expect((await run(server, EmbeddedWhoAmIDocument, {}, key)).me.id).toBe(user.id);
    await run(server, EmbeddedRevokeKeyDocument, { id: createApiKey.apiKey.id }, user.auth);
    expect(errorCode(await execute(server, EmbeddedWhoAmIDocument, {}, key))).toBe('UNAUTHENTICATED');
  });
});
