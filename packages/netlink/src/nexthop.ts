/**
 * Nexthop objects and groups (RTM_NEWNEXTHOP / RTM_DELNEXTHOP / RTM_GETNEXTHOP): struct nhmsg + NHA_*
 * attributes; routes point at them with `nhid` (RTA_NH_ID).
 */
import {
  MessageBuilder,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  NLM_F_REQUEST,
  attrs,
  readU16,
  readU32,
  type NlMessage,
} from './codec/nlmsg.js';
import { afToFamily, checkFamily, familyToAf, formatIp, requireIp, type IpFamily, type Scope, SCOPES } from './addr.js';
import { NEXTHOP_FLAGS, ROUTE_PROTOCOLS, type NexthopFlag, type RouteProtocol } from './route.js';
import { ProtocolError } from './errors.js';
import type { CallOptions, RtnlTransport } from './transport.js';
import {
  InvalidArgumentError,
  U32_MAX,
  checkInt,
  checkLinkRef,
  checkNamed,
  maskToFlags,
  nameOf,
  resolveLink,
  sig,
} from './validate.js';

export const RTM_NEWNEXTHOP = 104;
export const RTM_DELNEXTHOP = 105;
export const RTM_GETNEXTHOP = 106;

export const NHA_ID = 1;
export const NHA_GROUP = 2;
export const NHA_GROUP_TYPE = 3;
export const NHA_BLACKHOLE = 4;
export const NHA_OIF = 5;
export const NHA_GATEWAY = 6;
export const NHA_ENCAP_TYPE = 7;
export const NHA_ENCAP = 8;
export const NHA_GROUPS = 9;
export const NHA_MASTER = 10;
export const NHA_FDB = 11;
export const NHA_RES_GROUP = 12;

export const NHA_RES_GROUP_BUCKETS = 1;
export const NHA_RES_GROUP_IDLE_TIMER = 2;
export const NHA_RES_GROUP_UNBALANCED_TIMER = 3;

/** NEXTHOP_GRP_TYPE_* by name. */
export const NEXTHOP_GROUP_TYPES = { mpath: 0, resilient: 1 } as const;
export type NexthopGroupType = keyof typeof NEXTHOP_GROUP_TYPES;

/** A member of a nexthop group. */
export interface NexthopGroupMember {
  readonly id: number;
  /** 1..256 (default 1); sent as weight - 1. */
  readonly weight?: number;
}

/** A nexthop object or group to add or replace. */
export interface NexthopSpec {
  /** 1..2^32-1. */
  readonly id: number;
  /** Default: the gateway's family, else `inet` (groups carry no family). */
  readonly family?: IpFamily;
  readonly gateway?: string;
  readonly oif?: string | number;
  readonly onlink?: boolean;
  /** Drop packets; excludes gateway and oif. */
  readonly blackhole?: boolean;
  /** Used by a bridge / VXLAN FDB (NHA_FDB); excludes oif and blackhole. */
  readonly fdb?: boolean;
  /** Default `unspec` (as iproute2). */
  readonly protocol?: RouteProtocol;
  /** Members of a group; excludes gateway, oif and blackhole. */
  readonly group?: readonly NexthopGroupMember[];
  /** Default `mpath`. */
  readonly groupType?: NexthopGroupType;
  /** Resilient groups: buckets and timers (seconds, as clock_t hundredths). */
  readonly resilient?: { readonly buckets?: number; readonly idleTimer?: number; readonly unbalancedTimer?: number };
}

/** A nexthop as the kernel reports it. */
export interface Nexthop {
  readonly id: number;
  /** `undefined` for groups (AF_UNSPEC). */
  readonly family?: IpFamily;
  readonly gateway?: string;
  readonly oif?: number;
  readonly blackhole: boolean;
  readonly fdb: boolean;
  readonly group?: readonly { readonly id: number; readonly weight: number }[];
  readonly groupType?: NexthopGroupType | number;
  readonly protocol: RouteProtocol;
  readonly scope: Scope;
  readonly flags: readonly NexthopFlag[];
}

/** Filter for {@link NexthopApi.list}. */
export interface NexthopFilter {
  readonly oif?: string | number;
  readonly master?: string | number;
  /** Only groups. */
  readonly groups?: boolean;
  /** Only FDB nexthops. */
  readonly fdb?: boolean;
  readonly family?: IpFamily;
}

export type NexthopOp = 'add' | 'replace';

/** USER_HZ clock ticks per second, the unit of the resilient-group timers. */
const USER_HZ = 100;

function checkNexthop(spec: NexthopSpec): void {
  if (spec === null || typeof spec !== 'object') throw new InvalidArgumentError('nexthop', spec, 'must be an object');
  checkInt('id', spec.id, 1, U32_MAX);
  if (spec.oif !== undefined) checkLinkRef('oif', spec.oif);
}

/**
 * Encodes RTM_NEWNEXTHOP (add / replace) with the output interface already resolved to `oifIndex`.
 * @throws InvalidArgumentError naming the bad field
 */
export function encodeNexthop(op: NexthopOp, spec: NexthopSpec, oifIndex?: number): Uint8Array {
  checkNexthop(spec);
  const isGroup = spec.group !== undefined;
  const gw = spec.gateway === undefined ? undefined : requireIp('gateway', spec.gateway, spec.family);
  if (isGroup) {
    for (const k of ['gateway', 'oif', 'blackhole', 'onlink'] as const) {
      if (spec[k] !== undefined && spec[k] !== false)
        throw new InvalidArgumentError(k, spec[k], 'cannot be set on a group');
    }
    if (!Array.isArray(spec.group) || spec.group.length === 0) {
      throw new InvalidArgumentError('group', spec.group, 'must be a non-empty array of { id, weight }');
    }
  } else {
    if (spec.blackhole && (gw || spec.oif !== undefined)) {
      throw new InvalidArgumentError('blackhole', spec.blackhole, 'excludes gateway and oif');
    }
    if (spec.fdb && (spec.oif !== undefined || spec.blackhole)) {
      throw new InvalidArgumentError('fdb', spec.fdb, 'excludes oif and blackhole');
    }
    if (!spec.blackhole && !spec.fdb && spec.oif === undefined) {
      throw new InvalidArgumentError('oif', spec.oif, 'is required unless blackhole or fdb');
    }
    if (spec.fdb && !gw) throw new InvalidArgumentError('gateway', spec.gateway, 'is required for an fdb nexthop');
    if (spec.groupType !== undefined || spec.resilient !== undefined) {
      throw new InvalidArgumentError('groupType', spec.groupType ?? spec.resilient, 'applies to groups only');
    }
  }
  checkFamily('family', spec.family);
  const family = isGroup ? undefined : (spec.family ?? gw?.family ?? 'inet');
  const protocol =
    spec.protocol === undefined ? ROUTE_PROTOCOLS.unspec : checkNamed('protocol', spec.protocol, ROUTE_PROTOCOLS, 255);

  const hdr = new Uint8Array(8);
  hdr[0] = family ? familyToAf(family) : 0;
  hdr[2] = protocol;
  new DataView(hdr.buffer).setUint32(4, spec.onlink ? NEXTHOP_FLAGS.onlink : 0, true);
  const flags = NLM_F_REQUEST | NLM_F_CREATE | (op === 'add' ? NLM_F_EXCL : NLM_F_REPLACE);
  const b = new MessageBuilder(RTM_NEWNEXTHOP, flags, hdr, 128);
  b.u32(NHA_ID, spec.id);
  if (isGroup) {
    const g = new Uint8Array(8 * spec.group!.length);
    const dv = new DataView(g.buffer);
    spec.group!.forEach((m, i) => {
      if (m === null || typeof m !== 'object')
        throw new InvalidArgumentError(`group[${i}]`, m, 'must be { id, weight }');
      dv.setUint32(i * 8, checkInt(`group[${i}].id`, m.id, 1, U32_MAX), true);
      g[i * 8 + 4] = (m.weight === undefined ? 1 : checkInt(`group[${i}].weight`, m.weight, 1, 256)) - 1;
    });
    b.attr(NHA_GROUP, g);
    const type =
      spec.groupType === undefined ? 0 : checkNamed('groupType', spec.groupType, NEXTHOP_GROUP_TYPES, 0xffff);
    if (spec.resilient !== undefined) {
      if (type !== NEXTHOP_GROUP_TYPES.resilient) {
        throw new InvalidArgumentError('resilient', spec.resilient, "needs groupType 'resilient'");
      }
      const r = spec.resilient;
      b.nest(NHA_RES_GROUP);
      if (r.buckets !== undefined) b.u16(NHA_RES_GROUP_BUCKETS, checkInt('resilient.buckets', r.buckets, 1, 0xffff));
      if (r.idleTimer !== undefined) {
        b.u32(
          NHA_RES_GROUP_IDLE_TIMER,
          checkInt('resilient.idleTimer', r.idleTimer, 0, Math.floor(U32_MAX / USER_HZ)) * USER_HZ,
        );
      }
      if (r.unbalancedTimer !== undefined) {
        b.u32(
          NHA_RES_GROUP_UNBALANCED_TIMER,
          checkInt('resilient.unbalancedTimer', r.unbalancedTimer, 0, Math.floor(U32_MAX / USER_HZ)) * USER_HZ,
        );
      }
      b.end();
    }
    if (spec.groupType !== undefined) b.u16(NHA_GROUP_TYPE, type);
    if (spec.fdb) b.flag(NHA_FDB);
  } else {
    if (spec.blackhole) b.flag(NHA_BLACKHOLE);
    if (gw) {
      if (gw.family !== family) throw new InvalidArgumentError('gateway', spec.gateway, `must be in family ${family}`);
      b.attr(NHA_GATEWAY, gw.bytes);
    }
    if (oifIndex !== undefined) b.u32(NHA_OIF, checkInt('oif', oifIndex, 1, 0x7fffffff));
    else if (spec.oif !== undefined) throw new InvalidArgumentError('oif', spec.oif, 'was not resolved to an index');
    if (spec.fdb) b.flag(NHA_FDB);
  }
  return b.finish();
}

/** Encodes RTM_DELNEXTHOP (`delete`) or a single RTM_GETNEXTHOP (`get`) for `id`. */
export function encodeNexthopId(op: 'delete' | 'get', id: number): Uint8Array {
  checkInt('id', id, 1, U32_MAX);
  return new MessageBuilder(op === 'delete' ? RTM_DELNEXTHOP : RTM_GETNEXTHOP, NLM_F_REQUEST, 8, 32)
    .u32(NHA_ID, id)
    .finish();
}

/** Encodes an RTM_GETNEXTHOP dump with the kernel's filter attributes (NHA_OIF, NHA_MASTER, NHA_GROUPS, NHA_FDB). */
export function encodeNexthopDump(
  f: { oif?: number; master?: number; groups?: boolean; fdb?: boolean } = {},
): Uint8Array {
  const b = new MessageBuilder(RTM_GETNEXTHOP, NLM_F_REQUEST, 8, 64);
  if (f.oif) b.u32(NHA_OIF, f.oif);
  if (f.master) b.u32(NHA_MASTER, f.master);
  if (f.groups) b.flag(NHA_GROUPS);
  if (f.fdb) b.flag(NHA_FDB);
  return b.finish();
}

/** Decodes an RTM_NEWNEXTHOP / RTM_DELNEXTHOP message; `undefined` for other types. */
export function decodeNexthop(msg: NlMessage): Nexthop | undefined {
  if ((msg.type !== RTM_NEWNEXTHOP && msg.type !== RTM_DELNEXTHOP) || msg.payload.length < 8) return undefined;
  const p = msg.payload;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const family = afToFamily(p[0] ?? 0);
  let id = 0;
  let blackhole = false;
  let fdb = false;
  const r: Record<string, unknown> = {};
  for (const a of attrs(p.subarray(8))) {
    switch (a.type) {
      case NHA_ID:
        id = readU32(a.value);
        break;
      case NHA_GATEWAY:
        r['gateway'] = formatIp(a.value);
        break;
      case NHA_OIF:
        r['oif'] = readU32(a.value);
        break;
      case NHA_BLACKHOLE:
        blackhole = true;
        break;
      case NHA_FDB:
        fdb = true;
        break;
      case NHA_GROUP_TYPE:
        r['groupType'] = nameOf(NEXTHOP_GROUP_TYPES, readU16(a.value));
        break;
      case NHA_GROUP: {
        const g: { id: number; weight: number }[] = [];
        const gv = new DataView(a.value.buffer, a.value.byteOffset, a.value.byteLength);
        for (let off = 0; off + 8 <= a.value.length; off += 8) {
          // weight - 1 in the low byte; newer kernels put bits 8..15 in the next (formerly reserved) byte.
          g.push({ id: gv.getUint32(off, true), weight: (gv.getUint8(off + 4) | (gv.getUint8(off + 5) << 8)) + 1 });
        }
        r['group'] = g;
        break;
      }
    }
  }
  if (r['group'] && r['groupType'] === undefined) r['groupType'] = 'mpath';
  return {
    id,
    ...(family && { family }),
    blackhole,
    fdb,
    protocol: nameOf(ROUTE_PROTOCOLS, p[2] ?? 0),
    scope: nameOf(SCOPES, p[1] ?? 0),
    flags: maskToFlags(dv.getUint32(4, true) & 0xff, NEXTHOP_FLAGS),
    ...r,
  } as Nexthop;
}

/** Nexthop objects and groups of one namespace; reach it as `nl.nexthop`. */
export class NexthopApi {
  constructor(private readonly transport: RtnlTransport) {}

  /** Lists nexthops (filtered by the kernel's dump attributes and again here). @throws NetlinkError */
  async *list(filter: NexthopFilter = {}, opts?: CallOptions): AsyncIterable<Nexthop> {
    const oif = filter.oif === undefined ? 0 : await resolveLink(this.transport, 'oif', filter.oif, sig(opts));
    const master =
      filter.master === undefined ? 0 : await resolveLink(this.transport, 'master', filter.master, sig(opts));
    const req = encodeNexthopDump({
      oif,
      master,
      ...(filter.groups && { groups: true }),
      ...(filter.fdb && { fdb: true }),
    });
    for await (const msg of this.transport.dump(req, sig(opts))) {
      const n = decodeNexthop(msg);
      if (!n) continue;
      if (oif && n.oif !== oif) continue;
      if (filter.groups && !n.group) continue;
      if (filter.fdb && !n.fdb) continue;
      if (filter.family && n.family !== filter.family) continue;
      yield n;
    }
  }

  /** Reads one nexthop by id. @throws NetlinkError (ENOENT when absent), ProtocolError */
  async get(id: number, opts?: CallOptions): Promise<Nexthop> {
    const replies = await this.transport.request(encodeNexthopId('get', id), sig(opts));
    for (const m of replies) {
      const n = decodeNexthop(m);
      if (n) return n;
    }
    throw new ProtocolError(`the kernel sent no nexthop for id ${id}`);
  }

  /** Adds a nexthop or group; EEXIST when the id is taken. @throws InvalidArgumentError, NetlinkError */
  async add(spec: NexthopSpec, opts?: CallOptions): Promise<void> {
    await this.send('add', spec, opts);
  }

  /** Adds or replaces the nexthop with this id (routes using it follow). @throws InvalidArgumentError, NetlinkError */
  async replace(spec: NexthopSpec, opts?: CallOptions): Promise<void> {
    await this.send('replace', spec, opts);
  }

  /** Deletes a nexthop by id (routes using it go too). @throws InvalidArgumentError, NetlinkError */
  async delete(id: number, opts?: CallOptions): Promise<void> {
    await this.transport.request(encodeNexthopId('delete', id), sig(opts));
  }

  private async send(op: NexthopOp, spec: NexthopSpec, opts: CallOptions | undefined): Promise<void> {
    encodeNexthop(op, spec, spec?.oif === undefined ? undefined : 1); // validate before any lookup
    const oif = spec.oif === undefined ? undefined : await resolveLink(this.transport, 'oif', spec.oif, sig(opts));
    await this.transport.request(encodeNexthop(op, spec, oif), sig(opts));
  }
}
