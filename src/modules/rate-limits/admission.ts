import { GraphQLError } from 'graphql';
import type { Tier } from '../../config.ts';
import { rateLimited } from '../../errors.ts';
import type { Viewer } from '../auth/viewer.ts';
import type { RateLimitOutcome, WindowState } from './gcra.ts';
import type { Charge, ChargeOutcome, FieldLimit, RateLimiter, Subject } from './rate-limiter.ts';

/** `extensions.cost` of a response, shaped like Shopify's so clients can plan their calls. */
export type CostReport = {
  /** The operation's cost, computed from its shape before it ran. */
  requested: number;
  /** What is left of the caller's budget after this operation; absent if nothing was charged. */
  throttleStatus?: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
};

/**
 * What one operation spends, admitted in the order that makes refusals free: a root field is authorized
 * first (scope-auth, outside this), then admitted here, then resolved. The first root field to get here
 * charges the operation's points together with its own calls (one atomic script, one round trip); if
 * that is refused, so is the whole operation. Later limited fields charge their own calls. An operation
 * whose root fields are all refused by authorization is never charged.
 */
export class Admission {
  readonly #limiter: RateLimiter;
  readonly #viewer: Viewer;
  readonly #clientIp: string | null;
  #requested = 0;
  #first: Promise<void> | null = null;
  /** The latest field's admission. */
  #latest: Promise<void> = Promise.resolve();
  #points: { tier: Tier; state: WindowState } | null = null;
  /** The latest calls outcome, for the response's RateLimit headers. */
  #calls: RateLimitOutcome | null = null;

  constructor(limiter: RateLimiter, viewer: Viewer, clientIp: string | null) {
    this.#limiter = limiter;
    this.#viewer = viewer;
    this.#clientIp = clientIp;
  }

  /** The operation's cost, set before it runs. */
  price(points: number): void {
    this.#requested = points;
  }

  admit(limit: FieldLimit | null): Promise<void> {
    if (!this.#first) {
      this.#first = this.#chargeFirst(limit);
      this.#latest = this.#first;
    } else {
      this.#latest = this.#first.then(() => (limit ? this.#chargeCalls(limit) : undefined));
    }
    return this.#latest;
  }

  /**
   * The admission of the field being resolved, for a resolver that runs while it is decided (see
   * AdmissionPlugin): it must wait for this before running the model, or anything else a refusal must not get.
   */
  get pending(): Promise<void> {
    return this.#latest;
  }

  get callsOutcome(): RateLimitOutcome | null {
    return this.#calls;
  }

  report(): CostReport {
    if (!this.#points) return { requested: this.#requested };
    const { tier, state } = this.#points;
    return {
      requested: this.#requested,
      throttleStatus: {
        maximumAvailable: state.limit,
        currentlyAvailable: state.remaining,
        restoreRate: this.#limiter.restoreRate(tier),
      },
    };
  }

  async #chargeFirst(limit: FieldLimit | null): Promise<void> {
    if (!this.#limiter.enabled) return;
    const payer = this.#payer();
    const points = this.#requested;
    const calls = limit && this.#callsSubject(limit);
    if (calls && sameSubject(calls, payer)) {
      this.#record(await this.#limiter.charge({ subject: payer, points, calls: callBudget(limit) }));
      return;
    }
    this.#record(await this.#limiter.charge({ subject: payer, points, calls: null }));
    if (limit) await this.#chargeCalls(limit);
  }

  async #chargeCalls(limit: FieldLimit): Promise<void> {
    if (!this.#limiter.enabled) return;
    const subject = this.#callsSubject(limit);
    if (!subject) return;
    this.#record(await this.#limiter.charge({ subject, points: 0, calls: callBudget(limit) }));
  }

  #record(outcome: ChargeOutcome): void {
    if (outcome.points) this.#points = { tier: outcome.tier, state: outcome.points };
    // GCRA never admits more than a whole window at once: such an operation waits for nothing, it cannot pass.
    if (!outcome.allowed && outcome.points && this.#requested > outcome.points.limit) {
      throw tooExpensive(this.#requested, outcome.points.limit);
    }
    if (!outcome.allowed) throw overLimit(outcome);
    if (outcome.calls) this.#calls = outcome.calls;
  }

  /** Whose cost budget pays: the user, or for anonymous callers their address. */
  #payer(): Subject {
    if (this.#viewer.kind === 'user') return { kind: 'user', userId: this.#viewer.userId };
    return { kind: 'ip', ip: this.#clientIp ?? 'unknown' };
  }

  /** Who a field's calls are counted against; null: nobody (a tier limit needs a user). */
  #callsSubject(limit: FieldLimit): Subject | null {
    if (limit.by === 'ip') return { kind: 'ip', ip: this.#clientIp ?? 'unknown' };
    return this.#viewer.kind === 'user' ? { kind: 'user', userId: this.#viewer.userId } : null;
  }
}

const callBudget = (limit: FieldLimit): Charge['calls'] => (limit.by === 'ip' ? 'auth' : limit.budget);

function sameSubject(a: Subject, b: Subject): boolean {
  return a.kind === 'user' && b.kind === 'user'
    ? a.userId === b.userId
    : a.kind === 'ip' && b.kind === 'ip' && a.ip === b.ip;
}

function tooExpensive(points: number, max: number): GraphQLError {
  return new GraphQLError(
    `This operation costs ${points} points; your tier's budget holds at most ${max}. Ask for fewer items (first), rows or fields.`,
    { extensions: { code: 'MAX_COST_EXCEEDED', cost: points, maximumAvailable: max, http: { status: 400 } } },
  );
}

function overLimit(outcome: ChargeOutcome): GraphQLError {
  const windows = [
    ...(outcome.points ? [{ ...outcome.points, name: 'points' }] : []),
    ...(outcome.calls?.windows ?? []),
  ];
  const hit = windows.reduce((a, b) => (b.retryAfterMs > a.retryAfterMs ? b : a));
  const retryAfter = Math.max(1, Math.ceil(hit.retryAfterMs / 1000));
  const what =
    hit.name === 'points' ? `${hit.limit} points per minute` : `${hit.limit} calls per ${hit.name}`;
  return rateLimited(`Rate limit exceeded: ${what}.`, retryAfter, { window: hit.name, limit: hit.limit });
}
