import { TYPE_URL_PREFIX, decodeMessage } from './api/codec.js';
import type { ApiPeer } from './api/types.js';
import { PathDecodeError } from './errors.js';
import { addressFamily, canonicalAddress } from './net.js';
import type { BgpPath } from './paths.js';

/**
 * A lean decoder of the path messages gobgpd streams (`WatchEventResponse`, `Path`). gobgpd sends one
 * message per best-path change, so a burst of 100,000 routes is 100,000 messages: this reads only the
 * fields a {@link BgpPath} needs straight from the wire bytes, without building protobufjs objects for
 * the message, its `google.protobuf.Any` NLRI and attributes, and without unpacking attributes again
 * for every path. Routes from one peer share very few distinct attribute sets, so the decoded
 * attributes are cached by their bytes (MP_REACH_NLRI, which carries the v6 prefix itself, is read
 * apart and kept out of the key). Field numbers are GoBGP v3.10.0's (`api/gobgp.proto`,
 * `api/attribute.proto`), the same as `src/api/proto.ts`.
 * @internal
 */
export interface PathDecoder {
  /** Decode one `WatchEventResponse`. */
  watchEvent(buf: Uint8Array): DecodedWatchEvent;
  /** Decode one `Path` (the bytes `start`…`end` of `buf`); undefined for families other than v4/v6 unicast. */
  path(buf: Uint8Array, start?: number, end?: number): BgpPath | undefined;
  /** Distinct attribute sets held now (for tests and stats). */
  readonly cachedAttributeSets: number;
}

/** A decoded `WatchEventResponse`: table paths, a peer event, or nothing we use. @internal */
export type DecodedWatchEvent =
  { kind: 'table'; paths: BgpPath[] } | { kind: 'peer'; type: number; peer: ApiPeer | undefined } | { kind: 'other' };

/** The attributes of a path that a {@link BgpPath} carries, decoded once per distinct set. */
interface Attrs {
  /** NEXT_HOP (v4); '' when absent (v6 paths carry theirs in MP_REACH_NLRI). */
  nextHop: string;
  asPath: readonly number[];
  communities: readonly number[];
  originatorId: string | undefined;
  clusterList: readonly string[];
}

const ATTR_CACHE_MAX = 4096;
const EMPTY: readonly never[] = Object.freeze([]);

// type URLs compared as bytes (no string per attribute)
const enc = (s: string): Uint8Array => new TextEncoder().encode(TYPE_URL_PREFIX + s);
const URL_PREFIX = enc('IPAddressPrefix');
const URL_MP_REACH = enc('MpReachNLRIAttribute');
const URL_NEXT_HOP = enc('NextHopAttribute');
const URL_AS_PATH = enc('AsPathAttribute');
const URL_COMMUNITIES = enc('CommunitiesAttribute');
const URL_ORIGINATOR = enc('OriginatorIdAttribute');
const URL_CLUSTER_LIST = enc('ClusterListAttribute');

/**
 * A cursor over protobuf wire bytes. One per decoder, reused: `pos` moves, nothing is allocated
 * per field.
 */
class Wire {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;

  varint(): number {
    const b = this.buf;
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= b.length) throw new PathDecodeError('truncated varint');
      const byte = b[this.pos++]!;
      if (shift < 28) result |= (byte & 0x7f) << shift;
      else result += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
      shift += 7;
      if (shift > 63) throw new PathDecodeError('varint too long');
    }
    return shift < 28 ? result >>> 0 : result;
  }

  /** Reads a length prefix; returns the end of the field's bytes. */
  len(limit: number): number {
    const n = this.varint();
    const end = this.pos + n;
    if (end > limit) throw new PathDecodeError('length beyond the message');
    return end;
  }

  skip(wireType: number, limit: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.pos = this.len(limit);
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new PathDecodeError(`wire type ${wireType}`);
    }
    if (this.pos > limit) throw new PathDecodeError('truncated field');
  }

  /** An ASCII field (addresses, ids). */
  ascii(end: number): string {
    const s = this.buf.toString('latin1', this.pos, end);
    this.pos = end;
    return s;
  }

  /** Repeated uint32, packed or not. */
  uint32s(wireType: number, limit: number, out: number[]): void {
    if (wireType === 2) {
      const end = this.len(limit);
      while (this.pos < end) out.push(this.varint());
    } else out.push(this.varint());
  }
}

function bytesEqual(buf: Uint8Array, start: number, end: number, want: Uint8Array): boolean {
  if (end - start !== want.length) return false;
  for (let i = want.length - 1; i >= 0; i--) if (buf[start + i] !== want[i]) return false;
  return true;
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Create a decoder with its own attribute cache. @internal */
export function createPathDecoder(): PathDecoder {
  const w = new Wire();
  const cache = new Map<string, Attrs>();
  // scratch: the Any value ranges of one path's attributes (start, end, url start, url end)
  let anys: number[] = [];

  /** Reads a `google.protobuf.Any` at w.pos…end into [urlStart, urlEnd, valueStart, valueEnd]. */
  function any(end: number, out: number[]): void {
    let us = 0;
    let ue = 0;
    let vs = 0;
    let ve = 0;
    while (w.pos < end) {
      const tag = w.varint();
      const f = tag >>> 3;
      if (f === 1 && (tag & 7) === 2) {
        ue = w.len(end);
        us = w.pos;
        w.pos = ue;
      } else if (f === 2 && (tag & 7) === 2) {
        ve = w.len(end);
        vs = w.pos;
        w.pos = ve;
      } else w.skip(tag & 7, end);
    }
    out.push(us, ue, vs, ve);
  }

  function mpReachNextHop(start: number, end: number): string {
    w.pos = start;
    while (w.pos < end) {
      const tag = w.varint();
      if (tag >>> 3 === 2 && (tag & 7) === 2) {
        const e = w.len(end);
        return w.ascii(e); // the first next hop (the global one; a link-local may follow)
      }
      w.skip(tag & 7, end);
    }
    return '';
  }

  function decodeAttrs(ranges: number[]): Attrs {
    const a: Attrs = { nextHop: '', asPath: EMPTY, communities: EMPTY, originatorId: undefined, clusterList: EMPTY };
    const b = w.buf;
    for (let i = 0; i < ranges.length; i += 4) {
      const us = ranges[i]!;
      const ue = ranges[i + 1]!;
      const vs = ranges[i + 2]!;
      const end = ranges[i + 3]!;
      w.pos = vs;
      if (bytesEqual(b, us, ue, URL_NEXT_HOP)) {
        while (w.pos < end) {
          const tag = w.varint();
          if (tag === ((1 << 3) | 2)) a.nextHop = w.ascii(w.len(end));
          else w.skip(tag & 7, end);
        }
      } else if (bytesEqual(b, us, ue, URL_AS_PATH)) {
        const asPath: number[] = [];
        while (w.pos < end) {
          const tag = w.varint();
          if (tag !== ((1 << 3) | 2)) {
            w.skip(tag & 7, end);
            continue;
          }
          const segEnd = w.len(end);
          while (w.pos < segEnd) {
            const t = w.varint();
            if (t >>> 3 === 2) w.uint32s(t & 7, segEnd, asPath);
            else w.skip(t & 7, segEnd);
          }
        }
        a.asPath = Object.freeze(asPath);
      } else if (bytesEqual(b, us, ue, URL_COMMUNITIES)) {
        const cs: number[] = [];
        while (w.pos < end) {
          const tag = w.varint();
          if (tag >>> 3 === 1) w.uint32s(tag & 7, end, cs);
          else w.skip(tag & 7, end);
        }
        a.communities = Object.freeze(cs);
      } else if (bytesEqual(b, us, ue, URL_ORIGINATOR)) {
        while (w.pos < end) {
          const tag = w.varint();
          if (tag === ((1 << 3) | 2)) a.originatorId = w.ascii(w.len(end));
          else w.skip(tag & 7, end);
        }
      } else if (bytesEqual(b, us, ue, URL_CLUSTER_LIST)) {
        const ids: string[] = [];
        while (w.pos < end) {
          const tag = w.varint();
          if (tag === ((1 << 3) | 2)) ids.push(w.ascii(w.len(end)));
          else w.skip(tag & 7, end);
        }
        a.clusterList = Object.freeze(ids);
      }
      // ORIGIN, MED, LOCAL_PREF and the rest: not part of a BgpPath
    }
    return a;
  }

  function path(bytes: Uint8Array, start = 0, end = bytes.length): BgpPath | undefined {
    const buf = asBuffer(bytes);
    w.buf = buf;
    w.pos = start;
    let nlriStart = -1;
    let nlriEnd = -1;
    let withdrawn = false;
    let sourceAsn = 0;
    let sourceId = '';
    let neighborRaw = '';
    // the attributes: their Any ranges, and the region they span for the cache key
    anys.length = 0;
    let attrsFrom = -1;
    let attrsTo = -1;
    let contiguous = true;
    let mpAt = -1;
    while (w.pos < end) {
      const tagAt = w.pos;
      const tag = w.varint();
      const f = tag >>> 3;
      const wt = tag & 7;
      if (f === 1 && wt === 2) {
        nlriEnd = w.len(end);
        nlriStart = w.pos;
        w.pos = nlriEnd;
      } else if (f === 2 && wt === 2) {
        const e = w.len(end);
        if (attrsFrom < 0) attrsFrom = tagAt;
        else if (attrsTo !== tagAt) contiguous = false;
        const at = anys.length;
        any(e, anys);
        if (bytesEqual(buf, anys[at]!, anys[at + 1]!, URL_MP_REACH)) mpAt = at;
        attrsTo = e;
      } else if (f === 5 && wt === 0) withdrawn = w.varint() !== 0;
      else if (f === 10 && wt === 0) sourceAsn = w.varint();
      else if (f === 11 && wt === 2) sourceId = w.ascii(w.len(end));
      else if (f === 15 && wt === 2) neighborRaw = w.ascii(w.len(end));
      else w.skip(wt, end);
    }
    if (nlriStart < 0) return undefined;

    // NLRI: an IPAddressPrefix
    const nl: number[] = [];
    w.pos = nlriStart;
    any(nlriEnd, nl);
    if (!bytesEqual(buf, nl[0]!, nl[1]!, URL_PREFIX)) return undefined;
    let addr = '';
    let len = 0;
    w.pos = nl[2]!;
    const ve = nl[3]!;
    while (w.pos < ve) {
      const tag = w.varint();
      if (tag === ((1 << 3) | 0)) len = w.varint();
      else if (tag === ((2 << 3) | 2)) addr = w.ascii(w.len(ve));
      else w.skip(tag & 7, ve);
    }
    const family = addressFamily(addr);
    if (!family) return undefined;

    // attributes: from the cache when this set was seen before
    let mpNextHop = '';
    let key: string;
    if (mpAt >= 0) {
      mpNextHop = mpReachNextHop(anys[mpAt + 2]!, anys[mpAt + 3]!);
      const rest = anys.slice(0, mpAt).concat(anys.slice(mpAt + 4));
      anys = rest;
      let k = '';
      for (let i = 0; i < rest.length; i += 4)
        k += `${buf.toString('latin1', rest[i]!, rest[i + 1]!)}\u0000${buf.toString('latin1', rest[i + 2]!, rest[i + 3]!)}\u0001`;
      key = k;
    } else if (contiguous) key = attrsFrom < 0 ? '' : buf.toString('latin1', attrsFrom, attrsTo);
    else {
      let k = '';
      for (let i = 0; i < anys.length; i += 4)
        k += `${buf.toString('latin1', anys[i]!, anys[i + 1]!)}\u0000${buf.toString('latin1', anys[i + 2]!, anys[i + 3]!)}\u0001`;
      key = `\u0002${k}`;
    }
    let attrs = cache.get(key);
    if (!attrs) {
      attrs = decodeAttrs(anys);
      if (cache.size >= ATTR_CACHE_MAX) cache.clear();
      cache.set(key, attrs);
    }
    const rawNextHop = mpNextHop || attrs.nextHop;

    // gobgpd reports our own (AddPath) paths with neighbor "<nil>" (no source address)
    const local = neighborRaw === '' || neighborRaw === '<nil>' || addressFamily(neighborRaw) === undefined;
    return {
      prefix: `${canonicalAddress(addr)}/${len}`,
      family,
      nextHop: rawNextHop && addressFamily(rawNextHop) ? canonicalAddress(rawNextHop) : rawNextHop,
      withdrawn,
      neighbor: local ? undefined : canonicalAddress(neighborRaw),
      local,
      sourceAsn,
      sourceId,
      asPath: attrs.asPath,
      communities: attrs.communities,
      originatorId: attrs.originatorId,
      clusterList: attrs.clusterList,
    };
  }

  function watchEvent(bytes: Uint8Array): DecodedWatchEvent {
    const buf = asBuffer(bytes);
    w.buf = buf;
    w.pos = 0;
    const end = buf.length;
    while (w.pos < end) {
      const tag = w.varint();
      const f = tag >>> 3;
      if (f === 3 && (tag & 7) === 2) {
        // TableEvent { repeated Path paths = 2; }
        const te = w.len(end);
        const ranges: number[] = [];
        while (w.pos < te) {
          const t = w.varint();
          if (t === ((2 << 3) | 2)) {
            const pe = w.len(te);
            ranges.push(w.pos, pe);
            w.pos = pe;
          } else w.skip(t & 7, te);
        }
        const paths: BgpPath[] = [];
        for (let i = 0; i < ranges.length; i += 2) {
          const p = path(buf, ranges[i], ranges[i + 1]);
          if (p) paths.push(p);
        }
        return { kind: 'table', paths };
      }
      if (f === 2 && (tag & 7) === 2) {
        // PeerEvent { Type type = 1; Peer peer = 2; }: rare, decoded in full
        const pe = w.len(end);
        let type = 0;
        let peer: ApiPeer | undefined;
        while (w.pos < pe) {
          const t = w.varint();
          if (t === ((1 << 3) | 0)) type = w.varint();
          else if (t === ((2 << 3) | 2)) {
            const e = w.len(pe);
            peer = decodeMessage<ApiPeer>('Peer', buf.subarray(w.pos, e));
            w.pos = e;
          } else w.skip(t & 7, pe);
        }
        return { kind: 'peer', type, peer };
      }
      w.skip(tag & 7, end);
    }
    return { kind: 'other' };
  }

  return {
    watchEvent,
    path,
    get cachedAttributeSets() {
      return cache.size;
    },
  };
}
