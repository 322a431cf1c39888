import type { VersionLabels } from '../metrics/metrics.ts';
import type { TensorMap } from './tensor-data.ts';

/** One model run as the batcher and the worker pool see it. */
export type InferenceJob = {
  versionId: string;
  /** Whose run it is: the pool shares its workers fairly between tenants. */
  tenant: string;
  feeds: TensorMap;
  outputNames: readonly string[];
  maxOutputElements: number;
  /** The model's id and the version's number, for metrics. */
  labels: VersionLabels;
  /** Told how the run went, for the caller's trace; null when nobody traces it. */
  observe: RunObserver | null;
};

/** A span of time, in epoch milliseconds (comparable between processes of one machine). */
export type Interval = { start: number; end: number };

/** How a run went, as its caller's trace shows it. */
export type RunObservation = {
  /** When a worker took it. */
  dispatchedAt: number;
  /** The session's load, when the worker did not hold it. */
  load: Interval | null;
  /** onnxruntime's run, as the worker measured it; null when it never ran (or its worker died). */
  run: Interval | null;
  /** Rows of the execution: the whole batch the caller's rows were part of. */
  rows: number;
  /** The worker's process; null when no worker took it. */
  pid: number | null;
  /** Why it failed, when it did. */
  failure: string | null;
};

export type RunObserver = (observation: RunObservation) => void;

/** Now, in epoch milliseconds with sub-millisecond precision. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Where a model version's bytes come from when a worker does not hold its session yet. */
export type LoadBytes = () => Promise<Uint8Array>;

/** Runs jobs; at most `parallelism` of one version proceed at once, more only queue. */
export interface JobRunner {
  readonly parallelism: number;
  run(job: InferenceJob, loadBytes: LoadBytes): Promise<TensorMap>;
}
