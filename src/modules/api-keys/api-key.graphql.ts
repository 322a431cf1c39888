import { builder } from '../../schema/builder.ts';
import { idConnection, LEGACY_LIST_CAP, MAX_PAGE } from '../../schema/connections.ts';
import { viewerId } from '../auth/viewer.ts';
import { API_KEY_SCOPES, type ApiKey, isKeyActive } from './api-key.entity.ts';
import type { CreatedApiKey } from './api-key.service.ts';

export const ApiKeyScopeEnum = builder.enumType('ApiKeyScope', { values: API_KEY_SCOPES });

const ApiKeyRef = builder.objectRef<ApiKey>('ApiKey').implement({
  description:
    'A credential for scripts and servers: send it as `X-API-Key: <key>`. The secret itself is never shown again.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    prefix: t.exposeString('prefix', {
      description: 'The first characters of the secret, enough to recognise it (e.g. `mlp_AbC12345`).',
    }),
    scopes: t.expose('scopes', { type: [ApiKeyScopeEnum] }),
    isActive: t.boolean({
      description: 'Neither revoked (nor past a rotation’s grace period) nor expired.',
      resolve: (key) => isKeyActive(key),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Recorded at most once a minute.',
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revokedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the key stopped (or, during a rotation’s grace period, stops) working.',
    }),
  }),
});

const CreateApiKeyPayloadRef = builder.objectRef<CreatedApiKey>('CreateApiKeyPayload').implement({
  fields: (t) => ({
    apiKey: t.expose('apiKey', { type: ApiKeyRef }),
    secret: t.exposeString('secret', {
      description:
        'The plain key. It is returned here once and never again (but to a retry with the same Idempotency-Key, within 24 hours).',
    }),
  }),
});

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    scopes: t.field({ type: [ApiKeyScopeEnum], description: 'Defaults to [PREDICT, MODELS_READ].' }),
    expiresAt: t.field({ type: 'DateTime' }),
  }),
});

const RotateApiKeyInput = builder.inputType('RotateApiKeyInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    gracePeriodSeconds: t.int({
      description:
        'How long the old key keeps working after the new one is issued; 0 (the default) revokes it at once.',
    }),
  }),
});

builder.queryFields((t) => ({
  apiKeys: t.field({
    type: [ApiKeyRef],
    description: `Your ${LEGACY_LIST_CAP} newest API keys, revoked ones included.`,
    deprecationReason: `Returns at most ${LEGACY_LIST_CAP}: page through apiKeysConnection instead.`,
    complexity: { field: 1, multiplier: LEGACY_LIST_CAP },
    authScopes: { session: true },
    resolve: (_root, _args, ctx) =>
      ctx.services.apiKeys.page(ctx.em, viewerId(ctx), { limit: LEGACY_LIST_CAP, inverted: false }),
  }),
  apiKeysConnection: t.connection(
    {
      type: ApiKeyRef,
      description: `Your API keys, newest first, revoked ones included, at most ${MAX_PAGE} a page.`,
      authScopes: { session: true },
      resolve: (_root, args, ctx) =>
        idConnection(args, (page) => ctx.services.apiKeys.page(ctx.em, viewerId(ctx), page)),
    },
    { name: 'ApiKeyConnection' },
    { name: 'ApiKeyEdge' },
  ),
}));

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreateApiKeyPayloadRef,
    authScopes: { session: true },
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.apiKeys.create(ctx.em, viewerId(ctx), input),
  }),
  revokeApiKey: t.field({
    type: ApiKeyRef,
    authScopes: { session: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.apiKeys.revoke(ctx.em, viewerId(ctx), String(id)),
  }),
  rotateApiKey: t.field({
    type: CreateApiKeyPayloadRef,
    authScopes: { session: true },
    description:
      'A new key with the same name and scopes; the old one works for `gracePeriodSeconds` more. A key is ' +
      'rotated once: to rotate again, rotate the key that replaced it.',
    args: { input: t.arg({ type: RotateApiKeyInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.apiKeys.rotate(ctx.em, viewerId(ctx), { ...input, id: String(input.id) }),
  }),
}));
