/**
 * Errors of @vectorplane/vpp-manager: one class per condition. Branch on `.name` and `.code`, never on
 * `instanceof` (the package ships ESM and CJS). Facts travel as fields, underlying errors as `cause`.
 */

/** One refused value of a configuration. */
export interface ConfigIssue {
  /** Where the value came from: an environment variable (`CALICOVPP_INTERFACES`), a file path, or `config`. */
  readonly source: string;
  /** Path of the field inside that source: `uplinkInterfaces[0].vppDriver`. */
  readonly path: string;
  readonly message: string;
}

/** The configuration was refused before anything was touched; every issue names its source and field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'EINVALIDCONFIG';
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    super(issues.map((i) => `${i.source}: ${i.path || '(root)'}: ${i.message}`).join('; '), options);
    this.issues = issues;
  }
  /** Source of the first issue (an env var name, a file or `config`). */
  get source(): string {
    return this.issues[0]?.source ?? '';
  }
  /** Field path of the first issue. */
  get path(): string {
    return this.issues[0]?.path ?? '';
  }
}

/** The uplink named in the configuration does not exist in the host namespace. */
export class UplinkNotFoundError extends Error {
  override readonly name = 'UplinkNotFoundError';
  readonly code = 'ENOUPLINK';
  readonly interfaceName: string;
  readonly netns: string | undefined;
  constructor(interfaceName: string, netns: string | undefined, options?: { cause?: unknown }) {
    super(`uplink '${interfaceName}' not found${netns ? ` in netns ${netns}` : ''}`, options);
    this.interfaceName = interfaceName;
    this.netns = netns;
  }
}

/** The uplink has no address other than IPv6 link-local: there is nothing to hand to VPP and the host. */
export class UplinkNoAddressError extends Error {
  override readonly name = 'UplinkNoAddressError';
  readonly code = 'ENOADDR';
  readonly interfaceName: string;
  constructor(interfaceName: string) {
    super(`uplink '${interfaceName}' has no IPv4 or global IPv6 address`);
    this.interfaceName = interfaceName;
  }
}

/** A driver cannot run on this host; `reason` says why ("no vfio-pci", "MTU 9000 > 3072 for af_xdp"). */
export class DriverUnsupportedError extends Error {
  override readonly name = 'DriverUnsupportedError';
  readonly code = 'EDRIVERUNSUPPORTED';
  readonly driver: string;
  readonly reasons: readonly string[];
  constructor(driver: string, reasons: readonly string[], options?: { cause?: unknown }) {
    super(`driver ${driver} is not supported on this host: ${reasons.join('; ')}`, options);
    this.driver = driver;
    this.reasons = reasons;
  }
}

/** VPP did not open an API socket that answers in time, or its binary could not be started. */
export class VppStartError extends Error {
  override readonly name = 'VppStartError';
  readonly code = 'EVPPSTART';
  readonly apiSocket: string;
  readonly timeoutMs: number;
  constructor(message: string, apiSocket: string, timeoutMs: number, options?: { cause?: unknown }) {
    super(message, options);
    this.apiSocket = apiSocket;
    this.timeoutMs = timeoutMs;
  }
}

/** VPP exited while the manager still needed it (during set-up, or while running). */
export class VppExitedError extends Error {
  override readonly name = 'VppExitedError';
  readonly code = 'EVPPEXIT';
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly phase: string;
  constructor(phase: string, exitCode: number | null, signal: string | null, options?: { cause?: unknown }) {
    super(`VPP exited during ${phase} (code ${exitCode}, signal ${signal})`, options);
    this.phase = phase;
    this.exitCode = exitCode;
    this.signal = signal;
  }
}

/** One step of the set-up failed; `step` names it, `cause` is VPP's or the kernel's refusal. */
export class SetupError extends Error {
  override readonly name = 'SetupError';
  readonly code = 'ESETUP';
  readonly step: string;
  constructor(step: string, options?: { cause?: unknown }) {
    const c = options?.cause as { message?: string } | undefined;
    super(`set-up step '${step}' failed${c?.message ? `: ${c.message}` : ''}`, options);
    this.step = step;
  }
}

/** Capabilities the manager or VPP need are missing; `missing` names them (`CAP_NET_ADMIN`). */
export class CapabilityError extends Error {
  override readonly name = 'CapabilityError';
  readonly code = 'ECAPS';
  readonly missing: readonly string[];
  constructor(missing: readonly string[]) {
    super(`missing capabilities: ${missing.join(', ')}`);
    this.missing = missing;
  }
}

/** The state file cannot be read, parsed or written. */
export class StateFileError extends Error {
  override readonly name = 'StateFileError';
  readonly code = 'ESTATE';
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(`state file ${path}: ${message}`, options);
    this.path = path;
  }
}

/** Restoring the uplink left items undone; `failed` lists them. */
export class RestoreError extends Error {
  override readonly name = 'RestoreError';
  readonly code = 'ERESTORE';
  readonly failed: readonly string[];
  constructor(failed: readonly string[], options?: { cause?: unknown }) {
    super(`uplink restore incomplete: ${failed.join('; ')}`, options);
    this.failed = failed;
  }
}
