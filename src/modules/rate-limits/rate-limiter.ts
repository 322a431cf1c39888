import type { RateLimitBudget, RateLimitConfig, Tier } from '../../config.ts';
import type { UserTiers } from '../users/user-tiers.ts';
import type { RateLimitOutcome, Window } from './gcra.ts';
import type { RateLimitStore } from './rate-limit-store.ts';

/** Who a `@rateLimit` directive counts: the signed-in user (by tier), or the client address (sign-in). */
export type RateLimitRule = 'tier' | 'ip';
export const RATE_LIMIT_BUDGETS: readonly RateLimitBudget[] = ['predict', 'writes'];

export type Subject = { kind: 'user'; userId: string } | { kind: 'ip'; ip: string };

export class RateLimiter {
  readonly #store: RateLimitStore;
  readonly #tiers: UserTiers;
  readonly #config: RateLimitConfig;
  /** The successful outcome of each HTTP request's limits, for its response headers (see app.ts). */
  readonly #outcomes = new WeakMap<Request, RateLimitOutcome>();

  constructor(store: RateLimitStore, tiers: UserTiers, config: RateLimitConfig) {
    this.#store = store;
    this.#tiers = tiers;
    this.#config = config;
  }

  tierWindows(tier: Tier, budget: RateLimitBudget): Window[] {
    const limit = this.#config.budgets[budget][tier];
    return [
      { name: 'minute', limit: limit.perMinute, windowMs: this.#config.minuteMs },
      { name: 'day', limit: limit.perDay, windowMs: this.#config.dayMs },
    ];
  }

  /** Checks and counts one call. Users are counted however they authenticate (keys share the budget). */
  async consume(rule: RateLimitRule, budget: RateLimitBudget, subject: Subject): Promise<RateLimitOutcome> {
    if (rule === 'ip') {
      const ip = subject.kind === 'ip' ? subject.ip : 'unknown';
      const windows = [
        { name: 'minute', limit: this.#config.authPerMinute, windowMs: this.#config.minuteMs },
      ];
      return this.#store.consume(`ip:${ip}`, windows, { dryRun: false });
    }
    if (subject.kind !== 'user') throw new Error('tier limits need a signed-in user');
    const tier = await this.#tiers.get(subject.userId);
    return this.#store.consume(budgetKey(subject.userId, budget), this.tierWindows(tier, budget), {
      dryRun: false,
    });
  }

  remember(request: Request, outcome: RateLimitOutcome): void {
    this.#outcomes.set(request, outcome);
  }

  /** What the request's limited fields were told, if any: the response's RateLimit headers. */
  outcomeOf(request: Request): RateLimitOutcome | undefined {
    return this.#outcomes.get(request);
  }

  /** The user's windows of a budget as they stand, without spending anything. */
  async status(userId: string, budget: RateLimitBudget): Promise<{ tier: Tier; outcome: RateLimitOutcome }> {
    const tier = await this.#tiers.get(userId);
    const outcome = await this.#store.consume(budgetKey(userId, budget), this.tierWindows(tier, budget), {
      dryRun: true,
    });
    return { tier, outcome };
  }
}

/** predict keeps the key it always had, so counts survive an upgrade. */
function budgetKey(userId: string, budget: RateLimitBudget): string {
  return budget === 'predict' ? `user:${userId}` : `user:${userId}:${budget}`;
}
