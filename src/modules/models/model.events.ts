import type { EntityManager } from '@mikro-orm/postgresql';
import { userChannel, userEntityStream } from '../../infra/pubsub/channel-stream.ts';
import type { DecodedChannels } from '../../infra/pubsub/decoded-channels.ts';
import type { EventBus } from '../../infra/pubsub/event-bus.ts';
import type { Logger } from '../../logger.ts';
import { Model } from './model.entity.ts';
import type { ModelMetadataCache } from './model-metadata-cache.ts';

type ModelEvent = {
  id: string;
  name: string;
  description: string | null;
  activeVersion: number | null;
  latestVersion: number;
  createdAt: string;
  updatedAt: string;
  deleted: boolean;
};

/**
 * After a change to a model is committed (a new or activated version, a rename, a deletion): every
 * instance drops its cached metadata first, then subscribers hear of it.
 */
export async function modelChanged(
  { events, logger, metadata }: { events: EventBus; logger: Logger; metadata: ModelMetadataCache },
  ownerId: string,
  model: Model,
  change: { deleted: boolean } = { deleted: false },
): Promise<void> {
  await metadata.invalidate(model.id);
  const event: ModelEvent = {
    id: model.id,
    name: model.name,
    description: model.description ?? null,
    activeVersion: model.activeVersion ?? null,
    latestVersion: model.latestVersion,
    createdAt: model.createdAt.toISOString(),
    updatedAt: model.updatedAt.toISOString(),
    deleted: change.deleted,
  };
  await events.publish(userChannel('models', ownerId), JSON.stringify(event)).catch((error) => {
    logger.debug({ err: error }, 'model event not published');
  });
}

export function modelStream(
  channels: DecodedChannels,
  em: EntityManager,
  ownerId: string,
  modelId: string | null,
): AsyncIterable<Model> {
  // Ids are UUIDs, which clients may write in either case; events carry them in lower case.
  const wanted = modelId?.toLowerCase() ?? null;
  return userEntityStream<ModelEvent, Model>(
    channels,
    em,
    'models',
    ownerId,
    (event) => wanted === null || event.id === wanted,
    (em, event) =>
      em.merge(Model, {
        id: event.id,
        owner: ownerId,
        name: event.name,
        description: event.description,
        activeVersion: event.activeVersion,
        latestVersion: event.latestVersion,
        createdAt: new Date(event.createdAt),
        updatedAt: new Date(event.updatedAt),
        deleted: event.deleted,
      }),
  );
}
