import { BoundedMap } from '../../infra/cache/bounded-map.ts';
import type { TensorSpec } from '../../infra/inference/tensor-spec.ts';
import { OutageGuard } from '../../infra/outage-guard.ts';
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
  readonly #entries = new BoundedMap<string, Entry>(10_000);
  readonly #generations = new Map<string, number>();

  async get(modelId: string, load: MetadataLoader): Promise<ModelMetadata | null> {
    const generation = this.#generations.get(modelId) ?? 0;
    const entry = this.#entries.get(modelId);
    if (entry && entry.generation === generation) return entry.metadata;
    const metadata = await load();
    this.#entries.set(modelId, { generation, metadata });
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
  readonly #guard: OutageGuard;

  constructor(redis: RedisClientType, ttlMs: number, logger: Logger) {
    this.#redis = redis;
    this.#ttlMs = ttlMs;
    this.#logger = logger;
    this.#guard = new OutageGuard(logger, TIMEOUT_MS, {
      down: 'model metadata cache unavailable; reading PostgreSQL meanwhile',
      back: 'model metadata cache is back',
    });
  }

  async get(modelId: string, load: MetadataLoader): Promise<ModelMetadata | null> {
    const [generationKey, entryKey] = keys(modelId);
    const read = await this.#guard.attempt(() => this.#redis.mGet([generationKey, entryKey]));
    if (!read.ok) return load();
    const [rawGeneration, rawEntry] = read.value;
    const generation = Number(rawGeneration ?? 0);
    const cached = rawEntry ? (JSON.parse(rawEntry) as Entry) : null;
    if (cached && cached.generation === generation) return cached.metadata;
    // The generation was read before the database: if the model changes meanwhile, the generation moves
    // on and what is stored here is never used.
    const metadata = await load();
    const entry: Entry = { generation, metadata };
    void this.#guard.attempt(() => this.#redis.set(entryKey, JSON.stringify(entry), { PX: this.#ttlMs }));
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
