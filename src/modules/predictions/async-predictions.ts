import { type EntityManager, LockMode } from '@mikro-orm/postgresql';
import type { Tier } from '../../config.ts';
import { badUserInput, notFound } from '../../errors.ts';
import type { Orm } from '../../infra/database/orm.ts';
import { isUuid, uuidv7 } from '../../infra/database/uuid7.ts';
import { encodeTensorMap, type TensorMap } from '../../infra/inference/tensor-data.ts';
import type { DecodedChannels } from '../../infra/pubsub/decoded-channels.ts';
import type { JobQueue } from '../../infra/queue/job-queue.ts';
import { User } from '../users/user.entity.ts';
import {
  OPEN_STATUSES,
  Prediction,
  PredictionInputs,
  type PredictionWebhookEvent,
} from './prediction.entity.ts';
import { listenForEnd, loadPrediction, publishPredictionUpdated } from './prediction.events.ts';
import {
  announceEnd,
  DEADLINE_EXCEEDED,
  endPrediction,
  type LifecycleDeps,
  type PredictionEnd,
  predictionEvent,
  STILL_OPEN,
} from './prediction-lifecycle.ts';
import { checkedFeeds, type PredictionRuns, type PredictTarget } from './prediction-runs.ts';

/** The longest a `createPrediction` call holds its request (`wait`), as Replicate's `Prefer: wait`. */
export const MAX_WAIT_SECONDS = 60;
/** The longest deadline a prediction may have (`cancelAfter`): a day. */
export const MAX_CANCEL_AFTER_SECONDS = 86_400;
/** How often each API instance fails the open predictions whose deadline passed. */
const SWEEP_INTERVAL_MS = 1000;

export type CreatePredictionInput = {
  modelId: string;
  version?: number | null;
  inputs?: unknown;
  cache?: boolean | null;
  /** Seconds from now after which it fails with DEADLINE_EXCEEDED unless it has ended. */
  cancelAfter?: number | null;
  /** Seconds to hold the request for it to end. */
  wait?: number | null;
  /** A URL told of it (signed with the user's prediction webhook secret), of `webhookEvents`. */
  webhook?: string | null;
  /** Default: COMPLETED. */
  webhookEvents?: PredictionWebhookEvent[] | null;
};

export type AsyncPredictionsDeps = LifecycleDeps & {
  orm: Orm;
  runs: PredictionRuns;
  queue: JobQueue;
  channels: DecodedChannels;
  /** The most numbers one `createPrediction` may send across all its inputs. */
  maxInputElements: number;
  /** How long a prediction stays open before it is queued again, in case its job was lost; and how often. */
  requeueAfterMs: number;
  /** Queued predictions a user may have open at once, by tier. */
  maxOpen: Record<Tier, number>;
};

function seconds(value: number | null | undefined, field: string, max: number): number | null {
  if (value == null) return null;
  if (!Number.isInteger(value) || value < 0 || value > max)
    throw badUserInput(`${field} must be a whole number of seconds from 0 to ${max}`, field);
  return value;
}

/**
 * Predictions that outlive a request: created here (the API), queued, run by whichever worker takes
 * them (run-queued-prediction.ts), watched, cancelled, and failed when their deadline passes.
 */
export class AsyncPredictions {
  readonly #deps: AsyncPredictionsDeps;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #running = new Set<Promise<void>>();

  constructor(deps: AsyncPredictionsDeps) {
    this.#deps = deps;
  }

  /**
   * A new prediction, STARTING, its inputs checked and stored and its job queued; after `wait` seconds
   * at most, or as soon as it ends, as it stands then. `admitted` settles when the call's limits let it
   * through: nothing is stored before.
   */
  async create(
    em: EntityManager,
    userId: string,
    input: CreatePredictionInput,
    admitted: Promise<void>,
  ): Promise<Prediction> {
    const cancelAfter = seconds(input.cancelAfter, 'cancelAfter', MAX_CANCEL_AFTER_SECONDS);
    const wait = seconds(input.wait, 'wait', MAX_WAIT_SECONDS) ?? 0;
    const target = await this.#deps.runs.target(em, userId, input.modelId, input.version ?? null);
    const feeds = checkedFeeds(target.version.inputs, input.inputs, this.#deps.maxInputElements);
    const webhook = input.webhook
      ? {
          url: await this.#deps.webhooks.checkUrl(input.webhook, 'webhook'),
          events: [...new Set<PredictionWebhookEvent>(input.webhookEvents ?? ['COMPLETED'])],
        }
      : null;
    await admitted;
    if (webhook) await this.#deps.webhooks.ensurePredictionSecret(em, userId);
    const id = uuidv7();
    // Listening starts before anything is stored: a failure to listen leaves nothing behind.
    const listening = wait > 0 ? await listenForEnd(this.#deps.channels, userId, id) : null;
    try {
      await this.#store(em, {
        userId,
        id,
        target,
        feeds,
        cache: input.cache !== false,
        cancelAfter,
        webhook,
      });
      await this.#deps.queue.enqueue(id).catch(async (error) => {
        // Never left STARTING with nothing queued to run it.
        const failed: PredictionEnd = {
          status: 'FAILED',
          code: 'INTERNAL_SERVER_ERROR',
          message: 'it could not be queued',
        };
        await endPrediction(this.#deps, em, id, failed);
        throw error;
      });
      await listening?.wait(wait * 1000);
    } finally {
      await listening?.stop();
    }
    return (await loadPrediction(em, userId, id))!;
  }

  /**
   * The prediction, STARTING, and its inputs, in one transaction, unless the user has as many open as
   * their tier allows (BAD_USER_INPUT); then its owner is told.
   */
  async #store(
    em: EntityManager,
    fresh: {
      userId: string;
      id: string;
      target: PredictTarget;
      feeds: TensorMap;
      cache: boolean;
      cancelAfter: number | null;
      webhook: { url: string; events: PredictionWebhookEvent[] } | null;
    },
  ): Promise<void> {
    const { userId, id, target, feeds, cache, cancelAfter, webhook } = fresh;
    await em.transactional(async (tx) => {
      // The user's row lock makes concurrent creations count each other.
      const { tier } = await tx.findOneOrFail(User, userId, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const limit = this.#deps.maxOpen[tier as Tier];
      const open = await tx.count(Prediction, { user: userId, status: { $in: [...OPEN_STATUSES] } });
      if (open >= limit) {
        throw badUserInput(
          `You have ${open} queued prediction${open === 1 ? '' : 's'} not yet ended, the most the ${tier} tier allows`,
        );
      }
      const prediction = tx.create(Prediction, {
        id,
        user: userId,
        model: target.model.id,
        version: target.version.id,
        status: 'STARTING',
        outputs: null,
        deadline: cancelAfter === null ? null : new Date(Date.now() + cancelAfter * 1000),
        webhookUrl: webhook?.url ?? null,
        webhookEvents: webhook?.events ?? null,
      });
      tx.create(PredictionInputs, { prediction, feeds: encodeTensorMap(feeds), cache });
    });
    await publishPredictionUpdated(this.#deps.events, this.#deps.logger, userId, { id, status: 'STARTING' });
  }

  /** Cancels one of the user's predictions unless it has ended; it as it stands after. */
  async cancel(em: EntityManager, userId: string, id: string): Promise<Prediction> {
    if (!isUuid(id)) throw notFound('Prediction');
    const own = id.toLowerCase();
    await endPrediction(this.#deps, em, own, { status: 'CANCELED' }, { ...STILL_OPEN, user: userId });
    const prediction = await loadPrediction(em, userId, own);
    if (!prediction) throw notFound('Prediction');
    return prediction;
  }

  /**
   * Until `close`: fails every open prediction whose deadline has passed (each second), and queues again
   * those open for a while (each `requeueAfterMs`), in case their job was lost.
   */
  startSweeping(): void {
    this.#every(SWEEP_INTERVAL_MS, () => this.sweep(), 'deadline sweep failed');
    this.#every(
      this.#deps.requeueAfterMs,
      () => this.requeueStranded(),
      'stranded predictions not queued again',
    );
  }

  /**
   * Fails the open predictions whose deadline has passed. Any number of instances may sweep at once:
   * each prediction is failed, and announced, by one of them.
   */
  async sweep(): Promise<void> {
    const em = this.#deps.orm.em.fork();
    // The failures and their webhook deliveries, stored together.
    const ended = await em.transactional(async (tx) => {
      const rows = await tx.execute<{ id: string }[]>(
        `update "predictions"
            set "status" = 'FAILED', "completed_at" = now(), "error_code" = ?, "error_message" = ?
          where "status" in (${OPEN_STATUSES.map(() => '?').join(', ')})
            and "deadline" is not null and "deadline" <= now()
          returning "id"`,
        [DEADLINE_EXCEEDED, 'the prediction did not end before its deadline (cancelAfter)', ...OPEN_STATUSES],
      );
      if (rows.length === 0) return [];
      const failed = await tx.find(
        Prediction,
        { id: { $in: rows.map(({ id }) => id) } },
        { populate: ['version'], refresh: true },
      );
      for (const prediction of failed) {
        await this.#deps.webhooks.record(tx, predictionEvent(prediction, 'prediction.completed'));
      }
      return failed;
    });
    for (const prediction of ended) {
      // Failed already: one that cannot be announced does not keep the others from it.
      await announceEnd(this.#deps, em, prediction).catch((error) =>
        this.#deps.logger.warn({ err: error, predictionId: prediction.id }, 'prediction end not announced'),
      );
    }
  }

  /**
   * Queues again the predictions open for over `requeueAfterMs`. The queue takes a job id once, so those
   * still queued or running are left as they are; one whose job is gone (its retries spent while
   * PostgreSQL was away, or a process without Redis that restarted) runs again, up to its attempts.
   */
  async requeueStranded(): Promise<void> {
    const rows = await this.#deps.orm.em.fork().execute<{ id: string }[]>(
      `select "id" from "predictions"
        where "status" in (${OPEN_STATUSES.map(() => '?').join(', ')})
          and "created_at" < now() - make_interval(secs => ?)
        order by "created_at" limit 100`,
      [...OPEN_STATUSES, this.#deps.requeueAfterMs / 1000],
    );
    for (const { id } of rows) await this.#deps.queue.enqueue(id);
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    await Promise.all(this.#running);
  }

  /** Runs `work` every `ms`, never two at once. */
  #every(ms: number, work: () => Promise<void>, failure: string): void {
    let running: Promise<void> | null = null;
    const timer = setInterval(() => {
      if (running) return;
      running = work()
        .catch((error) => this.#deps.logger.warn({ err: error }, failure))
        .finally(() => {
          this.#running.delete(running!);
          running = null;
        });
      this.#running.add(running);
    }, ms);
    timer.unref();
    this.#timers.push(timer);
  }
}
