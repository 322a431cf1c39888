import type { Tier } from '../../config.ts';
import { unauthenticated } from '../../errors.ts';
import { AnnouncedCache } from '../../infra/cache/announced-cache.ts';
import type { Orm } from '../../infra/database/orm.ts';
import type { EventBus } from '../../infra/pubsub/event-bus.ts';
import type { Logger } from '../../logger.ts';
import { User } from './user.entity.ts';

const TIER_CHANGED_CHANNEL = 'mlp:users:tier-changed';
const TTL_MS = 60_000;
const CAPACITY = 100_000;

/** Each user's tier, which every limited request needs: an AnnouncedCache copy, so it reads no database. */
export class UserTiers {
  readonly #orm: Orm;
  readonly #tiers: AnnouncedCache<Tier>;

  constructor(deps: { orm: Orm; events: EventBus; logger: Logger }) {
    this.#orm = deps.orm;
    this.#tiers = new AnnouncedCache(deps, {
      channel: TIER_CHANGED_CHANNEL,
      ttlMs: TTL_MS,
      capacity: CAPACITY,
    });
  }

  listen(): Promise<void> {
    return this.#tiers.listen();
  }

  close(): Promise<void> {
    return this.#tiers.close();
  }

  get(userId: string): Promise<Tier> {
    return this.#tiers.get(userId, async () => {
      const user = await this.#orm.em.fork().findOne(User, userId, { fields: ['tier'] });
      // A credential whose user was deleted is as good as an invalid one.
      if (!user) throw unauthenticated('Invalid credentials');
      return user.tier;
    });
  }

  /** Tells every instance, this one first, that the user's tier changed; call once the change committed. */
  changed(userId: string): Promise<void> {
    return this.#tiers.changed(userId);
  }
}
