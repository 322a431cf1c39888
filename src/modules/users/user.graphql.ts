import { TIERS } from '../../config.ts';
import { builder } from '../../schema/builder.ts';
import { viewerId } from '../auth/viewer.ts';
import { ROLES, type User } from './user.entity.ts';
import type { AuthPayload } from './user.service.ts';

export const TierEnum = builder.enumType('Tier', { values: TIERS });
export const RoleEnum = builder.enumType('Role', { values: ROLES });

export const UserRef = builder.objectRef<User>('User').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    email: t.exposeString('email'),
    tier: t.expose('tier', { type: TierEnum }),
    role: t.expose('role', { type: RoleEnum }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const AuthPayloadRef = builder.objectRef<AuthPayload>('AuthPayload').implement({
  fields: (t) => ({
    token: t.exposeString('token', {
      description: 'A signed JWT access token: send it as `Authorization: Bearer <token>`.',
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    user: t.expose('user', { type: UserRef }),
  }),
});

const RegisterInput = builder.inputType('RegisterInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    password: t.string({ required: true }),
  }),
});

const LoginInput = builder.inputType('LoginInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    password: t.string({ required: true }),
  }),
});

const SetUserTierInput = builder.inputType('SetUserTierInput', {
  fields: (t) => ({
    userId: t.id({ required: true }),
    tier: t.field({ type: TierEnum, required: true }),
  }),
});

builder.queryField('me', (t) =>
  t.field({
    type: UserRef,
    description: 'The signed-in user.',
    authScopes: { signedIn: true },
    resolve: (_root, _args, ctx) => ctx.services.users.current(ctx.em, viewerId(ctx)),
  }),
);

builder.mutationFields((t) => ({
  register: t.field({
    type: AuthPayloadRef,
    directives: { rateLimit: { by: 'ip' } },
    args: { input: t.arg({ type: RegisterInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.users.register(ctx.em, input),
  }),
  login: t.field({
    type: AuthPayloadRef,
    directives: { rateLimit: { by: 'ip' } },
    args: { input: t.arg({ type: LoginInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.users.login(ctx.em, input),
  }),
  setUserTier: t.field({
    authScopes: { session: true },
    type: UserRef,
    description: 'Admins only.',
    args: { input: t.arg({ type: SetUserTierInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.users.setTier(ctx.em, viewerId(ctx), { userId: String(input.userId), tier: input.tier }),
  }),
}));
