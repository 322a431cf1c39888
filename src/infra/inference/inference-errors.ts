// How a model run can fail, as the callers of Inference see it. Each maps to its own client error code.

/** The model ran and failed on these inputs (a Gather index out of range, say): the caller's inputs. */
export class InferenceError extends Error {}

/** The outputs exceed MAX_OUTPUT_ELEMENTS; they were never copied out of the inference worker. */
export class OutputTooLargeError extends Error {}

/** A task passed its deadline: waiting for a free worker, loading the model (its worker was killed), or running it (likewise). */
export class InferenceTimeoutError extends Error {
  readonly stage: 'queue' | 'load' | 'run';
  constructor(stage: 'queue' | 'load' | 'run', message: string) {
    super(message);
    this.stage = stage;
  }
}

/** The worker running the model died: out of memory, or a crash in native code. */
export class WorkerCrashedError extends Error {}

/**
 * A failure that the model itself caused by the way it runs, not by its inputs: the kind that counts
 * towards quarantining a version.
 */
export type ContainmentFailure = { versionId: string; kind: 'timeout' | 'crash'; message: string };
