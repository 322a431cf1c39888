import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IdempotencyConfig } from '../../config.ts';
import type { Orm } from '../../infra/database/orm.ts';
import type { Sealer } from '../../infra/secrets/sealer.ts';
import type { Logger } from '../../logger.ts';

/**
 * How long a key stays held without word from its holder. A live holder renews it every third of this;
 * one that died lets go this long after its last renewal, and a retry may then run the request.
 */
const HOLD_MS = 30_000;
/**
 * The longest a hold is renewed: past this, a request is taken for lost (its end never reported) and a
 * retry may run it again. Longer than any request runs (`wait` is at most 60 s, uploads are bounded).
 */
const MAX_HOLD_MS = 15 * 60_000;
/** How often each instance deletes keys past their time. */
const PURGE_EVERY_MS = 60 * 60_000;

/** The first request's response, as it was sent (errors already masked). */
export type StoredResponse = { data?: unknown; errors?: readonly StoredError[] };
export type StoredError = {
  message: string;
  path?: readonly (string | number)[];
  extensions?: Record<string, unknown>;
};

/** What became of taking a key for a request. */
export type Taken =
  /** The key is this request's: run it, then `complete` (or `release`) the hold. */
  | { kind: 'held'; hold: Hold }
  /** The key's first request ran: this is its response. */
  | { kind: 'replay'; response: StoredResponse }
  /** The key was first used for a different request. */
  | { kind: 'mismatch' }
  /** The key's first request is still running, past the wait. */
  | { kind: 'busy' }
  /** The key's first response cannot be opened: it was sealed with another secret. */
  | { kind: 'unreadable' };

/** What a hold does to its row. */
type HoldActions = {
  renew(): Promise<void>;
  complete(response: StoredResponse): Promise<void>;
  release(): Promise<void>;
};

/** A key held by the request running now. */
export class Hold {
  readonly #actions: HoldActions;
  readonly #renewal: NodeJS.Timeout;
  #done = false;

  constructor(actions: HoldActions) {
    this.#actions = actions;
    const started = Date.now();
    this.#renewal = setInterval(() => {
      if (Date.now() - started > MAX_HOLD_MS) clearInterval(this.#renewal);
      else void actions.renew();
    }, HOLD_MS / 3);
    this.#renewal.unref();
  }

  /** Stores the request's response: retries get it from now on. */
  async complete(response: StoredResponse): Promise<void> {
    if (this.#end()) await this.#actions.complete(response);
  }

  /** Lets the key go unused: nothing ran, and a retry may run the request. */
  async release(): Promise<void> {
    if (this.#end()) await this.#actions.release();
  }

  #end(): boolean {
    clearInterval(this.#renewal);
    const first = !this.#done;
    this.#done = true;
    return first;
  }
}

type KeyRow = { userId: string; key: string; holder: string };

/**
 * Idempotency keys, per user, in PostgreSQL so that every instance sees the same ones: a key stands
 * for the first request it came with for `ttlMs`. While that request runs the key is held, and a retry
 * (on any instance) waits for its response; afterwards, retries get the response as it was sent. A key
 * sent with a different request is refused. Responses are stored sealed (`Sealer`).
 */
export class IdempotencyKeys {
  readonly #orm: Orm;
  readonly #seal: Sealer;
  readonly #logger: Logger;
  readonly #config: IdempotencyConfig;
  #purge: NodeJS.Timeout | null = null;

  constructor(deps: { orm: Orm; seal: Sealer; logger: Logger; config: IdempotencyConfig }) {
    this.#orm = deps.orm;
    this.#seal = deps.seal;
    this.#logger = deps.logger;
    this.#config = deps.config;
  }

  /** Deletes keys past their time now and every hour, until `close`. */
  start(): void {
    const purge = () =>
      void this.#sql(`delete from "idempotency_keys" where "created_at" < now() - make_interval(secs => ?)`, [
        this.#config.ttlMs / 1000,
      ]).catch((error: unknown) => this.#logger.warn({ err: error }, 'could not purge old idempotency keys'));
    purge();
    this.#purge = setInterval(purge, PURGE_EVERY_MS);
    this.#purge.unref();
  }

  close(): void {
    if (this.#purge) clearInterval(this.#purge);
  }

  /**
   * Takes `key` for a request with this fingerprint: held (run it), or the first request's response, or
   * a refusal. While the first request runs, waits for it (up to `waitMs`, or until `signal` aborts).
   */
  async take(userId: string, key: string, fingerprint: Buffer, signal: AbortSignal): Promise<Taken> {
    const deadline = Date.now() + this.#config.waitMs;
    let pause = 10;
    for (;;) {
      if (Date.now() > deadline || signal.aborted) return { kind: 'busy' };
      const holder = randomUUID();
      if (await this.#claim(userId, key, fingerprint, holder)) {
        const row = { userId, key, holder };
        const hold = new Hold({
          renew: () => this.#renew(row),
          complete: (response) => this.#complete(row, response),
          release: () => this.#release(row),
        });
        return { kind: 'held', hold };
      }
      // Someone has it: read (only) until it is answered, or let go and claimed again.
      for (;;) {
        const current = await this.#read(userId, key);
        // Gone since the claim (released, or past its time): claim it again.
        if (!current) break;
        if (Buffer.compare(current.fingerprint, fingerprint) !== 0) return { kind: 'mismatch' };
        if (current.response) {
          const opened = this.#seal.open(current.response, boundTo(userId, key));
          return opened
            ? { kind: 'replay', response: JSON.parse(opened.toString('utf8')) as StoredResponse }
            : { kind: 'unreadable' };
        }
        // Its holder died (its hold ran out): the claim takes it over.
        if (!current.held) break;
        if (Date.now() + pause > deadline || signal.aborted) return { kind: 'busy' };
        await sleep(pause);
        pause = Math.min(pause * 2, 250);
      }
    }
  }

  /**
   * The key, when it is free: new, past its time, or held by a holder that died (only for the same
   * request). One statement, so two instances claiming at once cannot both win.
   */
  async #claim(userId: string, key: string, fingerprint: Buffer, holder: string): Promise<boolean> {
    const rows = await this.#sql(
      `insert into "idempotency_keys" ("user_id", "key", "fingerprint", "holder", "held_until")
       values (?, ?, ?, ?, now() + make_interval(secs => ?))
       on conflict ("user_id", "key") do update
         set "fingerprint" = excluded."fingerprint", "holder" = excluded."holder",
             "held_until" = excluded."held_until", "response" = null, "created_at" = now()
         where "idempotency_keys"."created_at" < now() - make_interval(secs => ?)
            or ("idempotency_keys"."response" is null
                and coalesce("idempotency_keys"."held_until" < now(), true)
                and "idempotency_keys"."fingerprint" = excluded."fingerprint")
       returning 1`,
      [userId, key, fingerprint, holder, HOLD_MS / 1000, this.#config.ttlMs / 1000],
    );
    return rows.length === 1;
  }

  async #read(userId: string, key: string) {
    // bytea: a Buffer from pg, a Uint8Array from PGlite.
    const rows = await this.#sql<{ fingerprint: Uint8Array; response: Uint8Array | null; held: boolean }>(
      `select "fingerprint", "response", coalesce("held_until" >= now(), false) as "held" from "idempotency_keys"
        where "user_id" = ? and "key" = ? and "created_at" >= now() - make_interval(secs => ?)`,
      [userId, key, this.#config.ttlMs / 1000],
    );
    return rows[0] ?? null;
  }

  async #renew(row: KeyRow): Promise<void> {
    try {
      const renewed = await this.#sql(
        `update "idempotency_keys" set "held_until" = now() + make_interval(secs => ?)
          where "user_id" = ? and "key" = ? and "holder" = ? returning 1`,
        [HOLD_MS / 1000, row.userId, row.key, row.holder],
      );
      if (renewed.length === 0) this.#logger.warn({ key: row.key }, 'an idempotency key was lost while held');
    } catch (error) {
      this.#logger.warn({ err: error }, 'could not renew an idempotency key’s hold');
    }
  }

  /** Stores the response; on failure the key stays held until its hold runs out, and a retry runs again. */
  async #complete(row: KeyRow, response: StoredResponse): Promise<void> {
    const sealed = this.#seal.seal(Buffer.from(JSON.stringify(response)), boundTo(row.userId, row.key));
    await this.#sql(
      `update "idempotency_keys" set "response" = ?, "holder" = null, "held_until" = null
        where "user_id" = ? and "key" = ? and "holder" = ?`,
      [sealed, row.userId, row.key, row.holder],
    ).catch((error: unknown) => this.#logger.warn({ err: error }, 'could not store an idempotent response'));
  }

  async #release(row: KeyRow): Promise<void> {
    await this.#sql(`delete from "idempotency_keys" where "user_id" = ? and "key" = ? and "holder" = ?`, [
      row.userId,
      row.key,
      row.holder,
    ]).catch((error: unknown) => this.#logger.warn({ err: error }, 'could not release an idempotency key'));
  }

  #sql<T = unknown>(sql: string, params: unknown[]): Promise<T[]> {
    return this.#orm.em.fork().execute<T[]>(sql, params);
  }
}

const boundTo = (userId: string, key: string) => `${userId}\n${key}`;
