import type { EntityManager } from '@mikro-orm/postgresql';
import { userChannel, userEntityStream } from '../../infra/pubsub/channel-stream.ts';
import type { DecodedChannels } from '../../infra/pubsub/decoded-channels.ts';
import type { EventBus } from '../../infra/pubsub/event-bus.ts';
import type { Logger } from '../../logger.ts';
import { Prediction, type PredictionRecord, predictionData } from './prediction.entity.ts';

/** A completed prediction as it travels between instances: everything a subscriber's query can ask. */
type PredictionEvent = Omit<PredictionRecord, 'userId' | 'createdAt'> & { createdAt: string };

/**
 * Tells each record's owner, on every instance, that it completed. Called once the records are in
 * history; several publishes issued together go to Redis as one pipelined write.
 */
export function announcePredictions(events: EventBus, logger: Logger, records: PredictionRecord[]): void {
  for (const { userId, createdAt, ...rest } of records) {
    const event: PredictionEvent = { ...rest, createdAt: createdAt.toISOString() };
    events.publish(userChannel('predictions', userId), JSON.stringify(event)).catch((error) => {
      // Live events are best effort: history has the prediction whether or not Redis is there.
      logger.debug({ err: error }, 'prediction event not published');
    });
  }
}

/** The viewer's predictions as they complete, optionally of one model; filtered before anything is sent. */
export function predictionStream(
  channels: DecodedChannels,
  em: EntityManager,
  userId: string,
  modelId: string | null,
): AsyncIterable<Prediction> {
  // Ids are UUIDs, which clients may write in either case; events carry them in lower case.
  const wanted = modelId?.toLowerCase() ?? null;
  return userEntityStream<PredictionEvent, Prediction>(
    channels,
    em,
    'predictions',
    userId,
    (event) => wanted === null || event.modelId === wanted,
    (em, event) =>
      em.merge(Prediction, predictionData({ ...event, userId, createdAt: new Date(event.createdAt) })),
  );
}
