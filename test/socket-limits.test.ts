import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearModel } from './fixtures/onnx-models.ts';
import { modelWithVersion, PredictDocument, registerUser, type TestUser } from './support/fixtures.ts';
import { run, startServer, type TestServer } from './support/server.ts';
import { connectSocket, type SocketClient, subscribe } from './support/ws.ts';

const Me = parse('{ me { id } }') as TypedDocumentNode<{ me: { id: string } }, Record<string, never>>;
const Completed = parse('subscription { predictionCompleted { id outputs } }') as TypedDocumentNode<
  { predictionCompleted: { id: string; outputs: unknown } },
  Record<string, never>
>;

const LIMITS = { SOCKETS_FREE: '2', SUBSCRIPTIONS_PER_SOCKET: '2' };

describe('sockets within limits', () => {
  let a: TestServer;
  let b: TestServer;
  const open: SocketClient[] = [];
  const streams: AbortController[] = [];

  /** A socket of the user's, once the server has accepted it (it answered a query). */
  const accepted = async (server: TestServer, user: TestUser) => {
    const socket = connectSocket(server, { Authorization: `Bearer ${user.token}` });
    open.push(socket);
    const answer = await subscribe(socket, Me, {}).next();
    expect(answer.data?.me.id).toBe(user.id);
    return socket;
  };

  beforeAll(async () => {
    // Two instances on the same PostgreSQL and Redis, as behind a load balancer.
    [a, b] = await Promise.all([startServer(LIMITS), startServer(LIMITS)]);
  });
  afterAll(async () => {
    for (const socket of open) await socket.client.dispose();
    for (const controller of streams) controller.abort();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('refuses a user’s socket beyond the limit on any instance, and frees the place when one closes', async () => {
    const user = await registerUser(a, 'sockets');
    const first = await accepted(a, user);
    await accepted(b, user);

    const third = connectSocket(a, { Authorization: `Bearer ${user.token}` });
    open.push(third);
    expect(await third.closed).toEqual({
      code: 1008,
      reason: 'Too many live connections: at most 2 open at once per user (WebSockets and event streams)',
    });

    // Another user is not affected.
    await accepted(b, await registerUser(b, 'other'));

    await first.client.dispose();
    await first.closed;
    // The close reaches the server a moment after the client's.
    await expect
      .poll(async () => {
        const retry = connectSocket(b, { Authorization: `Bearer ${user.token}` });
        open.push(retry);
        const outcome = await Promise.race([
          subscribe(retry, Me, {})
            .next()
            .then(() => 'accepted'),
          retry.closed.then(() => 'refused'),
        ]);
        if (outcome === 'refused') open.pop();
        return outcome;
      })
      .toBe('accepted');
  });

  it('counts Server-Sent Events streams among the live connections, on any instance', async () => {
    const user = await registerUser(a, 'streams');
    /** A subscription over HTTP, as Yoga serves it to EventSource-style clients. */
    const stream = async (server: TestServer) => {
      const controller = new AbortController();
      streams.push(controller);
      const response = await fetch(server.graphqlUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          authorization: `Bearer ${user.token}`,
        },
        body: JSON.stringify({ query: 'subscription { predictionCompleted { id } }' }),
        signal: controller.signal,
      });
      return { response, controller };
    };

    await accepted(a, user);
    const first = await stream(b);
    expect(first.response.status).toBe(200);

    const refused = await stream(a);
    expect(refused.response.status).toBe(429);
    expect(await refused.response.text()).toContain('TOO_MANY_CONNECTIONS');

    // Closing the stream gives its place back.
    first.controller.abort();
    await expect
      .poll(async () => {
        const next = await stream(b);
        if (next.response.status !== 200) await next.response.text();
        return next.response.status;
      })
      .toBe(200);
  });

  it('refuses a subscription beyond the limit per socket, or one that does not parse, with a coded error, and keeps the others', async () => {
    const user = await registerUser(a, 'subscriptions');
    const { model } = await modelWithVersion(a, user, linearModel([[2]], [1]));
    const socket = await accepted(a, user);
    // A document that does not parse fails alone: the socket goes on, and serves what follows.
    const unparsed = await new Promise<{ extensions?: { code?: string } }[]>((resolve) => {
      const sink = {
        next: () => {},
        error: (errors: unknown) => resolve(errors as never),
        complete: () => {},
      };
      socket.client.subscribe({ query: 'subscription { predictionCompleted { id }' }, sink);
    });
    expect(unparsed[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    const kept = [subscribe(socket, Completed, {}), subscribe(socket, Completed, {})];
    await Promise.all(kept.map((subscription) => subscription.ready));

    const refused = await subscribe(socket, Completed, {}).next();
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS', limit: 2 });

    // Both live subscriptions get each prediction (decoded once on the server, shared by both).
    const { predict } = await run(
      a,
      PredictDocument,
      { input: { modelId: model.id, inputs: [[3]] } },
      user.auth,
    );
    for (const subscription of kept) {
      const event = await subscription.next();
      expect(event.data?.predictionCompleted).toEqual({ id: predict.id, outputs: predict.outputs });
    }

    // Ending one makes room for another.
    kept[0]!.dispose();
    await expect
      .poll(async () => {
        const again = subscribe(socket, Completed, {});
        await again.ready;
        const early = again.pending()[0];
        if (early?.errors) return early.errors[0]?.extensions?.code;
        kept.push(again);
        return 'running';
      })
      .toBe('running');
  });
});
