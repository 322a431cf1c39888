/**
 * A Map that forgets its least recently used entries beyond `capacity`: the in-process store behind Keyv
 * when there is no Redis, so the embedded default cannot grow without bound.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  readonly #capacity: number;

  constructor(capacity: number) {
    super();
    this.#capacity = capacity;
  }

  override get(key: K): V | undefined {
    if (!super.has(key)) return undefined;
    const value = super.get(key) as V;
    super.delete(key);
    super.set(key, value);
    return value;
  }

  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    while (this.size > this.#capacity) super.delete(this.keys().next().value as K);
    return this;
  }
}
