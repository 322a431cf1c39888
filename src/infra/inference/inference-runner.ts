import type { ThreadOptions } from './inference-thread.ts';
import { ModelSessions } from './model-sessions.ts';
import { runSession } from './run-session.ts';
import type { TensorMap } from './tensor-data.ts';

export type InferenceJob = { versionId: string; feeds: TensorMap; outputNames: readonly string[] };

/** Where a model version's bytes come from when a runner does not hold its session yet. */
export type LoadBytes = () => Promise<Uint8Array>;

/** Runs models: in worker threads (ThreadedInference) or on the calling thread (InlineInference). */
export interface InferenceRunner {
  /** How many runs proceed at once; more in flight only queue. */
  readonly parallelism: number;
  run(job: InferenceJob, loadBytes: LoadBytes): Promise<TensorMap>;
  /** Drops a version's sessions, e.g. when its model is deleted. */
  forget(versionId: string): void;
  close(): Promise<void>;
}

/**
 * Inference on the calling thread: inside each inference thread, and on the event loop for
 * INFERENCE_THREADS=0 (debugging, or a machine with one core), where a large model, run synchronously
 * by onnxruntime-node, stalls every other request while it runs.
 */
export class InlineInference implements InferenceRunner {
  readonly parallelism = 1;
  readonly #sessions: ModelSessions;

  constructor(options: ThreadOptions) {
    this.#sessions = new ModelSessions(options.sessionCacheSize, options.intraOpThreads);
  }

  run(job: InferenceJob, loadBytes: LoadBytes): Promise<TensorMap> {
    return this.#sessions.use(job.versionId, loadBytes, (session) =>
      runSession(session, job.feeds, job.outputNames),
    );
  }

  forget(versionId: string): void {
    this.#sessions.forget(versionId);
  }

  close(): Promise<void> {
    return this.#sessions.close();
  }
}
