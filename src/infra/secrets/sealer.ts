import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals what mlp must keep but must be able to read back (AES-256-GCM, with a key derived from the
 * server's secret for one purpose) and opens it: a stored response that holds a new API key, a webhook's
 * signing secret. Sealed, a copy of the database alone does not reveal them. Each value is bound to where
 * it belongs (`boundTo`, e.g. its row's key): one moved elsewhere does not open.
 */
export class Sealer {
  /** A key object made once: a raw key would be made into one on every call. */
  readonly #key: KeyObject;

  /** `purpose` names what is sealed: each purpose has a key of its own. */
  constructor(serverSecret: Uint8Array, purpose: string) {
    this.#key = createSecretKey(
      Buffer.from(hkdfSync('sha256', serverSecret, new Uint8Array(0), `mlp ${purpose}`, 32)),
    );
  }

  seal(plain: Buffer, boundTo: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv).setAAD(Buffer.from(boundTo));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  /** The value; null when it was sealed with another secret (JWT_SECRET changed) or altered. */
  open(sealed: Uint8Array, boundTo: string): Buffer | null {
    try {
      if (sealed.length < IV_BYTES + TAG_BYTES) return null;
      const decipher = createDecipheriv('aes-256-gcm', this.#key, sealed.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      })
        .setAAD(Buffer.from(boundTo))
        .setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      return null;
    }
  }
}
