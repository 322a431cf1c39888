import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { uuidv7 } from '../../infra/database/uuid7.ts';
import type { ModelSpecs } from '../../infra/inference/worker-protocol.ts';
import type { Webhooks } from '../webhooks/webhooks.service.ts';
import type { Model } from './model.entity.ts';
import type { ModelQuotas } from './model-quotas.ts';
import { ModelVersion } from './model-version.entity.ts';

export type NewVersion = {
  bytes: Uint8Array;
  /** What the inference worker read off the file when it checked it. */
  specs: ModelSpecs;
  activate: boolean;
  /** For a trained classifier: the class names, by output index. */
  labels?: string[] | null;
  /** The training job that made it (unique: a job never adds two versions). */
  trainingJobId?: string | null;
};

/**
 * The one way a model gets a version, uploaded or trained: counted against the owner's quotas, numbered
 * after the last, hashed, optionally made active, and announced to the owner's webhooks. Call it in a
 * transaction (`em`) that holds the model's row lock, so concurrent additions take version numbers one
 * after another, and the version and its webhook deliveries are stored together.
 */
export async function addVersion(
  em: EntityManager,
  deps: { quotas: ModelQuotas; webhooks: Pick<Webhooks, 'record'> },
  model: Model,
  version: NewVersion,
): Promise<ModelVersion> {
  const { quotas } = deps;
  const { bytes } = version;
  await quotas.reserve(em, model.owner.id, { versions: 1, storedBytes: bytes.byteLength });
  model.latestVersion += 1;
  const added = em.create(ModelVersion, {
    // Set here, not at flush: the webhook's payload names it.
    id: uuidv7(),
    createdAt: new Date(),
    model,
    version: model.latestVersion,
    inputs: version.specs.inputs,
    outputs: version.specs.outputs,
    sizeBytes: bytes.byteLength,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    onnx: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    labels: version.labels ?? null,
    trainingJobId: version.trainingJobId ?? null,
  });
  if (version.activate) model.activeVersion = added.version;
  await deps.webhooks.record(em, {
    userId: model.owner.id,
    type: 'model_version.created',
    objectId: added.id,
    data: () => ({
      id: added.id,
      modelId: model.id,
      version: added.version,
      active: model.activeVersion === added.version,
      sizeBytes: added.sizeBytes,
      sha256: added.sha256,
      trainingJobId: added.trainingJobId ?? null,
      createdAt: added.createdAt.toISOString(),
    }),
  });
  return added;
}
