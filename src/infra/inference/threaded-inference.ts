import { Worker } from 'node:worker_threads';
import type { Logger } from '../../logger.ts';
import type { InferenceJob, InferenceRunner, LoadBytes } from './inference-runner.ts';
import type { FromThread, ThreadOptions, ToThread } from './inference-thread.ts';
import { InferenceError } from './run-session.ts';
import type { TensorMap } from './tensor-data.ts';

type PendingRun = {
  loadBytes: LoadBytes;
  resolve(outputs: TensorMap): void;
  reject(error: Error): void;
};

type Thread = { worker: Worker; pending: Map<number, PendingRun> };

/**
 * Inference in worker threads, each with sessions of its own (onnxruntime sessions are never shared
 * between threads), so the event loop that serves requests never waits on a model. A run goes to the
 * thread with the fewest runs in flight. A thread that dies fails its runs and is replaced.
 */
export class ThreadedInference implements InferenceRunner {
  readonly parallelism: number;
  readonly #options: ThreadOptions;
  readonly #logger: Logger;
  /** Started on the first run: a process that never predicts (a training worker) starts none. */
  readonly #threads: Thread[] = [];
  #nextId = 1;
  #closed = false;

  constructor(threads: number, options: ThreadOptions, logger: Logger) {
    this.parallelism = threads;
    this.#options = options;
    this.#logger = logger;
  }

  run(job: InferenceJob, loadBytes: LoadBytes): Promise<TensorMap> {
    if (this.#closed) return Promise.reject(new Error('inference is closed'));
    while (this.#threads.length < this.parallelism) this.#threads.push(this.#spawn());
    const thread = this.#threads.reduce((least, t) => (t.pending.size < least.pending.size ? t : least));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { loadBytes, resolve, reject });
      const message: ToThread = { type: 'run', id, ...job };
      thread.worker.postMessage(message);
    });
  }

  forget(versionId: string): void {
    const message: ToThread = { type: 'forget', versionId };
    for (const thread of this.#threads) thread.worker.postMessage(message);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#threads.map((thread) => thread.worker.terminate()));
  }

  #spawn(): Thread {
    const worker = new Worker(new URL('./inference-thread.ts', import.meta.url), {
      workerData: this.#options,
    });
    // An idle inference thread must not keep a process alive that is otherwise done.
    worker.unref();
    const thread: Thread = { worker, pending: new Map() };
    worker.on('message', (message: FromThread) => this.#receive(thread, message));
    worker.on('error', (error) => this.#logger.error({ err: error }, 'inference thread failed'));
    worker.on('exit', (code) => {
      const failed = new Error(`inference thread exited with ${code}`);
      for (const run of thread.pending.values()) run.reject(failed);
      thread.pending.clear();
      if (this.#closed) return;
      this.#logger.error({ code }, 'inference thread exited; starting another');
      this.#threads[this.#threads.indexOf(thread)] = this.#spawn();
    });
    return thread;
  }

  #receive(thread: Thread, message: FromThread): void {
    const run = thread.pending.get(message.id);
    if (!run) return;
    if (message.type === 'need-bytes') {
      run.loadBytes().then(
        (bytes) => thread.worker.postMessage({ type: 'bytes', id: message.id, bytes } satisfies ToThread),
        (error: Error) =>
          thread.worker.postMessage({
            type: 'bytes-failed',
            id: message.id,
            message: error.message,
          } satisfies ToThread),
      );
      return;
    }
    thread.pending.delete(message.id);
    if (message.type === 'done') run.resolve(message.outputs);
    else
      run.reject(
        message.kind === 'inference' ? new InferenceError(message.message) : new Error(message.message),
      );
  }
}
