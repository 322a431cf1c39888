import type { Logger } from '../../logger.ts';
import { OutageGuard } from '../outage-guard.ts';
import { type RedisClientType, RedisScript } from '../redis.ts';

/**
 * Which sockets each user has open, on every instance, so "at most N sockets per user" holds however
 * many instances serve them. A socket holds a lease that its instance renews on every heartbeat; the
 * lease of an instance that died runs out by itself.
 */
export interface SocketLeases {
  /** Takes a place for the socket if the user has fewer than `max`; false: the user is at the limit. */
  acquire(userId: string, socketId: string, max: number): Promise<boolean>;
  /** Keeps this instance's leases alive (called on every heartbeat). */
  renew(leases: { userId: string; socketId: string }[]): Promise<void>;
  release(userId: string, socketId: string): Promise<void>;
}

/** One process's leases: the embedded default, and the stand-in while Redis is unreachable. */
export class MemorySocketLeases implements SocketLeases {
  readonly #sockets = new Map<string, Set<string>>();

  async acquire(userId: string, socketId: string, max: number): Promise<boolean> {
    const sockets = this.#sockets.get(userId) ?? new Set();
    if (!sockets.has(socketId) && sockets.size >= max) return false;
    sockets.add(socketId);
    this.#sockets.set(userId, sockets);
    return true;
  }

  async renew(): Promise<void> {}

  async release(userId: string, socketId: string): Promise<void> {
    const sockets = this.#sockets.get(userId);
    sockets?.delete(socketId);
    if (sockets?.size === 0) this.#sockets.delete(userId);
  }
}

// Drops expired leases, then takes one if there is room: atomically, so two instances never both take
// the last place. KEYS[1]: the user's sorted set (socket id → lease end). ARGV: socket id, max, lease ms.
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
// Extends a lease that still exists, by Redis's clock like ACQUIRE. ARGV: socket id, lease ms.
const RENEW = new RedisScript(`
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
`);
const REDIS_TIMEOUT_MS = 250;
/** How long a lease lasts unless renewed: three heartbeats of websocket.ts, so one missed renewal is harmless. */
export const SOCKET_LEASE_MS = 45_000;

const leaseKey = (userId: string) => `mlp:sockets:{${userId}}`;

/**
 * Shared by every instance. While Redis is unreachable each instance counts its own sockets (so a user
 * gets at most N per instance until it is back): sockets are never refused because Redis is down.
 */
export class RedisSocketLeases implements SocketLeases {
  readonly #redis: RedisClientType;
  readonly #leaseMs = SOCKET_LEASE_MS;
  readonly #fallback = new MemorySocketLeases();
  readonly #guard: OutageGuard;

  constructor(redis: RedisClientType, logger: Logger) {
    this.#redis = redis;
    this.#guard = new OutageGuard(logger, REDIS_TIMEOUT_MS, {
      down: 'socket limits are counted per instance while Redis is unreachable',
      back: 'socket limits are shared through Redis again',
    });
  }

  async acquire(userId: string, socketId: string, max: number): Promise<boolean> {
    const args = [socketId, String(max), String(this.#leaseMs)];
    const shared = await this.#guard.attempt(() => ACQUIRE.run(this.#redis, [leaseKey(userId)], args));
    if (!shared.ok) return this.#fallback.acquire(userId, socketId, max);
    return Number(shared.value) === 1;
  }

  async renew(leases: { userId: string; socketId: string }[]): Promise<void> {
    if (leases.length === 0) return;
    // One round trip for all of them; a pipeline, not a transaction: each user's set is its own key.
    await this.#guard.attempt(() =>
      Promise.all(
        leases.map(({ userId, socketId }) =>
          RENEW.run(this.#redis, [leaseKey(userId)], [socketId, String(this.#leaseMs)]),
        ),
      ),
    );
  }

  async release(userId: string, socketId: string): Promise<void> {
    await this.#fallback.release(userId, socketId);
    await this.#guard.attempt(() => this.#redis.zRem(leaseKey(userId), socketId));
  }
}
