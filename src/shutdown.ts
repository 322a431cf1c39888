import type { Logger } from './logger.ts';

/**
 * On the first SIGTERM or SIGINT: `stop`, then exit 0 (1 if stopping failed). Later signals are
 * ignored while it runs, so an impatient second Ctrl-C does not cut a clean stop short.
 */
export function stopOnSignal(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      stop().then(
        () => process.exit(0),
        (error) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}
