import type { Config } from './config.ts';
import { migrate, type Orm, openDatabase } from './infra/database/orm.ts';
import { ModelSessions } from './infra/inference/model-sessions.ts';
import type { EventBus } from './infra/pubsub/event-bus.ts';
import { LocalEventBus } from './infra/pubsub/local-event-bus.ts';
import { RedisEventBus } from './infra/pubsub/redis-event-bus.ts';
import { connectRedis } from './infra/redis.ts';
import type { Logger } from './logger.ts';
import { ApiKeyVerifier } from './modules/api-keys/api-key-verifier.ts';
import { JwtTokens } from './modules/auth/jwt.ts';
import { ensureAdmin } from './modules/users/user.service.ts';

/** Everything a request or job may use, built once per process. No module-level singletons. */
export type Services = {
  config: Config;
  logger: Logger;
  orm: Orm;
  events: EventBus;
  tokens: JwtTokens;
  apiKeys: ApiKeyVerifier;
  sessions: ModelSessions;
  close(): Promise<void>;
};

async function createEventBus(config: Config, logger: Logger): Promise<EventBus> {
  if (!config.redisUrl) return new LocalEventBus();
  const [publisher, subscriber] = await Promise.all([
    connectRedis(config.redisUrl, logger, { name: 'publisher', offline: 'fail' }),
    // Subscriptions made while Redis is away wait for it, and are renewed on every reconnect.
    connectRedis(config.redisUrl, logger, { name: 'subscriber', offline: 'queue' }),
  ]);
  return new RedisEventBus(publisher, subscriber);
}

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
  const events = await createEventBus(config, logger);
  const apiKeys = new ApiKeyVerifier(orm, logger);
  await apiKeys.listen(events);
  const sessions = new ModelSessions(config.models.sessionCacheSize);
  return {
    config,
    logger,
    orm,
    events,
    tokens: new JwtTokens(config.jwt, logger),
    apiKeys,
    sessions,
    async close() {
      await apiKeys.close();
      await events.close();
      await sessions.close();
      await orm.close();
    },
  };
}
