/** A pino-compatible logger; nothing is logged without one. */
export interface BgpLogger {
  debug(fields: Record<string, unknown>, msg?: string): void;
  info(fields: Record<string, unknown>, msg?: string): void;
  warn(fields: Record<string, unknown>, msg?: string): void;
  error(fields: Record<string, unknown>, msg?: string): void;
}

const noop = (): void => {};

/** A logger that drops everything. @internal */
export const NOOP_LOGGER: BgpLogger = { debug: noop, info: noop, warn: noop, error: noop };
