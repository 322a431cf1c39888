import type { ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import type { InferenceConfig } from '../../config.ts';
import type { Logger } from '../../logger.ts';
import type { Metrics, VersionLabels } from '../metrics/metrics.ts';
import { spawnSandboxed } from '../sandbox/sandboxed-process.ts';
import {
  type ContainmentFailure,
  InferenceError,
  InferenceTimeoutError,
  OutputTooLargeError,
  WorkerCrashedError,
} from './inference-errors.ts';
import {
  epochMs,
  type InferenceJob,
  type Interval,
  type JobRunner,
  type LoadBytes,
  type RunObserver,
} from './inference-job.ts';
import type { TensorMap } from './tensor-data.ts';
import { UnsupportedModelError } from './tensor-spec.ts';
import type { FromWorker, ModelSpecs, Task, ToWorker, WorkerOptions } from './worker-protocol.ts';

/** What the pool needs of the inference settings, and what each worker is told. */
export type PoolConfig = Pick<
  InferenceConfig,
  | 'isolation'
  | 'workers'
  | 'maxRunsPerUser'
  | 'maxRunsPerVersion'
  | 'runTimeoutMs'
  | 'loadTimeoutMs'
  | 'queueTimeoutMs'
  | 'memoryLimitBytes'
> & { worker: WorkerOptions };

type Pending = {
  id: number;
  task: Task;
  tenant: string;
  /** Of a run; null for an upload's check. */
  versionId: string | null;
  loadBytes: LoadBytes | null;
  resolve(result: TensorMap | ModelSpecs): void;
  reject(error: Error): void;
  queueTimer: NodeJS.Timeout | null;
  /** Of a run, for metrics and its caller's trace; null for an upload's check. */
  measure: RunMeasure | null;
};

type RunMeasure = {
  labels: VersionLabels;
  rows: number;
  /** When it was queued and started (performance.now(), ms). */
  queuedAt: number;
  startedAt: number;
  observe: RunObserver | null;
  /** For `observe`, in epoch ms: when a worker took it, and when the worker asked for the session's bytes. */
  dispatchedAt: number;
  loadStartedAt: number | null;
  load: Interval | null;
};

type WorkerHandle = {
  /** The worker's process (this one's, for a thread). */
  pid: number;
  send(message: ToWorker, transfer?: ArrayBuffer[]): void;
  kill(): void;
};

type Slot = {
  handle: WorkerHandle;
  ready: boolean;
  /** Killed or exited: whatever it still says is ignored. */
  gone: boolean;
  current: Pending | null;
  deadline: NodeJS.Timeout | null;
  /** Set when the deadline killed the worker: in which stage, and why, for its caller. */
  timedOut: { stage: 'load' | 'run'; message: string } | null;
  /** Versions this worker has loaded (as far as the pool knows): runs of them go here first. */
  loaded: Set<string>;
};

/** A worker that dies before it is ready is not restarted at once: something is wrong with the host. */
const RESPAWN_DELAY_MS = 1000;

/**
 * A fixed set of inference workers, and a queue in front of them that is fair between users: a task
 * starts on a free worker only while its user has fewer than `maxRunsPerUser` runs (and its version
 * fewer than `maxRunsPerVersion`), so one user's slow model never holds every worker. Each worker runs
 * one task at a time, under a deadline; past it the worker is killed and replaced, and only its own task
 * fails. Everything runs in the workers, never here: checks of uploads too.
 */
export class WorkerPool implements JobRunner {
  readonly parallelism: number;
  readonly #config: PoolConfig;
  readonly #logger: Logger;
  readonly #onContainmentFailure: (failure: ContainmentFailure) => void;
  readonly #metrics: Metrics;
  /** Started on the first task: a process that never predicts (a training worker) starts none. */
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  readonly #runsByTenant = new Map<string, number>();
  readonly #runsByVersion = new Map<string, number>();
  #nextId = 1;
  #closed = false;

  constructor(
    config: PoolConfig,
    logger: Logger,
    onContainmentFailure: (failure: ContainmentFailure) => void,
    metrics: Metrics,
  ) {
    this.#metrics = metrics;
    this.#config = config;
    this.#logger = logger;
    this.#onContainmentFailure = onContainmentFailure;
    this.parallelism = Math.min(config.maxRunsPerVersion, config.workers);
  }

  run(job: InferenceJob, loadBytes: LoadBytes): Promise<TensorMap> {
    const { tenant, versionId, labels, observe, ...task } = job;
    const rows = Object.values(job.feeds)[0]?.dims[0] ?? 1;
    return this.#submit({ type: 'run', versionId, ...task }, tenant, versionId, loadBytes, {
      labels,
      rows,
      queuedAt: performance.now(),
      startedAt: 0,
      observe,
      dispatchedAt: 0,
      loadStartedAt: null,
      load: null,
    }) as Promise<TensorMap>;
  }

  /** Checks and loads an upload in a worker; rejects with UnsupportedModelError saying why it is refused. */
  inspect(bytes: Uint8Array, tenant: string): Promise<ModelSpecs> {
    return this.#submit({ type: 'inspect', bytes }, tenant, null, null, null) as Promise<ModelSpecs>;
  }

  forget(versionId: string): void {
    for (const slot of this.#slots) {
      if (slot.loaded.delete(versionId)) slot.handle.send({ type: 'forget', versionId });
    }
  }

  /** Fails every queued run of `versionId`, e.g. once it is quarantined. */
  dropQueued(versionId: string, error: Error): void {
    for (const pending of this.#queue.filter((p) => p.versionId === versionId)) {
      this.#unqueue(pending);
      pending.reject(error);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const pending of [...this.#queue]) {
      this.#unqueue(pending);
      pending.reject(new Error('inference is closed'));
    }
    for (const slot of [...this.#slots]) {
      slot.handle.kill();
      this.#exited(slot, 'closed');
    }
  }

  #submit(
    task: Task,
    tenant: string,
    versionId: string | null,
    loadBytes: LoadBytes | null,
    measure: Pending['measure'],
  ) {
    if (this.#closed) return Promise.reject(new Error('inference is closed'));
    while (this.#slots.length < this.#config.workers) this.#slots.push(this.#spawn());
    return new Promise<TensorMap | ModelSpecs>((resolve, reject) => {
      const pending: Pending = {
        id: this.#nextId++,
        task,
        tenant,
        versionId,
        loadBytes,
        resolve,
        reject,
        queueTimer: null,
        measure,
      };
      pending.queueTimer = setTimeout(() => {
        this.#unqueue(pending);
        if (measure) measure.dispatchedAt = epochMs();
        observeEnd(measure, null, null, 'no inference worker was free');
        reject(
          new InferenceTimeoutError(
            'queue',
            `no inference worker was free within ${this.#config.queueTimeoutMs} ms`,
          ),
        );
      }, this.#config.queueTimeoutMs);
      this.#queue.push(pending);
      this.#pump();
    });
  }

  #unqueue(pending: Pending): void {
    const index = this.#queue.indexOf(pending);
    if (index >= 0) this.#queue.splice(index, 1);
    if (pending.queueTimer) clearTimeout(pending.queueTimer);
    pending.queueTimer = null;
  }

  /** Starts what may start: the oldest task of each user under their limits, on a free worker. */
  #pump(): void {
    for (const pending of [...this.#queue]) {
      const idle = this.#slots.filter((slot) => slot.ready && !slot.current);
      if (idle.length === 0) return;
      if ((this.#runsByTenant.get(pending.tenant) ?? 0) >= this.#config.maxRunsPerUser) continue;
      const { versionId } = pending;
      if (versionId && (this.#runsByVersion.get(versionId) ?? 0) >= this.#config.maxRunsPerVersion) continue;
      // A worker that has the version loaded already saves a load (and the memory of a second copy).
      const slot = (versionId && idle.find((s) => s.loaded.has(versionId))) || idle[0]!;
      this.#unqueue(pending);
      this.#start(slot, pending);
    }
  }

  #start(slot: Slot, pending: Pending): void {
    slot.current = pending;
    if (pending.measure) {
      pending.measure.startedAt = performance.now();
      pending.measure.dispatchedAt = epochMs();
      const waited = (pending.measure.startedAt - pending.measure.queuedAt) / 1000;
      this.#metrics.inferenceQueueSeconds.observe(pending.measure.labels, waited);
    }
    count(this.#runsByTenant, pending.tenant, 1);
    if (pending.versionId) count(this.#runsByVersion, pending.versionId, 1);
    const phase = pending.task.type === 'run' ? 'run' : 'load';
    this.#arm(slot, phase);
    slot.handle.send({ ...pending.task, id: pending.id });
  }

  #arm(slot: Slot, phase: 'run' | 'load'): void {
    if (slot.deadline) clearTimeout(slot.deadline);
    const ms = phase === 'run' ? this.#config.runTimeoutMs : this.#config.loadTimeoutMs;
    slot.deadline = setTimeout(() => {
      slot.timedOut = {
        stage: phase,
        message:
          phase === 'run'
            ? `the model ran past its ${ms} ms deadline`
            : `loading the model took longer than ${ms} ms`,
      };
      slot.handle.kill();
      // Not waiting for the exit: a thread stuck in native code never reports one.
      this.#exited(slot, 'killed at its deadline');
    }, ms);
  }

  /** The slot's task is over (done, failed, or its worker died): the counts go down, the next starts. */
  #finish(slot: Slot): Pending | null {
    const pending = slot.current;
    if (slot.deadline) clearTimeout(slot.deadline);
    slot.deadline = null;
    slot.current = null;
    if (pending) {
      count(this.#runsByTenant, pending.tenant, -1);
      if (pending.versionId) count(this.#runsByVersion, pending.versionId, -1);
    }
    return pending;
  }

  #receive(slot: Slot, message: FromWorker): void {
    if (slot.gone) return;
    if (message.type === 'ready') {
      slot.ready = true;
      this.#pump();
      return;
    }
    const pending = slot.current;
    if (!pending || pending.id !== message.id) return;
    switch (message.type) {
      case 'need-bytes':
        if (pending.measure) pending.measure.loadStartedAt = epochMs();
        this.#arm(slot, 'load');
        pending.loadBytes!().then(
          (bytes) => slot.handle.send({ type: 'bytes', id: message.id, bytes }),
          (error: Error) =>
            slot.handle.send({ type: 'bytes-failed', id: message.id, message: error.message }),
        );
        return;
      case 'loaded':
        if (pending.measure?.loadStartedAt) {
          pending.measure.load = { start: pending.measure.loadStartedAt, end: epochMs() };
        }
        if (pending.measure && message.ok) this.#metrics.inferenceSessionLoads.inc(pending.measure.labels);
        this.#metrics.inferenceSessionEvictions.inc(message.evicted.length);
        for (const versionId of message.evicted) slot.loaded.delete(versionId);
        this.#arm(slot, 'run');
        return;
      case 'done': {
        slot.loaded.add(pending.versionId!);
        this.#finish(slot);
        const { labels, rows, startedAt } = pending.measure!;
        this.#metrics.inferenceComputeSeconds.observe(labels, (performance.now() - startedAt) / 1000);
        this.#metrics.inferenceExecutions.inc(labels);
        this.#metrics.inferenceRows.inc(labels, rows);
        observeEnd(pending.measure, slot.handle.pid, message.ran, null);
        pending.resolve(message.outputs);
        break;
      }
      case 'inspected':
        this.#finish(slot);
        pending.resolve(message.specs);
        break;
      case 'failed': {
        this.#finish(slot);
        const errors = {
          inference: InferenceError,
          output: OutputTooLargeError,
          model: UnsupportedModelError,
          unexpected: Error,
        };
        observeEnd(pending.measure, slot.handle.pid, null, message.message);
        pending.reject(new errors[message.kind](message.message));
        if (message.recycle) {
          slot.handle.kill();
          this.#metrics.inferenceWorkerRestarts.inc({ reason: 'recycled' });
          this.#exited(slot, 'recycled after a failure');
        }
        break;
      }
    }
    this.#pump();
  }

  #exited(slot: Slot, how: string): void {
    if (slot.gone) return;
    slot.gone = true;
    const pending = this.#finish(slot);
    this.#slots.splice(this.#slots.indexOf(slot), 1);
    if (this.#closed) {
      pending?.reject(new Error('inference is closed'));
      return;
    }
    if (pending) {
      const { timedOut } = slot;
      const kind = timedOut ? 'timeout' : 'crash';
      this.#metrics.inferenceWorkerRestarts.inc({ reason: kind });
      const message =
        timedOut?.message ?? `the model's worker stopped (${how}): it ran out of memory or crashed`;
      observeEnd(pending.measure, slot.handle.pid, null, message);
      pending.reject(
        timedOut ? new InferenceTimeoutError(timedOut.stage, message) : new WorkerCrashedError(message),
      );
      if (pending.versionId) this.#onContainmentFailure({ versionId: pending.versionId, kind, message });
      this.#logger.warn({ versionId: pending.versionId, reason: message }, 'inference worker replaced');
    }
    if (!slot.ready) this.#logger.error({ how }, 'inference worker failed to start');
    const replace = () => {
      if (this.#closed || this.#slots.length >= this.#config.workers) return;
      this.#slots.push(this.#spawn());
    };
    if (slot.ready) replace();
    else setTimeout(replace, RESPAWN_DELAY_MS).unref();
  }

  #spawn(): Slot {
    const slot: Slot = {
      handle: null!,
      ready: false,
      gone: false,
      current: null,
      deadline: null,
      timedOut: null,
      loaded: new Set(),
    };
    const onExit = (how: string) => this.#exited(slot, how);
    const onMessage = (message: FromWorker) => this.#receive(slot, message);
    slot.handle =
      this.#config.isolation === 'process'
        ? this.#spawnProcess(onMessage, onExit)
        : this.#spawnThread(onMessage, onExit);
    slot.handle.send({ type: 'configure', options: this.#config.worker });
    return slot;
  }

  #spawnProcess(onMessage: (message: FromWorker) => void, onExit: (how: string) => void): WorkerHandle {
    const child: ChildProcess = spawnSandboxed(WORKER_ENTRY, {
      addressSpaceBytes: this.#config.memoryLimitBytes,
      heapMb: WORKER_HEAP_MB,
    });
    // An idle worker must not keep a process alive that is otherwise done.
    child.unref();
    child.channel?.unref();
    child.on('message', onMessage);
    child.on('exit', (code, signal) => onExit(signal ? `killed by ${signal}` : `exit code ${code}`));
    child.on('error', (error) => onExit(error.message));
    return {
      pid: child.pid ?? 0,
      send: (message) => {
        // A worker that is going away answers with its exit, which fails the task.
        if (child.connected) child.send(message, (error) => error && child.kill('SIGKILL'));
      },
      kill: () => child.kill('SIGKILL'),
    };
  }

  #spawnThread(onMessage: (message: FromWorker) => void, onExit: (how: string) => void): WorkerHandle {
    const worker = new Worker(WORKER_ENTRY, { resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
    worker.unref();
    worker.on('message', onMessage);
    worker.on('error', (error) => this.#logger.error({ err: error }, 'inference thread failed'));
    worker.on('exit', (code) => onExit(`exit code ${code}`));
    return {
      pid: process.pid,
      send: (message, transfer = []) => worker.postMessage(message, transfer),
      // Stops the thread's JavaScript; a thread inside a native run finishes that run first.
      kill: () => void worker.terminate(),
    };
  }
}

const WORKER_ENTRY = new URL('./inference-worker.ts', import.meta.url);
/** Inputs, outputs and model bytes live outside the JS heap; the heap holds little but messages. */
const WORKER_HEAP_MB = 512;

/** Tells a run's caller how it went, when the caller traces it. */
function observeEnd(
  measure: RunMeasure | null,
  pid: number | null,
  run: Interval | null,
  failure: string | null,
): void {
  if (!measure?.observe) return;
  const { dispatchedAt, load, rows } = measure;
  measure.observe({ dispatchedAt, load, run, rows, pid, failure });
}

function count(counts: Map<string, number>, key: string, delta: number): void {
  const next = (counts.get(key) ?? 0) + delta;
  if (next === 0) counts.delete(key);
  else counts.set(key, next);
}
