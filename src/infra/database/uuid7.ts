import { randomUUID } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids sort by creation time, so
 * "newest first" is an index scan on the primary key and inserts stay at the right edge of the B-tree.
 * The random bits are a v4 UUID's (Node draws those from a cached pool of entropy: one id costs no
 * call into OpenSSL), its version digit made 7; its variant bits are already RFC 9562's.
 */
export function uuidv7(now: number = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  const random = randomUUID();
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15, 18)}-${random.slice(19)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids come from clients: anything that is not a UUID cannot name a row, and must not reach a uuid column. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
