import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { ref } from '@mikro-orm/core';
import { LockMode } from '@mikro-orm/postgresql';
import { Tensor } from 'onnxruntime-node';
import { inspectModel, loadSession } from '../../infra/inference/model-sessions.ts';
import type { Services } from '../../services.ts';
import { Model } from '../models/model.entity.ts';
import { publishModelUpdated } from '../models/model.events.ts';
import { ModelVersion } from '../models/model-version.entity.ts';
import { type Dataset, DatasetError, encodeClasses, numericTargets, parseDataset } from './dataset.ts';
import { exportOnnx } from './onnx-export.ts';
import { type EpochReport, predict, type Task, type TrainedNetwork, train } from './trainer.ts';
import { publishTrainingJobUpdated } from './training.events.ts';
import { TrainingJob, type TrainingMetrics } from './training-job.entity.ts';

/** How often a running job writes its progress and looks for a cancellation. */
const REPORT_INTERVAL_MS = 250;

/** A job that cannot succeed however often it is retried: it fails with this message. */
class PermanentFailure extends Error {}

export type TaskSpec = { task: Task; classes: string[] | null };

/** The learning task a dataset and algorithm make; throws DatasetError when they do not fit. */
export function taskFor(
  dataset: Dataset,
  algorithm: TrainingJob['algorithm'],
  labelColumn: string,
): TaskSpec {
  if (algorithm === 'LINEAR_REGRESSION') {
    return { task: { kind: 'regression', y: numericTargets(dataset.labels, labelColumn) }, classes: null };
  }
  const { classes, y } = encodeClasses(dataset.labels);
  return { task: { kind: 'classification', classes: classes.length, y }, classes };
}

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
  options: { lastAttempt: boolean },
): Promise<void> {
  const { orm, events, logger } = services;
  const em = orm.em.fork();
  const job = await em.findOne(TrainingJob, jobId, { populate: ['dataset'] });
  if (!job || !['QUEUED', 'RUNNING'].includes(job.status)) return; // gone with its model, or already done
  const announce = () => publishTrainingJobUpdated(events, logger, job);
  const finish = async (status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED', error: string | null = null) => {
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

  try {
    const dataset = parseDataset(Buffer.from(job.dataset).toString('utf8'), job.params.labelColumn);
    const { task, classes } = taskFor(dataset, job.algorithm, job.params.labelColumn);
    let lastReport = 0;
    let cancelled = false;
    const network = await train(
      dataset.x,
      dataset.rows,
      dataset.features.length,
      task,
      {
        epochs: job.params.epochs,
        learningRate: job.params.learningRate,
        hiddenUnits: job.algorithm === 'MLP' ? job.params.hiddenUnits : 0,
      },
      async (report) => {
        await yieldToEventLoop(); // keep the queue's heartbeats and the process responsive
        const now = Date.now();
        if (report.epoch < job.params.epochs && now - lastReport < REPORT_INTERVAL_MS) return true;
        lastReport = now;
        job.progress = report.epoch / job.params.epochs;
        job.metrics = metricsOf(report);
        await em.flush();
        await announce();
        const fresh = await orm.em.fork().findOne(TrainingJob, jobId, { fields: ['cancelRequestedAt'] });
        cancelled = !fresh || fresh.cancelRequestedAt != null;
        return !cancelled;
      },
    );
    if (!network || cancelled) return finish('CANCELLED');
    const onnx = exportOnnx(network);
    await checkExport(onnx, network, dataset);
    await publishVersion(services, job, onnx, classes);
  } catch (error) {
    if (error instanceof DatasetError || error instanceof PermanentFailure)
      return finish('FAILED', error.message);
    if (options.lastAttempt) {
      logger.error({ err: error, jobId }, 'training failed');
      return finish('FAILED', 'Training failed unexpectedly; try again later.');
    }
    throw error;
  }
}

/** The exported graph must load in onnxruntime and agree with the trainer's own forward pass. */
async function checkExport(onnx: Uint8Array, network: TrainedNetwork, dataset: Dataset): Promise<void> {
  const rows = Math.min(dataset.rows, 256);
  const session = await loadSession(onnx);
  try {
    const width = dataset.features.length;
    const x = dataset.x.subarray(0, rows * width);
    const results = await session.run({ x: new Tensor('float32', Float32Array.from(x), [rows, width]) });
    const actual = (results.probabilities ?? results.value)!.data as Float32Array;
    const expected = predict(network, x, rows);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
    }
    if (!(worst < 1e-3))
      throw new PermanentFailure(`the exported model disagrees with training (by ${worst})`);
  } finally {
    await session.release();
  }
}

/**
 * Stores the model as the model's next version and activates it, in one transaction with the job's
 * SUCCEEDED: the unique training_job_id makes a second publish of the same job impossible.
 */
async function publishVersion(
  services: Services,
  job: TrainingJob,
  onnx: Uint8Array,
  classes: string[] | null,
) {
  const specs = await inspectModel(onnx);
  const result = await services.orm.em.fork().transactional(async (em) => {
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
  if (!result) return;
  await publishTrainingJobUpdated(services.events, services.logger, result.stored);
  await publishModelUpdated(services, result.model.owner.id, result.model);
}
