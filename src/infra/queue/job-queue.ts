import BeeQueue from 'bee-queue';
import type { Logger } from '../../logger.ts';
import { isUuid } from '../database/uuid7.ts';
import { SpanKind, type Tracing } from '../telemetry/tracing.ts';

/**
 * Where the job was enqueued in its trace (a W3C traceparent), and when (epoch ms): the worker's spans
 * continue that trace, the wait in the queue first.
 */
export type QueuedTrace = { traceparent: string; enqueuedAt: number };

/**
 * The payload of a job on a queue: the id of what it works on (a training job, a prediction: it lives in
 * PostgreSQL) and, when the API traces, where its trace goes on.
 */
export type JobPayload = { jobId: string; trace: QueuedTrace | null };

/**
 * A kind of background work: its queue's name in Redis, the word its spans and logs use, and the span
 * attribute that names a job.
 */
export type QueueKind = { name: string; label: string; idAttribute: string };

export const TRAINING_QUEUE: QueueKind = {
  name: 'mlp-training',
  label: 'training',
  idAttribute: 'mlp.training_job.id',
};
export const PREDICTION_QUEUE: QueueKind = {
  name: 'mlp-predictions',
  label: 'prediction',
  idAttribute: 'mlp.prediction.id',
};

const TRACEPARENT = /^00-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

/** Hands jobs to whoever runs them: worker processes through Redis, or this process. */
export interface JobQueue {
  enqueue(jobId: string): Promise<void>;
  close(): Promise<void>;
}

/** Checked when a job is enqueued and again when a worker takes it; a malformed trace is left out. */
export function parseJobPayload(data: unknown): JobPayload {
  const { jobId, trace } = (data ?? {}) as Partial<JobPayload>;
  if (typeof jobId !== 'string' || !isUuid(jobId))
    throw new Error(`invalid job payload: ${JSON.stringify(data)}`);
  const valid =
    typeof trace?.traceparent === 'string' &&
    TRACEPARENT.test(trace.traceparent) &&
    Number.isFinite(trace.enqueuedAt);
  return { jobId, trace: valid ? { traceparent: trace.traceparent, enqueuedAt: trace.enqueuedAt } : null };
}

/** Hands a job's payload to `send` in a span of its own, whose place in the trace the payload carries. */
function enqueueTraced(
  tracing: Tracing,
  kind: QueueKind,
  jobId: string,
  send: (payload: JobPayload) => Promise<void>,
): Promise<void> {
  return tracing.span(
    `${kind.label} enqueue`,
    { [kind.idAttribute]: jobId },
    async () => {
      const traceparent = tracing.traceparent();
      const trace = traceparent ? { traceparent, enqueuedAt: Date.now() } : null;
      return send(parseJobPayload({ jobId, trace }));
    },
    SpanKind.PRODUCER,
  );
}

/**
 * bee-queue's Redis client reports a lost connection as an 'error' event, which would end the process
 * if nobody listened. It reconnects by itself and repeats the error on every attempt, so only an error
 * after a quiet spell (a new outage) is logged.
 */
function watchQueueErrors(queue: BeeQueue<JobPayload>, kind: QueueKind, logger: Logger): void {
  let lastError = 0;
  queue.on('error', (error) => {
    const now = Date.now();
    if (now - lastError > 30_000)
      logger.warn({ err: error.message }, `${kind.label} queue cannot reach Redis; it keeps trying`);
    lastError = now;
  });
}

/**
 * A bee-queue client of a queue, as the API (`worker: null`, it only adds jobs) or a worker (which takes
 * them, and is presumed dead when it stops reporting for `stallIntervalMs`).
 */
export function openJobQueue(
  kind: QueueKind,
  redisUrl: string,
  prefix: string,
  logger: Logger,
  worker: { stallIntervalMs: number } | null,
): BeeQueue<JobPayload> {
  const queue = new BeeQueue<JobPayload>(kind.name, {
    prefix,
    redis: { url: redisUrl },
    isWorker: worker !== null,
    // Workers also move jobs whose retry delay (backoff) has passed back to the waiting list: bee-queue
    // leaves them in the delayed set for good unless some client does.
    ...(worker ? { stallInterval: worker.stallIntervalMs, activateDelayedJobs: true } : {}),
    getEvents: false,
    removeOnSuccess: true,
    removeOnFailure: true,
  });
  watchQueueErrors(queue, kind, logger);
  return queue;
}

/** bee-queue on Redis: `npm run worker` processes, on any machine, take the jobs. */
export class BeeJobQueue implements JobQueue {
  readonly #queue: BeeQueue<JobPayload>;
  readonly #kind: QueueKind;
  readonly #tracing: Tracing;

  constructor(
    kind: QueueKind,
    redisUrl: string,
    prefix: string,
    telemetry: { logger: Logger; tracing: Tracing },
  ) {
    this.#queue = openJobQueue(kind, redisUrl, prefix, telemetry.logger, null);
    this.#kind = kind;
    this.#tracing = telemetry.tracing;
  }

  enqueue(jobId: string): Promise<void> {
    return enqueueTraced(this.#tracing, this.#kind, jobId, async (payload) => {
      // The id doubles as the queue's, so enqueueing the same job twice cannot run it twice.
      await this.#queue.createJob(payload).setId(jobId).retries(3).backoff('exponential', 2000).save();
    });
  }

  async close(): Promise<void> {
    await this.#queue.close();
  }
}

/**
 * Without Redis (the embedded default): jobs run from this process, `concurrency` at a time, in the order
 * they came.
 */
export class LocalJobQueue implements JobQueue {
  readonly #kind: QueueKind;
  readonly #run: (payload: JobPayload) => Promise<void>;
  readonly #logger: Logger;
  readonly #tracing: Tracing;
  readonly #waiting: JobPayload[] = [];
  readonly #running = new Set<Promise<void>>();
  readonly #runningIds = new Set<string>();
  readonly #concurrency: number;

  constructor(
    kind: QueueKind,
    run: (payload: JobPayload) => Promise<void>,
    options: { logger: Logger; tracing: Tracing; concurrency: number },
  ) {
    this.#kind = kind;
    this.#run = run;
    this.#logger = options.logger;
    this.#tracing = options.tracing;
    this.#concurrency = options.concurrency;
  }

  enqueue(jobId: string): Promise<void> {
    // A job id is taken once while it waits or runs, as bee-queue does.
    if (this.#waiting.some((payload) => payload.jobId === jobId) || this.#runningIds.has(jobId))
      return Promise.resolve();
    return enqueueTraced(this.#tracing, this.#kind, jobId, async (payload) => {
      this.#waiting.push(payload);
      this.#next();
    });
  }

  #next(): void {
    while (this.#running.size < this.#concurrency && this.#waiting.length > 0) {
      const payload = this.#waiting.shift()!;
      this.#runningIds.add(payload.jobId);
      const running: Promise<void> = this.#run(payload)
        .catch((error) =>
          this.#logger.error({ err: error, jobId: payload.jobId }, `${this.#kind.label} job failed`),
        )
        .finally(() => {
          this.#running.delete(running);
          this.#runningIds.delete(payload.jobId);
          this.#next();
        });
      this.#running.add(running);
    }
  }

  /** Waits for what runs and what waits to run. */
  async close(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running);
  }
}

/**
 * Runs a job a worker took from the queue: its spans continue the trace of the call that enqueued it,
 * the wait in the queue first (`<label> queued`), then the work (`<label> job`); its log lines name it.
 */
export function runTraced(
  tracing: Tracing,
  kind: QueueKind,
  { jobId, trace }: JobPayload,
  work: () => Promise<void>,
): Promise<void> {
  const enqueued = tracing.continueFrom(trace?.traceparent ?? null);
  if (enqueued && trace) {
    tracing.record(enqueued, `${kind.label} queued`, { start: trace.enqueuedAt, end: Date.now() });
  }
  const span = {
    name: `${kind.label} job`,
    kind: SpanKind.CONSUMER,
    attributes: { [kind.idAttribute]: jobId },
  };
  return tracing.spanAt(enqueued, `${kind.label}:${jobId}`, span, work);
}
