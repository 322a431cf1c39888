import type { EntityManager } from '@mikro-orm/postgresql';
import { GraphQLError } from 'graphql';
import type { Orm } from '../../infra/database/orm.ts';
import { decodeTensorMap } from '../../infra/inference/tensor-data.ts';
import type { EventBus } from '../../infra/pubsub/event-bus.ts';
import { type JobPayload, PREDICTION_QUEUE, runTraced } from '../../infra/queue/job-queue.ts';
import type { Tracing } from '../../infra/telemetry/tracing.ts';
import type { Logger } from '../../logger.ts';
import type { Webhooks } from '../webhooks/webhooks.service.ts';
import { Prediction, PredictionInputs } from './prediction.entity.ts';
import { publishPredictionUpdated } from './prediction.events.ts';

import { endPrediction, predictionEvent, STILL_OPEN } from './prediction-lifecycle.ts';
import { jsonOutputs, type PredictionRuns } from './prediction-runs.ts';

export type QueuedPredictionDeps = {
  orm: Orm;
  runs: PredictionRuns;
  events: EventBus;
  logger: Logger;
  tracing: Tracing;
  webhooks: Webhooks;
};

/**
 * Runs of one prediction, by workers that died while running it too: past this, it FAILED instead of
 * being run again (a model that kills its worker, PostgreSQL away for long).
 */
const MAX_ATTEMPTS = 4;

/**
 * Takes a queued prediction: PROCESSING (again, when a worker died running it) unless it has ended, its
 * deadline has passed (the sweep fails it then) or it has been tried MAX_ATTEMPTS times. Null when there
 * is nothing to run.
 */
async function claim(em: EntityManager, id: string): Promise<{ attempts: number } | null> {
  const rows = await em.execute<{ attempts: number }[]>(
    `update "predictions"
        set "status" = 'PROCESSING', "started_at" = coalesce("started_at", now()), "attempts" = "attempts" + 1
      where "id" = ? and "status" in ('STARTING', 'PROCESSING') and ("deadline" is null or "deadline" > now())
        and "attempts" < ?
      returning "attempts"`,
    [id, MAX_ATTEMPTS],
  );
  return rows[0] ?? null;
}

/** What a worker's run may end: a prediction it took that nobody ended meanwhile. */
const RUNNING = { status: 'PROCESSING' } as const;

const GAVE_UP = {
  status: 'FAILED',
  code: 'INTERNAL_SERVER_ERROR',
  message: 'the prediction could not be run',
} as const;

/** Runs a prediction a worker took from the queue, in the trace of the call that created it. */
export function runQueuedPrediction(deps: QueuedPredictionDeps, payload: JobPayload): Promise<void> {
  return runTraced(deps.tracing, PREDICTION_QUEUE, payload, () => runPrediction(deps, payload.jobId));
}

async function runPrediction(deps: QueuedPredictionDeps, id: string): Promise<void> {
  const em = deps.orm.em.fork();
  const claimed = await em.transactional(async (tx) => {
    const taken = await claim(tx, id);
    // Its first start is announced to webhooks, with the claim; a start after a worker died is not.
    if (taken?.attempts === 1) {
      const started = await tx.findOneOrFail(Prediction, id, { populate: ['version'], refresh: true });
      await deps.webhooks.record(tx, predictionEvent(started, 'prediction.started'));
    }
    return taken;
  });
  if (!claimed) {
    // Open still, after every attempt it had: it ends here.
    await endPrediction(deps, em, id, GAVE_UP, { ...STILL_OPEN, attempts: { $gte: MAX_ATTEMPTS } });
    return;
  }
  const prediction = await em.findOneOrFail(Prediction, id, { populate: ['version'] });
  const userId = prediction.user.id;
  await publishPredictionUpdated(deps.events, deps.logger, userId, { id, status: 'PROCESSING' });
  const inputs = await em.findOne(PredictionInputs, { prediction: id });
  // Ended between the claim and here (a cancel): its inputs are gone.
  if (!inputs) return;
  try {
    const version = prediction.version.getEntity();
    const target = await deps.runs.target(em, userId, prediction.model.id, version.version);
    const outcome = await deps.runs.run(em, userId, target, decodeTensorMap(inputs.feeds), {
      cache: inputs.cache,
      admitted: Promise.resolve(),
    });
    const outputs = jsonOutputs(outcome.outputs);
    await endPrediction(deps, em, id, { status: 'SUCCEEDED', ...outcome, outputs }, RUNNING);
  } catch (error) {
    if (error instanceof GraphQLError && typeof error.extensions.code === 'string') {
      // What the caller of `predict` would have been told (INFERENCE_FAILED, MODEL_QUARANTINED…).
      const failed = { status: 'FAILED', code: error.extensions.code, message: error.message } as const;
      await endPrediction(deps, em, id, failed, RUNNING);
      return;
    }
    deps.logger.error({ err: error, predictionId: id, attempts: claimed.attempts }, 'prediction run failed');
    if (claimed.attempts < MAX_ATTEMPTS) throw error;
    await endPrediction(deps, em, id, GAVE_UP, RUNNING);
  }
}
