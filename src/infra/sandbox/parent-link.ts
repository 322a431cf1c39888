// The child's side of a sandboxed process or a worker thread: one way to talk to the parent either way.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parentPort, Worker } from 'node:worker_threads';
import { MEMORY_LIMIT_ENV } from './sandboxed-process.ts';

export type ParentLink = {
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  onMessage<T>(handler: (message: T) => void): void;
};

/**
 * The parent of this worker thread or sandboxed process. Called by an entry module once its imports
 * are loaded, before it takes any work: in a process, this is when its memory ceiling is set, and a
 * watchdog thread starts that ends the process when the parent is gone (its main thread may be stuck
 * in native code, a model that loops for ever, where it hears neither the closed IPC channel nor
 * anything else).
 */
export function linkToParent(): ParentLink {
  if (parentPort) {
    const port = parentPort;
    return {
      post: (message, transfer = []) => port.postMessage(message, transfer),
      onMessage: (handler) => port.on('message', handler),
    };
  }
  if (!process.send) throw new Error('not started by a parent: no IPC channel');
  watchForOrphaning();
  limitMemory();
  return {
    // A parent that is gone cannot be told anything: this process has no reason to go on.
    post: (message) => process.send!(message, (error: Error | null) => error && process.exit(0)),
    onMessage: (handler) => process.on('message', handler),
  };
}

function watchForOrphaning(): void {
  const watchdog = new Worker(
    `const { workerData } = require('node:worker_threads');
     setInterval(() => { if (process.ppid !== workerData) process.kill(process.pid, 'SIGKILL'); }, 500);`,
    // A small heap: every isolate reserves address space, which counts against the process's ceiling.
    {
      eval: true,
      workerData: process.ppid,
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4, codeRangeSizeMb: 8 },
    },
  );
  watchdog.unref();
  process.on('disconnect', () => process.exit(0));
}

/**
 * Caps this process's address space at its present size plus the allowed memory. Node cannot call
 * setrlimit, so util-linux's prlimit does it. A process that cannot be capped refuses to work: it
 * would run hostile models without a ceiling.
 */
function limitMemory(): void {
  const allowed = process.env[MEMORY_LIMIT_ENV];
  if (allowed === undefined) return;
  const size = Number(/VmSize:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) * 1024;
  execFileSync('prlimit', [`--pid=${process.pid}`, `--as=${size + Number(allowed)}`]);
}
