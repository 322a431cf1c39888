import { Migration } from '@mikro-orm/migrations';

/**
 * Sessions that can end before their tokens expire: each user's session version (raised by "log out
 * everywhere" and password changes), and the sessions ended one by one, kept until their tokens expire.
 */
export class Migration20261129000000Sessions extends Migration {
  override up(): void {
    this.addSql(`create table "user_sessions" (
      "user_id" uuid primary key references "users" ("id") on delete cascade,
      "version" int not null default 0
    );`);
    this.addSql(`create table "ended_sessions" (
      "id" uuid primary key,
      "user_id" uuid not null references "users" ("id") on delete cascade,
      "expires_at" timestamptz not null
    );`);
    this.addSql(
      `create index "ended_sessions_user_id_expires_at_index" on "ended_sessions" ("user_id", "expires_at");`,
    );
  }
}
