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
};

/** Where a model version's bytes come from when a worker does not hold its session yet. */
export type LoadBytes = () => Promise<Uint8Array>;

/** Runs jobs; at most `parallelism` of one version proceed at once, more only queue. */
export interface JobRunner {
  readonly parallelism: number;
  run(job: InferenceJob, loadBytes: LoadBytes): Promise<TensorMap>;
}
