import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../../infra/database/uuid7.ts';
import { User } from '../users/user.entity.ts';

export const API_KEY_SCOPES = ['PREDICT', 'MODELS_READ', 'MODELS_WRITE', 'TRAIN'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const ApiKey = defineEntity({
  name: 'ApiKey',
  tableName: 'api_keys',
  indexes: [{ properties: ['user', 'id'] }],
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => uuidv7()),
    user: () => p.manyToOne(User).deleteRule('cascade'),
    name: p.string(),
    /** The first characters of the secret, to recognise a key in a list; not enough to use it. */
    prefix: p.string(),
    /** SHA-256 of the whole secret, hex: the only form in which the secret is kept. */
    hash: p.string().unique(),
    scopes: p.json<ApiKeyScope[]>(),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastUsedAt: p.datetime().nullable(),
    expiresAt: p.datetime().nullable(),
    /** When the key stops working: now on revocation, or the end of a rotation's grace period. */
    revokedAt: p.datetime().nullable(),
  },
});
export type ApiKey = InferEntity<typeof ApiKey>;

type KeyDates = { revokedAt?: Date | null; expiresAt?: Date | null };

/** What a key is at `now`: revoked (a rotated key once its grace period is over), expired, or active. */
export function keyState(key: KeyDates, now = new Date()): 'active' | 'revoked' | 'expired' {
  if (key.revokedAt && key.revokedAt <= now) return 'revoked';
  if (key.expiresAt && key.expiresAt <= now) return 'expired';
  return 'active';
}

export function isKeyActive(key: KeyDates, now = new Date()): boolean {
  return keyState(key, now) === 'active';
}
