/** Felix's protobuf objects → the policy model. */
import {
  PROTOCOLS,
  type FailsafePort,
  type HostConfig,
  type IpSetType,
  type Policy,
  type PortRange,
  type Rule,
  type Tier,
} from '../model.js';
import type {
  FelixPolicy,
  FelixPolicyId,
  FelixPortRange,
  FelixProtocol,
  FelixRule,
  FelixTierInfo,
  FelixWorkloadEndpointId,
} from './proto.js';

export const IPSET_TYPES: Record<number, IpSetType> = { 0: 'ip', 1: 'ip-port', 2: 'net' };

/** One key for a Felix policy id (tier-less PolicyID of Calico ≥ 3.30: kind/namespace/name). */
export function felixPolicyKey(id: FelixPolicyId | undefined): string {
  return [id?.kind, id?.namespace, id?.name].filter((x) => x).join('/');
}

/** Calico/VPP's workload key: orchestrator:workload:endpoint. */
export function felixWorkloadKey(id: FelixWorkloadEndpointId | undefined): string {
  return `${id?.orchestrator_id ?? ''}:${id?.workload_id ?? ''}:${id?.endpoint_id ?? ''}`;
}

function protocol(p: FelixProtocol | undefined): number | undefined {
  if (!p) return undefined;
  if (p.number !== undefined) return p.number;
  if (p.name !== undefined) return PROTOCOLS[p.name.toLowerCase()] ?? (/^\d+$/.test(p.name) ? Number(p.name) : -1);
  return undefined;
}

const ranges = (list: FelixPortRange[] | undefined): PortRange[] | undefined =>
  list?.length ? list.map((r) => ({ first: r.first ?? 0, last: r.last ?? r.first ?? 0 })) : undefined;
const strs = (list: string[] | undefined) => (list?.length ? list : undefined);

const ACTIONS: Record<string, Rule['action']> = {
  allow: 'allow',
  deny: 'deny',
  'next-tier': 'pass',
  pass: 'pass',
  log: 'log',
};

/** A Felix rule as a model rule (an unknown action or protocol becomes invalid input the model rejects). */
export function felixRule(r: FelixRule): Rule {
  const out: { -readonly [K in keyof Rule]: Rule[K] } = {
    action: ACTIONS[(r.action ?? 'allow').toLowerCase()] ?? (r.action as Rule['action']),
  };
  if (r.ip_version === 4 || r.ip_version === 6) out.ipVersion = r.ip_version;
  const p = protocol(r.protocol);
  if (p !== undefined) out.protocol = p;
  const np = protocol(r.not_protocol);
  if (np !== undefined) out.notProtocol = np;
  const set = <K extends keyof Rule>(k: K, v: Rule[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('srcNets', strs(r.src_net));
  set('dstNets', strs(r.dst_net));
  set('notSrcNets', strs(r.not_src_net));
  set('notDstNets', strs(r.not_dst_net));
  set('srcPorts', ranges(r.src_ports));
  set('dstPorts', ranges(r.dst_ports));
  set('notSrcPorts', ranges(r.not_src_ports));
  set('notDstPorts', ranges(r.not_dst_ports));
  set('srcIpSets', strs(r.src_ip_set_ids));
  set('dstIpSets', strs(r.dst_ip_set_ids));
  set('notSrcIpSets', strs(r.not_src_ip_set_ids));
  set('notDstIpSets', strs(r.not_dst_ip_set_ids));
  set('srcNamedPortIpSets', strs(r.src_named_port_ip_set_ids));
  set('dstNamedPortIpSets', strs([...(r.dst_named_port_ip_set_ids ?? []), ...(r.dst_ip_port_set_ids ?? [])]));
  set('notSrcNamedPortIpSets', strs(r.not_src_named_port_ip_set_ids));
  set('notDstNamedPortIpSets', strs(r.not_dst_named_port_ip_set_ids));
  if (r.icmp_type !== undefined) out.icmp = { type: r.icmp_type };
  if (r.icmp_type_code) out.icmp = { type: r.icmp_type_code.type ?? 0, code: r.icmp_type_code.code ?? 0 };
  if (r.not_icmp_type !== undefined) out.notIcmp = { type: r.not_icmp_type };
  if (r.not_icmp_type_code)
    out.notIcmp = { type: r.not_icmp_type_code.type ?? 0, code: r.not_icmp_type_code.code ?? 0 };
  if (r.rule_id) out.id = r.rule_id;
  return out;
}

export function felixPolicy(p: FelixPolicy | undefined): Policy {
  return {
    inbound: (p?.inbound_rules ?? []).map(felixRule),
    outbound: (p?.outbound_rules ?? []).map(felixRule),
    ...(p?.untracked ? { untracked: true } : {}),
    ...(p?.pre_dnat ? { preDnat: true } : {}),
  };
}

export function felixTiers(tiers: FelixTierInfo[] | undefined): Tier[] {
  return (tiers ?? []).map((t) => ({
    name: t.name ?? '',
    ingress: (t.ingress_policies ?? []).map(felixPolicyKey),
    egress: (t.egress_policies ?? []).map(felixPolicyKey),
    defaultAction: (t.default_action ?? '').toLowerCase() === 'pass' ? 'pass' : 'deny',
  }));
}

function portList(v: string | undefined): FailsafePort[] | undefined {
  if (v === undefined) return undefined;
  const out: FailsafePort[] = [];
  for (const part of v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    // "tcp:22", "tcp:10.0.0.0/8:22", "22" (tcp)
    const bits = part.split(':');
    const proto = bits.length > 1 ? bits[0]!.toLowerCase() : 'tcp';
    const port = Number(bits[bits.length - 1]);
    const net = bits.length > 2 ? bits.slice(1, -1).join(':') : undefined;
    if (
      (proto === 'tcp' || proto === 'udp' || proto === 'sctp') &&
      Number.isInteger(port) &&
      port >= 0 &&
      port <= 65535
    )
      out.push({ protocol: proto, port, ...(net ? { net } : {}) });
  }
  return out;
}

/** Felix's ConfigUpdate keys this package reads into the node settings. */
export function felixHostConfig(config: Record<string, string>, hostAddresses: readonly string[]): HostConfig {
  const inbound = portList(config['FailsafeInboundHostPorts']);
  const outbound = portList(config['FailsafeOutboundHostPorts']);
  const action = (config['DefaultEndpointToHostAction'] ?? '').toLowerCase();
  return {
    hostAddresses,
    ...(inbound ? { failsafeInbound: inbound } : {}),
    ...(outbound ? { failsafeOutbound: outbound } : {}),
    ...(action === 'drop' || action === 'deny'
      ? { endpointToHostAction: 'deny' as const }
      : action
        ? { endpointToHostAction: 'allow' as const }
        : {}),
  };
}
