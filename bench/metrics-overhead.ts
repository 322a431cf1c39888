// What recording Prometheus metrics costs one predict in CPU, measured in-process on the real `Metrics`
// (prom-client). Every mlp server records metrics (there is no switch to compare against), so this
// times the calls a predict makes, as the code makes them: the GraphQL plugin's phase histograms and
// operation counter (graphql-metrics.ts), the rate limiter's decision, the cache's lookups, the
// request's outcome (prediction.service.ts) and, on a miss, the worker pool's queue, compute, execution
// and row figures (worker-pool.ts). History writes are batched (one observation per INSERT), left out.
// A loop this hot runs faster than the same calls among a server's other work: a lower bound, which CPU
// profiles of the bench's servers (BENCH_PROFILE_DIR) put at about twice this.
import { randomUUID } from 'node:crypto';
import { Metrics } from '../src/infra/metrics/metrics.ts';
import { timeIt } from './time-it.ts';

export type MetricsOverheadRow = { predict: string; recordUs: number };

export function measureMetricsOverhead(): MetricsOverheadRow[] {
  const metrics = new Metrics();
  // Ten model versions, so the label lookups search more than one series.
  const versions = Array.from({ length: 10 }, () => ({ model: randomUUID(), version: '1' }));
  let next = 0;
  const request = (cached: boolean) => {
    const labels = versions[next++ % versions.length]!;
    for (const phase of ['parse', 'validate', 'context', 'execute'])
      metrics.graphqlPhaseSeconds.observe({ phase }, 0.0002);
    metrics.graphqlOperations.inc({ type: 'mutation', field: 'predict' });
    metrics.rateLimitDecisions.inc({ tier: 'enterprise', outcome: 'allowed' });
    metrics.predictionCacheLookups.inc({ tier: 'memory', result: 'miss' });
    metrics.predictionCacheLookups.inc({ tier: 'redis', result: cached ? 'hit' : 'miss' });
    metrics.inferenceRequests.inc({ ...labels, outcome: 'success' });
    if (cached) return;
    metrics.inferenceQueueSeconds.observe(labels, 0.0001);
    metrics.inferenceComputeSeconds.observe(labels, 0.0003);
    metrics.inferenceExecutions.inc(labels);
    metrics.inferenceRows.inc(labels, 1);
  };
  return [
    { predict: 'cache hit', recordUs: timeIt(() => request(true), 20_000) },
    { predict: 'cache miss', recordUs: timeIt(() => request(false), 20_000) },
  ];
}

if (import.meta.main) {
  for (const row of measureMetricsOverhead())
    console.log(`predict, ${row.predict}: metrics recorded in ${row.recordUs.toFixed(2)} µs`);
}
