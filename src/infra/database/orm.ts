import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Migrator } from '@mikro-orm/migrations';
import { DataloaderType, MikroORM, type Options } from '@mikro-orm/postgresql';
import { PGliteDialect } from 'kysely';
import { ConfigError, type DatabaseConfig } from '../../config.ts';
import { migrations } from './migrations/index.ts';

export type Orm = MikroORM;

/** The entities the ORM maps: the modules' own, handed over by the composition root (src/entities.ts). */
export type Entities = NonNullable<Options['entities']>;

function ormOptions(entities: Entities): Options {
  return {
    entities,
    extensions: [Migrator],
    migrations: { migrationsList: migrations, snapshot: false, silent: true },
    // Every request forks its own entity manager; touching the global one is a bug we want to hear about.
    allowGlobalContext: false,
    // A GraphQL field that must load a related entity (a prediction's model, a job's version) does so
    // through the request's own batching loader: one query per entity type and tick, not one per row.
    dataloader: DataloaderType.REFERENCE,
    debug: false,
  };
}

/**
 * Opens the database: a PostgreSQL server at a URL, or PGlite (PostgreSQL compiled to WebAssembly)
 * inside this process, so `npm start` needs nothing but Node. Both run the same migrations and queries.
 */
export async function openDatabase(config: DatabaseConfig, entities: Entities): Promise<Orm> {
  if (config.kind === 'postgres') {
    return MikroORM.init({ ...ormOptions(entities), clientUrl: config.url }).catch((error: unknown) => {
      throw refusal(error) ?? error;
    });
  }
  if (config.dataDir) mkdirSync(config.dataDir, { recursive: true });
  const pglite = new PGlite(config.dataDir ?? undefined);
  await pglite.waitReady;
  // PGlite has exactly one database, `postgres`; any other name makes MikroORM reconnect and close PGlite.
  return MikroORM.init({
    ...ormOptions(entities),
    dbName: 'postgres',
    driverOptions: new PGliteDialect({ pglite }),
  });
}

/** An arbitrary constant shared by every mlp instance: the advisory lock that serialises migrations. */
const MIGRATION_LOCK = 0x6d6c70;

/**
 * Applies pending migrations. Instances started together queue on a transaction-scoped advisory lock,
 * so exactly one applies each migration and the others find nothing left to do. PGlite belongs to one
 * process and has a single connection (which the lock's transaction would hold), so it needs no lock.
 */
export async function migrate(orm: Orm, database: DatabaseConfig): Promise<string[]> {
  if (database.kind === 'embedded') return names(await orm.migrator.up());
  return orm.em
    .fork()
    .transactional(async (em) => {
      await em.execute('select pg_advisory_xact_lock(?)', [MIGRATION_LOCK]);
      return names(await orm.migrator.up({ transaction: em.getTransactionContext() }));
    })
    .catch((error: unknown) => {
      throw refusal(error) ?? error;
    });
}

/** PostgreSQL's answers that retrying cannot change: no such role, a wrong password, no right to connect. */
const REFUSALS = new Set(['28000', '28P01', '42501']);

/**
 * A connection PostgreSQL answered and refused is a configuration mistake: the start stops with the
 * reason. (One it cannot reach is not: that error goes on as it is.)
 */
function refusal(error: unknown): ConfigError | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !REFUSALS.has(code)) return null;
  const reason = error instanceof Error ? error.message : String(error);
  return new ConfigError([
    `DATABASE_URL: PostgreSQL refused the connection (${reason}); check the user, the password and its rights`,
  ]);
}

function names(migrations: { name: string }[]): string[] {
  return migrations.map((migration) => migration.name);
}
