import type { Logger } from '../../logger.ts';
import type { EventBus } from '../pubsub/event-bus.ts';
import { ExpiringCache } from './expiring-cache.ts';

/**
 * Each instance's copies of facts that live in PostgreSQL and are read on every request (a user's
 * sessions, a user's tier, an API key), so the hot path reads no database. A change is applied on the
 * instance that made it before it answers, and announced on `channel` to the others, which drop their
 * copy as the news reaches them (one Redis hop). A read that began before a change keeps no copy: it may
 * have read what the change replaced. The TTL bounds how long a lost announcement could matter.
 */
export class AnnouncedCache<V> {
  readonly #events: EventBus;
  readonly #logger: Logger;
  readonly #channel: string;
  readonly #copies: ExpiringCache<string, V>;
  readonly #listeners = new Set<(key: string) => void>();
  /** Raised by every change, here or announced: a read that began before one keeps nothing. */
  #changes = 0;
  #unsubscribe: (() => Promise<void>) | null = null;

  constructor(
    deps: { events: EventBus; logger: Logger },
    options: { channel: string; ttlMs: number; capacity: number },
  ) {
    this.#events = deps.events;
    this.#logger = deps.logger;
    this.#channel = options.channel;
    this.#copies = new ExpiringCache(options.capacity, options.ttlMs);
  }

  async listen(): Promise<void> {
    this.#unsubscribe = await this.#events.subscribe(this.#channel, (key) => this.#forget(key));
  }

  async close(): Promise<void> {
    await this.#unsubscribe?.();
  }

  /** This instance's copy, or what `read` finds (kept unless it is null or a change came meanwhile). */
  async get<R extends V | null>(key: string, read: () => Promise<R>): Promise<V | R> {
    const copy = this.#copies.get(key);
    if (copy !== undefined) return copy;
    const changes = this.#changes;
    const value = await read();
    if (value !== null && changes === this.#changes) this.#copies.set(key, value as V);
    return value;
  }

  /** Drops this instance's copy only: something showed it to be older than the truth. */
  drop(key: string): void {
    this.#copies.delete(key);
  }

  /** Tells every instance, this one first, that what `key` names changed; call once the change committed. */
  async changed(key: string): Promise<void> {
    this.#forget(key);
    try {
      await this.#events.publish(this.#channel, key);
    } catch (error) {
      // Committed all the same: the other instances see it when their copy expires.
      this.#logger.warn({ err: error, channel: this.#channel, key }, 'could not announce a change');
    }
  }

  /** Called with the key of every change, made on any instance. */
  onChanged(listener: (key: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #forget(key: string): void {
    this.#changes += 1;
    this.#copies.delete(key);
    for (const listener of this.#listeners) listener(key);
  }
}
