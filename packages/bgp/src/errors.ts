/**
 * Errors of @vectorplane/bgp. Each has a stable `name` and `code`: branch on those, never on
 * `instanceof` (the package ships ESM and CJS).
 */

/** Base of every error of this package. */
export class BgpError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BgpError';
    this.code = code;
  }
}

/** The `gobgpd` binary is not installed where we looked. */
export class GobgpdNotFoundError extends BgpError {
  /** The path or bare command name that was asked for. */
  readonly path: string;
  /** The candidate files that were tried (one for a path with a slash; one per PATH directory for a bare name). */
  readonly searched: readonly string[];
  constructor(path: string, options?: { cause?: unknown; searched?: readonly string[] }) {
    const searched = options?.searched ?? [path];
    const where = path.includes('/')
      ? `at ${path}`
      : `as "${path}" in PATH (tried ${searched.join(', ') || 'nothing: PATH is empty'})`;
    super(
      'GOBGPD_NOT_FOUND',
      `gobgpd not found ${where} (install the Debian package gobgpd, or set gobgpdPath)`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'GobgpdNotFoundError';
    this.path = path;
    this.searched = searched;
  }
}

/** `gobgpd` started but its API never answered (socket missing, process exited early, or timeout). */
export class GobgpdStartError extends BgpError {
  readonly socket: string;
  readonly stderr: string;
  constructor(socket: string, reason: string, stderr: string, options?: { cause?: unknown }) {
    super(
      'GOBGPD_START_FAILED',
      `gobgpd API at unix://${socket} did not come up: ${reason}${stderr ? `; stderr: ${stderr.trim().slice(-500)}` : ''}`,
      options,
    );
    this.name = 'GobgpdStartError';
    this.socket = socket;
    this.stderr = stderr;
  }
}

/** A GobgpApi call failed with a gRPC status. */
export class GobgpApiError extends BgpError {
  readonly method: string;
  /** gRPC status code (e.g. 2 UNKNOWN, 14 UNAVAILABLE). */
  readonly grpcCode: number;
  readonly details: string;
  constructor(method: string, grpcCode: number, details: string, options?: { cause?: unknown }) {
    super('GOBGP_API_ERROR', `GobgpApi.${method} failed (grpc status ${grpcCode}): ${details}`, options);
    this.name = 'GobgpApiError';
    this.method = method;
    this.grpcCode = grpcCode;
    this.details = details;
  }
}

/** The caller's signal fired. */
export class BgpAbortError extends BgpError {
  constructor(what: string, options?: { cause?: unknown }) {
    super('BGP_ABORTED', `${what} aborted`, options);
    this.name = 'BgpAbortError';
  }
}

/** A value given to the speaker is invalid (ASN out of range, malformed address or prefix…). */
export class BgpInvalidConfigError extends BgpError {
  /** The object the value belongs to, e.g. `peer 10.0.0.2` or `global`. */
  readonly object: string;
  /** Path of the bad field, e.g. `asn`. */
  readonly field: string;
  readonly value: unknown;
  constructor(object: string, field: string, value: unknown, reason: string) {
    super('BGP_INVALID_CONFIG', `${object}: ${field} ${JSON.stringify(value)} ${reason}`);
    this.name = 'BgpInvalidConfigError';
    this.object = object;
    this.field = field;
    this.value = value;
  }
}

/** gobgpd refused to add, update or delete a peer. */
export class BgpPeerRefusedError extends BgpError {
  readonly address: string;
  readonly operation: 'add' | 'update' | 'delete';
  constructor(address: string, operation: 'add' | 'update' | 'delete', cause: unknown) {
    super(
      'BGP_PEER_REFUSED',
      `gobgpd refused to ${operation} peer ${address}: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
    this.name = 'BgpPeerRefusedError';
    this.address = address;
    this.operation = operation;
  }
}

/** gobgpd refused to announce or withdraw a path. */
export class BgpPathRefusedError extends BgpError {
  readonly prefix: string;
  readonly operation: 'announce' | 'withdraw';
  constructor(prefix: string, operation: 'announce' | 'withdraw', cause: unknown) {
    super(
      'BGP_PATH_REFUSED',
      `gobgpd refused to ${operation} ${prefix}: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
    this.name = 'BgpPathRefusedError';
    this.prefix = prefix;
    this.operation = operation;
  }
}

/** gobgpd refused a policy, defined set or policy assignment. */
export class BgpPolicyRefusedError extends BgpError {
  readonly policy: string;
  constructor(policy: string, cause: unknown) {
    super('BGP_POLICY_REFUSED', `gobgpd refused policy ${policy}: ${(cause as Error)?.message ?? String(cause)}`, {
      cause,
    });
    this.name = 'BgpPolicyRefusedError';
    this.policy = policy;
  }
}

/** A learned route could not be programmed into (or removed from) VPP. */
export class BgpRouteProgramError extends BgpError {
  readonly prefix: string;
  readonly provider: string;
  constructor(prefix: string, provider: string, operation: 'add' | 'delete', cause: unknown) {
    super(
      'BGP_ROUTE_PROGRAM_FAILED',
      `${operation} of route ${prefix} via ${provider} failed: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
    this.name = 'BgpRouteProgramError';
    this.prefix = prefix;
    this.provider = provider;
  }
}

/**
 * A message gobgpd streamed is not valid protobuf (truncated, or a wire type we cannot skip). The
 * watch stream reports it as a `GobgpApiError` (`INTERNAL`) with this as the cause.
 */
export class PathDecodeError extends BgpError {
  constructor(message: string) {
    super('BGP_PATH_DECODE', `gobgpd path message: ${message}`);
    this.name = 'PathDecodeError';
  }
}

/** The speaker is not connected (not started, or gobgpd is down and being restarted). */
export class BgpSpeakerDownError extends BgpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BGP_SPEAKER_DOWN', message, options);
    this.name = 'BgpSpeakerDownError';
  }
}
