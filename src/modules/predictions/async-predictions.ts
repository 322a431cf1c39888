import type { EntityManager } from '@mikro-orm/postgresql';
import { badUserInput, notFound } from '../../errors.ts';
import type { Orm } from '../../infra/database/orm.ts';
import { isUuid } from '../../infra/database/uuid7.ts';
import { encodeTensorMap } from '../../infra/inference/tensor-data.ts';
import type { DecodedChannels } from '../../infra/pubsub/decoded-channels.ts';
import type { JobQueue } from '../../infra/queue/job-queue.ts';
import { OPEN_STATUSES, Prediction, PredictionInputs } from './prediction.entity.ts';
import { listenForEnd, publishPredictionUpdated } from './prediction.events.ts';
import { announceEnd, DEADLINE_EXCEEDED, endPrediction, type LifecycleDeps } from './prediction-lifecycle.ts';
import { checkedFeeds, type PredictionRuns } from './prediction-runs.ts';

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
};

export type AsyncPredictionsDeps = LifecycleDeps & {
  orm: Orm;
  runs: PredictionRuns;
  queue: JobQueue;
  channels: DecodedChannels;
  /** The most numbers one `createPrediction` may send across all its inputs. */
  maxInputElements: number;
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
  #sweeping: NodeJS.Timeout | null = null;
  #sweep: Promise<void> = Promise.resolve();

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
    await admitted;
    const prediction = em.create(Prediction, {
      user: userId,
      model: target.model.id,
      version: target.version.id,
      status: 'STARTING',
      outputs: null,
      deadline: cancelAfter === null ? null : new Date(Date.now() + cancelAfter * 1000),
    });
    em.create(PredictionInputs, { prediction, feeds: encodeTensorMap(feeds), cache: input.cache !== false });
    await em.flush();
    const { id } = prediction;
    const listening = wait > 0 ? await listenForEnd(this.#deps.channels, userId, id) : null;
    try {
      await publishPredictionUpdated(this.#deps.events, this.#deps.logger, userId, {
        id,
        status: 'STARTING',
      });
      await this.#deps.queue.enqueue(id).catch(async (error) => {
        // Never left STARTING with nothing queued to run it.
        const failed = {
          status: 'FAILED',
          code: 'INTERNAL_SERVER_ERROR',
          message: 'it could not be queued',
        } as const;
        await endPrediction(this.#deps, em, id, failed);
        throw error;
      });
      await listening?.wait(wait * 1000);
    } finally {
      await listening?.stop();
    }
    return this.#read(em, userId, id);
  }

  /** Cancels one of the user's predictions unless it has ended; it as it stands after. */
  async cancel(em: EntityManager, userId: string, id: string): Promise<Prediction> {
    const own = isUuid(id) && (await em.fork().count(Prediction, { id: id.toLowerCase(), user: userId })) > 0;
    if (!own) throw notFound('Prediction');
    await endPrediction(this.#deps, em, id.toLowerCase(), { status: 'CANCELED' });
    return this.#read(em, userId, id.toLowerCase());
  }

  /** Fails every open prediction whose deadline has passed, on a timer, until `close`. */
  startSweeping(): void {
    this.#sweeping = setInterval(() => {
      this.#sweep = this.#sweep.then(() =>
        this.sweep().catch((error) => this.#deps.logger.warn({ err: error }, 'deadline sweep failed')),
      );
    }, SWEEP_INTERVAL_MS);
    this.#sweeping.unref();
  }

  /**
   * Fails the open predictions whose deadline has passed. Any number of instances may sweep at once:
   * each prediction is failed, and announced, by one of them.
   */
  async sweep(): Promise<void> {
    const em = this.#deps.orm.em.fork();
    const ended = await em.execute<{ id: string }[]>(
      `update "predictions"
          set "status" = 'FAILED', "completed_at" = now(), "error_code" = ?, "error_message" = ?
        where "status" in (${OPEN_STATUSES.map(() => '?').join(', ')})
          and "deadline" is not null and "deadline" <= now()
        returning "id"`,
      [DEADLINE_EXCEEDED, 'the prediction did not end before its deadline (cancelAfter)', ...OPEN_STATUSES],
    );
    for (const { id } of ended) await announceEnd(this.#deps, em, id);
  }

  async close(): Promise<void> {
    if (this.#sweeping) clearInterval(this.#sweeping);
    await this.#sweep;
  }

  #read(em: EntityManager, userId: string, id: string): Promise<Prediction> {
    return em.fork().findOneOrFail(Prediction, { id, user: userId }, { populate: ['model', 'version'] });
  }
}
