import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds, from 100 µs (a cached call) to 10 s (a slow model or a training epoch). */
const SECONDS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Labels of a model version: the model's id and the version's number, both bounded by what users store. */
export type VersionLabels = { model: string; version: string };

/**
 * One process's metrics, in a registry of its own (no global), as Prometheus reads them from `/metrics`.
 * Names follow Prometheus's conventions (`mlp_` prefix, base units, `_total` counters). No label is ever
 * a user id, an address, a client-chosen name or an input: GraphQL operations are counted by their root
 * field, which the schema bounds, not by the operation name a client picks.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly graphqlOperations = this.#counter(
    'mlp_graphql_operations_total',
    'GraphQL operations executed, by type and first root field',
    ['type', 'field'],
  );
  readonly graphqlPhaseSeconds = this.#histogram(
    'mlp_graphql_phase_seconds',
    'Time spent in each phase of a GraphQL request (parse, validate, context, execute)',
    ['phase'],
  );
  readonly graphqlErrors = this.#counter(
    'mlp_graphql_errors_total',
    'Errors in GraphQL responses, by extensions.code',
    ['code'],
  );
  readonly inferenceRequests = this.#counter(
    'mlp_inference_requests_total',
    'Predictions asked of a model version, by outcome (success, failure, timeout); cache hits included',
    ['model', 'version', 'outcome'],
  );
  readonly inferenceRows = this.#counter(
    'mlp_inference_rows_total',
    'Rows run through a model version (cache hits excluded); divided by executions, the average batch',
    ['model', 'version'],
  );
  readonly inferenceExecutions = this.#counter(
    'mlp_inference_executions_total',
    'onnxruntime runs of a model version, each of one batch',
    ['model', 'version'],
  );
  readonly inferenceQueueSeconds = this.#histogram(
    'mlp_inference_queue_seconds',
    'Time a run waited for an inference worker',
    ['model', 'version'],
  );
  readonly inferenceComputeSeconds = this.#histogram(
    'mlp_inference_compute_seconds',
    'Time a run took on its worker, loading included',
    ['model', 'version'],
  );
  readonly inferenceSessionLoads = this.#counter(
    'mlp_inference_session_loads_total',
    'onnxruntime sessions a worker loaded for a model version (a run whose worker did not hold it)',
    ['model', 'version'],
  );
  readonly inferenceSessionEvictions = this.#counter(
    'mlp_inference_session_evictions_total',
    'Sessions workers dropped to make room for another version (MODEL_SESSION_CACHE_SIZE)',
    [],
  );
  readonly inferenceWorkerRestarts = this.#counter(
    'mlp_inference_worker_restarts_total',
    'Inference workers replaced, by why (timeout, crash, recycled)',
    ['reason'],
  );
  readonly predictionCacheLookups = this.#counter(
    'mlp_prediction_cache_lookups_total',
    'Prediction cache lookups, by tier (memory, redis) and result (hit, miss, error)',
    ['tier', 'result'],
  );
  readonly rateLimitDecisions = this.#counter(
    'mlp_rate_limit_decisions_total',
    'Charges of the rate limits and cost budget, by tier and outcome (allowed, refused)',
    ['tier', 'outcome'],
  );
  readonly idempotencyKeys = this.#counter(
    'mlp_idempotency_keys_total',
    'Requests sent with an Idempotency-Key, by outcome (held: ran; replay; mismatch; busy; unreadable)',
    ['outcome'],
  );
  readonly webhookDeliveries = this.#counter(
    'mlp_webhook_deliveries_total',
    'Webhook delivery attempts, by outcome (delivered; retried later; failed: given up)',
    ['outcome'],
  );
  readonly historyWriteSeconds = this.#histogram(
    'mlp_prediction_history_write_seconds',
    'Time each write of prediction history to PostgreSQL took (one INSERT of up to 500 rows)',
    [],
  );
  readonly trainingJobs = this.#counter(
    'mlp_training_jobs_total',
    'Training jobs that reached a status (running, succeeded, failed, cancelled)',
    ['status'],
  );

  readonly trainingEpochSeconds = this.#histogram(
    'mlp_training_epoch_seconds',
    'Time each training epoch took, validation included',
    [],
  );

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'mlp_' });
    // prom-client names these gauges `…_total`, which Prometheus keeps for counters (promtool says so);
    // `mlp_nodejs_active_resources`, by type, tells the same.
    for (const name of ['active_handles', 'active_requests', 'active_resources']) {
      this.registry.removeSingleMetric(`mlp_nodejs_${name}_total`);
    }
  }

  /** Drops a deleted model version's series, so what is exported does not grow with what was deleted. */
  forgetVersion(labels: VersionLabels): void {
    for (const outcome of ['success', 'failure', 'timeout'])
      this.inferenceRequests.remove({ ...labels, outcome });
    for (const metric of [
      this.inferenceSessionLoads,
      this.inferenceRows,
      this.inferenceExecutions,
      this.inferenceQueueSeconds,
      this.inferenceComputeSeconds,
    ]) {
      metric.remove(labels);
    }
  }

  /** A gauge read when scraped (a queue's depth, say). */
  gauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /**
   * A gauge with one series per value of `label`, read when scraped from somewhere that may fail (then
   * the last values stay).
   */
  gaugeBy(name: string, help: string, label: string, read: () => Promise<Record<string, number>>): void {
    new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [this.registry],
      async collect() {
        const values = await read().catch(() => ({}));
        for (const [key, value] of Object.entries(values)) this.set({ [label]: key }, value);
      },
    });
  }

  #counter<L extends string>(name: string, help: string, labelNames: readonly L[]) {
    return new Counter<L>({ name, help, labelNames, registers: [this.registry] });
  }

  #histogram<L extends string>(name: string, help: string, labelNames: readonly L[]) {
    return new Histogram<L>({ name, help, labelNames, buckets: SECONDS, registers: [this.registry] });
  }
}
