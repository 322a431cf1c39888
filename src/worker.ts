// The worker: `npm run worker`. Run as many as you like, on any machines that reach the same PostgreSQL
// and Redis; each takes training jobs from their queue, one at a time, and queued predictions from
// theirs, PREDICTION_WORKER_CONCURRENCY at a time, sends webhook deliveries, and answers /health, /ready
// and /metrics on PORT.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfigOrExit } from './config.ts';
import { serveMetrics } from './infra/metrics/metrics-endpoint.ts';
import {
  openJobQueue,
  PREDICTION_QUEUE,
  parseJobPayload,
  type QueueKind,
  TRAINING_QUEUE,
} from './infra/queue/job-queue.ts';
import { startTracing } from './infra/telemetry/start-tracing.ts';
import { createLogger } from './logger.ts';
import { runQueuedPrediction } from './modules/predictions/run-queued-prediction.ts';
import { runQueuedTrainingJob } from './modules/training/run-training-job.ts';
import { trainInProcess } from './modules/training/train-in-process.ts';
import { createWorkerServices, webhookDispatcher } from './services.ts';
import { stopOnSignal } from './shutdown.ts';

/** A worker that stops reporting for this long is presumed dead; its job goes to another worker. */
const STALL_INTERVAL_MS = 5000;

const config = loadConfigOrExit();
if (!config.redisUrl) {
  console.error(
    'The worker takes jobs from Redis: set REDIS_URL. (Without Redis, `npm start` runs them in-process.)',
  );
  process.exit(1);
}

const tracing = await startTracing(config.tracing, 'mlp-worker');
const logger = createLogger(config.logLevel, tracing);
const services = await createWorkerServices(config, logger, tracing);
const open = (kind: QueueKind) =>
  openJobQueue(kind, config.redisUrl!, config.queuePrefix, logger, { stallIntervalMs: STALL_INTERVAL_MS });
const trainingQueue = open(TRAINING_QUEUE);
const predictionQueue = open(PREDICTION_QUEUE);
const trainer = trainInProcess(config.training);
// The compute runs in a sandboxed child, so this process keeps renewing the job's lease and answering
// the queue's heartbeats however long an epoch takes.
trainingQueue.process(1, (job) => runQueuedTrainingJob(services, parseJobPayload(job.data), trainer));
predictionQueue.process(config.predictions.async.concurrency, (job) =>
  runQueuedPrediction({ ...services, runs: services.predictionRuns }, parseJobPayload(job.data)),
);
for (const [queue, kind] of [
  [trainingQueue, TRAINING_QUEUE],
  [predictionQueue, PREDICTION_QUEUE],
] as const) {
  services.metrics.gaugeBy(
    `mlp_${kind.label}_queue_jobs`,
    `Jobs in the ${kind.label} queue (all workers), by state: waiting, active, delayed (to be retried)`,
    'state',
    async () => {
      // During a Redis outage the queue's client holds commands until it is back: a scrape must not wait.
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('queue depth unavailable')), 1000).unref(),
      );
      const counts = await Promise.race([queue.checkHealth(), timeout]);
      return { waiting: counts.waiting, active: counts.active, delayed: counts.delayed };
    },
  );
  // Jobs of workers that died (kill -9, a lost machine) are handed back to the queue.
  await queue.checkStalledJobs(STALL_INTERVAL_MS);
}

// Webhook deliveries, from PostgreSQL: any number of workers share them.
const dispatcher = webhookDispatcher(services);
await dispatcher.start();

// GET /health: the process is up; GET /ready: it reaches PostgreSQL and Redis (for orchestrators);
// GET /metrics (METRICS_PATH): its metrics, for Prometheus.
const health = createServer(async (request, response) => {
  const path = (request.url ?? '').split('?', 1)[0]!;
  if (serveMetrics(request, response, path, services.metrics, config.metrics)) return;
  let ok = request.url === '/health';
  if (request.url === '/ready') {
    ok = await Promise.all([services.orm.em.fork().execute('select 1'), trainingQueue.checkHealth()]).then(
      () => true,
      () => false,
    );
  }
  response.writeHead(ok ? 200 : request.url === '/ready' ? 503 : 404).end();
});
health.listen(config.port, () =>
  logger.info({ port: (health.address() as AddressInfo).port }, 'worker ready'),
);

// Waits for the job in hand (up to the timeout), so a clean stop does not strand it.
stopOnSignal(logger, async () => {
  health.close();
  await Promise.all([trainingQueue.close(30_000), predictionQueue.close(30_000), dispatcher.close()]);
  await services.close();
});
