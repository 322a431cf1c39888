import { Migration } from '@mikro-orm/migrations';

/** A training job may produce a version without making it the active one. */
export class Migration20261129010000TrainingActivate extends Migration {
  override up(): void {
    this.addSql(`alter table "training_jobs" add column "activate" boolean not null default true;`);
  }
}
