import type { BatchingConfig } from '../../config.ts';
import { batchKey, concatRows, rowCount, splitRows } from './batch-rows.ts';
import { InferenceError } from './inference-errors.ts';
import type { InferenceJob, JobRunner, LoadBytes } from './inference-job.ts';
import type { TensorMap } from './tensor-data.ts';

type Waiting = {
  job: InferenceJob;
  /** When it arrived (ms): no call waits longer than the window for company. */
  arrivedAt: number;
  loadBytes: LoadBytes;
  rows: number;
  resolve(outputs: TensorMap): void;
  reject(error: unknown): void;
};

type Queue = {
  /** How this version batches: the server's defaults with its model's overrides. */
  policy: BatchingConfig;
  waiting: Waiting[];
  rows: number;
  inFlight: number;
  /** The window has passed (or a batch just finished): what waits runs as soon as a slot is free. */
  due: boolean;
  /** Cancels the armed window, if any. */
  cancelWindow: (() => void) | null;
};

/**
 * Gathers concurrent runs of one model version into one onnxruntime call: rows are stacked along the
 * batch axis and each caller gets its own rows back. 64 separate runs of a small model cost about 50
 * times one run of 64 rows. At most `runner.parallelism` batches of a version are in flight; whatever
 * arrives meanwhile forms the next batch, so batches grow with load, and with no window (the default) a
 * lone call runs at once. A window lets calls wait for company, up to `windowMs`, or until they make up
 * one of the preferred batch sizes (as Triton's dynamic batcher does).
 *
 * A batch that the model fails on (one caller's inputs make it throw) is retried one caller at a time,
 * so a bad input fails only its own request. Any other failure (a deadline, a crashed worker, outputs
 * over the cap) is the model's, not an input's: retrying would only repeat it, so the batch fails whole.
 * All callers of one batch are calls of one version, so of its owner.
 */
/** Whether what waits may run without waiting longer: no window, a full batch, or a preferred size. */
function full(queue: Queue): boolean {
  const { windowMs, maxRows, preferredRows } = queue.policy;
  return (
    windowMs === 0 || queue.rows >= maxRows || (preferredRows.length > 0 && queue.rows >= preferredRows[0]!)
  );
}

export class MicroBatcher {
  readonly #runner: JobRunner;
  readonly #queues = new Map<string, Queue>();
  /** Versions whose outputs turned out not to have a row per input row: they run unbatched. */
  readonly #unbatchable = new Set<string>();

  constructor(runner: JobRunner) {
    this.#runner = runner;
  }

  run(job: InferenceJob, loadBytes: LoadBytes, policy: BatchingConfig): Promise<TensorMap> {
    const rows = rowCount(job.feeds);
    // Inputs of different lengths (a query and its documents, say) are not rows of one batch.
    const sameRows = Object.values(job.feeds).every((tensor) => tensor.dims[0] === rows);
    if (!sameRows || this.#unbatchable.has(job.versionId)) return this.#runner.run(job, loadBytes);
    const key = `${job.versionId}\0${job.outputNames.join('\0')}\0${batchKey(job.feeds)}`;
    let queue = this.#queues.get(key);
    if (!queue) {
      queue = { policy, waiting: [], rows: 0, inFlight: 0, due: false, cancelWindow: null };
      this.#queues.set(key, queue);
    }
    // A model's batching changed: the calls from now on say so.
    queue.policy = policy;
    return new Promise((resolve, reject) => {
      queue.waiting.push({ job, loadBytes, rows, resolve, reject, arrivedAt: performance.now() });
      queue.rows += rows;
      this.#pump(key, queue);
    });
  }

  forget(versionId: string): void {
    this.#unbatchable.delete(versionId);
  }

  /** Fails every call of `versionId` still waiting for its batch (e.g. the version was quarantined). */
  dropWaiting(versionId: string, error: Error): void {
    for (const queue of this.#queues.values()) {
      const dropped = queue.waiting.filter((waiting) => waiting.job.versionId === versionId);
      if (dropped.length === 0) continue;
      queue.waiting = queue.waiting.filter((waiting) => waiting.job.versionId !== versionId);
      for (const waiting of dropped) {
        queue.rows -= waiting.rows;
        waiting.reject(error);
      }
    }
  }

  #pump(key: string, queue: Queue): void {
    while (queue.waiting.length > 0 && queue.inFlight < this.#runner.parallelism) {
      if (!queue.due && !full(queue)) {
        this.#arm(key, queue);
        return;
      }
      this.#dispatch(key, queue, this.#take(queue));
    }
    if (queue.waiting.length === 0 && queue.inFlight === 0) {
      queue.cancelWindow?.();
      queue.cancelWindow = null;
      this.#queues.delete(key);
    }
  }

  #arm(key: string, queue: Queue): void {
    if (queue.cancelWindow) return;
    // The window is the oldest waiting call's: one left behind by a batch does not wait a second one.
    const left = queue.waiting[0]!.arrivedAt + queue.policy.windowMs - performance.now();
    const timeout = setTimeout(
      () => {
        queue.cancelWindow = null;
        queue.due = true;
        this.#pump(key, queue);
      },
      Math.max(0, left),
    );
    queue.cancelWindow = () => clearTimeout(timeout);
  }

  /**
   * The oldest waiting runs, up to the largest preferred size there are rows for, or else maxRows (always
   * at least one run, however many rows it has).
   */
  #take(queue: Queue): Waiting[] {
    const { maxRows, preferredRows } = queue.policy;
    const limit = preferredRows.findLast((size) => size <= Math.min(queue.rows, maxRows)) ?? maxRows;
    let rows = queue.waiting[0]!.rows;
    let count = 1;
    while (count < queue.waiting.length && rows + queue.waiting[count]!.rows <= limit) {
      rows += queue.waiting[count]!.rows;
      count++;
    }
    queue.rows -= rows;
    const batch = queue.waiting.splice(0, count);
    if (queue.waiting.length === 0) queue.due = false;
    return batch;
  }

  #dispatch(key: string, queue: Queue, batch: Waiting[]): void {
    queue.cancelWindow?.();
    queue.cancelWindow = null;
    queue.inFlight++;
    this.#runBatch(batch).finally(() => {
      queue.inFlight--;
      // Whatever arrived while this batch ran has waited long enough.
      if (queue.waiting.length > 0) queue.due = true;
      this.#pump(key, queue);
    });
  }

  async #runBatch(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) {
      const [only] = batch as [Waiting];
      await this.#runner.run(only.job, only.loadBytes).then(only.resolve, only.reject);
      return;
    }
    const { loadBytes } = batch[0]!;
    const { versionId } = batch[0]!.job;
    let parts: TensorMap[] | null = null;
    try {
      const stacked: InferenceJob = {
        ...batch[0]!.job,
        feeds: concatRows(batch.map((waiting) => waiting.job.feeds)),
        maxOutputElements: batch.reduce((sum, waiting) => sum + waiting.job.maxOutputElements, 0),
        // Each call's trace shows the run it shared.
        observe: batch.some((waiting) => waiting.job.observe)
          ? (observation) => {
              for (const waiting of batch) waiting.job.observe?.(observation);
            }
          : null,
      };
      const outputs = await this.#runner.run(stacked, loadBytes);
      parts = splitRows(
        outputs,
        batch.map((waiting) => waiting.rows),
      );
      if (!parts) this.#unbatchable.add(versionId);
    } catch (error) {
      if (!(error instanceof InferenceError)) {
        for (const waiting of batch) waiting.reject(error);
        return;
      }
      // Somebody's inputs broke the batch: below, each run alone finds out whose.
    }
    if (parts) {
      batch.forEach((waiting, i) => {
        waiting.resolve(parts[i]!);
      });
      return;
    }
    await Promise.all(
      batch.map((waiting) =>
        this.#runner.run(waiting.job, waiting.loadBytes).then(waiting.resolve, waiting.reject),
      ),
    );
  }
}
