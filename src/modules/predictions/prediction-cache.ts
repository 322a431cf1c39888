import { createHash } from 'node:crypto';
import type Keyv from 'keyv';
import type { TensorMap } from '../../infra/inference/tensor-data.ts';
import { OutageGuard } from '../../infra/outage-guard.ts';
import type { Logger } from '../../logger.ts';
import type { TensorOutputs } from './prediction.entity.ts';

export type PredictionCacheConfig = { ttlMs: number; maxEntryBytes: number };

const TIMEOUT_MS = 100;

/**
 * Outputs of earlier predictions, keyed by the exact model version and a hash of the validated input
 * tensors. A new or re-activated version, a rename or a deletion can never serve old outputs: the
 * version id is in the key, and the caller reads the version (after authorization) before the cache.
 */
export class PredictionCache {
  readonly #store: Keyv;
  readonly #config: PredictionCacheConfig;
  readonly #guard: OutageGuard;
  readonly #inFlight = new Map<string, Promise<TensorOutputs>>();

  constructor(store: Keyv, config: PredictionCacheConfig, logger: Logger) {
    this.#store = store;
    this.#config = config;
    this.#guard = new OutageGuard(logger, TIMEOUT_MS, {
      down: 'prediction cache unavailable; predicting uncached meanwhile',
      back: 'prediction cache is back',
    });
  }

  /**
   * Cached outputs, or `compute()`'s, stored for next time. Concurrent identical misses in this process
   * share one computation. Cache trouble never fails a prediction: it just runs uncached.
   */
  async getOrCompute(
    versionId: string,
    feeds: TensorMap,
    compute: () => Promise<TensorOutputs>,
  ): Promise<{ outputs: TensorOutputs; cached: boolean }> {
    const key = predictionKey(versionId, feeds);
    const hit = await this.#attempt(() => this.#store.get<TensorOutputs>(key));
    if (hit) return { outputs: hit, cached: true };

    const pending = this.#inFlight.get(key);
    if (pending) return { outputs: await pending, cached: false };
    const computing = compute();
    this.#inFlight.set(key, computing);
    try {
      const outputs = await computing;
      const size = Buffer.byteLength(JSON.stringify(outputs));
      if (size <= this.#config.maxEntryBytes) {
        // Not awaited by the caller's response: storing is for the next request.
        void this.#attempt(() => this.#store.set(key, outputs, this.#config.ttlMs));
      }
      return { outputs, cached: false };
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
 * The same numbers in the same shape give the same key, however the JSON was spaced or its keys ordered,
 * and whether a single input came bare or by name: the key hashes the validated tensors themselves.
 */
export function predictionKey(versionId: string, feeds: TensorMap): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(feeds).sort()) {
    const tensor = feeds[name]!;
    const { data } = tensor;
    hash.update(`${name}\0${tensor.type}\0${tensor.dims.join('x')}\0`);
    hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return `${versionId}:${hash.digest('base64url')}`;
}
