/**
 * Links (RTM_NEWLINK / DELLINK / GETLINK / SETLINK): the typed `Link`, its codec, and `LinkApi`.
 * Attribute numbers and struct layouts follow linux/if_link.h, linux/rtnetlink.h and linux/veth.h.
 */
import { closeSync, openSync } from 'node:fs';
import { formatIp, formatMac, requireIp, requireMac } from './addr.js';
import {
  MessageBuilder,
  NLM_F_CREATE,
  NLM_F_EXCL,
  attrMap,
  readBe16,
  readBe32,
  readS32,
  readStr,
  readU16,
  readU32,
  readU64,
  readU8,
  type NlMessage,
} from './codec/nlmsg.js';
import { InvalidArgumentError, LinkNotFoundError } from './errors.js';
import { netnsPath, type NetnsRef } from './netns.js';
import type { CallOptions, RtnlTransport } from './transport.js';
import { createTuntap, type TuntapInit } from './tuntap.js';
import { checkInt, checkLinkName, checkLinkRef, resolveLink } from './validate.js';

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;

/** struct ifinfomsg: family u8, pad u8, type u16, index s32, flags u32, change u32. */
export const IFINFOMSG_LEN = 16;

export const IFLA = {
  ADDRESS: 1,
  BROADCAST: 2,
  IFNAME: 3,
  MTU: 4,
  LINK: 5,
  MASTER: 10,
  TXQLEN: 13,
  OPERSTATE: 16,
  LINKMODE: 17,
  LINKINFO: 18,
  NET_NS_PID: 19,
  IFALIAS: 20,
  STATS64: 23,
  GROUP: 27,
  NET_NS_FD: 28,
  EXT_MASK: 29,
  PROMISCUITY: 30,
  NUM_TX_QUEUES: 31,
  NUM_RX_QUEUES: 32,
  CARRIER: 33,
  LINK_NETNSID: 37,
  MIN_MTU: 50,
  MAX_MTU: 51,
  PERM_ADDRESS: 54,
} as const;

export const IFLA_INFO = { KIND: 1, DATA: 2, XSTATS: 3, SLAVE_KIND: 4, SLAVE_DATA: 5 } as const;
export const VETH_INFO_PEER = 1;
export const IFLA_VLAN = { ID: 1, FLAGS: 2, PROTOCOL: 5 } as const;
export const IFLA_MACVLAN = { MODE: 1, FLAGS: 2 } as const;
export const IFLA_IPVLAN = { MODE: 1, FLAGS: 2 } as const;
export const IFLA_VXLAN = {
  ID: 1,
  GROUP: 2,
  LINK: 3,
  LOCAL: 4,
  TTL: 5,
  TOS: 6,
  LEARNING: 7,
  PORT: 15,
  GROUP6: 16,
  LOCAL6: 17,
} as const;
export const IFLA_IPTUN = { LINK: 1, LOCAL: 2, REMOTE: 3, TTL: 4, TOS: 5, PMTUDISC: 10 } as const;
export const IFLA_GRE = {
  LINK: 1,
  IFLAGS: 2,
  OFLAGS: 3,
  IKEY: 4,
  OKEY: 5,
  LOCAL: 6,
  REMOTE: 7,
  TTL: 8,
  TOS: 9,
  PMTUDISC: 10,
} as const;
/** GRE_KEY in the big-endian GRE flags field (`htons(0x2000)` as the kernel sees it). */
export const GRE_KEY = 0x2000;
export const IFLA_BR = {
  FORWARD_DELAY: 1,
  HELLO_TIME: 2,
  MAX_AGE: 3,
  AGEING_TIME: 4,
  STP_STATE: 5,
  PRIORITY: 6,
  VLAN_FILTERING: 7,
} as const;
export const IFLA_VRF_TABLE = 1;
export const IFLA_TUN = {
  OWNER: 1,
  GROUP: 2,
  TYPE: 3,
  PI: 4,
  VNET_HDR: 5,
  PERSIST: 6,
  MULTI_QUEUE: 7,
  NUM_QUEUES: 8,
} as const;

export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x8;
export const IFF_POINTOPOINT = 0x10;
export const IFF_RUNNING = 0x40;
export const IFF_NOARP = 0x80;
export const IFF_PROMISC = 0x100;
export const IFF_MULTICAST = 0x1000;
export const IFF_LOWER_UP = 0x10000;

export const MACVLAN_MODES = { private: 1, vepa: 2, bridge: 4, passthru: 8, source: 16 } as const;
export type MacvlanMode = keyof typeof MACVLAN_MODES;
export const IPVLAN_MODES = { l2: 0, l3: 1, l3s: 2 } as const;
export type IpvlanMode = keyof typeof IPVLAN_MODES;
/** IPVLAN_F_PRIVATE = 1, IPVLAN_F_VEPA = 2; 0 is the default "bridge" behaviour. */
export const IPVLAN_FLAGS = { bridge: 0, private: 1, vepa: 2 } as const;
export type IpvlanFlag = keyof typeof IPVLAN_FLAGS;
export const VLAN_PROTOCOLS = { '802.1Q': 0x8100, '802.1ad': 0x88a8 } as const;
export type VlanProtocol = keyof typeof VLAN_PROTOCOLS;

/** RFC 2863 operational states (IF_OPER_*), by index. */
export const OPERSTATES = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'] as const;
export type OperState = (typeof OPERSTATES)[number];

/** Kind-specific data of a link (IFLA_INFO_DATA), decoded for the kinds this library creates. */
export type LinkData =
  | { readonly kind: 'vlan'; readonly id: number; readonly protocol: VlanProtocol | number }
  | { readonly kind: 'macvlan'; readonly mode: MacvlanMode | number }
  | { readonly kind: 'ipvlan'; readonly mode: IpvlanMode | number; readonly flags: IpvlanFlag | number }
  | {
      readonly kind: 'vxlan';
      readonly vni: number;
      readonly port?: number;
      readonly group?: string;
      readonly local?: string;
      readonly ttl?: number;
      readonly learning?: boolean;
      readonly parent?: number;
    }
  | {
      readonly kind: 'ipip';
      readonly local?: string;
      readonly remote?: string;
      readonly ttl?: number;
      readonly parent?: number;
    }
  | {
      readonly kind: 'gre';
      readonly local?: string;
      readonly remote?: string;
      readonly ttl?: number;
      readonly ikey?: number;
      readonly okey?: number;
      readonly parent?: number;
    }
  | {
      readonly kind: 'bridge';
      readonly stpState?: number;
      readonly vlanFiltering?: boolean;
      readonly ageingTime?: number;
      readonly forwardDelay?: number;
      readonly priority?: number;
    }
  | { readonly kind: 'vrf'; readonly table: number }
  | {
      readonly kind: 'tun';
      readonly type: 'tun' | 'tap';
      readonly persist?: boolean;
      readonly multiQueue?: boolean;
      readonly pi?: boolean;
      readonly vnetHdr?: boolean;
      readonly owner?: number;
      readonly group?: number;
      readonly numQueues?: number;
    };

/** Counters from IFLA_STATS64 (as numbers; exact below 2^53). */
export interface LinkStats {
  readonly rxPackets: number;
  readonly txPackets: number;
  readonly rxBytes: number;
  readonly txBytes: number;
  readonly rxErrors: number;
  readonly txErrors: number;
  readonly rxDropped: number;
  readonly txDropped: number;
}

/** A network interface as the kernel reports it. */
export interface Link {
  readonly index: number;
  readonly name: string;
  /** IFLA_INFO_KIND ('veth', 'bridge', …; 'tun' devices report 'tun' or 'tap'); undefined for physical/lo. */
  readonly kind: string | undefined;
  /** ARPHRD_* link type (1 ethernet, 772 loopback, 65534 none). */
  readonly type: number;
  readonly flags: number;
  /** Administratively up (IFF_UP). */
  readonly up: boolean;
  /** Carrier present (IFF_LOWER_UP). */
  readonly lowerUp: boolean;
  readonly operstate: OperState | number;
  readonly mtu: number;
  readonly minMtu: number | undefined;
  readonly maxMtu: number | undefined;
  readonly mac: string | undefined;
  readonly broadcast: string | undefined;
  readonly permMac: string | undefined;
  /** Index of the master (bridge, vrf) or undefined. */
  readonly master: number | undefined;
  /** Index of the parent/peer link (IFLA_LINK; for veth the peer), possibly in another namespace. */
  readonly parent: number | undefined;
  /** When `parent` lives in another namespace: its netns id as seen from here. */
  readonly linkNetnsId: number | undefined;
  readonly alias: string | undefined;
  readonly txqlen: number | undefined;
  /** IFF_PROMISC set. */
  readonly promisc: boolean;
  /** Promiscuity count (IFLA_PROMISCUITY): > 0 means the device acts promiscuous. */
  readonly promiscuity: number;
  readonly numTxQueues: number | undefined;
  readonly numRxQueues: number | undefined;
  readonly carrier: boolean | undefined;
  readonly slaveKind: string | undefined;
  readonly data: LinkData | undefined;
  readonly stats: LinkStats | undefined;
}

// ---------------------------------------------------------------- decode

const ifiView = (p: Uint8Array): DataView => new DataView(p.buffer, p.byteOffset, p.byteLength);

function ipAttr(v: Uint8Array | undefined): string | undefined {
  if (!v || (v.length !== 4 && v.length !== 16)) return undefined;
  if (v.every((b) => b === 0)) return undefined;
  return formatIp(v);
}

function decodeData(kind: string, data: Uint8Array | undefined): LinkData | undefined {
  const a = data ? attrMap(data) : new Map<number, Uint8Array>();
  const u32 = (t: number): number | undefined => {
    const v = a.get(t);
    return v ? readU32(v) : undefined;
  };
  const u8 = (t: number): number | undefined => {
    const v = a.get(t);
    return v ? readU8(v) : undefined;
  };
  // Drops undefined fields (exactOptionalPropertyTypes: absent, never undefined).
  const opt = (o: Record<string, unknown>): LinkData => {
    for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
    return o as unknown as LinkData;
  };
  const named = <K extends string>(names: Readonly<Record<K, number>>, n: number): K | number => {
    for (const k in names) if (names[k] === n) return k;
    return n;
  };
  switch (kind) {
    case 'vlan': {
      const p = a.get(IFLA_VLAN.PROTOCOL);
      return {
        kind,
        id: readU16(a.get(IFLA_VLAN.ID) ?? new Uint8Array(2)),
        protocol: named(VLAN_PROTOCOLS, p ? readBe16(p) : 0x8100),
      };
    }
    case 'macvlan':
      return { kind, mode: named(MACVLAN_MODES, u32(IFLA_MACVLAN.MODE) ?? 4) };
    case 'ipvlan': {
      const m = a.get(IFLA_IPVLAN.MODE);
      const f = a.get(IFLA_IPVLAN.FLAGS);
      return { kind, mode: named(IPVLAN_MODES, m ? readU16(m) : 0), flags: named(IPVLAN_FLAGS, f ? readU16(f) : 0) };
    }
    case 'vxlan': {
      const port = a.get(IFLA_VXLAN.PORT);
      const learning = u8(IFLA_VXLAN.LEARNING);
      return opt({
        kind,
        vni: u32(IFLA_VXLAN.ID) ?? 0,
        port: port ? readBe16(port) : undefined,
        group: ipAttr(a.get(IFLA_VXLAN.GROUP)) ?? ipAttr(a.get(IFLA_VXLAN.GROUP6)),
        local: ipAttr(a.get(IFLA_VXLAN.LOCAL)) ?? ipAttr(a.get(IFLA_VXLAN.LOCAL6)),
        ttl: u8(IFLA_VXLAN.TTL),
        learning: learning === undefined ? undefined : learning !== 0,
        parent: u32(IFLA_VXLAN.LINK) || undefined,
      });
    }
    case 'ipip':
      return opt({
        kind,
        local: ipAttr(a.get(IFLA_IPTUN.LOCAL)),
        remote: ipAttr(a.get(IFLA_IPTUN.REMOTE)),
        ttl: u8(IFLA_IPTUN.TTL),
        parent: u32(IFLA_IPTUN.LINK) || undefined,
      });
    case 'gre': {
      const ikey = a.get(IFLA_GRE.IKEY);
      const okey = a.get(IFLA_GRE.OKEY);
      return opt({
        kind,
        local: ipAttr(a.get(IFLA_GRE.LOCAL)),
        remote: ipAttr(a.get(IFLA_GRE.REMOTE)),
        ttl: u8(IFLA_GRE.TTL),
        ikey: ikey && ikey.length >= 4 ? readBe32(ikey) || undefined : undefined,
        okey: okey && okey.length >= 4 ? readBe32(okey) || undefined : undefined,
        parent: u32(IFLA_GRE.LINK) || undefined,
      });
    }
    case 'bridge': {
      const vf = u8(IFLA_BR.VLAN_FILTERING);
      const prio = a.get(IFLA_BR.PRIORITY);
      return opt({
        kind,
        stpState: u32(IFLA_BR.STP_STATE),
        vlanFiltering: vf === undefined ? undefined : vf !== 0,
        ageingTime: u32(IFLA_BR.AGEING_TIME),
        forwardDelay: u32(IFLA_BR.FORWARD_DELAY),
        priority: prio ? readU16(prio) : undefined,
      });
    }
    case 'vrf':
      return { kind, table: u32(IFLA_VRF_TABLE) ?? 0 };
    case 'tun': {
      const flag = (t: number): boolean | undefined => {
        const v = u8(t);
        return v === undefined ? undefined : v !== 0;
      };
      const owner = u32(IFLA_TUN.OWNER);
      const group = u32(IFLA_TUN.GROUP);
      return opt({
        kind,
        type: u8(IFLA_TUN.TYPE) === 2 ? ('tap' as const) : ('tun' as const),
        persist: flag(IFLA_TUN.PERSIST),
        multiQueue: flag(IFLA_TUN.MULTI_QUEUE),
        pi: flag(IFLA_TUN.PI),
        vnetHdr: flag(IFLA_TUN.VNET_HDR),
        owner: owner === undefined || owner === 0xffffffff ? undefined : owner,
        group: group === undefined || group === 0xffffffff ? undefined : group,
        numQueues: u32(IFLA_TUN.NUM_QUEUES),
      });
    }
    default:
      return undefined;
  }
}

function decodeStats(v: Uint8Array | undefined): LinkStats | undefined {
  if (!v || v.length < 64) return undefined;
  const at = (i: number): number => Number(readU64(v.subarray(i * 8, i * 8 + 8)));
  return {
    rxPackets: at(0),
    txPackets: at(1),
    rxBytes: at(2),
    txBytes: at(3),
    rxErrors: at(4),
    txErrors: at(5),
    rxDropped: at(6),
    txDropped: at(7),
  };
}

/**
 * Decodes an RTM_NEWLINK / RTM_DELLINK message into a `Link`.
 * @throws InvalidArgumentError when the payload is shorter than struct ifinfomsg.
 */
export function decodeLink(msg: NlMessage): Link {
  const p = msg.payload;
  if (p.length < IFINFOMSG_LEN) throw new InvalidArgumentError('message', p.length, 'shorter than struct ifinfomsg');
  const h = ifiView(p);
  const type = h.getUint16(2, true);
  const index = h.getInt32(4, true);
  const flags = h.getUint32(8, true);
  const a = attrMap(p.subarray(IFINFOMSG_LEN));
  const u32 = (t: number): number | undefined => {
    const v = a.get(t);
    return v ? readU32(v) : undefined;
  };
  let kind: string | undefined;
  let slaveKind: string | undefined;
  let data: LinkData | undefined;
  const li = a.get(IFLA.LINKINFO);
  if (li) {
    const info = attrMap(li);
    const k = info.get(IFLA_INFO.KIND);
    if (k) kind = readStr(k);
    const sk = info.get(IFLA_INFO.SLAVE_KIND);
    if (sk) slaveKind = readStr(sk);
    if (kind) data = decodeData(kind, info.get(IFLA_INFO.DATA));
    if (data?.kind === 'tun') kind = data.type;
  }
  const mac = a.get(IFLA.ADDRESS);
  const brd = a.get(IFLA.BROADCAST);
  const perm = a.get(IFLA.PERM_ADDRESS);
  const op = a.get(IFLA.OPERSTATE);
  const opNum = op ? readU8(op) : 0;
  const alias = a.get(IFLA.IFALIAS);
  const netnsId = a.get(IFLA.LINK_NETNSID);
  const carrier = a.get(IFLA.CARRIER);
  return {
    index,
    name: readStr(a.get(IFLA.IFNAME) ?? new Uint8Array(0)),
    kind,
    type,
    flags,
    up: (flags & IFF_UP) !== 0,
    lowerUp: (flags & IFF_LOWER_UP) !== 0,
    operstate: OPERSTATES[opNum] ?? opNum,
    mtu: u32(IFLA.MTU) ?? 0,
    minMtu: u32(IFLA.MIN_MTU),
    maxMtu: u32(IFLA.MAX_MTU),
    mac: mac && mac.length ? formatMac(mac) : undefined,
    broadcast: brd && brd.length ? formatMac(brd) : undefined,
    permMac: perm && perm.length ? formatMac(perm) : undefined,
    master: u32(IFLA.MASTER) || undefined,
    parent: u32(IFLA.LINK) || undefined,
    linkNetnsId: netnsId && netnsId.length >= 4 ? readS32(netnsId) : undefined,
    alias: alias && alias.length ? readStr(alias) : undefined,
    txqlen: u32(IFLA.TXQLEN),
    promisc: (flags & IFF_PROMISC) !== 0,
    promiscuity: u32(IFLA.PROMISCUITY) ?? 0,
    numTxQueues: u32(IFLA.NUM_TX_QUEUES),
    numRxQueues: u32(IFLA.NUM_RX_QUEUES),
    carrier: carrier ? readU8(carrier) !== 0 : undefined,
    slaveKind,
    data,
    stats: decodeStats(a.get(IFLA.STATS64)),
  };
}

// ---------------------------------------------------------------- encode

/** Attributes every link can carry at creation and in `set`. */
export interface LinkCommonInit {
  readonly mtu?: number;
  readonly mac?: string;
  readonly txqlen?: number;
  /** Bring the link up (IFF_UP) when creating it; default false. */
  readonly up?: boolean;
  /** Master by name or index (bridge, vrf). */
  readonly master?: string | number;
  /** Interface alias (IFLA_IFALIAS), set right after creation. */
  readonly alias?: string;
  /** Set IFF_PROMISC after creation. */
  readonly promisc?: boolean;
}

/** A veth end's own settings (the peer of a pair), its queues included (see `LinkQueuesInit`). */
export interface VethPeerInit extends LinkQueuesInit {
  readonly name: string;
  readonly mac?: string;
  readonly mtu?: number;
  readonly txqlen?: number;
  /** Namespace the peer is created in: a name under /run/netns or `{ path }`; default: same as the link. */
  readonly netns?: NetnsRef;
}

/**
 * Queues a link is created with (IFLA_NUM_TX_QUEUES, IFLA_NUM_RX_QUEUES, 1..4096), fixed for its life. Without
 * them a veth end gets one per possible CPU and the kernel trims the active ones to 1 once it is registered, which
 * waits for an expedited RCU grace period under the RTNL lock (veth_init_queues), and makes a sysfs directory per
 * queue: 1 and 1 create a veth end in about a third less time, for a pair that uses one queue either way.
 */
export interface LinkQueuesInit {
  readonly numTxQueues?: number;
  readonly numRxQueues?: number;
}

/** What to create: a kind with its settings. Parents and masters are names or indexes. */
export type LinkAddSpec = LinkCommonInit &
  LinkQueuesInit & { readonly name: string } & (
    | { readonly kind: 'veth'; readonly peer: VethPeerInit }
    | { readonly kind: 'dummy' }
    | {
        readonly kind: 'bridge';
        readonly stpState?: 0 | 1;
        readonly vlanFiltering?: boolean;
        readonly ageingTime?: number;
        readonly forwardDelay?: number;
      }
    | { readonly kind: 'vlan'; readonly parent: string | number; readonly id: number; readonly protocol?: VlanProtocol }
    | { readonly kind: 'macvlan'; readonly parent: string | number; readonly mode?: MacvlanMode }
    | {
        readonly kind: 'ipvlan';
        readonly parent: string | number;
        readonly mode?: IpvlanMode;
        readonly flags?: IpvlanFlag;
      }
    | {
        readonly kind: 'vxlan';
        readonly vni: number;
        readonly parent?: string | number;
        readonly local?: string;
        /** Remote or multicast group address. */
        readonly group?: string;
        /** UDP destination port; default 4789 (IANA). */
        readonly port?: number;
        readonly ttl?: number;
        readonly learning?: boolean;
      }
    | {
        readonly kind: 'ipip';
        readonly local?: string;
        readonly remote?: string;
        readonly ttl?: number;
        readonly parent?: string | number;
      }
    | {
        readonly kind: 'gre';
        readonly local?: string;
        readonly remote?: string;
        readonly ttl?: number;
        readonly ikey?: number;
        readonly okey?: number;
        readonly parent?: string | number;
      }
    | { readonly kind: 'vrf'; readonly table: number }
    | ({ readonly kind: 'tun' | 'tap' } & Omit<TuntapInit, 'name' | 'mode' | 'netns'>)
  );

/** The kinds `LinkApi.add` creates. */
export type LinkKind = LinkAddSpec['kind'];

/** A link add request with names already resolved to indexes (what `encodeLinkAdd` takes). */
export type ResolvedLinkAdd = Exclude<LinkAddSpec, { kind: 'tun' | 'tap' }> & {
  readonly parentIndex?: number;
  readonly masterIndex?: number;
  /** fd of the namespace to create the link in (IFLA_NET_NS_FD). */
  readonly netnsFd?: number;
  /** fd of the namespace for a veth peer. */
  readonly peerNetnsFd?: number;
};

/** Validates a MAC for a link: 6 bytes, unicast, not all zero. @throws InvalidArgumentError */
export function checkLinkMac(field: string, mac: unknown): Uint8Array {
  const b = requireMac(field, mac);
  if (((b[0] ?? 0) & 1) !== 0)
    throw new InvalidArgumentError(field, mac, 'must be a unicast address (multicast bit set)');
  if (b.every((x) => x === 0)) throw new InvalidArgumentError(field, mac, 'must not be all zeros');
  return b;
}

/** MTU range accepted before sending (IPv4 minimum 68 … loopback's 65536). @throws InvalidArgumentError */
export function checkMtu(field: string, mtu: unknown): number {
  return checkInt(field, mtu, 68, 65536);
}

function ifinfo(index: number, flags: number, change: number): Uint8Array {
  const b = new Uint8Array(IFINFOMSG_LEN);
  const v = new DataView(b.buffer);
  v.setInt32(4, index, true);
  v.setUint32(8, flags >>> 0, true);
  v.setUint32(12, change >>> 0, true);
  return b;
}

function be32bytes(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, false);
  return b;
}

function checkAlias(field: string, alias: unknown): string {
  if (typeof alias !== 'string') throw new InvalidArgumentError(field, alias, 'must be a string');
  if (new TextEncoder().encode(alias).length > 255)
    throw new InvalidArgumentError(field, alias, 'must be at most 255 bytes (IFALIASZ - 1)');
  return alias;
}

/** The kernel's bounds on queue counts at creation (rtnl_create_link). @throws InvalidArgumentError */
function checkQueues(prefix: string, q: LinkQueuesInit): void {
  if (q.numTxQueues !== undefined) checkInt(`${prefix}numTxQueues`, q.numTxQueues, 1, 4096);
  if (q.numRxQueues !== undefined) checkInt(`${prefix}numRxQueues`, q.numRxQueues, 1, 4096);
}

/**
 * Validates a link add request (names, MACs, MTUs, kind settings) before anything is sent.
 * @throws InvalidArgumentError naming the field.
 */
export function validateLinkAdd(spec: LinkAddSpec): void {
  if (spec === null || typeof spec !== 'object') throw new InvalidArgumentError('spec', spec, 'must be an object');
  checkLinkName('name', spec.name);
  if (spec.mtu !== undefined) checkMtu('mtu', spec.mtu);
  if (spec.mac !== undefined) checkLinkMac('mac', spec.mac);
  if (spec.txqlen !== undefined) checkInt('txqlen', spec.txqlen, 0, 0xffffffff);
  if (spec.master !== undefined) checkLinkRef('master', spec.master);
  if (spec.alias !== undefined) checkAlias('alias', spec.alias);
  checkQueues('', spec);
  switch (spec.kind) {
    case 'veth':
      if (!spec.peer || typeof spec.peer !== 'object')
        throw new InvalidArgumentError('peer', spec.peer, 'veth needs a peer');
      checkLinkName('peer.name', spec.peer.name);
      if (spec.peer.mtu !== undefined) checkMtu('peer.mtu', spec.peer.mtu);
      if (spec.peer.mac !== undefined) checkLinkMac('peer.mac', spec.peer.mac);
      if (spec.peer.txqlen !== undefined) checkInt('peer.txqlen', spec.peer.txqlen, 0, 0xffffffff);
      if (spec.peer.netns !== undefined) netnsPath(spec.peer.netns);
      checkQueues('peer.', spec.peer);
      break;
    case 'vlan':
      checkLinkRef('parent', spec.parent);
      checkInt('id', spec.id, 0, 4094);
      if (spec.protocol !== undefined && !Object.hasOwn(VLAN_PROTOCOLS, spec.protocol)) {
        throw new InvalidArgumentError('protocol', spec.protocol, "must be '802.1Q' or '802.1ad'");
      }
      break;
    case 'macvlan':
      checkLinkRef('parent', spec.parent);
      if (spec.mode !== undefined && !Object.hasOwn(MACVLAN_MODES, spec.mode)) {
        throw new InvalidArgumentError('mode', spec.mode, `must be one of ${Object.keys(MACVLAN_MODES).join(', ')}`);
      }
      break;
    case 'ipvlan':
      checkLinkRef('parent', spec.parent);
      if (spec.mode !== undefined && !Object.hasOwn(IPVLAN_MODES, spec.mode)) {
        throw new InvalidArgumentError('mode', spec.mode, `must be one of ${Object.keys(IPVLAN_MODES).join(', ')}`);
      }
      if (spec.flags !== undefined && !Object.hasOwn(IPVLAN_FLAGS, spec.flags)) {
        throw new InvalidArgumentError('flags', spec.flags, `must be one of ${Object.keys(IPVLAN_FLAGS).join(', ')}`);
      }
      break;
    case 'vxlan':
      checkInt('vni', spec.vni, 0, 0xffffff);
      if (spec.parent !== undefined) checkLinkRef('parent', spec.parent);
      if (spec.port !== undefined) checkInt('port', spec.port, 1, 65535);
      if (spec.ttl !== undefined) checkInt('ttl', spec.ttl, 0, 255);
      if (spec.local !== undefined) requireIp('local', spec.local);
      if (spec.group !== undefined) requireIp('group', spec.group);
      if (
        spec.local !== undefined &&
        spec.group !== undefined &&
        requireIp('local', spec.local).family !== requireIp('group', spec.group).family
      ) {
        throw new InvalidArgumentError('group', spec.group, 'must be the same address family as local');
      }
      break;
    case 'ipip':
    case 'gre':
      if (spec.local !== undefined) requireIp('local', spec.local, spec.kind === 'ipip' ? 'inet' : undefined);
      if (spec.remote !== undefined) requireIp('remote', spec.remote, spec.kind === 'ipip' ? 'inet' : undefined);
      if (spec.ttl !== undefined) checkInt('ttl', spec.ttl, 0, 255);
      if (spec.parent !== undefined) checkLinkRef('parent', spec.parent);
      if (spec.kind === 'gre') {
        if (spec.ikey !== undefined) checkInt('ikey', spec.ikey, 0, 0xffffffff);
        if (spec.okey !== undefined) checkInt('okey', spec.okey, 0, 0xffffffff);
        const fam = (s: string | undefined) => (s === undefined ? undefined : requireIp('x', s).family);
        if (fam(spec.local) === 'inet6' || fam(spec.remote) === 'inet6') {
          throw new InvalidArgumentError(
            'remote',
            spec.remote ?? spec.local,
            'IPv6 GRE (ip6gre) is not supported; use IPv4 endpoints',
          );
        }
      }
      break;
    case 'bridge':
      if (spec.stpState !== undefined) checkInt('stpState', spec.stpState, 0, 1);
      if (spec.ageingTime !== undefined) checkInt('ageingTime', spec.ageingTime, 0, 0xffffffff);
      if (spec.forwardDelay !== undefined) checkInt('forwardDelay', spec.forwardDelay, 0, 0xffffffff);
      break;
    case 'vrf':
      checkInt('table', spec.table, 1, 0xffffffff);
      break;
    case 'tun':
    case 'tap':
      // made by TUNSETIFF, not RTM_NEWLINK: queues come from `multiQueue` and the fds attached
      for (const f of ['numTxQueues', 'numRxQueues'] as const)
        if (spec[f] !== undefined)
          throw new InvalidArgumentError(f, spec[f], `cannot be set on ${spec.kind} (use multiQueue)`);
      break;
    case 'dummy':
      break;
    default:
      throw new InvalidArgumentError('kind', (spec as { kind?: unknown }).kind, 'unsupported link kind');
  }
}

/**
 * Encodes RTM_NEWLINK (NLM_F_CREATE|NLM_F_EXCL) for a validated, resolved add request.
 * The transport adds NLM_F_REQUEST|NLM_F_ACK and the sequence number.
 */
export function encodeLinkAdd(spec: ResolvedLinkAdd): Uint8Array {
  const b = new MessageBuilder(
    RTM_NEWLINK,
    NLM_F_CREATE | NLM_F_EXCL,
    ifinfo(0, spec.up ? IFF_UP : 0, spec.up ? IFF_UP : 0),
  );
  b.str(IFLA.IFNAME, spec.name);
  if (spec.mtu !== undefined) b.u32(IFLA.MTU, spec.mtu);
  if (spec.mac !== undefined) b.attr(IFLA.ADDRESS, checkLinkMac('mac', spec.mac));
  if (spec.txqlen !== undefined) b.u32(IFLA.TXQLEN, spec.txqlen);
  if (spec.numTxQueues !== undefined) b.u32(IFLA.NUM_TX_QUEUES, spec.numTxQueues);
  if (spec.numRxQueues !== undefined) b.u32(IFLA.NUM_RX_QUEUES, spec.numRxQueues);
  if (spec.masterIndex !== undefined) b.u32(IFLA.MASTER, spec.masterIndex);
  const usesIflaLink = spec.kind === 'vlan' || spec.kind === 'macvlan' || spec.kind === 'ipvlan';
  if (usesIflaLink && spec.parentIndex !== undefined) b.u32(IFLA.LINK, spec.parentIndex);
  if (spec.netnsFd !== undefined) b.u32(IFLA.NET_NS_FD, spec.netnsFd);
  b.nest(IFLA.LINKINFO);
  b.str(IFLA_INFO.KIND, spec.kind);
  switch (spec.kind) {
    case 'veth': {
      const peer = spec.peer;
      b.nest(IFLA_INFO.DATA).nest(VETH_INFO_PEER);
      // VETH_INFO_PEER carries a struct ifinfomsg followed by the peer's IFLA_* attributes.
      b.raw(new Uint8Array(IFINFOMSG_LEN));
      b.str(IFLA.IFNAME, peer.name);
      if (peer.mtu !== undefined) b.u32(IFLA.MTU, peer.mtu);
      if (peer.mac !== undefined) b.attr(IFLA.ADDRESS, checkLinkMac('peer.mac', peer.mac));
      if (peer.txqlen !== undefined) b.u32(IFLA.TXQLEN, peer.txqlen);
      if (peer.numTxQueues !== undefined) b.u32(IFLA.NUM_TX_QUEUES, peer.numTxQueues);
      if (peer.numRxQueues !== undefined) b.u32(IFLA.NUM_RX_QUEUES, peer.numRxQueues);
      if (spec.peerNetnsFd !== undefined) b.u32(IFLA.NET_NS_FD, spec.peerNetnsFd);
      b.end().end();
      break;
    }
    case 'vlan':
      b.nest(IFLA_INFO.DATA).u16(IFLA_VLAN.ID, spec.id);
      if (spec.protocol !== undefined) b.be16(IFLA_VLAN.PROTOCOL, VLAN_PROTOCOLS[spec.protocol]);
      b.end();
      break;
    case 'macvlan':
      b.nest(IFLA_INFO.DATA)
        .u32(IFLA_MACVLAN.MODE, MACVLAN_MODES[spec.mode ?? 'bridge'])
        .end();
      break;
    case 'ipvlan':
      b.nest(IFLA_INFO.DATA).u16(IFLA_IPVLAN.MODE, IPVLAN_MODES[spec.mode ?? 'l3']);
      if (spec.flags !== undefined) b.u16(IFLA_IPVLAN.FLAGS, IPVLAN_FLAGS[spec.flags]);
      b.end();
      break;
    case 'vxlan': {
      b.nest(IFLA_INFO.DATA).u32(IFLA_VXLAN.ID, spec.vni);
      if (spec.group !== undefined) {
        const g = requireIp('group', spec.group);
        b.attr(g.family === 'inet' ? IFLA_VXLAN.GROUP : IFLA_VXLAN.GROUP6, g.bytes);
      }
      if (spec.local !== undefined) {
        const l = requireIp('local', spec.local);
        b.attr(l.family === 'inet' ? IFLA_VXLAN.LOCAL : IFLA_VXLAN.LOCAL6, l.bytes);
      }
      if (spec.parentIndex !== undefined) b.u32(IFLA_VXLAN.LINK, spec.parentIndex);
      if (spec.ttl !== undefined) b.u8(IFLA_VXLAN.TTL, spec.ttl);
      if (spec.learning !== undefined) b.u8(IFLA_VXLAN.LEARNING, spec.learning ? 1 : 0);
      b.be16(IFLA_VXLAN.PORT, spec.port ?? 4789);
      b.end();
      break;
    }
    case 'ipip': {
      b.nest(IFLA_INFO.DATA);
      if (spec.parentIndex !== undefined) b.u32(IFLA_IPTUN.LINK, spec.parentIndex);
      if (spec.local !== undefined) b.attr(IFLA_IPTUN.LOCAL, requireIp('local', spec.local, 'inet').bytes);
      if (spec.remote !== undefined) b.attr(IFLA_IPTUN.REMOTE, requireIp('remote', spec.remote, 'inet').bytes);
      if (spec.ttl !== undefined) b.u8(IFLA_IPTUN.TTL, spec.ttl);
      b.end();
      break;
    }
    case 'gre': {
      b.nest(IFLA_INFO.DATA);
      if (spec.parentIndex !== undefined) b.u32(IFLA_GRE.LINK, spec.parentIndex);
      if (spec.ikey !== undefined) b.be16(IFLA_GRE.IFLAGS, GRE_KEY).attr(IFLA_GRE.IKEY, be32bytes(spec.ikey));
      if (spec.okey !== undefined) b.be16(IFLA_GRE.OFLAGS, GRE_KEY).attr(IFLA_GRE.OKEY, be32bytes(spec.okey));
      if (spec.local !== undefined) b.attr(IFLA_GRE.LOCAL, requireIp('local', spec.local, 'inet').bytes);
      if (spec.remote !== undefined) b.attr(IFLA_GRE.REMOTE, requireIp('remote', spec.remote, 'inet').bytes);
      if (spec.ttl !== undefined) b.u8(IFLA_GRE.TTL, spec.ttl);
      b.end();
      break;
    }
    case 'bridge': {
      const any =
        spec.stpState !== undefined ||
        spec.vlanFiltering !== undefined ||
        spec.ageingTime !== undefined ||
        spec.forwardDelay !== undefined;
      if (any) {
        b.nest(IFLA_INFO.DATA);
        if (spec.forwardDelay !== undefined) b.u32(IFLA_BR.FORWARD_DELAY, spec.forwardDelay);
        if (spec.ageingTime !== undefined) b.u32(IFLA_BR.AGEING_TIME, spec.ageingTime);
        if (spec.stpState !== undefined) b.u32(IFLA_BR.STP_STATE, spec.stpState);
        if (spec.vlanFiltering !== undefined) b.u8(IFLA_BR.VLAN_FILTERING, spec.vlanFiltering ? 1 : 0);
        b.end();
      }
      break;
    }
    case 'vrf':
      b.nest(IFLA_INFO.DATA).u32(IFLA_VRF_TABLE, spec.table).end();
      break;
    case 'dummy':
      break;
  }
  b.end();
  return b.finish();
}

/** Changes `LinkApi.set` applies in one RTM_NEWLINK. */
export interface LinkSetInit {
  readonly up?: boolean;
  readonly mtu?: number;
  readonly mac?: string;
  /** New name. */
  readonly name?: string;
  /** Alias; '' removes it. */
  readonly alias?: string;
  /** Master by name or index; null removes the master (nomaster). */
  readonly master?: string | number | null;
  readonly txqlen?: number;
  readonly promisc?: boolean;
  /** Move the link to another namespace: a name under /run/netns, `{ path }`, or `{ fd }`. */
  readonly netns?: string | { readonly path: string } | { readonly fd: number };
}

/** A resolved set request: what `encodeLinkSet` takes. */
export type ResolvedLinkSet = Omit<LinkSetInit, 'master' | 'netns'> & {
  readonly masterIndex?: number;
  readonly netnsFd?: number;
};

/** @throws InvalidArgumentError naming the field. */
export function validateLinkSet(changes: LinkSetInit): void {
  if (changes === null || typeof changes !== 'object')
    throw new InvalidArgumentError('changes', changes, 'must be an object');
  if (changes.mtu !== undefined) checkMtu('mtu', changes.mtu);
  if (changes.mac !== undefined) checkLinkMac('mac', changes.mac);
  if (changes.name !== undefined) checkLinkName('name', changes.name);
  if (changes.alias !== undefined) checkAlias('alias', changes.alias);
  if (changes.txqlen !== undefined) checkInt('txqlen', changes.txqlen, 0, 0xffffffff);
  if (changes.master !== undefined && changes.master !== null) checkLinkRef('master', changes.master);
  if (changes.up !== undefined && typeof changes.up !== 'boolean')
    throw new InvalidArgumentError('up', changes.up, 'must be a boolean');
  if (changes.promisc !== undefined && typeof changes.promisc !== 'boolean') {
    throw new InvalidArgumentError('promisc', changes.promisc, 'must be a boolean');
  }
  const ns = changes.netns;
  if (ns !== undefined) {
    if (typeof ns === 'object' && ns !== null && 'fd' in ns) checkInt('netns.fd', ns.fd, 0, 0x7fffffff);
    else netnsPath(ns as NetnsRef);
  }
}

/** Encodes RTM_NEWLINK (no create flags) changing link `index`. */
export function encodeLinkSet(index: number, changes: ResolvedLinkSet): Uint8Array {
  let flags = 0;
  let change = 0;
  if (changes.up !== undefined) {
    change |= IFF_UP;
    if (changes.up) flags |= IFF_UP;
  }
  if (changes.promisc !== undefined) {
    change |= IFF_PROMISC;
    if (changes.promisc) flags |= IFF_PROMISC;
  }
  const b = new MessageBuilder(RTM_NEWLINK, 0, ifinfo(index, flags, change));
  if (changes.name !== undefined) b.str(IFLA.IFNAME, changes.name);
  if (changes.mtu !== undefined) b.u32(IFLA.MTU, changes.mtu);
  if (changes.mac !== undefined) b.attr(IFLA.ADDRESS, checkLinkMac('mac', changes.mac));
  if (changes.txqlen !== undefined) b.u32(IFLA.TXQLEN, changes.txqlen);
  if (changes.alias !== undefined) b.attr(IFLA.IFALIAS, new TextEncoder().encode(changes.alias));
  if (changes.masterIndex !== undefined) b.u32(IFLA.MASTER, changes.masterIndex);
  if (changes.netnsFd !== undefined) b.u32(IFLA.NET_NS_FD, changes.netnsFd);
  return b.finish();
}

/** Encodes RTM_DELLINK for `index`. */
export function encodeLinkDel(index: number): Uint8Array {
  return new MessageBuilder(RTM_DELLINK, 0, ifinfo(index, 0, 0)).finish();
}

/** Encodes RTM_GETLINK for one link by index or name. */
export function encodeLinkGet(ref: string | number): Uint8Array {
  const b = new MessageBuilder(RTM_GETLINK, 0, ifinfo(typeof ref === 'number' ? ref : 0, 0, 0));
  if (typeof ref === 'string') b.str(IFLA.IFNAME, ref);
  return b.finish();
}

/** Filters a link dump: the kernel applies them under strict checking; they are re-applied here too. */
export interface LinkListFilter {
  /** Only links of this IFLA_INFO_KIND ('veth', 'bridge', 'tun', …). */
  readonly kind?: string;
  /** Only ports of this master (name or index). */
  readonly master?: string | number;
}

/** Encodes the RTM_GETLINK dump request (filters by master index and kind). */
export function encodeLinkDump(filter: { readonly kind?: string; readonly masterIndex?: number } = {}): Uint8Array {
  const b = new MessageBuilder(RTM_GETLINK, 0, IFINFOMSG_LEN);
  if (filter.masterIndex !== undefined) b.u32(IFLA.MASTER, filter.masterIndex);
  if (filter.kind !== undefined) b.nest(IFLA.LINKINFO).str(IFLA_INFO.KIND, filter.kind).end();
  return b.finish();
}

// ---------------------------------------------------------------- API

/** What `LinkApi` needs beyond `RtnlTransport`: the namespace (for tun/tap creation and veth peers). */
export interface LinkApiContext {
  /** Namespace file of the transport ('' = current). */
  readonly netnsPath?: string;
}

type Opts = CallOptions;

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; code?: string };
  return err?.name === 'NetlinkError' && err.code === 'ENODEV';
}

/** Opens a namespace file for IFLA_NET_NS_FD and returns its fd (caller closes). */
function openNetnsFd(ref: NetnsRef): number {
  const path = netnsPath(ref);
  if (path === '') return openSync('/proc/self/ns/net', 'r');
  try {
    return openSync(path, 'r');
  } catch (e) {
    throw new InvalidArgumentError('netns', ref, `cannot open ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Links of one namespace: list, get, add, delete, set. */
export class LinkApi {
  readonly #t: RtnlTransport;
  readonly #netns: string;

  constructor(transport: RtnlTransport, ctx: LinkApiContext = {}) {
    this.#t = transport;
    this.#netns = ctx.netnsPath ?? '';
  }

  /** Every link of the namespace (one dump), optionally filtered by kind and master. */
  async list(filter: LinkListFilter = {}, opts: Opts = {}): Promise<Link[]> {
    const masterIndex =
      filter.master === undefined ? undefined : await resolveLink(this.#t, 'master', filter.master, opts);
    const req: { kind?: string; masterIndex?: number } = {};
    if (masterIndex !== undefined) req.masterIndex = masterIndex;
    // tun and tap both report IFLA_INFO_KIND "tun"
    const kernelKind = filter.kind === 'tap' ? 'tun' : filter.kind;
    if (kernelKind !== undefined) req.kind = kernelKind;
    const out: Link[] = [];
    for await (const m of this.#t.dump(encodeLinkDump(req), opts)) {
      if (m.type !== RTM_NEWLINK) continue;
      const l = decodeLink(m);
      if (filter.kind !== undefined && l.kind !== filter.kind) continue;
      if (masterIndex !== undefined && l.master !== masterIndex) continue;
      out.push(l);
    }
    return out;
  }

  /** One link by name or index. @throws LinkNotFoundError */
  async get(ref: string | number, opts: Opts = {}): Promise<Link> {
    const r = checkLinkRef('link', ref);
    try {
      const replies = await this.#t.request(encodeLinkGet(r), opts);
      const m = replies.find((x) => x.type === RTM_NEWLINK);
      if (!m) throw new LinkNotFoundError(r);
      return decodeLink(m);
    } catch (e) {
      if (isNotFound(e)) throw new LinkNotFoundError(r, { cause: e });
      throw e;
    }
  }

  /** One link by name or index, or undefined when it does not exist. */
  async find(ref: string | number, opts: Opts = {}): Promise<Link | undefined> {
    try {
      return await this.get(ref, opts);
    } catch (e) {
      if ((e as { name?: string }).name === 'LinkNotFoundError') return undefined;
      throw e;
    }
  }

  /**
   * Creates a link and returns it as the kernel reports it. tun/tap go through the native addon
   * (TUNSETIFF in this handle's namespace); every other kind is one RTM_NEWLINK. Alias and promisc are
   * applied right after creation.
   * @throws InvalidArgumentError before sending; NetlinkError ('EEXIST', 'EOPNOTSUPP' for a kind the kernel
   *   lacks, …); LinkNotFoundError for a missing parent or master.
   */
  async add(spec: LinkAddSpec, opts: Opts = {}): Promise<Link> {
    validateLinkAdd(spec);
    opts.signal?.throwIfAborted();
    if (spec.kind === 'tun' || spec.kind === 'tap') {
      const {
        kind,
        name,
        mtu,
        mac,
        txqlen,
        up,
        master,
        alias,
        promisc,
        numTxQueues: _tx,
        numRxQueues: _rx,
        ...tun
      } = spec;
      await createTuntap({ ...tun, name, mode: kind, ...(this.#netns && { netns: { path: this.#netns } }) });
      const set: Record<string, unknown> = {};
      for (const [k, v] of Object.entries({ mtu, mac, txqlen, up, master, alias, promisc }))
        if (v !== undefined) set[k] = v;
      if (Object.keys(set).length) await this.set(name, set as LinkSetInit, opts);
      return this.get(name, opts);
    }
    const resolved: Record<string, unknown> = { ...spec };
    if ('parent' in spec && spec.parent !== undefined)
      resolved['parentIndex'] = await resolveLink(this.#t, 'parent', spec.parent, opts);
    if (spec.master !== undefined) resolved['masterIndex'] = await resolveLink(this.#t, 'master', spec.master, opts);
    let peerFd: number | undefined;
    try {
      if (spec.kind === 'veth' && spec.peer.netns !== undefined) {
        peerFd = openNetnsFd(spec.peer.netns);
        resolved['peerNetnsFd'] = peerFd;
      }
      await this.#t.request(encodeLinkAdd(resolved as unknown as ResolvedLinkAdd), opts);
    } finally {
      if (peerFd !== undefined) closeSync(peerFd);
    }
    const after: { alias?: string; promisc?: boolean } = {};
    if (spec.alias !== undefined) after.alias = spec.alias;
    if (spec.promisc !== undefined) after.promisc = spec.promisc;
    if (Object.keys(after).length) await this.set(spec.name, after, opts);
    return this.get(spec.name, opts);
  }

  /**
   * Changes a link in one request: up/down, MTU, MAC, name, alias, master, txqueuelen, promisc, namespace.
   * @throws InvalidArgumentError, LinkNotFoundError, NetlinkError
   */
  async set(ref: string | number, changes: LinkSetInit, opts: Opts = {}): Promise<void> {
    validateLinkSet(changes);
    const index = await resolveLink(this.#t, 'link', ref, opts);
    const { master, netns, ...rest } = changes;
    const resolved: { -readonly [K in keyof ResolvedLinkSet]: ResolvedLinkSet[K] } = { ...rest };
    if (master !== undefined)
      resolved.masterIndex = master === null ? 0 : await resolveLink(this.#t, 'master', master, opts);
    let fd: number | undefined;
    let ownFd = false;
    try {
      if (netns !== undefined) {
        if (typeof netns === 'object' && 'fd' in netns) fd = netns.fd;
        else {
          fd = openNetnsFd(netns);
          ownFd = true;
        }
        resolved.netnsFd = fd;
      }
      await this.#t.request(encodeLinkSet(index, resolved), opts);
    } catch (e) {
      if (isNotFound(e)) throw new LinkNotFoundError(ref, { cause: e });
      throw e;
    } finally {
      if (ownFd && fd !== undefined) closeSync(fd);
    }
  }

  /** Brings a link up. */
  up(ref: string | number, opts: Opts = {}): Promise<void> {
    return this.set(ref, { up: true }, opts);
  }

  /** Brings a link down. */
  down(ref: string | number, opts: Opts = {}): Promise<void> {
    return this.set(ref, { up: false }, opts);
  }

  /** Moves a link into another namespace (a name under /run/netns, `{ path }` or `{ fd }`). */
  moveTo(ref: string | number, netns: NonNullable<LinkSetInit['netns']>, opts: Opts = {}): Promise<void> {
    return this.set(ref, { netns }, opts);
  }

  /** Deletes a link (a veth pair goes with it). @throws LinkNotFoundError */
  async delete(ref: string | number, opts: Opts = {}): Promise<void> {
    const index = await resolveLink(this.#t, 'link', ref, opts);
    try {
      await this.#t.request(encodeLinkDel(index), opts);
    } catch (e) {
      if (isNotFound(e)) throw new LinkNotFoundError(ref, { cause: e });
      throw e;
    }
  }
}
