import type { Logger } from '../logger.ts';
import { withTimeout } from './timeout.ts';

export type Attempt<T> = { ok: true; value: T } | { ok: false };

/**
 * Calls to a dependency the request can do without (Redis for a cache, say): each gets at most
 * `timeoutMs`, a failure is a value rather than an exception, and an outage is logged once when it
 * starts and once when it ends, not once per request.
 */
export class OutageGuard {
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  readonly #messages: { down: string; back: string };
  #down = false;

  constructor(logger: Logger, timeoutMs: number, messages: { down: string; back: string }) {
    this.#logger = logger;
    this.#timeoutMs = timeoutMs;
    this.#messages = messages;
  }

  async attempt<T>(operation: () => Promise<T>): Promise<Attempt<T>> {
    try {
      const value = await withTimeout(operation(), this.#timeoutMs, 'Redis');
      if (this.#down) {
        this.#down = false;
        this.#logger.info(this.#messages.back);
      }
      return { ok: true, value };
    } catch (error) {
      if (!this.#down) {
        this.#down = true;
        this.#logger.warn({ err: error }, this.#messages.down);
      }
      return { ok: false };
    }
  }
}
