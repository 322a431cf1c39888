import type { EntityManager } from '@mikro-orm/postgresql';
import type { YogaInitialContext } from 'graphql-yoga';
import { authenticate } from './modules/auth/authenticate.ts';
import type { Viewer } from './modules/auth/viewer.ts';
import type { Services } from './services.ts';

export type Context = {
  services: Services;
  /** A fork per request: MikroORM's identity map is never shared between requests. */
  em: EntityManager;
  viewer: Viewer;
};

export async function createContext(services: Services, initial: YogaInitialContext): Promise<Context> {
  const { headers } = initial.request;
  const viewer = await authenticate(
    { authorization: headers.get('authorization'), apiKey: headers.get('x-api-key') },
    services,
  );
  return { services, em: services.orm.em.fork(), viewer };
}
