import type { RateLimitBudget, Tier } from '../../config.ts';
import { builder } from '../../schema/builder.ts';
import { requireUser } from '../auth/viewer.ts';
import { TierEnum } from '../users/user.graphql.ts';
import type { WindowState } from './gcra.ts';
import type { RateLimiter } from './rate-limiter.ts';

const RateLimitWindowRef = builder.objectRef<WindowState>('RateLimitWindow').implement({
  fields: (t) => ({
    limit: t.exposeInt('limit'),
    remaining: t.exposeInt('remaining'),
    resetAt: t.field({
      type: 'DateTime',
      description: 'When the whole budget of this window is back.',
      resolve: (window) => new Date(Date.now() + window.resetMs),
    }),
  }),
});

type BudgetState = { minute: WindowState; day: WindowState };

const RateLimitBudgetRef = builder.objectRef<BudgetState>('RateLimitBudget').implement({
  description: 'A separate allowance of calls, per minute and per day.',
  fields: (t) => ({
    minute: t.expose('minute', { type: RateLimitWindowRef }),
    day: t.expose('day', { type: RateLimitWindowRef }),
  }),
});

const RateLimitStatusRef = builder
  .objectRef<{ tier: Tier; userId: string } & BudgetState>('RateLimitStatus')
  .implement({
    fields: (t) => ({
      tier: t.expose('tier', { type: TierEnum }),
      minute: t.expose('minute', { type: RateLimitWindowRef, description: 'Of the predict budget.' }),
      day: t.expose('day', { type: RateLimitWindowRef, description: 'Of the predict budget.' }),
      writes: t.field({
        type: RateLimitBudgetRef,
        description: 'The budget of uploadModelVersion, createModel and startTraining.',
        resolve: ({ userId }, _args, ctx) => budgetState(ctx.services.rateLimiter, userId, 'writes'),
      }),
      points: t.field({
        type: RateLimitWindowRef,
        description:
          'The cost budget: points per minute that every operation is charged its cost from (see ' +
          '`extensions.cost` of any response, and the field descriptions for what costs what).',
        resolve: async ({ userId }, _args, ctx) => {
          const { points } = await ctx.services.rateLimiter.status(userId, 'points');
          return points!;
        },
      }),
    }),
  });

async function budgetState(limiter: RateLimiter, userId: string, budget: RateLimitBudget) {
  const { tier, calls } = await limiter.status(userId, budget);
  const [minute, day] = calls!.windows as [WindowState, WindowState];
  return { tier, minute, day };
}

builder.queryField('rateLimit', (t) =>
  t.field({
    type: RateLimitStatusRef,
    description: 'The caller’s tier limits and what is left of them now.',
    authScopes: { signedIn: true },
    resolve: async (_root, _args, ctx) => {
      const { userId } = requireUser(ctx.viewer);
      return { userId, ...(await budgetState(ctx.services.rateLimiter, userId, 'predict')) };
    },
  }),
);
