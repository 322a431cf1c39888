import type { RateLimitConfig } from '../../config.ts';
import type { Tier } from '../users/user.entity.ts';
import type { UserTiers } from '../users/user-tiers.ts';
import type { RateLimitOutcome, Window } from './gcra.ts';
import type { RateLimitStore } from './rate-limit-store.ts';

/** What a `@rateLimit` directive asks for: the caller's tier limits, or the per-IP limit on sign-in. */
export type RateLimitRule = 'tier' | 'ip';

export type Subject = { kind: 'user'; userId: string } | { kind: 'ip'; ip: string };

export class RateLimiter {
  readonly #store: RateLimitStore;
  readonly #tiers: UserTiers;
  readonly #config: RateLimitConfig;

  constructor(store: RateLimitStore, tiers: UserTiers, config: RateLimitConfig) {
    this.#store = store;
    this.#tiers = tiers;
    this.#config = config;
  }

  tierWindows(tier: Tier): Window[] {
    const limit = this.#config.tiers[tier];
    return [
      { name: 'minute', limit: limit.perMinute, windowMs: this.#config.minuteMs },
      { name: 'day', limit: limit.perDay, windowMs: this.#config.dayMs },
    ];
  }

  /** Checks and counts one call. Users are counted however they authenticate (keys share the budget). */
  async consume(rule: RateLimitRule, subject: Subject): Promise<RateLimitOutcome> {
    if (rule === 'ip') {
      const ip = subject.kind === 'ip' ? subject.ip : 'unknown';
      const windows = [
        { name: 'minute', limit: this.#config.authPerMinute, windowMs: this.#config.minuteMs },
      ];
      return this.#store.consume(`ip:${ip}`, windows, { dryRun: false });
    }
    if (subject.kind !== 'user') throw new Error('tier limits need a signed-in user');
    const tier = await this.#tiers.get(subject.userId);
    return this.#store.consume(`user:${subject.userId}`, this.tierWindows(tier), { dryRun: false });
  }

  /** The user's tier windows as they stand, without spending anything. */
  async status(userId: string): Promise<{ tier: Tier; outcome: RateLimitOutcome }> {
    const tier = await this.#tiers.get(userId);
    const outcome = await this.#store.consume(`user:${userId}`, this.tierWindows(tier), { dryRun: true });
    return { tier, outcome };
  }
}
