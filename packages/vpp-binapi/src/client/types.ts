import type { AnyMessageDef } from '../codec/registry.js';
import type { ServiceDef } from '../codec/types.js';
import type { VppKnownCrc } from './errors.js';

/** A pino-compatible logger; every method optional to call with `(fields, message)`. */
export interface VppLogger {
  debug(fields: Record<string, unknown>, msg?: string): void;
  info(fields: Record<string, unknown>, msg?: string): void;
  warn(fields: Record<string, unknown>, msg?: string): void;
  error(fields: Record<string, unknown>, msg?: string): void;
}

/** Reconnect behaviour; `true` means the defaults below. */
export interface VppReconnectInit {
  /** First back-off delay after the connection is lost. Default 100 ms. */
  initialDelayMs?: number;
  /** Ceiling of the doubling back-off. Default 5000 ms. */
  maxDelayMs?: number;
  /** How often a `control_ping` checks that VPP still answers; 0 disables it. Default 5000 ms. */
  healthIntervalMs?: number;
}

/** Options of {@link connectVpp}. */
export interface VppClientInit {
  /** Path of VPP's API socket. Default `process.env.VPP_API_SOCKET ?? '/run/vpp/api.sock'`. */
  socket?: string;
  /** Client name registered with VPP (`show api clients`). Default `vectorplane`. */
  name?: string;
  /** Default time limit of every request, of the connect, and the idle limit of streams. Default 10000 ms. */
  timeoutMs?: number;
  /** Aborts the initial connect. */
  signal?: AbortSignal;
  /** Reconnect with back-off when the connection is lost. Default false. */
  reconnect?: boolean | VppReconnectInit;
  /** Most requests outstanding at once; further ones wait for a slot. Default 128. */
  maxInFlight?: number;
  /** Largest frame accepted from VPP. Default 16 MiB. */
  maxFrameSize?: number;
  /**
   * Most details one `_dump`/`_get` stream holds for a consumer that has fallen behind while the socket
   * must still be read for other requests; beyond it that stream ends with `VppStreamOverflowError`.
   * (With no other request waiting, reading simply pauses.) Default 65536.
   */
  maxStreamBuffer?: number;
  /** Receives diagnostics; nothing is logged without one. */
  logger?: VppLogger;
  /**
   * The VPP release to speak, e.g. `'26.02'`: the client then uses exactly that release's definitions
   * and is typed by them (`connectVpp({ release })`). Default: every release the bindings have; the
   * client picks per message the definition whose CRC the running VPP announces.
   */
  release?: string;
}

/** Per-request options. */
export interface VppCallOptions {
  /** Aborts the request: it rejects with `VppAbortError` and a late reply is dropped. */
  signal?: AbortSignal;
  /** Overrides the client's `timeoutMs` for this request (for streams: the idle limit between messages). */
  timeoutMs?: number;
}

/**
 * The message sets a client is typed with: request name → request/reply types, and so on. The
 * generated bindings provide {@link VppApi}; a hand-made set works the same way.
 */
export interface VppApiShape {
  calls: object;
  dumps: object;
  gets: object;
  events: object;
  /** Message types by release, then by name (`releases['25.10'].cnat_session_details`), for `isRelease()`. */
  releases?: object;
}

/** An untyped API: any message name, any fields. */
export interface AnyVppApi {
  calls: Record<string, { request: Record<string, unknown>; reply: Record<string, unknown> }>;
  dumps: Record<string, { request: Record<string, unknown>; details: Record<string, unknown> }>;
  gets: Record<
    string,
    { request: Record<string, unknown>; reply: Record<string, unknown>; details: Record<string, unknown> }
  >;
  events: Record<string, { request: Record<string, unknown>; event: Record<string, unknown> }>;
}

type Field<T, F extends string> = T extends { [K in F]: infer R } ? R : never;
/**
 * Request fields the caller gives: everything optional except what has no default; header fields are set
 * by the client. For a message whose shape differs between releases, any one of the shapes.
 */
export type RequestInit<T> = T extends unknown ? Partial<Omit<T, '_vl_msg_id' | 'client_index' | 'context'>> : never;
/** The releases an API names (`'25.10' | '26.02' | '26.06'` for the generated bindings). */
export type ReleaseOf<A extends VppApiShape> = A extends { releases: infer R } ? keyof R & string : never;
/** Message types of release `R` of an API, by name. */
export type ReleaseMessages<A extends VppApiShape, R extends string> = A extends { releases: infer X }
  ? R extends keyof X
    ? X[R]
    : never
  : never;
export type CallRequest<A extends VppApiShape, K extends keyof A['calls']> = Field<A['calls'][K], 'request'>;
export type CallReply<A extends VppApiShape, K extends keyof A['calls']> = Field<A['calls'][K], 'reply'>;
export type DumpRequest<A extends VppApiShape, K extends keyof A['dumps']> = Field<A['dumps'][K], 'request'>;
export type DumpDetails<A extends VppApiShape, K extends keyof A['dumps']> = Field<A['dumps'][K], 'details'>;
export type GetRequest<A extends VppApiShape, K extends keyof A['gets']> = Field<A['gets'][K], 'request'>;
export type GetDetails<A extends VppApiShape, K extends keyof A['gets']> = Field<A['gets'][K], 'details'>;
export type EventRequest<A extends VppApiShape, K extends keyof A['events']> = Field<A['events'][K], 'request'>;
export type EventMessage<A extends VppApiShape, K extends keyof A['events']> = Field<A['events'][K], 'event'>;

/** The message definitions and services a client resolves names with. */
export interface VppBindings {
  /** Every message our bindings know, by VPP name (for a name in several releases: the newest definition). */
  readonly messages: ReadonlyMap<string, AnyMessageDef>;
  /** How requests are answered, by request name. */
  readonly services: ReadonlyMap<string, ServiceDef>;
  /**
   * Every definition of each name when the bindings speak several releases (one per distinct CRC,
   * newest first). At connect the client uses, per message, the one whose `name_crc` VPP announces.
   * Absent: `messages` alone.
   */
  readonly definitions?: ReadonlyMap<string, readonly AnyMessageDef[]>;
  /** The releases the bindings speak, oldest first (absent: unnamed, one release). */
  readonly releases?: readonly string[];
  /** The releases whose definition a wire name (`<name>_<crc>`) is; empty when none. */
  releasesOf?(nameCrc: string): readonly string[];
}

/** Builds {@link VppBindings} from lists of definitions. */
export function createBindings(messages: Iterable<AnyMessageDef>, services: Iterable<ServiceDef>): VppBindings {
  return {
    messages: new Map([...messages].map((m) => [m.name, m])),
    services: new Map([...services].map((s) => [s.request, s])),
  };
}

/** One message our bindings know whose CRC differs from the running VPP's. */
export interface VppCrcMismatch {
  readonly name: string;
  /** Our CRC (the newest release's when several), `0x` hex. */
  readonly crc: string;
  /** VPP's CRC, `0x` hex. */
  readonly vppCrc: string;
  /** Every CRC our bindings have for the message, with the releases of each. */
  readonly crcs: readonly VppKnownCrc[];
}

/** Result of comparing our bindings with VPP's message table at connect. */
export interface VppCompat {
  /** True when no message has a CRC mismatch (messages VPP lacks do not count). */
  readonly ok: boolean;
  /** Messages present in VPP under another CRC: they refuse to send (`VppCrcMismatchError`). */
  readonly mismatched: readonly VppCrcMismatch[];
  /** Messages VPP does not have at all (plugin not loaded); they refuse with `VppUnsupportedMessageError`. */
  readonly missing: readonly string[];
  /** Number of messages usable as they are. */
  readonly matched: number;
  /**
   * The releases of the bindings VPP's table agrees with: every message it announces that a release of
   * ours has, it announces with that release's CRC. Empty when it matches none (or the bindings name none).
   */
  readonly releases: readonly string[];
}

/** Detail of `vpp:up`. */
export interface VppUpDetail {
  /** Client index VPP assigned to this connection. */
  readonly clientIndex: number;
  /** False for the first connect, true after a reconnect. */
  readonly reconnected: boolean;
  readonly compat: VppCompat;
}

/** Detail of `vpp:down`. */
export interface VppDownDetail {
  /** Why: the socket error, a protocol error, a failed health check; undefined for a plain close by VPP. */
  readonly error: Error | undefined;
  /** Whether the client will try to reconnect. */
  readonly reconnecting: boolean;
}

/** Detail of `vpp:error`: trouble that belongs to no request (bad frames, stray replies, failed replays). */
export interface VppErrorDetail {
  readonly error: Error;
}

/** The client's events (typed `EventTarget`). */
export interface VppClientEvents {
  /** The connection is established (again). */
  'vpp:up': CustomEvent<VppUpDetail>;
  /** The connection was lost (not emitted for `close()`). */
  'vpp:down': CustomEvent<VppDownDetail>;
  /** Non-fatal protocol trouble; the connection continues unless a `vpp:down` follows. */
  'vpp:error': CustomEvent<VppErrorDetail>;
}

/** A running `want_*` subscription: an async iterable of its events. */
export interface VppSubscription<E> extends AsyncIterable<E> {
  /** Resolves once VPP accepted the `want_*` request; rejects with its error. */
  readonly ready: Promise<void>;
  /** Events dropped because the consumer fell more than the buffer size behind. */
  readonly dropped: number;
  /** Ends the iteration; the last subscription of a `want_*` sends it again with `enable_disable: 0`. */
  close(): Promise<void>;
}

/** Options of `events()`. */
export interface VppSubscribeOptions extends VppCallOptions {
  /** Events kept for a slow consumer before the oldest are dropped. Default 10000. */
  bufferSize?: number;
}
