import { createHash, type Hash } from 'node:crypto';
import type { GraphQLParams } from 'graphql-yoga';

/** Literal text in the canonical form, between the values it separates. */
class Raw {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}
const COMMA = new Raw(',');
const CLOSE_ARRAY = new Raw(']');
const CLOSE_OBJECT = new Raw('}');

function isBlob(value: object): value is Blob {
  return typeof (value as Blob).stream === 'function' && typeof (value as Blob).size === 'number';
}

async function blobDigest(blob: Blob): Promise<string> {
  const hash = createHash('sha256');
  const reader = blob.stream().getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) hash.update(read.value);
  return hash.digest('hex');
}

/**
 * Writes `value` to `hash` as JSON with every object's keys sorted, and each uploaded file as its
 * bytes' digest, size, name and type. Iterative, not recursive: variables are a client's, nested as
 * deep as the request's bytes allow.
 */
async function writeCanonical(hash: Hash, value: unknown): Promise<void> {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item instanceof Raw) {
      hash.update(item.text);
    } else if (Array.isArray(item)) {
      hash.update('[');
      stack.push(CLOSE_ARRAY);
      for (let i = item.length - 1; i >= 0; i--) {
        stack.push(item[i]);
        if (i > 0) stack.push(COMMA);
      }
    } else if (typeof item === 'object' && item !== null && isBlob(item)) {
      const { name, type } = item as Blob & { name?: string };
      hash.update(JSON.stringify({ file: await blobDigest(item), size: item.size, name: name ?? '', type }));
    } else if (typeof item === 'object' && item !== null) {
      hash.update('{');
      stack.push(CLOSE_OBJECT);
      const entries = Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        stack.push(child, new Raw(`${JSON.stringify(key)}:`));
        if (i > 0) stack.push(COMMA);
      }
    } else {
      hash.update(JSON.stringify(item) ?? 'null');
    }
  }
}

/**
 * What a request asks for and who asks, as a SHA-256 digest: its sender, document, operation name and
 * variables, uploaded files by their content. The same request sent again gives the same digest; a
 * retry must send the same document text (a key is reused by a different request when anything here
 * differs).
 */
export async function requestFingerprint(params: GraphQLParams, sender: string): Promise<Buffer> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([sender, params.query ?? '', params.operationName ?? null]));
  await writeCanonical(hash, params.variables ?? {});
  return hash.digest();
}
