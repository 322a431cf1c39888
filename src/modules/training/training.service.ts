import { type EntityManager, LockMode } from '@mikro-orm/postgresql';
import type { Config, Tier, TrainingLimits } from '../../config.ts';
import { badUserInput, fileTooLarge, notFound } from '../../errors.ts';
import { type KeysetPage, keysetQuery } from '../../infra/database/keyset.ts';
import { isUuid } from '../../infra/database/uuid7.ts';
import type { EventBus } from '../../infra/pubsub/event-bus.ts';
import type { JobQueue } from '../../infra/queue/job-queue.ts';
import type { Logger } from '../../logger.ts';
import type { Models } from '../models/model.service.ts';
import type { ModelQuotas } from '../models/model-quotas.ts';
import { User } from '../users/user.entity.ts';
import type { Webhooks } from '../webhooks/webhooks.service.ts';
import { countDataRows, DatasetError, parseDataset } from './dataset.ts';
import { taskFor } from './train-model.ts';
import { announceTrainingJob, publishTrainingJobUpdated, trainingJobWebhook } from './training.events.ts';
import {
  ACTIVE_STATUSES,
  type TrainingAlgorithm,
  TrainingJob,
  type TrainingParams,
} from './training-job.entity.ts';

export type StartTrainingInput = {
  modelId: string;
  dataset: File;
  labelColumn: string;
  algorithm: TrainingAlgorithm;
  epochs?: number | null;
  learningRate?: number | null;
  hiddenUnits?: number | null;
  /** Whether the version it produces becomes the active one. */
  activate: boolean;
};

/** Defaults that train ordinary tabular data well with Adam on standardised features. */
const DEFAULTS = { epochs: 100, learningRate: 0.01, hiddenUnits: 32 };

function checkParams(input: StartTrainingInput): TrainingParams {
  const epochs = input.epochs ?? DEFAULTS.epochs;
  const learningRate = input.learningRate ?? DEFAULTS.learningRate;
  const hiddenUnits = input.hiddenUnits ?? DEFAULTS.hiddenUnits;
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > 10_000)
    throw badUserInput('epochs must be from 1 to 10000', 'epochs');
  if (!(learningRate > 0 && learningRate <= 1))
    throw badUserInput('learningRate must be above 0 and at most 1', 'learningRate');
  if (!Number.isInteger(hiddenUnits) || hiddenUnits < 1 || hiddenUnits > 1024) {
    throw badUserInput('hiddenUnits must be from 1 to 1024', 'hiddenUnits');
  }
  return { labelColumn: input.labelColumn, epochs, learningRate, hiddenUnits };
}

type TrainingSize = Omit<TrainingLimits, 'work'>;

/** The job's size against its tier's limits: BAD_USER_INPUT naming the first limit it passes. */
function checkSize(size: TrainingSize, tier: Tier, limits: TrainingLimits): void {
  const weights =
    size.hiddenUnits > 0
      ? size.features * size.hiddenUnits + size.hiddenUnits * size.classes
      : size.features * size.classes;
  const work = size.rows * size.epochs * weights;
  const checks: [keyof TrainingLimits, number][] = [
    ['rows', size.rows],
    ['features', size.features],
    ['classes', size.classes],
    ['hiddenUnits', size.hiddenUnits],
    ['epochs', size.epochs],
    ['work', work],
  ];
  for (const [name, value] of checks) checkLimit(name, value, tier, limits);
}

const LIMITED: Record<keyof TrainingLimits, string> = {
  rows: 'rows',
  features: 'feature columns',
  classes: 'classes',
  hiddenUnits: 'hidden units',
  epochs: 'epochs',
  work: 'units of work (rows × epochs × weights)',
};

function checkLimit(name: keyof TrainingLimits, value: number, tier: Tier, limits: TrainingLimits): void {
  if (value <= limits[name]) return;
  throw badUserInput(
    `This job has ${value} ${LIMITED[name]}; the ${tier} tier allows at most ${limits[name]}`,
    name === 'work' || name === 'rows' || name === 'features' || name === 'classes' ? 'dataset' : name,
  );
}

export type TrainingDeps = {
  models: Pick<Models, 'own'>;
  quotas: Pick<ModelQuotas, 'check'>;
  queue: JobQueue;
  events: EventBus;
  logger: Logger;
  webhooks: Pick<Webhooks, 'record' | 'recordAfter'>;
  config: Config['training'];
};

/** Training jobs as their owners see them: started (after every check that can be made up front), cancelled, read. */
export class Training {
  readonly #deps: TrainingDeps;

  constructor(deps: TrainingDeps) {
    this.#deps = deps;
  }

  /**
   * Checks everything that can be checked up front (the CSV, the label column, the classes, the
   * parameters, the tier's job limit), stores the job in PostgreSQL and hands it to the queue.
   */
  async start(em: EntityManager, userId: string, input: StartTrainingInput): Promise<TrainingJob> {
    const { models, quotas, queue, logger, config } = this.#deps;
    const model = await models.own(em, userId, input.modelId);
    const params = checkParams(input);
    // The version it would publish must fit (checked again when it is published).
    await quotas.check(em, userId, { versions: 1 });
    const max = config.maxDatasetBytes;
    if (input.dataset.size > max) throw fileTooLarge('dataset', input.dataset.size, max, 'MAX_DATASET_BYTES');
    const bytes = Buffer.from(await input.dataset.arrayBuffer());
    const text = bytes.toString('utf8');
    const { tier } = await em.findOneOrFail(User, userId, { fields: ['tier'] });
    const limits = config.limits[tier as Tier];
    // Counted before the parse, which a file over the tier's rows would make the event loop wait for.
    checkLimit('rows', countDataRows(text), tier as Tier, limits);
    let size: TrainingSize;
    try {
      const dataset = parseDataset(text, params.labelColumn);
      const { classes } = taskFor(dataset, input.algorithm, params.labelColumn);
      size = {
        rows: dataset.rows,
        features: dataset.features.length,
        classes: classes?.length ?? 1,
        hiddenUnits: input.algorithm === 'MLP' ? params.hiddenUnits : 0,
        epochs: params.epochs,
      };
    } catch (error) {
      if (error instanceof DatasetError)
        throw badUserInput(`The dataset cannot be used: ${error.message}`, 'dataset');
      throw error;
    }

    checkSize(size, tier as Tier, limits);

    const job = await em.transactional(async (tx) => {
      // The user's row lock makes concurrent starts count each other.
      const user = await tx.findOneOrFail(User, userId, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const limit = config.maxConcurrentJobs[user.tier as Tier];
      const active = await tx.count(TrainingJob, { user: userId, status: { $in: ACTIVE_STATUSES } });
      if (active >= limit) {
        throw badUserInput(
          `You have ${active} training job${active === 1 ? '' : 's'} queued or running, the most the ${user.tier} tier allows`,
        );
      }
      const queued = tx.create(TrainingJob, {
        user: userId,
        model,
        algorithm: input.algorithm,
        params,
        dataset: bytes,
        activate: input.activate,
      });
      await tx.flush();
      // With the job, before any worker can take it: its webhooks hear of it QUEUED first.
      await this.#deps.webhooks.record(tx, trainingJobWebhook(queued));
      return queued;
    });
    try {
      await queue.enqueue(job.id);
    } catch (error) {
      logger.error({ err: error }, 'could not queue a training job');
      const failed = {
        status: 'FAILED',
        error: 'The training queue is unavailable; try again later.',
        finishedAt: new Date(),
      } as const;
      await em.fork().nativeUpdate(TrainingJob, { id: job.id }, failed);
      Object.assign(job, failed);
      await announceTrainingJob(this.#deps, job);
      return job;
    }
    await publishTrainingJobUpdated(this.#deps.events, logger, job);
    return job;
  }

  /** A queued job is cancelled at once; a running one stops at its next epoch boundary. */
  async cancel(em: EntityManager, userId: string, id: string): Promise<TrainingJob> {
    const job = await this.find(em, userId, id);
    if (!job) throw notFound('Training job');
    if (!ACTIVE_STATUSES.includes(job.status)) {
      throw badUserInput(`The job has already finished (${job.status})`, 'id');
    }
    job.cancelRequestedAt = new Date();
    if (job.status === 'QUEUED') {
      job.status = 'CANCELLED';
      job.finishedAt = new Date();
    }
    await em.flush();
    await announceTrainingJob(this.#deps, job);
    return job;
  }

  async find(em: EntityManager, userId: string, id: string): Promise<TrainingJob | null> {
    return isUuid(id) ? em.findOne(TrainingJob, { id, user: userId }) : null;
  }

  /** The user's jobs, newest first, optionally of one model, a page at a time. */
  async page(
    em: EntityManager,
    userId: string,
    modelId: string | null,
    page: KeysetPage<string>,
  ): Promise<TrainingJob[]> {
    const model = modelId === null ? undefined : await this.#deps.models.own(em, userId, modelId);
    const { where, orderBy, limit } = keysetQuery('id', 'desc', page);
    return em.find(TrainingJob, { user: userId, ...(model ? { model } : {}), ...where }, { orderBy, limit });
  }
}
