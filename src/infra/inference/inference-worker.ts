// The body of an inference worker: a sandboxed process (the default) or a worker thread. It holds
// onnxruntime sessions of its own, runs one task at a time as the pool asks, and fetches a version's
// bytes from the pool on the session's first use. Whatever a model does here (loop forever, allocate
// gigabytes, crash onnxruntime) ends at most this worker, which the pool then kills or replaces.

import { linkToParent } from '../sandbox/parent-link.ts';
import { InferenceError, OutputTooLargeError } from './inference-errors.ts';
import { epochMs } from './inference-job.ts';
import { inspectModel, loadSession, ModelSessions } from './model-sessions.ts';
import { runSession } from './run-session.ts';
import { UnsupportedModelError } from './tensor-spec.ts';
import type { FailureKind, FromWorker, RunTask, ToWorker, WorkerOptions } from './worker-protocol.ts';

const parent = linkToParent();
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => parent.post(message, transfer);

let options: WorkerOptions | null = null;
let sessions: ModelSessions | null = null;
/** Bytes asked of the pool, by the id of the task that needs them. */
const awaitingBytes = new Map<number, { resolve(bytes: Uint8Array): void; reject(error: Error): void }>();

/** onnxruntime refused to load a version's file (it throws plain Errors: this says where it came from). */
class LoadError extends Error {}

function failureKind(error: unknown): FailureKind {
  if (error instanceof InferenceError) return 'inference';
  if (error instanceof OutputTooLargeError) return 'output';
  if (error instanceof UnsupportedModelError || error instanceof LoadError) return 'model';
  return 'unexpected';
}

async function run(task: RunTask & { id: number }, config: WorkerOptions, cache: ModelSessions) {
  const load = async () => {
    const bytes = await new Promise<Uint8Array>((resolve, reject) => {
      awaitingBytes.set(task.id, { resolve, reject });
      post({ type: 'need-bytes', id: task.id });
    });
    let ok = false;
    try {
      const session = await loadSession(bytes, config.session);
      ok = true;
      return session;
    } catch (error) {
      if (error instanceof UnsupportedModelError) throw error;
      throw new LoadError(error instanceof Error ? error.message : String(error));
    } finally {
      post({ type: 'loaded', id: task.id, ok, evicted: cache.takeEvicted() });
    }
  };
  const ran = { start: 0, end: 0 };
  const outputs = await cache.use(task.versionId, load, async (session) => {
    ran.start = epochMs();
    const outputs = await runSession(session, task.feeds, task.outputNames);
    ran.end = epochMs();
    return outputs;
  });
  let elements = 0;
  for (const tensor of Object.values(outputs)) elements += tensor.data.length;
  if (elements > task.maxOutputElements) {
    throw new OutputTooLargeError(
      `the model's outputs have ${elements} elements; the most mlp returns is ${task.maxOutputElements}`,
    );
  }
  // The outputs are this run's own: a thread hands their memory over instead of copying it.
  const buffers = new Set(Object.values(outputs).map((tensor) => tensor.data.buffer as ArrayBuffer));
  post({ type: 'done', id: task.id, outputs, ran }, [...buffers]);
}

/** After onnxruntime failed to allocate, or gave up half-way through a load, its state is not trusted. */
const OUT_OF_MEMORY = /bad_alloc|alloc|out of memory/i;

/** A file path in a message, directories and all: only its last part is kept. */
const PATH = /(?:[A-Za-z]:)?(?:[\\/][^\s\\/:'"]+)+[\\/]([^\s\\/:'"]+)/g;

function fail(id: number, kind: FailureKind, error: unknown): void {
  // onnxruntime names its source files and the paths it looked at: the client learns none of the
  // machine's directories (`/onnxruntime_src/…/gather.cc:123` becomes `gather.cc:123`).
  const text = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  const message = text.replace(PATH, '$1');
  // mlp's own checks refuse a file before onnxruntime allocates anything for it.
  const fromLoader = kind === 'model' && !(error instanceof UnsupportedModelError);
  // Outputs over the cap were allocated all the same, and onnxruntime's arena keeps what it allocated.
  const recycle = fromLoader || kind === 'output' || OUT_OF_MEMORY.test(message);
  post({ type: 'failed', id, kind, message, recycle });
}

async function inspect(id: number, bytes: Uint8Array, config: WorkerOptions) {
  try {
    post({ type: 'inspected', id, specs: await inspectModel(bytes, config.session) });
  } catch (error) {
    fail(id, 'model', error);
  }
}

parent.onMessage((message: ToWorker) => {
  switch (message.type) {
    case 'configure':
      options = message.options;
      sessions = new ModelSessions(message.options.sessionCacheSize);
      post({ type: 'ready' });
      break;
    case 'run':
      run(message, options!, sessions!).catch((error: unknown) =>
        fail(message.id, failureKind(error), error),
      );
      break;
    case 'inspect':
      void inspect(message.id, message.bytes, options!);
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
      sessions?.forget(message.versionId);
      break;
  }
});
