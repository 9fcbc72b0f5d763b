/**
 * Errors of @vectorplane/policies. Callers branch on `name` / `code`, never `instanceof` (ESM and CJS).
 */

/** Base of every error this package throws. */
export class PolicyError extends Error {
  override name = 'PolicyError';
  readonly code: string = 'POLICY_ERROR';
}

/** A model object (ipset, rule, policy, endpoint) is invalid; `path` names the bad field. */
export class PolicyModelError extends PolicyError {
  override name = 'PolicyModelError';
  override readonly code = 'POLICY_MODEL_INVALID';
  constructor(
    readonly object: string,
    readonly path: string,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`${object}: ${path}: ${detail}`, options);
  }
}

/** An object refers to an ipset, policy or profile that does not exist. */
export class PolicyReferenceError extends PolicyError {
  override name = 'PolicyReferenceError';
  override readonly code = 'POLICY_UNKNOWN_REFERENCE';
  constructor(
    readonly object: string,
    readonly path: string,
    readonly kind: 'ipset' | 'policy' | 'profile' | 'workload' | 'host-endpoint',
    readonly ref: string,
  ) {
    super(`${object}: ${path}: unknown ${kind} "${ref}"`);
  }
}

/** VPP refused a policy message (its `retval` and the message name are kept). */
export class PolicyVppError extends PolicyError {
  override name = 'PolicyVppError';
  override readonly code = 'POLICY_VPP_FAILED';
  constructor(
    readonly message_name: string,
    readonly retval: number | undefined,
    readonly object: string,
    options?: ErrorOptions,
  ) {
    super(`${message_name} for ${object} failed${retval === undefined ? '' : ` (retval ${retval})`}`, options);
  }
}

/**
 * The npol state file (what a previous run programmed) cannot be used: unreadable, not JSON, another
 * version, or a bad field. The backend logs it and programs npol from scratch.
 */
export class PolicyStateError extends PolicyError {
  override name = 'PolicyStateError';
  override readonly code = 'POLICY_STATE_INVALID';
  constructor(
    readonly file: string,
    readonly field: string,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`${file}: ${field}: ${detail}`, options);
  }
}

/** A Felix frame's length prefix is larger than the configured maximum. */
export class FelixFrameTooLargeError extends PolicyError {
  override name = 'FelixFrameTooLargeError';
  override readonly code = 'FELIX_FRAME_TOO_LARGE';
  constructor(
    readonly length: number,
    readonly max: number,
  ) {
    super(`Felix frame of ${length} bytes exceeds the maximum of ${max}`);
  }
}

/** The Felix connection ended in the middle of a frame. */
export class FelixFrameTruncatedError extends PolicyError {
  override name = 'FelixFrameTruncatedError';
  override readonly code = 'FELIX_FRAME_TRUNCATED';
  constructor(
    readonly expected: number,
    readonly received: number,
  ) {
    super(`Felix connection closed inside a frame: ${received} of ${expected} bytes`);
  }
}

/** A Felix frame is not a valid `felix.ToDataplane` protobuf. */
export class FelixDecodeError extends PolicyError {
  override name = 'FelixDecodeError';
  override readonly code = 'FELIX_DECODE_FAILED';
  constructor(detail: string, options?: ErrorOptions) {
    super(`Felix frame is not a valid felix.ToDataplane: ${detail}`, options);
  }
}

/** A `ToDataplane` with no payload we know (an unknown oneof case, or none). */
export class FelixUnknownPayloadError extends PolicyError {
  override name = 'FelixUnknownPayloadError';
  override readonly code = 'FELIX_UNKNOWN_PAYLOAD';
  constructor(readonly fields: readonly number[]) {
    super(`felix.ToDataplane carries no known payload (fields ${fields.length ? fields.join(', ') : 'none'})`);
  }
}

/** A Kubernetes NetworkPolicy (or Pod/Namespace) that cannot be translated; every issue is listed. */
export class NetworkPolicyInvalidError extends PolicyError {
  override name = 'NetworkPolicyInvalidError';
  override readonly code = 'NETWORK_POLICY_INVALID';
  constructor(
    readonly object: string,
    readonly issues: readonly PolicyIssue[],
  ) {
    super(`${object}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
}

/** One problem found while translating or compiling, with the path of the bad field. */
export interface PolicyIssue {
  /** Machine-readable reason, e.g. `invalid-cidr`, `invalid-selector`, `unsupported-icmp`. */
  readonly code: string;
  /** The object the issue is about, e.g. `NetworkPolicy default/web` or `policy default.web`. */
  readonly object: string;
  /** Dotted path of the field, e.g. `spec.ingress[0].from[1].ipBlock.cidr`. */
  readonly path: string;
  readonly message: string;
}
