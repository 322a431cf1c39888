import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MetricsConfig } from '../../config.ts';
import type { Metrics } from './metrics.ts';

/** Whether the request carries the configured bearer token (always, when none is configured). */
function authorized(request: IncomingMessage, token: string | null): boolean {
  if (token === null) return true;
  const sent = Buffer.from(request.headers.authorization ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return sent.length === expected.length && timingSafeEqual(sent, expected);
}

/**
 * Answers a scrape of `config.path` with the process's metrics in Prometheus's text format; false for any
 * other path. With METRICS_TOKEN set, a scrape must send it as a bearer token (401 otherwise).
 */
export function serveMetrics(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  metrics: Metrics,
  config: MetricsConfig,
): boolean {
  if (path !== config.path) return false;
  if (!authorized(request, config.token)) {
    response
      .writeHead(401, { 'www-authenticate': 'Bearer', 'content-type': 'text/plain' })
      .end('Unauthorized\n');
    return true;
  }
  metrics.registry.metrics().then(
    (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
    () => response.writeHead(500).end(),
  );
  return true;
}
