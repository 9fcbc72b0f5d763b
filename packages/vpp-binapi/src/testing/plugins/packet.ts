import { type ParsedPrefix, parseAddress, parsePrefix, prefixContains } from '../ip.js';

/**
 * A packet as the fake's policy evaluators see it: where it is (interface and direction, from VPP's
 * point of view) and its 5-tuple.
 */
export interface FakePacket {
  /** The interface the packet is received on (`'input'`) or about to be sent out of (`'output'`). */
  readonly sw_if_index: number;
  /** `'input'`: VPP receives it on the interface (RX); `'output'`: VPP sends it out of the interface (TX). */
  readonly direction: 'input' | 'output';
  /** Source and destination addresses, both IPv4 or both IPv6. */
  readonly src: string;
  readonly dst: string;
  /** IP protocol number: 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, … */
  readonly proto: number;
  /** TCP/UDP ports (default 0). */
  readonly sport?: number;
  readonly dport?: number;
  /** ICMP type and code (default 8/0 for ICMP, 128/0 for ICMPv6: an echo request). */
  readonly icmpType?: number;
  readonly icmpCode?: number;
  /** TCP flags byte (default 0x02, a SYN). */
  readonly tcpFlags?: number;
}

/** The packet's 5-tuple the way VPP's ACL plugin extracts it (`fa_5tuple_t`): ICMP type/code in the port slots. */
export interface FiveTuple {
  readonly isIp6: boolean;
  readonly src: bigint;
  readonly dst: bigint;
  readonly proto: number;
  /** Source port, or ICMP type. */
  readonly p0: number;
  /** Destination port, or ICMP code. */
  readonly p1: number;
  readonly tcpFlags: number | undefined;
}

export const IP_PROTO_ICMP = 1;
export const IP_PROTO_TCP = 6;
export const IP_PROTO_UDP = 17;
export const IP_PROTO_ICMP6 = 58;

/** @throws RangeError when the addresses do not parse or are of different families. */
export function fiveTuple(p: FakePacket): FiveTuple {
  const s = parseAddress(p.src);
  const d = parseAddress(p.dst);
  if (s.family !== d.family) throw new RangeError(`packet src ${p.src} and dst ${p.dst} are of different families`);
  const icmp = p.proto === IP_PROTO_ICMP || p.proto === IP_PROTO_ICMP6;
  return {
    isIp6: s.family === 6,
    src: s.value,
    dst: d.value,
    proto: p.proto,
    p0: icmp ? (p.icmpType ?? (p.proto === IP_PROTO_ICMP ? 8 : 128)) : (p.sport ?? 0),
    p1: icmp ? (p.icmpCode ?? 0) : (p.dport ?? 0),
    tcpFlags: p.proto === IP_PROTO_TCP ? (p.tcpFlags ?? 0x02) : undefined,
  };
}

/** Does `addr` (of the tuple's family) fall in `prefix` (text)? Prefixes of the other family never match. */
export function inPrefix(t: FiveTuple, addr: bigint, prefix: string | ParsedPrefix): boolean {
  let p: ParsedPrefix;
  try {
    p = typeof prefix === 'string' ? parsePrefix(prefix) : prefix;
  } catch {
    return false;
  }
  if ((p.family === 6) !== t.isIp6) return false;
  return prefixContains(p, { family: p.family, value: addr, len: p.family === 6 ? 128 : 32 });
}
