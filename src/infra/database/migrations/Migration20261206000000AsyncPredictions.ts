import { Migration } from '@mikro-orm/migrations';

/**
 * Predictions with a lifecycle (`createPrediction`): a status, its times, a deadline and an error; no
 * outputs until they succeed. Rows written by `predict` are born SUCCEEDED. The inputs of a prediction
 * waiting to run sit in a table of their own, read once by the worker that runs it and dropped when done.
 */
export class Migration20261206000000AsyncPredictions extends Migration {
  override up(): void {
    this.addSql(`alter table "predictions"
      add column "status" text not null default 'SUCCEEDED'
        constraint "predictions_status_check"
        check ("status" in ('STARTING', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELED')),
      add column "started_at" timestamptz null,
      add column "completed_at" timestamptz null,
      add column "deadline" timestamptz null,
      add column "error_code" text null,
      add column "error_message" text null,
      add column "attempts" int not null default 0,
      alter column "outputs" drop not null;`);
    // What the deadline sweep reads every second, and the search for stranded ones every 30 s: only
    // predictions still open, a few among millions.
    this.addSql(`create index "predictions_open_deadline_index" on "predictions" ("deadline")
      where "status" in ('STARTING', 'PROCESSING') and "deadline" is not null;`);
    this.addSql(`create index "predictions_open_created_at_index" on "predictions" ("created_at")
      where "status" in ('STARTING', 'PROCESSING');`);
    // What counts a user's open predictions against their tier's limit at each createPrediction.
    this.addSql(`create index "predictions_open_user_id_index" on "predictions" ("user_id")
      where "status" in ('STARTING', 'PROCESSING');`);
    this.addSql(`create table "prediction_inputs" (
      "prediction_id" uuid not null primary key references "predictions" ("id") on delete cascade,
      "feeds" bytea not null,
      "cache" boolean not null
    );`);
  }
}
