/**
 * The VPP socket-API client: one unix-socket connection to VPP's api.sock, `sockclnt_create`
 * handshake, message ids resolved by `name_crc`, requests matched to replies by `context`, dumps and
 * `_get` streams as async iterables, `want_*` events, pipelining with back-pressure, reconnect.
 */
import { createConnection, type Socket } from 'node:net';
import type { AnyMessageDef } from '../codec/registry.js';
import { DEFAULT_MAX_FRAME_SIZE, FRAME_HEADER_SIZE, FrameDecoder, writeFrameHeader } from '../codec/frame.js';
import {
  VppAbortError,
  VppApiError,
  VppClientClosedError,
  VppConnectError,
  VppCrcMismatchError,
  VppDisconnectedError,
  VppFrameTooLargeError,
  VppFrameTruncatedError,
  VppHandshakeError,
  VppInvalidRequestError,
  VppMalformedMessageError,
  VppStreamOverflowError,
  VppTimeoutError,
  VppUnexpectedContextError,
  VppUnexpectedMessageError,
  VppUnknownMessageError,
  VppUnknownMessageIdError,
  VppUnsupportedMessageError,
} from './errors.js';
import { VPP_RETVAL_EAGAIN } from './retval.js';
import type { VppKnownCrc } from './errors.js';
import type {
  AnyVppApi,
  CallReply,
  CallRequest,
  DumpDetails,
  DumpRequest,
  EventMessage,
  EventRequest,
  GetDetails,
  GetRequest,
  RequestInit,
  VppApiShape,
  VppBindings,
  VppCallOptions,
  VppClientEvents,
  VppClientInit,
  VppCompat,
  VppCrcMismatch,
  ReleaseMessages,
  ReleaseOf,
  VppLogger,
  VppSubscribeOptions,
  VppSubscription,
} from './types.js';

/** Message ids VPP fixes for the handshake; every other id comes from the message table. */
export const SOCKCLNT_CREATE_ID = 15;
export const SOCKCLNT_CREATE_REPLY_ID = 16;
/** Default socket path when neither the option nor `VPP_API_SOCKET` is set. */
export const DEFAULT_VPP_API_SOCKET = '/run/vpp/api.sock';
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_IN_FLIGHT = 128;
const DEFAULT_EVENT_BUFFER = 10_000;
const CLOSE_TIMEOUT_MS = 1_000;
/**
 * Stream items buffered for slow consumers before the socket is paused, and resumed again. Reading
 * pauses only while every outstanding request is a stream whose consumer still has items to work
 * through; a request waiting for its answer (a call, the health check, a stream whose consumer waits)
 * keeps the socket read.
 */
const STREAM_HIGH_WATER = 8192;
const STREAM_LOW_WATER = 1024;
/** Details one stream may hold while the socket must be read for other requests. */
const DEFAULT_MAX_STREAM_BUFFER = 65_536;
/** Contexts of abandoned requests remembered, so their late answers are dropped quietly. */
const ABANDONED_MAX = 65_536;

type Msg = Record<string, unknown>;
type State = 'connecting' | 'up' | 'down' | 'failed' | 'closed';

/** One open socket and what the handshake told us about it. */
interface Conn {
  readonly socket: Socket;
  readonly decoder: FrameDecoder;
  ready: boolean;
  clientIndex: number;
  /** Our message name → VPP's id, for messages whose name_crc VPP has. */
  readonly idByName: Map<string, number>;
  /** Our message name → the definition whose name_crc VPP announced (one of several releases'). */
  readonly defByName: Map<string, AnyMessageDef>;
  /** VPP id → our definition. */
  readonly defById: (AnyMessageDef | undefined)[];
  /** VPP's whole table: wire name → id. */
  readonly table: Map<string, number>;
  readonly wireById: Map<number, string>;
  readonly mismatched: Map<string, VppCrcMismatch>;
  compat: VppCompat;
  error: Error | undefined;
  handshake: { resolve(m: Msg): void; reject(e: Error): void } | undefined;
  /** Requests encoded this tick, written together at its end. */
  readonly out: FrameBatch;
}

/** An outstanding request. */
interface Op {
  readonly context: number;
  /** Request name, for errors. */
  readonly name: string;
  /** Message that completes the request (the reply, or `control_ping_reply` for dumps). */
  readonly expect: string;
  /** Message streamed before `expect`, if any. */
  readonly details: string | undefined;
  resolve(msg: Msg): void;
  reject(err: Error): void;
  /** Always undefined: ops share the client's one sweep timer (see #arm); here for unwatch(). */
  timer: ReturnType<typeof setTimeout> | undefined;
  readonly timeoutMs: number;
  /** When the op times out (performance.now() ms), unless it is frozen. */
  deadline: number;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** Holds a maxInFlight slot. */
  slot: boolean;
  /** The stream's buffer, for dumps and gets: every details message goes there. */
  queue: StreamQueue | undefined;
  /** Timer stopped because reading is paused by our own consumers. */
  frozen: boolean;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** Shared state of all subscriptions to one `want_*` request. */
interface Want {
  readonly name: string;
  init: Msg;
  readonly subs: Set<Subscription>;
  ready: Promise<void>;
}

const NOOP = (): void => {};
const NO_COMPAT: VppCompat = { ok: true, mismatched: [], missing: [], matched: 0, releases: [] };

type AddOptions = Parameters<EventTarget['addEventListener']>[2];
type RemoveOptions = Parameters<EventTarget['removeEventListener']>[2];
type NativeListener = Parameters<EventTarget['addEventListener']>[1];
type AnyListener = NativeListener | null;
type TypedListener<E> = ((ev: E) => void) | { handleEvent(ev: E): void } | null;

/**
 * A connection to VPP's binary API. Create with {@link connectVpp}; typed by the message sets `A`
 * (the generated bindings' `VppApi` by default).
 */
export class VppClient<A extends VppApiShape = AnyVppApi> extends EventTarget {
  readonly #bindings: VppBindings;
  readonly #socketPath: string;
  readonly #clientName: string;
  readonly #timeoutMs: number;
  readonly #maxInFlight: number;
  readonly #maxFrameSize: number;
  readonly #reconnect: { initialDelayMs: number; maxDelayMs: number; healthIntervalMs: number } | undefined;
  readonly #log: VppLogger | undefined;

  #state: State = 'connecting';
  #conn: Conn | undefined;
  #ctx = 0;
  readonly #pending = new Map<number, Op>();
  /** Abandoned context → name of the message that would have ended it. */
  readonly #abandoned = new Map<number, string>();
  #inFlight = 0;
  readonly #waiters: Waiter[] = [];
  #needDrain = false;
  /** This tick's frames reach the socket's high-water mark: new requests wait for their write. */
  #batchFull = false;
  #buffered = 0;
  #paused = false;
  readonly #maxStreamBuffer: number;
  readonly #highWater: number;
  readonly #lowWater: number;
  readonly #wants = new Map<string, Want>();
  readonly #eventSubs = new Map<string, Set<Subscription>>();
  #health: ReturnType<typeof setInterval> | undefined;
  #healthBusy = false;
  #retryTimer: { timer: ReturnType<typeof setTimeout>; wake(): void } | undefined;
  /** The one timer behind every op's time limit, due at the earliest deadline it knows of (#sweepAt). */
  #sweep: ReturnType<typeof setTimeout> | undefined;
  #sweepAt = Infinity;
  #closing: Promise<void> | undefined;

  /** @internal use {@link connectVpp} */
  constructor(bindings: VppBindings, init: VppClientInit = {}) {
    super();
    this.#bindings = bindings;
    this.#socketPath = init.socket ?? process.env['VPP_API_SOCKET'] ?? DEFAULT_VPP_API_SOCKET;
    this.#clientName = init.name ?? 'vectorplane';
    this.#timeoutMs = init.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#maxInFlight = Math.max(1, init.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
    this.#maxFrameSize = init.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.#maxStreamBuffer = Math.max(2, init.maxStreamBuffer ?? DEFAULT_MAX_STREAM_BUFFER);
    this.#highWater = Math.min(STREAM_HIGH_WATER, Math.floor(this.#maxStreamBuffer / 2));
    this.#lowWater = Math.min(STREAM_LOW_WATER, Math.floor(this.#highWater / 8));
    this.#log = init.logger;
    const r = init.reconnect;
    this.#reconnect = r
      ? {
          initialDelayMs: (r === true ? undefined : r.initialDelayMs) ?? 100,
          maxDelayMs: (r === true ? undefined : r.maxDelayMs) ?? 5000,
          healthIntervalMs: (r === true ? undefined : r.healthIntervalMs) ?? 5000,
        }
      : undefined;
  }

  // ------------------------------------------------------------------------------------------
  // public surface

  /** Socket path in use. */
  get socket(): string {
    return this.#socketPath;
  }

  /** True while a connection is established. */
  get connected(): boolean {
    return this.#state === 'up';
  }

  /** Client index VPP assigned to the current connection (`~0` before the first connect). */
  get clientIndex(): number {
    return this.#conn?.clientIndex ?? 0xffffffff;
  }

  /** CRC comparison of our bindings with the connected VPP, refreshed at every (re)connect. */
  get compat(): VppCompat {
    return this.#conn?.compat ?? NO_COMPAT;
  }

  /** VPP's message table of the current connection: wire name (`<name>_<crc>`) → message id. */
  get table(): ReadonlyMap<string, number> {
    return this.#conn?.table ?? new Map();
  }

  /** The bindings this client resolves names with. */
  get bindings(): VppBindings {
    return this.#bindings;
  }

  /**
   * The releases whose definition of `name` the connected VPP announced, oldest first, e.g.
   * `['25.10', '26.02']` for `cnat_set_snat_policy` on a VPP 26.02. Empty when VPP lacks the message,
   * knows it with a CRC none of our releases has, or the client is not connected.
   */
  releasesOf(name: string): readonly string[] {
    const def = this.#conn?.defByName.get(name);
    return def ? (this.#bindings.releasesOf?.(def.nameCrc) ?? []) : [];
  }

  /**
   * Narrows a message of this connection to the shape release `release` gives `name`: true when the
   * connected VPP speaks `name` as `release` has it, so that messages decoded on (or sent over) this
   * connection have that shape.
   * @example
   * for await (const s of vpp.dump('cnat_session_dump', {})) {
   *   if (vpp.isRelease('26.06', 'cnat_session_details', s)) console.log(s.session.tuple);
   *   else console.log(s.session.src);
   * }
   */
  isRelease<R extends ReleaseOf<A>, K extends keyof ReleaseMessages<A, R> & string>(
    release: R,
    name: K,
    msg: unknown,
  ): msg is ReleaseMessages<A, R>[K] {
    void msg;
    return this.releasesOf(name).includes(release);
  }

  /** Counters for monitoring and tests: requests on the wire, requests waiting for a slot, bytes not yet flushed to the socket. */
  get stats(): {
    inFlight: number;
    waiting: number;
    unflushedBytes: number;
    bufferedStreamItems: number;
    readingPaused: boolean;
  } {
    return {
      inFlight: this.#inFlight,
      waiting: this.#waiters.length,
      unflushedBytes: this.#conn ? this.#conn.socket.writableLength + this.#conn.out.pending : 0,
      bufferedStreamItems: this.#buffered,
      readingPaused: this.#paused,
    };
  }

  /**
   * Sends a request and resolves with its reply.
   * @throws VppApiError when the reply's `retval` is negative; VppTimeoutError, VppAbortError,
   *   VppDisconnectedError, VppClientClosedError, VppCrcMismatchError, VppUnsupportedMessageError,
   *   VppUnknownMessageError, VppEncodeError for a value that does not fit its field.
   */
  async call<K extends keyof A['calls'] & string>(
    name: K,
    init?: RequestInit<CallRequest<A, K>>,
    options: VppCallOptions = {},
  ): Promise<CallReply<A, K>> {
    const def = this.#def(name);
    const replyName = this.#method(name, 'call');
    this.#check(def, init);
    const reply = await this.#request(def, init as Msg | undefined, replyName, undefined, options);
    const retval = signedRetval(reply['retval']);
    if (retval < 0) throw new VppApiError(retval, name, reply);
    return reply as CallReply<A, K>;
  }

  /**
   * Runs a `_dump` request and yields its details messages; the stream ends at VPP's
   * `control_ping_reply`. Nothing is sent until iteration starts; breaking out early is safe.
   * @throws (from iteration) the errors of {@link VppClient.call}.
   */
  dump<K extends keyof A['dumps'] & string>(
    name: K,
    init?: RequestInit<DumpRequest<A, K>>,
    options: VppCallOptions = {},
  ): AsyncIterable<DumpDetails<A, K>> {
    return this.#dump(name, init as Msg | undefined, options) as AsyncIterable<DumpDetails<A, K>>;
  }

  /**
   * Runs a `_get` request with cursor and yields every details message, calling again from the reply's
   * `cursor` as long as VPP answers `retval` -165 (`VNET_API_ERROR_EAGAIN`).
   * @throws (from iteration) VppApiError for another negative retval, and the errors of `call`.
   */
  get<K extends keyof A['gets'] & string>(
    name: K,
    init?: RequestInit<GetRequest<A, K>>,
    options: VppCallOptions = {},
  ): AsyncIterable<GetDetails<A, K>> {
    return this.#get(name, init as Msg | undefined, options) as AsyncIterable<GetDetails<A, K>>;
  }

  /**
   * Subscribes to the events a `want_*` request enables (e.g. `want_interface_events` →
   * `sw_interface_event`). The request is sent once per name however many subscriptions share it,
   * sent again after every reconnect, and disabled when the last subscription closes.
   * @throws VppUnknownMessageError when `name` is not a `want_*` request with events.
   */
  events<K extends keyof A['events'] & string>(
    name: K,
    init?: RequestInit<EventRequest<A, K>>,
    options: VppSubscribeOptions = {},
  ): VppSubscription<EventMessage<A, K>> {
    return this.#subscribe(name, (init ?? {}) as Msg, options) as unknown as VppSubscription<EventMessage<A, K>>;
  }

  /**
   * Says goodbye (`sockclnt_delete`), ends the socket and every stream and subscription. Outstanding
   * requests reject with VppClientClosedError. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  override addEventListener<K extends keyof VppClientEvents>(
    type: K,
    listener: TypedListener<VppClientEvents[K]>,
    options?: AddOptions,
  ): void;
  override addEventListener(type: string, listener: AnyListener, options?: AddOptions): void;
  override addEventListener(
    type: string,
    listener: AnyListener | TypedListener<VppClientEvents[keyof VppClientEvents]>,
    options?: AddOptions,
  ): void {
    // A typed listener takes the CustomEvent the client dispatches for its type.
    super.addEventListener(type, listener as NativeListener, options);
  }

  override removeEventListener<K extends keyof VppClientEvents>(
    type: K,
    listener: TypedListener<VppClientEvents[K]>,
    options?: RemoveOptions,
  ): void;
  override removeEventListener(type: string, listener: AnyListener, options?: RemoveOptions): void;
  override removeEventListener(
    type: string,
    listener: AnyListener | TypedListener<VppClientEvents[keyof VppClientEvents]>,
    options?: RemoveOptions,
  ): void {
    super.removeEventListener(type, listener as NativeListener, options);
  }

  // ------------------------------------------------------------------------------------------
  // connect, handshake, reconnect

  /** @internal first connect, called by connectVpp */
  async start(signal?: AbortSignal): Promise<void> {
    try {
      this.#conn = await this.#open(signal);
    } catch (err) {
      this.#state = 'closed';
      throw err;
    }
    this.#up(false);
  }

  async #open(signal?: AbortSignal): Promise<Conn> {
    const path = this.#socketPath;
    const socket = createConnection({ path });
    const conn: Conn = {
      socket,
      decoder: new FrameDecoder(this.#maxFrameSize),
      ready: false,
      clientIndex: 0,
      idByName: new Map(),
      defByName: new Map(),
      defById: [],
      table: new Map(),
      wireById: new Map(),
      mismatched: new Map(),
      compat: NO_COMPAT,
      error: undefined,
      handshake: undefined,
      out: new FrameBatch(socket),
    };
    const timeoutMs = this.#timeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const cleanup = (): void => {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    };
    try {
      await new Promise<void>((resolve, reject) => {
        const fail = (err: Error): void => {
          socket.destroy();
          reject(err);
        };
        timer = setTimeout(
          () => fail(new VppConnectError(path, { cause: new VppTimeoutError('connect', timeoutMs) })),
          timeoutMs,
        );
        if (signal) {
          if (signal.aborted) return fail(new VppConnectError(path, { cause: signal.reason }));
          onAbort = () => fail(new VppConnectError(path, { cause: signal.reason }));
          signal.addEventListener('abort', onAbort, { once: true });
        }
        socket.once('error', (err) => fail(new VppConnectError(path, { cause: err })));
        socket.once('connect', () => {
          socket.removeAllListeners('error');
          resolve();
        });
      });
      socket.on('data', (chunk: Buffer) => this.#onData(conn, chunk));
      socket.on('error', (err) => {
        conn.error ??= err;
      });
      socket.on('drain', () => this.#onDrain(conn));
      socket.on('close', () => this.#onClose(conn));

      const reply = await new Promise<Msg>((resolve, reject) => {
        conn.handshake = { resolve, reject };
        const def = this.#bindings.messages.get('sockclnt_create');
        if (!def) return reject(new VppHandshakeError('bindings lack sockclnt_create'));
        const context = this.#nextContext();
        try {
          socket.write(
            encodeFrame(
              def,
              def.create({ name: this.#clientName, context }) as Msg,
              SOCKCLNT_CREATE_ID,
              conn.clientIndex,
              context,
            ),
          );
        } catch (err) {
          reject(new VppHandshakeError('cannot encode sockclnt_create', { cause: err }));
        }
        const prev = onAbort;
        if (prev) signal?.removeEventListener('abort', prev);
        onAbort = () => reject(new VppConnectError(path, { cause: signal?.reason }));
        signal?.addEventListener('abort', onAbort, { once: true });
        clearTimeout(timer);
        timer = setTimeout(
          () => reject(new VppHandshakeError(`no sockclnt_create_reply within ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      this.#applyTable(conn, reply);
      conn.handshake = undefined;
      conn.ready = true;
      return conn;
    } catch (err) {
      conn.handshake = undefined;
      socket.destroy();
      throw err;
    } finally {
      cleanup();
    }
  }

  #applyTable(conn: Conn, reply: Msg): void {
    const response = reply['response'];
    if (typeof response === 'number' && response !== 0) {
      throw new VppHandshakeError(`VPP refused the client registration (response ${response})`);
    }
    const table = reply['message_table'];
    if (!Array.isArray(table)) throw new VppHandshakeError('sockclnt_create_reply carries no message table');
    conn.clientIndex = Number(reply['index'] ?? 0) >>> 0;
    const crcByName = new Map<string, string>();
    for (const entry of table as { index?: unknown; name?: unknown }[]) {
      if (typeof entry?.name !== 'string' || typeof entry.index !== 'number') continue;
      conn.table.set(entry.name, entry.index);
      conn.wireById.set(entry.index, entry.name);
      const cut = entry.name.lastIndexOf('_');
      if (cut > 0) crcByName.set(entry.name.slice(0, cut), `0x${entry.name.slice(cut + 1)}`);
    }
    const mismatched: VppCrcMismatch[] = [];
    const missing: string[] = [];
    let matched = 0;
    const b = this.#bindings;
    const crcsOf = (defs: readonly AnyMessageDef[]): VppKnownCrc[] =>
      defs.map((d) => ({ crc: d.crc, releases: b.releasesOf?.(d.nameCrc) ?? [] }));
    // the releases the table agrees with: each message VPP announces that we know must have a release's CRC
    let releases: readonly string[] = b.releases ?? [];
    for (const [name, def] of b.messages) {
      const defs = b.definitions?.get(name) ?? [def];
      const hit = defs.find((d) => conn.table.has(d.nameCrc));
      if (hit) {
        const id = conn.table.get(hit.nameCrc)!;
        conn.idByName.set(name, id);
        conn.defByName.set(name, hit);
        conn.defById[id] = hit;
        matched++;
        if (b.releasesOf) {
          const of = b.releasesOf(hit.nameCrc);
          releases = releases.filter((r) => of.includes(r));
        }
        continue;
      }
      const vppCrc = crcByName.get(name);
      if (vppCrc !== undefined) {
        const m: VppCrcMismatch = { name, crc: def.crc, vppCrc, crcs: crcsOf(defs) };
        mismatched.push(m);
        conn.mismatched.set(name, m);
        releases = [];
      } else {
        missing.push(name);
      }
    }
    conn.compat = { ok: mismatched.length === 0, mismatched, missing, matched, releases };
    if (mismatched.length) {
      this.#log?.warn(
        { mismatched: mismatched.map((m) => m.name) },
        'VPP message CRCs differ from our bindings; those messages will not be sent',
      );
    }
  }

  #up(reconnected: boolean): void {
    const conn = this.#conn!;
    this.#state = 'up';
    this.#needDrain = false;
    this.#batchFull = false;
    this.#log?.info({ socket: this.#socketPath, clientIndex: conn.clientIndex, reconnected }, 'connected to VPP');
    if (this.#reconnect && this.#reconnect.healthIntervalMs > 0 && !this.#health) {
      this.#health = setInterval(() => this.#healthCheck(), this.#reconnect.healthIntervalMs);
      this.#health.unref();
    }
    if (reconnected) {
      for (const want of this.#wants.values()) {
        if (!want.subs.size) continue;
        want.ready = this.#setWant(want.name, want.init, true);
        want.ready.catch((err: Error) => this.#emitError(err));
      }
    }
    this.dispatchEvent(
      new CustomEvent('vpp:up', { detail: { clientIndex: conn.clientIndex, reconnected, compat: conn.compat } }),
    );
    this.#pump();
  }

  #healthCheck(): void {
    // while reading is paused, every outstanding request is a stream our own consumer is behind on:
    // a ping could only be answered after we read on, so there is nothing to check
    if (this.#state !== 'up' || this.#healthBusy || this.#paused) return;
    const conn = this.#conn!;
    const timeoutMs = Math.min(this.#timeoutMs, this.#reconnect!.healthIntervalMs);
    this.#healthBusy = true;
    (this as VppClient<AnyVppApi>)
      .call('control_ping', {}, { timeoutMs })
      .catch((err: Error) => {
        if (this.#conn === conn && this.#state === 'up' && err.name === 'VppTimeoutError') {
          this.#log?.warn({ err }, 'VPP health check failed; dropping the connection');
          conn.error = err;
          conn.socket.destroy();
        }
      })
      .finally(() => {
        this.#healthBusy = false;
      });
  }

  #onClose(conn: Conn): void {
    if (conn.handshake) {
      conn.handshake.reject(
        new VppHandshakeError('VPP closed the connection during the handshake', { cause: conn.error }),
      );
      conn.handshake = undefined;
    }
    const rest = conn.decoder.end();
    if (rest && !conn.error) conn.error = new VppFrameTruncatedError(rest.length);
    if (this.#conn !== conn) return;
    this.#conn = undefined;
    conn.out.drop();
    if (this.#state === 'closed') {
      // VPP went away while we were closing: our sockclnt_delete will never be answered
      const gone = (): VppClientClosedError => new VppClientClosedError();
      for (const op of [...this.#pending.values()]) this.#settle(op, gone());
      this.#stopSweep();
      return;
    }
    const error = conn.error;
    const reconnecting = this.#reconnect !== undefined;
    this.#state = reconnecting ? 'down' : 'failed';
    this.#log?.warn({ err: error, reconnecting }, 'connection to VPP lost');
    const lost = (): VppDisconnectedError =>
      new VppDisconnectedError(error ? `connection to VPP lost: ${error.message}` : 'connection to VPP lost', {
        cause: error,
      });
    for (const op of [...this.#pending.values()]) this.#settle(op, lost());
    this.#stopSweep();
    this.#abandoned.clear();
    this.#buffered = 0;
    this.#paused = false;
    if (!reconnecting) {
      for (const w of this.#waiters.splice(0)) this.#dropWaiter(w, lost());
      for (const want of this.#wants.values()) for (const sub of [...want.subs]) sub.fail(lost());
    }
    this.dispatchEvent(new CustomEvent('vpp:down', { detail: { error, reconnecting } }));
    if (reconnecting) void this.#reconnectLoop();
  }

  async #reconnectLoop(): Promise<void> {
    const r = this.#reconnect!;
    let delay = r.initialDelayMs;
    while (this.#state === 'down') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay * (0.8 + Math.random() * 0.4));
        this.#retryTimer = { timer, wake: resolve };
      });
      this.#retryTimer = undefined;
      if (this.#state !== 'down') return;
      try {
        const conn = await this.#open();
        if (this.#state !== 'down') {
          conn.socket.destroy();
          return;
        }
        this.#conn = conn;
        this.#up(true);
        return;
      } catch (err) {
        this.#log?.debug({ err, delayMs: delay }, 'VPP reconnect failed');
        delay = Math.min(delay * 2, r.maxDelayMs);
      }
    }
  }

  async #close(): Promise<void> {
    const conn = this.#conn;
    const wasUp = this.#state === 'up';
    this.#state = 'closed';
    clearInterval(this.#health);
    this.#health = undefined;
    if (this.#retryTimer) {
      clearTimeout(this.#retryTimer.timer);
      this.#retryTimer.wake();
    }
    const closed = (): VppClientClosedError => new VppClientClosedError();
    for (const w of this.#waiters.splice(0)) this.#dropWaiter(w, closed());
    for (const op of [...this.#pending.values()]) this.#settle(op, closed());
    this.#stopSweep();
    for (const want of this.#wants.values()) for (const sub of [...want.subs]) sub.end();
    this.#wants.clear();
    if (!conn) return;
    if (wasUp && conn.ready && !conn.socket.destroyed) {
      const def = this.#bindings.messages.get('sockclnt_delete');
      if (def && conn.idByName.has('sockclnt_delete')) {
        try {
          await this.#exchange(
            conn,
            def,
            { index: conn.clientIndex },
            'sockclnt_delete_reply',
            undefined,
            CLOSE_TIMEOUT_MS,
            undefined,
            false,
          );
        } catch (err) {
          this.#log?.debug({ err }, 'sockclnt_delete got no reply');
        }
      }
    }
    this.#flush(conn);
    await new Promise<void>((resolve) => {
      if (conn.socket.destroyed) return resolve();
      const t = setTimeout(() => conn.socket.destroy(), CLOSE_TIMEOUT_MS);
      conn.socket.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      conn.socket.end();
    });
    this.#conn = undefined;
    this.#log?.info({ socket: this.#socketPath }, 'disconnected from VPP');
  }

  // ------------------------------------------------------------------------------------------
  // requests

  #def(name: string): AnyMessageDef {
    const def = this.#bindings.messages.get(name);
    if (!def) throw new VppUnknownMessageError(name);
    return def;
  }

  /**
   * Checks that `name` is answered the way `method` expects, from the schema's services: calls have a
   * reply and no stream, dumps a details stream ended by control_ping, gets a cursor and a stream.
   * Returns the reply name (call) or the details name (dump, get).
   * @throws VppUnknownMessageError before anything is sent.
   */
  #method(name: string, method: 'call' | 'dump' | 'get'): string {
    const s = this.#bindings.services.get(name);
    if (!s) {
      // requests the schemas give no service for: a plain request/reply by VPP's naming, if both exist
      if (method === 'call' && this.#bindings.messages.has(`${name}_reply`)) return `${name}_reply`;
      if (
        method === 'dump' &&
        name.endsWith('_dump') &&
        this.#bindings.messages.has(name.replace(/_dump$/, '_details'))
      ) {
        return name.replace(/_dump$/, '_details');
      }
      throw new VppUnknownMessageError(
        name,
        `not a request with a known answer (no service in the schemas); it cannot be sent with ${method}()`,
      );
    }
    const kind = s.streamMessage ? 'get' : s.stream ? 'dump' : 'call';
    if (kind !== method) {
      const use =
        kind === 'get'
          ? 'a _get request with cursor; use get()'
          : kind === 'dump'
            ? 'a _dump request; use dump()'
            : 'answered by a single reply; use call()';
      throw new VppUnknownMessageError(name, `${method}() refused: ${use}`);
    }
    const answer = kind === 'call' ? s.reply : (s.streamMessage ?? s.stream)!;
    if (!this.#bindings.messages.has(answer))
      throw new VppUnknownMessageError(name, `its answer ${answer} is not in the bindings`);
    return answer;
  }

  /**
   * Checks the caller's fields before anything waits; the message is built from them on the connection
   * it goes out on, with the definition that connection's VPP announced.
   * @throws VppInvalidRequestError when they are not an object.
   */
  #check(def: AnyMessageDef, init: unknown): void {
    if (
      init !== undefined &&
      (typeof init !== 'object' || init === null || Array.isArray(init) || init instanceof Uint8Array)
    ) {
      throw new VppInvalidRequestError(def.name, `the fields must be an object, not ${describe(init)}`);
    }
  }

  /** Throws if `name` cannot be used on this connection. */
  #usable(conn: Conn, name: string): number {
    const id = conn.idByName.get(name);
    if (id !== undefined) return id;
    const m = conn.mismatched.get(name);
    if (m) throw new VppCrcMismatchError(m.name, m.crc, m.vppCrc, m.crcs);
    const def = this.#bindings.messages.get(name);
    if (!def) throw new VppUnknownMessageError(name);
    const defs = this.#bindings.definitions?.get(name) ?? [def];
    throw new VppUnsupportedMessageError(
      name,
      defs.map((d) => ({ crc: d.crc, releases: this.#bindings.releasesOf?.(d.nameCrc) ?? [] })),
    );
  }

  /** Waits for a slot (and a connection), then exchanges one request; resolves with the final message. */
  #request(
    def: AnyMessageDef,
    init: Msg | undefined,
    expect: string,
    details: string | undefined,
    options: VppCallOptions,
    withPing = false,
    ref?: { op?: Op; queue?: StreamQueue },
  ): Promise<Msg> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const signal = options.signal;
    let waited: Promise<void> | undefined;
    try {
      if (signal?.aborted) throw abortError(def.name, signal);
      waited = this.#acquire(def.name, signal, timeoutMs);
    } catch (err) {
      return Promise.reject(err);
    }
    // the common case takes a slot at once: no extra promise, no extra tick
    if (!waited) return this.#exchange(this.#conn!, def, init, expect, details, timeoutMs, signal, true, withPing, ref);
    return waited.then(() =>
      this.#exchange(this.#conn!, def, init, expect, details, timeoutMs, signal, true, withPing, ref),
    );
  }

  /** Sends `init` as the definition of `def.name` that `conn`'s VPP announced (several releases may have one). */
  #exchange(
    conn: Conn,
    def: AnyMessageDef,
    init: Msg | undefined,
    expect: string,
    details: string | undefined,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    slot: boolean,
    withPing = false,
    ref?: { op?: Op; queue?: StreamQueue },
  ): Promise<Msg> {
    const context = this.#nextContext();
    const out = conn.out;
    try {
      // the request first: an error names what the caller asked for, not its answer
      const id = this.#usable(conn, def.name);
      this.#usable(conn, expect);
      if (details) this.#usable(conn, details);
      const use = conn.defByName.get(def.name) ?? def;
      out.add(use, use.create(init) as Msg, id, conn.clientIndex, context);
      if (withPing) {
        const ping = this.#def('control_ping');
        out.add(ping, ping.create({}) as Msg, this.#usable(conn, ping.name), conn.clientIndex, context);
      }
    } catch (err) {
      // nothing of a request that failed to encode goes out, not even its first frame
      out.rollback();
      if (slot) this.#release();
      return Promise.reject(err);
    }
    // one executor for every request (no closure per request): it hands over resolve and reject
    const promise = new Promise<Msg>(capture);
    const op: Op = {
      context,
      name: def.name,
      expect,
      details,
      resolve: captured.resolve,
      reject: captured.reject,
      timer: undefined,
      timeoutMs,
      deadline: 0,
      signal,
      onAbort: undefined,
      slot,
      queue: ref?.queue,
      frozen: false,
    };
    this.#arm(op);
    if (signal) {
      op.onAbort = () => this.#abandon(op, abortError(def.name, signal));
      signal.addEventListener('abort', op.onAbort, { once: true });
    }
    if (ref) ref.op = op;
    this.#pending.set(context, op);
    // a new request waits for its answer: read again if our own consumers had paused reading
    if (this.#paused) this.#reading();
    this.#commit(conn);
    return promise;
  }

  /**
   * Queues the frames added to `conn.out` for the write at the end of this tick. Counts them against
   * the socket's high-water mark now, as a write would, so callers wait for 'drain' once the kernel
   * stops taking bytes.
   */
  #commit(conn: Conn): void {
    const out = conn.out;
    if (out.commit()) process.nextTick(this.#flushLater, conn);
    if (conn.socket.writableLength + out.pending >= conn.socket.writableHighWaterMark) this.#batchFull = true;
  }

  readonly #flushLater = (conn: Conn): void => this.#flush(conn);

  /** Writes what `conn.out` holds, in one write; then lets waiting requests in unless the socket asks to wait for 'drain'. */
  #flush(conn: Conn): void {
    const ok = conn.out.flush();
    if (conn !== this.#conn) return;
    if (!ok) this.#needDrain = true;
    if (this.#batchFull) {
      this.#batchFull = false;
      this.#pump();
    }
  }

  #onDrain(conn: Conn): void {
    if (conn !== this.#conn) return;
    this.#needDrain = false;
    this.#pump();
  }

  #nextContext(): number {
    for (;;) {
      this.#ctx = (this.#ctx + 1) >>> 0;
      if (this.#ctx !== 0 && !this.#pending.has(this.#ctx) && !this.#abandoned.has(this.#ctx)) return this.#ctx;
    }
  }

  /** Takes a slot now (undefined) or returns a promise that resolves once one is taken. */
  #acquire(name: string, signal: AbortSignal | undefined, timeoutMs: number): Promise<void> | undefined {
    const state = this.#state;
    if (state === 'closed') throw new VppClientClosedError();
    if (state === 'failed')
      throw new VppDisconnectedError('not connected to VPP (connection lost, reconnect disabled)');
    if (
      state === 'up' &&
      this.#inFlight < this.#maxInFlight &&
      !this.#needDrain &&
      !this.#batchFull &&
      this.#waiters.length === 0
    ) {
      this.#inFlight++;
      return undefined;
    }
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { resolve, reject, timer: undefined, signal, onAbort: undefined };
      const drop = (err: Error): void => {
        const i = this.#waiters.indexOf(w);
        if (i >= 0) this.#waiters.splice(i, 1);
        this.#dropWaiter(w, err);
      };
      w.timer = setTimeout(() => drop(new VppTimeoutError(name, timeoutMs)), timeoutMs);
      if (signal) {
        w.onAbort = () => drop(abortError(name, signal));
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.#waiters.push(w);
    });
  }

  #dropWaiter(w: Waiter, err: Error): void {
    unwatch(w);
    w.reject(err);
  }

  #release(): void {
    this.#inFlight--;
    if (this.#waiters.length) this.#pump();
  }

  #pump(): void {
    while (
      this.#waiters.length &&
      this.#state === 'up' &&
      this.#inFlight < this.#maxInFlight &&
      !this.#needDrain &&
      !this.#batchFull
    ) {
      const w = this.#waiters.shift()!;
      unwatch(w);
      this.#inFlight++;
      w.resolve();
    }
  }

  /**
   * Starts (or restarts) an op's time limit. Ops share one timer instead of a Timeout each (an object,
   * a timer-list insert and a removal per request): it is due at the earliest deadline, and moved only
   * when an op's deadline comes before it.
   */
  #arm(op: Op): void {
    op.frozen = false;
    op.deadline = performance.now() + op.timeoutMs;
    if (op.deadline < this.#sweepAt) this.#sweepAfter(op.deadline);
  }

  #sweepAfter(at: number): void {
    clearTimeout(this.#sweep);
    this.#sweepAt = at;
    this.#sweep = setTimeout(this.#onSweep, Math.max(1, Math.ceil(at - performance.now())));
    // pending ops always have an open socket keeping the process alive; the timer need not
    this.#sweep.unref();
  }

  #stopSweep(): void {
    clearTimeout(this.#sweep);
    this.#sweep = undefined;
    this.#sweepAt = Infinity;
  }

  /** Times out every op whose deadline passed and sets the timer for the next one. */
  readonly #onSweep = (): void => {
    this.#sweep = undefined;
    this.#sweepAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    const expired: Op[] = [];
    for (const op of this.#pending.values()) {
      if (op.frozen) continue;
      if (op.deadline <= now) expired.push(op);
      else if (op.deadline < next) next = op.deadline;
    }
    for (const op of expired) this.#abandon(op, new VppTimeoutError(op.name, op.timeoutMs));
    if (next < this.#sweepAt) this.#sweepAfter(next);
  };

  /** Completes an op: forgets it, frees its slot. */
  #finish(op: Op): void {
    this.#pending.delete(op.context);
    unwatch(op);
    if (op.slot) this.#release();
    if (!this.#paused && this.#buffered > this.#highWater) this.#reading();
  }

  /** Fails an op without remembering its context (connection gone). */
  #settle(op: Op, err: Error): void {
    this.#finish(op);
    op.reject(err);
  }

  /** Gives up on an op whose answer may still come: the answer will be dropped. */
  #abandon(op: Op, err: Error): void {
    if (this.#pending.get(op.context) !== op) return;
    this.#finish(op);
    this.#abandoned.set(op.context, op.expect);
    if (this.#abandoned.size > ABANDONED_MAX) {
      const oldest = this.#abandoned.keys().next();
      if (!oldest.done) this.#abandoned.delete(oldest.value);
    }
    op.reject(err);
  }

  // ------------------------------------------------------------------------------------------
  // streams

  async *#dump(name: string, init: Msg | undefined, options: VppCallOptions): AsyncGenerator<Msg> {
    const def = this.#def(name);
    const details = this.#method(name, 'dump');
    this.#check(def, init);
    yield* this.#stream(def, init, 'control_ping_reply', details, options, true);
  }

  async *#get(name: string, init: Msg | undefined, options: VppCallOptions): AsyncGenerator<Msg> {
    const def = this.#def(name);
    const details = this.#method(name, 'get');
    const reply = this.#bindings.services.get(name)!.reply;
    this.#check(def, init);
    let msg = init;
    for (;;) {
      const last = yield* this.#stream(def, msg, reply, details, options, false);
      const retval = signedRetval(last['retval']);
      if (retval === VPP_RETVAL_EAGAIN) {
        msg = { ...msg, cursor: last['cursor'] };
        continue;
      }
      if (retval < 0) throw new VppApiError(retval, name, last);
      return;
    }
  }

  /** Sends one streamed request; yields its details through a StreamQueue and returns the message that ends it. */
  #stream(
    def: AnyMessageDef,
    msg: Msg | undefined,
    expect: string,
    details: string,
    options: VppCallOptions,
    withPing: boolean,
  ): AsyncGenerator<Msg, Msg> {
    const queue = new StreamQueue(
      (delta) => this.#onBuffered(delta, queue),
      this.#maxStreamBuffer,
      () => this.#overflow(ref.op, queue),
    );
    const ref: { op?: Op; queue?: StreamQueue } = { queue };
    const done = this.#request(def, msg, expect, details, options, withPing, ref);
    return queue.drain(done, () => this.#stop(ref.op));
  }

  /** Abandons a stream's op if it is still pending (the consumer stopped early). */
  #stop(op: Op | undefined): void {
    if (op) this.#abandon(op, new VppAbortError(op.name));
  }

  /** Ends a stream whose consumer fell `maxStreamBuffer` behind: only that stream fails. */
  #overflow(op: Op | undefined, queue: StreamQueue): void {
    if (op) this.#abandon(op, new VppStreamOverflowError(op.name, queue.size));
  }

  /** Stream buffering accounting: pause the socket when consumers fall far behind. */
  #onBuffered(delta: number, queue: StreamQueue): void {
    // counts of streams from a lost connection may come back after the reset in #onClose
    this.#buffered = Math.max(0, this.#buffered + delta);
    if (this.#paused) {
      // below the low water mark, or a consumer that has run dry now waits for the socket
      if (this.#buffered < this.#lowWater || queue.size === 0) this.#reading();
    } else if (delta > 0 && this.#buffered > this.#highWater) {
      this.#reading();
    }
  }

  /**
   * Pauses reading when stream consumers are far behind and nobody waits for the socket: every
   * outstanding request is then a stream with items its consumer has yet to take. While paused, the
   * time limits of those streams stand still (we are the ones not reading); they restart on resume.
   */
  #reading(): void {
    const socket = this.#conn?.socket;
    if (!socket) return;
    let pause = this.#paused ? this.#buffered >= this.#lowWater : this.#buffered > this.#highWater;
    if (pause) {
      for (const op of this.#pending.values()) {
        if (!op.queue || op.queue.size === 0) {
          pause = false;
          break;
        }
      }
    }
    if (pause === this.#paused) return;
    this.#paused = pause;
    if (pause) {
      socket.pause();
      for (const op of this.#pending.values()) op.frozen = true;
    } else {
      for (const op of this.#pending.values()) if (op.frozen) this.#arm(op);
      socket.resume();
    }
  }

  // ------------------------------------------------------------------------------------------
  // events

  #subscribe(name: string, init: Msg, options: VppSubscribeOptions): Subscription {
    this.#def(name);
    const service = this.#bindings.services.get(name);
    const events = service?.events;
    if (!events?.length) throw new VppUnknownMessageError(name, 'not a want_* request with events; use call()');
    if (typeof init !== 'object' || init === null || Array.isArray(init)) {
      throw new VppInvalidRequestError(name, `the fields must be an object, not ${describe(init)}`);
    }
    if (this.#state === 'closed') throw new VppClientClosedError();
    let want = this.#wants.get(name);
    const sub: Subscription = new Subscription(options.bufferSize ?? DEFAULT_EVENT_BUFFER, () =>
      this.#unsubscribe(name, sub, events),
    );
    if (!want) {
      want = { name, init, subs: new Set(), ready: Promise.resolve() };
      this.#wants.set(name, want);
      want.ready = this.#setWant(name, init, true, options);
    }
    want.subs.add(sub);
    for (const e of events) {
      let set = this.#eventSubs.get(e);
      if (!set) this.#eventSubs.set(e, (set = new Set()));
      set.add(sub);
    }
    sub.ready = want.ready.catch((err: Error) => {
      sub.fail(err);
      throw err;
    });
    sub.ready.catch(NOOP);
    return sub;
  }

  async #setWant(name: string, init: Msg, enable: boolean, options: VppCallOptions = {}): Promise<void> {
    const def = this.#def(name);
    const msg: Msg = { ...init };
    const names = new Set(def.fields.map((f) => f.name));
    if (names.has('enable_disable')) msg['enable_disable'] = enable ? (init['enable_disable'] ?? 1) : 0;
    if (names.has('enable')) msg['enable'] = enable ? (init['enable'] ?? true) : false;
    if (names.has('pid') && msg['pid'] === undefined) msg['pid'] = process.pid;
    await (this as VppClient<AnyVppApi>).call(name, msg, options);
  }

  async #unsubscribe(name: string, sub: Subscription, events: readonly string[]): Promise<void> {
    for (const e of events) this.#eventSubs.get(e)?.delete(sub);
    const want = this.#wants.get(name);
    if (!want || !want.subs.delete(sub) || want.subs.size) return;
    this.#wants.delete(name);
    if (this.#state !== 'up') return;
    try {
      await want.ready;
      await this.#setWant(name, want.init, false);
    } catch (err) {
      this.#log?.debug({ err, name }, 'disabling events failed');
    }
  }

  // ------------------------------------------------------------------------------------------
  // receive

  #onData(conn: Conn, chunk: Buffer): void {
    const { payloads, error } = conn.decoder.push(chunk);
    for (const p of payloads) {
      try {
        this.#onPayload(conn, p);
      } catch (err) {
        // a bug in a handler must never take the process down
        this.#emitError(err instanceof Error ? err : new Error(String(err)));
      }
    }
    if (error) {
      const err = new VppFrameTooLargeError(error.length, this.#maxFrameSize);
      this.#emitError(err);
      conn.error = err;
      conn.socket.destroy();
    }
  }

  #onPayload(conn: Conn, p: Uint8Array): void {
    if (p.length < 2) {
      this.#emitError(new VppMalformedMessageError('(empty payload)'));
      return;
    }
    const id = (p[0]! << 8) | p[1]!;
    if (!conn.ready) {
      if (id !== SOCKCLNT_CREATE_REPLY_ID || !conn.handshake) return;
      const def = this.#bindings.messages.get('sockclnt_create_reply');
      if (!def) return conn.handshake.reject(new VppHandshakeError('bindings lack sockclnt_create_reply'));
      try {
        conn.handshake.resolve(def.decode(p, 0, p.length) as Msg);
      } catch (err) {
        conn.handshake.reject(new VppHandshakeError('malformed sockclnt_create_reply', { cause: err }));
      }
      return;
    }
    const def = conn.defById[id];
    if (!def) {
      this.#emitError(new VppUnknownMessageIdError(id, conn.wireById.get(id)));
      return;
    }
    if (def.header === 'event') {
      this.#onEvent(def, p);
      return;
    }
    if (def.name === 'memclnt_keepalive') {
      this.#keepalive(conn, def, p);
      return;
    }
    const context = contextOf(def, p);
    if (context === undefined) {
      this.#emitError(new VppMalformedMessageError(def.name));
      return;
    }
    const op = this.#pending.get(context);
    if (!op) {
      const end = this.#abandoned.get(context);
      if (end !== undefined) {
        if (end === def.name) this.#abandoned.delete(context);
        this.#log?.debug({ context, message: def.name }, 'dropped answer to an abandoned request');
        return;
      }
      this.#emitError(new VppUnexpectedContextError(context, def.name));
      return;
    }
    const isEnd = def.name === op.expect;
    if (!isEnd && def.name !== op.details) {
      this.#emitError(new VppUnexpectedMessageError(def.name, op.name));
      return;
    }
    let msg: Msg;
    try {
      msg = def.decode(p, 0, p.length) as Msg;
    } catch (err) {
      this.#abandon(op, new VppMalformedMessageError(def.name, { cause: err }));
      return;
    }
    if (isEnd) {
      this.#finish(op);
      op.resolve(msg);
    } else {
      if (!op.frozen) op.deadline = performance.now() + op.timeoutMs;
      op.queue?.push(msg);
    }
  }

  #onEvent(def: AnyMessageDef, p: Uint8Array): void {
    const subs = this.#eventSubs.get(def.name);
    if (!subs?.size) {
      this.#log?.debug({ message: def.name }, 'event without subscriber dropped');
      return;
    }
    let msg: Msg;
    try {
      msg = def.decode(p, 0, p.length) as Msg;
    } catch (err) {
      this.#emitError(new VppMalformedMessageError(def.name, { cause: err }));
      return;
    }
    for (const sub of subs) sub.push(msg);
  }

  #keepalive(conn: Conn, def: AnyMessageDef, p: Uint8Array): void {
    const reply = this.#bindings.messages.get('memclnt_keepalive_reply');
    const context = contextOf(def, p);
    if (!reply || context === undefined) return;
    try {
      conn.out.add(
        reply,
        reply.create({ retval: 0 }) as Msg,
        this.#usable(conn, reply.name),
        conn.clientIndex,
        context,
      );
      this.#commit(conn);
    } catch (err) {
      conn.out.rollback();
      this.#emitError(err as Error);
    }
  }

  #emitError(error: Error): void {
    this.#log?.warn({ err: error }, error.message);
    this.dispatchEvent(new CustomEvent('vpp:error', { detail: { error } }));
  }
}

/** Where the shared executor puts a new promise's resolve and reject, read right after `new Promise`. */
const captured: { resolve: (msg: Msg) => void; reject: (err: Error) => void } = { resolve: NOOP, reject: NOOP };

function capture(resolve: (msg: Msg) => void, reject: (err: Error) => void): void {
  captured.resolve = resolve;
  captured.reject = reject;
}

/** The context of a received payload; undefined when its message has none or the payload is too short for it. */
function contextOf(def: AnyMessageDef, p: Uint8Array): number | undefined {
  const co = def.contextOffset;
  if (co < 0 || p.length < co + 4) return undefined;
  return ((p[co]! << 24) | (p[co + 1]! << 16) | (p[co + 2]! << 8) | p[co + 3]!) >>> 0;
}

/** Stops the time limit and the abort listener of a request or a waiter. */
function unwatch(w: {
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}): void {
  clearTimeout(w.timer);
  if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
}

/** Bytes of a batch slab: frames of one tick go back to back into one. */
const SLAB_SIZE = 64 * 1024;

/**
 * The frames of one socket, encoded back to back into a slab and written with one write per tick: one
 * syscall and no Buffer per frame. `add` encodes after what is already there; `commit` makes the added
 * frames part of the next write, `rollback` forgets them (a request that failed half-way sends nothing).
 * A region handed to the socket is never written again: the next frames go after it, and a new slab is
 * taken when one is full, the way Buffer's own pool works.
 */
class FrameBatch {
  #slab: Buffer = Buffer.allocUnsafeSlow(SLAB_SIZE);
  /** Start of the region not yet written. */
  #start = 0;
  /** End of the committed frames. */
  #end = 0;
  /** End of the frames added since the last commit. */
  #cursor = 0;
  /** Committed regions of earlier slabs, still to be written (a tick that filled a slab). */
  #earlier: Buffer[] = [];
  #earlierBytes = 0;
  #scheduled = false;

  constructor(private readonly socket: Socket) {}

  /** Committed bytes not yet handed to the socket. */
  get pending(): number {
    return this.#earlierBytes + this.#end - this.#start;
  }

  /** Encodes one frame after the others; undone by `rollback` until `commit`. */
  add(def: AnyMessageDef, msg: Msg, id: number, clientIndex: number, context: number): void {
    const size = def.size(msg);
    const need = FRAME_HEADER_SIZE + size;
    if (this.#cursor + need > this.#slab.length) this.#grow(need);
    const slab = this.#slab;
    const at = this.#cursor;
    writeFrameHeader(slab, at, size);
    def.encodeInto(msg, slab, at + FRAME_HEADER_SIZE);
    const p = at + FRAME_HEADER_SIZE;
    slab.writeUInt16BE(id, p);
    if (def.clientIndexOffset >= 0) slab.writeUInt32BE(clientIndex, p + def.clientIndexOffset);
    if (def.contextOffset >= 0) slab.writeUInt32BE(context, p + def.contextOffset);
    this.#cursor = at + need;
  }

  /** Moves on to a new slab with room for `need` more bytes, carrying over the uncommitted frames. */
  #grow(need: number): void {
    const old = this.#slab;
    const uncommitted = this.#cursor - this.#end;
    if (this.#end > this.#start) {
      this.#earlier.push(old.subarray(this.#start, this.#end));
      this.#earlierBytes += this.#end - this.#start;
    }
    this.#slab = Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE, uncommitted + need));
    old.copy(this.#slab, 0, this.#end, this.#cursor);
    this.#start = 0;
    this.#end = 0;
    this.#cursor = uncommitted;
  }

  /** Makes the added frames part of the next write; true when that write still has to be scheduled. */
  commit(): boolean {
    this.#end = this.#cursor;
    if (this.#scheduled) return false;
    this.#scheduled = true;
    return true;
  }

  rollback(): void {
    this.#cursor = this.#end;
  }

  /** Writes the committed frames; false when the socket asks the writer to wait for 'drain'. */
  flush(): boolean {
    this.#scheduled = false;
    // a socket ended or destroyed meanwhile takes nothing more; its close event fails the requests
    if (!this.socket.writable) {
      this.drop();
      return true;
    }
    let ok = true;
    if (this.#earlier.length) {
      for (const b of this.#earlier.splice(0)) ok = this.socket.write(b);
      this.#earlierBytes = 0;
    }
    if (this.#end > this.#start) {
      ok = this.socket.write(this.#slab.subarray(this.#start, this.#end));
      this.#start = this.#end;
    }
    // keep the slab for the next tick only while it has room; a written region is never reused
    if (this.#start > SLAB_SIZE / 2 && this.#cursor === this.#end) {
      this.#slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
      this.#start = this.#end = this.#cursor = 0;
    }
    return ok;
  }

  /** Forgets every frame (the connection is gone). */
  drop(): void {
    this.#earlier = [];
    this.#earlierBytes = 0;
    this.#start = this.#end = this.#cursor;
  }
}

/** One frame ready for the socket: header, then the payload with VPP's message id, our client index and the context written in. */
function encodeFrame(def: AnyMessageDef, msg: Msg, id: number, clientIndex: number, context: number): Buffer {
  const size = def.size(msg);
  const buf = Buffer.allocUnsafe(FRAME_HEADER_SIZE + size);
  writeFrameHeader(buf, 0, size);
  def.encodeInto(msg, buf, FRAME_HEADER_SIZE);
  buf.writeUInt16BE(id, FRAME_HEADER_SIZE);
  if (def.clientIndexOffset >= 0) buf.writeUInt32BE(clientIndex, FRAME_HEADER_SIZE + def.clientIndexOffset);
  if (def.contextOffset >= 0) buf.writeUInt32BE(context, FRAME_HEADER_SIZE + def.contextOffset);
  return buf;
}

/**
 * VPP writes its `int rv` into every reply's 32-bit retval, also where the schema says u32
 * (`get_f64_endian_value_reply`): read it as the signed number it is. Not a number: 0.
 */
function signedRetval(v: unknown): number {
  return typeof v === 'number' ? v | 0 : 0;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 20 ? v.slice(0, 20) + '…' : v)}`;
  return `a ${typeof v}`;
}

function abortError(name: string, signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if ((reason as { name?: unknown })?.name === 'TimeoutError')
    return new VppTimeoutError(name, undefined, { cause: reason });
  return new VppAbortError(name, { cause: reason });
}

/** Buffers one stream's details between the socket and its consumer. */
class StreamQueue {
  readonly #items: Msg[] = [];
  #head = 0;
  #wake: (() => void) | undefined;

  constructor(
    /** Told how many items were added (+) or taken (−). */
    private readonly onBuffered: (delta: number) => void,
    private readonly max: number,
    private readonly onOverflow: () => void,
  ) {}

  /** Items waiting for the consumer. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  push(m: Msg): void {
    if (this.size >= this.max) {
      this.onOverflow();
      return;
    }
    this.#items.push(m);
    this.onBuffered(1);
    const w = this.#wake;
    if (w) {
      this.#wake = undefined;
      w();
    }
  }

  /** Yields items until `done` settles; returns its value. Calls `abandon` when the consumer stops early. */
  async *drain(done: Promise<Msg>, abandon: () => void): AsyncGenerator<Msg, Msg> {
    let settled = false;
    let result: Msg | undefined;
    let failure: unknown;
    let failed = false;
    done.then(
      (m) => {
        settled = true;
        result = m;
        this.#wake?.();
      },
      (e: unknown) => {
        settled = true;
        failed = true;
        failure = e;
        this.#wake?.();
      },
    );
    try {
      for (;;) {
        while (this.#head < this.#items.length) {
          const m = this.#items[this.#head]!;
          this.#items[this.#head++] = undefined as unknown as Msg;
          this.onBuffered(-1);
          yield m;
        }
        this.#items.length = 0;
        this.#head = 0;
        if (settled) {
          if (failed) throw failure;
          return result!;
        }
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
      }
    } finally {
      const left = this.#items.length - this.#head;
      this.#items.length = 0;
      this.#head = 0;
      if (left > 0) this.onBuffered(-left);
      if (!settled) abandon();
    }
  }
}

/** One consumer of a `want_*` event stream. */
class Subscription implements VppSubscription<Msg> {
  ready: Promise<void> = Promise.resolve();
  dropped = 0;
  readonly #items: Msg[] = [];
  #wake: (() => void) | undefined;
  #done = false;
  #error: Error | undefined;
  #closed: Promise<void> | undefined;

  constructor(
    private readonly bufferSize: number,
    private readonly onClose: () => Promise<void>,
  ) {}

  push(m: Msg): void {
    if (this.#done) return;
    if (this.#items.length >= this.bufferSize) {
      this.#items.shift();
      this.dropped++;
    }
    this.#items.push(m);
    this.#notify();
  }

  /** Ends the stream with an error (after buffered events). */
  fail(err: Error): void {
    if (this.#done) return;
    this.#error = err;
    this.#done = true;
    void this.onClose();
    this.#notify();
  }

  /** Ends the stream normally (client closed). */
  end(): void {
    this.#done = true;
    this.#notify();
  }

  close(): Promise<void> {
    this.#done = true;
    this.#items.length = 0;
    this.#notify();
    this.#closed ??= this.onClose();
    return this.#closed;
  }

  #notify(): void {
    const w = this.#wake;
    if (w) {
      this.#wake = undefined;
      w();
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Msg> {
    return {
      next: async (): Promise<IteratorResult<Msg>> => {
        for (;;) {
          if (this.#items.length) return { done: false, value: this.#items.shift()! };
          if (this.#error) {
            const e = this.#error;
            this.#error = undefined;
            throw e;
          }
          if (this.#done) return { done: true, value: undefined };
          await new Promise<void>((resolve) => {
            this.#wake = resolve;
          });
        }
      },
      return: async (): Promise<IteratorResult<Msg>> => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }
}
