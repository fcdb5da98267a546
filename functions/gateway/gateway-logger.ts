/**
 * The logging surface the gateway uses: Powertools' `Logger` fits it, and so
 * does a test's collector. Attributes carry ids, addresses, counts and close
 * reasons only: never keys, seeds or message contents.
 */
export interface GatewayLogger {
  debug(message: string, ...attributes: Record<string, unknown>[]): void;
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}
