import { performance } from 'node:perf_hooks';
import type { FilterQuery } from '@mikro-orm/core';
import type { Context } from '../../context.ts';
import {
  badUserInput,
  inferenceFailed,
  inferenceStopped,
  inferenceTimeout,
  modelQuarantined,
  notFound,
  outputTooLarge,
} from '../../errors.ts';
import { isUuid, uuidv7 } from '../../infra/database/uuid7.ts';
import {
  InferenceError,
  InferenceTimeoutError,
  OutputTooLargeError,
  WorkerCrashedError,
} from '../../infra/inference/inference-errors.ts';
import type { TensorMap } from '../../infra/inference/tensor-data.ts';
import { fromTensor, InputError, toFeeds } from '../../infra/inference/tensor-input.ts';
import { UnsupportedModelError } from '../../infra/inference/tensor-spec.ts';
import { requireUser } from '../auth/viewer.ts';
import { loadModelMetadata, loadVersionBytes, ownModel, runnable } from '../models/model.service.ts';
import type { RunnableVersion } from '../models/model-metadata-cache.ts';
import { ModelVersion } from '../models/model-version.entity.ts';
import {
  Prediction,
  type PredictionRecord,
  predictionData,
  type TensorOutputs,
} from './prediction.entity.ts';

/**
 * The version a prediction runs, after checking the model is the caller's. The active version comes from
 * the model metadata cache (no database read on the hot path); an explicit one from PostgreSQL.
 */
async function versionToRun(
  ctx: Context,
  userId: string,
  modelId: string,
  number: number | null,
): Promise<RunnableVersion> {
  const metadata = isUuid(modelId)
    ? await ctx.services.modelMetadata.get(modelId, () => loadModelMetadata(ctx, modelId))
    : null;
  if (!metadata || metadata.ownerId !== userId) throw notFound('Model');
  if (number === null) {
    if (!metadata.activeVersion) {
      throw badUserInput(
        'This model has no active version yet: upload one with uploadModelVersion',
        'modelId',
      );
    }
    return metadata.activeVersion;
  }
  const version = await ctx.em.findOne(ModelVersion, { model: modelId, version: number });
  if (!version) throw badUserInput(`Version ${number} of this model does not exist`, 'version');
  return runnable(version);
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

export async function predict(
  ctx: Context,
  input: { modelId: string; version?: number | null; inputs?: unknown; cache?: boolean | null },
): Promise<Prediction> {
  const { userId } = requireUser(ctx.viewer);
  const started = performance.now();
  const version = await versionToRun(ctx, userId, input.modelId, input.version ?? null);
  if (version.quarantinedUntil !== null && version.quarantinedUntil > Date.now()) {
    throw modelQuarantined(version.version, new Date(version.quarantinedUntil), version.lastError);
  }

  let feeds: ReturnType<typeof toFeeds>;
  try {
    feeds = toFeeds(version.inputs, input.inputs, ctx.services.config.predictions.maxInputElements);
  } catch (error) {
    if (error instanceof InputError) throw badUserInput(error.message, 'inputs');
    throw error;
  }
  const infer = async (): Promise<TensorOutputs> => {
    let results: TensorMap;
    try {
      results = await ctx.services.inference.run(version, feeds, {
        userId,
        loadBytes: () => loadVersionBytes(ctx, version.id),
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
      : await ctx.services.predictionCache.getOrCompute(version.id, feeds, infer);

  const record: PredictionRecord = {
    id: uuidv7(),
    userId,
    modelId: input.modelId,
    versionId: version.id,
    outputs,
    cached,
    latencyMs: performance.now() - started,
    createdAt: new Date(),
  };
  await ctx.services.predictionHistory.record(record);
  return ctx.em.create(Prediction, predictionData(record), { persist: false });
}

export type PredictionPage = { predictions: Prediction[]; hasNextPage: boolean };

const MAX_PAGE = 100;

/** Opaque to clients; inside it is the id of the last prediction seen (ids sort by time). */
export function toCursor(prediction: Prediction): string {
  return Buffer.from(prediction.id).toString('base64url');
}

function fromCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!isUuid(id)) throw badUserInput('The cursor is not valid', 'after');
  return id;
}

/** The caller's predictions, newest first, optionally of one model. */
export async function listPredictions(
  ctx: Context,
  args: { modelId?: string | null; first?: number | null; after?: string | null },
): Promise<PredictionPage> {
  const { userId } = requireUser(ctx.viewer);
  const first = args.first ?? 20;
  if (first < 1 || first > MAX_PAGE) throw badUserInput(`first must be from 1 to ${MAX_PAGE}`, 'first');
  // This instance's own recent predictions are in history before they are read.
  await ctx.services.predictionHistory.flush();
  const where: FilterQuery<Prediction> = { user: userId };
  if (args.modelId != null) where.model = await ownModel(ctx, args.modelId);
  if (args.after != null) where.id = { $lt: fromCursor(args.after) };
  const rows = await ctx.em.find(Prediction, where, {
    orderBy: { id: 'desc' },
    limit: first + 1,
    populate: ['model', 'version'],
  });
  return { predictions: rows.slice(0, first), hasNextPage: rows.length > first };
}
