import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type SandboxLimits = {
  /**
   * Memory the process may map beyond what it holds once started (JS heap and native allocations
   * alike), enforced as an address-space limit (RLIMIT_AS, Linux) that the child sets on itself when it
   * links to its parent (parent-link.ts); null sets none. Measured from the started process, not from
   * zero: Node reserves several GiB of address space just to strip a TypeScript entry's types.
   */
  addressSpaceBytes: number | null;
  /** V8's old-space limit, in MiB. */
  heapMb: number;
};

/** An empty folder per process: the sandboxes' working directory, so a relative path reaches nothing. */
let emptyDir: string | null = null;
export function emptyDirectory(): string {
  emptyDir ??= mkdtempSync(join(tmpdir(), 'mlp-sandbox-'));
  return emptyDir;
}

/** Read by parent-link.ts in the child: the memory it may map beyond its size once started. */
export const MEMORY_LIMIT_ENV = 'MLP_SANDBOX_MEMORY_BYTES';

/**
 * Starts `entry` (a module of this code base) in a new Node process under `limits`, connected by an IPC
 * channel that carries structured clones (typed arrays included). The child gets no environment (no
 * database URL, no JWT secret) and an empty working directory.
 */
export function spawnSandboxed(entry: URL, limits: SandboxLimits): ChildProcess {
  const env: Record<string, string> = {
    // glibc gives each thread that allocates a 64 MiB arena of address space; two are plenty here.
    MALLOC_ARENA_MAX: '2',
  };
  if (limits.addressSpaceBytes !== null) env[MEMORY_LIMIT_ENV] = String(limits.addressSpaceBytes);
  return spawn(process.execPath, [`--max-old-space-size=${limits.heapMb}`, fileURLToPath(entry)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
    cwd: emptyDirectory(),
    env,
  });
}
