import { Migration } from '@mikro-orm/migrations';

/** API keys: only a SHA-256 of each secret is stored, found through a unique index. */
export class Migration20261128010000ApiKeys extends Migration {
  override up(): void {
    this.addSql(`create table "api_keys" (
      "id" uuid not null primary key,
      "user_id" uuid not null references "users" ("id") on delete cascade,
      "name" varchar(255) not null,
      "prefix" varchar(255) not null,
      "hash" varchar(255) not null constraint "api_keys_hash_unique" unique,
      "scopes" jsonb not null,
      "created_at" timestamptz not null,
      "last_used_at" timestamptz null,
      "expires_at" timestamptz null,
      "revoked_at" timestamptz null
    );`);
    this.addSql('create index "api_keys_user_id_id_index" on "api_keys" ("user_id", "id");');
  }
}
