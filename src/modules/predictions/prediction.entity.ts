import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../../infra/database/uuid7.ts';
import { Model } from '../models/model.entity.ts';
import { ModelVersion } from '../models/model-version.entity.ts';
import { User } from '../users/user.entity.ts';

export type TensorOutputs = Record<string, unknown>;

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
    outputs: p.json<TensorOutputs>(),
    cached: p.boolean().default(false),
    latencyMs: p.double().runtimeType('number').$type<number>(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type Prediction = InferEntity<typeof Prediction>;

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
  };
}
