import { InferenceSession } from 'onnxruntime-node';
import { emptyDirectory } from '../sandbox/sandboxed-process.ts';
import { checkModel, type ModelCheckLimits } from './model-check.ts';
import { describeSession, type TensorSpec } from './tensor-spec.ts';

type Entry = {
  session: Promise<InferenceSession>;
  /** Runs in flight; an evicted session is released only when the last one finishes. */
  leases: number;
  evicted: boolean;
};

export type SessionOptions = {
  /** onnxruntime's intra-op threads per session. */
  intraOpThreads: number;
  limits: ModelCheckLimits;
};

/** For models mlp made itself (training): the defaults of the settings. */
const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  intraOpThreads: 1,
  limits: { maxTensorElements: 100_000_000 },
};

/**
 * Checks ONNX bytes (model-check.ts) and loads them into an onnxruntime session; used on upload (to
 * validate) and on first use. `intraOpThreads` is deliberate: onnxruntime's default (one thread per core)
 * in every inference worker would oversubscribe the cores that the server and the other workers need;
 * batches, not intra-op parallelism, are what make mlp fast.
 */
export async function loadSession(
  bytes: Uint8Array,
  options: SessionOptions = DEFAULT_SESSION_OPTIONS,
): Promise<InferenceSession> {
  checkModel(bytes, options.limits);
  return InferenceSession.create(bytes, {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // A model failing on a caller's inputs is reported to that caller; it is not the operator's error log.
    logSeverityLevel: 4,
    // Nothing is written to disk (no optimized model file, no profile), and external data, should any
    // slip past checkModel, resolves inside an empty folder instead of the working directory.
    enableProfiling: false,
    extra: { session: { model_external_initializers_file_folder_path: emptyDirectory() } },
  });
}

export async function inspectModel(
  bytes: Uint8Array,
  options: SessionOptions = DEFAULT_SESSION_OPTIONS,
): Promise<{ inputs: TensorSpec[]; outputs: TensorSpec[] }> {
  const session = await loadSession(bytes, options);
  try {
    return describeSession(session);
  } finally {
    await session.release();
  }
}

/**
 * Inference sessions per model version, in memory, least recently used evicted beyond `capacity`.
 * Concurrent first requests for one version share a single load.
 */
export class ModelSessions {
  readonly #capacity: number;
  readonly #entries = new Map<string, Entry>();
  #evictedIds: string[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  async use<T>(
    versionId: string,
    load: () => Promise<InferenceSession>,
    run: (session: InferenceSession) => Promise<T>,
  ): Promise<T> {
    let entry = this.#entries.get(versionId);
    if (entry) {
      // Map order is insertion order: re-inserting marks this version as the most recently used.
      this.#entries.delete(versionId);
      this.#entries.set(versionId, entry);
    } else {
      entry = {
        session: load(),
        leases: 0,
        evicted: false,
      };
      this.#entries.set(versionId, entry);
      this.#evictBeyondCapacity();
    }
    entry.leases++;
    try {
      return await run(await entry.session);
    } catch (error) {
      // A failed load must not stay cached: the next request tries again.
      if (this.#entries.get(versionId) === entry && (await isRejected(entry.session))) {
        this.#entries.delete(versionId);
      }
      throw error;
    } finally {
      entry.leases--;
      if (entry.evicted && entry.leases === 0) void releaseQuietly(entry.session);
    }
  }

  /** The versions evicted to make room since the last call. */
  takeEvicted(): string[] {
    const evicted = this.#evictedIds;
    this.#evictedIds = [];
    return evicted;
  }

  /** Drops a version's session, e.g. when its model is deleted. */
  forget(versionId: string): void {
    const entry = this.#entries.get(versionId);
    if (!entry) return;
    this.#entries.delete(versionId);
    this.#evict(entry);
  }

  async close(): Promise<void> {
    for (const entry of this.#entries.values()) this.#evict(entry);
    this.#entries.clear();
  }

  #evictBeyondCapacity(): void {
    while (this.#entries.size > this.#capacity) {
      const [oldestId, oldest] = this.#entries.entries().next().value!;
      this.#entries.delete(oldestId);
      this.#evictedIds.push(oldestId);
      this.#evict(oldest);
    }
  }

  #evict(entry: Entry): void {
    entry.evicted = true;
    if (entry.leases === 0) void releaseQuietly(entry.session);
  }
}

async function isRejected(promise: Promise<unknown>): Promise<boolean> {
  return promise.then(
    () => false,
    () => true,
  );
}

async function releaseQuietly(session: Promise<InferenceSession>): Promise<void> {
  try {
    await (await session).release();
  } catch {
    // A session that failed to load has nothing to release.
  }
}
