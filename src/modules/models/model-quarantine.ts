import type { QuarantineConfig } from '../../config.ts';
import type { Orm } from '../../infra/database/orm.ts';
import type { ContainmentFailure } from '../../infra/inference/inference-errors.ts';
import type { Logger } from '../../logger.ts';

export type Quarantined = {
  modelId: string;
  versionId: string;
  version: number;
  until: Date;
  lastError: string;
};

/**
 * Counts a version's runs that passed their deadline or killed their worker, in PostgreSQL so every
 * instance counts together; `afterFailures` of them, each within `windowMs` of the one before,
 * quarantine the version for `durationMs`. One statement does it, so concurrent failures on several
 * instances are all counted.
 */
export class ModelQuarantine {
  readonly #orm: Orm;
  readonly #config: QuarantineConfig;
  readonly #logger: Logger;
  readonly #onQuarantined: (quarantined: Quarantined) => Promise<void>;

  constructor(deps: {
    orm: Orm;
    config: QuarantineConfig;
    logger: Logger;
    /** After a version is quarantined: caches drop it, waiting calls fail. */
    onQuarantined: (quarantined: Quarantined) => Promise<void>;
  }) {
    this.#orm = deps.orm;
    this.#config = deps.config;
    this.#logger = deps.logger;
    this.#onQuarantined = deps.onQuarantined;
  }

  /** Never rejects: a failure to count is logged, and the run's caller has its error already. */
  async record(failure: ContainmentFailure): Promise<void> {
    const { afterFailures, windowMs, durationMs } = this.#config;
    // The failures so far, this one included: the count restarts after a quiet spell.
    const failures = `(case when last_failure_at > now() - make_interval(secs => ?) then containment_failures + 1 else 1 end)`;
    try {
      const rows = await this.#orm.em
        .fork()
        .execute<
          { model_id: string; version: number; quarantined_until: Date | null; now_quarantined: boolean }[]
        >(
          `update model_versions set
           quarantined_until = case when ${failures} >= ? then now() + make_interval(secs => ?) else quarantined_until end,
           containment_failures = case when ${failures} >= ? then 0 else ${failures} end,
           last_failure_at = now(),
           last_error = ?
         where id = ?
         returning model_id, version, quarantined_until, containment_failures = 0 as now_quarantined`,
          [
            windowMs / 1000,
            afterFailures,
            durationMs / 1000,
            windowMs / 1000,
            afterFailures,
            windowMs / 1000,
            failure.message,
            failure.versionId,
          ],
        );
      const row = rows[0];
      if (!row?.now_quarantined || !row.quarantined_until) return;
      const quarantined = {
        modelId: row.model_id,
        versionId: failure.versionId,
        version: row.version,
        until: new Date(row.quarantined_until),
        lastError: failure.message,
      };
      this.#logger.warn(quarantined, 'model version quarantined');
      await this.#onQuarantined(quarantined);
    } catch (error) {
      this.#logger.error({ err: error, versionId: failure.versionId }, 'containment failure not recorded');
    }
  }
}
