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
 * The payload of a training job on the queue: the id (the job itself lives in PostgreSQL) and, when the
 * API traces, where its trace goes on.
 */
export type TrainingJobPayload = { jobId: string; trace: QueuedTrace | null };

const TRACEPARENT = /^00-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

const TRAINING_QUEUE_NAME = 'mlp-training';

/** Hands training jobs to whoever trains them: worker processes through Redis, or this process. */
export interface TrainingQueue {
  enqueue(jobId: string): Promise<void>;
  close(): Promise<void>;
}

/** Checked when a job is enqueued and again when a worker takes it; a malformed trace is left out. */
export function parseTrainingPayload(data: unknown): TrainingJobPayload {
  const { jobId, trace } = (data ?? {}) as Partial<TrainingJobPayload>;
  if (typeof jobId !== 'string' || !isUuid(jobId))
    throw new Error(`invalid training job payload: ${JSON.stringify(data)}`);
  const valid =
    typeof trace?.traceparent === 'string' &&
    TRACEPARENT.test(trace.traceparent) &&
    Number.isFinite(trace.enqueuedAt);
  return { jobId, trace: valid ? { traceparent: trace.traceparent, enqueuedAt: trace.enqueuedAt } : null };
}

/** Hands a job's payload to `send` in a span of its own, whose place in the trace the payload carries. */
function enqueueTraced(
  tracing: Tracing,
  jobId: string,
  send: (payload: TrainingJobPayload) => Promise<void>,
): Promise<void> {
  const attributes = { 'mlp.training_job.id': jobId };
  return tracing.span(
    'training enqueue',
    attributes,
    () => {
      const traceparent = tracing.traceparent();
      const trace = traceparent ? { traceparent, enqueuedAt: Date.now() } : null;
      return send(parseTrainingPayload({ jobId, trace }));
    },
    SpanKind.PRODUCER,
  );
}

/**
 * bee-queue's Redis client reports a lost connection as an 'error' event, which would end the process
 * if nobody listened. It reconnects by itself and repeats the error on every attempt, so only an error
 * after a quiet spell (a new outage) is logged.
 */
function watchQueueErrors(queue: BeeQueue<TrainingJobPayload>, logger: Logger): void {
  let lastError = 0;
  queue.on('error', (error) => {
    const now = Date.now();
    if (now - lastError > 30_000)
      logger.warn({ err: error.message }, 'training queue cannot reach Redis; it keeps trying');
    lastError = now;
  });
}

/**
 * A bee-queue client of the training queue, as the API (`worker: null`, it only adds jobs) or a worker
 * (which takes them, and is presumed dead when it stops reporting for `stallIntervalMs`).
 */
export function openTrainingQueue(
  redisUrl: string,
  prefix: string,
  logger: Logger,
  worker: { stallIntervalMs: number } | null,
): BeeQueue<TrainingJobPayload> {
  const queue = new BeeQueue<TrainingJobPayload>(TRAINING_QUEUE_NAME, {
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
  watchQueueErrors(queue, logger);
  return queue;
}

/** bee-queue on Redis: `npm run worker` processes, on any machine, take the jobs. */
export class BeeTrainingQueue implements TrainingQueue {
  readonly #queue: BeeQueue<TrainingJobPayload>;
  readonly #tracing: Tracing;

  constructor(redisUrl: string, prefix: string, telemetry: { logger: Logger; tracing: Tracing }) {
    this.#queue = openTrainingQueue(redisUrl, prefix, telemetry.logger, null);
    this.#tracing = telemetry.tracing;
  }

  enqueue(jobId: string): Promise<void> {
    return enqueueTraced(this.#tracing, jobId, async (payload) => {
      // The job id doubles as the queue id, so enqueueing the same job twice cannot run it twice.
      await this.#queue.createJob(payload).setId(jobId).retries(3).backoff('exponential', 2000).save();
    });
  }

  async close(): Promise<void> {
    await this.#queue.close();
  }
}

/**
 * Without Redis (the embedded default): jobs run from this process, one at a time, in the order they
 * came (the compute itself in a worker thread, see train-in-thread.ts).
 */
export class LocalTrainingQueue implements TrainingQueue {
  readonly #run: (payload: TrainingJobPayload) => Promise<void>;
  readonly #logger: Logger;
  readonly #tracing: Tracing;
  #tail: Promise<void> = Promise.resolve();

  constructor(
    run: (payload: TrainingJobPayload) => Promise<void>,
    telemetry: { logger: Logger; tracing: Tracing },
  ) {
    this.#run = run;
    this.#logger = telemetry.logger;
    this.#tracing = telemetry.tracing;
  }

  enqueue(jobId: string): Promise<void> {
    return enqueueTraced(this.#tracing, jobId, async (payload) => {
      this.#tail = this.#tail.then(() =>
        this.#run(payload).catch((error) => this.#logger.error({ err: error, jobId }, 'training job failed')),
      );
    });
  }

  async close(): Promise<void> {
    await this.#tail;
  }
}
