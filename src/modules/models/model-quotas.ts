import type { EntityManager } from '@mikro-orm/postgresql';
import type { Quota, Tier } from '../../config.ts';
import { quotaExceeded } from '../../errors.ts';
import type { UserTiers } from '../users/user-tiers.ts';

/** What a user keeps stored now, in the units of their Quota. */
export type QuotaUsage = Quota;

export type QuotaStatus = { limits: Quota; used: QuotaUsage };

const QUOTA_NAMES: Record<keyof Quota, string> = {
  models: 'models',
  versions: 'model versions',
  storedBytes: 'bytes of stored models',
};

/**
 * Per-user quotas on what is stored: models, versions, and the bytes of their files. Checked inside the
 * transaction that adds to them, with the user's row locked, so two concurrent writes cannot both take
 * the last free place.
 */
export class ModelQuotas {
  readonly #quotas: Record<Tier, Quota>;
  readonly #tiers: UserTiers;

  constructor(deps: { quotas: Record<Tier, Quota>; tiers: UserTiers }) {
    this.#quotas = deps.quotas;
    this.#tiers = deps.tiers;
  }

  async status(em: EntityManager, userId: string): Promise<QuotaStatus> {
    const [tier, used] = await Promise.all([this.#tiers.get(userId), usage(em, userId)]);
    return { limits: this.#quotas[tier], used };
  }

  /** Throws QUOTA_EXCEEDED unless the user has room for `adding` now (a check before costly work). */
  async check(em: EntityManager, userId: string, adding: Partial<Quota>): Promise<void> {
    const { limits, used } = await this.status(em, userId);
    for (const name of Object.keys(adding) as (keyof Quota)[]) {
      const more = adding[name] ?? 0;
      if (used[name] + more > limits[name]) {
        throw quotaExceeded(name, QUOTA_NAMES[name], { used: used[name], adding: more, limit: limits[name] });
      }
    }
  }

  /**
   * Like check, in the transaction (`em`) that adds: the user's row stays locked until it ends, so
   * concurrent writes of one user are counted one after another.
   */
  async reserve(em: EntityManager, userId: string, adding: Partial<Quota>): Promise<void> {
    await em.execute('select 1 from users where id = ? for update', [userId]);
    await this.check(em, userId, adding);
  }
}

async function usage(em: EntityManager, userId: string): Promise<QuotaUsage> {
  const [row] = await em.execute<{ models: string; versions: string; bytes: string }[]>(
    `select (select count(*) from models where owner_id = ?) as models,
            count(v.id) as versions,
            coalesce(sum(v.size_bytes), 0) as bytes
       from model_versions v join models m on m.id = v.model_id
      where m.owner_id = ?`,
    [userId, userId],
  );
  return { models: Number(row!.models), versions: Number(row!.versions), storedBytes: Number(row!.bytes) };
}
