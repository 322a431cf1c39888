import { DirectiveLocation, GraphQLDirective, GraphQLNonNull, GraphQLString } from 'graphql';
import type { RateLimitOutcome } from './gcra.ts';
import { type FieldLimit, RATE_LIMIT_BUDGETS, type RateLimitRule } from './rate-limiter.ts';

const RULES: RateLimitRule[] = ['tier', 'ip'];

export const rateLimitDirective = new GraphQLDirective({
  name: 'rateLimit',
  description:
    'Calls to this field are limited. `by: "tier"`: per user (API keys share their owner’s budget), per minute ' +
    'and per day by tier, from the `budget` named: "predict" (the default; FREE 10/1,000, PRO 100/50,000, ' +
    'ENTERPRISE 1,000/1,000,000 unless configured) or "writes" (uploads, new models and training; FREE 5/100, ' +
    'PRO 30/2,000, ENTERPRISE 300/50,000). `by: "ip"`: per client IP address, per minute. Over the limit the ' +
    'field fails with RATE_LIMITED and `extensions.retryAfter` (seconds). Checked after the caller is ' +
    'authorized, so a refused call spends nothing.',
  locations: [DirectiveLocation.FIELD_DEFINITION],
  args: { by: { type: new GraphQLNonNull(GraphQLString) }, budget: { type: GraphQLString } },
});

/** A field's `@rateLimit` arguments as the admission needs them; a wrong argument fails the build. */
export function fieldLimit(field: string, args: { by: string; budget?: string }): FieldLimit {
  const by = RULES.find((candidate) => candidate === args.by);
  if (!by) throw new Error(`${field}: @rateLimit(by: "${args.by}") is not one of ${RULES}`);
  const budget = RATE_LIMIT_BUDGETS.find((candidate) => candidate === (args.budget ?? 'predict'));
  if (!budget)
    throw new Error(`${field}: @rateLimit(budget: "${args.budget}") is not one of ${RATE_LIMIT_BUDGETS}`);
  return { by, budget };
}

/** The IETF RateLimit headers (draft-ietf-httpapi-ratelimit-headers) for the tightest window. */
export function rateLimitHeaders(outcome: RateLimitOutcome): Record<string, string> {
  const tightest = outcome.windows.reduce((a, b) => (b.remaining / b.limit < a.remaining / a.limit ? b : a));
  const name = `"${tightest.name}"`;
  return {
    'RateLimit-Policy': `${name};q=${tightest.limit};w=${Math.round(tightest.windowMs / 1000)}`,
    RateLimit: `${name};r=${tightest.remaining};t=${Math.ceil(tightest.resetMs / 1000)}`,
  };
}
