import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { ref } from '@mikro-orm/core';
import { LockMode } from '@mikro-orm/postgresql';
import { inspectModel } from '../../infra/inference/model-sessions.ts';
import type { Services } from '../../services.ts';
import { Model } from '../models/model.entity.ts';
import { modelChanged } from '../models/model.events.ts';
import { ModelVersion } from '../models/model-version.entity.ts';
import { DatasetError } from './dataset.ts';
import {
  PermanentTrainingError,
  type TrainingInput,
  type TrainingResult,
  trainModel,
} from './train-model.ts';
import type { EpochReport, OnEpoch } from './trainer.ts';
import { publishTrainingJobUpdated } from './training.events.ts';
import { TrainingJob, type TrainingMetrics } from './training-job.entity.ts';

/** How often a running job writes its progress and looks for a cancellation. */
const REPORT_INTERVAL_MS = 250;

/** Where the compute happens: in this process (a worker process) or in a worker thread (embedded). */
export type Trainer = (input: TrainingInput, onEpoch: OnEpoch) => Promise<TrainingResult | null>;

/** Trains in the calling process, yielding to its event loop between epochs (the queue's heartbeats). */
export const trainHere: Trainer = (input, onEpoch) =>
  trainModel(input, async (report) => {
    await yieldToEventLoop();
    return onEpoch(report);
  });

function metricsOf(report: EpochReport): TrainingMetrics {
  return Object.fromEntries(
    Object.entries(report).filter(([, value]) => value !== undefined),
  ) as TrainingMetrics;
}

/**
 * Runs one training job to its end: RUNNING, progress per epoch, then a new active model version
 * (SUCCEEDED), or FAILED with a readable error, or CANCELLED. Safe to run again for the same job (a
 * worker that died mid-job, a retry): a finished job is left alone, and a job never publishes twice.
 * Throws only for transient trouble (the database, say), which the queue retries.
 */
export async function runTrainingJob(
  services: Services,
  jobId: string,
  options: { lastAttempt: boolean; trainer: Trainer },
): Promise<void> {
  const { orm, events, logger } = services;
  const em = orm.em.fork();
  const job = await em.findOne(TrainingJob, jobId, { populate: ['dataset'] });
  if (!job || !['QUEUED', 'RUNNING'].includes(job.status)) return; // gone with its model, or already done
  const announce = () => publishTrainingJobUpdated(events, logger, job);
  const finish = async (status: 'FAILED' | 'CANCELLED', error: string | null = null) => {
    job.status = status;
    job.error = error;
    job.finishedAt = new Date();
    await em.flush();
    await announce();
  };
  if (job.cancelRequestedAt) return finish('CANCELLED');

  job.status = 'RUNNING';
  job.startedAt = new Date();
  job.attempts += 1;
  job.progress = 0;
  await em.flush();
  await announce();

  // Reports are handled one after another (they share the entity manager), at most every 250 ms.
  let reports = Promise.resolve(true);
  let lastReport = 0;
  const onEpoch: OnEpoch = (report) => {
    reports = reports.then(async (keepGoing) => {
      const now = Date.now();
      if (!keepGoing || (report.epoch < job.params.epochs && now - lastReport < REPORT_INTERVAL_MS))
        return keepGoing;
      lastReport = now;
      job.progress = report.epoch / job.params.epochs;
      job.metrics = metricsOf(report);
      await em.flush();
      await announce();
      const fresh = await orm.em.fork().findOne(TrainingJob, jobId, { fields: ['cancelRequestedAt'] });
      return fresh !== null && fresh.cancelRequestedAt == null;
    });
    return reports;
  };

  try {
    const input = {
      csv: Buffer.from(job.dataset).toString('utf8'),
      algorithm: job.algorithm,
      params: job.params,
    };
    const result = await options.trainer(input, onEpoch);
    const keepGoing = await reports;
    if (!result || !keepGoing) return finish('CANCELLED');
    await publishVersion(services, job, result);
  } catch (error) {
    if (error instanceof DatasetError || error instanceof PermanentTrainingError)
      return finish('FAILED', error.message);
    if (options.lastAttempt) {
      logger.error({ err: error, jobId }, 'training failed');
      return finish('FAILED', 'Training failed unexpectedly; try again later.');
    }
    throw error;
  }
}

/**
 * Stores the model as the model's next version and activates it, in one transaction with the job's
 * SUCCEEDED: the unique training_job_id makes a second publish of the same job impossible.
 */
async function publishVersion(services: Services, job: TrainingJob, { onnx, classes }: TrainingResult) {
  const specs = await inspectModel(onnx);
  const published = await services.orm.em.fork().transactional(async (em) => {
    const model = await em.findOne(Model, job.model.id, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!model) return null; // deleted while training: nothing to publish to
    const stored = await em.findOneOrFail(TrainingJob, job.id);
    let version = await em.findOne(ModelVersion, { trainingJobId: job.id });
    if (!version) {
      model.latestVersion += 1;
      version = em.create(ModelVersion, {
        model,
        version: model.latestVersion,
        inputs: specs.inputs,
        outputs: specs.outputs,
        sizeBytes: onnx.byteLength,
        sha256: createHash('sha256').update(onnx).digest('hex'),
        onnx: Buffer.from(onnx.buffer, onnx.byteOffset, onnx.byteLength),
        labels: classes,
        trainingJobId: job.id,
      });
      model.activeVersion = version.version;
    }
    stored.status = 'SUCCEEDED';
    stored.progress = 1;
    stored.metrics = job.metrics;
    stored.resultVersion = ref(version);
    stored.finishedAt = new Date();
    return { model, stored };
  });
  if (!published) return;
  await publishTrainingJobUpdated(services.events, services.logger, published.stored);
  await modelChanged(services, published.model.owner.id, published.model);
}
