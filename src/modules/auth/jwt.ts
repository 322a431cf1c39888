import { randomBytes } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { JwtConfig } from '../../config.ts';
import type { Logger } from '../../logger.ts';

export type AccessToken = { token: string; expiresAt: Date };
export type VerifiedToken = { userId: string; expiresAt: Date };
export type TokenRejection = { rejected: 'invalid' | 'expired' };

const ALGORITHM = 'HS256';

/** Signs and verifies the access tokens that browsers and dashboards send as `Authorization: Bearer`. */
export class JwtTokens {
  readonly #config: JwtConfig;
  readonly #secret: Uint8Array;

  constructor(config: JwtConfig, logger: Logger) {
    this.#config = config;
    if (config.secret) {
      this.#secret = config.secret;
    } else {
      this.#secret = randomBytes(32);
      logger.warn(
        'JWT_SECRET is not set: signing tokens with a random secret made for this process. Tokens stop working ' +
          'when it restarts, and instances behind a load balancer reject each other’s tokens. Set JWT_SECRET in production.',
      );
    }
  }

  async sign(userId: string): Promise<AccessToken> {
    const issuedAt = Math.floor(Date.now() / 1000);
    const expiresAt = issuedAt + this.#config.ttlSeconds;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(userId)
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
      return { userId: payload.sub!, expiresAt: new Date(payload.exp! * 1000) };
    } catch (error) {
      if (error instanceof errors.JWTExpired) return { rejected: 'expired' };
      return { rejected: 'invalid' };
    }
  }
}
