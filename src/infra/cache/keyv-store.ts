import { createKeyv } from '@keyv/redis';
import type Keyv from 'keyv';
import type { RedisClientType } from '../redis.ts';

/**
 * Values are plain JSON (numbers, arrays, objects). Keyv's default serializer walks every value in
 * JavaScript to encode Buffers and BigInts; for a prediction's outputs that walk cost more than the
 * model run.
 */
const json = { serialize: JSON.stringify, deserialize: JSON.parse };

/**
 * A Keyv namespace on the shared Redis: every instance sees the same entries. Errors are thrown, not
 * swallowed, so callers can fall back.
 */
export function createKeyvStore(redis: RedisClientType, namespace: string): Keyv {
  // createKeyv (not `new Keyv({ store: new KeyvRedis() })`, which doubles the prefix) on our own connection.
  const keyv = createKeyv(redis as Parameters<typeof createKeyv>[0] & object, {
    namespace,
    throwOnErrors: true,
  });
  keyv.serialize = json.serialize;
  keyv.deserialize = json.deserialize;
  return keyv;
}
