import { builder } from '../../schema/builder.ts';
import { requireUser } from '../auth/viewer.ts';
import { TierEnum } from '../users/user.graphql.ts';
import type { WindowState } from './gcra.ts';

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

const RateLimitStatusRef = builder
  .objectRef<{ tier: 'FREE' | 'PRO' | 'ENTERPRISE'; minute: WindowState; day: WindowState }>(
    'RateLimitStatus',
  )
  .implement({
    fields: (t) => ({
      tier: t.expose('tier', { type: TierEnum }),
      minute: t.expose('minute', { type: RateLimitWindowRef }),
      day: t.expose('day', { type: RateLimitWindowRef }),
    }),
  });

builder.queryField('rateLimit', (t) =>
  t.field({
    type: RateLimitStatusRef,
    description: 'The caller’s tier limits and what is left of them now.',
    authScopes: { signedIn: true },
    resolve: async (_root, _args, ctx) => {
      const { tier, outcome } = await ctx.services.rateLimiter.status(requireUser(ctx.viewer).userId);
      const [minute, day] = outcome.windows as [WindowState, WindowState];
      return { tier, minute, day };
    },
  }),
);
