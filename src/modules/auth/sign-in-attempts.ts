import { createHash } from 'node:crypto';
import type { SignInPolicy } from '../../config.ts';
import { BoundedMap } from '../../infra/cache/bounded-map.ts';
import { OutageGuard } from '../../infra/outage-guard.ts';
import { type RedisClientType, RedisScript } from '../../infra/redis.ts';
import type { Logger } from '../../logger.ts';

/** An account's attempts are forgotten a day after the last one (or at once, on success). */
const FORGET_MS = 24 * 3600_000;

/**
 * The wait before the next attempt once `attempts` were made without success: none for the first
 * `freeAttempts`, then 1 s, doubling with each attempt, up to `maxBackoffMs`.
 */
export function backoffMs(attempts: number, policy: SignInPolicy): number {
  if (attempts < policy.freeAttempts) return 0;
  return Math.min(1000 * 2 ** (attempts - policy.freeAttempts), policy.maxBackoffMs);
}

/**
 * Attempts to prove a password for one account (signing in, changing the password), counted on every
 * instance, whichever address they come from: the per-address limits cannot stop a guesser with many
 * addresses. Each attempt is counted as a failure when it starts (so a burst of parallel guesses is
 * counted as a burst) and forgiven when it succeeds.
 */
export interface SignInAttempts {
  /** Counts an attempt for the account: 0 when it may go ahead, otherwise how long to wait (ms). */
  attempt(account: string): Promise<number>;
  succeeded(account: string): Promise<void>;
}

/** Accounts are named by a hash of their normalised email: no email address is kept outside the database. */
function accountKey(account: string): string {
  return createHash('sha256').update(account).digest('base64url').slice(0, 22);
}

/** One process's attempts: the embedded default, and the stand-in while Redis is unreachable. */
export class MemorySignInAttempts implements SignInAttempts {
  readonly #policy: SignInPolicy;
  readonly #accounts = new BoundedMap<string, { attempts: number; until: number; lastAt: number }>(100_000);

  constructor(policy: SignInPolicy) {
    this.#policy = policy;
  }

  async attempt(account: string): Promise<number> {
    const key = accountKey(account);
    const now = Date.now();
    const known = this.#accounts.get(key);
    const state = known && now - known.lastAt < FORGET_MS ? known : { attempts: 0, until: 0, lastAt: now };
    if (now < state.until) return state.until - now;
    const attempts = state.attempts + 1;
    this.#accounts.set(key, { attempts, until: now + backoffMs(attempts, this.#policy), lastAt: now });
    return 0;
  }

  async succeeded(account: string): Promise<void> {
    this.#accounts.delete(accountKey(account));
  }
}

// The same as MemorySignInAttempts.attempt, atomically, by Redis's clock. KEYS[1]: the account's hash
// (attempts, until). ARGV: free attempts, longest backoff (ms), forget after (ms). Returns the wait (ms).
const ATTEMPT = new RedisScript(`
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local untilMs = tonumber(redis.call('HGET', KEYS[1], 'until')) or 0
if now < untilMs then return untilMs - now end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
local free = tonumber(ARGV[1])
local wait = 0
if attempts >= free then wait = math.min(1000 * 2 ^ (attempts - free), tonumber(ARGV[2])) end
redis.call('HSET', KEYS[1], 'until', now + wait)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 0
`);

/** Shared by every instance. */
export class RedisSignInAttempts implements SignInAttempts {
  readonly #redis: RedisClientType;
  readonly #policy: SignInPolicy;
  readonly #prefix: string;

  /** `prefix` keeps the counts of one policy apart from another's. */
  constructor(redis: RedisClientType, policy: SignInPolicy, prefix: string) {
    this.#redis = redis;
    this.#policy = policy;
    this.#prefix = prefix;
  }

  async attempt(account: string): Promise<number> {
    const { freeAttempts, maxBackoffMs } = this.#policy;
    const args = [String(freeAttempts), String(maxBackoffMs), String(FORGET_MS)];
    return Number(await ATTEMPT.run(this.#redis, [this.#key(account)], args));
  }

  async succeeded(account: string): Promise<void> {
    await this.#redis.del(this.#key(account));
  }

  #key(account: string): string {
    return `${this.#prefix}:${accountKey(account)}`;
  }
}

const REDIS_TIMEOUT_MS = 250;

/** Redis first; this process's memory while Redis fails, so signing in never depends on Redis being up. */
export class FailoverSignInAttempts implements SignInAttempts {
  readonly #primary: SignInAttempts;
  readonly #fallback: SignInAttempts;
  readonly #guard: OutageGuard;

  constructor(primary: SignInAttempts, policy: SignInPolicy, logger: Logger) {
    this.#primary = primary;
    this.#fallback = new MemorySignInAttempts(policy);
    this.#guard = new OutageGuard(logger, REDIS_TIMEOUT_MS, {
      down: 'sign-in attempts are counted in this process’s memory while Redis is unreachable',
      back: 'sign-in attempts are counted on Redis again',
    });
  }

  async attempt(account: string): Promise<number> {
    const shared = await this.#guard.attempt(() => this.#primary.attempt(account));
    return shared.ok ? shared.value : this.#fallback.attempt(account);
  }

  async succeeded(account: string): Promise<void> {
    const shared = await this.#guard.attempt(() => this.#primary.succeeded(account));
    if (!shared.ok) await this.#fallback.succeeded(account);
  }
}
