import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ExpiringCache } from '../../infra/cache/expiring-cache.ts';
import type { Orm } from '../../infra/database/orm.ts';
import { isUuid } from '../../infra/database/uuid7.ts';
import type { EventBus } from '../../infra/pubsub/event-bus.ts';
import type { Logger } from '../../logger.ts';
import type { AccessToken, JwtTokens, TokenRejection, VerifiedToken } from './jwt.ts';

/** A user whose sessions changed (one ended, or all of them) is announced here by id. */
export const SESSIONS_CHANGED_CHANNEL = 'mlp:sessions:changed';

/** What decides whether a user's token still holds: its version, and the sessions ended one by one. */
type SessionState = { version: number; ended: ReadonlySet<string> };

const TTL_MS = 60_000;
const CAPACITY = 100_000;

/**
 * Sign-ins (one JWT each) and their ends. A token holds while its `ver` is the user's current session
 * version and its session was not ended by `logout`; `logoutEverywhere` (and a password change) raise the
 * version. Each user's state is cached in memory, so the hot path reads no database: every change is
 * applied on this instance before the call returns and announced to the others, which drop their copy;
 * the TTL bounds how long a lost announcement could matter (live connections re-verify as often).
 *
 * State lives in PostgreSQL: `user_sessions` (the version) and `ended_sessions` (kept until the token
 * would have expired anyway).
 */
export class Sessions {
  readonly #tokens: JwtTokens;
  readonly #orm: Orm;
  readonly #events: EventBus;
  readonly #logger: Logger;
  readonly #cache = new ExpiringCache<string, SessionState>(CAPACITY, TTL_MS);
  readonly #listeners = new Set<(userId: string) => void>();
  /** Raised by every change: a load that began before one must not store what it read. */
  #changes = 0;
  #unsubscribe: (() => Promise<void>) | null = null;

  constructor(deps: { tokens: JwtTokens; orm: Orm; events: EventBus; logger: Logger }) {
    this.#tokens = deps.tokens;
    this.#orm = deps.orm;
    this.#events = deps.events;
    this.#logger = deps.logger;
  }

  async listen(): Promise<void> {
    this.#unsubscribe = await this.#events.subscribe(SESSIONS_CHANGED_CHANNEL, (userId) =>
      this.#forget(userId),
    );
  }

  async close(): Promise<void> {
    await this.#unsubscribe?.();
  }

  /** Called with a user's id whenever any of their sessions ends, on any instance. */
  onChanged(listener: (userId: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A new session for the user: its token. */
  async start(userId: string): Promise<AccessToken> {
    const { version } = await this.#state(userId);
    return this.#tokens.sign({ userId, sessionId: randomUUID(), version });
  }

  /** The token's claims if it is well signed, unexpired, and its session has not ended. */
  async verify(token: string): Promise<VerifiedToken | TokenRejection> {
    const verified = await this.#tokens.verify(token);
    if ('rejected' in verified) return verified;
    if (!isUuid(verified.userId) || !isUuid(verified.sessionId)) return { rejected: 'invalid' };
    const state = await this.#state(verified.userId);
    // Newer than what this instance knows: the announcement of the change is still on its way.
    if (verified.version > state.version) this.#cache.delete(verified.userId);
    if (verified.version < state.version || state.ended.has(verified.sessionId)) return { rejected: 'ended' };
    return verified;
  }

  /** Ends one session (`logout`), on every instance. */
  async end(em: EntityManager, session: { userId: string; sessionId: string; expiresAt: Date }) {
    await em.execute(
      `insert into ended_sessions (id, user_id, expires_at) values (?, ?, ?) on conflict do nothing`,
      [session.sessionId, session.userId, session.expiresAt],
    );
    // What has expired needs no remembering: each user's list holds only tokens that could still be used.
    await em.execute(`delete from ended_sessions where user_id = ? and expires_at <= now()`, [
      session.userId,
    ]);
    await this.#announce(session.userId);
  }

  /**
   * Ends every session of the user (`logoutEverywhere`, a password change), on every instance; `alongWith`
   * writes in the same transaction (the new password), so neither happens without the other.
   */
  async endAll(
    em: EntityManager,
    userId: string,
    alongWith?: (transaction: EntityManager) => Promise<void>,
  ): Promise<void> {
    await em.transactional(async (transaction) => {
      await alongWith?.(transaction);
      await transaction.execute(
        `insert into user_sessions (user_id, version) values (?, 1)
         on conflict (user_id) do update set version = user_sessions.version + 1`,
        [userId],
      );
      await transaction.execute(`delete from ended_sessions where user_id = ?`, [userId]);
    });
    await this.#announce(userId);
  }

  /** Tells every instance (this one first) that the user's sessions changed, once the change committed. */
  async #announce(userId: string): Promise<void> {
    this.#forget(userId);
    try {
      await this.#events.publish(SESSIONS_CHANGED_CHANNEL, userId);
    } catch (error) {
      // Committed all the same: the other instances see it when their copy expires (TTL_MS).
      this.#logger.warn({ err: error, userId }, 'could not announce ended sessions');
    }
  }

  #forget(userId: string): void {
    this.#changes += 1;
    this.#cache.delete(userId);
    for (const listener of this.#listeners) listener(userId);
  }

  async #state(userId: string): Promise<SessionState> {
    const cached = this.#cache.get(userId);
    if (cached) return cached;
    const changes = this.#changes;
    const [row] = await this.#orm.em.fork().execute<{ version: number; ended: string[] }[]>(
      `select coalesce((select version from user_sessions where user_id = ?), 0) as version,
              array(select id::text from ended_sessions where user_id = ? and expires_at > now()) as ended`,
      [userId, userId],
    );
    const state = { version: Number(row?.version ?? 0), ended: new Set(row?.ended ?? []) };
    if (changes === this.#changes) this.#cache.set(userId, state);
    return state;
  }
}
