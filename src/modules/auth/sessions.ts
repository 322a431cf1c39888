import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AnnouncedCache } from '../../infra/cache/announced-cache.ts';
import type { Orm } from '../../infra/database/orm.ts';
import { isUuid } from '../../infra/database/uuid7.ts';
import type { EventBus } from '../../infra/pubsub/event-bus.ts';
import type { Logger } from '../../logger.ts';
import type { AccessToken, JwtTokens, TokenRejection, VerifiedToken } from './jwt.ts';

/** A user whose sessions changed (one ended, or all of them) is announced here by id. */
const SESSIONS_CHANGED_CHANNEL = 'mlp:sessions:changed';

/** What decides whether a user's token still holds: its version, and the sessions ended one by one. */
type SessionState = { version: number; ended: ReadonlySet<string> };

const TTL_MS = 60_000;
const CAPACITY = 100_000;

/**
 * Sign-ins (one JWT each) and their ends. A token holds while its `ver` is the user's current session
 * version and its session was not ended by `logout`; `logoutEverywhere` (and a password change) raise the
 * version. Each user's state is an AnnouncedCache copy, so the hot path reads no database; live
 * connections re-verify as often as a copy lives.
 *
 * State lives in PostgreSQL: `user_sessions` (the version) and `ended_sessions` (kept until the token
 * would have expired anyway).
 */
export class Sessions {
  readonly #tokens: JwtTokens;
  readonly #orm: Orm;
  readonly #states: AnnouncedCache<SessionState>;

  constructor(deps: { tokens: JwtTokens; orm: Orm; events: EventBus; logger: Logger }) {
    this.#tokens = deps.tokens;
    this.#orm = deps.orm;
    this.#states = new AnnouncedCache(deps, {
      channel: SESSIONS_CHANGED_CHANNEL,
      ttlMs: TTL_MS,
      capacity: CAPACITY,
    });
  }

  listen(): Promise<void> {
    return this.#states.listen();
  }

  close(): Promise<void> {
    return this.#states.close();
  }

  /** Called with a user's id whenever any of their sessions ends, on any instance. */
  onChanged(listener: (userId: string) => void): () => void {
    return this.#states.onChanged(listener);
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
    if (verified.version > state.version) this.#states.drop(verified.userId);
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
    await this.#states.changed(session.userId);
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
    await this.#states.changed(userId);
  }

  #state(userId: string): Promise<SessionState> {
    return this.#states.get(userId, async () => {
      const [row] = await this.#orm.em.fork().execute<{ version: number; ended: string[] }[]>(
        `select coalesce((select version from user_sessions where user_id = ?), 0) as version,
                array(select id::text from ended_sessions where user_id = ? and expires_at > now()) as ended`,
        [userId, userId],
      );
      return { version: Number(row?.version ?? 0), ended: new Set(row?.ended ?? []) };
    });
  }
}
