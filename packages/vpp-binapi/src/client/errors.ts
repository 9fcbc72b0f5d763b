/**
 * Errors of the VPP socket client. One class per condition; each sets `name` and a stable `code`, so
 * callers branch on `err.name` / `err.code` (never `instanceof`: the package ships ESM and CJS).
 * Wrapped causes travel in `cause`.
 */
import { vppErrorName } from './retval.js';

/** Base of every client error: `code` is stable and machine-readable. */
export abstract class VppClientError extends Error {
  abstract readonly code: string;
}

/** VPP answered with a negative `retval`. */
export class VppApiError extends VppClientError {
  override readonly name = 'VppApiError';
  /** VPP's short error name without prefix, e.g. `NO_SUCH_ENTRY`; `UNKNOWN` when the number is not in the table. */
  readonly code: string;
  /** VPP's symbolic name, e.g. `VNET_API_ERROR_NO_SUCH_ENTRY`, or `VNET_API_ERROR_UNKNOWN(-999)`. */
  readonly errorName: string;
  /** The request that failed, e.g. `delete_loopback`. */
  readonly messageName: string;
  constructor(
    readonly retval: number,
    messageName: string,
    /** The whole reply, for replies that carry data along with the error. */
    readonly reply?: Readonly<Record<string, unknown>>,
  ) {
    const short = vppErrorName(retval);
    const errorName = short ? `VNET_API_ERROR_${short}` : `VNET_API_ERROR_UNKNOWN(${retval})`;
    super(`${messageName} failed: ${errorName} (retval ${retval})`);
    this.code = short ?? 'UNKNOWN';
    this.errorName = errorName;
    this.messageName = messageName;
  }
}

/** The message exists in VPP under a different CRC: its layout differs from our bindings, so it is not sent. */
export class VppCrcMismatchError extends VppClientError {
  override readonly name = 'VppCrcMismatchError';
  readonly code = 'VPP_CRC_MISMATCH';
  /** Every CRC our bindings have for the message, `0x` hex, each with the releases it belongs to. */
  readonly crcs: readonly VppKnownCrc[];
  constructor(
    readonly messageName: string,
    /** CRC of our bindings (of the primary release when several), `0x` hex. */
    readonly crc: string,
    /** CRC in VPP's message table, `0x` hex. */
    readonly vppCrc: string,
    crcs: readonly VppKnownCrc[] = [{ crc, releases: [] }],
  ) {
    super(
      crcs.length > 1
        ? `${messageName}: VPP's CRC ${vppCrc} is none of our bindings' (${crcText(crcs)}); refusing to send`
        : `${messageName}: CRC ${crc} of our bindings differs from VPP's ${vppCrc}${crcs[0]?.releases.length ? ` (ours is VPP ${crcs[0].releases.join(', ')})` : ''}; refusing to send`,
    );
    this.crcs = crcs;
  }
}

/** One CRC our bindings know for a message, and the VPP releases whose definition it is. */
export interface VppKnownCrc {
  readonly crc: string;
  readonly releases: readonly string[];
}

function crcText(crcs: readonly VppKnownCrc[]): string {
  return crcs.map((c) => (c.releases.length ? `${c.crc} of VPP ${c.releases.join(', ')}` : c.crc)).join('; ');
}

/** The running VPP does not know the message at all (e.g. its plugin is not loaded). */
export class VppUnsupportedMessageError extends VppClientError {
  override readonly name = 'VppUnsupportedMessageError';
  readonly code = 'VPP_MESSAGE_UNSUPPORTED';
  /** The CRCs our bindings have for the message, each with its releases. */
  readonly crcs: readonly VppKnownCrc[];
  constructor(
    readonly messageName: string,
    crcs: readonly VppKnownCrc[] = [],
  ) {
    super(
      `${messageName} is not in VPP's message table (plugin not loaded or different VPP version)${crcs.length ? `; our bindings have ${crcText(crcs)}` : ''}`,
    );
    this.crcs = crcs;
  }
}

/** A release name the bindings do not have (`connectVpp({ release })`, the fake's `release`). */
export class VppUnknownReleaseError extends VppClientError {
  override readonly name = 'VppUnknownReleaseError';
  readonly code = 'VPP_UNKNOWN_RELEASE';
  constructor(
    readonly release: string,
    /** The releases the bindings have. */
    readonly known: readonly string[],
  ) {
    super(`no bindings for VPP release ${JSON.stringify(release)}; these bindings speak ${known.join(', ')}`);
  }
}

/** The message is not part of our bindings, or is not usable that way (e.g. `dump()` on a non-dump). */
export class VppUnknownMessageError extends VppClientError {
  override readonly name = 'VppUnknownMessageError';
  readonly code = 'VPP_UNKNOWN_MESSAGE';
  constructor(
    readonly messageName: string,
    detail = 'not in the bindings',
  ) {
    super(`${messageName}: ${detail}`);
  }
}

/**
 * A stream's consumer fell more than `maxStreamBuffer` details behind while the socket had to be read for
 * other requests: that stream ends with this error (after the details it holds); the others go on.
 */
export class VppStreamOverflowError extends VppClientError {
  override readonly name = 'VppStreamOverflowError';
  readonly code = 'VPP_STREAM_OVERFLOW';
  constructor(
    readonly messageName: string,
    /** Details the stream held when it was cut. */
    readonly buffered: number,
  ) {
    super(
      `${messageName}: the consumer fell ${buffered} details behind while other requests needed the socket; stream ended`,
    );
  }
}

/** The fields given for a request are not an object (e.g. `vpp.call(name, 'abc')`). */
export class VppInvalidRequestError extends VppClientError {
  override readonly name = 'VppInvalidRequestError';
  readonly code = 'VPP_INVALID_REQUEST';
  constructor(
    readonly messageName: string,
    detail: string,
  ) {
    super(`${messageName}: ${detail}`);
  }
}

/** The socket could not be opened. */
export class VppConnectError extends VppClientError {
  override readonly name = 'VppConnectError';
  readonly code = 'VPP_CONNECT_FAILED';
  constructor(
    readonly socket: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot connect to VPP at ${socket}`, options);
  }
}

/** `sockclnt_create` was refused or its reply made no sense. */
export class VppHandshakeError extends VppClientError {
  override readonly name = 'VppHandshakeError';
  readonly code = 'VPP_HANDSHAKE_FAILED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`VPP handshake failed: ${message}`, options);
  }
}

/** The connection went away while the request was outstanding (or before it could be sent). */
export class VppDisconnectedError extends VppClientError {
  override readonly name = 'VppDisconnectedError';
  readonly code = 'VPP_DISCONNECTED';
  constructor(message = 'connection to VPP lost', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The client was closed with `close()`. */
export class VppClientClosedError extends VppClientError {
  override readonly name = 'VppClientClosedError';
  readonly code = 'VPP_CLIENT_CLOSED';
  constructor() {
    super('VPP client is closed');
  }
}

/** No answer within the time limit. */
export class VppTimeoutError extends VppClientError {
  override readonly name = 'VppTimeoutError';
  readonly code = 'VPP_TIMEOUT';
  constructor(
    readonly messageName: string,
    readonly timeoutMs: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(`${messageName}: no answer from VPP within ${timeoutMs ?? '?'} ms`, options);
  }
}

/** The caller's `AbortSignal` fired; `cause` is the signal's reason. */
export class VppAbortError extends VppClientError {
  override readonly name = 'VppAbortError';
  readonly code = 'VPP_ABORTED';
  constructor(
    readonly messageName: string,
    options?: { cause?: unknown },
  ) {
    super(`${messageName}: aborted`, options);
  }
}

/** A frame header declared a payload above the limit; the connection is dropped. */
export class VppFrameTooLargeError extends VppClientError {
  override readonly name = 'VppFrameTooLargeError';
  readonly code = 'VPP_FRAME_TOO_LARGE';
  constructor(
    readonly length: number,
    readonly maxFrameSize: number,
  ) {
    super(`VPP sent a frame of ${length} bytes, above the limit of ${maxFrameSize}; dropping the connection`);
  }
}

/** The peer closed the socket in the middle of a frame. */
export class VppFrameTruncatedError extends VppClientError {
  override readonly name = 'VppFrameTruncatedError';
  readonly code = 'VPP_FRAME_TRUNCATED';
  constructor(readonly pendingBytes: number) {
    super(`connection closed in the middle of a frame (${pendingBytes} bytes left over)`);
  }
}

/** A frame carried a message id that is not in the message table, or one our bindings cannot decode. */
export class VppUnknownMessageIdError extends VppClientError {
  override readonly name = 'VppUnknownMessageIdError';
  readonly code = 'VPP_UNKNOWN_MESSAGE_ID';
  constructor(
    readonly msgId: number,
    /** The wire name from VPP's table when VPP announced it, else undefined. */
    readonly wireName?: string,
  ) {
    super(
      `VPP sent message id ${msgId}${wireName ? ` (${wireName}, not in our bindings)` : ' (not in the message table)'}; dropped`,
    );
  }
}

/** A reply carried a context no request is waiting for; it is dropped. */
export class VppUnexpectedContextError extends VppClientError {
  override readonly name = 'VppUnexpectedContextError';
  readonly code = 'VPP_UNEXPECTED_CONTEXT';
  constructor(
    readonly context: number,
    readonly messageName: string,
  ) {
    super(`VPP sent ${messageName} for context ${context}, which no request is waiting for; dropped`);
  }
}

/** A message arrived for a known context but is not what the request expects; it is dropped. */
export class VppUnexpectedMessageError extends VppClientError {
  override readonly name = 'VppUnexpectedMessageError';
  readonly code = 'VPP_UNEXPECTED_MESSAGE';
  constructor(
    readonly messageName: string,
    readonly requestName: string,
  ) {
    super(`VPP sent ${messageName} in answer to ${requestName}; dropped`);
  }
}

/** A payload could not be decoded (too short, or inconsistent with its schema). */
export class VppMalformedMessageError extends VppClientError {
  override readonly name = 'VppMalformedMessageError';
  readonly code = 'VPP_MALFORMED_MESSAGE';
  constructor(
    readonly messageName: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot decode ${messageName} from VPP`, options);
  }
}
