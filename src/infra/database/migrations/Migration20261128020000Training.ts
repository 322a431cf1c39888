import { Migration } from '@mikro-orm/migrations';

/** Training jobs, and what a trained version keeps: its class names and the job that made it. */
export class Migration20261128020000Training extends Migration {
  override up(): void {
    this.addSql('alter table "model_versions" add column "labels" jsonb null;');
    this.addSql(
      'alter table "model_versions" add column "training_job_id" uuid null constraint "model_versions_training_job_id_unique" unique;',
    );
    this.addSql(`create table "training_jobs" (
      "id" uuid not null primary key,
      "user_id" uuid not null references "users" ("id") on delete cascade,
      "model_id" uuid not null references "models" ("id") on delete cascade,
      "algorithm" text not null
        constraint "training_jobs_algorithm_check" check ("algorithm" in ('LOGISTIC_REGRESSION', 'LINEAR_REGRESSION', 'MLP')),
      "params" jsonb not null,
      "dataset" bytea not null,
      "status" text not null default 'QUEUED'
        constraint "training_jobs_status_check" check ("status" in ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
      "progress" double precision not null default 0,
      "metrics" jsonb null,
      "error" text null,
      "cancel_requested_at" timestamptz null,
      "result_version_id" uuid null references "model_versions" ("id") on delete set null,
      "attempts" int not null default 0,
      "created_at" timestamptz not null,
      "started_at" timestamptz null,
      "finished_at" timestamptz null
    );`);
    this.addSql('create index "training_jobs_user_id_id_index" on "training_jobs" ("user_id", "id");');
    this.addSql('create index "training_jobs_model_id_id_index" on "training_jobs" ("model_id", "id");');
  }
}
