import { Migration } from '@mikro-orm/migrations';

/** Model versions remember how their runs failed to be contained, and whether they are set aside. */
export class Migration20261128050000Quarantine extends Migration {
  override up(): void {
    this.addSql(`alter table "model_versions"
      add column "containment_failures" int not null default 0,
      add column "last_failure_at" timestamptz null,
      add column "last_error" text null,
      add column "quarantined_until" timestamptz null;`);
  }
}
