import { LockMode } from '@mikro-orm/postgresql';
import type { Context } from '../../context.ts';
import { badUserInput, notFound } from '../../errors.ts';
import { isUuid } from '../../infra/database/uuid7.ts';
import { requireUser } from '../auth/viewer.ts';
import { User } from '../users/user.entity.ts';
import { ApiKey, type ApiKeyScope, isKeyActive } from './api-key.entity.ts';
import { KEY_CHANGED_CHANNEL } from './api-key-verifier.ts';
import { DISPLAY_PREFIX_LENGTH, generateApiKey, hashApiKey } from './key-format.ts';

export const MAX_ACTIVE_KEYS = 5;
const DEFAULT_SCOPES: ApiKeyScope[] = ['PREDICT', 'MODELS_READ'];
const MAX_NAME = 100;
const MAX_GRACE_SECONDS = 30 * 24 * 3600;

/** The only place a plain secret exists after creation: this return value, sent to the client once. */
export type CreatedApiKey = { apiKey: ApiKey; secret: string };

function checkName(raw: string): string {
  const name = raw.trim();
  if (name === '' || name.length > MAX_NAME)
    throw badUserInput(`Key name must be 1 to ${MAX_NAME} characters`, 'name');
  return name;
}

export async function listApiKeys(ctx: Context): Promise<ApiKey[]> {
  const { userId } = requireUser(ctx.viewer);
  return ctx.em.find(ApiKey, { user: userId }, { orderBy: { id: 'desc' } });
}

/**
 * Issues a key inside a transaction that locks the owner's row, so concurrent requests cannot together
 * exceed the limit of active keys. `replacing` is a key being rotated away: it does not count.
 */
async function issueKey(
  ctx: Context,
  input: { name: string; scopes: ApiKeyScope[]; expiresAt: Date | null },
  replacing?: ApiKey,
): Promise<CreatedApiKey> {
  const { userId } = requireUser(ctx.viewer);
  return ctx.em.transactional(async (em) => {
    await em.findOneOrFail(User, userId, { lockMode: LockMode.PESSIMISTIC_WRITE });
    const now = new Date();
    const active = (await em.find(ApiKey, { user: userId }, { fields: ['revokedAt', 'expiresAt'] })).filter(
      (key) => key.id !== replacing?.id && isKeyActive(key, now),
    );
    if (active.length >= MAX_ACTIVE_KEYS) {
      throw badUserInput(
        `You already have ${MAX_ACTIVE_KEYS} active API keys, the most allowed: revoke one first`,
      );
    }
    const secret = generateApiKey();
    const apiKey = em.create(ApiKey, {
      user: userId,
      name: input.name,
      prefix: secret.slice(0, DISPLAY_PREFIX_LENGTH),
      hash: hashApiKey(secret),
      scopes: input.scopes,
      expiresAt: input.expiresAt,
      lastUsedAt: null,
      revokedAt: null,
    });
    return { apiKey, secret };
  });
}

export async function createApiKey(
  ctx: Context,
  input: { name: string; scopes?: ApiKeyScope[] | null; expiresAt?: Date | null },
): Promise<CreatedApiKey> {
  if (input.expiresAt && input.expiresAt <= new Date()) {
    throw badUserInput('expiresAt must be in the future', 'expiresAt');
  }
  const scopes = [...new Set(input.scopes ?? DEFAULT_SCOPES)];
  if (scopes.length === 0) throw badUserInput('A key needs at least one scope', 'scopes');
  return issueKey(ctx, { name: checkName(input.name), scopes, expiresAt: input.expiresAt ?? null });
}

async function ownKey(ctx: Context, id: string): Promise<ApiKey> {
  const { userId } = requireUser(ctx.viewer);
  const key = isUuid(id) ? await ctx.em.findOne(ApiKey, { id, user: userId }) : null;
  if (!key) throw notFound('API key');
  return key;
}

/** Sets when the key stops working, and tells every instance to forget what it cached about it. */
async function endKey(ctx: Context, key: ApiKey, at: Date): Promise<void> {
  if (key.revokedAt && key.revokedAt <= at) return;
  key.revokedAt = at;
  await ctx.em.flush();
  await ctx.services.events.publish(KEY_CHANGED_CHANNEL, key.hash);
}

export async function revokeApiKey(ctx: Context, id: string): Promise<ApiKey> {
  const key = await ownKey(ctx, id);
  await endKey(ctx, key, new Date());
  return key;
}

/** A new key with the same name and scopes; the old one works for `gracePeriodSeconds` more. */
export async function rotateApiKey(
  ctx: Context,
  input: { id: string; gracePeriodSeconds?: number | null },
): Promise<CreatedApiKey> {
  const grace = input.gracePeriodSeconds ?? 0;
  if (!Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS) {
    throw badUserInput(`gracePeriodSeconds must be from 0 to ${MAX_GRACE_SECONDS}`, 'gracePeriodSeconds');
  }
  const old = await ownKey(ctx, input.id);
  if (!isKeyActive(old)) throw badUserInput('Only an active key can be rotated', 'id');
  const created = await issueKey(
    ctx,
    { name: old.name, scopes: old.scopes, expiresAt: old.expiresAt ?? null },
    old,
  );
  await endKey(ctx, old, new Date(Date.now() + grace * 1000));
  return created;
}
