import { performance } from 'node:perf_hooks';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  badUserInput,
  inferenceFailed,
  inferenceStopped,
  inferenceTimeout,
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
import type { Models } from '../models/model.service.ts';
import {
  Prediction,
  type PredictionRecord,
  predictionData,
  type TensorOutputs,
} from './prediction.entity.ts';
import type { PredictionCache } from './prediction-cache.ts';
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
export type ModelCatalog = Pick<Models, 'own' | 'versionToRun' | 'versionBytes' | 'entitiesOf'>;

export type PredictionsDeps = {
  models: ModelCatalog;
  inference: Inference;
  cache: PredictionCache;
  history: PredictionHistory;
  /** The most numbers one `predict` call may send across all its inputs. */
  maxInputElements: number;
};

/** Running models for their owners: inputs checked, outputs cached, every call recorded. */
export class Predictions {
  readonly #deps: PredictionsDeps;

  constructor(deps: PredictionsDeps) {
    this.#deps = deps;
  }

  async predict(
    em: EntityManager,
    userId: string,
    input: { modelId: string; version?: number | null; inputs?: unknown; cache?: boolean | null },
  ): Promise<Prediction> {
    const { models, inference, cache, history } = this.#deps;
    const started = performance.now();
    const { model, version } = await models.versionToRun(em, userId, input.modelId, input.version ?? null);

    let feeds: ReturnType<typeof toFeeds>;
    try {
      feeds = toFeeds(version.inputs, input.inputs, this.#deps.maxInputElements);
    } catch (error) {
      if (error instanceof InputError) throw badUserInput(error.message, 'inputs');
      throw error;
    }
    const infer = async (): Promise<TensorOutputs> => {
      let results: TensorMap;
      try {
        results = await inference.run(version, feeds, {
          userId,
          loadBytes: () => models.versionBytes(em, version.id),
        });
      } catch (error) {
        throw runError(error);
      }
      const outputs: TensorOutputs = {};
      for (const [name, tensor] of Object.entries(results)) outputs[name] = fromTensor(tensor);
      return outputs;
    };
    const { outputs, cached } =
      input.cache === false
        ? { outputs: await infer(), cached: false }
        : await cache.getOrCompute(version.id, feeds, infer);

    const record: PredictionRecord = {
      id: uuidv7(),
      userId,
      modelId: model.id,
      versionId: version.id,
      outputs,
      cached,
      latencyMs: performance.now() - started,
      createdAt: new Date(),
    };
    await history.record(record);
    models.entitiesOf(em, model, version);
    return em.create(Prediction, predictionData(record), { persist: false });
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
