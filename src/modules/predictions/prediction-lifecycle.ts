import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import type { EventBus } from '../../infra/pubsub/event-bus.ts';
import type { Logger } from '../../logger.ts';
import type { WebhookEvent, WebhookEventType, Webhooks } from '../webhooks/webhooks.service.ts';
import { OPEN_STATUSES, Prediction, PredictionInputs, type TensorOutputs } from './prediction.entity.ts';
import { announceQueuedPrediction, publishPredictionUpdated } from './prediction.events.ts';

/** How an open prediction ends. */
export type PredictionEnd =
  | { status: 'SUCCEEDED'; outputs: TensorOutputs; cached: boolean; latencyMs: number }
  | { status: 'FAILED'; code: string; message: string }
  | { status: 'CANCELED' };

export type LifecycleDeps = { events: EventBus; logger: Logger; webhooks: Webhooks };

/** Error codes of a prediction that failed, beyond the run's own (INFERENCE_FAILED…). */
export const DEADLINE_EXCEEDED = 'DEADLINE_EXCEEDED';

/** Any prediction that has not ended. */
export const STILL_OPEN = { status: { $in: [...OPEN_STATUSES] } };

/**
 * Ends the prediction if it is still as `only` says (open, by default), once: whoever comes first (the
 * worker that ran it, a cancel, the deadline sweep, another worker after one died) ends it, and the
 * others find it ended (false). The end and its webhook deliveries are stored in one transaction. Its
 * inputs go, and its owner's subscribers hear of it.
 */
export async function endPrediction(
  deps: LifecycleDeps,
  em: EntityManager,
  id: string,
  end: PredictionEnd,
  only: FilterQuery<Prediction> = STILL_OPEN,
): Promise<boolean> {
  const fields =
    end.status === 'SUCCEEDED'
      ? { outputs: end.outputs, cached: end.cached, latencyMs: end.latencyMs }
      : end.status === 'FAILED'
        ? { errorCode: end.code, errorMessage: end.message }
        : {};
  const ended = await em.transactional(async (tx) => {
    const updated = await tx.nativeUpdate(
      Prediction,
      { ...(only as object), id },
      { status: end.status, completedAt: new Date(), ...fields },
    );
    if (updated === 0) return { updated: false, prediction: null };
    // As it is now: the caller's identity map may hold it as it was. Gone with its model or its owner
    // meanwhile: nobody to tell.
    const prediction = await tx.findOne(Prediction, id, { populate: ['version'], refresh: true });
    if (prediction) await deps.webhooks.record(tx, predictionEvent(prediction, 'prediction.completed'));
    return { updated: true, prediction };
  });
  if (ended.prediction) await announceEnd(deps, em, ended.prediction);
  return ended.updated;
}

/** A prediction's outputs are sent in its webhook's payload up to this size (JSON); beyond, read them. */
const MAX_WEBHOOK_OUTPUTS_BYTES = 256 * 1024;

/** What a webhook is told of a queued prediction: what `prediction(id)` would answer, mostly. */
export function predictionEvent(
  prediction: Prediction,
  type: Extract<WebhookEventType, `prediction.${string}`>,
): WebhookEvent {
  const wanted = type === 'prediction.started' ? 'START' : 'COMPLETED';
  const own = prediction.webhookUrl && prediction.webhookEvents?.includes(wanted);
  return {
    userId: prediction.user.id,
    type,
    objectId: prediction.id,
    prediction: own ? { id: prediction.id, webhookUrl: prediction.webhookUrl! } : null,
    data: () => {
      const outputs = prediction.outputs ? JSON.stringify(prediction.outputs) : null;
      const sent = outputs !== null && outputs.length <= MAX_WEBHOOK_OUTPUTS_BYTES;
      return {
        id: prediction.id,
        status: prediction.status,
        modelId: prediction.model.id,
        version: prediction.version.getEntity().version,
        outputs: sent ? prediction.outputs : null,
        // Too large to send: `prediction(id)` has them.
        ...(outputs !== null && !sent ? { outputsOmitted: true } : {}),
        error: prediction.errorCode ? { code: prediction.errorCode, message: prediction.errorMessage } : null,
        createdAt: prediction.createdAt.toISOString(),
        startedAt: prediction.startedAt?.toISOString() ?? null,
        completedAt: prediction.completedAt?.toISOString() ?? null,
      };
    },
  };
}

/**
 * After a prediction ended (as read where it was ended): its inputs dropped, its owner told (and, when
 * it succeeded, its completion).
 */
export async function announceEnd(
  deps: LifecycleDeps,
  em: EntityManager,
  prediction: Prediction,
): Promise<void> {
  const { id } = prediction;
  await em.nativeDelete(PredictionInputs, { prediction: id });
  await publishPredictionUpdated(deps.events, deps.logger, prediction.user.id, {
    id,
    status: prediction.status,
  });
  if (prediction.status === 'SUCCEEDED') await announceQueuedPrediction(deps.events, deps.logger, prediction);
}
