import type { GraphQLError } from 'graphql';
import { forbidden, unauthenticated } from '../../errors.ts';
import type { ApiKeyScope } from '../api-keys/api-key.entity.ts';

export type Credential =
  /** `sessionId`: the sign-in this token belongs to, which `logout` ends. */
  | { kind: 'jwt'; sessionId: string; expiresAt: Date }
  /** `expiresAt`: when the key stops working, its expiry or the end of a rotation's grace. */
  | { kind: 'apiKey'; keyId: string; scopes: ApiKeyScope[]; expiresAt: Date | null };

/** Who is calling, as far as the credentials of this request tell. */
export type Viewer =
  | { kind: 'anonymous' }
  /** A credential was sent and did not hold; fields that need a user say why, public ones ignore it. */
  | { kind: 'rejected'; reason: 'invalid' | 'expired' | 'ended' | 'conflicting' }
  | { kind: 'user'; userId: string; credential: Credential };

export type AuthenticatedViewer = Extract<Viewer, { kind: 'user' }>;

const REJECTIONS = {
  invalid: 'Invalid credentials',
  expired: 'Your credentials have expired',
  ended: 'This session has ended (signed out, or the password changed): sign in again',
  conflicting: 'Send one credential: either Authorization or X-API-Key, not both',
} as const;

/** Why the viewer is not a signed-in user, as the error to give the client; null when it is one. */
export function authenticationError(viewer: Viewer): GraphQLError | null {
  switch (viewer.kind) {
    case 'user':
      return null;
    case 'rejected':
      return unauthenticated(REJECTIONS[viewer.reason]);
    case 'anonymous':
      return unauthenticated(
        'Authentication required: send Authorization: Bearer <token> or X-API-Key: <key>',
      );
  }
}

export function requireUser(viewer: Viewer): AuthenticatedViewer {
  if (viewer.kind === 'user') return viewer;
  throw authenticationError(viewer);
}

/** The session (a signed-in JWT) the caller signed in with; API keys are not sessions. */
export function requireSession(viewer: Viewer): { userId: string; sessionId: string; expiresAt: Date } {
  const { userId, credential } = requireUser(viewer);
  if (credential.kind !== 'jwt') throw forbidden('This needs a signed-in session (a JWT), not an API key');
  return { userId, sessionId: credential.sessionId, expiresAt: credential.expiresAt };
}

/** The signed-in caller's user id, for a resolver handing request data to a service. */
export function viewerId(request: { viewer: Viewer }): string {
  return requireUser(request.viewer).userId;
}
