/**
 * Netlink message framing and attribute (TLV) encoding, shared by every rtnetlink family module.
 * Pure TypeScript, host byte order (little endian on every platform this runs on), no kernel needed.
 */

export const NLMSG_HDRLEN = 16;
export const NLA_HDRLEN = 4;
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_ECHO = 0x08;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP_FILTERED = 0x20;
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;
/** In an NLMSG_ERROR ack: the request was not echoed back. */
export const NLM_F_CAPPED = 0x100;
/** In an NLMSG_ERROR ack: extended-ack TLVs follow. */
export const NLM_F_ACK_TLVS = 0x200;

export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

/** Extended ack attribute types (NLMSGERR_ATTR_*). */
export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;

export const align4 = (n: number): number => (n + 3) & ~3;

/** One decoded netlink message. `payload` is a view of the bytes after the 16-byte header. */
export interface NlMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  readonly payload: Uint8Array;
}

/** One attribute: `type` without the NESTED/NET_BYTEORDER bits, `value` a view of its payload. */
export interface NlAttr {
  readonly type: number;
  readonly nested: boolean;
  readonly value: Uint8Array;
}

/**
 * Builds one netlink message: a fixed family header followed by attributes, nests included.
 * `finish()` writes the total length into the header and returns the exact bytes.
 */
export class MessageBuilder {
  private buf: Uint8Array;
  private view: DataView;
  private len: number;
  private readonly nests: number[] = [];

  constructor(type: number, flags: number, familyHeader: Uint8Array | number = 0, initialSize = 256) {
    const fixed = typeof familyHeader === 'number' ? familyHeader : familyHeader.length;
    this.buf = new Uint8Array(Math.max(initialSize, align4(NLMSG_HDRLEN + fixed) + 64));
    this.view = new DataView(this.buf.buffer);
    this.view.setUint16(4, type, true);
    this.view.setUint16(6, flags, true);
    this.len = NLMSG_HDRLEN;
    if (typeof familyHeader !== 'number') this.buf.set(familyHeader, this.len);
    this.len = align4(this.len + fixed);
  }

  /** The family header area (right after the netlink header), for in-place writes. */
  get family(): DataView {
    return new DataView(this.buf.buffer, this.buf.byteOffset + NLMSG_HDRLEN);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Appends an attribute with raw bytes. */
  attr(type: number, value: Uint8Array): this {
    const total = NLA_HDRLEN + value.length;
    this.reserve(align4(total));
    this.view.setUint16(this.len, total, true);
    this.view.setUint16(this.len + 2, type, true);
    this.buf.set(value, this.len + NLA_HDRLEN);
    this.buf.fill(0, this.len + total, this.len + align4(total));
    this.len += align4(total);
    return this;
  }

  u8(type: number, v: number): this {
    return this.attr(type, Uint8Array.of(v & 0xff));
  }
  u16(type: number, v: number): this {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, true);
    return this.attr(type, b);
  }
  /** u16 in network byte order (ports, VLAN protocols). */
  be16(type: number, v: number): this {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, false);
    return this.attr(type, b);
  }
  u32(type: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    return this.attr(type, b);
  }
  s32(type: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, true);
    return this.attr(type, b);
  }
  u64(type: number, v: bigint): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    return this.attr(type, b);
  }
  /** NUL-terminated string attribute. */
  str(type: number, s: string): this {
    const enc = new TextEncoder().encode(s);
    const b = new Uint8Array(enc.length + 1);
    b.set(enc);
    return this.attr(type, b);
  }
  flag(type: number): this {
    return this.attr(type, new Uint8Array(0));
  }

  /** Appends raw bytes (padded to 4), e.g. the struct ifinfomsg that opens a veth peer nest. */
  raw(value: Uint8Array): this {
    this.reserve(align4(value.length));
    this.buf.set(value, this.len);
    this.buf.fill(0, this.len + value.length, this.len + align4(value.length));
    this.len += align4(value.length);
    return this;
  }

  /** Opens a nested attribute; close it with `end()`. */
  nest(type: number): this {
    this.reserve(NLA_HDRLEN);
    this.nests.push(this.len);
    this.view.setUint16(this.len + 2, type | NLA_F_NESTED, true);
    this.len += NLA_HDRLEN;
    return this;
  }
  /** Opens a nested attribute without the NLA_F_NESTED bit (some families reject it). */
  nestPlain(type: number): this {
    this.reserve(NLA_HDRLEN);
    this.nests.push(this.len);
    this.view.setUint16(this.len + 2, type, true);
    this.len += NLA_HDRLEN;
    return this;
  }
  end(): this {
    const start = this.nests.pop();
    if (start === undefined) throw new Error('MessageBuilder.end() without nest()');
    this.view.setUint16(start, this.len - start, true);
    return this;
  }

  /** Sets the sequence number (also settable later on the bytes with `setSeq`). */
  seq(seq: number): this {
    this.view.setUint32(8, seq >>> 0, true);
    return this;
  }

  finish(): Uint8Array {
    if (this.nests.length) throw new Error('MessageBuilder.finish() with an open nest');
    this.view.setUint32(0, this.len, true);
    return this.buf.slice(0, this.len);
  }
}

/** Writes `seq` into an encoded message in place. */
export function setSeq(msg: Uint8Array, seq: number): void {
  new DataView(msg.buffer, msg.byteOffset, msg.byteLength).setUint32(8, seq >>> 0, true);
}

/**
 * Splits a datagram into netlink messages. Stops (without throwing) at a truncated trailing message and
 * reports it through `truncated`.
 */
export function parseMessages(data: Uint8Array): { messages: NlMessage[]; truncated: boolean } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const messages: NlMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= data.length) {
    const len = view.getUint32(off, true);
    if (len < NLMSG_HDRLEN || off + len > data.length) return { messages, truncated: true };
    messages.push({
      type: view.getUint16(off + 4, true),
      flags: view.getUint16(off + 6, true),
      seq: view.getUint32(off + 8, true),
      pid: view.getUint32(off + 12, true),
      payload: data.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return { messages, truncated: off < data.length && data.length - off >= NLMSG_HDRLEN };
}

/** Iterates attributes in `data` (e.g. a payload after its family header, or a nested attribute's value). */
export function* attrs(data: Uint8Array): Generator<NlAttr> {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let off = 0;
  while (off + NLA_HDRLEN <= data.length) {
    const len = view.getUint16(off, true);
    const rawType = view.getUint16(off + 2, true);
    if (len < NLA_HDRLEN || off + len > data.length) return;
    yield {
      type: rawType & NLA_TYPE_MASK,
      nested: (rawType & NLA_F_NESTED) !== 0,
      value: data.subarray(off + NLA_HDRLEN, off + len),
    };
    off += align4(len);
  }
}

/** Attributes of `data` by type (last one wins), for random access. */
export function attrMap(data: Uint8Array): Map<number, Uint8Array> {
  const m = new Map<number, Uint8Array>();
  for (const a of attrs(data)) m.set(a.type, a.value);
  return m;
}

const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
export const readU8 = (b: Uint8Array): number => b[0] ?? 0;
export const readU16 = (b: Uint8Array): number => (b.length >= 2 ? dv(b).getUint16(0, true) : 0);
export const readBe16 = (b: Uint8Array): number => (b.length >= 2 ? dv(b).getUint16(0, false) : 0);
export const readU32 = (b: Uint8Array): number => (b.length >= 4 ? dv(b).getUint32(0, true) : 0);
export const readBe32 = (b: Uint8Array): number => (b.length >= 4 ? dv(b).getUint32(0, false) : 0);
export const readS32 = (b: Uint8Array): number => (b.length >= 4 ? dv(b).getInt32(0, true) : 0);
export const readU64 = (b: Uint8Array): bigint => (b.length >= 8 ? dv(b).getBigUint64(0, true) : 0n);
/** A NUL-terminated (or not) string attribute. */
export function readStr(b: Uint8Array): string {
  const nul = b.indexOf(0);
  return new TextDecoder().decode(nul >= 0 ? b.subarray(0, nul) : b);
}
