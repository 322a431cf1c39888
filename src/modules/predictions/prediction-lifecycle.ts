import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import type { EventBus } from '../../infra/pubsub/event-bus.ts';
import type { Logger } from '../../logger.ts';
import { OPEN_STATUSES, Prediction, PredictionInputs, type TensorOutputs } from './prediction.entity.ts';
import { announceQueuedPrediction, publishPredictionUpdated } from './prediction.events.ts';

/** How an open prediction ends. */
export type PredictionEnd =
  | { status: 'SUCCEEDED'; outputs: TensorOutputs; cached: boolean; latencyMs: number }
  | { status: 'FAILED'; code: string; message: string }
  | { status: 'CANCELED' };

export type LifecycleDeps = { events: EventBus; logger: Logger };

/** Error codes of a prediction that failed, beyond the run's own (INFERENCE_FAILED…). */
export const DEADLINE_EXCEEDED = 'DEADLINE_EXCEEDED';

/** Any prediction that has not ended. */
export const STILL_OPEN = { status: { $in: [...OPEN_STATUSES] } };

/**
 * Ends the prediction if it is still as `only` says (open, by default), once: whoever comes first (the
 * worker that ran it, a cancel, the deadline sweep, another worker after one died) ends it, and the
 * others find it ended (false). Its inputs go, and its owner's subscribers hear of it.
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
  const ended = await em.nativeUpdate(
    Prediction,
    { ...(only as object), id },
    { status: end.status, completedAt: new Date(), ...fields },
  );
  if (ended === 0) return false;
  await announceEnd(deps, em, id);
  return true;
}

/** After a prediction ended: its inputs dropped, its owner told (and, when it succeeded, its completion). */
export async function announceEnd(deps: LifecycleDeps, em: EntityManager, id: string): Promise<void> {
  await em.nativeDelete(PredictionInputs, { prediction: id });
  // Gone with its model or its owner meanwhile: nobody to tell.
  const prediction = await em.fork().findOne(Prediction, id, { populate: ['model', 'version'] });
  if (!prediction) return;
  await publishPredictionUpdated(deps.events, deps.logger, prediction.user.id, {
    id,
    status: prediction.status,
  });
  if (prediction.status === 'SUCCEEDED') await announceQueuedPrediction(deps.events, deps.logger, prediction);
}
