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
import { LinkApi } from './link.js';
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

const RTM_GETLINK = 18;
const IFLA_IFNAME = 3;
const IFINFOMSG_LEN = 16;

/** Default receive buffer: large enough for the ACKs of a full batch window and event bursts. */
export const DEFAULT_RCVBUF = 32 * 1024 * 1024;
const SNDBUF = 4 * 1024 * 1024;
/** Messages per sendmsg (IOV_MAX) and bytes per datagram in a batch. */
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
export function decodeNlError(msg: NlMessage): { errno: number; extack?: string; offset?: number; requestType?: number } {
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
  return new NetlinkError({ errno: d.errno, code: errnoCode(d.errno), extack: d.extack, offset: d.offset, requestType: d.requestType });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

interface PendingRequest {
  kind: 'request';
  replies: NlMessage[];
  settle: (r: { ok: true; replies: NlMessage[] } | { ok: false; error: Error }) => void;
}

interface PendingDump {
  kind: 'dump';
  messages: NlMessage[];
  interrupted: boolean;
  aborted: boolean;
  settle: (r: { ok: true; messages: NlMessage[]; interrupted: boolean } | { ok: false; error: Error }) => void;
}

type Pending = PendingRequest | PendingDump;

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
  readonly #pending = new Map<number, Pending>();
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
  constructor(fd: number, netnsPath: string, rcvbuf: number, socket?: (fd: number, onData: NativeOnData) => NativeNetlinkSocket) {
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
    s.setOption(SOL_SOCKET, SO_RCVBUFFORCE, rcvbuf, true) || s.setOption(SOL_SOCKET, SO_RCVBUF, rcvbuf, true);
    s.setOption(SOL_SOCKET, SO_SNDBUFFORCE, SNDBUF, true) || s.setOption(SOL_SOCKET, SO_SNDBUF, SNDBUF, true);
    s.setOption(SOL_NETLINK, NETLINK_EXT_ACK, 1, true);
    s.setOption(SOL_NETLINK, NETLINK_CAP_ACK, 1, true);
    this.strictDump = s.setOption(SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1, true);
    // Every ACK of a datagram is queued before we read any: keep a batch's ACKs well inside the receive
    // buffer the kernel really granted (an ACK or a small reply costs up to ~4 KiB of it), or the kernel
    // would drop some.
    const granted = s.getOption(SOL_SOCKET, SO_RCVBUF);
    this.#batchMax = Math.max(16, Math.min(BATCH_MAX_MESSAGES, Math.floor(granted / 2 / ACK_TRUESIZE)));
    // One datagram must fit the send buffer (netlink refuses len > sndbuf - 32 with EMSGSIZE).
    this.#batchBytes = Math.max(64 * 1024, Math.min(BATCH_MAX_BYTES, Math.floor(s.getOption(SOL_SOCKET, SO_SNDBUF) / 2)));
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

  #nextSeq(): number {
    this.#seq = (this.#seq + 1) >>> 0;
    if (this.#seq === 0) this.#seq = 1;
    return this.#seq;
  }

  #updateRef(): void {
    if (!this.#closed) this.#sock.ref(this.#pending.size > 0 || this.#listeners.size > 0);
  }

  #onData(datagrams: Buffer[] | null, groups: number[] | null, errno?: number): void {
    if (datagrams === null || groups === null) {
      // ENOBUFS: the kernel dropped messages for us (events, or ACKs beyond the receive buffer).
      if (errno === osConstants.errno.ENOBUFS) {
        for (const l of this.#listeners) l.overrun();
        this.#failLostReplies();
      }
      return;
    }
    for (let i = 0; i < datagrams.length; i++) {
      const data = datagrams[i];
      if (!data) continue;
      const group = groups[i] ?? 0;
      const { messages } = parseMessages(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      if (group !== 0) {
        for (const m of messages) for (const l of this.#listeners) l.message(m, group);
        continue;
      }
      for (const m of messages) this.#dispatch(m);
    }
  }

  #dispatch(m: NlMessage): void {
    const p = this.#pending.get(m.seq);
    if (!p) return; // a late reply to a call that was aborted
    if (m.type === NLMSG_NOOP || m.type === NLMSG_OVERRUN) return;
    if (p.kind === 'request') {
      if (m.type === NLMSG_ERROR) {
        this.#pending.delete(m.seq);
        this.#updateRef();
        const d = decodeNlError(m);
        if (d.errno === 0) p.settle({ ok: true, replies: p.replies });
        else p.settle({ ok: false, error: toNetlinkError(m) });
      } else if (m.type !== NLMSG_DONE) {
        p.replies.push(m);
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
    const suspects = [...this.#pending].filter(([, p]) => p.kind === 'request').map(([seq]) => seq);
    if (suspects.length === 0 || this.#closed) return;
    const barrier = new MessageBuilder(NLMSG_NOOP, 0, 0).finish();
    void this.#batchChunk([barrier], undefined, 0).then(([r]) => {
      if (!r?.ok) return; // the barrier itself was lost: the next overrun report starts another one
      const errno = osConstants.errno.ENOBUFS;
      for (const seq of suspects) {
        const p = this.#pending.get(seq);
        if (p?.kind !== 'request') continue;
        this.#pending.delete(seq);
        p.settle({ ok: false, error: new NetlinkError({ errno, code: 'ENOBUFS', extack: 'reply lost: receive buffer overrun' }) });
      }
      this.#updateRef();
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
    const [r] = await this.#batchChunk([msg], opts.signal, 0);
    if (!r) throw new HandleClosedError();
    if (!r.ok) throw r.error;
    return r.replies as NlMessage[];
  }

  /** {@inheritDoc RtnlTransport.batch} */
  async batch(msgs: readonly Uint8Array[], opts: CallOptions = {}): Promise<BatchItemResult[]> {
    this.#assertOpen();
    opts.signal?.throwIfAborted();
    const out: BatchItemResult[] = [];
    let i = 0;
    while (i < msgs.length) {
      let bytes = 0;
      let j = i;
      while (j < msgs.length && j - i < this.#batchMax) {
        const len = (msgs[j] as Uint8Array).length;
        if (j > i && bytes + len > this.#batchBytes) break;
        bytes += len;
        j++;
      }
      const results = await this.#batchChunk(msgs.slice(i, j), opts.signal, i);
      for (const r of results) out.push(r);
      i = j;
    }
    return out;
  }

  #batchChunk(chunk: readonly Uint8Array[], signal: AbortSignal | undefined, base: number): Promise<BatchItemResult[]> {
    this.#assertOpen();
    signal?.throwIfAborted();
    const seqs: number[] = [];
    const wire: Uint8Array[] = [];
    const results: Promise<BatchItemResult>[] = [];
    for (let k = 0; k < chunk.length; k++) {
      const src = chunk[k] as Uint8Array;
      if (src.length < NLMSG_HDRLEN) throw new InvalidArgumentError(`messages[${base + k}]`, src.length, 'shorter than a netlink header');
      const m = src.slice();
      const view = new DataView(m.buffer, m.byteOffset, m.byteLength);
      view.setUint32(0, m.length, true);
      view.setUint16(6, view.getUint16(6, true) | NLM_F_REQUEST | NLM_F_ACK, true);
      const seq = this.#nextSeq();
      setSeq(m, seq);
      seqs.push(seq);
      wire.push(m);
      const index = base + k;
      results.push(
        new Promise<BatchItemResult>((resolve) => {
          this.#pending.set(seq, {
            kind: 'request',
            replies: [],
            settle: (r) => resolve(r.ok ? { ok: true, index, replies: r.replies } : { ok: false, index, error: r.error }),
          });
        }),
      );
    }
    this.#updateRef();
    const onAbort = (): void => {
      for (const seq of seqs) {
        const p = this.#pending.get(seq);
        if (p) {
          this.#pending.delete(seq);
          p.settle({ ok: false, error: abortReason(signal as AbortSignal) as Error });
        }
      }
      this.#updateRef();
    };
    try {
      this.#send(wire);
    } catch (e) {
      for (const seq of seqs) {
        const p = this.#pending.get(seq);
        this.#pending.delete(seq);
        p?.settle({ ok: false, error: e as Error });
      }
      this.#updateRef();
    }
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    return Promise.all(results).finally(() => signal?.removeEventListener('abort', onAbort));
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
  async #dumpOnce(msg: Uint8Array, signal: AbortSignal | undefined): Promise<{ messages: NlMessage[]; interrupted: boolean }> {
    this.#assertOpen();
    signal?.throwIfAborted();
    if (msg.length < NLMSG_HDRLEN) throw new InvalidArgumentError('message', msg.length, 'shorter than a netlink header');
    await this.#acquireDump(signal);
    let releaseOnSettle = true;
    try {
      this.#assertOpen();
      signal?.throwIfAborted();
      const m = msg.slice();
      const view = new DataView(m.buffer, m.byteOffset, m.byteLength);
      view.setUint32(0, m.length, true);
      view.setUint16(6, view.getUint16(6, true) | NLM_F_REQUEST | NLM_F_DUMP, true);
      const seq = this.#nextSeq();
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
    const b = new MessageBuilder(RTM_GETLINK, 0, IFINFOMSG_LEN);
    b.str(IFLA_IFNAME, name);
    try {
      const replies = await this.request(b.finish(), opts);
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
      (rcvbuf) => openNetlink({ ...(this.netnsPath && { netns: { path: this.netnsPath } }), ...(rcvbuf !== undefined && { rcvbuf }) }),
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
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#listeners.clear();
    this.#sock.close();
    for (const p of pending) p.settle({ ok: false, error: new HandleClosedError() });
    const queued = this.#dumpQueue.splice(0);
    for (const go of queued) go();
  }

  [Symbol.dispose](): void {
    this.close();
  }
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
