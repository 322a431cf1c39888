import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TIERS } from '../../config.ts';
import { uuidv7 } from '../../infra/database/uuid7.ts';

export const ROLES = ['USER', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

export const User = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => uuidv7()),
    /** Normalised (trimmed, lower case), so uniqueness holds whatever the user typed. */
    email: p.string().unique(),
    /** scrypt parameters, salt and key: see password.ts. */
    passwordHash: p.string().hidden().lazy(),
    tier: p.enum(TIERS).default('FREE'),
    role: p.enum(ROLES).default('USER'),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type User = InferEntity<typeof User>;
