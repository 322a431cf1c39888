import type { IncomingMessage } from 'node:http';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { YogaInitialContext } from 'graphql-yoga';
import { authenticate, type Credentials, requestCredentials } from './modules/auth/authenticate.ts';
import type { Viewer } from './modules/auth/viewer.ts';
import { Admission } from './modules/rate-limits/admission.ts';
import type { Services } from './services.ts';

export type Context = {
  services: Services;
  /** A fork per request (or per subscription): MikroORM's identity map is never shared between them. */
  em: EntityManager;
  viewer: Viewer;
  /** The HTTP request; null for operations over a WebSocket. */
  request: Request | null;
  /** The caller's address, for per-IP limits (behind trusted proxies, from X-Forwarded-For). */
  clientIp: string | null;
  /** What this operation spends of the caller's budgets. */
  admission: Admission;
};

/** What the WebSocket server passes for an operation: the socket was authenticated once, on connection. */
export type SocketContext = { socketViewer: Viewer; socketClientIp: string | null };

type HttpServerContext = { req?: IncomingMessage };

/**
 * Authenticates a caller unless its address failed too often lately (RATE_LIMITED); a credential that
 * is invalid counts as one more failure. An expired or signed-out one does not: that is an honest client,
 * late.
 */
export async function authenticateFrom(
  clientIp: string | null,
  credentials: Credentials,
  services: Pick<Services, 'sessions' | 'keyVerifier' | 'failedAuthentications'>,
): Promise<Viewer> {
  const address = clientIp ?? 'unknown';
  services.failedAuthentications.check(address);
  const viewer = await authenticate(credentials, services);
  if (viewer.kind === 'rejected' && (viewer.reason === 'invalid' || viewer.reason === 'conflicting')) {
    await services.failedAuthentications.record(address);
  }
  return viewer;
}

export async function createContext(
  services: Services,
  initial: YogaInitialContext & HttpServerContext & Partial<SocketContext>,
): Promise<Context> {
  const em = services.orm.em.fork();
  if (initial.socketViewer) {
    const clientIp = initial.socketClientIp ?? null;
    const viewer = initial.socketViewer;
    const admission = new Admission(services.rateLimiter, viewer, clientIp);
    return { services, em, viewer, request: null, clientIp, admission };
  }
  const { request } = initial;
  const clientIp = services.clientAddresses.of(
    initial.req?.socket.remoteAddress,
    request.headers.get('x-forwarded-for'),
  );
  const viewer = await authenticateFrom(clientIp, requestCredentials(request.headers), services);
  const admission = new Admission(services.rateLimiter, viewer, clientIp);
  return { services, em, viewer, request, clientIp, admission };
}
