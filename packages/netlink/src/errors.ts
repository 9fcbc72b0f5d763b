/**
 * Errors of @vectorplane/netlink: one class per condition. Callers branch on `.name` and `.code`, never on
 * `instanceof` (the package ships ESM and CJS). Facts travel as fields; underlying errors as `cause`.
 * Append new classes at the end.
 */

/** The kernel refused a request: `errno` (positive), `code` ('EEXIST') and the extended-ack text/offset. */
export class NetlinkError extends Error {
  override readonly name = 'NetlinkError';
  readonly errno: number;
  readonly code: string;
  /** Extended-ack message (NLMSGERR_ATTR_MSG), when the kernel gave one. */
  readonly extack: string | undefined;
  /** Byte offset in the request of the attribute the kernel blamed (NLMSGERR_ATTR_OFFS). */
  readonly offset: number | undefined;
  /** Netlink message type of the refused request. */
  readonly requestType: number | undefined;

  constructor(
    init: {
      errno: number;
      code: string;
      extack?: string | undefined;
      offset?: number | undefined;
      requestType?: number | undefined;
    },
    options?: { cause?: unknown },
  ) {
    super(`${init.code}${init.extack ? `: ${init.extack}` : ''}`, options);
    this.errno = init.errno;
    this.code = init.code;
    this.extack = init.extack;
    this.offset = init.offset;
    this.requestType = init.requestType;
  }
}

/** No link with that name or index exists in the handle's namespace. */
export class LinkNotFoundError extends Error {
  override readonly name = 'LinkNotFoundError';
  readonly code = 'ENODEV';
  readonly link: string | number;
  constructor(link: string | number, options?: { cause?: unknown }) {
    super(`link ${typeof link === 'number' ? `#${link}` : `'${link}'`} not found`, options);
    this.link = link;
  }
}

/** An argument was refused before anything was sent; `field` names it. */
export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError';
  readonly code = 'EINVAL';
  readonly field: string;
  readonly value: unknown;
  readonly reason: string;
  constructor(field: string, value: unknown, reason: string, options?: { cause?: unknown }) {
    super(`invalid ${field} ${safeString(value)}: ${reason}`, options);
    this.field = field;
    this.value = value;
    this.reason = reason;
  }
}

/** The native addon is missing (not built) or one of its system calls failed (`code` 'EPERM', …). */
export class NativeAddonError extends Error {
  override readonly name = 'NativeAddonError';
  readonly code: string;
  readonly errno: number | undefined;
  readonly syscall: string | undefined;
  constructor(
    message: string,
    init: { code: string; errno?: number | undefined; syscall?: string | undefined },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = init.code;
    this.errno = init.errno;
    this.syscall = init.syscall;
  }
}

/** A named network namespace does not exist (no file under /run/netns). */
export class NetnsNotFoundError extends Error {
  override readonly name = 'NetnsNotFoundError';
  readonly code = 'ENOENT';
  readonly netns: string;
  constructor(netns: string, options?: { cause?: unknown }) {
    super(`network namespace '${netns}' not found`, options);
    this.netns = netns;
  }
}

/** The handle was closed while the call was pending, or the call came after `close()`. */
export class HandleClosedError extends Error {
  override readonly name = 'HandleClosedError';
  readonly code = 'ECLOSED';
  constructor(options?: { cause?: unknown }) {
    super('netlink handle is closed', options);
  }
}

/** A dump kept being interrupted (NLM_F_DUMP_INTR) after every retry. */
export class DumpInterruptedError extends Error {
  override readonly name = 'DumpInterruptedError';
  readonly code = 'EINTR';
  readonly attempts: number;
  constructor(attempts: number, options?: { cause?: unknown }) {
    super(`dump interrupted ${attempts} times in a row`, options);
    this.attempts = attempts;
  }
}

/** The kernel sent something this library cannot decode (truncated message, bad attribute). */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code = 'EPROTO';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

function safeString(v: unknown): string {
  try {
    return typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? String(v));
  } catch {
    return String(v);
  }
}

/**
 * Reading or writing a sysctl failed: `code` 'ENOENT' (no such key, e.g. an unknown interface), 'EINVAL'
 * (the kernel refused the value), 'EACCES' / 'EPERM', or 'EPROTO' (the file held an unexpected value).
 */
export class SysctlError extends Error {
  override readonly name = 'SysctlError';
  readonly code: string;
  readonly errno: number | undefined;
  /** The key in slash form (`net/ipv4/ip_forward`). */
  readonly key: string;
  readonly op: 'read' | 'write';
  constructor(
    init: { key: string; op: 'read' | 'write'; code: string; errno?: number | undefined; message?: string },
    options?: { cause?: unknown },
  ) {
    super(`sysctl ${init.op} ${init.key}: ${init.message ?? init.code}`, options);
    this.code = init.code;
    this.errno = init.errno;
    this.key = init.key;
    this.op = init.op;
  }
}
