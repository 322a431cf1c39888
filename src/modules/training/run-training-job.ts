import { randomUUID } from 'node:crypto';
import { ref } from '@mikro-orm/core';
import { LockMode } from '@mikro-orm/postgresql';
import { GraphQLError } from 'graphql';
import type { Config } from '../../config.ts';
import type { Orm } from '../../infra/database/orm.ts';
import type { Metrics } from '../../infra/metrics/metrics.ts';
import type { EventBus } from '../../infra/pubsub/event-bus.ts';
import { type JobPayload, runTraced, TRAINING_QUEUE } from '../../infra/queue/job-queue.ts';
import type { Tracing } from '../../infra/telemetry/tracing.ts';
import type { Logger } from '../../logger.ts';
import { Model } from '../models/model.entity.ts';
import type { Models } from '../models/model.service.ts';
import { ModelVersion } from '../models/model-version.entity.ts';
import type { Webhooks } from '../webhooks/webhooks.service.ts';
import { DatasetError } from './dataset.ts';
import type { Trainer } from './train-in-process.ts';
import { PermanentTrainingError, type TrainingResult } from './train-model.ts';
import type { EpochReport } from './trainer.ts';
import { announceTrainingJob, publishTrainingJobUpdated } from './training.events.ts';
import { TrainingJob, type TrainingMetrics } from './training-job.entity.ts';
import type { EpochTiming } from './training-process.ts';

/** How often a running job writes its progress. */
const REPORT_INTERVAL_MS = 250;
/** How often the worker renews its lease on a running job and looks for a cancellation. */
const HEARTBEAT_MS = 500;
/**
 * A lease not renewed for this long is free to take: its worker died. Shorter than the queue's stall
 * interval (worker.ts), so a job the queue hands out again after its worker died can be taken.
 */
const LEASE_MS = 4000;
/** Reports past this many are not spans: a trace stays readable (and within the exporter's queue). */
const MAX_EPOCH_SPANS = 200;

/** Another worker holds the job's lease; the queue retries, so the job is not lost if that worker dies. */
export class JobLeasedError extends Error {}

function metricsOf(report: EpochReport): TrainingMetrics {
  return Object.fromEntries(
    Object.entries(report).filter(([, value]) => value !== undefined),
  ) as TrainingMetrics;
}

/** What running a job takes: the database, events, models to publish to, and the training settings. */
export type TrainingRunDeps = {
  orm: Orm;
  events: EventBus;
  logger: Logger;
  models: Pick<Models, 'addTrained' | 'changed'>;
  config: Pick<Config, 'training'>;
  metrics: Pick<Metrics, 'trainingJobs' | 'trainingEpochSeconds'>;
  tracing: Tracing;
  webhooks: Pick<Webhooks, 'recordAfter'>;
};

type Stop = { kind: 'cancelled' } | { kind: 'timeout'; limitMs: number } | { kind: 'lease-lost' };

/**
 * Runs one training job to its end: RUNNING, progress per epoch, then a new active model version
 * (SUCCEEDED), or FAILED with a readable error, or CANCELLED. A worker runs a job only while it holds
 * its lease (taken with one UPDATE, renewed every HEARTBEAT_MS), so two workers never run one job; a
 * job whose worker died is taken again, at most `training.maxAttempts` times in all. Safe to run again
 * for the same job: a finished job is left alone, and a job never publishes twice. Throws only for
 * transient trouble (the database, say), and JobLeasedError, which the queue retries.
 */
export async function runTrainingJob(deps: TrainingRunDeps, jobId: string, trainer: Trainer): Promise<void> {
  const { orm, logger, config } = deps;
  const owner = randomUUID();
  const claimed = await orm.em.fork().execute<{ attempts: number }[]>(
    `update training_jobs
        set status = 'RUNNING', started_at = coalesce(started_at, now()), attempts = attempts + 1,
            progress = 0, lease_owner = ?, lease_until = now() + make_interval(secs => ?)
      where id = ? and (status = 'QUEUED' or (status = 'RUNNING' and (lease_until is null or lease_until < now())))
      returning attempts`,
    [owner, LEASE_MS / 1000, jobId],
  );
  const em = orm.em.fork();
  const job = await em.findOne(TrainingJob, jobId, { populate: ['dataset'] });
  if (claimed.length === 0) {
    if (job && ['QUEUED', 'RUNNING'].includes(job.status)) throw new JobLeasedError(`job ${jobId} is leased`);
    return; // gone with its model, or already done
  }
  if (!job) return;
  const announce = () => announceTrainingJob(deps, job);
  const finish = async (status: 'FAILED' | 'CANCELLED', error: string | null = null) => {
    deps.metrics.trainingJobs.inc({ status: status.toLowerCase() });
    job.status = status;
    job.error = error;
    job.finishedAt = new Date();
    job.leaseOwner = null;
    job.leaseUntil = null;
    await em.flush();
    await announce();
  };
  if (job.attempts > config.training.maxAttempts) {
    return finish(
      'FAILED',
      `Training stopped unexpectedly ${job.attempts - 1} times (the worker running it died); giving up.`,
    );
  }
  deps.metrics.trainingJobs.inc({ status: 'running' });
  await announce();

  // The heartbeat renews the lease, and stops the training when the job is cancelled, runs out of
  // time, or (after a long stall of this process) another worker has taken it.
  const stop = new AbortController();
  const deadline = Date.now() + config.training.jobTimeoutMs;
  const heartbeat = setInterval(() => {
    if (Date.now() > deadline) return stop.abort({ kind: 'timeout', limitMs: config.training.jobTimeoutMs });
    orm.em
      .fork()
      .execute<{ cancelled: boolean }[]>(
        `update training_jobs set lease_until = now() + make_interval(secs => ?)
          where id = ? and lease_owner = ? returning cancel_requested_at is not null as cancelled`,
        [LEASE_MS / 1000, jobId, owner],
      )
      .then(
        (rows) => {
          if (rows.length === 0) stop.abort({ kind: 'lease-lost' } satisfies Stop);
          else if (rows[0]!.cancelled) stop.abort({ kind: 'cancelled' } satisfies Stop);
        },
        (error) => logger.warn({ err: error, jobId }, 'training lease not renewed'),
      );
  }, HEARTBEAT_MS);

  // Epochs as the training process timed them: a metric, and spans in the job's trace (one per report,
  // covering the epochs since the last: epochs can take microseconds).
  const at = deps.tracing.position();
  let spans = 0;
  let lastEpochEnd = Date.now();
  const timeEpochs = (report: EpochReport, timing: EpochTiming) => {
    const seconds = (timing.end - timing.start) / 1000 / timing.epochs;
    for (let i = 0; i < timing.epochs; i++) deps.metrics.trainingEpochSeconds.observe(seconds);
    lastEpochEnd = timing.end;
    if (!at || ++spans > MAX_EPOCH_SPANS) return;
    const attributes = Object.fromEntries(
      Object.entries(metricsOf(report)).map(([name, value]) => [`mlp.training.${name}`, value]),
    );
    attributes['mlp.training.epochs'] = timing.epochs;
    deps.tracing.record(at, 'training epoch', timing, { attributes });
  };

  // Progress is written one report after another (they share the entity manager), at most every 250 ms.
  let reports = Promise.resolve();
  let lastReport = 0;
  const onEpoch = (report: EpochReport, timing: EpochTiming) => {
    timeEpochs(report, timing);
    const now = Date.now();
    if (report.epoch < job.params.epochs && now - lastReport < REPORT_INTERVAL_MS) return;
    lastReport = now;
    reports = reports.then(async () => {
      job.progress = report.epoch / job.params.epochs;
      job.metrics = metricsOf(report);
      await em.flush();
      // Subscribers see progress; webhooks are told of status changes only (not several a second).
      await publishTrainingJobUpdated(deps.events, logger, job);
    });
  };

  try {
    const input = {
      csv: Buffer.from(job.dataset).toString('utf8'),
      algorithm: job.algorithm,
      params: job.params,
    };
    const result = await trainer(input, onEpoch, stop.signal);
    // After the last epoch, the worker turned the network into ONNX.
    if (at) deps.tracing.record(at, 'training export', { start: lastEpochEnd, end: Date.now() });
    await reports;
    await deps.tracing.span('training publish', {}, () => publishVersion(deps, job, owner, result));
  } catch (error) {
    await reports.catch(() => {});
    if (stop.signal.aborted && error === stop.signal.reason) {
      const reason = error as Stop;
      if (reason.kind === 'lease-lost') return; // another worker has the job now
      if (reason.kind === 'cancelled') return finish('CANCELLED');
      return finish(
        'FAILED',
        `Training ran past its time limit of ${reason.limitMs / 1000} s and was stopped.`,
      );
    }
    if (error instanceof DatasetError || error instanceof PermanentTrainingError)
      return finish('FAILED', error.message);
    logger.error({ err: error, jobId }, 'training failed');
    return finish('FAILED', 'Training failed unexpectedly; try again later.');
  } finally {
    clearInterval(heartbeat);
  }
}

/**
 * A job a worker took from the queue: its spans continue the trace of the call that enqueued it, the
 * wait in the queue first.
 */
export function runQueuedTrainingJob(
  deps: TrainingRunDeps,
  payload: JobPayload,
  trainer: Trainer,
): Promise<void> {
  return runTraced(deps.tracing, TRAINING_QUEUE, payload, async () => {
    deps.logger.info({ jobId: payload.jobId }, 'training job started');
    await runTrainingJob(deps, payload.jobId, trainer);
    deps.logger.info({ jobId: payload.jobId }, 'training job finished');
  });
}

/**
 * Stores the model as the model's next version (the active one, if the job says so), in one transaction with the job's
 * SUCCEEDED: the unique training_job_id makes a second publish of the same job impossible.
 */
async function publishVersion(
  deps: TrainingRunDeps,
  job: TrainingJob,
  owner: string,
  { onnx, classes }: TrainingResult,
) {
  const published = await deps.orm.em.fork().transactional(async (em) => {
    const model = await em.findOne(Model, job.model.id, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!model) return null; // deleted while training: nothing to publish to
    const stored = await em.findOneOrFail(TrainingJob, job.id, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (stored.leaseOwner !== owner) return null; // another worker took the job meanwhile
    let version = await em.findOne(ModelVersion, { trainingJobId: job.id });
    if (!version) {
      try {
        version = await deps.models.addTrained(em, model, {
          bytes: onnx,
          labels: classes,
          trainingJobId: job.id,
          activate: stored.activate,
        });
      } catch (error) {
        // Over a quota: the job cannot succeed until the user makes room.
        if (error instanceof GraphQLError) throw new PermanentTrainingError(error.message);
        throw error;
      }
    }
    stored.status = 'SUCCEEDED';
    stored.progress = 1;
    stored.metrics = job.metrics;
    stored.resultVersion = ref(version);
    stored.finishedAt = new Date();
    stored.leaseOwner = null;
    stored.leaseUntil = null;
    return { model, stored };
  });
  if (!published) return;
  deps.metrics.trainingJobs.inc({ status: 'succeeded' });
  // Caches first: whoever hears SUCCEEDED and predicts at once must find the new version.
  await deps.models.changed(published.model);
  await announceTrainingJob(deps, published.stored);
}
