import { type EntityManager, LockMode, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import type { BatchingConfig, ModelBatching } from '../../config.ts';
import { badUserInput, fileTooLarge, modelQuarantined, notFound } from '../../errors.ts';
import { ExpiringCache } from '../../infra/cache/expiring-cache.ts';
import { type KeysetPage, keysetQuery } from '../../infra/database/keyset.ts';
import { isUuid } from '../../infra/database/uuid7.ts';
import type { Inference } from '../../infra/inference/inference.ts';
import { InferenceTimeoutError, WorkerCrashedError } from '../../infra/inference/inference-errors.ts';
import { UnsupportedModelError } from '../../infra/inference/tensor-spec.ts';
import type { Metrics } from '../../infra/metrics/metrics.ts';
import type { EventBus } from '../../infra/pubsub/event-bus.ts';
import type { Logger } from '../../logger.ts';
import type { Webhooks } from '../webhooks/webhooks.service.ts';
import { addVersion, type NewVersion } from './add-version.ts';
import { Model } from './model.entity.ts';
import { modelChanged } from './model.events.ts';
import type { ModelMetadata, ModelMetadataCache, RunnableVersion } from './model-metadata-cache.ts';
import type { ModelQuotas } from './model-quotas.ts';
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

export type ModelsDeps = {
  inference: Inference;
  metadata: ModelMetadataCache;
  quotas: ModelQuotas;
  events: EventBus;
  logger: Logger;
  /** The largest ONNX upload (MAX_MODEL_BYTES). */
  maxUploadBytes: number;
  /** The server's batching, which a model may change within its bounds; null: batching is off. */
  batching: BatchingConfig | null;
  metrics: Pick<Metrics, 'forgetVersion'>;
  webhooks: Pick<Webhooks, 'record'>;
};

/** What the GraphQL `Model` type reads of a model: an entity, or a view made from cached metadata. */
export type ModelView = Pick<
  Model,
  'id' | 'name' | 'description' | 'activeVersion' | 'batching' | 'deleted' | 'createdAt' | 'updatedAt'
>;

/** What the GraphQL `ModelVersion` type reads of a version: an entity, or a view made from cached metadata. */
export type ModelVersionView = Pick<
  ModelVersion,
  | 'id'
  | 'version'
  | 'inputs'
  | 'outputs'
  | 'sizeBytes'
  | 'sha256'
  | 'labels'
  | 'createdAt'
  | 'quarantinedUntil'
  | 'lastError'
>;

/** A model's batching: the server's, with what the model changes of it; null when batching is off. */
export function effectiveBatching(server: BatchingConfig | null, model: ModelBatching | null) {
  return server && { ...server, ...model };
}

/**
 * Models and their versions: ownership, names, uploads, the version a caller's prediction runs, and the
 * bytes behind it. Every method takes the request's entity manager and the caller's user id; what a
 * model is and how it is stored stays in here.
 */
export class Models {
  readonly #deps: ModelsDeps;
  readonly #versionLoaders = new WeakMap<EntityManager, DataLoader<string, ModelVersion[]>>();
  /** Model ids by owner and name; every use checks them against the exact metadata. */
  readonly #idsByName = new ExpiringCache<string, string>(10_000, 600_000);

  constructor(deps: ModelsDeps) {
    this.#deps = deps;
  }

  /** The caller's model, or NOT_FOUND, whether it does not exist or belongs to someone else. */
  async own(em: EntityManager, userId: string, id: string, options: { lock?: boolean } = {}): Promise<Model> {
    const model = isUuid(id)
      ? await em.findOne(
          Model,
          { id, owner: userId },
          options.lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {},
        )
      : null;
    if (!model) throw notFound('Model');
    return model;
  }

  /** The user's models, newest first, a page at a time. */
  page(em: EntityManager, userId: string, page: KeysetPage<string>): Promise<Model[]> {
    const { where, orderBy, limit } = keysetQuery('id', 'desc', page);
    return em.find(Model, { owner: userId, ...where }, { orderBy, limit });
  }

  /** A model's versions, oldest first, a page at a time. */
  versionPage(em: EntityManager, model: { id: string }, page: KeysetPage<number>): Promise<ModelVersion[]> {
    const { where, orderBy, limit } = keysetQuery('version', 'asc', page);
    return em.find(ModelVersion, { model: model.id, ...where }, { orderBy, limit });
  }

  /** Like own, but null instead of NOT_FOUND: `model(id)` reads a missing model as null. */
  async find(em: EntityManager, userId: string, id: string): Promise<Model | null> {
    return isUuid(id) ? em.findOne(Model, { id, owner: userId }) : null;
  }

  async create(em: EntityManager, userId: string, input: { name: string; description?: string | null }) {
    const name = checkName(input.name);
    const description = checkDescription(input.description);
    return em.transactional(async (tx) => {
      await this.#deps.quotas.reserve(tx, userId, { models: 1 });
      const model = tx.create(Model, { owner: userId, name, description });
      await flushUniqueName(tx, name);
      return model;
    });
  }

  async update(
    em: EntityManager,
    userId: string,
    input: {
      id: string;
      name?: string | null;
      description?: string | null;
      activeVersion?: number | null;
      batching?: ModelBatching | null;
    },
  ): Promise<Model> {
    const model = await this.own(em, userId, input.id);
    if (input.name != null) model.name = checkName(input.name);
    if (input.description !== undefined) model.description = checkDescription(input.description);
    if (input.batching !== undefined) model.batching = this.#checkBatching(input.batching);
    if (input.activeVersion != null) {
      const exists = await em.count(ModelVersion, { model, version: input.activeVersion });
      if (!exists)
        throw badUserInput(`Version ${input.activeVersion} of this model does not exist`, 'activeVersion');
      model.activeVersion = input.activeVersion;
    }
    await flushUniqueName(em, model.name);
    await this.changed(model);
    return model;
  }

  /** A model's batching overrides, checked against the server's bounds; null or empty: none. */
  #checkBatching(batching: ModelBatching | null): ModelBatching | null {
    const server = this.#deps.batching;
    if (!batching || !server) {
      if (batching && !server)
        throw badUserInput('Batching is off on this server (INFERENCE_BATCHING)', 'batching');
      return null;
    }
    const checked: ModelBatching = {};
    const { windowMs, maxRows, preferredRows } = batching;
    if (windowMs != null) {
      if (!Number.isInteger(windowMs) || windowMs < 0 || windowMs > 1000)
        throw badUserInput('maxQueueDelayMs must be from 0 to 1000', 'batching');
      checked.windowMs = windowMs;
    }
    const most = maxRows ?? server.maxRows;
    if (maxRows != null) {
      if (!Number.isInteger(maxRows) || maxRows < 1 || maxRows > server.maxRows)
        throw badUserInput(
          `maxBatchRows must be from 1 to ${server.maxRows} (INFERENCE_BATCH_MAX_ROWS)`,
          'batching',
        );
      checked.maxRows = maxRows;
    }
    if (preferredRows != null) {
      const sizes = [...new Set(preferredRows)].sort((a, b) => a - b);
      if (sizes.length > 8 || sizes.some((size) => !Number.isInteger(size) || size < 1 || size > most))
        throw badUserInput(`preferredBatchRows must be at most 8 sizes from 1 to ${most}`, 'batching');
      checked.preferredRows = sizes;
    }
    return Object.keys(checked).length > 0 ? checked : null;
  }

  async delete(em: EntityManager, userId: string, id: string): Promise<boolean> {
    const model = await this.own(em, userId, id);
    const versions = await em.find(ModelVersion, { model }, { fields: ['id', 'version'] });
    // Versions and predictions go with it (on delete cascade).
    await em.remove(model).flush();
    for (const version of versions) {
      this.#deps.inference.forget(version.id);
      this.#deps.metrics.forgetVersion({ model: model.id, version: String(version.version) });
    }
    await this.changed(model, { deleted: true });
    return true;
  }

  /** A model's versions, oldest first; the models of one request are loaded in one query. */
  listVersions(em: EntityManager, model: { id: string }): Promise<ModelVersion[]> {
    return this.#versionLoader(em).load(model.id);
  }

  /** A model's version by number, from the same batched load. */
  async findVersion(em: EntityManager, model: { id: string }, version: number): Promise<ModelVersion | null> {
    return (await this.listVersions(em, model)).find((found) => found.version === version) ?? null;
  }

  /**
   * A loader per request (per entity manager, which lives as long as the request): `models { versions }`
   * asks for every model's versions in the same tick, and gets them with one query.
   */
  #versionLoader(em: EntityManager): DataLoader<string, ModelVersion[]> {
    let loader = this.#versionLoaders.get(em);
    if (!loader) {
      loader = new DataLoader(
        async (modelIds: readonly string[]) => {
          const rows = await em.find(
            ModelVersion,
            { model: { $in: [...modelIds] } },
            { orderBy: { version: 'asc' } },
          );
          return modelIds.map((id) => rows.filter((row) => row.model.id === id));
          // Batching only: a write earlier in the same operation must be seen by a later field.
        },
        { cache: false },
      );
      this.#versionLoaders.set(em, loader);
    }
    return loader;
  }

  /**
   * Stores an uploaded ONNX file as the model's next version. The file is checked and loaded in an
   * inference worker first: what it cannot load, or cannot serve, is refused and nothing is stored.
   */
  async upload(
    em: EntityManager,
    userId: string,
    input: { modelId: string; file: File; activate?: boolean | null },
  ): Promise<ModelVersion> {
    // Checked before the file is read and inspected (NOT_FOUND costs nothing), and again under the lock.
    await this.own(em, userId, input.modelId);
    // The multipart parser stops anything over the largest file limit while it streams in (see app.ts).
    const max = this.#deps.maxUploadBytes;
    if (input.file.size > max) throw fileTooLarge('file', input.file.size, max, 'MAX_MODEL_BYTES');
    if (input.file.size === 0) throw badUserInput('The file is empty', 'file');
    // Refused before a worker spends time on the file; checked again, under a lock, when it is stored.
    await this.#deps.quotas.check(em, userId, { versions: 1, storedBytes: input.file.size });
    const bytes = new Uint8Array(await input.file.arrayBuffer());
    const specs = await this.#inspectUpload(userId, bytes);
    const version = await em.transactional(async (tx) => {
      const model = await this.own(tx, userId, input.modelId, { lock: true });
      return addVersion(tx, this.#deps, model, { bytes, specs, activate: input.activate ?? true });
    });
    await this.changed(version.model);
    return version;
  }

  /**
   * Adds a version made by mlp itself (training) to `model`, in the caller's transaction that holds the
   * model's row lock; the file is checked by an inference worker like an upload.
   */
  async addTrained(em: EntityManager, model: Model, file: Omit<NewVersion, 'specs'>) {
    const specs = await this.#deps.inference.inspect(file.bytes, model.owner.id);
    return addVersion(em, this.#deps, model, { ...file, specs });
  }

  /** Whether the user owns the model, from the metadata cache (no database read, usually no round trip). */
  async owns(em: EntityManager, userId: string, modelId: string): Promise<boolean> {
    return (await this.#metadataOf(em, modelId))?.ownerId === userId;
  }

  #metadataOf(em: EntityManager, modelId: string): Promise<ModelMetadata | null> {
    if (!isUuid(modelId)) return Promise.resolve(null);
    // PostgreSQL reads a UUID in any case; the cache must too, or `ABC…` would miss the invalidations of `abc…`.
    const id = modelId.toLowerCase();
    return this.#deps.metadata.get(id, () => this.#loadMetadata(em.fork(), id));
  }

  /**
   * The id of the user's model that `ref` names: an id, or the name of one of the user's models. A name is
   * remembered, and what is remembered is checked against the exact metadata on every use, so a rename or
   * a deletion is never answered from memory. Null: no such model of the user's.
   */
  async idOf(em: EntityManager, userId: string, ref: string): Promise<string | null> {
    if (isUuid(ref)) return ref.toLowerCase();
    const key = `${userId}\0${ref}`;
    const remembered = this.#idsByName.get(key);
    if (remembered) {
      const metadata = await this.#metadataOf(em, remembered);
      if (metadata?.ownerId === userId && metadata.name === ref) return remembered;
      this.#idsByName.delete(key);
    }
    const found = await em.fork().findOne(Model, { owner: userId, name: ref }, { fields: ['id'] });
    if (!found) return null;
    this.#idsByName.set(key, found.id);
    return found.id;
  }

  /**
   * The user's model and one of its versions (null: the active one), from the model metadata cache (no
   * database read on the hot path; an explicit version from PostgreSQL). NOT_FOUND for anything not the
   * user's; the version is null when the model has no such version (or no active one).
   */
  async version(
    em: EntityManager,
    userId: string,
    modelId: string,
    number: number | null,
  ): Promise<{ model: ModelMetadata; version: RunnableVersion | null }> {
    const metadata = await this.#metadataOf(em, modelId);
    if (!metadata || metadata.ownerId !== userId) throw notFound('Model');
    if (number === null) return { model: metadata, version: metadata.activeVersion };
    if (number === metadata.activeVersion?.version)
      return { model: metadata, version: metadata.activeVersion };
    const found = await em.findOne(ModelVersion, { model: metadata.id, version: number });
    return { model: metadata, version: found ? runnable(found) : null };
  }

  /**
   * The version a caller's prediction runs, after checking the model is the caller's, the version exists
   * and is not quarantined.
   */
  async versionToRun(
    em: EntityManager,
    userId: string,
    modelId: string,
    number: number | null,
  ): Promise<{ model: ModelMetadata; version: RunnableVersion }> {
    const { model, version } = await this.version(em, userId, modelId, number);
    if (!version) {
      if (number !== null) throw badUserInput(`Version ${number} of this model does not exist`, 'version');
      throw badUserInput(
        'This model has no active version yet: upload one with uploadModelVersion',
        'modelId',
      );
    }
    if (version.quarantinedUntil !== null && version.quarantinedUntil > Date.now()) {
      throw modelQuarantined(version.version, new Date(version.quarantinedUntil), version.lastError);
    }
    return { model, version };
  }

  /**
   * The model and version of a prediction, for its `model` and `version` fields, made from the metadata in
   * hand: answering them reads no database (and builds no entity: merging two into the identity map cost
   * more than the rest of a cached predict).
   */
  viewsOf(model: ModelMetadata, version: RunnableVersion): { model: ModelView; version: ModelVersionView } {
    return {
      model: {
        id: model.id,
        name: model.name,
        description: model.description,
        activeVersion: model.activeVersion?.version ?? null,
        batching: model.batching,
        deleted: false,
        createdAt: new Date(model.createdAt),
        updatedAt: new Date(model.updatedAt),
      },
      version: {
        id: version.id,
        version: version.version,
        inputs: version.inputs,
        outputs: version.outputs,
        sizeBytes: version.sizeBytes,
        sha256: version.sha256,
        labels: version.labels,
        createdAt: new Date(version.createdAt),
        quarantinedUntil: version.quarantinedUntil === null ? null : new Date(version.quarantinedUntil),
        lastError: version.lastError,
      },
    };
  }

  /** The ONNX bytes of a version, read only when an inference worker has to load its session. */
  async versionBytes(em: EntityManager, versionId: string): Promise<Uint8Array> {
    const row = await em.fork().findOneOrFail(ModelVersion, versionId, { fields: ['onnx'] });
    return row.onnx;
  }

  /**
   * After a change to a model is committed (a new or activated version, a rename, a deletion): every
   * instance drops its cached metadata first, then subscribers hear of it.
   */
  async changed(model: Model, change: { deleted: boolean } = { deleted: false }): Promise<void> {
    await modelChanged(this.#deps, model.owner.id, model, change);
  }

  /**
   * Checks an upload in an inference worker (never here: decoding and loading a hostile file may take
   * long or allocate much) and reads its inputs and outputs; what cannot be served is BAD_USER_INPUT.
   */
  async #inspectUpload(userId: string, bytes: Uint8Array) {
    const refuse = (reason: string) =>
      badUserInput(`The file is not an ONNX model mlp can serve: ${reason}`, 'file');
    try {
      return await this.#deps.inference.inspect(bytes, userId);
    } catch (error) {
      if (error instanceof UnsupportedModelError) throw refuse(error.message);
      if (error instanceof InferenceTimeoutError && error.stage !== 'queue') throw refuse(error.message);
      if (error instanceof WorkerCrashedError) {
        throw refuse('loading it exhausted the memory of its sandbox or crashed onnxruntime');
      }
      throw error;
    }
  }

  /** What predict needs of a model, read from PostgreSQL (behind the model metadata cache). */
  async #loadMetadata(em: EntityManager, modelId: string): Promise<ModelMetadata | null> {
    const model = await em.findOne(Model, modelId);
    if (!model) return null;
    const active =
      model.activeVersion == null
        ? null
        : await em.findOne(ModelVersion, { model, version: model.activeVersion });
    return {
      id: model.id,
      ownerId: model.owner.id,
      name: model.name,
      description: model.description ?? null,
      latestVersion: model.latestVersion,
      batching: model.batching ?? null,
      createdAt: model.createdAt.getTime(),
      updatedAt: model.updatedAt.getTime(),
      activeVersion: active && runnable(active),
    };
  }
}

function runnable(version: ModelVersion): RunnableVersion {
  return {
    id: version.id,
    version: version.version,
    inputs: version.inputs,
    outputs: version.outputs,
    sizeBytes: version.sizeBytes,
    sha256: version.sha256,
    labels: version.labels ?? null,
    createdAt: version.createdAt.getTime(),
    quarantinedUntil: version.quarantinedUntil?.getTime() ?? null,
    lastError: version.lastError ?? null,
  };
}
