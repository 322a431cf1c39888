import type { GraphQLError } from 'graphql';
import { rateLimited } from '../../errors.ts';
import { BoundedMap } from '../../infra/cache/bounded-map.ts';
import { limitedNetwork } from '../../infra/net/client-address.ts';
import type { Logger } from '../../logger.ts';
import type { RateLimiter } from '../rate-limits/rate-limiter.ts';

/**
 * Failed authentications (invalid tokens, unknown or revoked keys) per client address, counted on every
 * instance through the rate limiter. Past the limit, this instance stops checking credentials from the
 * address until the window lets it try again: a guesser costs no more database lookups, and honest traffic
 * costs nothing (only failures are counted; the block is read from memory).
 */
export class FailedAuthentications {
  readonly #limiter: RateLimiter;
  readonly #logger: Logger;
  /** Addresses this instance refuses, with when it stops (epoch ms). */
  readonly #blocked = new BoundedMap<string, number>(100_000);

  constructor(limiter: RateLimiter, logger: Logger) {
    this.#limiter = limiter;
    this.#logger = logger;
  }

  /** Refuses an address that failed too often, with how long to wait. */
  check(ip: string): void {
    const network = limitedNetwork(ip);
    const until = this.#blocked.get(network);
    if (until === undefined) return;
    const left = until - Date.now();
    if (left <= 0) {
      this.#blocked.delete(network);
      return;
    }
    throw tooManyFailures(Math.ceil(left / 1000));
  }

  async record(ip: string): Promise<void> {
    if (!this.#limiter.enabled) return;
    const outcome = await this.#limiter.charge({
      subject: { kind: 'ip', ip },
      points: 0,
      calls: 'authFailure',
    });
    if (outcome.allowed) return;
    const wait = Math.max(...(outcome.calls?.windows ?? []).map((window) => window.retryAfterMs), 1000);
    // Kept by network, as check() reads it: an IPv6 client is one /64.
    const network = limitedNetwork(ip);
    if (!this.#blocked.has(network))
      this.#logger.warn({ ip, network }, 'too many failed authentications; pausing the address');
    this.#blocked.set(network, Date.now() + wait);
  }
}

function tooManyFailures(retryAfter: number): GraphQLError {
  return rateLimited('Too many failed authentications from this address.', retryAfter);
}
