import type { ModelBatching } from '../../config.ts';
import { BoundedMap } from '../../infra/cache/bounded-map.ts';
import { ExpiringCache } from '../../infra/cache/expiring-cache.ts';
import type { TensorSpec } from '../../infra/inference/tensor-spec.ts';
import { OutageGuard } from '../../infra/outage-guard.ts';
import type { EventBus } from '../../infra/pubsub/event-bus.ts';
import type { RedisClientType } from '../../infra/redis.ts';
import { withTimeout } from '../../infra/timeout.ts';
import type { Logger } from '../../logger.ts';

/**
 * What `predict` needs of a version: its tensors and whether it is quarantined, and what a prediction's
 * `version` field shows, so answering it reads no database. Times are epoch milliseconds (it is JSON in
 * Redis).
 */
export type RunnableVersion = {
  id: string;
  version: number;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  sizeBytes: number;
  sha256: string;
  labels: string[] | null;
  createdAt: number;
  quarantinedUntil: number | null;
  lastError: string | null;
};

/**
 * What `predict` needs of a model on every call (whose it is, which version runs by default) and what a
 * prediction's `model` field shows. Every change of the model invalidates it.
 */
export type ModelMetadata = {
  id: string;
  ownerId: string;
  name: string;
  description: string | null;
  latestVersion: number;
  /** What the model changes of the server's batching. */
  batching: ModelBatching | null;
  createdAt: number;
  updatedAt: number;
  activeVersion: RunnableVersion | null;
};

export type MetadataLoader = () => Promise<ModelMetadata | null>;

/**
 * Model metadata cached by model id, exact without scanning: each model has a generation number that
 * every change of the model bumps, and an entry is used only while it carries the current generation.
 * The entry and the generation are read in one round trip, and usually not at all (see the Redis one).
 */
export interface ModelMetadataCache {
  /** The cached metadata, or the loader's (stored for next time); null: no such model. */
  get(modelId: string, load: MetadataLoader): Promise<ModelMetadata | null>;
  /** After a change to the model is committed: every instance stops using what it had. */
  invalidate(modelId: string): Promise<void>;
  /** Starts hearing of other instances' changes. */
  listen(): Promise<void>;
  close(): Promise<void>;
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

  async listen(): Promise<void> {
    // One process: every change goes through invalidate.
  }

  async close(): Promise<void> {}
}

const TIMEOUT_MS = 100;

/** Every instance drops its in-memory copy of a model's metadata when the model id arrives here. */
export const MODEL_CHANGED_CHANNEL = 'mlp:models:changed';

/**
 * After Redis reconnects, the subscription is renewed a moment later; a change announced in between is
 * missed, so memory stays distrusted until this long after the connection is back.
 */
const RESUBSCRIBE_GRACE_MS = 1000;

type LocalEntry = Entry & { epoch: number };

/**
 * Shared by every instance, with a copy in each instance's memory so that `predict` usually makes no
 * round trip for it at all. The copies are exact: a change is announced on MODEL_CHANGED_CHANNEL after
 * the generation moves on, and memory is trusted only while the subscription that hears those
 * announcements has been up the whole time (any disconnect distrusts all of it). Redis trouble means
 * reading PostgreSQL, never an error.
 */
export class RedisModelMetadataCache implements ModelMetadataCache {
  readonly #redis: RedisClientType;
  readonly #subscriber: RedisClientType;
  readonly #bus: EventBus;
  readonly #ttlMs: number;
  readonly #logger: Logger;
  readonly #guard: OutageGuard;
  readonly #local: ExpiringCache<string, LocalEntry>;
  /** Moves on whenever the subscription may have missed a message: older copies are not used. */
  #epoch = 0;
  /** Announcements received; a read that saw one arrive while it ran keeps no copy. */
  #announcements = 0;
  #unsubscribe: (() => Promise<void>) | null = null;

  constructor(
    redis: RedisClientType,
    subscriber: RedisClientType,
    bus: EventBus,
    ttlMs: number,
    logger: Logger,
  ) {
    this.#redis = redis;
    this.#subscriber = subscriber;
    this.#bus = bus;
    this.#ttlMs = ttlMs;
    this.#logger = logger;
    this.#local = new ExpiringCache(10_000, ttlMs);
    this.#guard = new OutageGuard(logger, TIMEOUT_MS, {
      down: 'model metadata cache unavailable; reading PostgreSQL meanwhile',
      back: 'model metadata cache is back',
    });
  }

  async listen(): Promise<void> {
    const distrust = () => {
      this.#epoch++;
    };
    for (const event of ['error', 'end', 'reconnecting']) this.#subscriber.on(event, distrust);
    this.#subscriber.on('ready', () => {
      distrust();
      setTimeout(distrust, RESUBSCRIBE_GRACE_MS).unref();
    });
    this.#unsubscribe = await this.#bus.subscribe(MODEL_CHANGED_CHANNEL, (modelId) =>
      this.#forgetLocally(modelId),
    );
  }

  #forgetLocally(modelId: string): void {
    this.#announcements++;
    this.#local.delete(modelId);
  }

  async close(): Promise<void> {
    await this.#unsubscribe?.();
  }

  async get(modelId: string, load: MetadataLoader): Promise<ModelMetadata | null> {
    const trusted = this.#subscriber.isReady && this.#unsubscribe !== null;
    const epoch = this.#epoch;
    const local = trusted ? this.#local.get(modelId) : undefined;
    if (local && local.epoch === epoch) return local.metadata;
    const announcements = this.#announcements;
    const entry = await this.#read(modelId, load);
    if (trusted && entry && this.#epoch === epoch && this.#announcements === announcements) {
      this.#local.set(modelId, { ...entry, epoch });
    }
    return entry ? entry.metadata : load();
  }

  /** The shared entry at its current generation (loading and storing it if need be); null if Redis is away. */
  async #read(modelId: string, load: MetadataLoader): Promise<Entry | null> {
    const [generationKey, entryKey] = keys(modelId);
    const read = await this.#guard.attempt(() => this.#redis.mGet([generationKey, entryKey]));
    if (!read.ok) return null;
    const [rawGeneration, rawEntry] = read.value;
    const generation = Number(rawGeneration ?? 0);
    const cached = rawEntry ? (JSON.parse(rawEntry) as Entry) : null;
    if (cached && cached.generation === generation) return cached;
    // The generation was read before the database: if the model changes meanwhile, the generation moves
    // on and what is stored here is never used.
    const entry: Entry = { generation, metadata: await load() };
    void this.#guard.attempt(() => this.#redis.set(entryKey, JSON.stringify(entry), { PX: this.#ttlMs }));
    return entry;
  }

  async invalidate(modelId: string): Promise<void> {
    // This instance at once, without waiting for its own announcement to come back.
    this.#forgetLocally(modelId);
    const [generationKey, entryKey] = keys(modelId);
    try {
      await withTimeout(
        this.#redis
          .multi()
          .incr(generationKey)
          // Outlives any entry written under the old generation, so an expired counter cannot revive it.
          .pExpire(generationKey, 2 * this.#ttlMs)
          .del(entryKey)
          .publish(MODEL_CHANGED_CHANNEL, modelId)
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
  // The entry's key names the shape of ModelMetadata: instances of an older release, sharing the Redis
  // during a rolling upgrade, neither read nor write entries of another shape.
  return [`mlp:model:{${modelId}}:generation`, `mlp:model:{${modelId}}:metadata:v2`];
}
