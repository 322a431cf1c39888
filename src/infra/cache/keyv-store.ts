import { createKeyv } from '@keyv/redis';
import Keyv from 'keyv';
import type { RedisClientType } from '../redis.ts';
import { BoundedMap } from './bounded-map.ts';

/**
 * Values are plain JSON (numbers, arrays, objects). Keyv's default serializer walks every value in
 * JavaScript to encode Buffers and BigInts; for a prediction's outputs that walk cost more than the
 * model run.
 */
const json = { serialize: JSON.stringify, deserialize: JSON.parse };

/**
 * A Keyv namespace: on the shared Redis when there is one (every instance sees the same entries), else
 * in this process's memory, bounded. Errors are thrown, not swallowed, so callers can fall back.
 */
export function createKeyvStore(
  redis: RedisClientType | null,
  namespace: string,
  memoryCapacity: number,
): Keyv {
  if (!redis) return new Keyv({ store: new BoundedMap(memoryCapacity), namespace, ...json });
  // createKeyv (not `new Keyv({ store: new KeyvRedis() })`, which doubles the prefix) on our own connection.
  const keyv = createKeyv(redis as Parameters<typeof createKeyv>[0] & object, {
    namespace,
    throwOnErrors: true,
  });
  keyv.serialize = json.serialize;
  keyv.deserialize = json.deserialize;
  return keyv;
}
