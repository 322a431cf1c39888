import { createHash } from 'node:crypto';
import type Keyv from 'keyv';
import { ByteBoundedCache } from '../../infra/cache/byte-bounded-cache.ts';
import {
  type TensorMap,
  tensorBytes,
  tensorFromBytes,
  tensorMapBytes,
} from '../../infra/inference/tensor-data.ts';
import { isNumericElementType } from '../../infra/inference/tensor-spec.ts';
import type { Metrics } from '../../infra/metrics/metrics.ts';
import { OutageGuard } from '../../infra/outage-guard.ts';
import type { Tracing } from '../../infra/telemetry/tracing.ts';
import type { Logger } from '../../logger.ts';

export type PredictionCacheConfig = {
  ttlMs: number;
  /** Outputs larger than this (their elements' bytes) are not cached. */
  maxEntryBytes: number;
  /** What this process keeps in its own memory, in front of Redis. */
  memoryBytes: number;
};

/** Outputs as Redis keeps them: JSON, each tensor's elements in base64. */
type StoredOutputs = Record<string, { type: string; dims: number[]; data: string }>;

const TIMEOUT_MS = 100;

/**
 * Outputs of earlier predictions, keyed by the exact model version and a hash of the validated input
 * tensors. A new or re-activated version, a rename or a deletion can never serve old outputs: the
 * version id is in the key, and the caller reads the version (after authorization) before the cache.
 *
 * Two tiers: this process's memory, bounded by bytes, then Redis, shared by every instance. Outputs of a
 * (version, inputs) pair never change, so neither tier needs invalidating; a hit in memory costs no
 * round trip at all. Without Redis (`shared` null) memory is the only tier.
 */
export class PredictionCache {
  readonly #memory: ByteBoundedCache<string, TensorMap>;
  readonly #shared: Keyv | null;
  readonly #config: PredictionCacheConfig;
  readonly #guard: OutageGuard;
  readonly #inFlight = new Map<string, Promise<TensorMap>>();

  readonly #lookups: Metrics['predictionCacheLookups'];
  readonly #tracing: Tracing;

  constructor(
    shared: Keyv | null,
    config: PredictionCacheConfig,
    telemetry: { logger: Logger; metrics: Metrics; tracing: Tracing },
  ) {
    const { logger, metrics, tracing } = telemetry;
    this.#lookups = metrics.predictionCacheLookups;
    this.#tracing = tracing;
    this.#memory = new ByteBoundedCache(config.memoryBytes, config.ttlMs);
    this.#shared = shared;
    this.#config = config;
    this.#guard = new OutageGuard(logger, TIMEOUT_MS, {
      down: 'shared prediction cache unavailable; using this process’s memory only meanwhile',
      back: 'shared prediction cache is back',
    });
  }

  /** What either tier holds for the key. Cache trouble is a miss, never an error. */
  async get(key: string): Promise<TensorMap | undefined> {
    const local = this.#memory.get(key);
    this.#lookups.inc({ tier: 'memory', result: local ? 'hit' : 'miss' });
    if (local || !this.#shared) return local;
    // Memory's answer takes microseconds, less than a span: only the round trip to Redis is one.
    const { outputs, result } = await this.#tracing.span(
      'cache lookup',
      { 'mlp.cache.tier': 'redis' },
      async (span) => {
        const attempt = await this.#guard.attempt(() => this.#shared!.get<StoredOutputs>(key));
        const outputs = attempt.ok && attempt.value ? decode(attempt.value) : null;
        const result = !attempt.ok ? 'error' : outputs ? 'hit' : 'miss';
        span.setAttribute('mlp.cache.result', result);
        return { outputs, result };
      },
    );
    this.#lookups.inc({ tier: 'redis', result });
    if (outputs) this.#memory.set(key, outputs, tensorMapBytes(outputs));
    return outputs ?? undefined;
  }

  /**
   * `compute()`'s outputs, stored in both tiers for next time. Concurrent identical misses in this process
   * share one computation; a failure is not stored.
   */
  async compute(key: string, compute: () => Promise<TensorMap>): Promise<TensorMap> {
    const pending = this.#inFlight.get(key);
    if (pending) return pending;
    const computing = compute();
    this.#inFlight.set(key, computing);
    try {
      const outputs = await computing;
      const bytes = tensorMapBytes(outputs);
      if (bytes <= this.#config.maxEntryBytes) {
        this.#memory.set(key, ownBuffers(outputs), bytes);
        // Not awaited by the caller's response: storing is for the next request.
        if (this.#shared)
          void this.#attempt(() => this.#shared!.set(key, encode(outputs), this.#config.ttlMs));
      }
      return outputs;
    } finally {
      this.#inFlight.delete(key);
    }
  }

  async #attempt<T>(operation: () => Promise<T>): Promise<T | undefined> {
    const attempt = await this.#guard.attempt(operation);
    return attempt.ok ? attempt.value : undefined;
  }
}

/**
 * The outputs, each over a buffer of its own: a batch's outputs are views into the whole batch's buffer,
 * which a cached view would keep alive, far beyond the bytes the cache counts.
 */
function ownBuffers(outputs: TensorMap): TensorMap {
  const owned: TensorMap = {};
  for (const [name, tensor] of Object.entries(outputs)) {
    const { data } = tensor;
    owned[name] = data.byteLength === data.buffer.byteLength ? tensor : { ...tensor, data: data.slice() };
  }
  return owned;
}

function encode(outputs: TensorMap): StoredOutputs {
  const stored: StoredOutputs = {};
  for (const [name, tensor] of Object.entries(outputs)) {
    stored[name] = {
      type: tensor.type,
      dims: [...tensor.dims],
      data: Buffer.from(tensorBytes(tensor)).toString('base64'),
    };
  }
  return stored;
}

/** Null for anything that is not what `encode` wrote (an entry of an older release, say): a miss. */
function decode(stored: StoredOutputs): TensorMap | null {
  const outputs: TensorMap = {};
  for (const [name, tensor] of Object.entries(stored)) {
    if (typeof tensor?.data !== 'string' || !isNumericElementType(tensor.type)) return null;
    outputs[name] = tensorFromBytes(tensor.type, tensor.dims, Buffer.from(tensor.data, 'base64'));
  }
  return outputs;
}

/**
 * The same numbers in the same shape give the same key, however they were sent (JSON or binary, spaced or
 * ordered any way, a single input bare or by name): the key hashes the validated tensors themselves.
 */
export function predictionKey(versionId: string, feeds: TensorMap): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(feeds).sort()) {
    const tensor = feeds[name]!;
    hash.update(`${name}\0${tensor.type}\0${tensor.dims.join('x')}\0`);
    hash.update(tensorBytes(tensor));
  }
  return `${versionId}:${hash.digest('base64url')}`;
}
