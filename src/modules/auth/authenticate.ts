import { isUuid } from '../../infra/database/uuid7.ts';
import type { JwtTokens } from './jwt.ts';
import type { Viewer } from './viewer.ts';

/** The credentials a request carries, wherever they came from (HTTP headers, a WebSocket's init payload). */
export type Credentials = { authorization: string | null };

const BEARER = /^Bearer\s+(\S+)$/i;

/** Works out who is calling. Never throws: a bad credential becomes a `rejected` viewer. */
export async function authenticate(credentials: Credentials, tokens: JwtTokens): Promise<Viewer> {
  const header = credentials.authorization?.trim();
  if (!header) return { kind: 'anonymous' };
  const token = BEARER.exec(header)?.[1];
  if (!token) return { kind: 'rejected', reason: 'invalid' };
  const verified = await tokens.verify(token);
  if ('rejected' in verified) return { kind: 'rejected', reason: verified.rejected };
  if (!isUuid(verified.userId)) return { kind: 'rejected', reason: 'invalid' };
  return {
    kind: 'user',
    userId: verified.userId,
    credential: { kind: 'jwt', expiresAt: verified.expiresAt },
  };
}
