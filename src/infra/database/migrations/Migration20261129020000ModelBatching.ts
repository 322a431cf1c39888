import { Migration } from '@mikro-orm/migrations';

/** A model may batch its calls otherwise than the server's defaults. */
export class Migration20261129020000ModelBatching extends Migration {
  override up(): void {
    this.addSql(`alter table "models" add column "batching" jsonb null;`);
  }
}
