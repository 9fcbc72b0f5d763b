/**
 * Neighbours and bridge / VXLAN forwarding entries (RTM_NEWNEIGH / RTM_DELNEIGH / RTM_GETNEIGH):
 * struct ndmsg + NDA_* attributes. `family: 'bridge'` (AF_BRIDGE) addresses the FDB.
 */
import {
  MessageBuilder,
  NLM_F_APPEND,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  NLM_F_REQUEST,
  attrs,
  readBe16,
  readU16,
  readU32,
  readU8,
  type NlMessage,
} from './codec/nlmsg.js';
import {
  AF_BRIDGE,
  afToFamily,
  familyToAf,
  formatIp,
  formatMac,
  requireIp,
  requireMac,
  type IpFamily,
} from './addr.js';
import type { CallOptions, RtnlTransport } from './transport.js';
import {
  InvalidArgumentError,
  U32_MAX,
  checkInt,
  checkLinkRef,
  flagsToMask,
  maskToFlags,
  resolveLink,
  sig,
} from './validate.js';

export const RTM_NEWNEIGH = 28;
export const RTM_DELNEIGH = 29;
export const RTM_GETNEIGH = 30;

export const NDA_DST = 1;
export const NDA_LLADDR = 2;
export const NDA_CACHEINFO = 3;
export const NDA_PROBES = 4;
export const NDA_VLAN = 5;
export const NDA_PORT = 6;
export const NDA_VNI = 7;
export const NDA_IFINDEX = 8;
export const NDA_MASTER = 9;
export const NDA_LINK_NETNSID = 10;
export const NDA_SRC_VNI = 11;
export const NDA_PROTOCOL = 12;
export const NDA_NH_ID = 13;
export const NDA_FLAGS_EXT = 15;

/** NUD_* states by name. */
export const NEIGH_STATES = {
  incomplete: 0x01,
  reachable: 0x02,
  stale: 0x04,
  delay: 0x08,
  probe: 0x10,
  failed: 0x20,
  noarp: 0x40,
  permanent: 0x80,
} as const;
export type NeighState = keyof typeof NEIGH_STATES;

/** NTF_* flags by name. */
export const NEIGH_FLAGS = {
  use: 0x01,
  self: 0x02,
  master: 0x04,
  proxy: 0x08,
  extern_learn: 0x10,
  offloaded: 0x20,
  sticky: 0x40,
  router: 0x80,
} as const;
export type NeighFlag = keyof typeof NEIGH_FLAGS;

export type NeighFamily = IpFamily | 'bridge';

/** A neighbour / FDB entry to add, replace, append or delete. */
export interface NeighSpec {
  /** Interface (for FDB entries: the bridge port or the VXLAN device), by name or index. */
  readonly link: string | number;
  /** Default: the family of `dst`, or `bridge` when there is no `dst`. A VXLAN FDB entry with a remote needs `bridge`. */
  readonly family?: NeighFamily;
  /**
   * Protocol address (neighbours), or the remote VTEP of a VXLAN FDB entry (with `family: 'bridge'`).
   */
  readonly dst?: string;
  /** Link-layer address (`02:00:00:00:00:01`); the FDB key for bridge entries. */
  readonly lladdr?: string;
  /**
   * Default `permanent` for neighbours (as `ip neigh add`); for FDB entries `noarp`+`reachable` (bridge(8)
   * `static`) with the `master` flag, else `noarp`+`permanent` (bridge(8) `permanent`).
   */
  readonly state?: NeighState | readonly NeighState[];
  /** e.g. `['proxy']`, `['router']`; FDB entries default to `['self']` unless `master` is given. */
  readonly flags?: readonly NeighFlag[];
  /** FDB VLAN id 1..4094 (NDA_VLAN). */
  readonly vlan?: number;
  /** VXLAN FDB: destination UDP port (NDA_PORT). */
  readonly port?: number;
  /** VXLAN FDB: VNI (NDA_VNI). */
  readonly vni?: number;
  /** VXLAN FDB: source VNI for collect-metadata devices (NDA_SRC_VNI). */
  readonly srcVni?: number;
  /** VXLAN FDB: outgoing interface for the remote (NDA_IFINDEX). */
  readonly via?: string | number;
  /** Originator (NDA_PROTOCOL, 0..255). */
  readonly protocol?: number;
  /** FDB: use nexthop group (NDA_NH_ID). */
  readonly nhid?: number;
}

/** A neighbour / FDB entry as the kernel reports it. */
export interface Neigh {
  readonly family: NeighFamily;
  readonly index: number;
  readonly dst?: string;
  readonly lladdr?: string;
  readonly state: readonly NeighState[];
  readonly stateBits: number;
  readonly flags: readonly NeighFlag[];
  readonly flagBits: number;
  /** ndm_type (RTN_* of the destination). */
  readonly type: number;
  readonly vlan?: number;
  readonly port?: number;
  readonly vni?: number;
  readonly srcVni?: number;
  readonly via?: number;
  readonly master?: number;
  readonly probes?: number;
  readonly protocol?: number;
  readonly nhid?: number;
}

/** Filter for {@link NeighApi.list}. */
export interface NeighFilter {
  /** Default: IPv4 and IPv6 neighbours; `bridge` lists the FDB. */
  readonly family?: NeighFamily;
  readonly link?: string | number;
  /** Only entries of ports enslaved to this master (NDA_MASTER). */
  readonly master?: string | number;
  /** List proxy entries (NTF_PROXY) instead of neighbours. */
  readonly proxy?: boolean;
}

export type NeighOp = 'add' | 'replace' | 'append' | 'delete';

const OP_FLAGS: Record<NeighOp, number> = {
  add: NLM_F_CREATE | NLM_F_EXCL,
  replace: NLM_F_CREATE | NLM_F_REPLACE,
  append: NLM_F_CREATE | NLM_F_APPEND,
  delete: 0,
};

const familyAf = (f: NeighFamily): number => (f === 'bridge' ? AF_BRIDGE : familyToAf(f));

function neighFamily(spec: NeighSpec): NeighFamily {
  if (spec === null || typeof spec !== 'object') throw new InvalidArgumentError('neigh', spec, 'must be an object');
  const f = spec.family;
  if (f !== undefined && f !== 'inet' && f !== 'inet6' && f !== 'bridge') {
    throw new InvalidArgumentError('family', f, "must be 'inet', 'inet6' or 'bridge'");
  }
  if (f) return f;
  if (spec.dst === undefined) return 'bridge';
  return requireIp('dst', spec.dst).family;
}

/** Checks a spec without resolving links. @throws InvalidArgumentError */
function checkNeigh(spec: NeighSpec): NeighFamily {
  const family = neighFamily(spec);
  checkLinkRef('link', spec.link);
  if (spec.via !== undefined) checkLinkRef('via', spec.via);
  return family;
}

/**
 * Encodes one neighbour / FDB message for interface `ifindex` (and `viaIndex` for NDA_IFINDEX).
 * @throws InvalidArgumentError naming the bad field
 */
export function encodeNeigh(op: NeighOp, spec: NeighSpec, ifindex: number, viaIndex?: number): Uint8Array {
  const family = neighFamily(spec);
  checkInt('link', ifindex, 1, 0x7fffffff);
  const bridge = family === 'bridge';
  let flags = flagsToMask('flags', spec.flags, NEIGH_FLAGS);
  const proxy = (flags & NEIGH_FLAGS.proxy) !== 0;
  if (bridge && !(flags & (NEIGH_FLAGS.self | NEIGH_FLAGS.master))) flags |= NEIGH_FLAGS.self;

  let state: number;
  if (spec.state === undefined) {
    if (!bridge) state = NEIGH_STATES.permanent;
    // bridge(8) "static" for entries in the master's FDB, "permanent" for a device's own (VXLAN needs it)
    else if (flags & NEIGH_FLAGS.master) state = NEIGH_STATES.noarp | NEIGH_STATES.reachable;
    else state = NEIGH_STATES.noarp | NEIGH_STATES.permanent;
  } else state = flagsToMask('state', Array.isArray(spec.state) ? spec.state : [spec.state], NEIGH_STATES);

  const dst = spec.dst === undefined ? undefined : requireIp('dst', spec.dst, bridge ? undefined : family);
  if (!bridge && !dst) throw new InvalidArgumentError('dst', spec.dst, 'is required for an IP neighbour');
  const lladdr = spec.lladdr === undefined ? undefined : requireMac('lladdr', spec.lladdr);
  if (bridge && !lladdr) throw new InvalidArgumentError('lladdr', spec.lladdr, 'is required for an FDB entry');
  if (
    !bridge &&
    !proxy &&
    !lladdr &&
    op !== 'delete' &&
    state & (NEIGH_STATES.permanent | NEIGH_STATES.reachable | NEIGH_STATES.stale)
  ) {
    throw new InvalidArgumentError('lladdr', spec.lladdr, `is required for a ${spec.state ?? 'permanent'} neighbour`);
  }
  if (!bridge) {
    for (const k of ['vlan', 'port', 'vni', 'srcVni', 'via', 'nhid'] as const) {
      if (spec[k] !== undefined) throw new InvalidArgumentError(k, spec[k], 'applies to FDB entries only');
    }
  }

  const hdr = new Uint8Array(12);
  const dv = new DataView(hdr.buffer);
  hdr[0] = familyAf(family);
  dv.setInt32(4, ifindex, true);
  dv.setUint16(8, state, true);
  hdr[10] = flags;
  const b = new MessageBuilder(op === 'delete' ? RTM_DELNEIGH : RTM_NEWNEIGH, NLM_F_REQUEST | OP_FLAGS[op], hdr, 128);
  if (dst) b.attr(NDA_DST, dst.bytes);
  if (lladdr) b.attr(NDA_LLADDR, lladdr);
  if (spec.vlan !== undefined) b.u16(NDA_VLAN, checkInt('vlan', spec.vlan, 1, 4094));
  if (spec.port !== undefined) b.be16(NDA_PORT, checkInt('port', spec.port, 0, 0xffff));
  if (spec.vni !== undefined) b.u32(NDA_VNI, checkInt('vni', spec.vni, 0, 0xffffff));
  if (viaIndex !== undefined) b.u32(NDA_IFINDEX, checkInt('via', viaIndex, 1, 0x7fffffff));
  if (spec.srcVni !== undefined) b.u32(NDA_SRC_VNI, checkInt('srcVni', spec.srcVni, 0, 0xffffff));
  if (spec.protocol !== undefined) b.u8(NDA_PROTOCOL, checkInt('protocol', spec.protocol, 0, 255));
  if (spec.nhid !== undefined) b.u32(NDA_NH_ID, checkInt('nhid', spec.nhid, 1, U32_MAX));
  return b.finish();
}

/**
 * Encodes an RTM_GETNEIGH dump. IP families filter with NDA_IFINDEX / NDA_MASTER attributes (and
 * NTF_PROXY for proxy entries); the bridge family filters on ndm_ifindex (port) and NDA_MASTER.
 */
export function encodeNeighDump(
  f: { family?: NeighFamily; ifindex?: number; master?: number; proxy?: boolean } = {},
): Uint8Array {
  const hdr = new Uint8Array(12);
  hdr[0] = f.family ? familyAf(f.family) : 0;
  const bridge = f.family === 'bridge';
  if (bridge && f.ifindex) new DataView(hdr.buffer).setInt32(4, f.ifindex, true);
  if (f.proxy) hdr[10] = NEIGH_FLAGS.proxy;
  const b = new MessageBuilder(RTM_GETNEIGH, NLM_F_REQUEST, hdr, 64);
  if (!bridge && f.ifindex) b.u32(NDA_IFINDEX, f.ifindex);
  if (f.master) b.u32(NDA_MASTER, f.master);
  return b.finish();
}

/**
 * Decodes an RTM_NEWNEIGH / RTM_DELNEIGH message (dump reply or notification); `undefined` for other
 * types and families other than IPv4, IPv6 and bridge.
 */
export function decodeNeigh(msg: NlMessage): Neigh | undefined {
  if ((msg.type !== RTM_NEWNEIGH && msg.type !== RTM_DELNEIGH) || msg.payload.length < 12) return undefined;
  const p = msg.payload;
  const af = p[0] ?? 0;
  const family: NeighFamily | undefined = af === AF_BRIDGE ? 'bridge' : afToFamily(af);
  if (!family) return undefined;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const stateBits = dv.getUint16(8, true);
  const flagBits = p[10] ?? 0;
  const r: Record<string, unknown> = {};
  for (const a of attrs(p.subarray(12))) {
    switch (a.type) {
      case NDA_DST:
        r['dst'] = formatIp(a.value);
        break;
      case NDA_LLADDR:
        r['lladdr'] = formatMac(a.value);
        break;
      case NDA_VLAN:
        r['vlan'] = readU16(a.value);
        break;
      case NDA_PORT:
        r['port'] = readBe16(a.value);
        break;
      case NDA_VNI:
        r['vni'] = readU32(a.value);
        break;
      case NDA_SRC_VNI:
        r['srcVni'] = readU32(a.value);
        break;
      case NDA_IFINDEX:
        r['via'] = readU32(a.value);
        break;
      case NDA_MASTER:
        r['master'] = readU32(a.value);
        break;
      case NDA_PROBES:
        r['probes'] = readU32(a.value);
        break;
      case NDA_PROTOCOL:
        r['protocol'] = readU8(a.value);
        break;
      case NDA_NH_ID:
        r['nhid'] = readU32(a.value);
        break;
    }
  }
  return {
    family,
    index: dv.getInt32(4, true),
    state: maskToFlags(stateBits, NEIGH_STATES),
    stateBits,
    flags: maskToFlags(flagBits, NEIGH_FLAGS),
    flagBits,
    type: p[11] ?? 0,
    ...r,
  } as Neigh;
}

/** Neighbours, proxy entries and FDB entries of one namespace; reach it as `nl.neigh`. */
export class NeighApi {
  constructor(private readonly transport: RtnlTransport) {}

  /**
   * Lists neighbours (default both IP families), proxy entries (`proxy: true`) or FDB entries
   * (`family: 'bridge'`), filtered by the kernel where it can and again here.
   * @throws InvalidArgumentError, LinkNotFoundError, NetlinkError
   */
  async *list(filter: NeighFilter = {}, opts?: CallOptions): AsyncIterable<Neigh> {
    const f = filter.family;
    if (f !== undefined && f !== 'inet' && f !== 'inet6' && f !== 'bridge') {
      throw new InvalidArgumentError('family', f, "must be 'inet', 'inet6' or 'bridge'");
    }
    const ifindex = filter.link === undefined ? 0 : await resolveLink(this.transport, 'link', filter.link, sig(opts));
    const master =
      filter.master === undefined ? 0 : await resolveLink(this.transport, 'master', filter.master, sig(opts));
    const families: (NeighFamily | undefined)[] = f ? [f] : filter.proxy ? ['inet', 'inet6'] : [undefined];
    for (const family of families) {
      const req = encodeNeighDump({
        ...(family && { family }),
        ifindex,
        master,
        ...(filter.proxy && { proxy: true }),
      });
      for await (const msg of this.transport.dump(req, sig(opts))) {
        const n = decodeNeigh(msg);
        if (!n) continue;
        if (f ? n.family !== f : n.family === 'bridge') continue;
        if (ifindex && n.index !== ifindex) continue;
        if (filter.proxy !== undefined && filter.proxy !== n.flags.includes('proxy')) continue;
        yield n;
      }
    }
  }

  /** Adds an entry; EEXIST when one exists. @throws InvalidArgumentError, NetlinkError */
  async add(spec: NeighSpec, opts?: CallOptions): Promise<void> {
    await this.send('add', spec, opts);
  }
  /** Adds or updates an entry. @throws InvalidArgumentError, NetlinkError */
  async replace(spec: NeighSpec, opts?: CallOptions): Promise<void> {
    await this.send('replace', spec, opts);
  }
  /** Appends an FDB entry (another remote for the same MAC on a VXLAN device). @throws InvalidArgumentError, NetlinkError */
  async append(spec: NeighSpec, opts?: CallOptions): Promise<void> {
    await this.send('append', spec, opts);
  }
  /** Deletes an entry. @throws InvalidArgumentError, NetlinkError */
  async delete(spec: NeighSpec, opts?: CallOptions): Promise<void> {
    await this.send('delete', spec, opts);
  }

  private async send(op: NeighOp, spec: NeighSpec, opts: CallOptions | undefined): Promise<void> {
    checkNeigh(spec);
    encodeNeigh(op, spec, 1, spec.via === undefined ? undefined : 1); // validate before any lookup
    const ifindex = await resolveLink(this.transport, 'link', spec.link, sig(opts));
    const via = spec.via === undefined ? undefined : await resolveLink(this.transport, 'via', spec.via, sig(opts));
    await this.transport.request(encodeNeigh(op, spec, ifindex, via), sig(opts));
  }
}
