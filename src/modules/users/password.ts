import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

type ScryptParams = { N: number; r: number; p: number };
const KEY_LENGTH = 32;
/**
 * Hashes computed at once. scrypt runs on libuv's thread pool (4 threads unless configured), which file
 * reads and DNS lookups share; and each hash holds 128·N·r bytes (128 MiB at N = 2¹⁷). A burst of
 * sign-ins waits its turn rather than taking the pool and the memory.
 */
const CONCURRENT_HASHES = 2;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** Whether a password matched its hash, and whether that hash was made with weaker parameters than today's. */
export type PasswordCheck = { matches: false } | { matches: true; outdated: boolean };

/**
 * Password hashes: scrypt, memory-hard, so each guess costs 128·N·r bytes, which is what makes GPU farms
 * slow. OWASP's parameters by default (N = 2¹⁷, r = 8, p = 1; `cost` is log₂ N). The parameters are
 * stored with each hash, so old hashes keep working, and `verify` says when one should be made again.
 */
export class PasswordHasher {
  readonly #params: ScryptParams;
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  // Verifying against this when the email is unknown makes a failed login take as long either way, so
  // response times do not tell an attacker which emails are registered. Made on first use.
  #decoy: Promise<string> | null = null;

  constructor({ cost }: { cost: number }) {
    this.#params = { N: 2 ** cost, r: 8, p: 1 };
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await this.#derive(password, salt, this.#params);
    const { N, r, p } = this.#params;
    return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
  }

  async verify(password: string, stored: string): Promise<PasswordCheck> {
    const [scheme, n, r, p, salt, key] = stored.split('$');
    if (scheme !== 'scrypt' || !salt || !key) return { matches: false };
    const params = { N: Number(n), r: Number(r), p: Number(p) };
    const expected = Buffer.from(key, 'base64');
    const actual = await this.#derive(password, Buffer.from(salt, 'base64'), params);
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return { matches: false };
    const current = this.#params;
    return { matches: true, outdated: params.N < current.N || params.r < current.r || params.p < current.p };
  }

  /** Spends what checking a password costs, for an account that does not exist. */
  async burn(password: string): Promise<void> {
    this.#decoy ??= this.hash(randomBytes(16).toString('hex'));
    await this.verify(password, await this.#decoy);
  }

  async #derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
    if (this.#running >= CONCURRENT_HASHES) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running += 1;
    try {
      return await derive(password, salt, params);
    } finally {
      // The slot passes straight to the next in line, or is given back.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running -= 1;
    }
  }
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
