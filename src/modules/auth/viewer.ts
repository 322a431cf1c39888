import { unauthenticated } from '../../errors.ts';

/** Who is calling, as far as the credentials of this request tell. */
export type Viewer =
  | { kind: 'anonymous' }
  /** A credential was sent and did not hold; fields that need a user say why, public ones ignore it. */
  | { kind: 'rejected'; reason: 'invalid' | 'expired' }
  | { kind: 'user'; userId: string; credential: { kind: 'jwt'; expiresAt: Date } };

export type AuthenticatedViewer = Extract<Viewer, { kind: 'user' }>;

export function requireUser(viewer: Viewer): AuthenticatedViewer {
  switch (viewer.kind) {
    case 'user':
      return viewer;
    case 'rejected':
      throw unauthenticated(
        viewer.reason === 'expired' ? 'Your credentials have expired' : 'Invalid credentials',
      );
    case 'anonymous':
      throw unauthenticated('Authentication required: send Authorization: Bearer <token>');
  }
}
