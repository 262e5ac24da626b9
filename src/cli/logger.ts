// The node's logger: pino, JSON lines on stdout, written synchronously so that the last lines
// before an exit are never lost (a node logs little; the hot paths do not log per operation).

import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogLevel } from '../server/index.js';

export function createLogger(
  level: LogLevel,
  destination: DestinationStream = pino.destination({ dest: 1, sync: true }),
): Logger {
  return pino({ level }, destination);
}

/** Resolves once everything logged so far is written (immediately for a sync destination). */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}
