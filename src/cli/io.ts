// What a command writes to and may be handed (tests): its output lines, an open database, an observer of its runtime.
import { destination, type Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { Db } from '../db/index.js';
import { createLogger } from '../logger.js';
import type { Runtime } from '../runtime/index.js';

export interface CommandIo {
  out?: (text: string) => void;
  err?: (text: string) => void;
  /** An open database to use (and leave open) instead of opening the configured one. */
  db?: Db;
  /** Called with the command's runtime once it is open (the runtime test compares it with the server's). */
  onRuntime?: (rt: Runtime) => void;
}

/** The commands' logger: warnings and errors (LOG_LEVEL=debug for more), on stderr so stdout is only the report. */
export function cliLogger(config: Config): Logger {
  return createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, destination({ fd: 2, sync: true }));
}
