import type { Config } from './config.ts';
import { migrate, type Orm, openDatabase } from './infra/database/orm.ts';
import { ModelSessions } from './infra/inference/model-sessions.ts';
import type { Logger } from './logger.ts';
import { JwtTokens } from './modules/auth/jwt.ts';
import { ensureAdmin } from './modules/users/user.service.ts';

/** Everything a request or job may use, built once per process. No module-level singletons. */
export type Services = {
  config: Config;
  logger: Logger;
  orm: Orm;
  tokens: JwtTokens;
  sessions: ModelSessions;
  close(): Promise<void>;
};

export async function createServices(config: Config, logger: Logger): Promise<Services> {
  const orm = await openDatabase(config.database);
  try {
    const applied = await migrate(orm, config.database);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    if (config.admin) await ensureAdmin(orm.em.fork(), config.admin, logger);
  } catch (error) {
    await orm.close();
    throw error;
  }
  const sessions = new ModelSessions(config.models.sessionCacheSize);
  return {
    config,
    logger,
    orm,
    tokens: new JwtTokens(config.jwt, logger),
    sessions,
    async close() {
      await sessions.close();
      await orm.close();
    },
  };
}
