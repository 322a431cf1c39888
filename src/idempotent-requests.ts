import { type ExecutionResult, GraphQLError, getOperationAST } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import type { Context } from './context.ts';
import {
  badUserInput,
  idempotencyKeyInUse,
  idempotencyKeyReused,
  idempotentResponseUnreadable,
} from './errors.ts';
import type { Metrics } from './infra/metrics/metrics.ts';
import type { AuthenticatedViewer } from './modules/auth/viewer.ts';
import type { Hold, IdempotencyKeys, StoredResponse } from './modules/idempotency/idempotency-keys.ts';
import { requestFingerprint } from './modules/idempotency/request-fingerprint.ts';

/** The header, as the IETF draft and Stripe name it. */
const HEADER = 'idempotency-key';
/** Visible ASCII, 1 to 255 characters: a UUID, or any token a client makes. */
const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Refusals that come before anything runs or is charged: the request may simply be sent again, so its
 * key is let go instead of keeping the refusal for 24 hours.
 */
const NOTHING_RAN = new Set(['RATE_LIMITED', 'MAX_COST_EXCEEDED']);

/** The key a request sent, unquoted when it came as a structured-field string (`"…"`). */
function keyOf(header: string): string | null {
  const key =
    header.length >= 2 && header.startsWith('"') && header.endsWith('"') ? header.slice(1, -1) : header;
  return KEY.test(key) ? key : null;
}

/**
 * Whether nothing of the operation ran: it never executed (no `data`), or no root field has a value and
 * every error is a refusal before running. A field that ran beside a refused one keeps the key.
 */
function ranNothing(result: ExecutionResult): boolean {
  if (!('data' in result)) return true;
  if (result.data && Object.values(result.data).some((value) => value !== null)) return false;
  const codes = (result.errors ?? []).map((error) => error.extensions?.code);
  return codes.length > 0 && codes.every((code) => NOTHING_RAN.has(String(code)));
}

/**
 * Who sent it, as far as a replay must match: a replay runs no resolver, so no scope is checked again;
 * an API key gets back only what that key itself was answered (a session, any session's of the user).
 */
function senderOf(viewer: AuthenticatedViewer): string {
  return viewer.credential.kind === 'apiKey' ? `key:${viewer.credential.keyId}` : 'session';
}

function replayed(response: StoredResponse): ExecutionResult {
  return {
    ...('data' in response ? { data: response.data as ExecutionResult['data'] } : {}),
    ...(response.errors
      ? {
          errors: response.errors.map(
            (error) => new GraphQLError(error.message, { path: error.path, extensions: error.extensions }),
          ),
        }
      : {}),
    extensions: { http: { headers: { 'idempotent-replayed': 'true' } } },
  };
}

/**
 * `Idempotency-Key` on a mutation sent over HTTP by a signed-in caller: the first request with a key
 * runs and its response is kept; the same request again with that key, on any instance, within 24 h,
 * gets that response (with `Idempotent-Replayed: true`) and runs nothing, charges nothing. Sent while the
 * first still runs, it waits for it. A different request with the key is refused
 * (IDEMPOTENCY_KEY_REUSED). Queries are safe to send again as they are: the header is ignored on them.
 *
 * Registered after every other plugin, so that a replay stops execution before anything runs or is
 * charged, yet is measured and traced like any request.
 */
export function useIdempotencyKeys(keys: IdempotencyKeys, metrics: Metrics): Plugin<Context> {
  const holds = new WeakMap<Request, Hold>();
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const context = args.contextValue as Context & { params?: GraphQLParams };
      const request = context.request;
      const header = request?.headers.get(HEADER);
      if (!request || header == null) return;
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      const key = keyOf(header);
      if (key === null) {
        setResultAndStopExecution({
          errors: [badUserInput('Idempotency-Key must be 1 to 255 visible ASCII characters')],
        });
        return;
      }
      if (context.viewer.kind !== 'user') {
        setResultAndStopExecution({
          errors: [badUserInput('Idempotency keys are per user: sign in to send one')],
        });
        return;
      }
      const fingerprint = await requestFingerprint(context.params ?? {}, senderOf(context.viewer));
      const taken = await keys.take(context.viewer.userId, key, fingerprint, request.signal);
      metrics.idempotencyKeys.inc({ outcome: taken.kind });
      switch (taken.kind) {
        case 'held':
          holds.set(request, taken.hold);
          return;
        case 'replay':
          setResultAndStopExecution(replayed(taken.response));
          return;
        case 'mismatch':
          setResultAndStopExecution({ errors: [idempotencyKeyReused()] });
          return;
        case 'busy':
          setResultAndStopExecution({ errors: [idempotencyKeyInUse()] });
          return;
        case 'unreadable':
          setResultAndStopExecution({ errors: [idempotentResponseUnreadable()] });
          return;
      }
    },
    // The response as it is sent: errors masked, so a replay shows no more than the first response did.
    async onResultProcess({ request, result }) {
      const hold = holds.get(request);
      if (!hold) return;
      holds.delete(request);
      if (Array.isArray(result) || Symbol.asyncIterator in result) return hold.release();
      const single = result as ExecutionResult;
      // Kept as the client got it: data and errors, serialised once where it is sealed.
      return ranNothing(single)
        ? hold.release()
        : hold.complete({ data: single.data, errors: single.errors });
    },
  };
}
