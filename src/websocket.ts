import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { type DocumentNode, type ExecutionArgs, GraphQLError } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { type WebSocket, WebSocketServer } from 'ws';
import { authenticateFrom, type Context, type SocketContext } from './context.ts';
import { watchCredential } from './credential-watch.ts';
import { withCode } from './errors.ts';
import { tooManyConnections } from './event-streams.ts';
import type { Lease } from './infra/sockets/socket-leases.ts';
import type { Credentials } from './modules/auth/authenticate.ts';
import type { Viewer } from './modules/auth/viewer.ts';
import type { Services } from './services.ts';

/** A client that has not read this much of what we sent it is too slow to keep. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const HEARTBEAT_MS = 15_000;
/** WebSocket's own "policy violation": a client over a limit (sockets, failed sign-ins) is told why. */
const TOO_MANY_SOCKETS = 1008;

type SocketState = {
  viewer: Viewer;
  /** The socket's place among its user's live connections on every instance (socket-leases.ts). */
  lease: Lease;
  /** Stops the watch that closes the socket when its credential ends (credential-watch.ts). */
  stopWatching: () => void;
};

function headerValue(value: string | string[] | undefined): string | null {
  return Array.isArray(value) ? value.join(',') : (value ?? null);
}

/** The client's address on a socket (behind trusted proxies, from X-Forwarded-For). */
function socketAddress(request: IncomingMessage, services: Services): string | null {
  return services.clientAddresses.of(
    request.socket.remoteAddress,
    headerValue(request.headers['x-forwarded-for']),
  );
}

function credentialsFrom(params: Record<string, unknown> | undefined): Credentials {
  const read = (name: string) => {
    // Clients write header names either way.
    const value = params?.[name] ?? params?.[name.toLowerCase()];
    return typeof value === 'string' ? value : null;
  };
  return { authorization: read('Authorization'), apiKey: read('X-API-Key') };
}

/**
 * GraphQL over WebSocket (the graphql-transport-ws protocol) on the HTTP server's `/graphql`. Operations
 * run through the same Yoga/Envelop plugins as HTTP. Sockets authenticate in `connection_init`, and are
 * closed with 4403 when their credential ends (expiry, revocation, the end of a rotation's grace).
 */
export function attachWebSocket(
  server: Server,
  yoga: YogaServerInstance<Record<string, never>, Context>,
  services: Services,
) {
  const wss = new WebSocketServer({ server, path: yoga.graphqlEndpoint, maxPayload: 1024 * 1024 });
  const states = new Map<WebSocket, SocketState>();

  const { maxSocketsPerUser, maxSubscriptionsPerSocket } = services.config.websockets;
  services.metrics.gauge(
    'mlp_websocket_connections',
    'WebSocket connections open on this instance',
    () => states.size,
  );

  const forget = (socket: WebSocket) => {
    const state = states.get(socket);
    if (!state) return;
    state.stopWatching();
    states.delete(socket);
    void state.lease.release();
  };

  useServer<Record<string, unknown>, { socket: WebSocket; request: IncomingMessage }>(
    {
      onConnect: async (ctx) => {
        const credentials = credentialsFrom(ctx.connectionParams);
        const { socket, request } = ctx.extra;
        let viewer: Viewer;
        try {
          viewer = await authenticateFrom(socketAddress(request, services), credentials, services);
        } catch (error) {
          // Paused for failing too often: told why, like a socket over its limit. Anything else (the
          // database away, say) is not the client's to read.
          if (error instanceof GraphQLError) socket.close(TOO_MANY_SOCKETS, error.message);
          else socket.close(CloseCode.InternalServerError, 'Try again later');
          return false;
        }
        if (viewer.kind !== 'user') return false; // graphql-ws closes with 4403 Forbidden
        const max = maxSocketsPerUser[await services.tiers.get(viewer.userId)];
        const lease = await services.socketLeases.acquire(viewer.userId, max);
        if (!lease) {
          socket.close(TOO_MANY_SOCKETS, tooManyConnections(max));
          return false;
        }
        if (socket.readyState !== socket.OPEN) {
          // Gone while we counted: its close event has passed, so give its place back here.
          void lease.release();
          return false;
        }
        const stopWatching = watchCredential(services, credentials, viewer, (reason) =>
          socket.close(CloseCode.Forbidden, reason),
        );
        states.set(socket, { viewer, lease, stopWatching });
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        // This operation is already among them.
        if (Object.keys(ctx.subscriptions).length > maxSubscriptionsPerSocket) {
          return [
            new GraphQLError(
              `Too many operations on this socket: at most ${maxSubscriptionsPerSocket} at once`,
              {
                extensions: { code: 'TOO_MANY_SUBSCRIPTIONS', limit: maxSubscriptionsPerSocket },
              },
            ),
          ];
        }
        const viewer = states.get(ctx.extra.socket)?.viewer ?? { kind: 'anonymous' };
        const initial: SocketContext = {
          socketViewer: viewer,
          socketClientIp: socketAddress(ctx.extra.request, services),
        };
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          ...initial,
          params: payload,
        });
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          // A document that does not parse (or is over the token limit) fails its own operation, not the
          // socket and every other operation on it.
          if (!(error instanceof GraphQLError)) throw error;
          // The code Yoga gives the same error over HTTP.
          return [withCode(error, 'GRAPHQL_PARSE_FAILED')];
        }
        const args: ExecutionArgs = {
          schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args;
      },
      // Each operation has a request id of its own, in every log line it writes.
      execute: (args) =>
        services.tracing.operation(randomUUID(), () =>
          (args.rootValue as { execute: typeof import('graphql').execute }).execute(args),
        ),
      subscribe: (args) =>
        services.tracing.operation(randomUUID(), () =>
          (args.rootValue as { subscribe: typeof import('graphql').subscribe }).subscribe(args),
        ),
      onNext: (ctx) => {
        // Drop a client that stopped reading rather than buffer for it without bound.
        if (ctx.extra.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
          ctx.extra.socket.close(CloseCode.InternalServerError, 'Client too slow');
        }
      },
      onClose: (ctx) => forget(ctx.extra.socket),
    },
    wss,
  );

  // Pings keep idle connections alive through proxies and find peers that vanished without closing.
  const alive = new WeakSet<WebSocket>();
  wss.on('connection', (socket) => {
    alive.add(socket);
    socket.on('pong', () => alive.add(socket));
    socket.on('close', () => forget(socket));
  });
  const heartbeat = setInterval(() => {
    for (const socket of wss.clients) {
      if (!alive.has(socket)) {
        socket.terminate();
        continue;
      }
      alive.delete(socket);
      socket.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  return {
    /** Closes every socket with 1001 (going away), as clients expect from a server that shuts down. */
    async close(): Promise<void> {
      clearInterval(heartbeat);
      for (const socket of wss.clients) socket.close(1001, 'Server shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
