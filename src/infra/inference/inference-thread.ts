// The body of an inference worker thread: its own onnxruntime sessions (never shared with another
// thread), runs asked for by the parent, model bytes fetched from the parent on a session's first use.

import { parentPort, workerData } from 'node:worker_threads';
import { InlineInference } from './inference-runner.ts';
import { InferenceError } from './run-session.ts';
import type { TensorMap } from './tensor-data.ts';

export type ThreadOptions = { sessionCacheSize: number; intraOpThreads: number };

export type ToThread =
  | { type: 'run'; id: number; versionId: string; feeds: TensorMap; outputNames: readonly string[] }
  | { type: 'bytes'; id: number; bytes: Uint8Array }
  | { type: 'bytes-failed'; id: number; message: string }
  | { type: 'forget'; versionId: string };

export type FromThread =
  | { type: 'done'; id: number; outputs: TensorMap }
  | { type: 'failed'; id: number; kind: 'inference' | 'unexpected'; message: string }
  | { type: 'need-bytes'; id: number };

const port = parentPort!;
const options = workerData as ThreadOptions;
const inference = new InlineInference(options);
/** Bytes asked of the parent, by the id of the run that needs them. */
const awaitingBytes = new Map<number, { resolve(bytes: Uint8Array): void; reject(error: Error): void }>();

const post = (message: FromThread, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

async function run(message: Extract<ToThread, { type: 'run' }>): Promise<void> {
  try {
    const outputs = await inference.run(
      message,
      () =>
        new Promise<Uint8Array>((resolve, reject) => {
          awaitingBytes.set(message.id, { resolve, reject });
          post({ type: 'need-bytes', id: message.id });
        }),
    );
    // The outputs are this run's own: hand their memory over instead of copying it.
    const buffers = new Set(Object.values(outputs).map((tensor) => tensor.data.buffer as ArrayBuffer));
    post({ type: 'done', id: message.id, outputs }, [...buffers]);
  } catch (error) {
    post({
      type: 'failed',
      id: message.id,
      kind: error instanceof InferenceError ? 'inference' : 'unexpected',
      message: error instanceof Error ? error.message : String(error),
    });
  }
}

port.on('message', (message: ToThread) => {
  switch (message.type) {
    case 'run':
      void run(message);
      break;
    case 'bytes':
    case 'bytes-failed': {
      const waiting = awaitingBytes.get(message.id);
      awaitingBytes.delete(message.id);
      if (message.type === 'bytes') waiting?.resolve(message.bytes);
      else waiting?.reject(new Error(message.message));
      break;
    }
    case 'forget':
      inference.forget(message.versionId);
      break;
  }
});
