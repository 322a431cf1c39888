import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import {
  DirectiveLocation,
  defaultFieldResolver,
  GraphQLDirective,
  GraphQLError,
  GraphQLNonNull,
  type GraphQLSchema,
  GraphQLString,
} from 'graphql';
import type { RateLimitBudget } from '../../config.ts';
import type { Viewer } from '../auth/viewer.ts';
import type { RateLimitOutcome } from './gcra.ts';
import { RATE_LIMIT_BUDGETS, type RateLimiter, type RateLimitRule, type Subject } from './rate-limiter.ts';

/** What a limited field needs of its request: who calls, from where, and the limiter. */
type LimitedRequest = {
  viewer: Viewer;
  clientIp: string | null;
  /** The HTTP request, for the response headers; null over a WebSocket. */
  request: Request | null;
  services: { rateLimiter: RateLimiter; config: { rateLimits: { enabled: boolean } } };
};

const RULES: RateLimitRule[] = ['tier', 'ip'];

export const rateLimitDirective = new GraphQLDirective({
  name: 'rateLimit',
  description:
    'Calls to this field are limited. `by: "tier"`: per user (API keys share their owner’s budget), per minute ' +
    'and per day by tier, from the `budget` named: "predict" (the default; FREE 10/1,000, PRO 100/50,000, ' +
    'ENTERPRISE 1,000/1,000,000 unless configured) or "writes" (uploads, new models and training; FREE 5/100, ' +
    'PRO 30/2,000, ENTERPRISE 300/50,000). `by: "ip"`: per client IP address, per minute. Over the limit the ' +
    'field fails with RATE_LIMITED and `extensions.retryAfter` (seconds).',
  locations: [DirectiveLocation.FIELD_DEFINITION],
  args: { by: { type: new GraphQLNonNull(GraphQLString) }, budget: { type: GraphQLString } },
});

/** Wraps the resolver of every field that carries `@rateLimit`, so HTTP and WebSocket are limited alike. */
export function applyRateLimits(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) => {
      const directive = getDirective(schema, field, rateLimitDirective.name)?.[0];
      if (!directive) return field;
      const rule = RULES.find((candidate) => candidate === directive.by);
      if (!rule)
        throw new Error(`${typeName}.${fieldName}: @rateLimit(by: "${directive.by}") is not one of ${RULES}`);
      const budget = RATE_LIMIT_BUDGETS.find((candidate) => candidate === (directive.budget ?? 'predict'));
      if (!budget)
        throw new Error(
          `${typeName}.${fieldName}: @rateLimit(budget: "${directive.budget}") is not one of ${RATE_LIMIT_BUDGETS}`,
        );
      const resolve = field.resolve ?? defaultFieldResolver;
      return {
        ...field,
        resolve: async (source, args, context: LimitedRequest, info) => {
          await enforce(context, rule, budget);
          return resolve(source, args, context, info);
        },
      };
    },
  });
}

async function enforce(ctx: LimitedRequest, rule: RateLimitRule, budget: RateLimitBudget): Promise<void> {
  const { viewer } = ctx;
  if (!ctx.services.config.rateLimits.enabled) return;
  let subject: Subject;
  if (rule === 'ip') subject = { kind: 'ip', ip: ctx.clientIp ?? 'unknown' };
  else if (viewer.kind === 'user') subject = { kind: 'user', userId: viewer.userId };
  else return; // not signed in: the field's own authentication refuses it, uncounted
  const outcome = await ctx.services.rateLimiter.consume(rule, budget, subject);
  if (!outcome.allowed) throw rateLimited(outcome);
  if (ctx.request) ctx.services.rateLimiter.remember(ctx.request, outcome);
}

function rateLimited(outcome: RateLimitOutcome): GraphQLError {
  const hit = outcome.windows.reduce((a, b) => (b.retryAfterMs > a.retryAfterMs ? b : a));
  const retryAfter = Math.max(1, Math.ceil(hit.retryAfterMs / 1000));
  return new GraphQLError(
    `Rate limit exceeded: ${hit.limit} calls per ${hit.name}. Retry in ${retryAfter} s.`,
    {
      extensions: {
        code: 'RATE_LIMITED',
        retryAfter,
        window: hit.name,
        limit: hit.limit,
        // Yoga answers 429 with this header when the whole operation was refused.
        http: { status: 429, headers: { 'Retry-After': String(retryAfter) } },
      },
    },
  );
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
