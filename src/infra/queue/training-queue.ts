import BeeQueue from 'bee-queue';
import type { Logger } from '../../logger.ts';
import { isUuid } from '../database/uuid7.ts';

/** The payload of a training job on the queue: only the id; the job itself lives in PostgreSQL. */
export type TrainingJobPayload = { jobId: string };

const TRAINING_QUEUE_NAME = 'mlp-training';

/** Hands training jobs to whoever trains them: worker processes through Redis, or this process. */
export interface TrainingQueue {
  enqueue(jobId: string): Promise<void>;
  close(): Promise<void>;
}

/** Checked when a job is enqueued and again when a worker takes it. */
export function parseTrainingPayload(data: unknown): TrainingJobPayload {
  const jobId = (data as Partial<TrainingJobPayload> | null)?.jobId;
  if (typeof jobId !== 'string' || !isUuid(jobId))
    throw new Error(`invalid training job payload: ${JSON.stringify(data)}`);
  return { jobId };
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
    ...(worker ? { stallInterval: worker.stallIntervalMs } : {}),
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

  constructor(redisUrl: string, prefix: string, logger: Logger) {
    this.#queue = openTrainingQueue(redisUrl, prefix, logger, null);
  }

  async enqueue(jobId: string): Promise<void> {
    // The job id doubles as the queue id, so enqueueing the same job twice cannot run it twice.
    await this.#queue
      .createJob(parseTrainingPayload({ jobId }))
      .setId(jobId)
      .retries(3)
      .backoff('exponential', 2000)
      .save();
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
  readonly #run: (jobId: string) => Promise<void>;
  readonly #logger: Logger;
  #tail: Promise<void> = Promise.resolve();

  constructor(run: (jobId: string) => Promise<void>, logger: Logger) {
    this.#run = run;
    this.#logger = logger;
  }

  async enqueue(jobId: string): Promise<void> {
    parseTrainingPayload({ jobId });
    this.#tail = this.#tail.then(() =>
      this.#run(jobId).catch((error) => this.#logger.error({ err: error, jobId }, 'training job failed')),
    );
  }

  async close(): Promise<void> {
    await this.#tail;
  }
}
