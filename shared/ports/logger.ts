/**
 * LDK's `Logger` trait: where the core writes what it decided and why. The
 * core never logs keys, preimages or per-commitment secrets.
 */

/** Severity of a log record (LDK's `Level`, lowest first). */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** Receives the core's log records. */
export interface Logger {
  log(level: LogLevel, message: string): void;
}
