/**
 * Routes (RTM_NEWROUTE / RTM_DELROUTE / RTM_GETROUTE): struct rtmsg + RTA_* attributes, multipath
 * (struct rtnexthop), metrics (RTAX_* nest), and batched install / delete through `transport.batch`.
 */
import {
  MessageBuilder,
  NLM_F_APPEND,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  NLM_F_REQUEST,
  attrs,
  readStr,
  readU16,
  readU32,
  readU8,
  type NlMessage,
} from './codec/nlmsg.js';
import {
  SCOPES,
  afToFamily,
  checkFamily,
  familyBits,
  familyToAf,
  formatIp,
  requireIp,
  requirePrefix,
  type IpAddr,
  type IpFamily,
  type IpPrefix,
  type Scope,
} from './addr.js';
import { ProtocolError } from './errors.js';
import type { BatchItemResult, CallOptions, RtnlTransport } from './transport.js';
import {
  InvalidArgumentError,
  U32_MAX,
  checkInt,
  checkLinkRef,
  checkNamed,
  flagsToMask,
  maskToFlags,
  nameOf,
  resolveLink,
  sig,
} from './validate.js';

export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;

export const RTA_DST = 1;
export const RTA_SRC = 2;
export const RTA_IIF = 3;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_PREFSRC = 7;
export const RTA_METRICS = 8;
export const RTA_MULTIPATH = 9;
export const RTA_FLOW = 11;
export const RTA_CACHEINFO = 12;
export const RTA_TABLE = 15;
export const RTA_MARK = 16;
export const RTA_VIA = 18;
export const RTA_PREF = 20;
export const RTA_ENCAP_TYPE = 21;
export const RTA_ENCAP = 22;
export const RTA_EXPIRES = 23;
export const RTA_UID = 25;
export const RTA_NH_ID = 30;

export const RTM_F_NOTIFY = 0x100;
export const RTM_F_CLONED = 0x200;
export const RTM_F_LOOKUP_TABLE = 0x1000;
export const RTM_F_FIB_MATCH = 0x2000;

/** rtnh_flags / rtm_flags low byte (RTNH_F_*), by name. */
export const NEXTHOP_FLAGS = {
  dead: 1,
  pervasive: 2,
  onlink: 4,
  offload: 8,
  linkdown: 16,
  unresolved: 32,
  trap: 64,
} as const;
export type NexthopFlag = keyof typeof NEXTHOP_FLAGS;
export const RTNH_F_ONLINK = NEXTHOP_FLAGS.onlink;

/** Reserved table ids (rt_class_t). */
export const ROUTE_TABLES = { unspec: 0, default: 253, main: 254, local: 255 } as const;
export const RT_TABLE_MAIN = 254;
/** A table by name or id 1..2^32-1. */
export type RouteTable = 'main' | 'local' | 'default' | number;

/** rtm_type (RTN_*), by name. */
export const ROUTE_TYPES = {
  unspec: 0,
  unicast: 1,
  local: 2,
  broadcast: 3,
  anycast: 4,
  multicast: 5,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
  throw: 9,
  nat: 10,
  xresolve: 11,
} as const;
export type RouteType = keyof typeof ROUTE_TYPES;

/** rtm_protocol (RTPROT_*), by name. */
export const ROUTE_PROTOCOLS = {
  unspec: 0,
  redirect: 1,
  kernel: 2,
  boot: 3,
  static: 4,
  gated: 8,
  ra: 9,
  mrt: 10,
  zebra: 11,
  bird: 12,
  dnrouted: 13,
  xorp: 14,
  ntk: 15,
  dhcp: 16,
  mrouted: 17,
  keepalived: 18,
  babel: 42,
  openr: 99,
  bgp: 186,
  isis: 187,
  ospf: 188,
  rip: 189,
  eigrp: 192,
} as const;
export type RouteProtocol = keyof typeof ROUTE_PROTOCOLS | number;

/** RTAX_* numbers of the u32 route metrics, by name (RTAX_CC_ALGO is `congctl`, RTAX_LOCK is `lock`). */
export const ROUTE_METRICS = {
  mtu: 2,
  window: 3,
  rtt: 4,
  rttvar: 5,
  ssthresh: 6,
  cwnd: 7,
  advmss: 8,
  reordering: 9,
  hoplimit: 10,
  initcwnd: 11,
  features: 12,
  rtoMin: 13,
  initrwnd: 14,
  quickack: 15,
  fastopenNoCookie: 17,
} as const;
export type RouteMetricName = keyof typeof ROUTE_METRICS;
export const RTAX_LOCK = 1;
export const RTAX_CC_ALGO = 16;

/** Route metrics (RTA_METRICS); `lock` lists metrics the kernel must not change (e.g. `['mtu']`). */
export type RouteMetrics = { readonly [K in RouteMetricName]?: number } & {
  readonly congctl?: string;
  readonly lock?: readonly RouteMetricName[];
};

/** IPv6 router preference (RTA_PREF, ICMPV6_ROUTER_PREF_*). */
export const ROUTE_PREFS = { medium: 0, high: 1, low: 3 } as const;

/** One path of a multipath route. */
export interface RouteNexthopSpec {
  /** Gateway; an IPv6 gateway on an IPv4 route is sent as RTA_VIA. */
  readonly gateway?: string;
  /** Output interface, by name or index. */
  readonly oif?: string | number;
  /** 1..256 (default 1); sent as rtnh_hops = weight - 1. */
  readonly weight?: number;
  readonly onlink?: boolean;
}

/** A route to add, replace, append or delete. */
export interface RouteSpec {
  /** Destination prefix (`10.1.0.0/16`, `2001:db8::/64`, a bare address for a host route) or `default`. */
  readonly dst: string;
  /** Needed only for `default` routes without a gateway (default `inet`). */
  readonly family?: IpFamily;
  /** Source prefix (RTA_SRC; IPv6 subtrees). */
  readonly src?: string;
  /** Default `main`. Ids above 255 go in RTA_TABLE. */
  readonly table?: RouteTable;
  /** Default `boot` for add/replace/append (as iproute2); any protocol on delete. */
  readonly protocol?: RouteProtocol;
  /** Default as iproute2: `host` for local, `link` for direct unicast, else `universe`; any on delete. */
  readonly scope?: Scope;
  /** Default `unicast` (any on delete). */
  readonly type?: RouteType;
  /** RTA_PRIORITY. */
  readonly metric?: number;
  /** Preferred source address (RTA_PREFSRC). */
  readonly prefsrc?: string;
  readonly gateway?: string;
  /** Output interface, by name or index. */
  readonly oif?: string | number;
  /** Use the gateway even when no address of the interface covers it (RTNH_F_ONLINK). */
  readonly onlink?: boolean;
  readonly tos?: number;
  /** Paths of an ECMP route; excludes `gateway` / `oif`. */
  readonly multipath?: readonly RouteNexthopSpec[];
  readonly metrics?: RouteMetrics;
  /** A nexthop object (RTA_NH_ID); excludes gateway, oif and multipath. */
  readonly nhid?: number;
  /** IPv6 router preference. */
  readonly pref?: keyof typeof ROUTE_PREFS;
  /** Seconds until the kernel removes the route (RTA_EXPIRES; IPv6 only, as RA routes); default never. */
  readonly expires?: number;
  /** Routing realm (RTA_FLOW: destination realm in the low 16 bits, source realm in the high 16). */
  readonly realm?: number;
}

/** One path of a multipath route, as reported. */
export interface RouteNexthop {
  readonly gateway?: string;
  /** Set when the gateway came as RTA_VIA in another family. */
  readonly viaFamily?: IpFamily;
  readonly oif: number;
  readonly weight: number;
  readonly flags: readonly NexthopFlag[];
}

/** A route as the kernel reports it. */
export interface Route {
  readonly family: IpFamily;
  /** Destination as `addr/len` (`0.0.0.0/0` for the default route). */
  readonly dst: string;
  readonly dstLen: number;
  readonly src?: string;
  readonly tos: number;
  readonly table: number;
  readonly protocol: RouteProtocol;
  readonly scope: Scope;
  readonly type: RouteType | number;
  /** RTNH_F_* names from rtm_flags (e.g. `onlink`, `linkdown`). */
  readonly flags: readonly NexthopFlag[];
  /** Raw rtm_flags (RTM_F_CLONED etc. included). */
  readonly flagBits: number;
  readonly metric?: number;
  readonly prefsrc?: string;
  readonly gateway?: string;
  readonly viaFamily?: IpFamily;
  readonly oif?: number;
  readonly iif?: number;
  readonly multipath?: readonly RouteNexthop[];
  readonly metrics?: RouteMetrics;
  readonly nhid?: number;
  readonly pref?: keyof typeof ROUTE_PREFS | number;
  readonly mark?: number;
  readonly uid?: number;
  /** Whole seconds left before the kernel removes the route (from RTA_CACHEINFO); absent when it never expires. */
  readonly expires?: number;
  /** RTA_FLOW: destination realm in the low 16 bits, source realm in the high 16. */
  readonly realm?: number;
}

/** Filter for {@link RouteApi.list}. */
export interface RouteFilter {
  readonly family?: IpFamily;
  /** Default `main` (as `ip route show`); `all` lists every table. */
  readonly table?: RouteTable | 'all';
  readonly oif?: string | number;
  readonly protocol?: RouteProtocol;
  readonly type?: RouteType;
}

/** Options of {@link RouteApi.get} (a FIB lookup). */
export interface RouteGetOptions extends CallOptions {
  readonly src?: string;
  readonly iif?: string | number;
  readonly oif?: string | number;
  readonly mark?: number;
  /** Return the matching FIB entry instead of the resolved route (RTM_F_FIB_MATCH). */
  readonly fibMatch?: boolean;
}

export type RouteOp = 'add' | 'replace' | 'append' | 'delete';

const OP_FLAGS: Record<RouteOp, number> = {
  add: NLM_F_CREATE | NLM_F_EXCL,
  replace: NLM_F_CREATE | NLM_F_REPLACE,
  append: NLM_F_CREATE | NLM_F_APPEND,
  delete: 0,
};

/** Interface indexes for the names a spec uses, already resolved (see {@link RouteApi}). */
export type LinkIndexes = (ref: string | number, field: string) => number;

const byIndex: LinkIndexes = (ref, field) => {
  if (typeof ref !== 'number') throw new InvalidArgumentError(field, ref, 'must be an interface index here');
  return checkInt(field, ref, 1, 0x7fffffff);
};

function routeFamily(spec: RouteSpec, field: string): { family: IpFamily; dst: IpPrefix | undefined } {
  if (spec === null || typeof spec !== 'object')
    throw new InvalidArgumentError(field || 'route', spec, 'must be an object');
  checkFamily(`${field}family`, spec.family);
  if (spec.dst === 'default') {
    let family = spec.family;
    if (!family && typeof spec.gateway === 'string' && spec.gateway.includes(':')) family = 'inet6';
    return { family: family ?? 'inet', dst: undefined };
  }
  const dst = requirePrefix(`${field}dst`, spec.dst, { family: spec.family, network: true });
  return { family: dst.family, dst };
}

/**
 * The part of a message builder route encoding needs. {@link RouteWriter} implements it without a
 * temporary array per attribute: batches encode tens of thousands of routes.
 */
interface AttrSink {
  attr(type: number, value: Uint8Array): unknown;
  u8(type: number, v: number): unknown;
  u32(type: number, v: number): unknown;
  str(type: number, s: string): unknown;
  nestPlain(type: number): unknown;
  end(): unknown;
}

/**
 * Writes route messages in place: header, 12-byte rtmsg, then attributes. One writer reused for a whole
 * batch packs the messages one after another in shared buffers (`arena` bytes each) and hands out views of
 * them: no allocation and no copy per message.
 */
class RouteWriter implements AttrSink {
  private buf: Uint8Array;
  private dv: DataView;
  /** Offset of the message being written, and the end of what is written so far. */
  private start = 0;
  private len = 0;
  private readonly nests: number[] = [];

  constructor(private readonly arena = 192) {
    this.buf = new Uint8Array(arena);
    this.dv = new DataView(this.buf.buffer);
  }
  /** Starts a message (after a finished one, or over one abandoned by a throw). */
  begin(type: number, flags: number): void {
    // Bytes past `start` are zero unless an encode threw half-way: padding and seq rely on zeros.
    if (this.len > this.start) this.buf.fill(0, this.start, this.len);
    this.len = this.start;
    this.nests.length = 0;
    this.reserve(28);
    this.dv.setUint16(this.start + 4, type, true);
    this.dv.setUint16(this.start + 6, flags, true);
    this.len = this.start + 28;
  }
  /** The rtmsg bytes (offsets 16..27). */
  header(
    family: number,
    dstLen: number,
    srcLen: number,
    tos: number,
    table: number,
    protocol: number,
    scope: number,
    type: number,
    flags: number,
  ): void {
    const b = this.buf;
    const o = this.start;
    b[o + 16] = family;
    b[o + 17] = dstLen;
    b[o + 18] = srcLen;
    b[o + 19] = tos;
    b[o + 20] = table;
    b[o + 21] = protocol;
    b[o + 22] = scope;
    b[o + 23] = type;
    this.dv.setUint32(o + 24, flags, true);
  }
  /** Room for `n` more bytes: a message that outgrows the buffer moves alone to a fresh (zeroed) one. */
  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const used = this.len - this.start;
    const next = new Uint8Array(Math.max(this.arena, (used + n) * 2));
    next.set(this.buf.subarray(this.start, this.len));
    for (let i = 0; i < this.nests.length; i++) this.nests[i] = (this.nests[i] as number) - this.start;
    this.buf = next;
    this.dv = new DataView(next.buffer);
    this.start = 0;
    this.len = used;
  }
  private head(type: number, payload: number): number {
    const total = 4 + payload;
    this.reserve((total + 3) & ~3);
    this.dv.setUint16(this.len, total, true);
    this.dv.setUint16(this.len + 2, type, true);
    const at = this.len + 4;
    this.len += (total + 3) & ~3; // unwritten bytes are zero, so padding already is
    return at;
  }
  attr(type: number, value: Uint8Array): this {
    const at = this.head(type, value.length); // first: head() may move the message to a new buffer
    this.buf.set(value, at);
    return this;
  }
  u8(type: number, v: number): this {
    const at = this.head(type, 1);
    this.buf[at] = v;
    return this;
  }
  u32(type: number, v: number): this {
    const at = this.head(type, 4);
    this.dv.setUint32(at, v >>> 0, true);
    return this;
  }
  str(type: number, s: string): this {
    const enc = new TextEncoder().encode(s);
    const at = this.head(type, enc.length + 1);
    this.buf.set(enc, at);
    return this;
  }
  nestPlain(type: number): this {
    this.reserve(4);
    this.nests.push(this.len);
    this.dv.setUint16(this.len + 2, type, true);
    this.len += 4;
    return this;
  }
  end(): this {
    const start = this.nests.pop();
    if (start === undefined) throw new Error('RouteWriter.end() without nestPlain()');
    this.dv.setUint16(start, this.len - start, true);
    return this;
  }
  /** Writes the length; returns the message as a view of the shared buffer, or (`copy`) its own bytes. */
  finish(copy: boolean): Uint8Array {
    this.dv.setUint32(this.start, this.len - this.start, true);
    const m = copy ? this.buf.slice(this.start, this.len) : this.buf.subarray(this.start, this.len);
    this.start = this.len;
    return m;
  }
}

/** Arena size of a batch's RouteWriter. */
const BATCH_ARENA = 64 * 1024;

/** A route's or a path's gateway: RTA_GATEWAY in the route's family, RTA_VIA for an IPv6 gateway of an IPv4 route. */
function putGateway(b: Pick<AttrSink, 'attr'>, field: string, family: IpFamily, gw: IpAddr): void {
  if (gw.family === family) b.attr(RTA_GATEWAY, gw.bytes);
  else if (family === 'inet') b.attr(RTA_VIA, via(gw));
  else throw new InvalidArgumentError(field, formatIp(gw.bytes), 'an IPv6 route cannot have an IPv4 gateway');
}

function via(gw: IpAddr): Uint8Array {
  const v = new Uint8Array(2 + gw.bytes.length);
  new DataView(v.buffer).setUint16(0, familyToAf(gw.family), true);
  v.set(gw.bytes, 2);
  return v;
}

function encodeMultipath(
  field: string,
  family: IpFamily,
  hops: readonly RouteNexthopSpec[],
  link: LinkIndexes,
): Uint8Array {
  if (!Array.isArray(hops as unknown) || hops.length === 0) {
    throw new InvalidArgumentError(`${field}multipath`, hops, 'must be a non-empty array');
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  hops.forEach((h, i) => {
    const f = `${field}multipath[${i}].`;
    if (h === null || typeof h !== 'object')
      throw new InvalidArgumentError(`${field}multipath[${i}]`, h, 'must be an object');
    const weight = h.weight === undefined ? 1 : checkInt(`${f}weight`, h.weight, 1, 256);
    const gw = h.gateway === undefined ? undefined : requireIp(`${f}gateway`, h.gateway);
    if (!gw && h.oif === undefined)
      throw new InvalidArgumentError(`${field}multipath[${i}]`, h, 'needs a gateway or an oif');
    let attr: Uint8Array | undefined;
    if (gw) putGateway({ attr: (type, value) => (attr = rta(type, value)) }, `${f}gateway`, family, gw);
    const len = 8 + (attr?.length ?? 0);
    const p = new Uint8Array(len);
    const dv = new DataView(p.buffer);
    dv.setUint16(0, len, true);
    p[2] = h.onlink ? RTNH_F_ONLINK : 0;
    p[3] = weight - 1;
    dv.setInt32(4, h.oif === undefined ? 0 : link(h.oif, `${f}oif`), true);
    if (attr) p.set(attr, 8);
    parts.push(p);
    total += len;
  });
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** One standalone attribute (header + value, padded). */
function rta(type: number, value: Uint8Array): Uint8Array {
  const len = 4 + value.length;
  const out = new Uint8Array((len + 3) & ~3);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, len, true);
  dv.setUint16(2, type, true);
  out.set(value, 4);
  return out;
}

function metricRange(name: RouteMetricName, family: IpFamily): [number, number] {
  switch (name) {
    case 'mtu':
      return [family === 'inet' ? 68 : 1280, 65535];
    case 'advmss':
      return [1, 65535];
    case 'hoplimit':
      return [0, 255];
    default:
      return [0, U32_MAX];
  }
}

function putMetrics(b: AttrSink, field: string, family: IpFamily, m: RouteMetrics): void {
  if (m === null || typeof m !== 'object') throw new InvalidArgumentError(`${field}metrics`, m, 'must be an object');
  const lock = flagsToMask(`${field}metrics.lock`, m.lock, lockBits);
  const entries: [number, number][] = [];
  for (const key of Object.keys(m)) {
    if (key === 'lock' || key === 'congctl') continue;
    if (!Object.hasOwn(ROUTE_METRICS, key)) {
      throw new InvalidArgumentError(`${field}metrics.${key}`, (m as Record<string, unknown>)[key], 'unknown metric');
    }
    const name = key as RouteMetricName;
    const v = m[name];
    if (v === undefined) continue;
    const [min, max] = metricRange(name, family);
    entries.push([ROUTE_METRICS[name], checkInt(`${field}metrics.${name}`, v, min, max)]);
  }
  if (m.congctl !== undefined && (typeof m.congctl !== 'string' || m.congctl.length === 0 || m.congctl.length > 15)) {
    throw new InvalidArgumentError(`${field}metrics.congctl`, m.congctl, 'must be a congestion control name');
  }
  if (!lock && entries.length === 0 && m.congctl === undefined) return;
  // Plain (not NLA_F_NESTED) like iproute2; metrics in RTAX order, the lock mask last.
  b.nestPlain(RTA_METRICS);
  entries.sort((x, y) => x[0] - y[0]);
  for (const [t, v] of entries) b.u32(t, v);
  if (m.congctl !== undefined) b.str(RTAX_CC_ALGO, m.congctl);
  if (lock) b.u32(RTAX_LOCK, lock);
  b.end();
}

const lockBits: Record<RouteMetricName, number> = Object.fromEntries(
  Object.entries(ROUTE_METRICS).map(([k, v]) => [k, 1 << v]),
) as Record<RouteMetricName, number>;

function tableId(field: string, t: unknown): number {
  return typeof t === 'string'
    ? checkNamed(field, t, { main: 254, local: 255, default: 253 }, U32_MAX)
    : checkInt(field, t, 1, U32_MAX);
}

/**
 * Encodes one route message. `link` maps interface names to indexes (already resolved by the caller);
 * the default accepts indexes only. `field` prefixes error field names (e.g. `routes[3].`).
 * @throws InvalidArgumentError naming the bad field
 */
export function encodeRoute(op: RouteOp, spec: RouteSpec, link: LinkIndexes = byIndex, field = ''): Uint8Array {
  return encodeRouteWith(new RouteWriter(), true, op, spec, link, field);
}

/** `encodeRoute` through `b`; `copy` = false returns a view of the writer's shared buffer (batches). */
function encodeRouteWith(
  b: RouteWriter,
  copy: boolean,
  op: RouteOp,
  spec: RouteSpec,
  link: LinkIndexes,
  field: string,
): Uint8Array {
  const { family, dst } = routeFamily(spec, field);
  const del = op === 'delete';
  const table = spec.table === undefined ? RT_TABLE_MAIN : tableId(`${field}table`, spec.table);
  const type =
    spec.type === undefined
      ? del
        ? ROUTE_TYPES.unspec
        : ROUTE_TYPES.unicast
      : checkNamed(`${field}type`, spec.type, ROUTE_TYPES, 255);
  const protocol =
    spec.protocol === undefined
      ? del
        ? ROUTE_PROTOCOLS.unspec
        : ROUTE_PROTOCOLS.boot
      : checkNamed(`${field}protocol`, spec.protocol, ROUTE_PROTOCOLS, 255);
  const src = spec.src === undefined ? undefined : requirePrefix(`${field}src`, spec.src, { family, network: true });
  const gw = spec.gateway === undefined ? undefined : requireIp(`${field}gateway`, spec.gateway);
  if (spec.multipath !== undefined && (gw || spec.oif !== undefined)) {
    throw new InvalidArgumentError(`${field}multipath`, spec.multipath, 'cannot be combined with gateway or oif');
  }
  if (spec.nhid !== undefined && (gw || spec.oif !== undefined || spec.multipath !== undefined)) {
    throw new InvalidArgumentError(`${field}nhid`, spec.nhid, 'cannot be combined with gateway, oif or multipath');
  }
  let scope: number;
  if (spec.scope !== undefined) scope = checkNamed(`${field}scope`, spec.scope, SCOPES, 255);
  else if (family === 'inet6') scope = SCOPES.universe;
  else if (type === ROUTE_TYPES.local || type === ROUTE_TYPES.nat) scope = SCOPES.host;
  else if (type === ROUTE_TYPES.broadcast || type === ROUTE_TYPES.multicast || type === ROUTE_TYPES.anycast)
    scope = SCOPES.link;
  else if (type === ROUTE_TYPES.unicast || type === ROUTE_TYPES.unspec) {
    if (del) scope = SCOPES.nowhere;
    else if (!gw && spec.multipath === undefined && spec.nhid === undefined) scope = SCOPES.link;
    else scope = SCOPES.universe;
  } else scope = SCOPES.universe;

  b.begin(del ? RTM_DELROUTE : RTM_NEWROUTE, NLM_F_REQUEST | OP_FLAGS[op]);
  b.header(
    familyToAf(family),
    dst?.prefixLen ?? 0,
    src?.prefixLen ?? 0,
    spec.tos === undefined ? 0 : checkInt(`${field}tos`, spec.tos, 0, 255),
    table < 256 ? table : ROUTE_TABLES.unspec,
    protocol,
    scope,
    type,
    spec.onlink ? RTNH_F_ONLINK : 0,
  );
  if (table >= 256) b.u32(RTA_TABLE, table);
  if (dst && dst.prefixLen > 0) b.attr(RTA_DST, dst.bytes);
  if (src && src.prefixLen > 0) b.attr(RTA_SRC, src.bytes);
  if (spec.prefsrc !== undefined) b.attr(RTA_PREFSRC, requireIp(`${field}prefsrc`, spec.prefsrc, family).bytes);
  if (gw) putGateway(b, `${field}gateway`, family, gw);
  if (spec.oif !== undefined) b.u32(RTA_OIF, link(spec.oif, `${field}oif`));
  if (spec.metric !== undefined) b.u32(RTA_PRIORITY, checkInt(`${field}metric`, spec.metric, 0, U32_MAX));
  if (spec.metrics !== undefined) putMetrics(b, field, family, spec.metrics);
  if (spec.multipath !== undefined) b.attr(RTA_MULTIPATH, encodeMultipath(field, family, spec.multipath, link));
  if (spec.nhid !== undefined) b.u32(RTA_NH_ID, checkInt(`${field}nhid`, spec.nhid, 1, U32_MAX));
  if (spec.pref !== undefined) {
    if (family !== 'inet6') throw new InvalidArgumentError(`${field}pref`, spec.pref, 'is IPv6 only');
    b.u8(RTA_PREF, checkNamed(`${field}pref`, spec.pref, ROUTE_PREFS, 3));
  }
  if (spec.realm !== undefined) b.u32(RTA_FLOW, checkInt(`${field}realm`, spec.realm, 0, U32_MAX));
  if (spec.expires !== undefined) {
    // The kernel honours RTA_EXPIRES for IPv6 routes only; refuse rather than silently make it permanent.
    if (family !== 'inet6') throw new InvalidArgumentError(`${field}expires`, spec.expires, 'is IPv6 only');
    b.u32(RTA_EXPIRES, checkInt(`${field}expires`, spec.expires, 1, U32_MAX - 1));
  }
  return b.finish(copy);
}

/** Resolved dump filter (indexes and ids, no names). */
export interface RouteDumpFilter {
  readonly family?: IpFamily;
  /** 0 = every table. */
  readonly table?: number;
  readonly oif?: number;
  readonly protocol?: number;
  readonly type?: number;
}

/**
 * Encodes an RTM_GETROUTE dump request with the fields the kernel's strict dump filtering honours:
 * rtm_table / RTA_TABLE, rtm_protocol, rtm_type and RTA_OIF; everything else stays zero.
 */
export function encodeRouteDump(f: RouteDumpFilter = {}): Uint8Array {
  const hdr = new Uint8Array(12);
  hdr[0] = f.family ? familyToAf(f.family) : 0;
  const table = f.table ?? 0;
  hdr[4] = table < 256 ? table : 0;
  hdr[5] = f.protocol ?? 0;
  hdr[7] = f.type ?? 0;
  const b = new MessageBuilder(RTM_GETROUTE, NLM_F_REQUEST, hdr, 64);
  if (table >= 256) b.u32(RTA_TABLE, table);
  if (f.oif) b.u32(RTA_OIF, f.oif);
  return b.finish();
}

/** Encodes an RTM_GETROUTE lookup of `dst` (a FIB lookup, as `ip route get`). */
export function encodeRouteGet(
  dst: string,
  o: {
    readonly src?: string;
    readonly iif?: number;
    readonly oif?: number;
    readonly mark?: number;
    readonly fibMatch?: boolean;
  } = {},
): Uint8Array {
  const d = requireIp('dst', dst);
  const s = o.src === undefined ? undefined : requireIp('src', o.src, d.family);
  const hdr = new Uint8Array(12);
  hdr[0] = familyToAf(d.family);
  hdr[1] = familyBits(d.family);
  hdr[2] = s ? familyBits(d.family) : 0;
  new DataView(hdr.buffer).setUint32(8, o.fibMatch ? RTM_F_FIB_MATCH : 0, true);
  const b = new MessageBuilder(RTM_GETROUTE, NLM_F_REQUEST, hdr, 64);
  b.attr(RTA_DST, d.bytes);
  if (s) b.attr(RTA_SRC, s.bytes);
  if (o.iif !== undefined) b.u32(RTA_IIF, o.iif);
  if (o.oif !== undefined) b.u32(RTA_OIF, o.oif);
  if (o.mark !== undefined) b.u32(RTA_MARK, checkInt('mark', o.mark, 0, U32_MAX));
  return b.finish();
}

function decodeGateway(v: Uint8Array): { gateway: string; viaFamily: IpFamily } | undefined {
  if (v.length < 2) return undefined;
  const af = readU16(v);
  const fam = afToFamily(af);
  if (!fam) return undefined;
  return { gateway: formatIp(v.subarray(2)), viaFamily: fam };
}

function decodeMultipath(v: Uint8Array): RouteNexthop[] {
  const out: RouteNexthop[] = [];
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  let off = 0;
  while (off + 8 <= v.length) {
    const len = dv.getUint16(off, true);
    if (len < 8 || off + len > v.length) break;
    const flags = v[off + 2] ?? 0;
    let gateway: string | undefined;
    let viaFamily: IpFamily | undefined;
    for (const a of attrs(v.subarray(off + 8, off + len))) {
      if (a.type === RTA_GATEWAY) gateway = formatIp(a.value);
      else if (a.type === RTA_VIA) {
        const g = decodeGateway(a.value);
        if (g) ({ gateway, viaFamily } = g);
      }
    }
    out.push({
      ...(gateway !== undefined && { gateway }),
      ...(viaFamily !== undefined && { viaFamily }),
      oif: dv.getInt32(off + 4, true),
      weight: (v[off + 3] ?? 0) + 1,
      flags: maskToFlags(flags, NEXTHOP_FLAGS),
    });
    off += (len + 3) & ~3;
  }
  return out;
}

function decodeMetrics(v: Uint8Array): RouteMetrics {
  const m: Record<string, unknown> = {};
  for (const a of attrs(v)) {
    if (a.type === RTAX_LOCK) {
      const lock = maskToFlags(readU32(a.value), lockBits);
      if (lock.length) m['lock'] = lock;
    } else if (a.type === RTAX_CC_ALGO) {
      m['congctl'] = readStr(a.value);
    } else {
      const name = nameOf(ROUTE_METRICS, a.type);
      if (typeof name === 'string') m[name] = readU32(a.value);
    }
  }
  return m as RouteMetrics;
}

/**
 * Decodes an RTM_NEWROUTE / RTM_DELROUTE message (dump reply, `get` reply or notification);
 * `undefined` for other types and for families other than IPv4/IPv6.
 */
export function decodeRoute(msg: NlMessage): Route | undefined {
  if ((msg.type !== RTM_NEWROUTE && msg.type !== RTM_DELROUTE) || msg.payload.length < 12) return undefined;
  const p = msg.payload;
  const family = afToFamily(p[0] ?? 0);
  if (!family) return undefined;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const dstLen = p[1] ?? 0;
  const srcLen = p[2] ?? 0;
  const flagBits = dv.getUint32(8, true);
  let table = p[4] ?? 0;
  let dst: string | undefined;
  let src: string | undefined;
  const r: Record<string, unknown> = {};
  for (const a of attrs(p.subarray(12))) {
    switch (a.type) {
      case RTA_DST:
        dst = formatIp(a.value);
        break;
      case RTA_SRC:
        src = formatIp(a.value);
        break;
      case RTA_TABLE:
        table = readU32(a.value);
        break;
      case RTA_PRIORITY:
        r['metric'] = readU32(a.value);
        break;
      case RTA_PREFSRC:
        r['prefsrc'] = formatIp(a.value);
        break;
      case RTA_GATEWAY:
        r['gateway'] = formatIp(a.value);
        break;
      case RTA_VIA: {
        const g = decodeGateway(a.value);
        if (g) Object.assign(r, g);
        break;
      }
      case RTA_OIF:
        r['oif'] = readU32(a.value);
        break;
      case RTA_IIF:
        r['iif'] = readU32(a.value);
        break;
      case RTA_MULTIPATH:
        r['multipath'] = decodeMultipath(a.value);
        break;
      case RTA_METRICS:
        r['metrics'] = decodeMetrics(a.value);
        break;
      case RTA_NH_ID:
        r['nhid'] = readU32(a.value);
        break;
      case RTA_PREF:
        r['pref'] = nameOf(ROUTE_PREFS, readU8(a.value));
        break;
      case RTA_MARK:
        r['mark'] = readU32(a.value);
        break;
      case RTA_UID:
        r['uid'] = readU32(a.value);
        break;
      case RTA_FLOW:
        r['realm'] = readU32(a.value);
        break;
      case RTA_CACHEINFO: {
        // struct rta_cacheinfo: rta_expires (s32, USER_HZ ticks) at offset 8; 0 = never.
        if (a.value.length >= 12) {
          const ticks = new DataView(a.value.buffer, a.value.byteOffset, a.value.byteLength).getInt32(8, true);
          if (ticks !== 0) r['expires'] = Math.max(1, Math.ceil(ticks / USER_HZ));
        }
        break;
      }
    }
  }
  const zero = family === 'inet' ? '0.0.0.0' : '::';
  return {
    family,
    dst: `${dst ?? zero}/${dstLen}`,
    dstLen,
    ...(src !== undefined || srcLen > 0 ? { src: `${src ?? zero}/${srcLen}` } : {}),
    tos: p[3] ?? 0,
    table,
    protocol: nameOf(ROUTE_PROTOCOLS, p[5] ?? 0),
    scope: nameOf(SCOPES, p[6] ?? 0),
    type: nameOf(ROUTE_TYPES, p[7] ?? 0),
    flags: maskToFlags(flagBits & 0xff, NEXTHOP_FLAGS),
    flagBits,
    ...r,
  } as Route;
}

/** USER_HZ clock ticks per second (the unit of rta_cacheinfo.rta_expires). */
const USER_HZ = 100;

/**
 * The spec that re-creates `r` (for snapshot / restore), usable as is for add, replace and delete. A
 * route through a nexthop object keeps only `nhid`: the kernel reports the object's gateway and
 * interface with it but refuses them in a request.
 */
export function routeToSpec(r: Route): RouteSpec {
  const s: Record<string, unknown> = {
    dst: r.dst,
    family: r.family,
    table: r.table,
    protocol: r.protocol,
    scope: r.scope,
    type: typeof r.type === 'string' ? r.type : 'unicast',
  };
  if (r.src !== undefined) s['src'] = r.src;
  if (r.tos) s['tos'] = r.tos;
  if (r.metric !== undefined) s['metric'] = r.metric;
  if (r.prefsrc !== undefined) s['prefsrc'] = r.prefsrc;
  if (r.metrics !== undefined) s['metrics'] = r.metrics;
  if (r.realm !== undefined) s['realm'] = r.realm;
  if (r.expires !== undefined && r.family === 'inet6') s['expires'] = r.expires;
  if (r.nhid !== undefined)
    s['nhid'] = r.nhid; // gateway, oif, onlink and paths belong to the object
  else if (r.multipath === undefined) {
    if (r.gateway !== undefined) s['gateway'] = r.gateway;
    if (r.oif !== undefined) s['oif'] = r.oif;
    if (r.flags.includes('onlink')) s['onlink'] = true;
  } else {
    s['multipath'] = r.multipath.map((h) => ({
      ...(h.gateway !== undefined && { gateway: h.gateway }),
      ...(h.oif > 0 && { oif: h.oif }),
      weight: h.weight,
      ...(h.flags.includes('onlink') && { onlink: true }),
    }));
  }
  if (typeof r.pref === 'string') s['pref'] = r.pref;
  return s as unknown as RouteSpec;
}

const toNum = (names: Readonly<Record<string, number>>, v: string | number): number =>
  typeof v === 'number' ? v : (names[v] ?? -1);

function* linkRefs(spec: RouteSpec): Generator<[string | number, string]> {
  if (spec.oif !== undefined) yield [spec.oif, 'oif'];
  if (Array.isArray(spec.multipath)) {
    for (let i = 0; i < spec.multipath.length; i++) {
      const o = spec.multipath[i]?.oif;
      if (o !== undefined) yield [o, `multipath[${i}].oif`];
    }
  }
}

/** Routes of one namespace; reach it as `nl.route`. */
export class RouteApi {
  constructor(private readonly transport: RtnlTransport) {}

  /**
   * Lists routes (default: table main, both families), filtered by the kernel's strict dump filtering
   * where available and again here; cloned / cached entries are left out.
   * @throws InvalidArgumentError, LinkNotFoundError, NetlinkError
   */
  async *list(filter: RouteFilter = {}, opts?: CallOptions): AsyncIterable<Route> {
    checkFamily('family', filter.family);
    const table =
      filter.table === 'all' ? 0 : filter.table === undefined ? RT_TABLE_MAIN : tableId('table', filter.table);
    const protocol = filter.protocol === undefined ? 0 : checkNamed('protocol', filter.protocol, ROUTE_PROTOCOLS, 255);
    const type = filter.type === undefined ? 0 : checkNamed('type', filter.type, ROUTE_TYPES, 255);
    const oif = filter.oif === undefined ? 0 : await resolveLink(this.transport, 'oif', filter.oif, sig(opts));
    const req = encodeRouteDump({ ...(filter.family && { family: filter.family }), table, oif, protocol, type });
    for await (const msg of this.transport.dump(req, sig(opts))) {
      const r = decodeRoute(msg);
      if (!r) continue;
      if (r.flagBits & RTM_F_CLONED) continue;
      if (filter.family && r.family !== filter.family) continue;
      if (table && r.table !== table) continue;
      if (protocol && toNum(ROUTE_PROTOCOLS, r.protocol) !== protocol) continue;
      if (type && toNum(ROUTE_TYPES, r.type) !== type) continue;
      if (oif && r.oif !== oif && !r.multipath?.some((h) => h.oif === oif)) continue;
      yield r;
    }
  }

  /**
   * Asks the kernel which route it would use for `dst` (as `ip route get`).
   * @throws InvalidArgumentError, NetlinkError (ENETUNREACH when there is none), ProtocolError
   */
  async get(dst: string, opts: RouteGetOptions = {}): Promise<Route> {
    requireIp('dst', dst);
    const iif = opts.iif === undefined ? undefined : await resolveLink(this.transport, 'iif', opts.iif, sig(opts));
    const oif = opts.oif === undefined ? undefined : await resolveLink(this.transport, 'oif', opts.oif, sig(opts));
    const req = encodeRouteGet(dst, {
      ...(opts.src !== undefined && { src: opts.src }),
      ...(iif !== undefined && { iif }),
      ...(oif !== undefined && { oif }),
      ...(opts.mark !== undefined && { mark: opts.mark }),
      ...(opts.fibMatch !== undefined && { fibMatch: opts.fibMatch }),
    });
    const replies = await this.transport.request(req, sig(opts));
    for (const m of replies) {
      const r = decodeRoute(m);
      if (r) return r;
    }
    throw new ProtocolError(`the kernel sent no route for ${dst}`);
  }

  /** Adds a route; EEXIST when the same route exists. @throws InvalidArgumentError, NetlinkError */
  async add(spec: RouteSpec, opts?: CallOptions): Promise<void> {
    await this.send('add', spec, opts);
  }
  /** Adds or replaces the route with the same destination, table, tos and metric. @throws InvalidArgumentError, NetlinkError */
  async replace(spec: RouteSpec, opts?: CallOptions): Promise<void> {
    await this.send('replace', spec, opts);
  }
  /** Appends a route (another path for the same destination; IPv6 merges it into multipath). @throws InvalidArgumentError, NetlinkError */
  async append(spec: RouteSpec, opts?: CallOptions): Promise<void> {
    await this.send('append', spec, opts);
  }
  /** Deletes the first route matching the given fields. @throws InvalidArgumentError, NetlinkError */
  async delete(spec: RouteSpec, opts?: CallOptions): Promise<void> {
    await this.send('delete', spec, opts);
  }

  /**
   * Applies one operation to many routes in as few sends as fit, and reports each item; a kernel
   * refusal of one route does not stop the others. Every spec is validated before anything is sent.
   * @throws InvalidArgumentError (field prefixed `routes[i].`), LinkNotFoundError
   */
  async batch(op: RouteOp, routes: readonly RouteSpec[], opts?: CallOptions): Promise<BatchItemResult[]> {
    if (!Array.isArray(routes as unknown)) throw new InvalidArgumentError('routes', routes, 'must be an array');
    const link = await this.resolver(routes, opts, (i) => `routes[${i}].`);
    const msgs = new Array<Uint8Array>(routes.length);
    const w = new RouteWriter(BATCH_ARENA);
    for (let i = 0; i < routes.length; i++) msgs[i] = encodeRouteWith(w, false, op, routes[i]!, link, `routes[${i}].`);
    return this.transport.batch(msgs, sig(opts));
  }

  /** `batch('add', routes)`. */
  addMany(routes: readonly RouteSpec[], opts?: CallOptions): Promise<BatchItemResult[]> {
    return this.batch('add', routes, opts);
  }
  /** `batch('delete', routes)`. */
  deleteMany(routes: readonly RouteSpec[], opts?: CallOptions): Promise<BatchItemResult[]> {
    return this.batch('delete', routes, opts);
  }

  private async send(op: RouteOp, spec: RouteSpec, opts: CallOptions | undefined): Promise<void> {
    // Validate everything (names included) before any lookup or send.
    encodeRoute(op, spec, (ref, f) => {
      checkLinkRef(f, ref);
      return 1;
    });
    const link = await this.resolver([spec], opts, () => '');
    await this.transport.request(encodeRoute(op, spec, link), sig(opts));
  }

  /** Resolves every interface name the specs use (each name once), then maps synchronously. */
  private async resolver(
    specs: readonly RouteSpec[],
    opts: CallOptions | undefined,
    prefix: (i: number) => string,
  ): Promise<LinkIndexes> {
    const cache = new Map<string, number>();
    for (let i = 0; i < specs.length; i++) {
      const s = specs[i];
      if (s === null || typeof s !== 'object') continue;
      for (const [ref, f] of linkRefs(s)) {
        if (typeof ref === 'string' && !cache.has(ref)) {
          await resolveLink(this.transport, `${prefix(i)}${f}`, ref, sig(opts), cache);
        }
      }
    }
    return (ref, field) => {
      if (typeof ref === 'number') return checkInt(field, ref, 1, 0x7fffffff);
      const idx = cache.get(ref);
      if (idx === undefined) throw new InvalidArgumentError(field, ref, 'is not a known interface');
      return idx;
    };
  }
}
