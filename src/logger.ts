import { pino } from 'pino';
import type { LogLevel } from './config.ts';

export type Logger = pino.Logger;

export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    // Credentials must never reach a log line, whichever object carries them.
    redact: ['req.headers.authorization', 'req.headers["x-api-key"]', '*.password', '*.secret', '*.token'],
  });
}
