import type { EntityManager } from '@mikro-orm/postgresql';
import type { YogaInitialContext } from 'graphql-yoga';
import { authenticate } from './modules/auth/authenticate.ts';
import type { Viewer } from './modules/auth/viewer.ts';
import type { Services } from './services.ts';

export type Context = {
  services: Services;
  /** A fork per request (or per subscription): MikroORM's identity map is never shared between them. */
  em: EntityManager;
  viewer: Viewer;
};

/** What the WebSocket server passes for an operation: the socket was authenticated once, on connection. */
export type SocketContext = { socketViewer: Viewer };

export async function createContext(
  services: Services,
  initial: YogaInitialContext & Partial<SocketContext>,
): Promise<Context> {
  const viewer =
    initial.socketViewer ??
    (await authenticate(
      {
        authorization: initial.request.headers.get('authorization'),
        apiKey: initial.request.headers.get('x-api-key'),
      },
      services,
    ));
  return { services, em: services.orm.em.fork(), viewer };
}
