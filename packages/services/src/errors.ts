/**
 * Errors of @vectorplane/services, one class per condition. Branch on `.name` / `.code`, never
 * `instanceof` (the package ships ESM and CJS). Facts travel as fields; underlying errors as `cause`.
 */
import type { ObjectRef, TranslationIssue } from './types.js';

function refText(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name || '<unnamed>'}`;
}

/** A Service failed validation; it is skipped and its last good version stays programmed. */
export class InvalidServiceError extends Error {
  override readonly name = 'InvalidServiceError';
  readonly code = 'SERVICES_INVALID_SERVICE';
  readonly object: ObjectRef;
  /** Every problem found, each with its code and field path. */
  readonly issues: readonly TranslationIssue[];
  constructor(object: ObjectRef, issues: readonly TranslationIssue[]) {
    super(
      `${refText(object)} is invalid and skipped: ${issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
    this.object = object;
    this.issues = issues;
  }
}

/** An EndpointSlice failed validation; it is skipped and its last good version stays in use. */
export class InvalidEndpointSliceError extends Error {
  override readonly name = 'InvalidEndpointSliceError';
  readonly code = 'SERVICES_INVALID_ENDPOINT_SLICE';
  readonly object: ObjectRef;
  readonly issues: readonly TranslationIssue[];
  constructor(object: ObjectRef, issues: readonly TranslationIssue[]) {
    super(
      `${refText(object)} is invalid and skipped: ${issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
    this.object = object;
    this.issues = issues;
  }
}

/**
 * VPP refused (or never answered) a request for one translation. The other translations are still
 * programmed; this one is retried.
 */
export class TranslationProgramError extends Error {
  override readonly name = 'TranslationProgramError';
  readonly code = 'SERVICES_TRANSLATION_FAILED';
  /** `namespace/name` of the Service the translation belongs to (of the one programmed, for deletes). */
  readonly service: string;
  /** `proto/vip/port`. */
  readonly key: string;
  /** `cnat_translation_update` or `cnat_translation_del`. */
  readonly messageName: string;
  /** VPP's retval when VPP answered with an error. */
  readonly retval: number | undefined;
  constructor(
    init: { service: string; key: string; messageName: string; retval?: number | undefined },
    options?: { cause?: unknown },
  ) {
    const why = options?.cause instanceof Error ? options.cause.message : String(options?.cause ?? 'failed');
    super(`Service ${init.service}: ${init.messageName} for ${init.key} failed: ${why}`, options);
    this.service = init.service;
    this.key = init.key;
    this.messageName = init.messageName;
    this.retval = init.retval;
  }
}

/** A step of the SNAT set-up failed (addresses, policy, an exclusion, an interface). */
export class SnatProgramError extends Error {
  override readonly name = 'SnatProgramError';
  readonly code = 'SERVICES_SNAT_FAILED';
  /** The VPP message that failed. */
  readonly messageName: string;
  /** What it was about: an address, a prefix, an interface index. */
  readonly subject: string;
  readonly retval: number | undefined;
  constructor(
    init: { messageName: string; subject: string; retval?: number | undefined },
    options?: { cause?: unknown },
  ) {
    const why = options?.cause instanceof Error ? options.cause.message : String(options?.cause ?? 'failed');
    super(`SNAT set-up: ${init.messageName} (${init.subject}) failed: ${why}`, options);
    this.messageName = init.messageName;
    this.subject = init.subject;
    this.retval = init.retval;
  }
}

/** Reading VPP's translations (`cnat_translation_dump`) failed; the reconcile is retried. */
export class ReconcileError extends Error {
  override readonly name = 'ReconcileError';
  readonly code = 'SERVICES_RECONCILE_FAILED';
  constructor(options?: { cause?: unknown }) {
    super(
      `reading VPP's cnat translations failed: ${options?.cause instanceof Error ? options.cause.message : 'unknown'}`,
      options,
    );
  }
}

/** The configuration given to `createServices` is unusable; `field` names the bad setting. */
export class ServicesConfigError extends Error {
  override readonly name = 'ServicesConfigError';
  readonly code = 'SERVICES_CONFIG';
  readonly field: string;
  readonly value: unknown;
  constructor(field: string, value: unknown, reason: string) {
    super(`invalid ${field} ${JSON.stringify(value)}: ${reason}`);
    this.field = field;
    this.value = value;
  }
}

/** The operation needs a running services instance (after `start()`, before `stop()`). */
export class ServicesNotRunningError extends Error {
  override readonly name = 'ServicesNotRunningError';
  readonly code = 'SERVICES_NOT_RUNNING';
  constructor(operation: string) {
    super(`${operation}: services is not running`);
  }
}

/**
 * A port named on one side only: an EndpointSlice port no Service port matches (`UNKNOWN_SLICE_PORT`,
 * `object` is the slice), or a Service port no slice names (`SERVICE_PORT_WITHOUT_SLICE_PORT`, `object`
 * is the Service). That port is skipped; the rest of the Service is programmed.
 */
export class MissingPortError extends Error {
  override readonly name = 'MissingPortError';
  readonly code = 'SERVICES_MISSING_PORT';
  readonly object: ObjectRef;
  /** The port's name (`''` when unnamed). */
  readonly port: string;
  readonly issue: TranslationIssue;
  constructor(issue: TranslationIssue) {
    super(`${refText(issue.object)}: ${issue.message}`);
    this.object = issue.object;
    this.port = typeof issue.value === 'string' ? issue.value : '';
    this.issue = issue;
  }
}
