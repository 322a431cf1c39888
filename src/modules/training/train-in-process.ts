import { spawnSandboxed } from '../../infra/sandbox/sandboxed-process.ts';
import { DatasetError } from './dataset.ts';
import { PermanentTrainingError, type TrainingInput, type TrainingResult } from './train-model.ts';
import type { EpochReport } from './trainer.ts';
import type { EpochTiming, FromTrainer, ToTrainer } from './training-process.ts';

/**
 * Trains one job somewhere it can be stopped: resolves with the model, or rejects with DatasetError or
 * PermanentTrainingError (the job cannot succeed), `signal.reason` once `signal` aborts, or an Error.
 */
export type Trainer = (
  input: TrainingInput,
  onEpoch: (report: EpochReport, timing: EpochTiming) => void,
  signal: AbortSignal,
) => Promise<TrainingResult>;

const ENTRY = new URL('./training-process.ts', import.meta.url);

/**
 * Trains in a sandboxed child process with a memory ceiling, so neither a stuck job nor a huge one can
 * hold or exhaust the process that runs it (an API process or a worker, whose event loop must keep
 * renewing the job's lease). Aborting kills the child at once, mid-epoch too.
 */
export function trainInProcess(limits: { memoryLimitBytes: number | null }): Trainer {
  return (input, onEpoch, signal) =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      // The heap holds the parsed dataset and the weights (Float64Arrays live outside it, but the CSV
      // text and its rows do not).
      const child = spawnSandboxed(ENTRY, { addressSpaceBytes: limits.memoryLimitBytes, heapMb: 4096 });
      let settled = false;
      const settle = (finish: () => void) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', abort);
        child.kill('SIGKILL');
        finish();
      };
      const abort = () => settle(() => reject(signal.reason));
      signal.addEventListener('abort', abort);
      child.on('message', (message: FromTrainer) => {
        if (message.type === 'epoch') onEpoch(message.report, message.timing);
        else if (message.type === 'done') settle(() => resolve(message.result));
        else {
          const errors = { dataset: DatasetError, permanent: PermanentTrainingError, unexpected: Error };
          settle(() => reject(new errors[message.kind](message.message)));
        }
      });
      child.on('error', (error) => settle(() => reject(error)));
      child.on('exit', (code, signalName) =>
        settle(() =>
          reject(
            new PermanentTrainingError(
              `training stopped (${signalName ? `killed by ${signalName}` : `exit code ${code}`}): it ran out of memory, or crashed; try fewer rows, features or hidden units`,
            ),
          ),
        ),
      );
      child.send({ type: 'train', input } satisfies ToTrainer);
    });
}
