/**
 * Calico/VPP's endpoint semantics, shared by both backends: which policies (user and built-in) apply
 * to each interface in each direction, and the defaults. Directions here are Calico's (ingress = to
 * the endpoint); the backends map them to VPP's rx/tx (ingress is VPP tx, egress is VPP rx, except on
 * uplinks and tunnels, which invert them).
 */
import type { HostConfig, HostEndpoint, Policy, Rule, Tier, WorkloadEndpoint } from './model.js';
import { DEFAULT_FAILSAFE_INBOUND, DEFAULT_FAILSAFE_OUTBOUND, PROTOCOLS } from './model.js';

export const BUILTIN = {
  allPods: 'builtin:all-pods',
  allowFromHost: 'builtin:allow-from-host',
  allowToHost: 'builtin:allow-to-host',
  failsafe: 'builtin:failsafe',
  workloadsToHost: 'builtin:workloads-to-host',
  tierEndDeny: 'builtin:tier-end-deny',
} as const;

/** Policy keys: user policies `policy:<id>`, profiles `profile:<id>`, built-ins `builtin:<name>`. */
export const policyKey = (id: string) => `policy:${id}`;
export const profileKey = (id: string) => `profile:${id}`;

export type DefaultAction = 'allow' | 'deny' | 'pass';

export interface TierRef {
  readonly name: string;
  readonly policies: readonly string[];
  readonly defaultAction: 'deny' | 'pass';
}

/** One direction of one interface. */
export interface DirectionConfig {
  readonly tiers: readonly TierRef[];
  readonly policyDefault: DefaultAction;
  readonly profileDefault: DefaultAction;
}

/** What one interface gets (Calico's InterfaceConfig, with tiers kept). */
export interface InterfaceConfig {
  readonly swIfIndex: number;
  /** True on uplinks and tunnels (npol's `invert_rx_tx`). */
  readonly invert: boolean;
  readonly ingress: DirectionConfig;
  readonly egress: DirectionConfig;
  readonly profiles: readonly string[];
}

function userTiers(tiers: readonly Tier[], dir: 'ingress' | 'egress'): TierRef[] {
  return tiers
    .map((t) => ({ name: t.name, policies: t[dir].map(policyKey), defaultAction: t.defaultAction ?? 'deny' }))
    .filter((t) => t.policies.length > 0);
}

function prepend(tiers: TierRef[], ids: string[]): TierRef[] {
  if (tiers.length === 0) return [{ name: 'builtin', policies: ids, defaultAction: 'pass' }];
  const [first, ...rest] = tiers;
  return [{ ...first!, policies: [...ids, ...first!.policies] }, ...rest];
}

/** Workload: with policies, allow-from-host first and default deny; with only profiles, pass to them. */
export function workloadConfigs(wep: WorkloadEndpoint): InterfaceConfig[] {
  const ing = userTiers(wep.tiers, 'ingress');
  const eg = userTiers(wep.tiers, 'egress');
  const profiles = wep.profiles.map(profileKey);
  const dir = (t: TierRef[], withHost: boolean): DirectionConfig =>
    t.length > 0
      ? { tiers: withHost ? prepend(t, [BUILTIN.allowFromHost]) : t, policyDefault: 'deny', profileDefault: 'deny' }
      : { tiers: [], policyDefault: profiles.length > 0 ? 'pass' : 'allow', profileDefault: 'deny' };
  return wep.swIfIndexes.map((swIfIndex) => ({
    swIfIndex,
    invert: false,
    ingress: dir(ing, true),
    egress: dir(eg, false),
    profiles,
  }));
}

/** Host endpoint: the tap gets failsafe and workload-to-host first; uplinks and tunnels the forward tiers, inverted. */
export function hostConfigs(hep: HostEndpoint): InterfaceConfig[] {
  const profiles = hep.profiles.map(profileKey);
  const out: InterfaceConfig[] = [];
  // forward policies (uplinks, tunnels)
  const fIng = userTiers(hep.forwardTiers, 'ingress');
  const fEg = userTiers(hep.forwardTiers, 'egress');
  const fwd = (t: TierRef[]): DirectionConfig =>
    t.length > 0
      ? { tiers: prepend(t, [BUILTIN.allowToHost]), policyDefault: 'deny', profileDefault: 'deny' }
      : { tiers: [], policyDefault: profiles.length > 0 ? 'pass' : 'allow', profileDefault: 'deny' };
  for (const sw of [...hep.uplinks, ...hep.tunnels])
    out.push({ swIfIndex: sw, invert: true, ingress: fwd(fIng), egress: fwd(fEg), profiles });
  // host tap
  const ing = userTiers(hep.tiers, 'ingress');
  const eg = userTiers(hep.tiers, 'egress');
  const tap = (t: TierRef[], first: string[]): DirectionConfig => {
    if (t.length === 0 && profiles.length === 0)
      return {
        tiers: [{ name: 'builtin', policies: first, defaultAction: 'deny' }],
        policyDefault: 'deny',
        profileDefault: 'deny',
      };
    if (t.length > 0) return { tiers: prepend(t, first), policyDefault: 'deny', profileDefault: 'deny' };
    return {
      tiers: [{ name: 'builtin', policies: first, defaultAction: 'pass' }],
      policyDefault: 'pass',
      profileDefault: 'deny',
    };
  };
  for (const sw of hep.taps)
    out.push({
      swIfIndex: sw,
      invert: false,
      ingress: tap(ing, [BUILTIN.workloadsToHost, BUILTIN.failsafe]),
      egress: tap(eg, [BUILTIN.allowFromHost, BUILTIN.failsafe]),
      profiles,
    });
  return out;
}

const fullHost = (a: string) => (a.includes('/') ? a : a.includes(':') ? `${a}/128` : `${a}/32`);

/** The built-in policies, from the node's settings. */
export function builtinPolicies(host: HostConfig): Map<string, Policy> {
  const hostNets = host.hostAddresses.map(fullHost);
  const m = new Map<string, Policy>();
  const some = (r: Rule[]) => r;
  m.set(BUILTIN.allowFromHost, {
    inbound: hostNets.length ? [{ action: 'allow', srcNets: hostNets, id: 'allow-from-host-in' }] : [],
    outbound: [{ action: 'allow', dstIpSets: [BUILTIN.allPods], id: 'allow-from-host-out' }],
  });
  m.set(BUILTIN.allowToHost, {
    inbound: hostNets.length ? [{ action: 'allow', dstNets: hostNets, id: 'allow-to-host-in' }] : [],
    outbound: hostNets.length ? [{ action: 'allow', srcNets: hostNets, id: 'allow-to-host-out' }] : [],
  });
  const failsafe = (
    list: readonly { protocol: string; port: number; net?: string }[],
    side: 'srcNets' | 'dstNets',
  ): Rule[] =>
    some(
      list.map((f) => ({
        action: 'allow' as const,
        protocol: PROTOCOLS[f.protocol]!,
        dstPorts: [{ first: f.port, last: f.port }],
        ...(f.net ? { [side]: [f.net] } : {}),
        id: `failsafe-${f.protocol}-${f.port}`,
      })),
    );
  m.set(BUILTIN.failsafe, {
    inbound: failsafe(host.failsafeInbound ?? DEFAULT_FAILSAFE_INBOUND, 'srcNets'),
    outbound: failsafe(host.failsafeOutbound ?? DEFAULT_FAILSAFE_OUTBOUND, 'dstNets'),
  });
  m.set(BUILTIN.workloadsToHost, {
    inbound: [{ action: host.endpointToHostAction ?? 'allow', srcIpSets: [BUILTIN.allPods], id: 'workloads-to-host' }],
    outbound: [],
  });
  m.set(BUILTIN.tierEndDeny, {
    inbound: [{ action: 'deny', id: 'tier-end' }],
    outbound: [{ action: 'deny', id: 'tier-end' }],
  });
  return m;
}
