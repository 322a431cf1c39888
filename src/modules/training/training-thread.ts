// The body of a training worker thread (the embedded default, without Redis): trains off the API's
// event loop, reports each epoch to its parent, and stops when the parent says so.

import { setImmediate as yieldToMessages } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { DatasetError } from './dataset.ts';
import { PermanentTrainingError, type TrainingInput, trainModel } from './train-model.ts';

export type ThreadMessage =
  | { type: 'epoch'; report: import('./trainer.ts').EpochReport }
  | { type: 'done'; result: import('./train-model.ts').TrainingResult | null }
  | { type: 'error'; kind: 'dataset' | 'permanent' | 'unexpected'; message: string };

const port = parentPort!;
let cancelled = false;
port.on('message', (message: { type: 'cancel' }) => {
  if (message.type === 'cancel') cancelled = true;
});

const post = (message: ThreadMessage) => port.postMessage(message);
try {
  const result = await trainModel(workerData as TrainingInput, async (report) => {
    post({ type: 'epoch', report });
    await yieldToMessages(); // lets a 'cancel' from the parent arrive between epochs
    return !cancelled;
  });
  post({ type: 'done', result });
} catch (error) {
  const kind =
    error instanceof DatasetError
      ? 'dataset'
      : error instanceof PermanentTrainingError
        ? 'permanent'
        : 'unexpected';
  post({ type: 'error', kind, message: error instanceof Error ? error.message : String(error) });
}
