import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createFetch } from '@whatwg-node/fetch';
import { createYoga, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga';
import { MAX_REQUEST_BYTES, useBodyLimits } from './body-limits.ts';
import type { Config } from './config.ts';
import { type Context, createContext } from './context.ts';
import { createDashboard } from './dashboard/dashboard-files.ts';
import { useEventStreams } from './event-streams.ts';
import { useGraphQLMetrics } from './graphql-metrics.ts';
import { useGraphQLTracing } from './graphql-tracing.ts';
import { handleRequest } from './http-requests.ts';
import { useIdempotencyKeys } from './idempotent-requests.ts';
import { serveMetrics } from './infra/metrics/metrics-endpoint.ts';
import { createOpenInference } from './open-inference/open-inference.ts';
import { useOperationCost } from './operation-cost.ts';
import { useOperationLimits } from './operation-limits.ts';
import { useCodedRequestErrors } from './request-errors.ts';
import { schema } from './schema/index.ts';
import { useKeyScopes } from './schema/key-scopes.ts';
import type { Services } from './services.ts';
import { useStorableText } from './storable-text.ts';
import { attachWebSocket } from './websocket.ts';

export type App = {
  /** Listens on `port` (0: any free port) and resolves with the port taken. */
  start(port: number): Promise<number>;
  /** Stops accepting, lets requests in flight finish, closes every connection and the services. */
  stop(): Promise<void>;
  server: Server;
};

/**
 * Only listed origins get CORS headers at all. (Yoga's own list handling answers other origins with
 * `Access-Control-Allow-Origin: null`, which sandboxed iframes match.) Credentials travel in headers,
 * never cookies, so credentialed CORS stays off.
 */
function corsPolicy(origins: string[]) {
  if (origins.length === 0) return false;
  const any = origins.includes('*');
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (!origin || !(any || origins.includes(origin))) return false;
    return { origin: [origin], credentials: false, maxAge: 600 };
  };
}

/** The multipart fields beside the file (operations, map). */
const MAX_FIELD_BYTES = 1024 * 1024;

const largestFile = (config: Config) =>
  Math.max(config.models.maxUploadBytes, config.training.maxDatasetBytes);

export function buildYoga(services: Services): YogaServerInstance<Record<string, never>, Context> {
  const { config, logger } = services;
  return createYoga<Record<string, never>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    context: (initial) => createContext(services, initial),
    // Served from the package, not a CDN, so GraphiQL works on machines without internet.
    renderGraphiQL,
    graphiql: config.graphiql && {
      title: 'mlp',
      subscriptionsProtocol: 'WS',
      defaultQuery: '{\n  me {\n    email\n    tier\n  }\n}\n',
    },
    landingPage: false,
    cors: corsPolicy(config.corsOrigins),
    logging: logger,
    // Multipart limits are enforced while the body streams in, so an oversized upload never sits in memory;
    // each file's own limit (model or dataset) is checked by its service.
    fetchAPI: createFetch({
      formDataLimits: { fileSize: largestFile(config), files: 1, fieldSize: MAX_FIELD_BYTES },
    }),
    maxRequestBodySize: false,
    plugins: [
      useBodyLimits({ multipart: largestFile(config) + MAX_FIELD_BYTES, other: MAX_REQUEST_BYTES }),
      useOperationLimits(config.operations),
      useStorableText(),
      useKeyScopes(),
      useCodedRequestErrors(),
      useOperationCost(),
      useGraphQLMetrics(services.metrics),
      useGraphQLTracing(services.tracing),
      useEventStreams(services),
      // Last: a replay stops execution after every other plugin has seen the operation.
      useIdempotencyKeys(services.idempotencyKeys, services.metrics),
      useReadinessCheck({
        endpoint: '/ready',
        check: async () => {
          await services.orm.em.fork().execute('select 1');
        },
      }),
    ],
  });
}

/** The Open Inference Protocol's paths: /v2 and below. */
function isOpenInferencePath(path: string): boolean {
  return path === '/v2' || path.startsWith('/v2/');
}

export function buildApp(services: Services): App {
  const yoga = buildYoga(services);
  const openInference = createOpenInference(services);
  const dashboard = services.config.dashboard ? createDashboard() : null;
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?', 1)[0]!;
    if (serveMetrics(request, response, path, services.metrics, services.config.metrics)) return;
    handleRequest(services.tracing, request, response, path, () => {
      if (dashboard?.(request, response, path)) return;
      if (isOpenInferencePath(path)) void openInference(request, response, path);
      else void yoga(request, response);
    });
  });
  const sockets = attachWebSocket(server, yoga, services);

  return {
    server,
    start: (port) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      }),
    async stop() {
      await sockets.close();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), services.config.shutdownDrainMs);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        // Keep-alive connections with no request in flight would otherwise hold close() open.
        server.closeIdleConnections();
      });
      await services.close();
    },
  };
}
