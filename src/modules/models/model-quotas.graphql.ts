import { builder } from '../../schema/builder.ts';
import { UserRef } from '../users/user.graphql.ts';
import type { QuotaStatus } from './model-quotas.ts';

const QuotaUsageRef = builder.objectRef<{ used: number; limit: number }>('QuotaUsage').implement({
  fields: (t) => ({
    used: t.exposeFloat('used'),
    limit: t.exposeFloat('limit', { description: 'What your tier allows.' }),
  }),
});

const usageOf = (status: QuotaStatus, name: keyof QuotaStatus['used']) => ({
  used: status.used[name],
  limit: status.limits[name],
});

const QuotaRef = builder.objectRef<QuotaStatus>('Quota').implement({
  description:
    'What you keep stored, against what your tier allows. Over a quota, writes fail with QUOTA_EXCEEDED.',
  fields: (t) => ({
    models: t.field({ type: QuotaUsageRef, resolve: (status) => usageOf(status, 'models') }),
    versions: t.field({
      type: QuotaUsageRef,
      description: 'Model versions, across all your models.',
      resolve: (status) => usageOf(status, 'versions'),
    }),
    storedBytes: t.field({
      type: QuotaUsageRef,
      description: 'Bytes of the ONNX files of all your versions.',
      resolve: (status) => usageOf(status, 'storedBytes'),
    }),
  }),
});

builder.objectField(UserRef, 'quota', (t) =>
  t.field({
    type: QuotaRef,
    resolve: (user, _args, ctx) => ctx.services.modelQuotas.status(ctx.em, user.id),
  }),
);
