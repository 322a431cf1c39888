import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SpanStatusCode } from '@opentelemetry/api';
import type { Tracing } from './infra/telemetry/tracing.ts';

/** A request id a client or proxy may set: short, and nothing that could forge a log line. */
const CLIENT_REQUEST_ID = /^[\w.:@-]{1,128}$/;

/** The route of a path, as spans are named: the path's shape, never a value from it (a model's name). */
export function routeOf(path: string): string | null {
  if (path === '/graphql' || path === '/ready' || path === '/health') return path;
  if (path === '/dashboard' || path.startsWith('/dashboard/')) return '/dashboard';
  if (path === '/v2' || path === '/v2/health/live' || path === '/v2/health/ready') return path;
  const model = /^\/v2\/models\/[^/]+(\/versions\/[^/]+)?(\/ready|\/infer)?$/.exec(path);
  if (model) return `/v2/models/{model}${model[1] ? '/versions/{version}' : ''}${model[2] ?? ''}`;
  return null;
}

/**
 * Runs `handle` as one HTTP request: its id (the client's `X-Request-Id` when it is a plain token, else
 * a new one), answered in `X-Request-Id` and carried by every log line; when tracing, a server span
 * that continues the caller's `traceparent` and ends with the response.
 */
export function handleRequest(
  tracing: Tracing,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  handle: () => void,
): void {
  const sent = request.headers['x-request-id'];
  const requestId = typeof sent === 'string' && CLIENT_REQUEST_ID.test(sent) ? sent : randomUUID();
  response.setHeader('x-request-id', requestId);
  const method = request.method ?? 'GET';
  const route = routeOf(path);
  const traceparent = request.headers.traceparent;
  const headers: Record<string, string> = typeof traceparent === 'string' ? { traceparent } : {};
  const tracestate = request.headers.tracestate;
  if (typeof tracestate === 'string' && headers.traceparent) headers.tracestate = tracestate;
  tracing.request(
    {
      requestId,
      name: route ? `${method} ${route}` : method,
      headers,
      attributes: {
        'http.request.method': method,
        'url.path': path.slice(0, 256),
        ...(route ? { 'http.route': route } : {}),
      },
    },
    (span) => {
      if (span.isRecording()) {
        response.once('close', () => {
          span.setAttribute('http.response.status_code', response.statusCode);
          if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        });
      }
      handle();
    },
  );
}
