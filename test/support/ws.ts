import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { GraphQLResponse, TestServer } from './server.ts';

export type SocketClient = {
  client: Client;
  /** Resolves once the server has accepted the connection (its credentials checked, its place taken). */
  connected: Promise<void>;
  /** Resolves with the close code and reason once the socket closes. */
  closed: Promise<{ code: number; reason: string }>;
};

/** A real graphql-ws client, credentials in the connection_init payload, no retries. */
export function connectSocket(server: TestServer, connectionParams: Record<string, string>): SocketClient {
  let onClosed!: (event: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    onClosed = resolve;
  });
  let onConnected!: () => void;
  const connected = new Promise<void>((resolve) => {
    onConnected = resolve;
  });
  const client = createClient({
    url: server.graphqlUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams,
    lazy: false,
    retryAttempts: 0,
    // A refused or closed connection is what some tests expect; they read it from `closed`.
    onNonLazyError: () => {},
    on: {
      connected: () => onConnected(),
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        onClosed({ code, reason });
      },
    },
  });
  return { client, connected, closed };
}

export type Subscription<T> = {
  /** The next result, or a rejection if none comes within `ms`. */
  next(ms?: number): Promise<GraphQLResponse<T>>;
  /** Results received and not yet taken by next(). */
  pending(): GraphQLResponse<T>[];
  /** Resolves once the server has started the subscription (so events published now will arrive). */
  ready: Promise<void>;
  dispose(): void;
};

export function subscribe<T, V>(
  socket: SocketClient,
  document: TypedDocumentNode<T, V>,
  variables: V,
): Subscription<T> {
  const received: GraphQLResponse<T>[] = [];
  const waiters: ((result: GraphQLResponse<T>) => void)[] = [];
  const deliver = (result: GraphQLResponse<T>) => {
    const waiter = waiters.shift();
    if (waiter) waiter(result);
    else received.push(result);
  };
  const dispose = socket.client.subscribe<T>(
    { query: print(document), variables: variables as Record<string, unknown> },
    {
      next: (result) => deliver(result as GraphQLResponse<T>),
      error: (error) =>
        deliver({
          errors: Array.isArray(error) ? error : [{ message: String((error as Error).message ?? error) }],
        }),
      complete: () => {},
    },
  );
  return {
    next(ms = 5000) {
      const ready = received.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no event within ${ms} ms`)), ms);
        waiters.push((result) => {
          clearTimeout(timer);
          resolve(result);
        });
      });
    },
    pending: () => [...received],
    // The server subscribes to Redis as the operation starts, once the connection is accepted; a short
    // pause after that covers the round trip (a socket that is refused instead is ready as it closes).
    ready: Promise.race([socket.connected, socket.closed]).then(
      () => new Promise((resolve) => setTimeout(resolve, 200)),
    ),
    dispose,
  };
}
