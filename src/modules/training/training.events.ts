import type { EntityManager } from '@mikro-orm/postgresql';
import { userChannel, userEntityStream } from '../../infra/pubsub/channel-stream.ts';
import type { DecodedChannels } from '../../infra/pubsub/decoded-channels.ts';
import type { EventBus } from '../../infra/pubsub/event-bus.ts';
import type { Logger } from '../../logger.ts';
import type { WebhookEvent, Webhooks } from '../webhooks/webhooks.service.ts';
import { TrainingJob, type TrainingMetrics } from './training-job.entity.ts';

type TrainingJobEvent = {
  id: string;
  modelId: string;
  algorithm: TrainingJob['algorithm'];
  status: TrainingJob['status'];
  progress: number;
  metrics: TrainingMetrics | null;
  error: string | null;
  resultVersionId: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
};

export type TrainingAnnouncer = { events: EventBus; logger: Logger; webhooks: Pick<Webhooks, 'recordAfter'> };

function eventOf(job: TrainingJob): TrainingJobEvent {
  return {
    id: job.id,
    modelId: job.model.id,
    algorithm: job.algorithm,
    status: job.status,
    progress: job.progress,
    metrics: job.metrics ?? null,
    error: job.error ?? null,
    resultVersionId: job.resultVersion?.id ?? null,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}

/** A job's state as its owner's webhooks subscribed to TRAINING_JOB_UPDATED are told it. */
export function trainingJobWebhook(job: TrainingJob): WebhookEvent {
  return { userId: job.user.id, type: 'training_job.updated', objectId: job.id, data: () => eventOf(job) };
}

/** Tells a job's current state to its owner's subscribers, on every instance. Best effort. */
export async function publishTrainingJobUpdated(
  events: EventBus,
  logger: Logger,
  job: TrainingJob,
): Promise<void> {
  await events.publish(userChannel('training', job.user.id), JSON.stringify(eventOf(job))).catch((error) => {
    logger.debug({ err: error }, 'training event not published');
  });
}

/**
 * Announces a change of a job's status, after it was stored: to its owner's webhooks (recorded, then
 * delivered at least once) and subscribers.
 */
export async function announceTrainingJob(deps: TrainingAnnouncer, job: TrainingJob): Promise<void> {
  await deps.webhooks.recordAfter(trainingJobWebhook(job));
  await publishTrainingJobUpdated(deps.events, deps.logger, job);
}

function toEntity(em: EntityManager, userId: string, event: TrainingJobEvent): TrainingJob {
  return em.merge(TrainingJob, {
    id: event.id,
    user: userId,
    model: event.modelId,
    algorithm: event.algorithm,
    status: event.status,
    progress: event.progress,
    metrics: event.metrics,
    error: event.error,
    resultVersion: event.resultVersionId,
    createdAt: new Date(event.createdAt),
    startedAt: event.startedAt ? new Date(event.startedAt) : null,
    finishedAt: event.finishedAt ? new Date(event.finishedAt) : null,
  });
}

export function trainingJobStream(
  channels: DecodedChannels,
  em: EntityManager,
  userId: string,
  jobId: string | null,
): AsyncIterable<TrainingJob> {
  // Ids are UUIDs, which clients may write in either case; events carry them in lower case.
  const wanted = jobId?.toLowerCase() ?? null;
  return userEntityStream<TrainingJobEvent, TrainingJob>(
    channels,
    em,
    'training',
    userId,
    (event) => wanted === null || event.id === wanted,
    (em, event) => toEntity(em, userId, event),
  );
}
