import { randomBytes } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { JwtConfig } from '../../config.ts';
import type { Logger } from '../../logger.ts';

export type AccessToken = { token: string; expiresAt: Date };
/**
 * `sessionId` (the `jti` claim) names this sign-in, so `logout` can end it alone; `version` (the `ver`
 * claim) is the user's session version when it was signed, so `logoutEverywhere` ends every older one.
 */
export type Session = { userId: string; sessionId: string; version: number };
export type VerifiedToken = Session & { expiresAt: Date };
export type TokenRejection = { rejected: 'invalid' | 'expired' | 'ended' };

const ALGORITHM = 'HS256';

/**
 * The secret tokens are signed with, and stored responses sealed with: JWT_SECRET, or when it is unset
 * (development only) a random one made for this process.
 */
export function serverSecret(config: JwtConfig, logger: Logger): Uint8Array {
  if (config.secret) return config.secret;
  logger.warn(
    'JWT_SECRET is not set: this process made a random secret of its own. The tokens it signs and the secrets ' +
      'it seals stop working when it restarts, and other instances cannot read them. Set JWT_SECRET in production.',
  );
  return randomBytes(32);
}

/** Signs and verifies the access tokens that browsers and dashboards send as `Authorization: Bearer`. */
export class JwtTokens {
  readonly #config: JwtConfig;
  readonly #secret: Uint8Array;

  /** `secret`: JWT_SECRET, or in development one made for this process (`serverSecret`). */
  constructor(config: JwtConfig, secret: Uint8Array) {
    this.#config = config;
    this.#secret = secret;
  }

  async sign({ userId, sessionId, version }: Session): Promise<AccessToken> {
    const issuedAt = Math.floor(Date.now() / 1000);
    const expiresAt = issuedAt + this.#config.ttlSeconds;
    const token = await new SignJWT({ ver: version })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(userId)
      .setJti(sessionId)
      .setIssuer(this.#config.issuer)
      .setAudience(this.#config.audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(this.#secret);
    return { token, expiresAt: new Date(expiresAt * 1000) };
  }

  /** Pins the algorithm (no `none`, no key confusion) and requires every claim we issue. */
  async verify(token: string): Promise<VerifiedToken | TokenRejection> {
    try {
      const { payload } = await jwtVerify(token, this.#secret, {
        algorithms: [ALGORITHM],
        issuer: this.#config.issuer,
        audience: this.#config.audience,
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      // Well signed, but without a session (signed before sessions existed): it could never be ended,
      // so its session is over. Its holder is honest and signs in again; nothing counts it as a guess.
      const version = payload.ver;
      if (typeof payload.jti !== 'string' || typeof version !== 'number' || !Number.isSafeInteger(version)) {
        return { rejected: 'ended' };
      }
      return {
        userId: payload.sub!,
        sessionId: payload.jti!,
        version,
        expiresAt: new Date(payload.exp! * 1000),
      };
    } catch (error) {
      if (error instanceof errors.JWTExpired) return { rejected: 'expired' };
      return { rejected: 'invalid' };
    }
  }
}
