// The body of a training process: a sandboxed child (see train-in-process.ts) that trains one job from
// the CSV and parameters it is sent, reports progress, sends the ONNX model back, and knows nothing of
// the database or the queue. Its parent kills it to cancel it or when it runs out of time.

import { epochMs } from '../../infra/inference/inference-job.ts';
import { linkToParent } from '../../infra/sandbox/parent-link.ts';
import { DatasetError } from './dataset.ts';
import {
  PermanentTrainingError,
  type TrainingInput,
  type TrainingResult,
  trainModel,
} from './train-model.ts';
import type { EpochReport } from './trainer.ts';

export type ToTrainer = { type: 'train'; input: TrainingInput };

/**
 * The epochs a report covers: the one it reports and those since the last report (epoch ms, from the
 * end of the last reported epoch; the first from the start, reading the data included).
 */
export type EpochTiming = { epochs: number; start: number; end: number };

export type FromTrainer =
  | { type: 'epoch'; report: EpochReport; timing: EpochTiming }
  | { type: 'done'; result: TrainingResult }
  | { type: 'failed'; kind: 'dataset' | 'permanent' | 'unexpected'; message: string };

/** Epochs can take microseconds: the parent hears of at most one every this often (and of the last). */
const REPORT_INTERVAL_MS = 100;

const parent = linkToParent();
parent.onMessage(async (message: ToTrainer) => {
  const post = (reply: FromTrainer) => parent.post(reply);
  let lastReport = 0;
  let unreported = { epochs: 0, start: epochMs() };
  try {
    const result = await trainModel(message.input, async (report) => {
      const now = epochMs();
      unreported.epochs++;
      if (now - lastReport >= REPORT_INTERVAL_MS || report.epoch === message.input.params.epochs) {
        lastReport = now;
        post({ type: 'epoch', report, timing: { ...unreported, end: now } });
        unreported = { epochs: 0, start: now };
      }
      return true;
    });
    post({ type: 'done', result: result! });
  } catch (error) {
    const kind =
      error instanceof DatasetError
        ? 'dataset'
        : error instanceof PermanentTrainingError
          ? 'permanent'
          : 'unexpected';
    post({ type: 'failed', kind, message: error instanceof Error ? error.message : String(error) });
  }
});
