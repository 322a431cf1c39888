import { TIERS } from '../../config.ts';
import { builder } from '../../schema/builder.ts';
import { requireSession, viewerId } from '../auth/viewer.ts';
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

const ChangePasswordInput = builder.inputType('ChangePasswordInput', {
  fields: (t) => ({
    currentPassword: t.string({ required: true }),
    newPassword: t.string({ required: true }),
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
    description:
      'Creates an account and signs it in. For an address already registered, this is a sign-in: the ' +
      'account’s own password signs its owner in; any other gets the sign-in’s error (UNAUTHENTICATED) and ' +
      'counts against the account’s sign-in attempts.',
    directives: { rateLimit: { by: 'ip' } },
    args: { input: t.arg({ type: RegisterInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.users.register(ctx.em, input, ctx.clientIp ?? 'unknown'),
  }),
  login: t.field({
    type: AuthPayloadRef,
    description:
      'Signs in: a new session, one token. Limited per client address, and per account: after ' +
      '`SIGN_IN_FREE_ATTEMPTS` (5) attempts without success from one network (100 from everywhere), the ' +
      'account waits 1 s there, then twice as long after each further attempt, up to 15 minutes ' +
      '(RATE_LIMITED with `retryAfter`).',
    directives: { rateLimit: { by: 'ip' } },
    args: { input: t.arg({ type: LoginInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.users.login(ctx.em, input, ctx.clientIp ?? 'unknown'),
  }),
  logout: t.boolean({
    authScopes: { session: true },
    description:
      'Ends the session of the token this request carries, on every instance: the token stops working and ' +
      'live subscriptions opened with it close. The user’s other sessions go on.',
    resolve: async (_root, _args, ctx) => {
      await ctx.services.users.logout(ctx.em, requireSession(ctx.viewer));
      return true;
    },
  }),
  logoutEverywhere: t.boolean({
    authScopes: { session: true },
    description:
      'Ends every session of the signed-in user, this one included, on every instance (their live ' +
      'subscriptions close). API keys are not sessions: revoke them with `revokeApiKey`.',
    resolve: async (_root, _args, ctx) => {
      await ctx.services.users.logoutEverywhere(ctx.em, viewerId(ctx));
      return true;
    },
  }),
  changePassword: t.field({
    type: AuthPayloadRef,
    authScopes: { session: true },
    directives: { rateLimit: { by: 'ip' } },
    description:
      'Sets a new password, given the current one, and ends every session of the user: continue with the ' +
      'token returned. Counts against the account’s sign-in attempts, like `login`.',
    args: { input: t.arg({ type: ChangePasswordInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.users.changePassword(ctx.em, viewerId(ctx), input, ctx.clientIp ?? 'unknown'),
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
