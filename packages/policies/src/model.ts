/**
 * The one policy model both front-ends produce and both backends compile: ipsets, rules, policies and
 * profiles ordered in tiers, and endpoint bindings. Directions are Calico's: `inbound` rules apply to
 * traffic *to* an endpoint (ingress), `outbound` rules to traffic *from* it (egress).
 */
import type { PolicyIssue } from './errors.js';
import { parseAddress, parsePrefix, type Af, type Prefix } from './prefix.js';

/** `ip`: members are addresses; `ip-port`: `"<ip>,<tcp|udp|sctp>:<port>"` (named ports); `net`: CIDRs. */
export type IpSetType = 'ip' | 'ip-port' | 'net';

export interface IpSet {
  readonly type: IpSetType;
  readonly members: readonly string[];
}

/** `pass` goes on to the next tier (or to the profiles after the last one); `log` matches and goes on. */
export type RuleAction = 'allow' | 'deny' | 'pass' | 'log';

/** An inclusive port range; a single port has `first === last`. */
export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/** ICMP type, optionally with a code. */
export interface IcmpMatch {
  readonly type: number;
  readonly code?: number;
}

/**
 * One rule. Every present criterion must hold (AND); within a list any entry may match (OR).
 * Destination ports match when the port is in `dstPorts` OR (dst address, protocol, port) is in one of
 * `dstNamedPortIpSets` (Felix's convention); the same for the source side.
 */
export interface Rule {
  readonly action: RuleAction;
  /** Restricts the rule to one IP family. Default: both. */
  readonly ipVersion?: 4 | 6;
  /** IP protocol number (6 tcp, 17 udp, 132 sctp, 1 icmp, 58 icmpv6). Default: any. */
  readonly protocol?: number;
  readonly notProtocol?: number;
  readonly srcNets?: readonly string[];
  readonly notSrcNets?: readonly string[];
  readonly dstNets?: readonly string[];
  readonly notDstNets?: readonly string[];
  readonly srcPorts?: readonly PortRange[];
  readonly notSrcPorts?: readonly PortRange[];
  readonly dstPorts?: readonly PortRange[];
  readonly notDstPorts?: readonly PortRange[];
  readonly srcIpSets?: readonly string[];
  readonly notSrcIpSets?: readonly string[];
  readonly dstIpSets?: readonly string[];
  readonly notDstIpSets?: readonly string[];
  readonly srcNamedPortIpSets?: readonly string[];
  readonly dstNamedPortIpSets?: readonly string[];
  readonly notSrcNamedPortIpSets?: readonly string[];
  readonly notDstNamedPortIpSets?: readonly string[];
  readonly icmp?: IcmpMatch;
  readonly notIcmp?: IcmpMatch;
  /** An opaque id (Felix's `rule_id`), kept for messages. */
  readonly id?: string;
}

/** A policy or a profile: ordered rules per direction. */
export interface Policy {
  readonly inbound: readonly Rule[];
  readonly outbound: readonly Rule[];
  /** Felix: untracked / pre-DNAT policies; neither backend can express them (reported, not applied). */
  readonly untracked?: boolean;
  readonly preDnat?: boolean;
}

/** A tier: the policies that apply to an endpoint, in order, per direction. */
export interface Tier {
  readonly name: string;
  /** Policy ids applied to traffic to the endpoint. */
  readonly ingress: readonly string[];
  /** Policy ids applied to traffic from the endpoint. */
  readonly egress: readonly string[];
  /** What happens when no policy of the tier decides. Default `deny` (Calico). */
  readonly defaultAction?: 'deny' | 'pass';
}

/** A workload endpoint: a pod interface (VPP's side of it). */
export interface WorkloadEndpoint {
  readonly swIfIndexes: readonly number[];
  readonly tiers: readonly Tier[];
  readonly profiles: readonly string[];
  /** The pod's addresses (they join the built-in all-pods ipset). */
  readonly addresses?: readonly string[];
}

/** A host endpoint: the uplink(s), tunnels, and the VPP-to-host tap(s). */
export interface HostEndpoint {
  readonly uplinks: readonly number[];
  readonly tunnels: readonly number[];
  readonly taps: readonly number[];
  readonly tiers: readonly Tier[];
  readonly forwardTiers: readonly Tier[];
  readonly profiles: readonly string[];
  /** Felix's untracked / pre-DNAT tiers: reported as unsupported when non-empty. */
  readonly untrackedTiers?: readonly Tier[];
  readonly preDnatTiers?: readonly Tier[];
}

/** A failsafe port (Felix's FailsafeInboundHostPorts / FailsafeOutboundHostPorts). */
export interface FailsafePort {
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  readonly port: number;
  readonly net?: string;
}

/** Node-wide settings the built-in policies use. */
export interface HostConfig {
  /** The node's own addresses (allow-from-host, allow-to-host). */
  readonly hostAddresses: readonly string[];
  /** Default: Felix's defaults (tcp 22, udp 68, tcp 179, tcp 2379, 2380, 5473, 6443, 6666, 6667). */
  readonly failsafeInbound?: readonly FailsafePort[];
  /** Default: Felix's defaults (udp 53, udp 67, tcp 179, tcp 2379, 2380, 5473, 6443, 6666, 6667). */
  readonly failsafeOutbound?: readonly FailsafePort[];
  /** Felix's DefaultEndpointToHostAction. Default `allow`. */
  readonly endpointToHostAction?: 'allow' | 'deny';
}

// ---- normalised (validated) forms ------------------------------------------------------------------

/** A parsed ipset member. */
export type IpSetMember =
  | { readonly kind: 'ip'; readonly af: Af; readonly addr: bigint; readonly text: string }
  | { readonly kind: 'net'; readonly prefix: Prefix; readonly text: string }
  | {
      readonly kind: 'ip-port';
      readonly af: Af;
      readonly addr: bigint;
      readonly proto: number;
      readonly port: number;
      readonly text: string;
    };

export const PROTOCOLS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58, sctp: 132, udplite: 136 };

/** Parses one ipset member of the given type; undefined when invalid. */
export function parseMember(type: IpSetType, text: string): IpSetMember | undefined {
  if (type === 'ip') {
    const a = parseAddress(text);
    if (a) return { kind: 'ip', af: a.af, addr: a.addr, text };
    const p = parsePrefix(text); // Felix sends /32 sometimes
    if (p && p.len === (p.af === 4 ? 32 : 128)) return { kind: 'ip', af: p.af, addr: p.addr, text };
    return undefined;
  }
  if (type === 'net') {
    const p = parsePrefix(text);
    return p ? { kind: 'net', prefix: p, text } : undefined;
  }
  const m = /^(.+),([a-z0-9]+):(\d+)$/i.exec(text);
  if (!m) return undefined;
  const a = parseAddress(m[1]!);
  const proto = PROTOCOLS[m[2]!.toLowerCase()] ?? (/^\d+$/.test(m[2]!) ? Number(m[2]) : undefined);
  const port = Number(m[3]);
  if (!a || proto === undefined || proto > 255 || port > 65535) return undefined;
  return { kind: 'ip-port', af: a.af, addr: a.addr, proto, port, text };
}

/** Member as a prefix (ip: host prefix). */
export function memberPrefix(m: IpSetMember): Prefix {
  if (m.kind === 'net') return m.prefix;
  return { af: m.af, addr: m.addr, len: m.af === 4 ? 32 : 128 };
}

/** Checks a rule's own fields (not its references); returns one issue per bad field. */
export function validateRule(rule: Rule, object: string, path: string): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const bad = (p: string, code: string, message: string) =>
    issues.push({ code, object, path: `${path}.${p}`, message });
  if (!['allow', 'deny', 'pass', 'log'].includes(rule.action))
    bad('action', 'invalid-action', `unknown action "${String(rule.action)}"`);
  if (rule.ipVersion !== undefined && rule.ipVersion !== 4 && rule.ipVersion !== 6)
    bad('ipVersion', 'invalid-ip-version', `must be 4 or 6`);
  for (const f of ['protocol', 'notProtocol'] as const) {
    const v = rule[f];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= 255))
      bad(f, 'invalid-protocol', `protocol ${String(v)} is not 0..255`);
  }
  for (const f of ['srcNets', 'notSrcNets', 'dstNets', 'notDstNets'] as const) {
    rule[f]?.forEach((n, i) => {
      if (!parsePrefix(n)) bad(`${f}[${i}]`, 'invalid-cidr', `"${n}" is not a CIDR`);
    });
  }
  for (const f of ['srcPorts', 'notSrcPorts', 'dstPorts', 'notDstPorts'] as const) {
    rule[f]?.forEach((r, i) => {
      if (!(
        Number.isInteger(r.first) &&
        Number.isInteger(r.last) &&
        r.first >= 0 &&
        r.last <= 65535 &&
        r.first <= r.last
      ))
        bad(`${f}[${i}]`, 'invalid-port-range', `${r.first}-${r.last} is not a port range in 0..65535`);
    });
  }
  return issues;
}

/** The ipset ids a rule refers to, with the field each comes from. */
export function ruleIpSetRefs(rule: Rule): { field: string; id: string; named: boolean }[] {
  const out: { field: string; id: string; named: boolean }[] = [];
  for (const f of ['srcIpSets', 'notSrcIpSets', 'dstIpSets', 'notDstIpSets'] as const)
    rule[f]?.forEach((id, i) => out.push({ field: `${f}[${i}]`, id, named: false }));
  for (const f of [
    'srcNamedPortIpSets',
    'dstNamedPortIpSets',
    'notSrcNamedPortIpSets',
    'notDstNamedPortIpSets',
  ] as const)
    rule[f]?.forEach((id, i) => out.push({ field: `${f}[${i}]`, id, named: true }));
  return out;
}

/** Felix's default failsafe ports (felix/config/config_params.go). */
export const DEFAULT_FAILSAFE_INBOUND: readonly FailsafePort[] = [
  { protocol: 'tcp', port: 22 },
  { protocol: 'udp', port: 68 },
  { protocol: 'tcp', port: 179 },
  { protocol: 'tcp', port: 2379 },
  { protocol: 'tcp', port: 2380 },
  { protocol: 'tcp', port: 5473 },
  { protocol: 'tcp', port: 6443 },
  { protocol: 'tcp', port: 6666 },
  { protocol: 'tcp', port: 6667 },
];
export const DEFAULT_FAILSAFE_OUTBOUND: readonly FailsafePort[] = [
  { protocol: 'udp', port: 53 },
  { protocol: 'udp', port: 67 },
  { protocol: 'tcp', port: 179 },
  { protocol: 'tcp', port: 2379 },
  { protocol: 'tcp', port: 2380 },
  { protocol: 'tcp', port: 5473 },
  { protocol: 'tcp', port: 6443 },
  { protocol: 'tcp', port: 6666 },
  { protocol: 'tcp', port: 6667 },
];
