import { hashApiKey } from './modules/api-keys/key-format.ts';
import {
  type Authenticators,
  authenticate,
  type Credentials,
  presentedApiKey,
} from './modules/auth/authenticate.ts';
import type { AuthenticatedViewer } from './modules/auth/viewer.ts';

/** How often a live connection's credential is checked again, whatever was or was not announced. */
export const REVERIFY_MS = 60_000;
/** setTimeout waits at most about 24.8 days; a credential that lives longer is waited for in steps. */
const LONGEST_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Ends a live connection (a WebSocket, an event stream) when its credential does: at its end (a JWT's
 * `exp`; an API key's `expiresAt`, or the end of its rotation's grace), when its key is revoked or rotated
 * or its session ends (`logout`, `logoutEverywhere`, a password change) on any instance, and at the latest
 * at the next re-verification, every REVERIFY_MS, which makes good an announcement that was lost while Redis
 * blinked. Returns the function that stops watching.
 */
export function watchCredential(
  authenticators: Authenticators,
  credentials: Credentials,
  viewer: AuthenticatedViewer,
  end: (reason: string) => void,
): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let recheck: NodeJS.Timeout | undefined;
  let unlisten: () => void = () => {};

  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    clearInterval(recheck);
    unlisten();
  };
  const finish = (reason: string) => {
    if (stopped) return;
    stop();
    end(reason);
  };
  const endAt = (at: Date | null) => {
    clearTimeout(timer);
    if (!at) return;
    const left = at.getTime() - Date.now();
    if (left <= 0) finish('Credentials expired');
    else timer = setTimeout(() => endAt(at), Math.min(left, LONGEST_TIMEOUT_MS)).unref();
  };
  const key = presentedApiKey(credentials);
  // A rotation shortens a key's life to its grace: what the check finds replaces what was known.
  const check = async () => {
    const now = await authenticate(credentials, authenticators);
    if (stopped) return;
    if (now.kind === 'user' && now.userId === viewer.userId) endAt(now.credential.expiresAt);
    else if (now.kind === 'rejected' && now.reason === 'expired') finish('Credentials expired');
    else if (now.kind === 'rejected' && now.reason === 'ended') finish('Session ended');
    else finish(key ? 'API key revoked' : 'Credentials no longer valid');
  };
  // The database or Redis failing for a moment ends nothing: the connection stays until a check that
  // can answer (the next event, or the next re-verification).
  const verify = () => check().catch(() => {});

  recheck = setInterval(() => void verify(), REVERIFY_MS).unref();
  if (key) {
    const hash = hashApiKey(key);
    unlisten = authenticators.keyVerifier.onKeyChanged((changed) => {
      if (changed === hash) void verify();
    });
  } else {
    unlisten = authenticators.sessions.onChanged((userId) => {
      if (userId === viewer.userId) void verify();
    });
  }
  endAt(viewer.credential.expiresAt);
  return stop;
}
