import { type EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import type { Tier } from '../../config.ts';
import { ConfigError } from '../../config.ts';
import { badUserInput, forbidden, notFound, rateLimited, unauthenticated } from '../../errors.ts';
import { isUuid } from '../../infra/database/uuid7.ts';
import { limitedNetwork } from '../../infra/net/client-address.ts';
import type { Logger } from '../../logger.ts';
import type { AccessToken } from '../auth/jwt.ts';
import type { Sessions } from '../auth/sessions.ts';
import type { SignInAttempts } from '../auth/sign-in-attempts.ts';
import { MAX_PASSWORD_LENGTH, type PasswordHasher, passwordWeakness } from './password.ts';
import { User } from './user.entity.ts';
import type { UserTiers } from './user-tiers.ts';

export type AuthPayload = AccessToken & { user: User };
type EmailPassword = { email: string; password: string };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

function checkEmail(email: string): void {
  if (email.length > 254 || !EMAIL.test(email)) throw badUserInput('Email address is not valid', 'email');
}

const INVALID_SIGN_IN = 'Invalid email or password';

/**
 * Accounts: registration, sign-in, passwords, the current user, tiers. Each sign-in is a session of
 * `sessions`; every attempt to prove a password counts against its account in `attempts`; a tier change is
 * announced on `events` so every instance's tier cache drops it.
 */
export class Users {
  readonly #sessions: Sessions;
  readonly #passwords: PasswordHasher;
  readonly #attempts: { perNetwork: SignInAttempts; perAccount: SignInAttempts };
  readonly #tiers: UserTiers;

  constructor(deps: {
    sessions: Sessions;
    passwords: PasswordHasher;
    attempts: { perNetwork: SignInAttempts; perAccount: SignInAttempts };
    tiers: UserTiers;
  }) {
    this.#sessions = deps.sessions;
    this.#passwords = deps.passwords;
    this.#attempts = deps.attempts;
    this.#tiers = deps.tiers;
  }

  /**
   * A new account, signed in. An address that is taken is a sign-in to that account: its owner (with its
   * password) is signed in as if registering had worked, which makes a retried registration safe; anyone
   * else gets the sign-in's error and spends one of the account's attempts, so registering is no way around
   * the sign-in limits.
   */
  async register(em: EntityManager, input: EmailPassword, clientIp: string): Promise<AuthPayload> {
    const email = normaliseEmail(input.email);
    checkEmail(email);
    const weakness = passwordWeakness(input.password, email);
    if (weakness) throw badUserInput(weakness, 'password');
    const user = em.create(User, { email, passwordHash: await this.#passwords.hash(input.password) });
    try {
      await em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        return this.login(em.fork(), { email, password: input.password }, clientIp);
      }
      throw error;
    }
    return { ...(await this.#sessions.start(user.id)), user };
  }

  async login(em: EntityManager, input: EmailPassword, clientIp: string): Promise<AuthPayload> {
    // Hashing a megabyte of password would cost the server, and no account has one.
    if (input.password.length > MAX_PASSWORD_LENGTH) throw unauthenticated(INVALID_SIGN_IN);
    const email = normaliseEmail(input.email);
    // Unknown addresses are counted too: how an address is limited must not tell whether it exists.
    const attempt = await this.#attempt(email, clientIp);
    const user = await em.findOne(User, { email }, { populate: ['passwordHash'] });
    if (!user) {
      await this.#passwords.burn(input.password);
      throw unauthenticated(INVALID_SIGN_IN);
    }
    const check = await this.#passwords.verify(input.password, user.passwordHash);
    if (!check.matches) throw unauthenticated(INVALID_SIGN_IN);
    await attempt.succeeded();
    // A hash made with weaker parameters is made again now, the one moment the password is known.
    if (check.outdated) {
      user.passwordHash = await this.#passwords.hash(input.password);
      await em.flush();
    }
    return { ...(await this.#sessions.start(user.id)), user };
  }

  /** Ends the session of this token, on every instance; the user's other sessions go on. */
  async logout(em: EntityManager, session: { userId: string; sessionId: string; expiresAt: Date }) {
    await this.#sessions.end(em, session);
  }

  /** Ends every session of the user, this one included, on every instance. */
  async logoutEverywhere(em: EntityManager, userId: string): Promise<void> {
    await this.#sessions.endAll(em, userId);
  }

  /**
   * Sets a new password, given the current one (a stolen token alone cannot lock the owner out), and ends
   * every session: the caller continues with the new session returned.
   */
  async changePassword(
    em: EntityManager,
    userId: string,
    input: { currentPassword: string; newPassword: string },
    clientIp: string,
  ): Promise<AuthPayload> {
    const user = await em.findOne(User, userId, { populate: ['passwordHash'] });
    if (!user) throw unauthenticated('Invalid credentials');
    const wrong = () => badUserInput('The current password is not right', 'currentPassword');
    if (input.currentPassword.length > MAX_PASSWORD_LENGTH) throw wrong();
    const attempt = await this.#attempt(user.email, clientIp);
    if (!(await this.#passwords.verify(input.currentPassword, user.passwordHash)).matches) throw wrong();
    await attempt.succeeded();
    const weakness = passwordWeakness(input.newPassword, user.email);
    if (weakness) throw badUserInput(weakness, 'newPassword');
    const passwordHash = await this.#passwords.hash(input.newPassword);
    await this.#sessions.endAll(em, userId, (transaction) =>
      transaction.nativeUpdate(User, { id: userId }, { passwordHash }).then(() => undefined),
    );
    return { ...(await this.#sessions.start(userId)), user };
  }

  /**
   * Takes one of the account's attempts from the client's network (an IPv6 client is its /64) and one of
   * its attempts from everywhere, or says how long to wait. A guesser's network waits while the owner's
   * does not; many networks together wait on the account's own, larger, count.
   */
  async #attempt(email: string, clientIp: string): Promise<{ succeeded(): Promise<void> }> {
    const fromNetwork = `${email}\0${limitedNetwork(clientIp)}`;
    const waits = [
      await this.#attempts.perNetwork.attempt(fromNetwork),
      await this.#attempts.perAccount.attempt(email),
    ];
    const waitMs = Math.max(...waits);
    if (waitMs > 0) {
      throw rateLimited('Too many sign-in attempts for this account.', Math.ceil(waitMs / 1000), {
        window: 'account',
      });
    }
    return {
      succeeded: async () => {
        await this.#attempts.perNetwork.succeeded(fromNetwork);
        await this.#attempts.perAccount.succeeded(email);
      },
    };
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
    await this.#tiers.changed(user.id);
    return user;
  }
}

/**
 * Makes sure the configured admin exists, is an admin and has the configured password. Promoting an
 * account or setting its password ends its sessions: whoever held its tokens before holds nothing now.
 */
export async function ensureAdmin(
  em: EntityManager,
  admin: EmailPassword & { promoteExisting: boolean },
  deps: { passwords: PasswordHasher; sessions: Sessions; logger: Logger },
): Promise<void> {
  const email = normaliseEmail(admin.email);
  checkEmail(email);
  const existing = await em.findOne(User, { email }, { populate: ['passwordHash'] });
  if (existing) {
    const promote = existing.role !== 'ADMIN';
    if (promote && !admin.promoteExisting) {
      // Whoever registered the address before it was configured (an impostor, perhaps) would become admin.
      throw new ConfigError([
        `ADMIN_EMAIL ${email} belongs to an account that is not an admin: refusing to promote it. Delete that ` +
          'account, choose another address, or set ADMIN_PROMOTE_EXISTING=true if it is yours.',
      ]);
    }
    const reset = !(await deps.passwords.verify(admin.password, existing.passwordHash)).matches;
    if (!promote && !reset) return;
    const passwordHash = reset ? await deps.passwords.hash(admin.password) : existing.passwordHash;
    await deps.sessions.endAll(em, existing.id, (transaction) =>
      transaction
        .nativeUpdate(User, { id: existing.id }, { role: 'ADMIN', passwordHash })
        .then(() => undefined),
    );
    deps.logger.info({ email, promoted: promote, passwordReset: reset }, 'admin account ready');
    return;
  }
  em.create(User, { email, role: 'ADMIN', passwordHash: await deps.passwords.hash(admin.password) });
  try {
    await em.flush();
    deps.logger.info({ email }, 'admin account ready');
  } catch (error) {
    // Another instance starting at the same moment created it first.
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
  }
}
