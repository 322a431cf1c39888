import { Migration } from '@mikro-orm/migrations';

/**
 * Idempotency keys: per user, the request each was first used for (its fingerprint) and, once it ran,
 * its response, sealed. A key is held (`holder`, `held_until`) while its first request runs; a holder
 * that died lets go when its hold runs out.
 */
export class Migration20261206010000IdempotencyKeys extends Migration {
  override up(): void {
    this.addSql(`create table "idempotency_keys" (
      "user_id" uuid not null references "users" ("id") on delete cascade,
      "key" text not null,
      "fingerprint" bytea not null,
      "holder" uuid,
      "held_until" timestamptz,
      "response" bytea,
      "created_at" timestamptz not null default now(),
      primary key ("user_id", "key")
    );`);
    this.addSql(`create index "idempotency_keys_created_at_index" on "idempotency_keys" ("created_at");`);
  }
}
