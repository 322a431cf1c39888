import { timingSafeEqual } from 'node:crypto';
import { AnnouncedCache } from '../../infra/cache/announced-cache.ts';
import { BoundedMap } from '../../infra/cache/bounded-map.ts';
import { ExpiringCache } from '../../infra/cache/expiring-cache.ts';
import type { Orm } from '../../infra/database/orm.ts';
import type { EventBus } from '../../infra/pubsub/event-bus.ts';
import type { Logger } from '../../logger.ts';
import type { Viewer } from '../auth/viewer.ts';
import { ApiKey, type ApiKeyScope, keyState } from './api-key.entity.ts';
import { hashApiKey, isWellFormedApiKey } from './key-format.ts';

/** Revoked or rotated keys are announced here by hash, so every instance drops them from its cache. */
const KEY_CHANGED_CHANNEL = 'mlp:api-keys:changed';

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
 * Turns an `X-API-Key` into a viewer without a database query on every request: verified keys are
 * AnnouncedCache copies (a revocation or rotation applies on the instance that made it before it
 * answers, and reaches the others in one Redis hop), and unknown ones are remembered briefly too.
 */
export class ApiKeyVerifier {
  readonly #orm: Orm;
  readonly #logger: Logger;
  /** Known keys by hash. */
  readonly #known: AnnouncedCache<KnownKey>;
  /**
   * Hashes of well-formed keys that do not exist (no database query per repeated guess), apart from the
   * known keys: anyone can mint checksum-valid keys, and they must not push real keys out of the cache.
   * Nothing needs announcing here: a new key's hash is one nobody has sent before.
   */
  readonly #unknown = new ExpiringCache<string, true>(CACHE_SIZE, CACHE_TTL_MS);
  /** When this process last wrote each key's lastUsedAt. */
  readonly #lastUsedWrites = new BoundedMap<string, number>(CACHE_SIZE);

  constructor(deps: { orm: Orm; events: EventBus; logger: Logger }) {
    this.#orm = deps.orm;
    this.#logger = deps.logger;
    this.#known = new AnnouncedCache(deps, {
      channel: KEY_CHANGED_CHANNEL,
      ttlMs: CACHE_TTL_MS,
      capacity: CACHE_SIZE,
    });
  }

  listen(): Promise<void> {
    return this.#known.listen();
  }

  close(): Promise<void> {
    return this.#known.close();
  }

  /** Called with a key's hash whenever it is revoked or rotated on any instance. */
  onKeyChanged(listener: (hash: string) => void): () => void {
    return this.#known.onChanged(listener);
  }

  /** Tells every instance, this one first, that the key changed; call once the change committed. */
  changed(hash: string): Promise<void> {
    return this.#known.changed(hash);
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
    if (this.#unknown.get(hash)) return null;
    const key = await this.#known.get(hash, async () => {
      const row = await this.#orm.em.fork().findOne(ApiKey, { hash });
      if (!row) return null;
      const { id, scopes, expiresAt, revokedAt } = row;
      return {
        id,
        userId: row.user.id,
        hash: row.hash,
        scopes,
        expiresAt: expiresAt ?? null,
        revokedAt: revokedAt ?? null,
      };
    });
    if (!key) this.#unknown.set(hash, true);
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
