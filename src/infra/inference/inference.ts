import type { BatchingConfig, InferenceConfig, ModelBatching } from '../../config.ts';
import type { Logger } from '../../logger.ts';
import type { Metrics, VersionLabels } from '../metrics/metrics.ts';
import type { TracePosition, Tracing } from '../telemetry/tracing.ts';
import type { ContainmentFailure } from './inference-errors.ts';
import { epochMs, type LoadBytes, type RunObservation } from './inference-job.ts';
import { MicroBatcher } from './micro-batcher.ts';
import type { TensorMap } from './tensor-data.ts';
import type { TensorSpec } from './tensor-spec.ts';
import { WorkerPool } from './worker-pool.ts';
import type { ModelSpecs } from './worker-protocol.ts';

/** What inference needs to know of a model version. */
/** A version to run, with its model's batching overrides (null: the server's). */
export type InferenceVersion = {
  id: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  batching?: ModelBatching | null;
  /** The model's id and the version's number, for metrics. */
  labels: VersionLabels;
};

/** Who asks for a run, and how to get the version's bytes if a worker needs them. */
export type InferenceCaller = { userId: string; loadBytes: LoadBytes };

/**
 * Requests from several callers may share a run only when every input and output has a dynamic first
 * axis: the batch axis, along which rows are stacked and cut apart again.
 */
function isBatchable(version: InferenceVersion): boolean {
  const batchAxis = (spec: TensorSpec) => spec.shape.length > 0 && spec.shape[0] === null;
  return version.inputs.every(batchAxis) && version.outputs.every(batchAxis);
}

/**
 * Runs model versions for predictions, and checks uploads, always in a pool of workers (sandboxed
 * processes by default) and never on the event loop; micro-batched where the model allows.
 */
export class Inference {
  readonly #pool: WorkerPool;
  readonly #batcher: MicroBatcher | null;
  readonly #batching: BatchingConfig | null;
  readonly #maxOutputElements: number;
  readonly #tracing: Tracing;
  readonly #isolation: InferenceConfig['isolation'];

  /** `onContainmentFailure` hears of every run that passed its deadline or killed its worker. */
  constructor(
    config: InferenceConfig,
    logger: Logger,
    onContainmentFailure: (failure: ContainmentFailure) => void,
    metrics: Metrics,
    tracing: Tracing,
  ) {
    this.#tracing = tracing;
    this.#isolation = config.isolation;
    const { intraOpThreads, sessionCacheSize, maxTensorElements, maxOutputElements, batching, ...pool } =
      config;
    this.#pool = new WorkerPool(
      {
        ...pool,
        worker: {
          sessionCacheSize,
          session: { intraOpThreads, limits: { maxTensorElements } },
        },
      },
      logger,
      onContainmentFailure,
      metrics,
    );
    this.#batcher = batching ? new MicroBatcher(this.#pool) : null;
    this.#batching = batching;
    this.#maxOutputElements = maxOutputElements;
  }

  /**
   * Every output of `version` for `feeds`. Rejects with one of inference-errors.ts's errors when the
   * model fails on them, passes its deadline, kills its worker or answers too much.
   */
  run(version: InferenceVersion, feeds: TensorMap, caller: InferenceCaller): Promise<TensorMap> {
    const at = this.#tracing.position();
    const queuedAt = epochMs();
    const job = {
      versionId: version.id,
      tenant: caller.userId,
      feeds,
      outputNames: version.outputs.map((output) => output.name),
      maxOutputElements: this.#maxOutputElements,
      labels: version.labels,
      observe: at && ((observation: RunObservation) => this.#trace(at, queuedAt, observation)),
    };
    return this.#batcher && this.#batching && isBatchable(version)
      ? this.#batcher.run(job, caller.loadBytes, { ...this.#batching, ...version.batching })
      : this.#pool.run(job, caller.loadBytes);
  }

  /**
   * A run as its caller's trace shows it: one `inference` span from the request's arrival to the end
   * of onnxruntime's run, as the worker process measured it, with events where the wait for a worker
   * (the batch window included) ended and where the run began; the session's load, when there was
   * one, is a span of its own beside it. One span, not one per step: spans are most of tracing's cost.
   */
  #trace(at: TracePosition, queuedAt: number, run: RunObservation): void {
    const failure = run.failure;
    if (run.pid === null) {
      this.#tracing.record(at, 'inference', { start: queuedAt, end: run.dispatchedAt }, { failure });
      return;
    }
    const worker = { 'process.pid': run.pid, 'mlp.inference.isolation': this.#isolation };
    if (run.load) this.#tracing.record(at, 'inference load', run.load, { attributes: worker });
    const ran = run.run ?? { start: run.load?.end ?? run.dispatchedAt, end: epochMs() };
    this.#tracing.record(
      at,
      'inference',
      { start: queuedAt, end: ran.end },
      {
        attributes: { ...worker, 'mlp.inference.batch_rows': run.rows },
        failure,
        events: [
          { name: 'dispatched', time: run.dispatchedAt },
          { name: 'run started', time: ran.start },
        ],
      },
    );
  }

  /**
   * Checks an uploaded file and reads its inputs and outputs, in a worker under the load deadline.
   * Rejects with UnsupportedModelError, InferenceTimeoutError or WorkerCrashedError.
   */
  inspect(bytes: Uint8Array, userId: string): Promise<ModelSpecs> {
    return this.#pool.inspect(bytes, userId);
  }

  /** Drops a version's sessions, e.g. when its model is deleted. */
  forget(versionId: string): void {
    this.#pool.forget(versionId);
    this.#batcher?.forget(versionId);
  }

  /** Fails every call of `versionId` not yet running, e.g. once it is quarantined. */
  dropWaiting(versionId: string, error: Error): void {
    this.#batcher?.dropWaiting(versionId, error);
    this.#pool.dropQueued(versionId, error);
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}
