import type { Logger } from '../../logger.ts';
import { type InferenceRunner, InlineInference, type LoadBytes } from './inference-runner.ts';
import { type BatchingConfig, MicroBatcher } from './micro-batcher.ts';
import type { TensorMap } from './tensor-data.ts';
import type { TensorSpec } from './tensor-spec.ts';
import { ThreadedInference } from './threaded-inference.ts';

export type InferenceConfig = {
  /** Worker threads that run models; 0 runs them on the event loop. */
  threads: number;
  /** onnxruntime's intra-op threads per session (see loadSession). */
  intraOpThreads: number;
  /** Sessions (one per model version) each thread keeps loaded. */
  sessionCacheSize: number;
  /** Null runs every request on its own. */
  batching: BatchingConfig | null;
};

/** What inference needs to know of a model version. */
export type RunnableVersion = { id: string; inputs: TensorSpec[]; outputs: TensorSpec[] };

/**
 * Requests from several callers may share a run only when every input and output has a dynamic first
 * axis: the batch axis, along which rows are stacked and cut apart again.
 */
function isBatchable(version: RunnableVersion): boolean {
  const batchAxis = (spec: TensorSpec) => spec.shape.length > 0 && spec.shape[0] === null;
  return version.inputs.every(batchAxis) && version.outputs.every(batchAxis);
}

/** Runs model versions for predictions: in threads or inline, micro-batched where the model allows. */
export class Inference {
  readonly #runner: InferenceRunner;
  readonly #batcher: MicroBatcher | null;

  constructor(config: InferenceConfig, logger: Logger) {
    const options = { sessionCacheSize: config.sessionCacheSize, intraOpThreads: config.intraOpThreads };
    this.#runner =
      config.threads === 0
        ? new InlineInference(options)
        : new ThreadedInference(config.threads, options, logger);
    this.#batcher = config.batching ? new MicroBatcher(this.#runner, config.batching) : null;
  }

  /** Every output of `version` for `feeds`. Rejects with InferenceError when the model fails on them. */
  run(version: RunnableVersion, feeds: TensorMap, loadBytes: LoadBytes): Promise<TensorMap> {
    const job = { versionId: version.id, feeds, outputNames: version.outputs.map((output) => output.name) };
    return this.#batcher && isBatchable(version)
      ? this.#batcher.run(job, loadBytes)
      : this.#runner.run(job, loadBytes);
  }

  forget(versionId: string): void {
    this.#runner.forget(versionId);
    this.#batcher?.forget(versionId);
  }

  close(): Promise<void> {
    return this.#runner.close();
  }
}
