import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ModelSpecs } from '../../infra/inference/worker-protocol.ts';
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
 * after the last, hashed, and optionally made active. Call it in a transaction (`em`) that holds the
 * model's row lock, so concurrent additions take version numbers one after another.
 */
export async function addVersion(
  em: EntityManager,
  quotas: ModelQuotas,
  model: Model,
  version: NewVersion,
): Promise<ModelVersion> {
  const { bytes } = version;
  await quotas.reserve(em, model.owner.id, { versions: 1, storedBytes: bytes.byteLength });
  model.latestVersion += 1;
  const added = em.create(ModelVersion, {
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
  return added;
}
