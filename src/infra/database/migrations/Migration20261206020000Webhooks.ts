import { Migration } from '@mikro-orm/migrations';

/**
 * Webhooks: a user's subscriptions to events (each with its own signing secret, sealed), the secret a
 * prediction's own webhook is signed with, and every delivery with its attempts: the delivery log, and
 * the queue workers take them from (due and pending, in order per destination and object).
 */
export class Migration20261206020000Webhooks extends Migration {
  override up(): void {
    this.addSql(`create table "webhooks" (
      "id" uuid primary key,
      "user_id" uuid not null references "users" ("id") on delete cascade,
      "url" text not null,
      "events" text[] not null,
      "secret" bytea not null,
      "created_at" timestamptz not null
    );`);
    this.addSql(`create index "webhooks_user_id_index" on "webhooks" ("user_id");`);
    this.addSql(`create table "prediction_webhook_secrets" (
      "user_id" uuid primary key references "users" ("id") on delete cascade,
      "secret" bytea not null
    );`);
    this.addSql(`create table "webhook_deliveries" (
      "id" uuid primary key,
      "seq" bigint generated always as identity,
      "user_id" uuid not null references "users" ("id") on delete cascade,
      "webhook_id" uuid references "webhooks" ("id") on delete cascade,
      "prediction_id" uuid,
      "destination" text not null,
      "url" text not null,
      "event" text not null,
      "object_id" uuid not null,
      "body" text not null,
      "status" text not null default 'PENDING',
      "attempts" int not null default 0,
      "last_status_code" int,
      "last_error" text,
      "next_attempt_at" timestamptz not null default now(),
      "created_at" timestamptz not null default now(),
      "delivered_at" timestamptz
    );`);
    this.addSql(
      `create index "webhook_deliveries_due_index" on "webhook_deliveries" ("next_attempt_at") where "status" = 'PENDING';`,
    );
    this.addSql(
      `create index "webhook_deliveries_order_index" on "webhook_deliveries" ("destination", "object_id", "seq") where "status" = 'PENDING';`,
    );
    this.addSql(`create index "webhook_deliveries_user_index" on "webhook_deliveries" ("user_id", "seq");`);
    this.addSql(
      `alter table "predictions" add column "webhook_url" text, add column "webhook_events" text[];`,
    );
  }
}
