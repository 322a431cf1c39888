// Messages between an inference pool and its workers (processes or threads; see worker-pool.ts).

import type { Interval } from './inference-job.ts';
import type { SessionOptions } from './model-sessions.ts';
import type { TensorMap } from './tensor-data.ts';
import type { TensorSpec } from './tensor-spec.ts';

export type WorkerOptions = {
  /** Sessions (one per model version) a worker keeps loaded. */
  sessionCacheSize: number;
  session: SessionOptions;
};

export type RunTask = {
  type: 'run';
  versionId: string;
  feeds: TensorMap;
  outputNames: readonly string[];
  /** Checked in the worker, so oversized outputs are never copied out of it. */
  maxOutputElements: number;
};

/** Check and load a model without keeping it: what an upload must pass. */
export type InspectTask = { type: 'inspect'; bytes: Uint8Array };

export type Task = RunTask | InspectTask;

export type ModelSpecs = { inputs: TensorSpec[]; outputs: TensorSpec[] };

export type ToWorker =
  | { type: 'configure'; options: WorkerOptions }
  | ((RunTask | InspectTask) & { id: number })
  | { type: 'bytes'; id: number; bytes: Uint8Array }
  | { type: 'bytes-failed'; id: number; message: string }
  | { type: 'forget'; versionId: string };

export type FailureKind = 'inference' | 'model' | 'output' | 'unexpected';

export type FromWorker =
  | { type: 'ready' }
  /** The run's session is not loaded here: the pool sends the version's bytes. */
  | { type: 'need-bytes'; id: number }
  /**
   * The load is over (`ok`: it succeeded, else a failure follows); the run itself starts (its deadline
   * with it). `evicted`: versions whose sessions this worker dropped to make room.
   */
  | { type: 'loaded'; id: number; ok: boolean; evicted: string[] }
  /** `ran`: onnxruntime's run itself, measured here (epoch ms). */
  | { type: 'done'; id: number; outputs: TensorMap; ran: Interval }
  | { type: 'inspected'; id: number; specs: ModelSpecs }
  /**
   * `recycle`: the failure may have left the worker unfit (onnxruntime ran out of memory, or failed
   * half-way through loading a file): the pool replaces it.
   */
  | { type: 'failed'; id: number; kind: FailureKind; message: string; recycle: boolean };
