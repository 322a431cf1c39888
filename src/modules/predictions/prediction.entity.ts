import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../../infra/database/uuid7.ts';
import { Model } from '../models/model.entity.ts';
import { ModelVersion } from '../models/model-version.entity.ts';
import { User } from '../users/user.entity.ts';

export type TensorOutputs = Record<string, unknown>;

/**
 * Where a prediction is in its life: `createPrediction` makes it STARTING, a worker PROCESSING, and it ends
 * SUCCEEDED, FAILED (its error says why, a passed deadline included) or CANCELED. `predict`'s are born
 * SUCCEEDED.
 */
export const PREDICTION_STATUSES = ['STARTING', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELED'] as const;
export type PredictionStatus = (typeof PREDICTION_STATUSES)[number];
export const OPEN_STATUSES: readonly PredictionStatus[] = ['STARTING', 'PROCESSING'];

/** What a prediction's own webhook may be told of. */
export const PREDICTION_WEBHOOK_EVENTS = ['START', 'COMPLETED'] as const;
export type PredictionWebhookEvent = (typeof PREDICTION_WEBHOOK_EVENTS)[number];

export const Prediction = defineEntity({
  name: 'Prediction',
  tableName: 'predictions',
  // History is read per user, newest first (ids are UUIDv7, so id order is time order), optionally per model.
  indexes: [{ properties: ['user', 'id'] }, { properties: ['model', 'id'] }, { properties: ['version'] }],
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => uuidv7()),
    user: () => p.manyToOne(User).deleteRule('cascade'),
    model: () => p.manyToOne(Model).ref().deleteRule('cascade'),
    version: () => p.manyToOne(ModelVersion).ref().deleteRule('cascade'),
    /** Null until the prediction succeeds. */
    outputs: p.json<TensorOutputs>().nullable(),
    cached: p.boolean().default(false),
    /** From its start to its end: the run, or the cache's answer. */
    latencyMs: p.double().runtimeType('number').$type<number>().default(0),
    createdAt: p.datetime().onCreate(() => new Date()),
    status: p.enum(PREDICTION_STATUSES).default('SUCCEEDED'),
    startedAt: p.datetime().nullable(),
    completedAt: p.datetime().nullable(),
    /** When an open prediction fails with DEADLINE_EXCEEDED (`cancelAfter`). */
    deadline: p.datetime().nullable(),
    errorCode: p.text().nullable(),
    errorMessage: p.text().nullable(),
    /** Workers that took it: more than 1 when one died while running it. */
    attempts: p.integer().default(0),
    /** Its own webhook (`createPrediction`'s `webhook`), and the events it asked for. */
    webhookUrl: p.text().nullable(),
    webhookEvents: p.array<PredictionWebhookEvent>().nullable(),
  },
});
export type Prediction = InferEntity<typeof Prediction>;

/** The inputs of a prediction waiting to run, as validated tensors (`encodeTensorMap`), and its cache choice. */
export const PredictionInputs = defineEntity({
  name: 'PredictionInputs',
  tableName: 'prediction_inputs',
  properties: {
    prediction: () => p.oneToOne(Prediction).primary().owner().ref().deleteRule('cascade'),
    feeds: p.blob(),
    cache: p.boolean(),
  },
});
export type PredictionInputs = InferEntity<typeof PredictionInputs>;

/** One completed prediction as plain data: what history stores and live events carry. */
export type PredictionRecord = {
  id: string;
  userId: string;
  modelId: string;
  versionId: string;
  outputs: TensorOutputs;
  cached: boolean;
  latencyMs: number;
  createdAt: Date;
};

/** A record as entity data, for `em.create` or `em.merge`. */
export function predictionData(record: PredictionRecord) {
  return {
    id: record.id,
    user: record.userId,
    model: record.modelId,
    version: record.versionId,
    outputs: record.outputs,
    cached: record.cached,
    latencyMs: record.latencyMs,
    createdAt: record.createdAt,
    status: 'SUCCEEDED' as const,
  };
}
