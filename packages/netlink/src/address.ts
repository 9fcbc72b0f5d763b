/**
 * Interface addresses (RTM_NEWADDR / RTM_DELADDR / RTM_GETADDR): struct ifaddrmsg + IFA_* attributes.
 */
import {
  MessageBuilder,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  NLM_F_REQUEST,
  attrs,
  readStr,
  readU32,
  readU8,
  type NlMessage,
} from './codec/nlmsg.js';
import {
  SCOPES,
  afToFamily,
  checkFamily,
  familyToAf,
  formatIp,
  requireIp,
  requirePrefix,
  type IpFamily,
  type IpPrefix,
  type Scope,
} from './addr.js';
import type { CallOptions, RtnlTransport } from './transport.js';
import {
  InvalidArgumentError,
  U32_MAX,
  checkInt,
  checkNamed,
  flagsToMask,
  maskToFlags,
  nameOf,
  resolveLink,
  sig,
} from './validate.js';

export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;

export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_BROADCAST = 4;
export const IFA_ANYCAST = 5;
export const IFA_CACHEINFO = 6;
export const IFA_MULTICAST = 7;
export const IFA_FLAGS = 8;
export const IFA_RT_PRIORITY = 9;
export const IFA_PROTO = 11;

/** IFA_F_* bits by name (iproute2 spelling). */
export const ADDRESS_FLAGS = {
  secondary: 0x01,
  nodad: 0x02,
  optimistic: 0x04,
  dadfailed: 0x08,
  homeaddress: 0x10,
  deprecated: 0x20,
  tentative: 0x40,
  permanent: 0x80,
  managetempaddr: 0x100,
  noprefixroute: 0x200,
  autojoin: 0x400,
  'stable-privacy': 0x800,
} as const;
export type AddressFlag = keyof typeof ADDRESS_FLAGS;

/** Lifetime value meaning "never expires". */
export const INFINITY_LIFE_TIME = 0xffffffff;

/** An address to add, replace or delete. */
export interface AddressSpec {
  /** Interface name or index. */
  readonly link: string | number;
  /** Local address with prefix length (`10.0.0.1/24`); a bare address means /32 or /128. */
  readonly address: string;
  /**
   * Point-to-point peer (`10.0.0.2` or `10.0.0.0/30`): sent as IFA_ADDRESS while the local address goes
   * in IFA_LOCAL; the prefix length is then the peer's.
   */
  readonly peer?: string;
  /** IPv4 broadcast address. */
  readonly broadcast?: string;
  /** IPv4 label (`eth0:1`); must start with the interface name. */
  readonly label?: string;
  /** Default: `host` for 127.0.0.0/8, else `universe` (as iproute2). */
  readonly scope?: Scope;
  readonly flags?: readonly AddressFlag[];
  /** Seconds or 'forever' (default). Defaults to `validLifetime` when only that is given. */
  readonly preferredLifetime?: number | 'forever';
  /** Seconds or 'forever' (default). */
  readonly validLifetime?: number | 'forever';
  /** Metric of the prefix route the kernel adds (IFA_RT_PRIORITY). */
  readonly metric?: number;
  /** Originator (IFA_PROTO, 0..255). */
  readonly protocol?: number;
}

/** An address as the kernel reports it. */
export interface Address {
  readonly family: IpFamily;
  /** Interface index. */
  readonly index: number;
  /** The local address (IFA_LOCAL, else IFA_ADDRESS). */
  readonly address: string;
  readonly prefixLen: number;
  /** Point-to-point peer, present when IFA_ADDRESS differs from IFA_LOCAL. */
  readonly peer?: string;
  readonly broadcast?: string;
  readonly anycast?: string;
  readonly label?: string;
  readonly scope: Scope;
  readonly flags: readonly AddressFlag[];
  /** Raw IFA_F_* bits (IFA_FLAGS when present, else ifa_flags). */
  readonly flagBits: number;
  readonly preferredLifetime: number | 'forever';
  readonly validLifetime: number | 'forever';
  readonly metric?: number;
  readonly protocol?: number;
}

/** Filter for {@link AddressApi.list}. */
export interface AddressFilter {
  readonly link?: string | number;
  readonly family?: IpFamily;
}

export type AddressOp = 'add' | 'replace' | 'delete';

const OP_FLAGS: Record<AddressOp, number> = {
  add: NLM_F_CREATE | NLM_F_EXCL,
  replace: NLM_F_CREATE | NLM_F_REPLACE,
  delete: 0,
};

function lifetime(field: string, v: number | 'forever' | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (v === 'forever') return INFINITY_LIFE_TIME;
  return checkInt(field, v, 0, U32_MAX);
}

interface CheckedAddress {
  local: IpPrefix;
  peer: IpPrefix | undefined;
  prefixLen: number;
}

function checkAddress(spec: AddressSpec): CheckedAddress {
  if (spec === null || typeof spec !== 'object') throw new InvalidArgumentError('address', spec, 'must be an object');
  const local = requirePrefix('address', spec.address);
  const peer = spec.peer === undefined ? undefined : requirePrefix('peer', spec.peer, { family: local.family });
  return { local, peer, prefixLen: peer ? peer.prefixLen : local.prefixLen };
}

/**
 * Encodes RTM_NEWADDR (add / replace) or RTM_DELADDR (delete) for interface `ifindex`.
 * @throws InvalidArgumentError naming the bad field
 */
export function encodeAddress(op: AddressOp, spec: AddressSpec, ifindex: number): Uint8Array {
  checkInt('link', ifindex, 1, 0x7fffffff);
  const { local, peer, prefixLen } = checkAddress(spec);
  const flags = flagsToMask('flags', spec.flags, ADDRESS_FLAGS);
  let scope: number;
  if (spec.scope !== undefined) scope = checkNamed('scope', spec.scope, SCOPES, 255);
  else scope = local.family === 'inet' && local.bytes[0] === 127 ? SCOPES.host : SCOPES.universe;

  let valid = lifetime('validLifetime', spec.validLifetime);
  let preferred = lifetime('preferredLifetime', spec.preferredLifetime);
  if (valid !== undefined || preferred !== undefined) {
    valid ??= INFINITY_LIFE_TIME;
    preferred ??= valid;
    if (valid === 0) throw new InvalidArgumentError('validLifetime', spec.validLifetime, 'must be greater than 0');
    if (preferred > valid) {
      throw new InvalidArgumentError('preferredLifetime', spec.preferredLifetime, 'must not exceed validLifetime');
    }
  }

  const hdr = new Uint8Array(8);
  const dv = new DataView(hdr.buffer);
  hdr[0] = familyToAf(local.family);
  hdr[1] = prefixLen;
  // ifa_flags stays 0: every flag goes in IFA_FLAGS (u32), which the kernel prefers (as iproute2 does).
  hdr[3] = scope;
  dv.setUint32(4, ifindex, true);
  const b = new MessageBuilder(op === 'delete' ? RTM_DELADDR : RTM_NEWADDR, NLM_F_REQUEST | OP_FLAGS[op], hdr);
  b.attr(IFA_LOCAL, local.bytes);
  b.attr(IFA_ADDRESS, peer ? peer.bytes : local.bytes);
  if (spec.broadcast !== undefined) {
    if (local.family !== 'inet') throw new InvalidArgumentError('broadcast', spec.broadcast, 'is IPv4 only');
    b.attr(IFA_BROADCAST, requireIp('broadcast', spec.broadcast, 'inet').bytes);
  }
  if (spec.label !== undefined) {
    const len = typeof spec.label === 'string' ? new TextEncoder().encode(spec.label).length : 0;
    if (len === 0 || len > 15) throw new InvalidArgumentError('label', spec.label, 'must be 1 to 15 bytes long');
    if (local.family !== 'inet') throw new InvalidArgumentError('label', spec.label, 'is IPv4 only');
    b.str(IFA_LABEL, spec.label);
  }
  if (flags) b.u32(IFA_FLAGS, flags);
  if (valid !== undefined && preferred !== undefined) {
    const ci = new Uint8Array(16);
    const cv = new DataView(ci.buffer);
    cv.setUint32(0, preferred, true);
    cv.setUint32(4, valid, true);
    b.attr(IFA_CACHEINFO, ci);
  }
  if (spec.metric !== undefined) b.u32(IFA_RT_PRIORITY, checkInt('metric', spec.metric, 0, U32_MAX));
  if (spec.protocol !== undefined) b.u8(IFA_PROTO, checkInt('protocol', spec.protocol, 0, 255));
  return b.finish();
}

/**
 * Encodes an RTM_GETADDR dump request, filtered by family and interface index (strict dump filtering:
 * the kernel honours ifa_index; every other header field stays zero).
 */
export function encodeAddressDump(family?: IpFamily, ifindex = 0): Uint8Array {
  const hdr = new Uint8Array(8);
  hdr[0] = family ? familyToAf(family) : 0;
  new DataView(hdr.buffer).setUint32(4, ifindex, true);
  return new MessageBuilder(RTM_GETADDR, NLM_F_REQUEST, hdr).finish();
}

const lifeOut = (v: number): number | 'forever' => (v === INFINITY_LIFE_TIME ? 'forever' : v);
const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Decodes an RTM_NEWADDR / RTM_DELADDR message (a dump reply or a multicast notification);
 * `undefined` for other message types or families other than IPv4/IPv6.
 */
export function decodeAddress(msg: NlMessage): Address | undefined {
  if ((msg.type !== RTM_NEWADDR && msg.type !== RTM_DELADDR) || msg.payload.length < 8) return undefined;
  const p = msg.payload;
  const family = afToFamily(p[0] ?? 0);
  if (!family) return undefined;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  let flagBits = p[2] ?? 0;
  let addr: Uint8Array | undefined;
  let local: Uint8Array | undefined;
  let broadcast: string | undefined;
  let anycast: string | undefined;
  let label: string | undefined;
  let preferred = INFINITY_LIFE_TIME;
  let valid = INFINITY_LIFE_TIME;
  let metric: number | undefined;
  let protocol: number | undefined;
  for (const a of attrs(p.subarray(8))) {
    switch (a.type) {
      case IFA_ADDRESS:
        addr = a.value;
        break;
      case IFA_LOCAL:
        local = a.value;
        break;
      case IFA_BROADCAST:
        broadcast = formatIp(a.value);
        break;
      case IFA_ANYCAST:
        anycast = formatIp(a.value);
        break;
      case IFA_LABEL:
        label = readStr(a.value);
        break;
      case IFA_FLAGS:
        flagBits = readU32(a.value);
        break;
      case IFA_CACHEINFO:
        if (a.value.length >= 8) {
          preferred = readU32(a.value);
          valid = readU32(a.value.subarray(4));
        }
        break;
      case IFA_RT_PRIORITY:
        metric = readU32(a.value);
        break;
      case IFA_PROTO:
        protocol = readU8(a.value);
        break;
    }
  }
  const mine = local ?? addr;
  if (!mine) return undefined;
  const peer = local && addr && !bytesEqual(local, addr) ? formatIp(addr) : undefined;
  return {
    family,
    index: dv.getUint32(4, true),
    address: formatIp(mine),
    prefixLen: p[1] ?? 0,
    ...(peer !== undefined && { peer }),
    ...(broadcast !== undefined && { broadcast }),
    ...(anycast !== undefined && { anycast }),
    ...(label !== undefined && { label }),
    scope: nameOf(SCOPES, p[3] ?? 0),
    flags: maskToFlags(flagBits, ADDRESS_FLAGS),
    flagBits,
    preferredLifetime: lifeOut(preferred),
    validLifetime: lifeOut(valid),
    ...(metric !== undefined && { metric }),
    ...(protocol !== undefined && { protocol }),
  };
}

/** The spec that re-creates `a` (for snapshot / restore); kernel-managed flags are dropped. */
export function addressToSpec(a: Address): AddressSpec {
  const settable = new Set<AddressFlag>(['nodad', 'homeaddress', 'managetempaddr', 'noprefixroute', 'autojoin']);
  const flags = a.flags.filter((f) => settable.has(f));
  const finite = a.validLifetime !== 'forever';
  return {
    link: a.index,
    ...(a.peer !== undefined
      ? { address: a.address, peer: `${a.peer}/${a.prefixLen}` }
      : { address: `${a.address}/${a.prefixLen}` }),
    ...(a.broadcast !== undefined && { broadcast: a.broadcast }),
    ...(a.label !== undefined && { label: a.label }),
    scope: a.scope,
    ...(flags.length > 0 && { flags }),
    ...(finite && { validLifetime: a.validLifetime, preferredLifetime: a.preferredLifetime }),
    ...(a.metric !== undefined && { metric: a.metric }),
    ...(a.protocol !== undefined && a.protocol !== 0 && { protocol: a.protocol }),
  };
}

/** Interface addresses of one namespace; reach it as `nl.address`. */
export class AddressApi {
  constructor(private readonly transport: RtnlTransport) {}

  /**
   * Lists addresses, optionally of one link and/or one family (filtered by the kernel where it can,
   * and again here).
   * @throws InvalidArgumentError, LinkNotFoundError, NetlinkError
   */
  async *list(filter: AddressFilter = {}, opts?: CallOptions): AsyncIterable<Address> {
    checkFamily('family', filter.family);
    const index = filter.link === undefined ? 0 : await resolveLink(this.transport, 'link', filter.link, sig(opts));
    for await (const msg of this.transport.dump(encodeAddressDump(filter.family, index), sig(opts))) {
      const a = decodeAddress(msg);
      if (!a) continue;
      if (index && a.index !== index) continue;
      if (filter.family && a.family !== filter.family) continue;
      yield a;
    }
  }

  /** Adds an address; fails with EEXIST when it is already there. @throws InvalidArgumentError, NetlinkError */
  async add(spec: AddressSpec, opts?: CallOptions): Promise<void> {
    await this.send('add', spec, opts);
  }

  /** Adds an address or updates an existing one (flags, lifetimes, metric). @throws InvalidArgumentError, NetlinkError */
  async replace(spec: AddressSpec, opts?: CallOptions): Promise<void> {
    await this.send('replace', spec, opts);
  }

  /** Deletes an address (matched by link, local address, prefix length and peer). @throws InvalidArgumentError, NetlinkError */
  async delete(spec: AddressSpec, opts?: CallOptions): Promise<void> {
    await this.send('delete', spec, opts);
  }

  private async send(op: AddressOp, spec: AddressSpec, opts: CallOptions | undefined): Promise<void> {
    checkAddress(spec); // refuse bad input before resolving the link name
    const index = await resolveLink(this.transport, 'link', spec.link, sig(opts));
    await this.transport.request(encodeAddress(op, spec, index), sig(opts));
  }
}
