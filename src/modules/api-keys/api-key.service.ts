import { type EntityManager, LockMode } from '@mikro-orm/postgresql';
import { badUserInput, notFound } from '../../errors.ts';
import { type KeysetPage, keysetQuery } from '../../infra/database/keyset.ts';
import { isUuid } from '../../infra/database/uuid7.ts';
import { User } from '../users/user.entity.ts';
import { ApiKey, type ApiKeyScope, isKeyActive } from './api-key.entity.ts';
import type { ApiKeyVerifier } from './api-key-verifier.ts';
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

/**
 * API keys of signed-in users: listing, issuing (at most MAX_ACTIVE_KEYS active), revoking and rotating.
 * An ended key is told to the verifier, which forgets it here at once and announces it to every instance.
 */
export class ApiKeys {
  readonly #keys: ApiKeyVerifier;

  constructor(deps: { keys: ApiKeyVerifier }) {
    this.#keys = deps.keys;
  }

  /** The user's keys, newest first, revoked ones included, a page at a time. */
  page(em: EntityManager, userId: string, page: KeysetPage<string>): Promise<ApiKey[]> {
    const { where, orderBy, limit } = keysetQuery('id', 'desc', page);
    return em.find(ApiKey, { user: userId, ...where }, { orderBy, limit });
  }

  async create(
    em: EntityManager,
    userId: string,
    input: { name: string; scopes?: ApiKeyScope[] | null; expiresAt?: Date | null },
  ): Promise<CreatedApiKey> {
    if (input.expiresAt && input.expiresAt <= new Date()) {
      throw badUserInput('expiresAt must be in the future', 'expiresAt');
    }
    const scopes = [...new Set(input.scopes ?? DEFAULT_SCOPES)];
    if (scopes.length === 0) throw badUserInput('A key needs at least one scope', 'scopes');
    return issueKey(em, userId, { name: checkName(input.name), scopes, expiresAt: input.expiresAt ?? null });
  }

  async revoke(em: EntityManager, userId: string, id: string): Promise<ApiKey> {
    const key = await ownKey(em, userId, id);
    await this.#end(em, key, new Date());
    return key;
  }

  /** A new key with the same name and scopes; the old one works for `gracePeriodSeconds` more. */
  async rotate(
    em: EntityManager,
    userId: string,
    input: { id: string; gracePeriodSeconds?: number | null },
  ): Promise<CreatedApiKey> {
    const grace = input.gracePeriodSeconds ?? 0;
    if (!Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS) {
      throw badUserInput(`gracePeriodSeconds must be from 0 to ${MAX_GRACE_SECONDS}`, 'gracePeriodSeconds');
    }
    const old = await ownKey(em, userId, input.id);
    if (!isKeyActive(old)) throw badUserInput('Only an active key can be rotated', 'id');
    const created = await issueKey(
      em,
      userId,
      { name: old.name, scopes: old.scopes, expiresAt: old.expiresAt ?? null },
      { key: old, endsAt: new Date(Date.now() + grace * 1000) },
    );
    await this.#keys.changed(old.hash);
    return created;
  }

  /** Sets when the key stops working, and tells every instance to forget what it cached about it. */
  async #end(em: EntityManager, key: ApiKey, at: Date): Promise<void> {
    if (!key.revokedAt || key.revokedAt > at) {
      key.revokedAt = at;
      await em.flush();
    }
    // Announced even when the key had already ended: an earlier announcement may have been lost.
    await this.#keys.changed(key.hash);
  }
}

/**
 * Issues a key inside a transaction that locks the owner's row, so concurrent requests cannot together
 * exceed the limit of active keys. `replacing` is a key being rotated away: it does not count, and it
 * ends (at `endsAt`) in the same transaction, so it is rotated once: a key in its grace has a successor
 * already, and rotating it again would grow the user's keys past the limit.
 */
async function issueKey(
  em: EntityManager,
  userId: string,
  input: { name: string; scopes: ApiKeyScope[]; expiresAt: Date | null },
  replacing?: { key: ApiKey; endsAt: Date },
): Promise<CreatedApiKey> {
  return em.transactional(async (tx) => {
    await tx.findOneOrFail(User, userId, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (replacing) {
      const ended = await tx.nativeUpdate(
        ApiKey,
        { id: replacing.key.id, revokedAt: null },
        { revokedAt: replacing.endsAt },
      );
      if (ended === 0) {
        throw badUserInput('This key was rotated or revoked already: rotate the key that replaced it', 'id');
      }
    }
    const now = new Date();
    const active = (await tx.find(ApiKey, { user: userId }, { fields: ['revokedAt', 'expiresAt'] })).filter(
      (key) => key.id !== replacing?.key.id && isKeyActive(key, now),
    );
    if (active.length >= MAX_ACTIVE_KEYS) {
      throw badUserInput(
        `You already have ${MAX_ACTIVE_KEYS} active API keys, the most allowed: revoke one first`,
      );
    }
    const secret = generateApiKey();
    const apiKey = tx.create(ApiKey, {
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

async function ownKey(em: EntityManager, userId: string, id: string): Promise<ApiKey> {
  const key = isUuid(id) ? await em.findOne(ApiKey, { id, user: userId }) : null;
  if (!key) throw notFound('API key');
  return key;
}
