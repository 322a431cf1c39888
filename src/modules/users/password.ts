import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

// scrypt is memory-hard: each guess costs 128·N·r bytes (32 MiB here), which is what makes GPU farms slow.
// The parameters are stored with each hash, so they can be raised later without breaking old passwords.
const PARAMS = { N: 2 ** 15, r: 8, p: 1 };
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, params: typeof PARAMS): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 128 * params.N * params.r * 2 };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

// Verifying against this when the email is unknown makes a failed login take as long either way, so
// response times do not tell an attacker which emails are registered.
// Made on the first failed login, not at import: importing this module costs nothing.
let decoy: Promise<string> | null = null;
export async function burnPasswordCheck(password: string): Promise<void> {
  decoy ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, await decoy);
}

/** No password is longer, so a longer one at login is refused before anything is hashed. */
export const MAX_PASSWORD_LENGTH = 512;

const COMMON = new Set([
  'password123',
  'password1234',
  'passw0rd123',
  '1234567890',
  '12345678910',
  'qwertyuiop',
  'iloveyou123',
  'letmein123',
  'administrator',
  'welcome123',
  'changeme123',
]);

/** A reason the password is too weak, or null. Length matters most (NIST SP 800-63B), then the obvious. */
export function passwordWeakness(password: string, email: string): string | null {
  if (password.length < 10) return 'Password must be at least 10 characters long';
  if (password.length > MAX_PASSWORD_LENGTH) {
    return `Password must be at most ${MAX_PASSWORD_LENGTH} characters long`;
  }
  if (new Set(password).size < 4) return 'Password needs more variety: use at least 4 different characters';
  if (COMMON.has(password.toLowerCase())) return 'Password is too common';
  const localPart = email.split('@')[0] ?? '';
  if (localPart.length >= 4 && password.toLowerCase().includes(localPart)) {
    return 'Password must not contain your email address';
  }
  return null;
}
