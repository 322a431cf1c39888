import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearModel } from './fixtures/onnx-models.ts';
import { graphql } from './gql/index.ts';
import { createModel, PredictDocument, registerUser, uploadVersion } from './support/fixtures.ts';
import { run, signToken, startServer, type TestServer } from './support/server.ts';
import { connectSocket, type SocketClient, subscribe } from './support/ws.ts';

const PredictionCompletedDocument = graphql(`
  subscription PredictionCompleted($modelId: ID) {
    predictionCompleted(modelId: $modelId) {
      id
      outputs
      cached
      model {
        id
        name
      }
      version {
        version
      }
    }
  }
`);

const ModelUpdatedDocument = graphql(`
  subscription ModelUpdated($modelId: ID) {
    modelUpdated(modelId: $modelId) {
      id
      name
      deleted
      activeVersion {
        version
      }
    }
  }
`);

const RenameModelDocument = graphql(`
  mutation RenameModel($id: ID!, $name: String!) {
    updateModel(input: { id: $id, name: $name }) {
      id
    }
  }
`);

const RemoveModelDocument = graphql(`
  mutation RemoveModel($id: ID!) {
    deleteModel(id: $id)
  }
`);

const IssueKeyDocument = graphql(`
  mutation IssueKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      secret
      apiKey {
        id
      }
    }
  }
`);

const RevokeKeyDocument = graphql(`
  mutation RevokeKey($id: ID!) {
    revokeApiKey(id: $id) {
      id
    }
  }
`);

const MODEL = linearModel([[2], [3]], [1]);
const sockets: SocketClient[] = [];
const open = (server: TestServer, params: Record<string, string>) => {
  const socket = connectSocket(server, params);
  sockets.push(socket);
  return socket;
};

let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  // Two instances behind an imaginary load balancer: events must cross between them through Redis.
  [a, b] = await Promise.all([startServer(), startServer()]);
});
afterAll(async () => {
  for (const socket of sockets) await socket.client.dispose();
  await Promise.all([a.stop(), b.stop()]);
});

describe('predictionCompleted', () => {
  it('delivers a user’s predictions made on another instance, fully resolved, and nobody else’s', async () => {
    const alice = await registerUser(a, 'alice');
    const bob = await registerUser(a, 'bob');
    const model = await createModel(a, alice, 'alice-model');
    await uploadVersion(a, alice, model.id, MODEL);
    const bobsModel = await createModel(a, bob);
    await uploadVersion(a, bob, bobsModel.id, MODEL);

    const aliceWatch = subscribe(
      open(a, { authorization: `Bearer ${alice.token}` }),
      PredictionCompletedDocument,
      {},
    );
    const bobWatch = subscribe(
      open(a, { authorization: `Bearer ${bob.token}` }),
      PredictionCompletedDocument,
      {},
    );
    await Promise.all([aliceWatch.ready, bobWatch.ready]);

    const { predict } = await run(
      b,
      PredictDocument,
      { input: { modelId: model.id, inputs: [[1, 1]] } },
      alice.auth,
    );
    const event = await aliceWatch.next();
    expect(event.errors).toBeUndefined();
    expect(event.data?.predictionCompleted).toEqual({
      id: predict.id,
      outputs: { logits: [[6]] },
      cached: false,
      model: { id: model.id, name: 'alice-model' },
      version: { version: 1 },
    });

    // Bob's own prediction is the first thing Bob hears of: Alice's never reached him.
    const own = await run(
      b,
      PredictDocument,
      { input: { modelId: bobsModel.id, inputs: [[0, 0]] } },
      bob.auth,
    );
    expect((await bobWatch.next()).data?.predictionCompleted.id).toBe(own.predict.id);
    expect(bobWatch.pending()).toEqual([]);
  });

  it('filters by model on the server', async () => {
    const user = await registerUser(a);
    const first = await createModel(a, user);
    const second = await createModel(a, user);
    await uploadVersion(a, user, first.id, MODEL);
    await uploadVersion(a, user, second.id, MODEL);
    const watch = subscribe(open(b, { authorization: `Bearer ${user.token}` }), PredictionCompletedDocument, {
      modelId: second.id,
    });
    await watch.ready;
    await run(a, PredictDocument, { input: { modelId: first.id, inputs: [[1, 1]] } }, user.auth);
    const wanted = await run(
      a,
      PredictDocument,
      { input: { modelId: second.id, inputs: [[1, 1]] } },
      user.auth,
    );
    expect((await watch.next()).data?.predictionCompleted.id).toBe(wanted.predict.id);
  });
});

describe('modelUpdated', () => {
  it('announces new versions, renames and deletion', async () => {
    const user = await registerUser(a);
    const model = await createModel(a, user, 'before');
    const watch = subscribe(open(b, { authorization: `Bearer ${user.token}` }), ModelUpdatedDocument, {
      modelId: model.id,
    });
    await watch.ready;

    await uploadVersion(a, user, model.id, MODEL);
    expect((await watch.next()).data?.modelUpdated).toEqual({
      id: model.id,
      name: 'before',
      deleted: false,
      activeVersion: { version: 1 },
    });
    await run(a, RenameModelDocument, { id: model.id, name: 'after' }, user.auth);
    expect((await watch.next()).data?.modelUpdated).toMatchObject({ name: 'after', deleted: false });
    await run(a, RemoveModelDocument, { id: model.id }, user.auth);
    expect((await watch.next()).data?.modelUpdated).toMatchObject({
      id: model.id,
      name: 'after',
      deleted: true,
    });
  });
});

describe('socket authentication', () => {
  it('closes a connection without valid credentials with 4403', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer nonsense' },
      { 'x-api-key': 'mlp_nope' },
    ];
    for (const params of attempts) {
      const socket = open(a, params);
      expect((await socket.closed).code).toBe(4403);
    }
  });

  it('accepts an API key, and enforces its scopes', async () => {
    const user = await registerUser(a);
    const model = await createModel(a, user);
    await uploadVersion(a, user, model.id, MODEL);
    const { createApiKey: reader } = await run(
      a,
      IssueKeyDocument,
      { input: { name: 'r', scopes: ['MODELS_READ'] } },
      user.auth,
    );
    const socket = open(b, { 'x-api-key': reader.secret });
    const refused = await subscribe(socket, PredictionCompletedDocument, {}).next();
    expect(refused.errors?.[0]?.message).toMatch(/lacks the PREDICT scope/);
    const watch = subscribe(socket, ModelUpdatedDocument, {});
    await watch.ready;
    await run(a, RenameModelDocument, { id: model.id, name: 'seen-by-key' }, user.auth);
    expect((await watch.next()).data?.modelUpdated.name).toBe('seen-by-key');
  });

  it('closes the socket with 4403 when its JWT expires', async () => {
    const user = await registerUser(a);
    // Two to three seconds left: the socket is surely accepted before it expires, even on a loaded machine.
    const shortLived = await signToken({ sub: user.id, exp: Math.floor(Date.now() / 1000) + 3 });
    const socket = open(a, { authorization: `Bearer ${shortLived}` });
    const closed = await socket.closed;
    expect(closed).toEqual({ code: 4403, reason: 'Credentials expired' });
  });

  it('closes sockets signed in with a key when the key is revoked on another instance', async () => {
    const user = await registerUser(a);
    const { createApiKey } = await run(a, IssueKeyDocument, { input: { name: 'socket' } }, user.auth);
    const socket = open(b, { 'x-api-key': createApiKey.secret });
    const watch = subscribe(socket, ModelUpdatedDocument, {});
    await watch.ready;
    await run(a, RevokeKeyDocument, { id: createApiKey.apiKey.id }, user.auth);
    expect(await socket.closed).toEqual({ code: 4403, reason: 'API key revoked' });
  });

  it('ends a socket and an event stream opened with a key when its rotation grace ends, on any instance', async () => {
    const user = await registerUser(a);
    const { createApiKey } = await run(a, IssueKeyDocument, { input: { name: 'rotated' } }, user.auth);
    const key = { 'x-api-key': createApiKey.secret };
    const socket = open(b, key);
    await subscribe(socket, ModelUpdatedDocument, {}).ready;
    const stream = await fetch(b.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...key },
      body: JSON.stringify({ query: 'subscription { modelUpdated { id } }' }),
    });
    expect(stream.status).toBe(200);
    // Resolves only when the server ends the stream.
    const streamEnded = stream.text().then(() => Date.now());
    const socketClosed = socket.closed.then((closed) => ({ ...closed, at: Date.now() }));

    const rotatedAt = Date.now();
    const rotation = await fetch(a.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: JSON.stringify({
        query: 'mutation ($id: ID!) { rotateApiKey(input: { id: $id, gracePeriodSeconds: 2 }) { secret } }',
        variables: { id: createApiKey.apiKey.id },
      }),
    });
    expect(((await rotation.json()) as { errors?: unknown }).errors).toBeUndefined();

    const closed = await socketClosed;
    expect(closed).toMatchObject({ code: 4403, reason: 'Credentials expired' });
    // The grace was honoured, and no more than that.
    expect(closed.at - rotatedAt).toBeGreaterThanOrEqual(1_900);
    expect((await streamEnded) - rotatedAt).toBeGreaterThanOrEqual(1_900);
  });
});

describe('shutdown', () => {
  it('closes every socket with 1001 when the server stops', async () => {
    const server = await startServer();
    const user = await registerUser(server);
    const socket = connectSocket(server, { authorization: `Bearer ${user.token}` });
    const watch = subscribe(socket, ModelUpdatedDocument, {});
    await watch.ready;
    await server.stop();
    expect((await socket.closed).code).toBe(1001);
  });
});
