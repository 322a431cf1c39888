import type { EntityManager } from '@mikro-orm/postgresql';
import { notFound } from '../../errors.ts';
import { isUuid } from '../../infra/database/uuid7.ts';
import { channelStream, userChannel, userEntityStream } from '../../infra/pubsub/channel-stream.ts';
import type { DecodedChannels } from '../../infra/pubsub/decoded-channels.ts';
import type { EventBus } from '../../infra/pubsub/event-bus.ts';
import type { Logger } from '../../logger.ts';
import {
  OPEN_STATUSES,
  Prediction,
  type PredictionRecord,
  type PredictionStatus,
  predictionData,
} from './prediction.entity.ts';

/** One of the user's predictions as PostgreSQL has it now, read apart from what the caller's manager holds. */
export const loadPrediction = (em: EntityManager, userId: string, id: string) =>
  em.fork().findOne(Prediction, { id, user: userId }, { populate: ['model', 'version'] });

/**
 * A completed prediction as it travels between instances: everything a subscriber's query can ask, or,
 * for a queued prediction (`outputs` null), enough to read it from PostgreSQL: its outputs may be large.
 */
type PredictionEvent = Omit<PredictionRecord, 'userId' | 'createdAt' | 'outputs'> & {
  outputs: PredictionRecord['outputs'] | null;
  createdAt: string;
};

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

/** Tells its owner's subscribers of `predictionCompleted` that a queued prediction succeeded. Best effort. */
export async function announceQueuedPrediction(
  events: EventBus,
  logger: Logger,
  prediction: Prediction,
): Promise<void> {
  const event: PredictionEvent = {
    id: prediction.id,
    modelId: prediction.model.id,
    versionId: prediction.version.id,
    outputs: null,
    cached: prediction.cached,
    latencyMs: prediction.latencyMs,
    createdAt: prediction.createdAt.toISOString(),
  };
  await events
    .publish(userChannel('predictions', prediction.user.id), JSON.stringify(event))
    .catch((error) => logger.debug({ err: error }, 'prediction event not published'));
}

/** The viewer's predictions as they complete, optionally of one model; filtered before anything is sent. */
export function predictionStream(
  channels: DecodedChannels,
  em: EntityManager,
  userId: string,
  modelId: string | null,
): AsyncIterable<Prediction | Promise<Prediction>> {
  // Ids are UUIDs, which clients may write in either case; events carry them in lower case.
  const wanted = modelId?.toLowerCase() ?? null;
  return userEntityStream<PredictionEvent, Prediction | Promise<Prediction>>(
    channels,
    em,
    'predictions',
    userId,
    (event) => wanted === null || event.modelId === wanted,
    (em, { outputs, ...event }) =>
      outputs === null
        ? loadPrediction(em, userId, event.id).then(
            (prediction) => prediction ?? Promise.reject(notFound('Prediction')),
          )
        : em.merge(
            Prediction,
            predictionData({ ...event, outputs, userId, createdAt: new Date(event.createdAt) }),
          ),
  );
}

/**
 * That a prediction changed state, as its owner's subscribers learn of it: its id and new status. They
 * read the rest from PostgreSQL (a big prediction's outputs do not travel through Redis).
 */
type PredictionUpdate = { id: string; status: PredictionStatus };

const isOpen = (status: PredictionStatus) => OPEN_STATUSES.includes(status);

/** Tells the owner's subscribers, on every instance, that a prediction changed. Best effort. */
export async function publishPredictionUpdated(
  events: EventBus,
  logger: Logger,
  userId: string,
  update: PredictionUpdate,
): Promise<void> {
  await events.publish(userChannel('prediction-updates', userId), JSON.stringify(update)).catch((error) => {
    logger.debug({ err: error }, 'prediction update not published');
  });
}

/** How often a watched prediction is read again, in case an update was lost (events are best effort). */
const RECHECK_MS = 30_000;

/**
 * One of the user's predictions as it is now, then again at each change of its status, until it ends
 * (SUCCEEDED, FAILED or CANCELED). NOT_FOUND when it is not theirs. Listening starts before the first
 * read, so no change falls between; ending the iteration (the client unsubscribes) stops listening at
 * once, even while it waits for a change.
 */
export function predictionUpdates(
  channels: DecodedChannels,
  em: EntityManager,
  userId: string,
  id: string,
): AsyncIterableIterator<Prediction> {
  const wanted = id.toLowerCase();
  const updates = channelStream<PredictionUpdate, PredictionUpdate>(
    channels,
    userChannel('prediction-updates', userId),
    (update) => update.id === wanted,
    (update) => update,
  );
  /** The status last sent; null before the first. */
  let sent: PredictionStatus | null = null;
  let finished = false;
  let pending: Promise<IteratorResult<PredictionUpdate>> | null = null;
  const finish = async (): Promise<IteratorResult<Prediction>> => {
    finished = true;
    await updates.return?.();
    return { value: undefined, done: true };
  };
  /** The next update, or nothing after RECHECK_MS; an update that comes later is kept for the next wait. */
  const changed = async (): Promise<boolean> => {
    pending ??= updates.next();
    let timer: NodeJS.Timeout | undefined;
    const recheck = new Promise<'recheck'>((resolve) => {
      timer = setTimeout(() => resolve('recheck'), RECHECK_MS);
    });
    const result = await Promise.race([pending, recheck]);
    clearTimeout(timer);
    if (result === 'recheck') return true;
    pending = null;
    return !result.done;
  };
  return {
    async next() {
      while (!finished) {
        if (sent === null) {
          await updates.subscribed;
          const prediction = isUuid(wanted) ? await loadPrediction(em, userId, wanted) : null;
          if (!prediction) {
            await finish();
            throw notFound('Prediction');
          }
          sent = prediction.status;
          return { value: prediction, done: false };
        }
        if (!isOpen(sent) || !(await changed()) || finished) break;
        const prediction = await loadPrediction(em, userId, wanted);
        if (!prediction) break;
        // An update published between listening and the first read tells what that read already did.
        if (prediction.status === sent) continue;
        sent = prediction.status;
        return { value: prediction, done: false };
      }
      return finish();
    },
    return: finish,
    async throw(error) {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * Listens, from now on, for the end of one of the user's predictions: `wait(ms)` resolves when it has
 * ended or `ms` have passed, whichever is first; `stop` stops listening. Listening before the prediction
 * is queued, a caller cannot miss its end.
 */
export async function listenForEnd(
  channels: DecodedChannels,
  userId: string,
  id: string,
): Promise<{ wait(ms: number): Promise<void>; stop(): Promise<void> }> {
  let ended!: () => void;
  const end = new Promise<void>((resolve) => {
    ended = resolve;
  });
  const unsubscribe = await channels.subscribe<PredictionUpdate>(
    userChannel('prediction-updates', userId),
    (update) => {
      if (update.id === id && !isOpen(update.status)) ended();
    },
  );
  let timer: NodeJS.Timeout | undefined;
  return {
    wait: (ms) => Promise.race([end, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]),
    async stop() {
      clearTimeout(timer);
      await unsubscribe();
    },
  };
}
