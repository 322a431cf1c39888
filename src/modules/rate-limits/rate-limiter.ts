import type { RateLimitBudget, RateLimitConfig, Tier } from '../../config.ts';
import type { Metrics } from '../../infra/metrics/metrics.ts';
import { limitedNetwork } from '../../infra/net/client-address.ts';
import type { Tracing } from '../../infra/telemetry/tracing.ts';
import type { UserTiers } from '../users/user-tiers.ts';
import type { RateLimitOutcome, Window, WindowState } from './gcra.ts';
import type { RateLimitStore } from './rate-limit-store.ts';

/** Who a `@rateLimit` directive counts: the signed-in user (by tier), or the client address (sign-in). */
export type RateLimitRule = 'tier' | 'ip';
export const RATE_LIMIT_BUDGETS: readonly RateLimitBudget[] = ['predict', 'writes'];

/** What a `@rateLimit` directive asks of each call of its field. */
export type FieldLimit = { by: RateLimitRule; budget: RateLimitBudget };

export type Subject = { kind: 'user'; userId: string } | { kind: 'ip'; ip: string };

/** What one charge spends of one subject's allowances, checked and counted together. */
export type Charge = {
  subject: Subject;
  /** Points of the cost budget (the operation's cost; 0: none). */
  points: number;
  /**
   * One call of a field limited by tier (a budget), of the sign-in fields (`auth`), or one failed
   * authentication (`authFailure`); null: none.
   */
  calls: RateLimitBudget | 'auth' | 'authFailure' | null;
};

/** A charge's outcome: the points window and the calls windows apart, as responses report them. */
export type ChargeOutcome = {
  allowed: boolean;
  tier: Tier;
  points: WindowState | null;
  calls: RateLimitOutcome | null;
};

export class RateLimiter {
  readonly #store: RateLimitStore;
  readonly #tiers: UserTiers;
  readonly #config: RateLimitConfig;
  readonly #decisions: Metrics['rateLimitDecisions'];
  readonly #tracing: Tracing;

  constructor(
    store: RateLimitStore,
    tiers: UserTiers,
    config: RateLimitConfig,
    telemetry: { metrics: Metrics; tracing: Tracing },
  ) {
    this.#decisions = telemetry.metrics.rateLimitDecisions;
    this.#tracing = telemetry.tracing;
    this.#store = store;
    this.#tiers = tiers;
    this.#config = config;
  }

  get enabled(): boolean {
    return this.#config.enabled;
  }

  /** Points the budget of a tier earns back per second. */
  restoreRate(tier: Tier): number {
    return this.#config.points[tier] / (this.#config.minuteMs / 1000);
  }

  /**
   * Checks and counts a charge atomically: every window passes and is counted, or none is (a refused call
   * costs nothing). Users are counted however they authenticate (keys share the budgets).
   */
  async charge(charge: Charge, options: { dryRun: boolean } = { dryRun: false }): Promise<ChargeOutcome> {
    // Anonymous callers spend the cost budget of the FREE tier, per address.
    const tier = charge.subject.kind === 'user' ? await this.#tiers.get(charge.subject.userId) : 'FREE';
    const windows: Window[] = [];
    if (charge.points > 0) windows.push(this.#pointsWindow(tier, charge.points));
    if (charge.calls) windows.push(...this.#callWindows(tier, charge.calls));
    if (windows.length === 0) return { allowed: true, tier, points: null, calls: null };
    const outcome = await this.#tracing.span('rate limit', { 'mlp.tier': tier }, async (span) => {
      const outcome = await this.#store.consume(subjectKey(charge.subject), windows, options);
      span.setAttribute('mlp.rate_limit.allowed', outcome.allowed);
      return outcome;
    });
    if (!options.dryRun) {
      this.#decisions.inc({ tier, outcome: outcome.allowed ? 'allowed' : 'refused' });
    }
    const [points, ...calls] = charge.points > 0 ? outcome.windows : [null, ...outcome.windows];
    return {
      allowed: outcome.allowed,
      tier,
      points: points ?? null,
      calls: charge.calls ? { allowed: outcome.allowed, windows: calls as WindowState[] } : null,
    };
  }

  /** The user's windows of a budget as they stand, without spending anything. */
  async status(userId: string, budget: RateLimitBudget | 'points'): Promise<ChargeOutcome> {
    const subject: Subject = { kind: 'user', userId };
    return budget === 'points'
      ? this.charge({ subject, points: 1, calls: null }, { dryRun: true })
      : this.charge({ subject, points: 0, calls: budget }, { dryRun: true });
  }

  #pointsWindow(tier: Tier, cost: number): Window {
    const limit = this.#config.points[tier];
    return { key: 'points', name: 'minute', limit, windowMs: this.#config.minuteMs, cost };
  }

  #callWindows(tier: Tier, calls: NonNullable<Charge['calls']>): Window[] {
    const { minuteMs, dayMs } = this.#config;
    if (calls === 'auth') {
      return [
        { key: 'auth', name: 'minute', limit: this.#config.authPerMinute, windowMs: minuteMs, cost: 1 },
      ];
    }
    if (calls === 'authFailure') {
      const limit = this.#config.authFailuresPerMinute;
      return [{ key: 'auth-failures', name: 'minute', limit, windowMs: minuteMs, cost: 1 }];
    }
    const limit = this.#config.budgets[calls][tier];
    return [
      { key: calls, name: 'minute', limit: limit.perMinute, windowMs: minuteMs, cost: 1 },
      { key: calls, name: 'day', limit: limit.perDay, windowMs: dayMs, cost: 1 },
    ];
  }
}

function subjectKey(subject: Subject): string {
  return subject.kind === 'user' ? `user:${subject.userId}` : `ip:${limitedNetwork(subject.ip)}`;
}
