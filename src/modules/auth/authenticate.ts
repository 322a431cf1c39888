import type { ApiKeyVerifier } from '../api-keys/api-key-verifier.ts';
import { looksLikeApiKey } from '../api-keys/key-format.ts';
import type { Sessions } from './sessions.ts';
import type { Viewer } from './viewer.ts';

/**
 * The credentials a request carries, wherever they came from: HTTP headers, or the `connection_init`
 * payload of a WebSocket. One function turns either into a viewer.
 */
export type Credentials = { authorization: string | null; apiKey: string | null };

/** The credentials of an HTTP request. */
export function requestCredentials(headers: Headers): Credentials {
  return { authorization: headers.get('authorization'), apiKey: headers.get('x-api-key') };
}

export type Authenticators = { sessions: Sessions; keyVerifier: ApiKeyVerifier };

const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * The API key among the credentials, if one was sent: in X-API-Key, or as a bearer token (many HTTP
 * clients can only send bearer tokens, so a key is welcome there too).
 */
export function presentedApiKey(credentials: Credentials): string | null {
  const apiKey = credentials.apiKey?.trim();
  if (apiKey) return apiKey;
  const token = BEARER.exec(credentials.authorization?.trim() ?? '')?.[1];
  return token && looksLikeApiKey(token) ? token : null;
}

/** Works out who is calling. Never throws: a bad credential becomes a `rejected` viewer. */
export async function authenticate(
  credentials: Credentials,
  { sessions, keyVerifier }: Authenticators,
): Promise<Viewer> {
  const authorization = credentials.authorization?.trim() || null;
  const apiKey = credentials.apiKey?.trim() || null;
  if (authorization && apiKey) return { kind: 'rejected', reason: 'conflicting' };
  const key = presentedApiKey(credentials);
  if (key) return keyVerifier.verify(key);
  if (!authorization) return { kind: 'anonymous' };

  const token = BEARER.exec(authorization)?.[1];
  if (!token) return { kind: 'rejected', reason: 'invalid' };
  const verified = await sessions.verify(token);
  if ('rejected' in verified) return { kind: 'rejected', reason: verified.rejected };
  const { userId, sessionId, expiresAt } = verified;
  return { kind: 'user', userId, credential: { kind: 'jwt', sessionId, expiresAt } };
}
