import { createHash } from 'node:crypto';
import { createClient, ErrorReply, type RedisClientType } from '@redis/client';
import { ConfigError } from '../config.ts';
import type { Logger } from '../logger.ts';

export type { RedisClientType };

/** How long start-up waits for Redis before going on without it (it keeps reconnecting meanwhile). */
const STARTUP_WAIT_MS = 3000;

/**
 * A Redis connection that never takes the process down and never makes a request wait for an outage:
 * commands fail at once while it is disconnected (`offline: 'fail'`), reconnection goes on in the
 * background, and an outage is logged once when it starts and once when it ends.
 */
export async function connectRedis(
  url: string,
  logger: Logger,
  options: { name: string; offline: 'fail' | 'queue' },
): Promise<RedisClientType> {
  const client: RedisClientType = createClient({
    url,
    name: `mlp-${options.name}`,
    disableOfflineQueue: options.offline === 'fail',
    socket: {
      connectTimeout: 2000,
      reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2000),
    },
  });
  let down = false;
  let everReady = false;
  let refuse: (error: ErrorReply) => void = () => {};
  const refused = new Promise<ErrorReply>((resolve) => {
    refuse = resolve;
  });
  client.on('error', (error: Error) => {
    // Redis answered and said no (a database that does not exist, a wrong password, a missing
    // permission): retrying will not fix that, and carrying on without it would hide the mistake.
    if (!everReady && error instanceof ErrorReply) refuse(error);
    if (down) return;
    down = true;
    logger.warn({ redis: options.name, err: error.message }, 'Redis is unreachable; carrying on without it');
  });
  client.on('ready', () => {
    everReady = true;
    if (!down) return;
    down = false;
    logger.info({ redis: options.name }, 'Redis is back');
  });
  const connected = client.connect().catch(() => undefined);
  const waited = new Promise((resolve) => setTimeout(resolve, STARTUP_WAIT_MS).unref());
  const refusal = await Promise.race([connected.then(() => null), waited.then(() => null), refused]);
  if (refusal) {
    client.destroy();
    throw new ConfigError([
      `REDIS_URL: Redis refused the connection (${refusal.message}); check the database number, the password and the user's permissions`,
    ]);
  }
  return client;
}

/** A Lua script, sent by its SHA (its source only when Redis does not know it yet, or forgot it in a restart). */
export class RedisScript {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: RedisClientType, keys: string[], args: string[]): Promise<unknown> {
    const options = { keys, arguments: args };
    try {
      return await redis.evalSha(this.#sha, options);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.#source, options);
    }
  }
}
