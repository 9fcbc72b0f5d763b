/**
 * `NetlinkHandle`: one rtnetlink socket in one network namespace, implementing `RtnlTransport`.
 * Requests are matched to replies by sequence number, so any number run at once; dumps are queued (the
 * kernel runs one dump per socket at a time) and buffered until NLMSG_DONE so that an interrupted dump
 * (NLM_F_DUMP_INTR) is retried without yielding a torn result.
 */
import { constants as osConstants } from 'node:os';
import {
  MessageBuilder,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_HDRLEN,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  NLMSGERR_ATTR_MSG,
  NLMSGERR_ATTR_OFFS,
  NLM_F_ACK,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_REQUEST,
  align4,
  attrs,
  parseMessages,
  readStr,
  readU32,
  setSeq,
  type NlMessage,
} from './codec/nlmsg.js';
import {
  DumpInterruptedError,
  HandleClosedError,
  InvalidArgumentError,
  LinkNotFoundError,
  NetlinkError,
  NetnsNotFoundError,
} from './errors.js';
import { AddressApi } from './address.js';
import { subscribeEvents, type NetlinkEvent, type SubscribeInit } from './events.js';
import { IFINFOMSG_LEN, LinkApi, encodeLinkGet } from './link.js';
import { NeighApi } from './neigh.js';
import { NexthopApi } from './nexthop.js';
import { RouteApi } from './route.js';
import { RuleApi } from './rule.js';
import { Sysctl } from './sysctl.js';
import { native, nativeError, type NativeNetlinkSocket, type NativeOnData } from './native.js';
import { netnsPath, type NetnsRef } from './netns.js';

export { netnsPath, validateNetnsName, type NetnsRef } from './netns.js';
import type { BatchItemResult, CallOptions, RtnlTransport } from './transport.js';

export const AF_NETLINK = 16;
export const SOCK_RAW = 3;
export const NETLINK_ROUTE = 0;
const SOL_SOCKET = 1;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
const SO_SNDBUFFORCE = 32;
const SO_RCVBUFFORCE = 33;
export const SOL_NETLINK = 270;
export const NETLINK_ADD_MEMBERSHIP = 1;
export const NETLINK_DROP_MEMBERSHIP = 2;
export const NETLINK_CAP_ACK = 10;
export const NETLINK_EXT_ACK = 11;
export const NETLINK_GET_STRICT_CHK = 12;

/** Default receive buffer: large enough for the ACKs of a full batch window and event bursts. */
export const DEFAULT_RCVBUF = 32 * 1024 * 1024;
const SNDBUF = 4 * 1024 * 1024;
/**
 * Messages and bytes per datagram in a batch (one contiguous buffer, one sendmsg). Larger windows measured no
 * faster; 1024 bounds how long one sendmsg holds the event loop (a few ms of kernel route work) and leaves
 * receive-buffer room for concurrent windows.
 */
const BATCH_MAX_MESSAGES = 1024;
const BATCH_MAX_BYTES = 1024 * 1024;
const DUMP_RETRIES = 8;
/** Receive-buffer cost budgeted per batch item (ACK or small reply skb truesize, rounded up). */
const ACK_TRUESIZE = 4096;

/** Options of `openNetlink`. */
export interface NetlinkInit {
  /** Namespace to open the socket in; default: the current one. */
  readonly netns?: NetnsRef;
  readonly signal?: AbortSignal;
  /** SO_RCVBUF(FORCE) in bytes; default 32 MiB (FORCE needs CAP_NET_ADMIN, else the plain limit applies). */
  readonly rcvbuf?: number;
}

/** Listener for multicast datagrams' messages (group = RTNLGRP_*), or for lost events (`overrun`). */
export interface MulticastListener {
  message(msg: NlMessage, group: number): void;
  overrun(): void;
}

const errnoNames = new Map<number, string>();
for (const [name, num] of Object.entries(osConstants.errno)) if (!errnoNames.has(num)) errnoNames.set(num, name);
// Aliases share a number on Linux: prefer the names the kernel and iproute2 print.
for (const name of ['EOPNOTSUPP', 'EAGAIN', 'EDEADLK']) {
  const num = (osConstants.errno as Record<string, number>)[name];
  if (num !== undefined) errnoNames.set(num, name);
}

/** 'EEXIST' for 17, … */
export function errnoCode(errno: number): string {
  return errnoNames.get(errno) ?? `ERRNO_${errno}`;
}

/** Decodes the payload of an NLMSG_ERROR (or a failed NLMSG_DONE) into its errno and extended ack. */
export function decodeNlError(msg: NlMessage): {
  errno: number;
  extack?: string;
  offset?: number;
  requestType?: number;
} {
  const p = msg.payload;
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const errno = p.length >= 4 ? -view.getInt32(0, true) | 0 : 0;
  const out: { errno: number; extack?: string; offset?: number; requestType?: number } = { errno };
  let tlvStart: number;
  if (msg.type === NLMSG_ERROR) {
    if (p.length >= 4 + NLMSG_HDRLEN) {
      out.requestType = view.getUint16(4 + 4, true);
      const origLen = view.getUint32(4, true);
      tlvStart = msg.flags & NLM_F_CAPPED ? 4 + NLMSG_HDRLEN : 4 + align4(origLen);
    } else tlvStart = p.length;
  } else tlvStart = 4;
  if (msg.flags & NLM_F_ACK_TLVS && tlvStart < p.length) {
    for (const a of attrs(p.subarray(tlvStart))) {
      if (a.type === NLMSGERR_ATTR_MSG) out.extack = readStr(a.value);
      else if (a.type === NLMSGERR_ATTR_OFFS) out.offset = readU32(a.value);
    }
  }
  return out;
}

function toNetlinkError(msg: NlMessage): NetlinkError {
  const d = decodeNlError(msg);
  return new NetlinkError({
    errno: d.errno,
    code: errnoCode(d.errno),
    extack: d.extack,
    offset: d.offset,
    requestType: d.requestType,
  });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

/** A request's 4-aligned length on the wire. @throws InvalidArgumentError when it is not a whole netlink header */
function requestLength(m: unknown, i: number): number {
  if (!(m instanceof Uint8Array) || m.length < NLMSG_HDRLEN)
    throw new InvalidArgumentError(
      `messages[${i}]`,
      m instanceof Uint8Array ? m.length : m,
      'shorter than a netlink header',
    );
  return align4(m.length);
}

/**
 * `msgs[from..to)` (checked, `bytes` = their 4-aligned total) copied once into one datagram, with each one's
 * length, NLM_F_REQUEST|NLM_F_ACK and consecutive seqs from `first` written in place.
 */
function packRequests(msgs: readonly Uint8Array[], from: number, to: number, bytes: number, first: number): Uint8Array {
  const wire = new Uint8Array(bytes);
  const view = new DataView(wire.buffer);
  let off = 0;
  for (let k = 0; k < to - from; k++) {
    const src = msgs[from + k] as Uint8Array;
    wire.set(src, off);
    view.setUint32(off, src.length, true);
    view.setUint16(off + 6, view.getUint16(off + 6, true) | NLM_F_REQUEST | NLM_F_ACK, true);
    view.setUint32(off + 8, (first + k) >>> 0, true);
    off += align4(src.length);
  }
  return wire;
}

/**
 * One datagram of requests in flight: items `first .. first + count - 1` by seq, results written straight
 * into `out[base + k]` (a hole = not settled yet); one promise per window, not per item.
 */
interface PendingWindow {
  kind: 'window';
  readonly first: number;
  readonly count: number;
  readonly base: number;
  readonly out: BatchItemResult[];
  /** Messages before an item's ACK (NLM_F_ECHO replies, the reply of a GET), by item; rare, so lazy. */
  replies: Map<number, NlMessage[]> | undefined;
  remaining: number;
  live: boolean;
  done: () => void;
}

interface PendingDump {
  kind: 'dump';
  messages: NlMessage[];
  interrupted: boolean;
  aborted: boolean;
  settle: (r: { ok: true; messages: NlMessage[]; interrupted: boolean } | { ok: false; error: Error }) => void;
}

type Pending = PendingWindow | PendingDump;

/** `replies` of an item that had none (shared; the type is readonly). */
const NO_REPLIES: readonly NlMessage[] = Object.freeze([]);

/**
 * An open rtnetlink socket in one namespace. The family APIs (`link`, `address`, `route`, `neigh`,
 * `rule`, `nexthop`) use it through `RtnlTransport`; `subscribe` watches changes; `close()` releases it.
 */
export class NetlinkHandle implements RtnlTransport {
  /** Namespace file path this handle lives in ('' = the namespace of the process). */
  readonly netnsPath: string;
  /** Whether the kernel accepted NETLINK_GET_STRICT_CHK (dump requests are filtered strictly). */
  readonly strictDump: boolean;
  /** Netlink port id of the socket. */
  readonly portid: number;

  readonly #sock: NativeNetlinkSocket;
  /** Dumps, and windows of one request, by seq. */
  readonly #pending = new Map<number, Pending>();
  /** Windows of more than one request (few at a time: one per running `batch()`). */
  readonly #windows: PendingWindow[] = [];
  #refd = false;
  readonly #listeners = new Set<MulticastListener>();
  #seq: number;
  readonly #batchMax: number;
  readonly #batchBytes: number;
  #closed = false;
  #dumpBusy = false;
  readonly #dumpQueue: Array<() => void> = [];

  /**
   * @internal use `openNetlink()`. `socket` replaces the addon's socket (tests drive the handle with a
   * scripted kernel).
   */
  constructor(
    fd: number,
    netnsPath: string,
    rcvbuf: number,
    socket?: (fd: number, onData: NativeOnData) => NativeNetlinkSocket,
  ) {
    this.netnsPath = netnsPath;
    this.#seq = (Math.floor(Math.random() * 0x7fffffff) | 1) >>> 0;
    const onData: NativeOnData = (datagrams, groups, errno) => this.#onData(datagrams, groups, errno);
    try {
      this.#sock = socket ? socket(fd, onData) : new (native().NetlinkSocket)(fd, onData);
    } catch (e) {
      if ((e as { name?: string }).name === 'NativeAddonError') throw e;
      throw nativeError(e, 'netlink socket');
    }
    const s = this.#sock;
    // The FORCE variants need CAP_NET_ADMIN; without it, fall back to the capped ones.
    if (!s.setOption(SOL_SOCKET, SO_RCVBUFFORCE, rcvbuf, true)) s.setOption(SOL_SOCKET, SO_RCVBUF, rcvbuf, true);
    if (!s.setOption(SOL_SOCKET, SO_SNDBUFFORCE, SNDBUF, true)) s.setOption(SOL_SOCKET, SO_SNDBUF, SNDBUF, true);
    s.setOption(SOL_NETLINK, NETLINK_EXT_ACK, 1, true);
    s.setOption(SOL_NETLINK, NETLINK_CAP_ACK, 1, true);
    this.strictDump = s.setOption(SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1, true);
    // Every ACK of a datagram is queued before we read any: keep a batch's ACKs well inside the receive
    // buffer the kernel really granted (an ACK or a small reply costs up to ~4 KiB of it), or the kernel
    // would drop some.
    const granted = s.getOption(SOL_SOCKET, SO_RCVBUF);
    this.#batchMax = Math.max(16, Math.min(BATCH_MAX_MESSAGES, Math.floor(granted / 2 / ACK_TRUESIZE)));
    // One datagram must fit the send buffer (netlink refuses len > sndbuf - 32 with EMSGSIZE).
    this.#batchBytes = Math.max(
      64 * 1024,
      Math.min(BATCH_MAX_BYTES, Math.floor(s.getOption(SOL_SOCKET, SO_SNDBUF) / 2)),
    );
    this.portid = s.portid();
  }

  #link: LinkApi | undefined;
  #address: AddressApi | undefined;
  #route: RouteApi | undefined;
  #neigh: NeighApi | undefined;
  #rule: RuleApi | undefined;
  #nexthop: NexthopApi | undefined;
  #sysctl: Sysctl | undefined;

  /** Links of this handle's namespace. */
  get link(): LinkApi {
    return (this.#link ??= new LinkApi(this, { netnsPath: this.netnsPath }));
  }
  /** Addresses of this handle's namespace. */
  get address(): AddressApi {
    return (this.#address ??= new AddressApi(this));
  }
  /** Routes of this handle's namespace. */
  get route(): RouteApi {
    return (this.#route ??= new RouteApi(this));
  }
  /** Neighbours and FDB entries of this handle's namespace. */
  get neigh(): NeighApi {
    return (this.#neigh ??= new NeighApi(this));
  }
  /** Policy routing rules of this handle's namespace. */
  get rule(): RuleApi {
    return (this.#rule ??= new RuleApi(this));
  }
  /** Nexthop objects and groups of this handle's namespace. */
  get nexthop(): NexthopApi {
    return (this.#nexthop ??= new NexthopApi(this));
  }
  /** Network sysctls of this handle's namespace. */
  get sysctl(): Sysctl {
    return (this.#sysctl ??= new Sysctl(this.netnsPath ? { netns: { path: this.netnsPath } } : {}));
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** `n` consecutive sequence numbers (never 0, never wrapping inside the range); returns the first. */
  #takeSeqs(n: number): number {
    let first = (this.#seq + 1) >>> 0;
    if (first === 0 || first + n - 1 > 0xffffffff) first = 1;
    this.#seq = first + n - 1;
    return first;
  }

  #updateRef(): void {
    if (this.#closed) return;
    const want = this.#pending.size > 0 || this.#windows.length > 0 || this.#listeners.size > 0;
    if (want !== this.#refd) {
      this.#refd = want;
      this.#sock.ref(want);
    }
  }

  /** The window holding `seq`, if any. */
  #windowOf(seq: number): PendingWindow | undefined {
    const p = this.#pending.get(seq);
    if (p) return p.kind === 'window' ? p : undefined;
    const ws = this.#windows;
    for (let i = 0; i < ws.length; i++) {
      const w = ws[i] as PendingWindow;
      if ((seq - w.first) >>> 0 < w.count) return w;
    }
    return undefined;
  }

  #settleItem(w: PendingWindow, k: number, r: BatchItemResult): void {
    w.out[w.base + k] = r;
    if (--w.remaining === 0) this.#finishWindow(w);
  }

  /** Settles every item of `w` not settled yet with `error`, then the window. */
  #failWindow(w: PendingWindow, error: Error): void {
    if (!w.live) return;
    for (let k = 0; k < w.count; k++) {
      if (w.out[w.base + k] === undefined) w.out[w.base + k] = { ok: false, index: w.base + k, error };
    }
    w.remaining = 0;
    this.#finishWindow(w);
  }

  #finishWindow(w: PendingWindow): void {
    if (!w.live) return;
    w.live = false;
    if (w.count === 1) this.#pending.delete(w.first);
    else {
      const i = this.#windows.indexOf(w);
      if (i >= 0) this.#windows.splice(i, 1);
    }
    this.#updateRef();
    w.done();
  }

  #onData(datagrams: Buffer[] | null, groups: number[] | null, errno?: number): void {
    if (datagrams === null || groups === null) {
      // ENOBUFS: the kernel dropped messages for us (events, or ACKs beyond the receive buffer).
      // EMSGSIZE: the addon lost a datagram larger than its receive buffer (which has grown since).
      if (errno === osConstants.errno.ENOBUFS || errno === osConstants.errno.EMSGSIZE) {
        for (const l of this.#listeners) l.overrun();
        this.#failLostReplies();
      }
      if (errno === osConstants.errno.EMSGSIZE) {
        // A dump may have lost part of its answer: run it again.
        for (const p of this.#pending.values()) if (p.kind === 'dump') p.interrupted = true;
      }
      return;
    }
    for (let i = 0; i < datagrams.length; i++) {
      const data = datagrams[i];
      if (!data) continue;
      const group = groups[i] ?? 0;
      if (group !== 0) {
        const { messages } = parseMessages(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        for (const m of messages) for (const l of this.#listeners) l.message(m, group);
        continue;
      }
      this.#onUnicast(data);
    }
  }

  /**
   * Unicast messages (the addon packs many datagrams into one buffer). A successful ACK of a batch item is
   * settled from the header alone, without decoding it into an NlMessage; everything else is dispatched.
   */
  #onUnicast(data: Uint8Array): void {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const end = data.length;
    let off = 0;
    while (off + NLMSG_HDRLEN <= end) {
      const len = view.getUint32(off, true);
      if (len < NLMSG_HDRLEN || off + len > end) return; // truncated: nothing after it can be framed
      const type = view.getUint16(off + 4, true);
      const seq = view.getUint32(off + 8, true);
      if (type === NLMSG_ERROR && len >= NLMSG_HDRLEN + 4 && view.getInt32(off + NLMSG_HDRLEN, true) === 0) {
        const w = this.#windowOf(seq);
        if (w) {
          const k = (seq - w.first) >>> 0;
          if (w.out[w.base + k] === undefined) {
            this.#settleItem(w, k, { ok: true, index: w.base + k, replies: w.replies?.get(k) ?? NO_REPLIES });
          }
          off += align4(len);
          continue;
        }
      }
      this.#dispatch({
        type,
        flags: view.getUint16(off + 6, true),
        seq,
        pid: view.getUint32(off + 12, true),
        payload: data.subarray(off + NLMSG_HDRLEN, off + len),
      });
      off += align4(len);
    }
  }

  #dispatch(m: NlMessage): void {
    const p = this.#pending.get(m.seq) ?? this.#windowOf(m.seq);
    if (!p) return; // a late reply to a call that was aborted
    if (m.type === NLMSG_NOOP || m.type === NLMSG_OVERRUN) return;
    if (p.kind === 'window') {
      const k = (m.seq - p.first) >>> 0;
      if (p.out[p.base + k] !== undefined) return; // already settled (aborted, lost)
      if (m.type === NLMSG_ERROR) {
        const d = decodeNlError(m);
        const index = p.base + k;
        this.#settleItem(
          p,
          k,
          d.errno === 0
            ? { ok: true, index, replies: p.replies?.get(k) ?? NO_REPLIES }
            : { ok: false, index, error: toNetlinkError(m) },
        );
      } else if (m.type !== NLMSG_DONE) {
        const replies = (p.replies ??= new Map());
        const list = replies.get(k);
        if (list) list.push(m);
        else replies.set(k, [m]);
      }
      return;
    }
    if (m.flags & NLM_F_DUMP_INTR) p.interrupted = true;
    if (m.type === NLMSG_DONE || m.type === NLMSG_ERROR) {
      this.#pending.delete(m.seq);
      this.#updateRef();
      const d = decodeNlError(m);
      if (d.errno !== 0) p.settle({ ok: false, error: toNetlinkError(m) });
      else if (m.type === NLMSG_DONE) p.settle({ ok: true, messages: p.messages, interrupted: p.interrupted });
      // An ACK (errno 0) before DONE can only come if the caller set NLM_F_ACK: keep waiting for DONE.
      else this.#pending.set(m.seq, p);
      return;
    }
    if (!p.aborted) p.messages.push(m);
  }

  /**
   * After an overrun some requests may have lost their ACK and would wait forever. A barrier (NLMSG_NOOP
   * with NLM_F_ACK) is acknowledged after everything queued before it, so any request that is still
   * pending once the barrier's ACK is in lost its reply: it rejects with NetlinkError 'ENOBUFS' (the
   * kernel may or may not have applied it). Dumps are flow-controlled by the kernel and never lose data.
   */
  #failLostReplies(): void {
    const suspects: PendingWindow[] = [...this.#windows];
    for (const p of this.#pending.values()) if (p.kind === 'window') suspects.push(p);
    if (suspects.length === 0 || this.#closed) return;
    const barrier = new MessageBuilder(NLMSG_NOOP, 0, 0).finish();
    const out: BatchItemResult[] = [];
    void this.#sendWindow([barrier], 0, 1, align4(barrier.length), undefined, out).then(() => {
      if (!out[0]?.ok) return; // the barrier itself was lost: the next overrun report starts another one
      const errno = osConstants.errno.ENOBUFS;
      for (const w of suspects) {
        this.#failWindow(w, new NetlinkError({ errno, code: 'ENOBUFS', extack: 'reply lost: receive buffer overrun' }));
      }
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new HandleClosedError();
  }

  /** Sends up to 1024 messages in one datagram; throws the sendmsg error. */
  #send(msgs: readonly Uint8Array[]): void {
    this.#assertOpen();
    try {
      this.#sock.send(msgs);
    } catch (e) {
      const err = e as { errno?: number; code?: string };
      const errno = typeof err.errno === 'number' ? err.errno : osConstants.errno.EIO;
      throw new NetlinkError({ errno, code: errnoCode(errno) }, { cause: e });
    }
  }

  /** {@inheritDoc RtnlTransport.request} */
  async request(msg: Uint8Array, opts: CallOptions = {}): Promise<NlMessage[]> {
    this.#assertOpen();
    opts.signal?.throwIfAborted();
    if (msg.length < NLMSG_HDRLEN)
      throw new InvalidArgumentError('messages[0]', msg.length, 'shorter than a netlink header');
    const out: BatchItemResult[] = [];
    await this.#sendWindow([msg], 0, 1, align4(msg.length), opts.signal, out);
    const r = out[0];
    if (!r) throw new HandleClosedError();
    if (!r.ok) throw r.error;
    return r.replies === NO_REPLIES ? [] : (r.replies as NlMessage[]);
  }

  /** {@inheritDoc RtnlTransport.batch} */
  async batch(msgs: readonly Uint8Array[], opts: CallOptions = {}): Promise<BatchItemResult[]> {
    this.#assertOpen();
    opts.signal?.throwIfAborted();
    const out = new Array<BatchItemResult>(msgs.length);
    let i = 0;
    while (i < msgs.length) {
      let bytes = 0;
      let j = i;
      while (j < msgs.length && j - i < this.#batchMax) {
        const len = requestLength(msgs[j], j);
        if (j > i && bytes + len > this.#batchBytes) break;
        bytes += len;
        j++;
      }
      await this.#sendWindow(msgs, i, j, bytes, opts.signal, out);
      i = j;
    }
    return out;
  }

  /**
   * Sends `msgs[from..to)` (validated, `bytes` = their 4-aligned total) as one datagram: copied once into
   * one buffer with length, NLM_F_REQUEST|NLM_F_ACK and consecutive seqs written in place, one sendmsg.
   * Resolves when every item has a result in `out[from..to)`: its ACK, the kernel's error, the send error,
   * the abort reason, HandleClosedError, or ENOBUFS when the kernel dropped its ACK.
   */
  #sendWindow(
    msgs: readonly Uint8Array[],
    from: number,
    to: number,
    bytes: number,
    signal: AbortSignal | undefined,
    out: BatchItemResult[],
  ): Promise<void> {
    this.#assertOpen();
    signal?.throwIfAborted();
    const count = to - from;
    const first = this.#takeSeqs(count);
    const wire = packRequests(msgs, from, to, bytes, first);
    let done!: () => void;
    const settled = new Promise<void>((resolve) => (done = resolve));
    const w: PendingWindow = {
      kind: 'window',
      first,
      count,
      base: from,
      out,
      replies: undefined,
      remaining: count,
      live: true,
      done,
    };
    if (count === 1) this.#pending.set(first, w);
    else this.#windows.push(w);
    this.#updateRef();
    try {
      this.#send([wire]);
    } catch (e) {
      this.#failWindow(w, e as Error);
      return settled;
    }
    if (!signal) return settled;
    const onAbort = (): void => this.#failWindow(w, abortReason(signal) as Error);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    return settled.finally(() => signal.removeEventListener('abort', onAbort));
  }

  /** {@inheritDoc RtnlTransport.dump} */
  dump(msg: Uint8Array, opts: CallOptions = {}): AsyncIterable<NlMessage> {
    const run = async (): Promise<NlMessage[]> => {
      for (let attempt = 1; ; attempt++) {
        const r = await this.#dumpOnce(msg, opts.signal);
        if (!r.interrupted) return r.messages;
        if (attempt >= DUMP_RETRIES) throw new DumpInterruptedError(attempt);
      }
    };
    return {
      async *[Symbol.asyncIterator]() {
        yield* await run();
      },
    };
  }

  /** Runs one dump to completion and returns every message (the kernel allows one dump per socket at a time). */
  async #dumpOnce(
    msg: Uint8Array,
    signal: AbortSignal | undefined,
  ): Promise<{ messages: NlMessage[]; interrupted: boolean }> {
    this.#assertOpen();
    signal?.throwIfAborted();
    if (msg.length < NLMSG_HDRLEN)
      throw new InvalidArgumentError('message', msg.length, 'shorter than a netlink header');
    await this.#acquireDump(signal);
    let releaseOnSettle = true;
    try {
      this.#assertOpen();
      signal?.throwIfAborted();
      const m = msg.slice();
      const view = new DataView(m.buffer, m.byteOffset, m.byteLength);
      view.setUint32(0, m.length, true);
      view.setUint16(6, view.getUint16(6, true) | NLM_F_REQUEST | NLM_F_DUMP, true);
      const seq = this.#takeSeqs(1);
      setSeq(m, seq);
      let pending!: PendingDump;
      const done = new Promise<{ messages: NlMessage[]; interrupted: boolean }>((resolve, reject) => {
        pending = {
          kind: 'dump',
          messages: [],
          interrupted: false,
          aborted: false,
          settle: (r) => (r.ok ? resolve({ messages: r.messages, interrupted: r.interrupted }) : reject(r.error)),
        };
      });
      this.#pending.set(seq, pending);
      this.#updateRef();
      this.#send([m]);
      // The dump slot is released when the kernel finishes (DONE), even if the caller gave up earlier.
      releaseOnSettle = false;
      const finished = done.finally(() => this.#releaseDump());
      if (!signal) return await finished;
      return await new Promise((resolve, reject) => {
        const onAbort = (): void => {
          pending.aborted = true;
          pending.messages = [];
          reject(abortReason(signal));
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
        finished.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      });
    } catch (e) {
      if (releaseOnSettle) this.#releaseDump();
      throw e;
    }
  }

  #acquireDump(signal: AbortSignal | undefined): Promise<void> {
    if (!this.#dumpBusy) {
      this.#dumpBusy = true;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const go = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const i = this.#dumpQueue.indexOf(go);
        if (i >= 0) this.#dumpQueue.splice(i, 1);
        reject(abortReason(signal as AbortSignal));
      };
      this.#dumpQueue.push(go);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #releaseDump(): void {
    const next = this.#dumpQueue.shift();
    if (next) next();
    else this.#dumpBusy = false;
  }

  /** {@inheritDoc RtnlTransport.linkIndex} */
  async linkIndex(name: string, opts: CallOptions = {}): Promise<number> {
    if (typeof name !== 'string' || name.length === 0 || name.length > 15) {
      throw new InvalidArgumentError('name', name, 'must be 1..15 bytes');
    }
    try {
      const replies = await this.request(encodeLinkGet(name), opts);
      const r = replies[0];
      if (!r || r.payload.length < IFINFOMSG_LEN) throw new LinkNotFoundError(name);
      return new DataView(r.payload.buffer, r.payload.byteOffset).getInt32(4, true);
    } catch (e) {
      if ((e as { name?: string }).name === 'NetlinkError' && (e as NetlinkError).code === 'ENODEV') {
        throw new LinkNotFoundError(name, { cause: e });
      }
      throw e;
    }
  }

  /**
   * Watches this namespace: an async iterable that lists what exists (`existing: true`, then `sync`), then
   * yields changes, and resyncs by itself (`resync` … `sync`) when the kernel drops notifications. Runs on
   * its own socket, closed when iteration stops.
   * @throws InvalidArgumentError when nothing is selected.
   */
  subscribe(init: SubscribeInit): AsyncIterable<NetlinkEvent> {
    this.#assertOpen();
    return subscribeEvents(
      (rcvbuf) =>
        openNetlink({
          ...(this.netnsPath && { netns: { path: this.netnsPath } }),
          ...(rcvbuf !== undefined && { rcvbuf }),
        }),
      init,
    );
  }

  /** Joins a multicast group (RTNLGRP_*); messages go to listeners added with `addListener`. */
  joinGroup(group: number): void {
    this.#assertOpen();
    this.#sock.setOption(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group);
  }

  /** Leaves a multicast group. */
  leaveGroup(group: number): void {
    this.#assertOpen();
    this.#sock.setOption(SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, group);
  }

  /** Adds a multicast listener; returns a function that removes it. */
  addListener(l: MulticastListener): () => void {
    this.#listeners.add(l);
    this.#updateRef();
    return () => {
      this.#listeners.delete(l);
      this.#updateRef();
    };
  }

  /** Closes the socket; pending calls reject with HandleClosedError. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const pending = [...this.#pending.values(), ...this.#windows];
    this.#listeners.clear();
    this.#sock.close();
    for (const p of pending) {
      if (p.kind === 'dump') p.settle({ ok: false, error: new HandleClosedError() });
      else this.#failWindow(p, new HandleClosedError());
    }
    this.#pending.clear();
    this.#windows.length = 0;
    const queued = this.#dumpQueue.splice(0);
    for (const go of queued) go();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Most requests `batchIn` takes at once (their answers are read into one buffer before any is looked at). */
export const BATCH_IN_MAX_MESSAGES = 256;
const BATCH_IN_TIMEOUT_MS = 10_000;

/**
 * Runs a few requests in `netns` (a name under /run/netns, `{ path }`, or the current namespace) without a
 * handle: on the addon's namespace thread, a throwaway socket is made there, the requests go in one datagram,
 * their answers are read and the socket is closed; nothing is kept and nothing polls on the event loop. For
 * one-off work in a namespace that would otherwise open a handle, use it and close it (a pod's netns): about
 * half the CPU of that, and none of the socket's system calls on the calling thread. Requests are built as for
 * `batch` (no seq; NLM_F_REQUEST|NLM_F_ACK are set here) and must not be dumps.
 * @returns one result per request, as `NetlinkHandle.batch`: its replies (e.g. NLM_F_ECHO) or the kernel's refusal.
 * @throws InvalidArgumentError (no requests, more than BATCH_IN_MAX_MESSAGES, one shorter than a header, a
 *   dump); NetnsNotFoundError; NativeAddonError when the exchange itself fails (code ETIMEDOUT when the kernel
 *   did not answer every request within 10 s); the signal's reason when aborted before it started.
 */
export async function batchIn(
  netns: NetnsRef | undefined,
  msgs: readonly Uint8Array[],
  opts: CallOptions = {},
): Promise<BatchItemResult[]> {
  opts.signal?.throwIfAborted();
  const path = netnsPath(netns);
  if (!Array.isArray(msgs) || msgs.length === 0 || msgs.length > BATCH_IN_MAX_MESSAGES)
    throw new InvalidArgumentError(
      'messages',
      Array.isArray(msgs) ? msgs.length : msgs,
      `must be 1..${BATCH_IN_MAX_MESSAGES} requests`,
    );
  const list: readonly Uint8Array[] = msgs;
  let bytes = 0;
  list.forEach((m, i) => {
    bytes += requestLength(m, i);
    // NLM_F_ROOT|NLM_F_MATCH mean a dump on a GET only (rtnetlink GET types are 4n + 2); on a NEW they are
    // NLM_F_REPLACE|NLM_F_EXCL
    const h = new DataView(m.buffer, m.byteOffset, m.byteLength);
    const type = h.getUint16(4, true);
    if (type >= 16 && (type & 3) === 2 && h.getUint16(6, true) & NLM_F_DUMP)
      throw new InvalidArgumentError(`messages[${i}]`, 'NLM_F_DUMP', 'a dump needs a handle (dump())');
  });
  const wire = packRequests(list, 0, list.length, bytes, 1); // a socket of its own: seq k + 1 is request k
  let answer: Uint8Array;
  try {
    answer = await native().exchangeIn(path, wire, msgs.length, BATCH_IN_TIMEOUT_MS);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT' && path !== '')
      throw new NetnsNotFoundError(typeof netns === 'string' ? netns : path, { cause: e });
    throw nativeError(e, 'netlink exchange');
  }
  const out = new Array<BatchItemResult>(msgs.length);
  const replies = new Map<number, NlMessage[]>();
  for (const m of parseMessages(answer).messages) {
    const index = m.seq - 1;
    if (index < 0 || index >= msgs.length || out[index] !== undefined) continue;
    if (m.type === NLMSG_ERROR) {
      const d = decodeNlError(m);
      out[index] =
        d.errno === 0
          ? { ok: true, index, replies: replies.get(index) ?? NO_REPLIES }
          : { ok: false, index, error: toNetlinkError(m) };
    } else if (m.type !== NLMSG_DONE && m.type !== NLMSG_NOOP) {
      const list = replies.get(index);
      if (list) list.push(m);
      else replies.set(index, [m]);
    }
  }
  for (let i = 0; i < out.length; i++)
    out[i] ??= {
      ok: false,
      index: i,
      error: new NetlinkError({ errno: 0, code: 'EPROTO', extack: 'no answer to this request' }),
    };
  return out;
}

/**
 * Opens an rtnetlink handle in `init.netns` (a name under /run/netns, `{ path }`, or the current namespace).
 * The socket of another namespace is created on a helper thread that enters it; the process never moves.
 * @throws NetnsNotFoundError when the namespace does not exist; NativeAddonError when the addon is missing
 *   or the socket cannot be created.
 */
export async function openNetlink(init: NetlinkInit = {}): Promise<NetlinkHandle> {
  init.signal?.throwIfAborted();
  const path = netnsPath(init.netns);
  const rcvbuf = init.rcvbuf ?? DEFAULT_RCVBUF;
  if (!Number.isInteger(rcvbuf) || rcvbuf < 4096 || rcvbuf > 0x7fffffff) {
    throw new InvalidArgumentError('rcvbuf', rcvbuf, 'must be an integer 4096..2^31-1');
  }
  const addon = native();
  let fd: number;
  try {
    fd = await addon.socketIn(path, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT' && path !== '') {
      throw new NetnsNotFoundError(typeof init.netns === 'string' ? init.netns : path, { cause: e });
    }
    throw nativeError(e, 'open netlink socket');
  }
  if (init.signal?.aborted) {
    addon.closeFd(fd);
    throw abortReason(init.signal);
  }
  return new NetlinkHandle(fd, path, rcvbuf);
}
