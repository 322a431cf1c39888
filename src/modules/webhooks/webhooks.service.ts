import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { WebhooksConfig } from '../../config.ts';
import { badUserInput, notFound } from '../../errors.ts';
import type { Orm } from '../../infra/database/orm.ts';
import { isUuid, uuidv7 } from '../../infra/database/uuid7.ts';
import { AddressNotAllowedError, resolvePublic } from '../../infra/net/public-addresses.ts';
import type { EventBus } from '../../infra/pubsub/event-bus.ts';
import type { Sealer } from '../../infra/secrets/sealer.ts';
import type { Logger } from '../../logger.ts';

/** The events a user may subscribe a webhook to, by their GraphQL name, and their `type` in payloads. */
export const WEBHOOK_EVENTS = {
  PREDICTION_STARTED: 'prediction.started',
  PREDICTION_COMPLETED: 'prediction.completed',
  TRAINING_JOB_UPDATED: 'training_job.updated',
  MODEL_VERSION_CREATED: 'model_version.created',
} as const;
export type WebhookEventName = keyof typeof WEBHOOK_EVENTS;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[WebhookEventName];

/** Told to every worker when deliveries are recorded, so they need not wait for their next look. */
export const WEBHOOKS_DUE_CHANNEL = 'mlp:webhooks:due';

/** Webhooks a user may have: each event is sent to each of them, so this bounds the fan-out. */
const MAX_WEBHOOKS = 20;
const MAX_URL_LENGTH = 2048;

export type Webhook = { id: string; url: string; events: WebhookEventName[]; createdAt: Date };
export type WebhookWithSecret = { webhook: Webhook; secret: string };

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';
export type WebhookDelivery = {
  id: string;
  webhookId: string | null;
  predictionId: string | null;
  url: string;
  event: WebhookEventType;
  objectId: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
};

/**
 * Something that happened, to be delivered to the user's webhooks subscribed to its type and, for a
 * prediction created with a webhook of its own that asked for it, to that one.
 */
export type WebhookEvent = {
  userId: string;
  type: WebhookEventType;
  /** What it happened to: deliveries about one object reach each destination in order. */
  objectId: string;
  /** The payload's `data`: made only when some webhook is to be told. */
  data: () => Record<string, unknown>;
  prediction?: { id: string; webhookUrl: string } | null;
};

type WebhookRow = { id: string; url: string; events: string[]; created_at: Date };

const webhookOf = (row: WebhookRow): Webhook => ({
  id: row.id,
  url: row.url,
  events: row.events.flatMap((type) => {
    const name = (Object.keys(WEBHOOK_EVENTS) as WebhookEventName[]).find((n) => WEBHOOK_EVENTS[n] === type);
    return name ? [name] : [];
  }),
  createdAt: new Date(row.created_at),
});

/** A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64. */
const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * Users' webhooks: subscriptions to events, their signing secrets (sealed at rest), and the record of
 * every event to deliver (`record`), which workers send (`WebhookDispatcher`). Deliveries are rows in
 * PostgreSQL, written with the change they announce where the change is one transaction, so an event
 * is not lost with a process.
 */
export class Webhooks {
  readonly #orm: Orm;
  readonly #sealer: Sealer;
  readonly #events: EventBus;
  readonly #logger: Logger;
  readonly #config: WebhooksConfig;
  /** Transactions that recorded deliveries: the workers are told when each commits, not before. */
  readonly #committing = new WeakSet<EntityManager>();

  constructor(deps: { orm: Orm; sealer: Sealer; events: EventBus; logger: Logger; config: WebhooksConfig }) {
    this.#orm = deps.orm;
    this.#sealer = deps.sealer;
    this.#events = deps.events;
    this.#logger = deps.logger;
    this.#config = deps.config;
    // Every transaction's entity manager carries a copy of the root's subscribers.
    deps.orm.em.getEventManager().registerSubscriber({
      afterTransactionCommit: async ({ em }) => {
        if (this.#committing.delete(em as EntityManager)) await this.#due();
      },
    });
  }

  /**
   * The URL, if mlp may call it: http(s), no credentials in it, and every address its host resolves to
   * public unless WEBHOOK_ALLOW_PRIVATE_URLS (each delivery checks again as it connects). BAD_USER_INPUT
   * otherwise, naming `field`.
   */
  async checkUrl(url: string, field: string): Promise<string> {
    const refuse = (why: string) => badUserInput(`The webhook URL ${why}`, field);
    if (url.length > MAX_URL_LENGTH) throw refuse(`is longer than ${MAX_URL_LENGTH} characters`);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw refuse('is not a URL');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw refuse('must be http or https');
    if (parsed.username || parsed.password) throw refuse('must not hold credentials');
    try {
      await resolvePublic(parsed.hostname, this.#config.allowPrivateUrls);
    } catch (error) {
      if (error instanceof AddressNotAllowedError) throw refuse(`is refused: ${error.message}`);
      throw refuse(`has a host that does not resolve (${parsed.hostname})`);
    }
    return parsed.href;
  }

  async create(em: EntityManager, userId: string, url: string, events: WebhookEventName[]) {
    if (events.length === 0) throw badUserInput('Name at least one event', 'events');
    const checked = await this.checkUrl(url, 'url');
    const id = uuidv7();
    const secret = newSecret();
    // Counted under the user's row lock, in a statement after it (one that sees what committed while it
    // waited): two creations at once count each other.
    const rows = await em.transactional(async (tx) => {
      await tx.execute(`select 1 from "users" where "id" = ? for update`, [userId]);
      return tx.execute<WebhookRow[]>(
        `insert into "webhooks" ("id", "user_id", "url", "events", "secret", "created_at")
         select ?, ?, ?, string_to_array(?, ','), ?, now()
          where (select count(*) from "webhooks" where "user_id" = ?) < ?
         returning "id", "url", "events", "created_at"`,
        [
          id,
          userId,
          checked,
          // A list, as text: the driver would spread an array into several parameters.
          [...new Set(events.map((name) => WEBHOOK_EVENTS[name]))].join(','),
          this.#sealer.seal(Buffer.from(secret), id),
          userId,
          MAX_WEBHOOKS,
        ],
      );
    });
    if (!rows[0]) throw badUserInput(`You have ${MAX_WEBHOOKS} webhooks, the most one may have`);
    return { webhook: webhookOf(rows[0]), secret };
  }

  async list(em: EntityManager, userId: string): Promise<Webhook[]> {
    const rows = await em.execute<WebhookRow[]>(
      `select "id", "url", "events", "created_at" from "webhooks" where "user_id" = ? order by "id"`,
      [userId],
    );
    return rows.map(webhookOf);
  }

  /** Deletes one of the user's webhooks, and its deliveries (those not yet sent are not sent). */
  async delete(em: EntityManager, userId: string, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const rows = await em.execute(`delete from "webhooks" where "id" = ? and "user_id" = ? returning 1`, [
      id,
      userId,
    ]);
    return rows.length === 1;
  }

  /** A new signing secret for the webhook, used from its next delivery on; the old one stops at once. */
  async rotateSecret(em: EntityManager, userId: string, id: string): Promise<WebhookWithSecret> {
    if (!isUuid(id)) throw notFound('Webhook');
    const secret = newSecret();
    const rows = await em.execute<WebhookRow[]>(
      `update "webhooks" set "secret" = ? where "id" = ? and "user_id" = ?
       returning "id", "url", "events", "created_at"`,
      [this.#sealer.seal(Buffer.from(secret), id.toLowerCase()), id, userId],
    );
    if (!rows[0]) throw notFound('Webhook');
    return { webhook: webhookOf(rows[0]), secret };
  }

  /**
   * Makes the user's secret for predictions' own webhooks, unless there is one: before the first
   * prediction with a webhook is stored, so its deliveries are signed however soon they go.
   */
  async ensurePredictionSecret(em: EntityManager, userId: string): Promise<void> {
    // Made once: two first uses at once both get the one that was stored.
    await em.execute(
      `insert into "prediction_webhook_secrets" ("user_id", "secret") values (?, ?) on conflict do nothing`,
      [userId, this.#sealer.seal(Buffer.from(newSecret()), userId)],
    );
  }

  /** The secret that signs deliveries to predictions' own webhooks (made on first use). */
  async predictionSecret(em: EntityManager, userId: string): Promise<string> {
    await this.ensurePredictionSecret(em, userId);
    const secret = await this.signingSecret(em, { webhookId: null, userId });
    if (!secret) throw new Error('the prediction webhook secret cannot be read: JWT_SECRET changed');
    return secret;
  }

  async rotatePredictionSecret(em: EntityManager, userId: string): Promise<string> {
    const secret = newSecret();
    await em.execute(
      `insert into "prediction_webhook_secrets" ("user_id", "secret") values (?, ?)
       on conflict ("user_id") do update set "secret" = excluded."secret"`,
      [userId, this.#sealer.seal(Buffer.from(secret), userId)],
    );
    return secret;
  }

  /** The secret a delivery is signed with now: its webhook's, or the user's for predictions' own. */
  async signingSecret(
    em: EntityManager,
    of: { webhookId: string | null; userId: string },
  ): Promise<string | null> {
    const rows = of.webhookId
      ? await em.execute<{ secret: Uint8Array }[]>(`select "secret" from "webhooks" where "id" = ?`, [
          of.webhookId,
        ])
      : await em.execute<{ secret: Uint8Array }[]>(
          `select "secret" from "prediction_webhook_secrets" where "user_id" = ?`,
          [of.userId],
        );
    const sealed = rows[0]?.secret;
    return sealed ? (this.#sealer.open(sealed, of.webhookId ?? of.userId)?.toString('utf8') ?? null) : null;
  }

  /**
   * Records the deliveries of an event, in `em`'s transaction when it is in one (the change and its
   * deliveries are then stored together), and tells the workers once they can see them: when the
   * transaction commits, or at once outside one.
   */
  async record(em: EntityManager, event: WebhookEvent): Promise<void> {
    if (!event.prediction) {
      const [subscribed] = await em.execute<{ any: boolean }[]>(
        `select exists (select 1 from "webhooks" where "user_id" = ? and ? = any("events")) as "any"`,
        [event.userId, event.type],
      );
      if (!subscribed?.any) return;
    }
    const body = JSON.stringify({
      type: event.type,
      timestamp: new Date().toISOString(),
      data: event.data(),
    });
    await em.execute(
      `insert into "webhook_deliveries" ("id", "user_id", "webhook_id", "destination", "url", "event", "object_id", "body")
       select gen_random_uuid(), "user_id", "id", "id"::text, "url", ?, ?, ?
         from "webhooks" where "user_id" = ? and ? = any("events")`,
      [event.type, event.objectId, body, event.userId, event.type],
    );
    if (event.prediction) {
      await em.execute(
        `insert into "webhook_deliveries" ("id", "user_id", "prediction_id", "destination", "url", "event", "object_id", "body")
         values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?)`,
        [
          event.userId,
          event.prediction.id,
          `prediction:${event.prediction.webhookUrl}`,
          event.prediction.webhookUrl,
          event.type,
          event.objectId,
          body,
        ],
      );
    }
    if (em.isInTransaction()) this.#committing.add(em);
    else await this.#due();
  }

  /** Tells the workers there are deliveries due; should they miss it, they look every second anyway. */
  async #due(): Promise<void> {
    await this.#events
      .publish(WEBHOOKS_DUE_CHANNEL, '')
      .catch((error) => this.#logger.debug({ err: error }, 'webhook workers not told'));
  }

  /** Records an event outside any transaction (the change is already committed). Best effort: logged. */
  async recordAfter(event: WebhookEvent): Promise<void> {
    await this.record(this.#orm.em.fork(), event).catch((error: unknown) =>
      this.#logger.error({ err: error, type: event.type }, 'webhook deliveries not recorded'),
    );
  }

  /** The user's deliveries, newest first: of one webhook, or of one prediction's own webhook, or all. */
  async deliveries(
    em: EntityManager,
    userId: string,
    filter: { webhookId: string | null; predictionId: string | null; first: number },
  ): Promise<WebhookDelivery[]> {
    if (
      (filter.webhookId && !isUuid(filter.webhookId)) ||
      (filter.predictionId && !isUuid(filter.predictionId))
    )
      return [];
    const rows = await em.execute<DeliveryRow[]>(
      `select "id", "webhook_id", "prediction_id", "url", "event", "object_id", "status", "attempts",
              "last_status_code", "last_error", "created_at", "next_attempt_at", "delivered_at"
         from "webhook_deliveries"
        where "user_id" = ? and (?::uuid is null or "webhook_id" = ?::uuid)
          and (?::uuid is null or "prediction_id" = ?::uuid)
        order by "seq" desc limit ?`,
      [userId, filter.webhookId, filter.webhookId, filter.predictionId, filter.predictionId, filter.first],
    );
    return rows.map((row) => ({
      id: row.id,
      webhookId: row.webhook_id,
      predictionId: row.prediction_id,
      url: row.url,
      event: row.event as WebhookEventType,
      objectId: row.object_id,
      status: row.status as DeliveryStatus,
      attempts: row.attempts,
      lastStatusCode: row.last_status_code,
      lastError: row.last_error,
      createdAt: new Date(row.created_at),
      nextAttemptAt: row.status === 'PENDING' ? new Date(row.next_attempt_at) : null,
      deliveredAt: row.delivered_at ? new Date(row.delivered_at) : null,
    }));
  }
}

type DeliveryRow = {
  id: string;
  webhook_id: string | null;
  prediction_id: string | null;
  url: string;
  event: string;
  object_id: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  next_attempt_at: Date;
  delivered_at: Date | null;
};
