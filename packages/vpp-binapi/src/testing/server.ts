import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { type Server, type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FRAME_HEADER_SIZE, FrameDecoder, frame, writeFrameHeader } from '../codec/frame.js';
import type { AnyMessageDef } from '../codec/registry.js';
import type { ServiceDef } from '../codec/types.js';
import { DEFAULT_VPP_VERSION, VNET_API_ERROR, VPP_MESSAGE_COUNT, VPP_MODULE_FIRST_ID } from './constants.js';
import { HANDLERS, type HandlerContext, type Msg } from './handlers.js';
import { defaultBindings } from './registry.js';
import { FakeVppState } from './state.js';

/** Message definitions and services the fake speaks (the generated bindings by default). */
export interface FakeVppBindings {
  readonly messages: ReadonlyMap<string, AnyMessageDef>;
  readonly services: ReadonlyMap<string, ServiceDef>;
}

/** A pino-compatible logger; the fake logs nothing without one. */
export interface FakeVppLogger {
  debug?(fields: Record<string, unknown>, msg?: string): void;
  warn?(fields: Record<string, unknown>, msg?: string): void;
}

/** How the fake's message table differs from our bindings, to test CRC-mismatch handling. */
export interface FakeVppMessagesInit {
  /** Messages left out of the table, as if their plugin were not loaded. */
  readonly omit?: readonly string[];
  /** Messages announced with another CRC (`'0x12345678'`), as a newer or older VPP would. */
  readonly crc?: Readonly<Record<string, string>>;
}

/** Options of {@link startFakeVpp}. */
export interface FakeVppInit {
  /** Socket path to listen on. Default: `api.sock` in a new temporary directory, removed by `stop()`. */
  readonly socket?: string;
  /** Version reported by `show_version`. Default `<release>-release` (`26.06-release`). */
  readonly vppVersion?: string;
  /** Changes to the message table. Default: every message of the bindings with its own CRC. */
  readonly messages?: FakeVppMessagesInit;
  /** `tap_create_v3` outcome: `'fail'` (default, retval -11 like a kernel without vhost-net) or `'succeed'`. */
  readonly tap?: 'fail' | 'succeed';
  /** Details per page of a `_get` with cursor before EAGAIN (VPP pages by time, 1 ms). Default 64. */
  readonly getPageSize?: number;
  /**
   * Host interfaces `af_packet_create_v3` can bind to: `'any'` (default) accepts every name, a list only
   * those (others fail with -71 like a missing netdev). See {@link FakeVppStateInit.hostInterfaces}.
   */
  readonly hostInterfaces?: 'any' | readonly string[];
  /**
   * Whether npol bindings filter traffic in `state.evaluate()`. Default false: VPP 26.06's npol has no
   * datapath. See {@link FakeVppStateInit.npolEnforces}.
   */
  readonly npolEnforces?: boolean;
  /**
   * The VPP release whose message table the fake announces (names and CRCs from that release's
   * schemas), and whose definitions it decodes and encodes with. Default `'26.06'`. Ignored with `bindings`.
   */
  readonly release?: '25.10' | '26.02' | '26.06';
  /** Message definitions to speak. Default: the generated bindings of `release`. */
  readonly bindings?: FakeVppBindings;
  readonly logger?: FakeVppLogger;
}

/** Fault injection for reliability tests of clients. Each applies to every connected client. */
export interface FakeVppFaults {
  /** Closes every client connection at once (VPP crashing, as seen from the socket). */
  dropConnections(): void;
  /** Delays every outgoing message by `ms` (order kept); `null` turns the delay off. */
  delay(ms: number | null): void;
  /** While on, requests are read and dropped without an answer. */
  ignoreRequests(on: boolean): void;
  /**
   * Corrupts the next outgoing frame: `'garbage'` (default) replaces its payload with random bytes,
   * `'length'` declares a length far above any sane limit, `'truncate'` declares a length shorter than the
   * payload so the stream desynchronises.
   */
  corruptNextFrame(kind?: 'garbage' | 'length' | 'truncate'): void;
  /** Writes half of the next outgoing frame, then closes the connection. */
  closeMidFrame(): void;
  /** Sends a `control_ping_reply` whose context no request used. */
  sendUnknownContext(): void;
  /** Sends a message with an id that is not in the message table. */
  sendUnknownMessageId(): void;
  /** Makes the next `count` requests named `name` fail with `retval`, state untouched. */
  failNext(name: string, retval: number, count?: number): void;
}

/** A running fake VPP. */
export interface FakeVpp {
  readonly socketPath: string;
  /** The current instance's state; a new object after `restart()`. */
  readonly state: FakeVppState;
  readonly faults: FakeVppFaults;
  /** Number of connected clients. */
  readonly connections: number;
  /** Message id of `name` in the table, if announced. */
  messageId(name: string): number | undefined;
  /** Messages of the table that have no handler (they answer `VNET_API_ERROR_UNSUPPORTED`). */
  unhandledMessages(): string[];
  /** Sends `sw_interface_event`s as VPP would for the interface's current flags (tests may change state directly). */
  emitInterfaceEvent(swIfIndex: number, deleted?: boolean): void;
  /** Closes clients and the socket, and removes the temporary directory. */
  stop(): Promise<void>;
  /** Simulates a VPP restart: clients are dropped, state starts over, the same socket path listens again. */
  restart(): Promise<void>;
  /** Dies abruptly: connections reset, the socket file goes away, nothing is answered until `restart()`. */
  kill(): Promise<void>;
}

interface TableEntry {
  readonly id: number;
  readonly def: AnyMessageDef;
  readonly nameCrc: string;
}

/**
 * Builds the message table the way VPP numbers it: each module gets a block of ids, its messages in
 * schema order. Blocks start where the captured VPP 26.06 started them, so known messages get VPP's own
 * ids (sockclnt_create is 15, control_ping 23); modules VPP did not have follow after its last id. With
 * another release's table a module's block can be longer than in the capture (25.10's ip has
 * ip_punt_police): a block that would overlap one placed before it moves after the last id instead, so
 * no two messages ever share an id.
 */
function buildTable(bindings: FakeVppBindings, init: FakeVppMessagesInit | undefined): TableEntry[] {
  const omit = new Set(init?.omit ?? []);
  const crc = init?.crc ?? {};
  const byModule = new Map<string, AnyMessageDef[]>();
  for (const def of bindings.messages.values()) {
    const list = byModule.get(def.module) ?? [];
    list.push(def);
    byModule.set(def.module, list);
  }
  const out: TableEntry[] = [];
  let next = VPP_MESSAGE_COUNT + 1;
  const known = [...byModule.keys()]
    .filter((m) => VPP_MODULE_FIRST_ID[m] !== undefined)
    .sort((a, b) => VPP_MODULE_FIRST_ID[a]! - VPP_MODULE_FIRST_ID[b]!);
  const unknown = [...byModule.keys()].filter((m) => VPP_MODULE_FIRST_ID[m] === undefined).sort();
  const placed: [number, number][] = [];
  const free = (start: number, n: number): boolean => placed.every(([a, b]) => start + n <= a || start >= b);
  for (const module of [...known, ...unknown]) {
    const defs = byModule.get(module) ?? [];
    const first = VPP_MODULE_FIRST_ID[module];
    const start = first !== undefined && free(first, defs.length) ? first : Math.max(next, ...placed.map(([, b]) => b));
    placed.push([start, start + defs.length]);
    let id = start;
    for (const def of defs) {
      const c = crc[def.name];
      if (!omit.has(def.name)) out.push({ id, def, nameCrc: c ? `${def.name}_${c.replace(/^0x/, '')}` : def.nameCrc });
      id++;
    }
    next = Math.max(next, id);
  }
  return out.sort((a, b) => a.id - b.id);
}

/** Size of the buffers replies are encoded into (a larger frame gets a buffer of its own size). */
const OUT_CHUNK = 64 * 1024;

/**
 * Frames encoded for one connection and not yet written, in order: `full` (buffers that filled up), then
 * `buf[start, pos)`. Bytes once handed to the socket are never written again: the next frames go after
 * `pos`, in a new zeroed buffer when this one is full.
 */
interface Outbox {
  buf: Uint8Array;
  start: number;
  pos: number;
  full: Uint8Array[];
}

interface Connection {
  readonly socket: Socket;
  readonly decoder: FrameDecoder;
  clientIndex: number;
  name: string;
  interfaceEventsPid: number | undefined;
  readonly out: Outbox;
  flushScheduled: boolean;
}

/** Room for `n` more bytes at `out.pos`: a new zeroed buffer when the current one lacks it. */
function reserve(out: Outbox, n: number): void {
  if (out.buf.length - out.pos >= n) return;
  if (out.pos > out.start) out.full.push(out.buf.subarray(out.start, out.pos));
  out.buf = new Uint8Array(Math.max(OUT_CHUNK, n));
  out.start = 0;
  out.pos = 0;
}

/** Appends an encoded frame (header included) to the outbox. */
function appendFrame(out: Outbox, f: Uint8Array): void {
  reserve(out, f.length);
  out.buf.set(f, out.pos);
  out.pos += f.length;
}

/** Takes what the outbox holds, as one buffer (or none), leaving it empty. */
function takeOutbox(out: Outbox): Uint8Array | undefined {
  const tail = out.pos > out.start ? out.buf.subarray(out.start, out.pos) : undefined;
  out.start = out.pos;
  if (out.full.length === 0) return tail;
  const parts = tail ? [...out.full, tail] : out.full;
  out.full = [];
  return Buffer.concat(parts);
}

/** Splits bytes holding whole frames (as the outbox does) back into frames. */
function splitFrames(bytes: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let off = 0; off + FRAME_HEADER_SIZE <= bytes.length;) {
    const len = ((bytes[off + 8]! << 24) | (bytes[off + 9]! << 16) | (bytes[off + 10]! << 8) | bytes[off + 11]!) >>> 0;
    frames.push(bytes.subarray(off, off + FRAME_HEADER_SIZE + len));
    off += FRAME_HEADER_SIZE + len;
  }
  return frames;
}

/**
 * Starts a fake VPP on a unix socket: the real socket protocol (framing, `sockclnt_create` handshake
 * with a message table built from the schemas), state for what the dataplane needs, VPP's retvals and
 * events, and fault injection.
 * @throws Error when the socket cannot be listened on.
 */
export async function startFakeVpp(init: FakeVppInit = {}): Promise<FakeVpp> {
  const bindings = init.bindings ?? defaultBindings(init.release);
  const logger = init.logger;
  const version = init.vppVersion ?? (init.release !== undefined ? `${init.release}-release` : DEFAULT_VPP_VERSION);
  const buildDate = new Date().toISOString().slice(0, 19);
  const table = buildTable(bindings, init.messages);
  const byId = new Map(table.map((e) => [e.id, e]));
  const idByName = new Map(table.map((e) => [e.def.name, e.id]));
  const replyOf = new Map<string, string>();
  for (const s of bindings.services.values()) replyOf.set(s.request, s.reply);
  /** Type of each message's `retval` field, for the messages that have one. */
  const retvalType = new Map<string, string>();
  for (const [name, def] of bindings.messages) {
    const f = def.fields.find((x) => x.name === 'retval');
    if (f) retvalType.set(name, f.type);
  }

  let tempDir: string | undefined;
  let socketPath = init.socket;
  if (!socketPath) {
    tempDir = await mkdtemp(join(tmpdir(), 'fake-vpp-'));
    socketPath = join(tempDir, 'api.sock');
  }
  const path = socketPath;

  const newState = (): FakeVppState =>
    new FakeVppState({
      ...(init.tap && { tap: init.tap }),
      ...(init.getPageSize !== undefined && { getPageSize: init.getPageSize }),
      ...(init.hostInterfaces !== undefined && { hostInterfaces: init.hostInterfaces }),
      ...(init.npolEnforces !== undefined && { npolEnforces: init.npolEnforces }),
    });
  let state = newState();
  let pid = 40000 + Math.floor(Math.random() * 20000);
  let server: Server | undefined;
  const conns = new Set<Connection>();
  let nextClient = 1;
  let delayMs: number | null = null;
  let ignoring = false;
  let corrupt: 'garbage' | 'length' | 'truncate' | undefined;
  let cutNext = false;
  const failures = new Map<string, { retval: number; count: number }>();
  /** Events raised while a request is being handled go out after its reply, as in the capture. */
  let handling = false;
  let pendingEvents: { sw_if_index: number; flags: number; deleted: boolean }[] = [];

  const log = (level: 'debug' | 'warn', fields: Record<string, unknown>, msg: string): void => {
    logger?.[level]?.(fields, msg);
  };

  /** The message's definition with `_vl_msg_id` set in `fields`, or undefined (logged) when not in the table. */
  const defFor = (name: string, fields: Msg): AnyMessageDef | undefined => {
    const id = idByName.get(name);
    const def = bindings.messages.get(name);
    if (id === undefined || !def) {
      log('warn', { message: name }, 'fake-vpp: message not in table, not sent');
      return undefined;
    }
    fields._vl_msg_id = id;
    return def;
  };

  /** A frame of its own (header and payload) for `name`, or undefined (logged) when it cannot be encoded. */
  const encode = (name: string, fields: Msg): Uint8Array | undefined => {
    const def = defFor(name, fields);
    if (!def) return undefined;
    try {
      const msg = def.create(fields);
      const size = def.size(msg);
      const out = new Uint8Array(FRAME_HEADER_SIZE + size);
      // Header: 8 bytes of nothing, the payload length (u32 BE), a zero gc mark.
      out[8] = size >>> 24;
      out[9] = (size >>> 16) & 0xff;
      out[10] = (size >>> 8) & 0xff;
      out[11] = size & 0xff;
      def.encodeInto(msg, out, FRAME_HEADER_SIZE);
      return out;
    } catch (err) {
      log('warn', { message: name, err }, 'fake-vpp: cannot encode');
      return undefined;
    }
  };

  /**
   * Encodes `name` straight into the connection's outbox (the bytes {@link encode} would make) and schedules
   * the flush; false (logged) when it cannot be encoded. With a delay on, goes through {@link send}.
   */
  const encodeTo = (c: Connection, name: string, fields: Msg): boolean => {
    if (delayMs !== null) {
      const f = encode(name, fields);
      send(c, f);
      return f !== undefined;
    }
    const def = defFor(name, fields);
    if (!def) return false;
    const out = c.out;
    let at = -1;
    let size = 0;
    try {
      const msg = def.create(fields);
      size = def.size(msg);
      reserve(out, FRAME_HEADER_SIZE + size);
      at = out.pos;
      const b = out.buf;
      // Header: 8 bytes of nothing, the payload length (u32 BE), a zero gc mark (the buffer is zeroed).
      b[at + 8] = size >>> 24;
      b[at + 9] = (size >>> 16) & 0xff;
      b[at + 10] = (size >>> 8) & 0xff;
      b[at + 11] = size & 0xff;
      def.encodeInto(msg, b, at + FRAME_HEADER_SIZE);
    } catch (err) {
      // whatever a failed encode wrote goes back to zero: the next frame starts at the same place
      if (at >= 0) out.buf.fill(0, at, Math.min(out.buf.length, at + FRAME_HEADER_SIZE + size));
      log('warn', { message: name, err }, 'fake-vpp: cannot encode');
      return false;
    }
    out.pos = at + FRAME_HEADER_SIZE + size;
    scheduleFlush(c);
    return true;
  };

  const flush = (c: Connection): void => {
    c.flushScheduled = false;
    const bytes = takeOutbox(c.out);
    if (c.socket.destroyed || !bytes) return;
    if (!corrupt && !cutNext) {
      c.socket.write(bytes);
      return;
    }
    for (let f of splitFrames(bytes)) {
      if (corrupt) {
        f = corruptFrame(f, corrupt);
        corrupt = undefined;
      }
      if (cutNext) {
        cutNext = false;
        c.socket.write(f.subarray(0, Math.max(FRAME_HEADER_SIZE + 1, Math.floor(f.length / 2))));
        c.socket.end();
        setImmediate(() => c.socket.destroy());
        return;
      }
      c.socket.write(f);
    }
  };

  const scheduleFlush = (c: Connection): void => {
    if (!c.flushScheduled) {
      c.flushScheduled = true;
      setImmediate(() => flush(c));
    }
  };

  /** Queues a frame made by {@link encode} (after the delay, if one is set). */
  const send = (c: Connection, f: Uint8Array | undefined): void => {
    if (!f) return;
    if (delayMs !== null) {
      setTimeout(() => {
        appendFrame(c.out, f);
        flush(c);
      }, delayMs);
      return;
    }
    appendFrame(c.out, f);
    scheduleFlush(c);
  };

  const sendEvent = (ev: { sw_if_index: number; flags: number; deleted: boolean }): void => {
    for (const c of conns) {
      if (c.interfaceEventsPid === undefined) continue;
      encodeTo(c, 'sw_interface_event', {
        client_index: c.clientIndex,
        pid: c.interfaceEventsPid,
        sw_if_index: ev.sw_if_index,
        flags: ev.flags,
        deleted: ev.deleted,
      });
    }
  };

  const attachState = (s: FakeVppState): void => {
    s.setInterfaceEventListener((ev) => {
      if (handling) pendingEvents.push(ev);
      else sendEvent(ev);
    });
  };
  attachState(state);

  const handshake = (c: Connection, msg: Msg): void => {
    c.name = typeof msg.name === 'string' ? msg.name : '';
    c.clientIndex = (0x80000000 | nextClient++) >>> 0;
    encodeTo(c, 'sockclnt_create_reply', {
      context: msg.context,
      response: 0,
      index: c.clientIndex,
      count: table.length,
      message_table: table.map((e) => ({ index: e.id, name: e.nameCrc })),
    });
  };

  /** What a handler sees of one request; a class so that no closures are made per request. */
  class RequestContext implements HandlerContext {
    constructor(
      private readonly c: Connection,
      private readonly context: number,
      private readonly replyName: string | undefined,
    ) {}
    get state(): FakeVppState {
      return state;
    }
    get clientIndex(): number {
      return this.c.clientIndex;
    }
    get vppVersion(): string {
      return version;
    }
    get buildDate(): string {
      return buildDate;
    }
    get pid(): number {
      return pid;
    }
    reply(fields: Msg = {}): void {
      const name = this.replyName;
      if (!name) return;
      fields.context = this.context;
      // VPP writes its int rv with htonl into whatever 32-bit retval the reply has (u32 in a few)
      const unsigned = typeof fields.retval === 'number' && retvalType.get(name) === 'u32';
      if (unsigned) fields.retval = (fields.retval as number) >>> 0;
      // a reply that cannot be encoded (a handler bug) still answers: retval alone, else the client is
      // told by a closed connection rather than left waiting
      if (
        encodeTo(this.c, name, fields) ||
        encodeTo(this.c, name, { context: this.context, retval: fields.retval ?? VNET_API_ERROR.UNSPECIFIED })
      )
        return;
      if (!idByName.has(name)) return;
      log('warn', { message: name }, 'fake-vpp: reply cannot be encoded; closing the connection');
      flush(this.c);
      this.c.socket.destroy();
    }
    details(name: string, fields: Msg): void {
      fields.context = this.context;
      encodeTo(this.c, name, fields);
    }
    wantInterfaceEvents(enable: boolean, evPid: number): number {
      const registered = this.c.interfaceEventsPid !== undefined;
      if (enable === registered) return VNET_API_ERROR.INVALID_REGISTRATION;
      this.c.interfaceEventsPid = enable ? evPid : undefined;
      return 0;
    }
  }

  const handle = (c: Connection, payload: Uint8Array): void => {
    if (payload.length < 2) {
      log('warn', { length: payload.length }, 'fake-vpp: frame too short for a message id');
      return;
    }
    const id = (payload[0]! << 8) | payload[1]!;
    const entry = byId.get(id);
    if (!entry) {
      log('warn', { id }, 'fake-vpp: unknown message id, dropped');
      return;
    }
    let msg: Msg;
    try {
      msg = entry.def.decode(payload) as Msg;
    } catch (err) {
      log('warn', { message: entry.def.name, err }, 'fake-vpp: malformed message, dropped');
      return;
    }
    const name = entry.def.name;
    if (logger?.debug) log('debug', { message: name, context: msg.context }, 'fake-vpp: request');
    if (name === 'sockclnt_create') {
      handshake(c, msg);
      return;
    }
    if (ignoring) return;
    const context = typeof msg.context === 'number' ? msg.context : 0;
    if (name === 'sockclnt_delete') {
      encodeTo(c, 'sockclnt_delete_reply', { context, response: 1 });
      c.interfaceEventsPid = undefined;
      setImmediate(() => {
        flush(c);
        c.socket.end();
      });
      return;
    }
    const replyName = replyOf.get(name);
    const ctx = new RequestContext(c, context, replyName);
    const failure = failures.get(name);
    if (failure) {
      if (--failure.count <= 0) failures.delete(name);
      ctx.reply({ retval: failure.retval });
      return;
    }
    const handler = HANDLERS[name];
    if (!handler) {
      const svc = bindings.services.get(name);
      if (svc && !svc.stream && replyName && retvalType.has(replyName))
        ctx.reply({ retval: VNET_API_ERROR.UNSUPPORTED });
      else log('debug', { message: name }, 'fake-vpp: no handler, no answer');
      return;
    }
    handling = true;
    try {
      handler(ctx, msg);
    } catch (err) {
      log('warn', { message: name, err }, 'fake-vpp: handler failed');
      ctx.reply({ retval: VNET_API_ERROR.INVALID_VALUE });
    } finally {
      handling = false;
      if (pendingEvents.length) {
        const evs = pendingEvents;
        pendingEvents = [];
        for (const ev of evs) sendEvent(ev);
      }
    }
  };

  const onConnection = (socket: Socket): void => {
    const c: Connection = {
      socket,
      decoder: new FrameDecoder(),
      clientIndex: 0,
      name: '',
      interfaceEventsPid: undefined,
      out: { buf: new Uint8Array(0), start: 0, pos: 0, full: [] },
      flushScheduled: false,
    };
    conns.add(c);
    socket.on('data', (chunk: Buffer) => {
      const { payloads, error } = c.decoder.push(chunk);
      for (const p of payloads) handle(c, p);
      if (error) {
        log('warn', { ...error }, 'fake-vpp: bad frame from client, closing');
        socket.destroy();
      }
    });
    socket.on('error', (err) => log('debug', { err }, 'fake-vpp: client socket error'));
    socket.on('close', () => {
      const cut = c.decoder.end();
      if (cut) log('debug', { ...cut }, 'fake-vpp: client closed mid-frame');
      conns.delete(c);
    });
  };

  const listen = async (): Promise<void> => {
    await unlink(path).catch(() => undefined);
    const s = createServer(onConnection);
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(path, () => {
        s.off('error', reject);
        resolve();
      });
    });
    server = s;
  };

  const close = async (): Promise<void> => {
    for (const c of conns) c.socket.destroy();
    conns.clear();
    const s = server;
    server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    await unlink(path).catch(() => undefined);
  };

  await listen();

  const fake: FakeVpp = {
    socketPath: path,
    get state() {
      return state;
    },
    get connections() {
      return conns.size;
    },
    faults: {
      dropConnections: () => {
        for (const c of conns) c.socket.destroy();
      },
      delay: (ms) => {
        delayMs = ms;
      },
      ignoreRequests: (on) => {
        ignoring = on;
      },
      corruptNextFrame: (kind = 'garbage') => {
        corrupt = kind;
      },
      closeMidFrame: () => {
        cutNext = true;
      },
      sendUnknownContext: () => {
        for (const c of conns)
          encodeTo(c, 'control_ping_reply', { context: 0x7ffffff1, retval: 0, client_index: 0, vpe_pid: pid });
      },
      sendUnknownMessageId: () => {
        let unused = 0xfff0;
        while (byId.has(unused)) unused--;
        const payload = new Uint8Array(10);
        payload[0] = unused >> 8;
        payload[1] = unused & 0xff;
        for (const c of conns) send(c, frame(payload));
      },
      failNext: (name, retval, count = 1) => {
        failures.set(name, { retval, count });
      },
    },
    messageId: (name) => idByName.get(name),
    unhandledMessages: () =>
      table
        .map((e) => e.def.name)
        .filter((n) => replyOf.has(n) && !HANDLERS[n] && !['sockclnt_create', 'sockclnt_delete'].includes(n))
        .sort(),
    emitInterfaceEvent: (swIfIndex, deleted = false) => {
      const itf = state.interfaces.get(swIfIndex);
      sendEvent({ sw_if_index: swIfIndex, flags: itf ? state.interfaceFlags(itf) : 0, deleted });
    },
    stop: async () => {
      await close();
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
    },
    restart: async () => {
      await close();
      state = newState();
      attachState(state);
      pid += 1;
      delayMs = null;
      ignoring = false;
      corrupt = undefined;
      cutNext = false;
      failures.clear();
      await listen();
    },
    // A unix socket has no RST; close() destroying it without a goodbye is the abrupt end a client sees.
    kill: close,
  };
  return fake;
}

function corruptFrame(f: Uint8Array, kind: 'garbage' | 'length' | 'truncate'): Uint8Array {
  const out = new Uint8Array(f);
  const len = out.length - FRAME_HEADER_SIZE;
  if (kind === 'length') writeFrameHeader(out, 0, 0x7ffffff0);
  else if (kind === 'truncate') writeFrameHeader(out, 0, Math.max(0, Math.floor(len / 2)));
  else for (let i = FRAME_HEADER_SIZE; i < out.length; i++) out[i] = Math.floor(Math.random() * 256);
  return out;
}
