import { pino } from 'pino';
import type { LogLevel } from './config.ts';
import type { Tracing } from './infra/telemetry/tracing.ts';

export type Logger = pino.Logger;

/** A process's logger: every line written while a request is handled carries its ids (`tracing`). */
export function createLogger(level: LogLevel, tracing: Pick<Tracing, 'logFields'> | null = null): Logger {
  return pino({
    level,
    // Credentials must never reach a log line, whichever object carries them.
    redact: ['req.headers.authorization', 'req.headers["x-api-key"]', '*.password', '*.secret', '*.token'],
    ...(tracing ? { mixin: () => tracing.logFields() } : {}),
  });
}
