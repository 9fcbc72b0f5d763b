/**
 * Errors of the agent. Branch on `name` / `code`, never `instanceof` (the package ships ESM and CJS).
 */

/** Where a bad configuration value came from: an environment variable or the config file. */
export type ConfigOrigin =
  { readonly kind: 'env'; readonly variable: string } | { readonly kind: 'file'; readonly file: string };

/** One invalid configuration value: its origin and the path of the field inside it. */
export interface ConfigProblem {
  readonly origin: ConfigOrigin;
  /** Dotted path inside the variable's JSON or the file (`uplinkInterfaces.0.mtu`); empty for the whole value. */
  readonly field: string;
  readonly message: string;
}

function describe(p: ConfigProblem): string {
  const where = p.origin.kind === 'env' ? `${p.origin.variable}` : `config file ${p.origin.file}`;
  return `${where}${p.field ? ` field '${p.field}'` : ''}: ${p.message}`;
}

/** The configuration is invalid; nothing was started. Every problem names its variable or file and its field. */
export class AgentConfigError extends Error {
  override readonly name = 'AgentConfigError';
  readonly code = 'ERR_AGENT_CONFIG';
  constructor(
    readonly problems: readonly ConfigProblem[],
    options?: ErrorOptions,
  ) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${describe(p)}`).join('\n')}`, options);
  }
}

/** A component failed to start; the components started before it were stopped again. */
export class ComponentStartError extends Error {
  override readonly name = 'ComponentStartError';
  readonly code = 'ERR_COMPONENT_START';
  constructor(
    readonly component: string,
    options?: ErrorOptions,
  ) {
    super(
      `component '${component}' failed to start${options?.cause instanceof Error ? `: ${options.cause.message}` : ''}`,
      options,
    );
  }
}

/** Stopping took longer than the deadline; the components named did not finish. */
export class ShutdownTimeoutError extends Error {
  override readonly name = 'ShutdownTimeoutError';
  readonly code = 'ERR_SHUTDOWN_TIMEOUT';
  constructor(
    readonly pending: readonly string[],
    readonly deadlineMs: number,
  ) {
    super(`shutdown exceeded ${deadlineMs} ms; still stopping: ${pending.join(', ')}`);
  }
}
