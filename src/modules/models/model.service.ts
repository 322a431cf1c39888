import { type EntityManager, LockMode, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import type { Context } from '../../context.ts';
import { badUserInput, fileTooLarge, notFound } from '../../errors.ts';
import { isUuid } from '../../infra/database/uuid7.ts';
import { InferenceTimeoutError, WorkerCrashedError } from '../../infra/inference/inference-errors.ts';
import { UnsupportedModelError } from '../../infra/inference/tensor-spec.ts';
import { requireUser } from '../auth/viewer.ts';
import { addVersion } from './add-version.ts';
import { Model } from './model.entity.ts';
import { modelChanged } from './model.events.ts';
import type { ModelMetadata, RunnableVersion } from './model-metadata-cache.ts';
import { ModelVersion } from './model-version.entity.ts';

const MAX_NAME = 100;
const MAX_DESCRIPTION = 2000;

function checkName(raw: string): string {
  const name = raw.trim();
  if (name === '' || name.length > MAX_NAME) {
    throw badUserInput(`Model name must be 1 to ${MAX_NAME} characters`, 'name');
  }
  return name;
}

function checkDescription(description: string | null | undefined): string | null {
  if (description && description.length > MAX_DESCRIPTION) {
    throw badUserInput(`Description must be at most ${MAX_DESCRIPTION} characters`, 'description');
  }
  return description?.trim() || null;
}

async function flushUniqueName(em: EntityManager, name: string): Promise<void> {
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw badUserInput(`You already have a model named "${name}"`, 'name');
    }
    throw error;
  }
}

/** The caller's model, or NOT_FOUND, whether it does not exist or belongs to someone else. */
export async function ownModel(ctx: Context, id: string, options: { lock?: boolean } = {}): Promise<Model> {
  const { userId } = requireUser(ctx.viewer);
  const model = isUuid(id)
    ? await ctx.em.findOne(
        Model,
        { id, owner: userId },
        options.lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {},
      )
    : null;
  if (!model) throw notFound('Model');
  return model;
}

export async function listModels(ctx: Context): Promise<Model[]> {
  const { userId } = requireUser(ctx.viewer);
  return ctx.em.find(Model, { owner: userId }, { orderBy: { id: 'desc' } });
}

/** Like ownModel, but null instead of NOT_FOUND: `model(id)` reads a missing model as null. */
export async function findModel(ctx: Context, id: string): Promise<Model | null> {
  const { userId } = requireUser(ctx.viewer);
  return isUuid(id) ? ctx.em.findOne(Model, { id, owner: userId }) : null;
}

export async function createModel(ctx: Context, input: { name: string; description?: string | null }) {
  const { userId } = requireUser(ctx.viewer);
  const name = checkName(input.name);
  const description = checkDescription(input.description);
  return ctx.em.transactional(async (em) => {
    await ctx.services.modelQuotas.reserve(em, userId, { models: 1 });
    const model = em.create(Model, { owner: userId, name, description });
    await flushUniqueName(em, name);
    return model;
  });
}

export async function updateModel(
  ctx: Context,
  input: { id: string; name?: string | null; description?: string | null; activeVersion?: number | null },
): Promise<Model> {
  const model = await ownModel(ctx, input.id);
  if (input.name != null) model.name = checkName(input.name);
  if (input.description !== undefined) model.description = checkDescription(input.description);
  if (input.activeVersion != null) {
    const exists = await ctx.em.count(ModelVersion, { model, version: input.activeVersion });
    if (!exists)
      throw badUserInput(`Version ${input.activeVersion} of this model does not exist`, 'activeVersion');
    model.activeVersion = input.activeVersion;
  }
  await flushUniqueName(ctx.em, model.name);
  await modelChanged(ctx.services, model.owner.id, model);
  return model;
}

export async function deleteModel(ctx: Context, id: string): Promise<boolean> {
  const model = await ownModel(ctx, id);
  const versions = await ctx.em.find(ModelVersion, { model }, { fields: ['id'] });
  // Versions and predictions go with it (on delete cascade).
  await ctx.em.remove(model).flush();
  for (const version of versions) ctx.services.inference.forget(version.id);
  await modelChanged(ctx.services, model.owner.id, model, { deleted: true });
  return true;
}

export async function listVersions(ctx: Context, model: Model): Promise<ModelVersion[]> {
  return ctx.em.find(ModelVersion, { model }, { orderBy: { version: 'asc' } });
}

export async function findVersion(ctx: Context, model: Model, version: number): Promise<ModelVersion | null> {
  return ctx.em.findOne(ModelVersion, { model, version });
}

/**
 * Stores an uploaded ONNX file as the model's next version. The file is loaded by onnxruntime first: what
 * it cannot load, or cannot serve, is refused and nothing is stored.
 */
export async function uploadVersion(
  ctx: Context,
  input: { modelId: string; file: File; activate?: boolean | null },
): Promise<ModelVersion> {
  // Checked before the file is read and inspected (NOT_FOUND costs nothing), and again under the lock.
  await ownModel(ctx, input.modelId);
  // The multipart parser stops anything over the largest file limit while it streams in (see app.ts).
  const max = ctx.services.config.models.maxUploadBytes;
  if (input.file.size > max) throw fileTooLarge('file', input.file.size, max, 'MAX_MODEL_BYTES');
  if (input.file.size === 0) throw badUserInput('The file is empty', 'file');
  // Refused before a worker spends time on the file; checked again, under a lock, when it is stored.
  const { userId } = requireUser(ctx.viewer);
  const adding = { versions: 1, storedBytes: input.file.size };
  await ctx.services.modelQuotas.check(ctx.em, userId, adding);
  const bytes = new Uint8Array(await input.file.arrayBuffer());
  const specs = await inspectUpload(ctx, bytes);
  const version = await ctx.em.transactional(async (em) => {
    const model = await ownModel({ ...ctx, em }, input.modelId, { lock: true });
    return addVersion(em, ctx.services.modelQuotas, model, {
      bytes,
      specs,
      activate: input.activate ?? true,
    });
  });
  await modelChanged(ctx.services, version.model.owner.id, version.model);
  return version;
}

/**
 * Checks an upload in an inference worker (never here: decoding and loading a hostile file may take
 * long or allocate much) and reads its inputs and outputs; what cannot be served is BAD_USER_INPUT.
 */
async function inspectUpload(ctx: Context, bytes: Uint8Array) {
  const refuse = (reason: string) =>
    badUserInput(`The file is not an ONNX model mlp can serve: ${reason}`, 'file');
  try {
    return await ctx.services.inference.inspect(bytes, requireUser(ctx.viewer).userId);
  } catch (error) {
    if (error instanceof UnsupportedModelError) throw refuse(error.message);
    if (error instanceof InferenceTimeoutError && error.stage !== 'queue') {
      throw refuse(error.message);
    }
    if (error instanceof WorkerCrashedError) {
      throw refuse('loading it exhausted the memory of its sandbox or crashed onnxruntime');
    }
    throw error;
  }
}

/** The ONNX bytes of a version, read only when its session has to be loaded. */
export async function loadVersionBytes(ctx: Context, versionId: string): Promise<Uint8Array> {
  const row = await ctx.em.fork().findOneOrFail(ModelVersion, versionId, { fields: ['onnx'] });
  return row.onnx;
}

/** What predict needs of a model, read from PostgreSQL (behind the model metadata cache). */
export async function loadModelMetadata(ctx: Context, modelId: string): Promise<ModelMetadata | null> {
  const em = ctx.em.fork();
  const model = await em.findOne(Model, modelId);
  if (!model) return null;
  const active =
    model.activeVersion == null
      ? null
      : await em.findOne(ModelVersion, { model, version: model.activeVersion });
  return { id: model.id, ownerId: model.owner.id, activeVersion: active && runnable(active) };
}

export function runnable(version: ModelVersion): RunnableVersion {
  return {
    id: version.id,
    version: version.version,
    inputs: version.inputs,
    outputs: version.outputs,
    quarantinedUntil: version.quarantinedUntil?.getTime() ?? null,
    lastError: version.lastError ?? null,
  };
}
