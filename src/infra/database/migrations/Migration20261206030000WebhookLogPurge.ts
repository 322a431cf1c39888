import { Migration } from '@mikro-orm/migrations';

/**
 * The hourly purge of the webhook delivery log (ended deliveries older than its days) finds them by an
 * index rather than by reading the whole log, which grows with every event of every user. It is built in
 * the migration's transaction: on a large log, deliveries being recorded wait for it during the upgrade.
 */
export class Migration20261206030000WebhookLogPurge extends Migration {
  override up(): void {
    this.addSql(
      `create index "webhook_deliveries_ended_created_at_index" on "webhook_deliveries" ("created_at") where "status" <> 'PENDING';`,
    );
  }
}
