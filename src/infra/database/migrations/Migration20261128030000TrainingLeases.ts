import { Migration } from '@mikro-orm/migrations';

/** A running job is leased by one worker at a time, which renews the lease while it trains. */
export class Migration20261128030000TrainingLeases extends Migration {
  override up(): void {
    this.addSql(`alter table "training_jobs"
      add column "lease_owner" uuid null,
      add column "lease_until" timestamptz null;`);
  }
}
