import { Worker } from 'node:worker_threads';
import { DatasetError } from './dataset.ts';
import { PermanentTrainingError, type TrainingInput, type TrainingResult } from './train-model.ts';
import type { OnEpoch } from './trainer.ts';
import type { ThreadMessage } from './training-thread.ts';

/** trainModel in a worker thread, so the process that serves requests is never blocked by an epoch. */
export function trainInThread(input: TrainingInput, onEpoch: OnEpoch): Promise<TrainingResult | null> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./training-thread.ts', import.meta.url), { workerData: input });
    let settled = false;
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      finish();
      void worker.terminate();
    };
    worker.on('message', (message: ThreadMessage) => {
      if (message.type === 'epoch') {
        void onEpoch(message.report).then(
          (keepGoing) => {
            if (!keepGoing) worker.postMessage({ type: 'cancel' });
          },
          (error) => settle(() => reject(error)),
        );
      } else if (message.type === 'done') {
        settle(() => resolve(message.result));
      } else {
        const error =
          message.kind === 'dataset'
            ? new DatasetError(message.message)
            : message.kind === 'permanent'
              ? new PermanentTrainingError(message.message)
              : new Error(message.message);
        settle(() => reject(error));
      }
    });
    worker.on('error', (error) => settle(() => reject(error)));
    worker.on('exit', (code) => settle(() => reject(new Error(`training thread exited with ${code}`))));
  });
}
