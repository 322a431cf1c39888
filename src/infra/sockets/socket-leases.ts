import { randomUUID } from 'node:crypto';
import type { Logger } from '../../logger.ts';
import { OutageGuard } from '../outage-guard.ts';
import { type RedisClientType, RedisScript } from '../redis.ts';

/** A place among a user's live connections, held until released. */
export type Lease = { release(): Promise<void> };

/**
 * Which live connections (WebSockets, Server-Sent Events streams) each user has open, on every
 * instance, so "at most N per user" holds however many instances serve them. Each connection holds a
 * lease that its process renews while it lives; the leases of a process that died run out by themselves.
 */
export interface SocketLeases {
  /** A place for one more connection if the user has fewer than `max`; null: the user is at the limit. */
  acquire(userId: string, max: number): Promise<Lease | null>;
  close(): Promise<void>;
}

/** One process's leases: the embedded default, and the stand-in while Redis is unreachable. */
export class MemorySocketLeases implements SocketLeases {
  readonly #open = new Map<string, number>();

  async acquire(userId: string, max: number): Promise<Lease | null> {
    const open = this.#open.get(userId) ?? 0;
    if (open >= max) return null;
    this.#open.set(userId, open + 1);
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        const left = (this.#open.get(userId) ?? 1) - 1;
        if (left > 0) this.#open.set(userId, left);
        else this.#open.delete(userId);
      },
    };
  }

  async close(): Promise<void> {}
}

// Drops expired leases, then takes one if there is room: atomically, so two instances never both take
// the last place. KEYS[1]: the user's sorted set (lease id → lease end). ARGV: lease id, max, lease ms.
const ACQUIRE = new RedisScript(`
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
`);
// Extends a lease that still exists, by Redis's clock like ACQUIRE. ARGV: lease id, lease ms.
const RENEW = new RedisScript(`
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
`);
const REDIS_TIMEOUT_MS = 250;
/** How long a lease lasts unless renewed; renewed every third of it, so one missed renewal is harmless. */
const LEASE_MS = 45_000;

const leaseKey = (userId: string) => `mlp:connections:{${userId}}`;

/**
 * Shared by every instance. While Redis is unreachable each instance counts its own connections (so a
 * user gets at most N per instance until it is back): nobody is refused because Redis is down.
 */
export class RedisSocketLeases implements SocketLeases {
  readonly #redis: RedisClientType;
  readonly #fallback = new MemorySocketLeases();
  readonly #guard: OutageGuard;
  /** This process's leases in Redis, lease id → user id, renewed by the timer. */
  readonly #held = new Map<string, string>();
  readonly #renewal: NodeJS.Timeout;

  constructor(redis: RedisClientType, logger: Logger) {
    this.#redis = redis;
    this.#guard = new OutageGuard(logger, REDIS_TIMEOUT_MS, {
      down: 'connection limits are counted per instance while Redis is unreachable',
      back: 'connection limits are shared through Redis again',
    });
    this.#renewal = setInterval(() => void this.#renew(), LEASE_MS / 3).unref();
  }

  async acquire(userId: string, max: number): Promise<Lease | null> {
    const id = randomUUID();
    const args = [id, String(max), String(LEASE_MS)];
    const shared = await this.#guard.attempt(() => ACQUIRE.run(this.#redis, [leaseKey(userId)], args));
    if (!shared.ok) return this.#fallback.acquire(userId, max);
    if (Number(shared.value) !== 1) return null;
    this.#held.set(id, userId);
    return {
      release: async () => {
        if (!this.#held.delete(id)) return;
        await this.#guard.attempt(() => this.#redis.zRem(leaseKey(userId), id));
      },
    };
  }

  async #renew(): Promise<void> {
    if (this.#held.size === 0) return;
    // One round trip for all of them (the client pipelines what is sent in one turn); not a
    // transaction: each user's set is its own key.
    await this.#guard.attempt(() =>
      Promise.all(
        [...this.#held].map(([id, userId]) =>
          RENEW.run(this.#redis, [leaseKey(userId)], [id, String(LEASE_MS)]),
        ),
      ),
    );
  }

  async close(): Promise<void> {
    clearInterval(this.#renewal);
  }
}
