import { readFileSync } from 'node:fs';
import { BoundedMap } from '../../infra/cache/bounded-map.ts';
import { OutageGuard } from '../../infra/outage-guard.ts';
import { type RedisClientType, RedisScript } from '../../infra/redis.ts';
import type { Logger } from '../../logger.ts';
import { gcra, type RateLimitOutcome, type Window } from './gcra.ts';

/** Where the TATs live. `subject` is who is counted (a user, an IP); one key per window. */
export interface RateLimitStore {
  consume(subject: string, windows: Window[], options: { dryRun: boolean }): Promise<RateLimitOutcome>;
}

/** A TAT means something only for one window length, so the length is part of its key. */
function windowKey(window: Window): string {
  return `${window.key}:${window.name}:${window.windowMs}`;
}

/** One process's limits: the embedded default, and the stand-in while Redis is unreachable. */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #tats = new BoundedMap<string, { tat: number; expiresAt: number }>(100_000);

  async consume(
    subject: string,
    windows: Window[],
    { dryRun }: { dryRun: boolean },
  ): Promise<RateLimitOutcome> {
    const now = Date.now();
    const keys = windows.map((window) => `${subject}:${windowKey(window)}`);
    const tats = keys.map((key) => {
      const entry = this.#tats.get(key);
      return entry && entry.expiresAt > now ? entry.tat : null;
    });
    const { outcome, newTats } = gcra(windows, tats, now, dryRun);
    newTats?.forEach((tat, i) => {
      this.#tats.set(keys[i]!, { tat, expiresAt: tat });
    });
    return outcome;
  }
}

const SCRIPT = new RedisScript(readFileSync(new URL('./rate-limit-script.lua', import.meta.url), 'utf8'));

/** Shared by every instance: one round trip, checked and counted atomically by a Lua script. */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #redis: RedisClientType;

  constructor(redis: RedisClientType) {
    this.#redis = redis;
  }

  async consume(
    subject: string,
    windows: Window[],
    { dryRun }: { dryRun: boolean },
  ): Promise<RateLimitOutcome> {
    // The hash tag keeps a subject's windows in one Redis Cluster slot, as a multi-key script needs.
    const keys = windows.map((window) => `mlp:rl:{${subject}}:${windowKey(window)}`);
    const args = [
      dryRun ? '1' : '0',
      ...windows.flatMap((window) => [String(window.limit), String(window.windowMs), String(window.cost)]),
    ];
    const reply = await SCRIPT.run(this.#redis, keys, args);
    const numbers = (reply as number[]).map(Number);
    return {
      allowed: numbers[0] === 1,
      windows: windows.map((window, i) => ({
        name: window.name,
        limit: window.limit,
        windowMs: window.windowMs,
        remaining: numbers[1 + 3 * i]!,
        resetMs: numbers[2 + 3 * i]!,
        retryAfterMs: numbers[3 + 3 * i]!,
      })),
    };
  }
}

const REDIS_TIMEOUT_MS = 250;

/**
 * Redis first; when it fails or is slow, this process's memory, so requests are never refused (or held
 * up) because Redis is down, yet no instance serves unlimited traffic. Each outage is logged once;
 * the next success returns to Redis by itself.
 */
export class FailoverRateLimitStore implements RateLimitStore {
  readonly #primary: RateLimitStore;
  readonly #fallback = new MemoryRateLimitStore();
  readonly #guard: OutageGuard;

  constructor(primary: RateLimitStore, logger: Logger) {
    this.#primary = primary;
    this.#guard = new OutageGuard(logger, REDIS_TIMEOUT_MS, {
      down: 'rate limits fall back to this process’s memory while Redis is unreachable',
      back: 'rate limits are back on Redis',
    });
  }

  async consume(subject: string, windows: Window[], options: { dryRun: boolean }): Promise<RateLimitOutcome> {
    const shared = await this.#guard.attempt(() => this.#primary.consume(subject, windows, options));
    return shared.ok ? shared.value : this.#fallback.consume(subject, windows, options);
  }
}
