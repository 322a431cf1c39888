import { createHash, randomInt } from 'node:crypto';

// A key is `mlp_` + 32 random base62 characters (~190 bits) + a 6-character base62 CRC-32 of them.
// The checksum lets a mistyped or made-up key be refused without a database query, and the fixed prefix
// and shape let secret scanners recognise leaked mlp keys, as GitHub's tokens do.
const PREFIX = 'mlp_';
const RANDOM_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const API_KEY_PATTERN = new RegExp(`^${PREFIX}[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`);
/** How much of the secret is shown in lists: `mlp_` and 8 random characters. */
export const DISPLAY_PREFIX_LENGTH = 12;

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) crc = CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function base62(value: number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

export function generateApiKey(): string {
  let random = '';
  for (let i = 0; i < RANDOM_LENGTH; i++) random += BASE62[randomInt(62)];
  return `${PREFIX}${random}${base62(crc32(random), CHECKSUM_LENGTH)}`;
}

/** Shape and checksum only: true does not mean the key exists. */
export function isWellFormedApiKey(key: string): boolean {
  if (!API_KEY_PATTERN.test(key)) return false;
  const random = key.slice(PREFIX.length, PREFIX.length + RANDOM_LENGTH);
  return key.slice(PREFIX.length + RANDOM_LENGTH) === base62(crc32(random), CHECKSUM_LENGTH);
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(PREFIX);
}

/** Keys are 190-bit random strings, so a fast hash is enough: nothing to brute-force, unlike passwords. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
