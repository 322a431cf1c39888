import { BoundedMap } from './bounded-map.ts';

/**
 * A per-process cache whose entries are trusted for `ttlMs` and which forgets its least recently used
 * entries beyond `capacity`: for facts another instance may change, whose changes are also pushed.
 */
export class ExpiringCache<K, V> {
  readonly #entries: BoundedMap<K, { value: V; storedAt: number }>;
  readonly #ttlMs: number;

  constructor(capacity: number, ttlMs: number) {
    this.#entries = new BoundedMap(capacity);
    this.#ttlMs = ttlMs;
  }

  /** The stored value, or undefined when there is none or it is older than the TTL. */
  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    return entry && Date.now() - entry.storedAt < this.#ttlMs ? entry.value : undefined;
  }

  set(key: K, value: V): void {
    this.#entries.set(key, { value, storedAt: Date.now() });
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }
}
