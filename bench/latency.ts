// Latency at concurrency 1: one client, one request at a time, on a kept-alive connection, timed to the
// microsecond (autocannon's histogram counts whole milliseconds, too coarse for a sub-millisecond server).
import { Agent, request } from 'node:http';

export type Latency = { p50: number; p99: number; mean: number };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Sends `count` requests one after another (after `warmUp` untimed ones); milliseconds. */
export async function measureLatency(
  url: string,
  options: {
    /** Each request's own (a new Idempotency-Key, say). */
    headers?: () => Record<string, string>;
    body: () => Buffer | string;
    count: number;
    warmUp: number;
  },
): Promise<Latency> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(url);
  const once = (body: Buffer | string) =>
    new Promise<void>((resolve, reject) => {
      const outgoing = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...options.headers?.(),
          },
        },
        (response) => {
          response.on('data', () => {});
          response.on('end', () =>
            response.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${response.statusCode}`)),
          );
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  try {
    for (let i = 0; i < options.warmUp; i++) await once(options.body());
    const times: number[] = [];
    for (let i = 0; i < options.count; i++) {
      const body = options.body();
      const started = performance.now();
      await once(body);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    return {
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      mean: times.reduce((sum, time) => sum + time, 0) / times.length,
    };
  } finally {
    agent.destroy();
  }
}
