import { performance } from 'node:perf_hooks';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  badUserInput,
  inferenceFailed,
  inferenceStopped,
  inferenceTimeout,
  notFound,
  outputTooLarge,
} from '../../errors.ts';
import { type KeysetPage, keysetQuery } from '../../infra/database/keyset.ts';
import { uuidv7 } from '../../infra/database/uuid7.ts';
import type { Inference } from '../../infra/inference/inference.ts';
import {
  InferenceError,
  InferenceTimeoutError,
  OutputTooLargeError,
  WorkerCrashedError,
} from '../../infra/inference/inference-errors.ts';
import type { TensorMap } from '../../infra/inference/tensor-data.ts';
import { fromTensor, InputError, toFeeds } from '../../infra/inference/tensor-input.ts';
import { UnsupportedModelError } from '../../infra/inference/tensor-spec.ts';
import type { Metrics } from '../../infra/metrics/metrics.ts';
import type { Tracing } from '../../infra/telemetry/tracing.ts';
import type { Models, ModelVersionView, ModelView } from '../models/model.service.ts';
import type { ModelMetadata, RunnableVersion } from '../models/model-metadata-cache.ts';
import { Prediction, type PredictionRecord, type TensorOutputs } from './prediction.entity.ts';
import { type PredictionCache, predictionKey } from './prediction-cache.ts';
import type { PredictionHistory } from './prediction-history.ts';

/** What a failed run tells the caller; anything else is unexpected (and masked). */
function runError(error: unknown): unknown {
  if (error instanceof InferenceError) return inferenceFailed(error.message);
  if (error instanceof InferenceTimeoutError) return inferenceTimeout(error.message);
  if (error instanceof OutputTooLargeError) return outputTooLarge(error.message);
  if (error instanceof WorkerCrashedError) return inferenceStopped(error.message);
  if (error instanceof UnsupportedModelError) {
    return inferenceStopped(`this version cannot be loaded (${error.message})`);
  }
  return error;
}

/** What predictions need of models: whose a model is, which version to run, and its bytes. */
export type ModelCatalog = Pick<Models, 'own' | 'idOf' | 'versionToRun' | 'versionBytes' | 'viewsOf'>;

export type PredictionsDeps = {
  models: ModelCatalog;
  inference: Inference;
  cache: PredictionCache;
  history: PredictionHistory;
  /** The most numbers one `predict` call may send across all its inputs. */
  maxInputElements: number;
  metrics: Metrics;
  tracing: Tracing;
};

/**
 * A prediction just made, as the GraphQL `Prediction` type reads it: its model and version are the views
 * made from the metadata in hand. (History's rows are entities, whose model and version load.)
 */
export type FreshPrediction = Pick<Prediction, 'id' | 'outputs' | 'cached' | 'latencyMs' | 'createdAt'> & {
  made: { model: ModelView; version: ModelVersionView };
};

/** The model a call runs and which of its versions. */
export type PredictTarget = { model: ModelMetadata; version: RunnableVersion };

/** One prediction: its outputs as tensors (what the Open Inference Protocol sends) and as recorded. */
export type PredictionResult = { record: PredictionRecord; outputs: TensorMap };

export type RunOptions = {
  /** False always runs the model. */
  cache: boolean;
  /**
   * Settles when the call's limits have admitted it (rejects when they refuse it). The cache is read
   * meanwhile, so a hit waits for one round trip, not two; the model never runs before it settles.
   */
  admitted: Promise<void>;
};

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

  /**
   * What a call of the user's runs: `modelRef` is the model's id or, for the Open Inference Protocol, its
   * name; `version` null means the active one. NOT_FOUND for anything not the user's.
   */
  async target(
    em: EntityManager,
    userId: string,
    modelRef: string,
    version: number | null,
  ): Promise<PredictTarget> {
    const modelId = await this.#deps.models.idOf(em, userId, modelRef);
    if (!modelId) throw notFound('Model');
    return this.#deps.models.versionToRun(em, userId, modelId, version);
  }

  /** GraphQL's `predict`: JSON inputs; the prediction with its model and version in hand. */
  async predict(
    em: EntityManager,
    userId: string,
    input: { modelId: string; version?: number | null; inputs?: unknown; cache?: boolean | null },
    admitted: Promise<void>,
  ): Promise<FreshPrediction> {
    const target = await this.target(em, userId, input.modelId, input.version ?? null);
    let feeds: TensorMap;
    try {
      feeds = toFeeds(target.version.inputs, input.inputs, this.#deps.maxInputElements);
    } catch (error) {
      if (error instanceof InputError) throw badUserInput(error.message, 'inputs');
      throw error;
    }
    const { record } = await this.run(em, userId, target, feeds, { cache: input.cache !== false, admitted });
    const { id, outputs, cached, latencyMs, createdAt } = record;
    return {
      id,
      outputs,
      cached,
      latencyMs,
      createdAt,
      made: this.#deps.models.viewsOf(target.model, target.version),
    };
  }

  /**
   * Runs checked input tensors on the target version: from the cache when it can, recorded in history.
   * One span (`predict`) in the caller's trace, around the cache, the limits' verdict and the run.
   */
  run(
    em: EntityManager,
    userId: string,
    target: PredictTarget,
    feeds: TensorMap,
    options: RunOptions,
  ): Promise<PredictionResult> {
    const attributes = { 'mlp.model.id': target.model.id, 'mlp.model.version': target.version.version };
    return this.#deps.tracing.span('predict', attributes, async (span) => {
      const result = await this.#run(em, userId, target, feeds, options);
      span.setAttribute('mlp.prediction.cached', result.record.cached);
      return result;
    });
  }

  async #run(
    em: EntityManager,
    userId: string,
    { model, version }: PredictTarget,
    feeds: TensorMap,
    options: RunOptions,
  ): Promise<PredictionResult> {
    const { models, inference, cache, history, metrics } = this.#deps;
    const started = performance.now();
    const labels = { model: model.id, version: String(version.version) };
    const infer = async (): Promise<TensorMap> => {
      try {
        return await inference.run({ ...version, batching: model.batching, labels }, feeds, {
          userId,
          loadBytes: () => models.versionBytes(em, version.id),
        });
      } catch (error) {
        const outcome = error instanceof InferenceTimeoutError ? 'timeout' : 'failure';
        metrics.inferenceRequests.inc({ ...labels, outcome });
        throw runError(error);
      }
    };
    let outputs: TensorMap;
    let cached = false;
    if (options.cache) {
      const key = predictionKey(version.id, feeds);
      const [, hit] = await Promise.all([options.admitted, cache.get(key)]);
      cached = hit !== undefined;
      outputs = hit ?? (await cache.compute(key, infer));
    } else {
      await options.admitted;
      outputs = await infer();
    }
    metrics.inferenceRequests.inc({ ...labels, outcome: 'success' });
    const json: TensorOutputs = {};
    for (const [name, tensor] of Object.entries(outputs)) json[name] = fromTensor(tensor);
    const record: PredictionRecord = {
      id: uuidv7(),
      userId,
      modelId: model.id,
      versionId: version.id,
      outputs: json,
      cached,
      latencyMs: performance.now() - started,
      createdAt: new Date(),
    };
    await history.record(record);
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
}
