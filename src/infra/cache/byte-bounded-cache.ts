/**
 * A per-process cache bounded by the bytes of what it holds: it forgets its least recently used entries
 * beyond `capacityBytes`, and each entry after `ttlMs`. For values that never change once made (a
 * prediction's outputs), so nothing needs invalidating.
 */
export class ByteBoundedCache<K, V> {
  readonly #entries = new Map<K, { value: V; bytes: number; expiresAt: number }>();
  readonly #capacityBytes: number;
  readonly #ttlMs: number;
  #bytes = 0;

  constructor(capacityBytes: number, ttlMs: number) {
    this.#capacityBytes = capacityBytes;
    this.#ttlMs = ttlMs;
  }

  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= Date.now()) {
      this.#bytes -= entry.bytes;
      return undefined;
    }
    // Most recently used last: eviction takes from the front.
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Keeps the value unless it alone is larger than the whole cache. */
  set(key: K, value: V, bytes: number): void {
    if (bytes > this.#capacityBytes) return;
    const previous = this.#entries.get(key);
    if (previous) {
      this.#entries.delete(key);
      this.#bytes -= previous.bytes;
    }
    this.#entries.set(key, { value, bytes, expiresAt: Date.now() + this.#ttlMs });
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.#capacityBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }

  get bytes(): number {
    return this.#bytes;
  }
}
