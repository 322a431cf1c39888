import type { TensorSpec } from '../../infra/inference/tensor-spec.ts';
import type { RedisClientType } from '../../infra/redis.ts';
import { withTimeout } from '../../infra/timeout.ts';
import type { Logger } from '../../logger.ts';

/** What `predict` needs of a model on every call: whose it is and which version runs by default. */
export type ModelMetadata = {
  id: string;
  ownerId: string;
  activeVersion: { id: string; version: number; inputs: TensorSpec[]; outputs: TensorSpec[] } | null;
};

export type MetadataLoader = () => Promise<ModelMetadata | null>;

/**
 * Model metadata cached by model id, exact without scanning: each model has a generation number that
 * every change of the model bumps, and an entry is used only while it carries the current generation.
 * The entry and the generation are read in one round trip.
 */
export interface ModelMetadataCache {
  /** The cached metadata, or the loader's (stored for next time); null: no such model. */
  get(modelId: string, load: MetadataLoader): Promise<ModelMetadata | null>;
  /** After a change to the model is committed: every instance stops using what it had. */
  invalidate(modelId: string): Promise<void>;
}

type Entry = { generation: number; metadata: ModelMetadata | null };

/** One process (the embedded default): a bounded map and generations in memory. */
export class MemoryModelMetadataCache implements ModelMetadataCache {
  readonly #entries = new Map<string, Entry>();
  readonly #generations = new Map<string, number>();
  readonly #capacity: number;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  async get(modelId: string, load: MetadataLoader): Promise<ModelMetadata | null> {
    const generation = this.#generations.get(modelId) ?? 0;
    const entry = this.#entries.get(modelId);
    if (entry && entry.generation === generation) return entry.metadata;
    const metadata = await load();
    this.#entries.delete(modelId);
    this.#entries.set(modelId, { generation, metadata });
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value!);
    return metadata;
  }

  async invalidate(modelId: string): Promise<void> {
    this.#generations.set(modelId, (this.#generations.get(modelId) ?? 0) + 1);
    this.#entries.delete(modelId);
  }
}

const TIMEOUT_MS = 100;

/** Shared by every instance. Redis trouble means reading PostgreSQL, never an error. */
export class RedisModelMetadataCache implements ModelMetadataCache {
  readonly #redis: RedisClientType;
  readonly #ttlMs: number;
  readonly #logger: Logger;

  constructor(redis: RedisClientType, ttlMs: number, logger: Logger) {
    this.#redis = redis;
    this.#ttlMs = ttlMs;
    this.#logger = logger;
  }

  async get(modelId: string, load: MetadataLoader): Promise<ModelMetadata | null> {
    const [generationKey, entryKey] = keys(modelId);
    let generation: number;
    try {
      const [rawGeneration, rawEntry] = await withTimeout(
        this.#redis.mGet([generationKey, entryKey]),
        TIMEOUT_MS,
        'Redis',
      );
      generation = Number(rawGeneration ?? 0);
      const entry = rawEntry ? (JSON.parse(rawEntry) as Entry) : null;
      if (entry && entry.generation === generation) return entry.metadata;
    } catch (error) {
      this.#logger.debug({ err: error }, 'model metadata cache unavailable');
      return load();
    }
    // Read the generation before the database: if the model changes meanwhile, the generation moves on
    // and what is stored here is never used.
    const metadata = await load();
    const entry: Entry = { generation, metadata };
    void withTimeout(
      this.#redis.set(entryKey, JSON.stringify(entry), { PX: this.#ttlMs }),
      TIMEOUT_MS,
      'Redis',
    ).catch(() => {});
    return metadata;
  }

  async invalidate(modelId: string): Promise<void> {
    const [generationKey, entryKey] = keys(modelId);
    try {
      await withTimeout(
        this.#redis
          .multi()
          .incr(generationKey)
          // Outlives any entry written under the old generation, so an expired counter cannot revive it.
          .pExpire(generationKey, 2 * this.#ttlMs)
          .del(entryKey)
          .exec(),
        TIMEOUT_MS,
        'Redis',
      );
    } catch (error) {
      // Entries then live at most their TTL; say so, as it is the one way this cache can lag.
      this.#logger.warn({ err: error, modelId }, 'could not invalidate cached model metadata');
    }
  }
}

function keys(modelId: string): [string, string] {
  // One hash tag, so both keys sit in one Redis Cluster slot and MGET works there too.
  return [`mlp:model:{${modelId}}:generation`, `mlp:model:{${modelId}}:metadata`];
}
