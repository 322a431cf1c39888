import type { Tier } from '../../config.ts';
import { unauthenticated } from '../../errors.ts';
import { ExpiringCache } from '../../infra/cache/expiring-cache.ts';
import type { Orm } from '../../infra/database/orm.ts';
import type { EventBus } from '../../infra/pubsub/event-bus.ts';
import type { Logger } from '../../logger.ts';
import { User } from './user.entity.ts';

const TIER_CHANGED_CHANNEL = 'mlp:users:tier-changed';
const TTL_MS = 60_000;
const CAPACITY = 100_000;

/**
 * Each user's tier, which every limited request needs: cached in memory so the hot path reads no
 * database. A change is applied on the instance that made it before it answers, and announced to the
 * others, which drop their copy; the TTL bounds how long a lost announcement could matter.
 */
export class UserTiers {
  readonly #orm: Orm;
  readonly #events: EventBus;
  readonly #logger: Logger;
  readonly #cache = new ExpiringCache<string, Tier>(CAPACITY, TTL_MS);
  /** Raised by every change: a read that began before one must not store what it read. */
  #changes = 0;
  #unsubscribe: (() => Promise<void>) | null = null;

  constructor(deps: { orm: Orm; events: EventBus; logger: Logger }) {
    this.#orm = deps.orm;
    this.#events = deps.events;
    this.#logger = deps.logger;
  }

  async listen(): Promise<void> {
    this.#unsubscribe = await this.#events.subscribe(TIER_CHANGED_CHANNEL, (userId) => this.#forget(userId));
  }

  async close(): Promise<void> {
    await this.#unsubscribe?.();
  }

  async get(userId: string): Promise<Tier> {
    const cached = this.#cache.get(userId);
    if (cached) return cached;
    const changes = this.#changes;
    const user = await this.#orm.em.fork().findOne(User, userId, { fields: ['tier'] });
    // A credential whose user was deleted is as good as an invalid one.
    if (!user) throw unauthenticated('Invalid credentials');
    if (changes === this.#changes) this.#cache.set(userId, user.tier);
    return user.tier;
  }

  /** Tells every instance (this one first) that the user's tier changed, once the change committed. */
  async changed(userId: string): Promise<void> {
    this.#forget(userId);
    try {
      await this.#events.publish(TIER_CHANGED_CHANNEL, userId);
    } catch (error) {
      // Committed all the same: the other instances see it when their copy expires (TTL_MS).
      this.#logger.warn({ err: error, userId }, 'could not announce a changed tier');
    }
  }

  #forget(userId: string): void {
    this.#changes += 1;
    this.#cache.delete(userId);
  }
}
