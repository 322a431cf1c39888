import { GraphQLError } from 'graphql';

/** The `extensions.code` values clients can rely on. Anything else reaching a client is masked. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'INFERENCE_FAILED'
  | 'INFERENCE_TIMEOUT'
  | 'OUTPUT_TOO_LARGE'
  | 'MODEL_QUARANTINED'
  | 'REQUEST_ENTITY_TOO_LARGE'
  | 'QUOTA_EXCEEDED'
  | 'RATE_LIMITED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'IDEMPOTENCY_KEY_IN_USE'
  | 'INTERNAL_SERVER_ERROR';

function error(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

/**
 * Too many calls: retry in `retryAfter` seconds. Yoga answers 429 with the Retry-After header when the
 * whole operation was refused.
 */
export const rateLimited = (message: string, retryAfter: number, extensions: Record<string, unknown> = {}) =>
  error('RATE_LIMITED', `${message} Retry in ${retryAfter} s.`, {
    retryAfter,
    ...extensions,
    http: { status: 429, headers: { 'Retry-After': String(retryAfter) } },
  });
export const unauthenticated = (message: string) => error('UNAUTHENTICATED', message);
export const forbidden = (message: string) => error('FORBIDDEN', message);
export const badUserInput = (message: string, field?: string) =>
  error('BAD_USER_INPUT', message, field ? { field } : {});
/** Also what a foreign id reads as: nobody learns that somebody else's model exists. */
export const notFound = (what: string) => error('NOT_FOUND', `${what} not found`);
/** The inputs were well-formed, but the model itself failed on them; onnxruntime's message says why. */
export const inferenceFailed = (reason: string) =>
  error('INFERENCE_FAILED', `The model failed on these inputs: ${reason}`);
/** An uploaded file over its own limit (the request's limit is the largest of them, see app.ts). */
export const fileTooLarge = (what: string, size: number, limit: number, setting: string) =>
  error(
    'REQUEST_ENTITY_TOO_LARGE',
    `The ${what} is ${size} bytes; the most mlp accepts is ${limit} (${setting})`,
    {
      field: what === 'dataset' ? 'dataset' : 'file',
    },
  );
/** The model's worker died under it (out of memory, a crash), or the version cannot be loaded at all. */
export const inferenceStopped = (reason: string) =>
  error('INFERENCE_FAILED', `The model could not run: ${reason}`);
/** The run passed its deadline (its worker was killed), or no worker was free in time. */
export const inferenceTimeout = (reason: string) =>
  error('INFERENCE_TIMEOUT', `The model did not answer in time: ${reason}`);
export const outputTooLarge = (reason: string) =>
  error('OUTPUT_TOO_LARGE', `The model answered too much: ${reason}`);
/** The version kept passing its deadline or killing its worker: it is refused at once until `until`. */
export const modelQuarantined = (version: number, until: Date, lastError: string | null) =>
  error(
    'MODEL_QUARANTINED',
    `Version ${version} of this model is quarantined until ${until.toISOString()}: its runs repeatedly passed their deadline or crashed their worker${
      lastError ? ` (last: ${lastError})` : ''
    }. Upload a fixed version or activate another.`,
    {
      quarantinedUntil: until.toISOString(),
      retryAfter: Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000)),
    },
  );
/** Storing this would take the user past a quota of their tier (see model-quotas.ts). */
export const quotaExceeded = (
  quota: string,
  what: string,
  usage: { used: number; adding: number; limit: number },
) =>
  error(
    'QUOTA_EXCEEDED',
    `Quota exceeded: your tier allows ${usage.limit} ${what}; you have ${usage.used} and this adds ${usage.adding}`,
    { quota, ...usage },
  );
/** The Idempotency-Key came first with a different request (document, operation or variables). */
export const idempotencyKeyReused = () =>
  error(
    'IDEMPOTENCY_KEY_REUSED',
    'This Idempotency-Key was used for a different request: send a new key with a new request',
    { http: { status: 422 } },
  );
/** The first request with this Idempotency-Key is still running, longer than a retry waits for it. */
export const idempotencyKeyInUse = () =>
  error(
    'IDEMPOTENCY_KEY_IN_USE',
    'The first request with this Idempotency-Key is still running: send it again later for its response',
    { http: { status: 409 } },
  );
/** The key's first response was sealed with another JWT_SECRET (changed since, or not shared). */
export const idempotentResponseUnreadable = () =>
  error(
    'INTERNAL_SERVER_ERROR',
    'The first response to this Idempotency-Key was sealed with another JWT_SECRET and cannot be read',
  );

/**
 * The error with `code` added, when it has none yet (and an HTTP status, when it has none yet): for errors
 * made by graphql-js or Yoga, which carry a message but no code.
 */
export function withCode(error: GraphQLError, code: string, status?: number): GraphQLError {
  if (error.extensions.code) return error;
  const { nodes, source, positions, path, originalError, extensions } = error;
  const http = status === undefined ? extensions.http : { status, ...extensions.http };
  return new GraphQLError(error.message, {
    nodes,
    source,
    positions,
    path,
    originalError,
    extensions: { ...extensions, code, ...(http ? { http } : {}) },
  });
}
