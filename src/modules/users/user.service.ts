import { type EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import type { Tier } from '../../config.ts';
import { ConfigError } from '../../config.ts';
import { badUserInput, forbidden, notFound, unauthenticated } from '../../errors.ts';
import { isUuid } from '../../infra/database/uuid7.ts';
import type { EventBus } from '../../infra/pubsub/event-bus.ts';
import type { Logger } from '../../logger.ts';
import type { AccessToken, JwtTokens } from '../auth/jwt.ts';
import {
  burnPasswordCheck,
  hashPassword,
  MAX_PASSWORD_LENGTH,
  passwordWeakness,
  verifyPassword,
} from './password.ts';
import { User } from './user.entity.ts';
import { TIER_CHANGED_CHANNEL } from './user-tiers.ts';

export type AuthPayload = AccessToken & { user: User };
type EmailPassword = { email: string; password: string };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

function checkEmail(email: string): void {
  if (email.length > 254 || !EMAIL.test(email)) throw badUserInput('Email address is not valid', 'email');
}

/**
 * Accounts: registration, sign-in, the current user, tiers. Tokens are signed by `tokens`; a tier
 * change is announced on `events` so every instance's tier cache drops it.
 */
export class Users {
  readonly #tokens: JwtTokens;
  readonly #events: EventBus;

  constructor(deps: { tokens: JwtTokens; events: EventBus }) {
    this.#tokens = deps.tokens;
    this.#events = deps.events;
  }

  async register(em: EntityManager, input: EmailPassword): Promise<AuthPayload> {
    const email = normaliseEmail(input.email);
    checkEmail(email);
    const weakness = passwordWeakness(input.password, email);
    if (weakness) throw badUserInput(weakness, 'password');
    const user = em.create(User, { email, passwordHash: await hashPassword(input.password) });
    try {
      await em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw badUserInput('An account with this email already exists', 'email');
      }
      throw error;
    }
    return { ...(await this.#tokens.sign(user.id)), user };
  }

  async login(em: EntityManager, input: EmailPassword): Promise<AuthPayload> {
    // Hashing a megabyte of password would cost the server, and no account has one.
    if (input.password.length > MAX_PASSWORD_LENGTH) throw unauthenticated('Invalid email or password');
    const user = await em.findOne(
      User,
      { email: normaliseEmail(input.email) },
      { populate: ['passwordHash'] },
    );
    if (!user) {
      await burnPasswordCheck(input.password);
      throw unauthenticated('Invalid email or password');
    }
    if (!(await verifyPassword(input.password, user.passwordHash))) {
      throw unauthenticated('Invalid email or password');
    }
    return { ...(await this.#tokens.sign(user.id)), user };
  }

  /** The calling user; a token whose user was deleted is as good as an invalid one. */
  async current(em: EntityManager, userId: string): Promise<User> {
    const user = await em.findOne(User, userId);
    if (!user) throw unauthenticated('Invalid credentials');
    return user;
  }

  async setTier(em: EntityManager, callerId: string, input: { userId: string; tier: Tier }): Promise<User> {
    const caller = await this.current(em, callerId);
    if (caller.role !== 'ADMIN') throw forbidden('Only administrators can change tiers');
    const user = isUuid(input.userId) ? await em.findOne(User, input.userId) : null;
    if (!user) throw notFound('User');
    user.tier = input.tier;
    await em.flush();
    await this.#events.publish(TIER_CHANGED_CHANNEL, user.id);
    return user;
  }
}

/** Makes sure the configured admin exists, is an admin and has the configured password. */
export async function ensureAdmin(
  em: EntityManager,
  admin: EmailPassword & { promoteExisting: boolean },
  logger: Logger,
): Promise<void> {
  const email = normaliseEmail(admin.email);
  checkEmail(email);
  const existing = await em.findOne(User, { email }, { populate: ['passwordHash'] });
  if (existing) {
    if (existing.role !== 'ADMIN' && !admin.promoteExisting) {
      // Whoever registered the address before it was configured (an impostor, perhaps) would become admin.
      throw new ConfigError([
        `ADMIN_EMAIL ${email} belongs to an account that is not an admin: refusing to promote it. Delete that ` +
          'account, choose another address, or set ADMIN_PROMOTE_EXISTING=true if it is yours.',
      ]);
    }
    existing.role = 'ADMIN';
    if (!(await verifyPassword(admin.password, existing.passwordHash))) {
      existing.passwordHash = await hashPassword(admin.password);
    }
  } else {
    em.create(User, { email, role: 'ADMIN', passwordHash: await hashPassword(admin.password) });
  }
  try {
    await em.flush();
    logger.info({ email }, 'admin account ready');
  } catch (error) {
    // Another instance starting at the same moment created it first.
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
  }
}
