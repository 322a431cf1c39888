import { timingSafeEqual } from 'node:crypto';
import { BoundedMap } from '../../infra/cache/bounded-map.ts';
import { ExpiringCache } from '../../infra/cache/expiring-cache.ts';
import type { Orm } from '../../infra/database/orm.ts';
import type { EventBus } from '../../infra/pubsub/event-bus.ts';
import type { Logger } from '../../logger.ts';
import type { Viewer } from '../auth/viewer.ts';
import { ApiKey, type ApiKeyScope, keyState } from './api-key.entity.ts';
import { hashApiKey, isWellFormedApiKey } from './key-format.ts';

/** Revoked or rotated keys are announced here by hash, so every instance drops them from its cache. */
export const KEY_CHANGED_CHANNEL = 'mlp:api-keys:changed';

type KnownKey = {
  id: string;
  userId: string;
  hash: string;
  scopes: ApiKeyScope[];
  expiresAt: Date | null;
  revokedAt: Date | null;
};

const CACHE_TTL_MS = 30_000;

/** When a working key stops working: its expiry, or the end of a rotation's grace, whichever is first. */
function endOf(key: KnownKey): Date | null {
  const ends = [key.expiresAt, key.revokedAt].filter((at): at is Date => at !== null);
  return ends.length ? new Date(Math.min(...ends.map((at) => at.getTime()))) : null;
}
const CACHE_SIZE = 10_000;
const LAST_USED_INTERVAL_MS = 60_000;

/**
 * Turns an `X-API-Key` into a viewer without a database query on every request: verified keys (and
 * unknown ones) are cached briefly in memory; revocations are pushed through the event bus, and the TTL
 * bounds how long a missed message could matter.
 */
export class ApiKeyVerifier {
  readonly #orm: Orm;
  readonly #logger: Logger;
  /** Known keys by hash. */
  readonly #cache = new ExpiringCache<string, KnownKey>(CACHE_SIZE, CACHE_TTL_MS);
  /**
   * Hashes of well-formed keys that do not exist (no database query per repeated guess), apart from the
   * known keys: anyone can mint checksum-valid keys, and they must not push real keys out of the cache.
   */
  readonly #unknown = new ExpiringCache<string, true>(CACHE_SIZE, CACHE_TTL_MS);
  /** When this process last wrote each key's lastUsedAt. */
  readonly #lastUsedWrites = new BoundedMap<string, number>(CACHE_SIZE);
  readonly #changeListeners = new Set<(hash: string) => void>();
  #unsubscribe: (() => Promise<void>) | null = null;

  constructor(orm: Orm, logger: Logger) {
    this.#orm = orm;
    this.#logger = logger;
  }

  async listen(bus: EventBus): Promise<void> {
    this.#unsubscribe = await bus.subscribe(KEY_CHANGED_CHANNEL, (hash) => {
      this.#cache.delete(hash);
      this.#unknown.delete(hash);
      for (const listener of this.#changeListeners) listener(hash);
    });
  }

  /** Called with a key's hash whenever it is revoked or rotated on any instance. */
  onKeyChanged(listener: (hash: string) => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.#unsubscribe?.();
  }

  async verify(secret: string): Promise<Viewer> {
    if (!isWellFormedApiKey(secret)) return { kind: 'rejected', reason: 'invalid' };
    const hash = hashApiKey(secret);
    const key = await this.#lookup(hash);
    // The index found the row by hash; comparing again in constant time costs nothing and keeps any
    // future lookup path from leaking timing about the stored hash.
    if (!key || !timingSafeEqual(Buffer.from(key.hash, 'hex'), Buffer.from(hash, 'hex'))) {
      return { kind: 'rejected', reason: 'invalid' };
    }
    const now = new Date();
    const state = keyState(key, now);
    // A revoked key reads as an invalid one: nobody learns that it ever existed.
    if (state !== 'active') return { kind: 'rejected', reason: state === 'expired' ? 'expired' : 'invalid' };
    this.#touch(key.id, now);
    return {
      kind: 'user',
      userId: key.userId,
      credential: { kind: 'apiKey', keyId: key.id, scopes: key.scopes, expiresAt: endOf(key) },
    };
  }

  async #lookup(hash: string): Promise<KnownKey | null> {
    const cached = this.#cache.get(hash);
    if (cached !== undefined) return cached;
    if (this.#unknown.get(hash)) return null;
    const row = await this.#orm.em.fork().findOne(ApiKey, { hash });
    const key = row
      ? {
          id: row.id,
          userId: row.user.id,
          hash: row.hash,
          scopes: row.scopes,
          expiresAt: row.expiresAt ?? null,
          revokedAt: row.revokedAt ?? null,
        }
      : null;
    if (key) this.#cache.set(hash, key);
    else this.#unknown.set(hash, true);
    return key;
  }

  /** Records use at most once a minute per key (and, through the WHERE, per key across instances). */
  #touch(keyId: string, now: Date): void {
    const last = this.#lastUsedWrites.get(keyId) ?? 0;
    if (now.getTime() - last < LAST_USED_INTERVAL_MS) return;
    this.#lastUsedWrites.set(keyId, now.getTime());
    this.#orm.em
      .fork()
      .execute(
        `update api_keys set last_used_at = ? where id = ? and (last_used_at is null or last_used_at < ?)`,
        [now, keyId, new Date(now.getTime() - LAST_USED_INTERVAL_MS)],
      )
      .catch((error: unknown) => this.#logger.warn({ err: error }, 'could not record an API key use'));
  }
}
