import { sql } from 'kysely';
import type { PredictionHistoryConfig } from '../../config.ts';
import type { Orm } from '../../infra/database/orm.ts';
import type { Metrics } from '../../infra/metrics/metrics.ts';
import type { Link, Tracing } from '../../infra/telemetry/tracing.ts';
import type { Logger } from '../../logger.ts';
import type { PredictionRecord } from './prediction.entity.ts';

/** A prediction waiting to be written, and the span of the call that made it (when traced). */
type Queued = { record: PredictionRecord; link: Link | null };

export type PredictionHistoryDeps = {
  orm: Orm;
  config: PredictionHistoryConfig;
  logger: Logger;
  metrics: Pick<Metrics, 'historyWriteSeconds'>;
  tracing: Tracing;
  /** Told of the rows each write stored. */
  onWritten: (records: PredictionRecord[]) => void;
};

/** After a failed write, the next attempt waits this long (the rows stay queued meanwhile). */
const RETRY_MS = 1000;

/**
 * Prediction history, written in batches off the request path: `record` queues a row and returns; a
 * multi-row INSERT writes the queue, at most once per `flushIntervalMs` (sooner when a batch is full).
 * A prediction after a quiet spell is written (and announced) at once; under load, rows wait for the
 * interval and go together. Each row is announced (`onWritten`, i.e. the live event) only once it is in
 * PostgreSQL, so a subscriber can query what it was told about. `close` writes everything left, so a
 * clean shutdown loses nothing.
 *
 * Reads in this process see its own writes: readers `flush()` first. Another instance sees a prediction
 * within `flushIntervalMs`. Each write is a span of its own, linked to the calls whose rows it wrote.
 */
export class PredictionHistory {
  readonly #deps: PredictionHistoryDeps;
  readonly #config: PredictionHistoryConfig;
  readonly #logger: Logger;
  #pending: Queued[] = [];
  /** Writes run one at a time, in order; this is the last one queued (never rejected). */
  #writes: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  /** The earliest the next write may start: an interval after the last one began, longer after a failure. */
  #nextWriteAt: number;
  #closed = false;

  constructor(deps: PredictionHistoryDeps) {
    this.#deps = deps;
    this.#config = deps.config;
    this.#logger = deps.logger;
    this.#nextWriteAt = Date.now() + deps.config.flushIntervalMs;
  }

  /**
   * Queues one prediction. Resolves at once unless the queue is full, in which case it waits for (and
   * fails with) the write that makes room: memory stays bounded while PostgreSQL is away.
   */
  async record(record: PredictionRecord): Promise<void> {
    if (this.#closed) throw new Error('prediction history is closed');
    this.#pending.push({ record, link: this.#deps.tracing.link() });
    if (this.#pending.length >= this.#config.maxPending) return this.flush();
    const full = this.#pending.length >= this.#config.maxBatch;
    this.#schedule(full ? 0 : Math.max(0, this.#nextWriteAt - Date.now()));
  }

  /** Predictions waiting to be written. */
  get pendingRows(): number {
    return this.#pending.length;
  }

  /** Writes everything recorded so far; rejects if PostgreSQL refuses (the rows stay queued). */
  flush(): Promise<void> {
    if (this.#pending.length === 0) return this.#writes;
    const write = this.#writes.then(() => this.#writePending());
    this.#writes = write.catch(() => {});
    return write;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    try {
      await this.flush();
    } catch (error) {
      this.#logger.error(
        { err: error, lost: this.#pending.length },
        'prediction history could not be written at shutdown',
      );
    }
  }

  #schedule(delayMs: number): void {
    if (this.#timer) {
      if (delayMs > 0) return;
      clearTimeout(this.#timer);
    }
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.flush().catch((error) => {
        this.#logger.error(
          { err: error, pending: this.#pending.length },
          'prediction history not written; retrying',
        );
        this.#nextWriteAt = Date.now() + RETRY_MS;
        if (!this.#closed) this.#schedule(RETRY_MS);
      });
    }, delayMs);
  }

  async #writePending(): Promise<void> {
    this.#nextWriteAt = Date.now() + this.#config.flushIntervalMs;
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#config.maxBatch);
      const records = batch.map((queued) => queued.record);
      const links = batch.flatMap((queued) => (queued.link ? [queued.link] : []));
      const started = performance.now();
      let written: { id: string }[];
      try {
        written = await this.#deps.tracing.linked(
          'history write',
          links,
          { 'mlp.rows': records.length },
          () => insertExisting(this.#deps.orm, records),
        );
      } catch (error) {
        this.#pending.unshift(...batch);
        throw error;
      } finally {
        this.#deps.metrics.historyWriteSeconds.observe((performance.now() - started) / 1000);
      }
      const ids = new Set(written.map((row) => row.id));
      this.#deps.onWritten(records.filter((record) => ids.has(record.id)));
    }
  }
}

/**
 * One statement per batch, the rows as one JSON parameter (bound, not spliced into the SQL text: a batch
 * can be megabytes). Rows whose version was deleted since the prediction (with its model or user) are
 * dropped, as the cascade would have dropped them: one deleted model must not fail the whole batch forever.
 * A retry of a batch whose commit went through but whose answer was lost inserts nothing twice.
 */
async function insertExisting(orm: Orm, batch: PredictionRecord[]): Promise<{ id: string }[]> {
  const db = orm.em.getConnection().getClient();
  const { rows } = await sql<{ id: string }>`
    insert into predictions (id, user_id, model_id, version_id, outputs, cached, latency_ms, created_at)
    select r.id, r."userId", r."modelId", r."versionId", r.outputs, r.cached, r."latencyMs", r."createdAt"
    from json_to_recordset(${JSON.stringify(batch)}::json) as r(
      id uuid, "userId" uuid, "modelId" uuid, "versionId" uuid, outputs jsonb, cached boolean,
      "latencyMs" double precision, "createdAt" timestamptz
    )
    join model_versions v on v.id = r."versionId"
    on conflict (id) do nothing
    returning id`.execute(db);
  return rows;
}
