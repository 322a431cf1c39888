import { Migration } from '@mikro-orm/migrations';

/** Users, models with their versions (ONNX bytes included), and prediction history. */
export class Migration20261128000000Init extends Migration {
  override up(): void {
    this.addSql(`create table "users" (
      "id" uuid not null primary key,
      "email" varchar(255) not null constraint "users_email_unique" unique,
      "password_hash" varchar(255) not null,
      "tier" text not null default 'FREE' constraint "users_tier_check" check ("tier" in ('FREE', 'PRO', 'ENTERPRISE')),
      "role" text not null default 'USER' constraint "users_role_check" check ("role" in ('USER', 'ADMIN')),
      "created_at" timestamptz not null
    );`);

    this.addSql(`create table "models" (
      "id" uuid not null primary key,
      "owner_id" uuid not null references "users" ("id") on delete cascade,
      "name" varchar(255) not null,
      "description" text null,
      "active_version" int null,
      "latest_version" int not null default 0,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      constraint "models_owner_id_name_unique" unique ("owner_id", "name")
    );`);
    this.addSql('create index "models_owner_id_index" on "models" ("owner_id");');

    this.addSql(`create table "model_versions" (
      "id" uuid not null primary key,
      "model_id" uuid not null references "models" ("id") on delete cascade,
      "version" int not null,
      "inputs" jsonb not null,
      "outputs" jsonb not null,
      "size_bytes" int not null,
      "sha256" varchar(255) not null,
      "onnx" bytea not null,
      "created_at" timestamptz not null,
      constraint "model_versions_model_id_version_unique" unique ("model_id", "version")
    );`);

    this.addSql(`create table "predictions" (
      "id" uuid not null primary key,
      "user_id" uuid not null references "users" ("id") on delete cascade,
      "model_id" uuid not null references "models" ("id") on delete cascade,
      "version_id" uuid not null references "model_versions" ("id") on delete cascade,
      "outputs" jsonb not null,
      "cached" boolean not null default false,
      "latency_ms" double precision not null,
      "created_at" timestamptz not null
    );`);
    this.addSql('create index "predictions_user_id_id_index" on "predictions" ("user_id", "id");');
    this.addSql('create index "predictions_model_id_id_index" on "predictions" ("model_id", "id");');
    this.addSql('create index "predictions_version_id_index" on "predictions" ("version_id");');
  }
}
