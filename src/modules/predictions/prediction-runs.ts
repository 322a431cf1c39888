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
import type { Inference } from '../../infra/inference/inference.ts';
import {
  InferenceError,
  InferenceTimeoutError,
  OutputTooLargeError,
  WorkerCrashedError,
} from '../../infra/inference/inference-errors.ts';
import type { TensorMap } from '../../infra/inference/tensor-data.ts';
import { fromTensor, InputError, toFeeds } from '../../infra/inference/tensor-input.ts';
import { type TensorSpec, UnsupportedModelError } from '../../infra/inference/tensor-spec.ts';
import type { Metrics } from '../../infra/metrics/metrics.ts';
import type { Models } from '../models/model.service.ts';
import type { ModelMetadata, RunnableVersion } from '../models/model-metadata-cache.ts';
import type { TensorOutputs } from './prediction.entity.ts';
import { type PredictionCache, predictionKey } from './prediction-cache.ts';

/** Validated input tensors for `specs`, or BAD_USER_INPUT saying what is wrong with `inputs`. */
export function checkedFeeds(specs: TensorSpec[], inputs: unknown, maxElements: number): TensorMap {
  try {
    return toFeeds(specs, inputs, maxElements);
  } catch (error) {
    if (error instanceof InputError) throw badUserInput(error.message, 'inputs');
    throw error;
  }
}

/** JSON outputs, as GraphQL's `outputs` and history carry them. */
export function jsonOutputs(outputs: TensorMap): TensorOutputs {
  const json: TensorOutputs = {};
  for (const [name, tensor] of Object.entries(outputs)) json[name] = fromTensor(tensor);
  return json;
}

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

/** The model a call runs and which of its versions. */
export type PredictTarget = { model: ModelMetadata; version: RunnableVersion };

export type RunOptions = {
  /** False always runs the model. */
  cache: boolean;
  /**
   * Settles when the call's limits have admitted it (rejects when they refuse it). The cache is read
   * meanwhile, so a hit waits for one round trip, not two; the model never runs before it settles.
   */
  admitted: Promise<void>;
};

/** A run's outputs, whether the cache gave them, and how long it took (ms). */
export type RunOutcome = { outputs: TensorMap; cached: boolean; latencyMs: number };

export type PredictionRunsDeps = {
  models: ModelCatalog;
  inference: Inference;
  cache: PredictionCache;
  metrics: Metrics;
};

/**
 * Running a model version on checked inputs: from the cache when it can, in an inference worker
 * otherwise, counted in the metrics. What `predict` (the API) and queued predictions (workers) share.
 */
export class PredictionRuns {
  readonly #deps: PredictionRunsDeps;

  constructor(deps: PredictionRunsDeps) {
    this.#deps = deps;
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

  /** The target's model and version as the GraphQL types read them. */
  viewsOf(target: PredictTarget) {
    return this.#deps.models.viewsOf(target.model, target.version);
  }

  async run(
    em: EntityManager,
    userId: string,
    { model, version }: PredictTarget,
    feeds: TensorMap,
    options: RunOptions,
  ): Promise<RunOutcome> {
    const { models, inference, cache, metrics } = this.#deps;
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
    return { outputs, cached, latencyMs: performance.now() - started };
  }
}
