import type { Tier } from '../../config.ts';
import { unauthenticated } from '../../errors.ts';
import { ExpiringCache } from '../../infra/cache/expiring-cache.ts';
import type { Orm } from '../../infra/database/orm.ts';
import type { EventBus } from '../../infra/pubsub/event-bus.ts';
import { User } from './user.entity.ts';

export const TIER_CHANGED_CHANNEL = 'mlp:users:tier-changed';
const TTL_MS = 60_000;
const CAPACITY = 100_000;

/**
 * Each user's tier, which every limited request needs: cached in memory so the hot path reads no
 * database, and dropped on every instance the moment an admin changes it.
 */
export class UserTiers {
  readonly #orm: Orm;
  readonly #cache = new ExpiringCache<string, Tier>(CAPACITY, TTL_MS);
  #unsubscribe: (() => Promise<void>) | null = null;

  constructor(orm: Orm) {
    this.#orm = orm;
  }

  async listen(bus: EventBus): Promise<void> {
    this.#unsubscribe = await bus.subscribe(TIER_CHANGED_CHANNEL, (userId) => this.#cache.delete(userId));
  }

  async close(): Promise<void> {
    await this.#unsubscribe?.();
  }

  async get(userId: string): Promise<Tier> {
    const cached = this.#cache.get(userId);
    if (cached) return cached;
    const user = await this.#orm.em.fork().findOne(User, userId, { fields: ['tier'] });
    // A credential whose user was deleted is as good as an invalid one.
    if (!user) throw unauthenticated('Invalid credentials');
    this.#cache.set(userId, user.tier);
    return user.tier;
  }
}
