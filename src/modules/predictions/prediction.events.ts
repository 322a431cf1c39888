import type { Context } from '../../context.ts';
import { entityStream, userChannel } from '../../infra/pubsub/channel-stream.ts';
import { Prediction, type TensorOutputs } from './prediction.entity.ts';

/** A completed prediction as it travels between instances: everything a subscriber's query can ask. */
type PredictionEvent = {
  id: string;
  modelId: string;
  versionId: string;
  outputs: TensorOutputs;
  cached: boolean;
  latencyMs: number;
  createdAt: string;
};

export async function publishPredictionCompleted(
  ctx: Context,
  userId: string,
  prediction: Prediction,
): Promise<void> {
  const event: PredictionEvent = {
    id: prediction.id,
    modelId: prediction.model.id,
    versionId: prediction.version.id,
    outputs: prediction.outputs,
    cached: prediction.cached,
    latencyMs: prediction.latencyMs,
    createdAt: prediction.createdAt.toISOString(),
  };
  await ctx.services.events
    .publish(userChannel('predictions', userId), JSON.stringify(event))
    .catch((error) => {
      // Live events are best effort: a prediction never fails because Redis is away.
      ctx.services.logger.debug({ err: error }, 'prediction event not published');
    });
}

/** The viewer's predictions as they complete, optionally of one model; filtered before anything is sent. */
export function predictionStream(
  ctx: Context,
  userId: string,
  modelId: string | null,
): AsyncIterable<Prediction> {
  return entityStream(
    ctx.services.events,
    ctx.em,
    userChannel('predictions', userId),
    (message) => {
      const event = JSON.parse(message) as PredictionEvent;
      return modelId === null || event.modelId === modelId ? event : null;
    },
    (em, event) =>
      em.merge(Prediction, {
        id: event.id,
        user: userId,
        model: event.modelId,
        version: event.versionId,
        outputs: event.outputs,
        cached: event.cached,
        latencyMs: event.latencyMs,
        createdAt: new Date(event.createdAt),
      }),
  );
}
