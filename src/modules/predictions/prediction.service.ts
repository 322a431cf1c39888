import type { EntityManager } from '@mikro-orm/postgresql';
import { type KeysetPage, keysetQuery } from '../../infra/database/keyset.ts';
import { isUuid, uuidv7 } from '../../infra/database/uuid7.ts';
import type { TensorMap } from '../../infra/inference/tensor-data.ts';
import type { Tracing } from '../../infra/telemetry/tracing.ts';
import type { Models, ModelVersionView, ModelView } from '../models/model.service.ts';
import { Prediction, type PredictionRecord } from './prediction.entity.ts';
import type { PredictionHistory } from './prediction-history.ts';
import {
  checkedFeeds,
  jsonOutputs,
  type PredictionRuns,
  type PredictTarget,
  type RunOptions,
} from './prediction-runs.ts';

export type PredictionsDeps = {
  models: Pick<Models, 'own'>;
  runs: PredictionRuns;
  history: PredictionHistory;
  /** The most numbers one `predict` call may send across all its inputs. */
  maxInputElements: number;
  tracing: Tracing;
};

/**
 * A prediction just made, as the GraphQL `Prediction` type reads it: its model and version are the views
 * made from the metadata in hand. (History's rows are entities, whose model and version load.)
 */
export type FreshPrediction = Pick<Prediction, 'id' | 'outputs' | 'cached' | 'latencyMs' | 'createdAt'> & {
  made: { model: ModelView; version: ModelVersionView };
};

/** One prediction: its outputs as tensors (what the Open Inference Protocol sends) and as recorded. */
export type PredictionResult = { record: PredictionRecord; outputs: TensorMap };

const PREDICT_COST = 10;
const ROWS_PER_POINT = 10;

/** The cost of a prediction in points: 10, plus one per 10 rows sent. */
export function predictCost(rows: number): number {
  return PREDICT_COST + Math.ceil(rows / ROWS_PER_POINT);
}

/** Running models for their owners: inputs checked, outputs cached, every call recorded. */
export class Predictions {
  readonly #deps: PredictionsDeps;

  constructor(deps: PredictionsDeps) {
    this.#deps = deps;
  }

  /** The most numbers one call may send across all its inputs. */
  get maxInputElements(): number {
    return this.#deps.maxInputElements;
  }

  /** What a call of the user's runs (see PredictionRuns.target). */
  target(
    em: EntityManager,
    userId: string,
    modelRef: string,
    version: number | null,
  ): Promise<PredictTarget> {
    return this.#deps.runs.target(em, userId, modelRef, version);
  }

  /** GraphQL's `predict`: JSON inputs; the prediction with its model and version in hand. */
  async predict(
    em: EntityManager,
    userId: string,
    input: { modelId: string; version?: number | null; inputs?: unknown; cache?: boolean | null },
    admitted: Promise<void>,
  ): Promise<FreshPrediction> {
    const target = await this.target(em, userId, input.modelId, input.version ?? null);
    const feeds = checkedFeeds(target.version.inputs, input.inputs, this.#deps.maxInputElements);
    const { record } = await this.run(em, userId, target, feeds, { cache: input.cache !== false, admitted });
    const { id, outputs, cached, latencyMs, createdAt } = record;
    return {
      id,
      outputs,
      cached,
      latencyMs,
      createdAt,
      made: this.#deps.runs.viewsOf(target),
    };
  }

  /**
   * Runs checked input tensors on the target version: from the cache when it can, recorded in history.
   * Its trace is the caller's span (the operation's, or the HTTP request's) with the limits' verdict,
   * the cache and the run beneath it, and a `predict` event that names the version and the prediction.
   */
  async run(
    em: EntityManager,
    userId: string,
    target: PredictTarget,
    feeds: TensorMap,
    options: RunOptions,
  ): Promise<PredictionResult> {
    const { outputs, cached, latencyMs } = await this.#deps.runs.run(em, userId, target, feeds, options);
    const record: PredictionRecord = {
      id: uuidv7(),
      userId,
      modelId: target.model.id,
      versionId: target.version.id,
      outputs: jsonOutputs(outputs),
      cached,
      latencyMs,
      createdAt: new Date(),
    };
    this.#deps.tracing.event('predict', {
      'mlp.prediction.id': record.id,
      'mlp.model.id': target.model.id,
      'mlp.model.version': target.version.version,
      'mlp.prediction.cached': cached,
    });
    await this.#deps.history.record(record);
    return { record, outputs };
  }

  /** The caller's predictions, newest first, optionally of one model, a page at a time. */
  async page(
    em: EntityManager,
    userId: string,
    modelId: string | null,
    page: KeysetPage<string>,
  ): Promise<Prediction[]> {
    // This instance's own recent predictions are in history before they are read.
    await this.#deps.history.flush();
    const model = modelId === null ? undefined : await this.#deps.models.own(em, userId, modelId);
    const { where, orderBy, limit } = keysetQuery('id', 'desc', page);
    return em.find(
      Prediction,
      { user: userId, ...(model ? { model } : {}), ...where },
      { orderBy, limit, populate: ['model', 'version'] },
    );
  }

  /** One of the caller's predictions, of either kind; null when there is none of theirs with that id. */
  async get(em: EntityManager, userId: string, id: string): Promise<Prediction | null> {
    if (!isUuid(id)) return null;
    const read = () =>
      em.findOne(Prediction, { id: id.toLowerCase(), user: userId }, { populate: ['model', 'version'] });
    // One of this instance's own may be waiting to be written: history is written then, and only then.
    const found = await read();
    if (found) return found;
    await this.#deps.history.flush();
    return read();
  }
}
