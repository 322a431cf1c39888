import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../../infra/database/uuid7.ts';
import type { TensorSpec } from '../../infra/inference/tensor-spec.ts';
import { Model } from './model.entity.ts';

export const ModelVersion = defineEntity({
  name: 'ModelVersion',
  tableName: 'model_versions',
  uniques: [{ properties: ['model', 'version'] }],
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => uuidv7()),
    model: () => p.manyToOne(Model).deleteRule('cascade'),
    version: p.integer(),
    inputs: p.json<TensorSpec[]>(),
    outputs: p.json<TensorSpec[]>(),
    sizeBytes: p.integer(),
    sha256: p.string(),
    /** The ONNX file itself, in PostgreSQL so every API instance and worker can load it. Lazy: listing
     * versions must not drag megabytes of weights along. */
    onnx: p.blob().lazy(),
    /** For a trained classifier: the class names, by output index. */
    labels: p.json<string[]>().nullable(),
    /** The training job that produced this version: unique, so a job can never publish twice. */
    trainingJobId: p.uuid().nullable().unique(),
    /** Runs that passed their deadline or killed their worker, within the quarantine window. */
    containmentFailures: p.integer().default(0),
    lastFailureAt: p.datetime().nullable(),
    /** Why the last such run failed, for the owner. */
    lastError: p.text().nullable(),
    /** Until then, predict refuses this version at once (see model-quarantine.ts). */
    quarantinedUntil: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type ModelVersion = InferEntity<typeof ModelVersion>;
