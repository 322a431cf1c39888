import { Webhook as Signer } from 'standardwebhooks';
import type { WebhooksConfig } from '../../config.ts';
import type { Orm } from '../../infra/database/orm.ts';
import type { Metrics } from '../../infra/metrics/metrics.ts';
import { postOnce } from '../../infra/net/outbound-post.ts';
import type { EventBus } from '../../infra/pubsub/event-bus.ts';
import type { Logger } from '../../logger.ts';
import { WEBHOOKS_DUE_CHANNEL, type Webhooks } from './webhooks.service.ts';

/** How often each dispatcher looks for deliveries due, when nobody told it of new ones. */
const LOOK_EVERY_MS = 1000;
/** Of an answer, what is read: its start, kept in the delivery log as the reason it failed. */
const MAX_RESPONSE_BYTES = 200;
/** How long the log keeps a delivery that has ended (delivered, or given up). */
const LOG_DAYS = 7;
const PURGE_EVERY_MS = 60 * 60_000;

/** A request stopped by its deadline: Node rejects with an AbortError whose cause is the TimeoutError. */
const timedOut = (error: Error) =>
  error.name === 'TimeoutError' || (error.cause as Error | undefined)?.name === 'TimeoutError';

type Claimed = {
  id: string;
  user_id: string;
  webhook_id: string | null;
  url: string;
  body: string;
  attempts: number;
};

/**
 * Sends recorded webhook deliveries, on every worker process (the API process when there is no Redis):
 * signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`), retried on a
 * failure, a timeout or an answer other than 2xx after each of WEBHOOK_RETRY_SECONDS in turn, then given
 * up (FAILED). A delivery is taken with a lease: a dispatcher that dies leaves it due again when the
 * lease ends, so every delivery is made at least once. Deliveries about one object reach one destination
 * in the order they were recorded: one waits while an earlier one is pending.
 */
export class WebhookDispatcher {
  readonly #orm: Orm;
  readonly #webhooks: Webhooks;
  readonly #events: EventBus;
  readonly #metrics: Metrics;
  readonly #logger: Logger;
  readonly #config: WebhooksConfig;
  readonly #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | null = null;
  #purge: NodeJS.Timeout | null = null;
  /** The look under way, if any: `close` waits for it, since it may add deliveries in flight. */
  #looking: Promise<void> | null = null;
  #again = false;
  #closed = false;
  #unsubscribe: (() => Promise<void>) | null = null;

  constructor(deps: {
    orm: Orm;
    webhooks: Webhooks;
    events: EventBus;
    metrics: Metrics;
    logger: Logger;
    config: WebhooksConfig;
  }) {
    this.#orm = deps.orm;
    this.#webhooks = deps.webhooks;
    this.#events = deps.events;
    this.#metrics = deps.metrics;
    this.#logger = deps.logger;
    this.#config = deps.config;
  }

  async start(): Promise<void> {
    this.#unsubscribe = await this.#events.subscribe(WEBHOOKS_DUE_CHANNEL, () => this.#look());
    this.#timer = setInterval(() => this.#look(), LOOK_EVERY_MS);
    this.#timer.unref();
    this.#purge = setInterval(() => void this.#purgeLog(), PURGE_EVERY_MS);
    this.#purge.unref();
    this.#look();
  }

  /** Stops taking deliveries and waits for those under way. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#purge) clearInterval(this.#purge);
    await this.#unsubscribe?.();
    await this.#looking;
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Deletes ended deliveries recorded more than LOG_DAYS ago (retries end about 28 hours after that). */
  async #purgeLog(): Promise<void> {
    await this.#orm.em
      .fork()
      .execute(
        `delete from "webhook_deliveries" where "status" <> 'PENDING' and "created_at" < now() - make_interval(days => ?)`,
        [LOG_DAYS],
      )
      .catch((error: unknown) =>
        this.#logger.warn({ err: error }, 'could not purge the webhook delivery log'),
      );
  }

  /** Takes what is due, up to WEBHOOK_CONCURRENCY in flight; one look at a time, another after if asked. */
  #look(): void {
    if (this.#closed) return;
    if (this.#looking) {
      this.#again = true;
      return;
    }
    this.#looking = this.#take()
      .catch((error: unknown) => this.#logger.warn({ err: error }, 'could not take webhook deliveries'))
      .finally(() => {
        this.#looking = null;
        if (this.#again) {
          this.#again = false;
          this.#look();
        }
      });
  }

  async #take(): Promise<void> {
    const room = this.#config.concurrency - this.#inFlight.size;
    if (room <= 0) return;
    // The lease outlasts a delivery's deadline: only a dispatcher that died leaves one to be taken again.
    const leaseSeconds = this.#config.timeoutMs / 1000 + 30;
    const claimed = await this.#orm.em.fork().execute<Claimed[]>(
      `update "webhook_deliveries" set "attempts" = "attempts" + 1,
              "next_attempt_at" = now() + make_interval(secs => ?)
        where "id" in (
          select "id" from "webhook_deliveries" d
           where "status" = 'PENDING' and "next_attempt_at" <= now()
             and not exists (
               select 1 from "webhook_deliveries" e
                where e."destination" = d."destination" and e."object_id" = d."object_id"
                  and e."status" = 'PENDING' and e."seq" < d."seq")
           order by "next_attempt_at" limit ? for update skip locked)
        returning "id", "user_id", "webhook_id", "url", "body", "attempts"`,
      [leaseSeconds, room],
    );
    for (const delivery of claimed) {
      const sending = this.#deliver(delivery)
        // PostgreSQL away: the delivery stays PENDING, and is taken again when its lease runs out.
        .catch((error: unknown) => this.#logger.warn({ err: error }, 'webhook delivery not settled'))
        .finally(() => {
          this.#inFlight.delete(sending);
          // Its turn done, the next delivery about the same object may be due.
          this.#look();
        });
      this.#inFlight.add(sending);
    }
  }

  async #deliver(delivery: Claimed): Promise<void> {
    const em = this.#orm.em.fork();
    const secret = await this.#webhooks.signingSecret(em, {
      webhookId: delivery.webhook_id,
      userId: delivery.user_id,
    });
    let outcome: { status: number | null; error: string | null };
    if (secret === null) {
      outcome = { status: null, error: 'its signing secret cannot be read (JWT_SECRET changed)' };
    } else {
      const sentAt = new Date();
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'mlp-webhooks/1',
        'webhook-id': delivery.id,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': new Signer(secret).sign(delivery.id, sentAt, delivery.body),
      };
      outcome = await postOnce(new URL(delivery.url), delivery.body, headers, {
        timeoutMs: this.#config.timeoutMs,
        allowPrivate: this.#config.allowPrivateUrls,
        maxResponseBytes: MAX_RESPONSE_BYTES,
      }).then(
        (answer) => ({
          status: answer.status,
          error: answer.status >= 200 && answer.status < 300 ? null : answer.body || null,
        }),
        (error: Error) => ({ status: null, error: timedOut(error) ? 'timed out' : error.message }),
      );
    }
    await this.#settle(delivery, outcome);
  }

  /**
   * Stores how the attempt went, unless the delivery was taken again meanwhile (its lease ran out while
   * this attempt hung): the later attempt's outcome is the one that counts.
   */
  async #settle(delivery: Claimed, outcome: { status: number | null; error: string | null }): Promise<void> {
    const em = this.#orm.em.fork();
    const delivered = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
    const retries = this.#config.retrySeconds;
    if (delivered) {
      this.#metrics.webhookDeliveries.inc({ outcome: 'delivered' });
      await em.execute(
        `update "webhook_deliveries" set "status" = 'DELIVERED', "delivered_at" = now(),
                "last_status_code" = ?, "last_error" = null
          where "id" = ? and "attempts" = ? and "status" = 'PENDING'`,
        [outcome.status, delivery.id, delivery.attempts],
      );
      return;
    }
    const retryIn = retries[delivery.attempts - 1];
    this.#metrics.webhookDeliveries.inc({ outcome: retryIn === undefined ? 'failed' : 'retried' });
    await em.execute(
      `update "webhook_deliveries"
          set "status" = ?, "next_attempt_at" = now() + make_interval(secs => ?),
              "last_status_code" = ?, "last_error" = ?
        where "id" = ? and "attempts" = ? and "status" = 'PENDING'`,
      [
        retryIn === undefined ? 'FAILED' : 'PENDING',
        retryIn ?? 0,
        outcome.status,
        outcome.error,
        delivery.id,
        delivery.attempts,
      ],
    );
  }
}
