import type {
  ApiAfiSafi,
  ApiDefinedSet,
  ApiGlobal,
  ApiPeer,
  ApiPolicy,
  ApiPolicyAssignment,
  ApiStatement,
} from './api/types.js';
import { MAX_ASN } from './constants.js';
import { BgpInvalidConfigError } from './errors.js';
import { addressFamily, canonicalAddress, parseCidr, type IpFamily } from './net.js';
import { apiFamily } from './paths.js';
import type { BgpGlobalConfig, BgpPeerConfig, BgpPeerStatus, BgpPolicy } from './speaker.js';

/** Check an AS number. @throws BgpInvalidConfigError */
export function checkAsn(object: string, field: string, asn: unknown): number {
  if (typeof asn !== 'number' || !Number.isInteger(asn) || asn < 1 || asn > MAX_ASN) {
    throw new BgpInvalidConfigError(object, field, asn, `is not an AS number (1…${MAX_ASN})`);
  }
  return asn;
}

function checkAddress(object: string, field: string, v: unknown, family?: IpFamily): string {
  const f = typeof v === 'string' ? addressFamily(v) : undefined;
  if (!f || (family && f !== family))
    throw new BgpInvalidConfigError(object, field, v, `is not an ${family ?? 'IP'} address`);
  return canonicalAddress(v as string);
}

function checkInt(object: string, field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new BgpInvalidConfigError(object, field, v, `is not an integer in ${min}…${max}`);
  return v;
}

/** Validate and convert global settings. @throws BgpInvalidConfigError */
export function toApiGlobal(g: BgpGlobalConfig): ApiGlobal {
  checkAsn('global', 'asn', g.asn);
  checkAddress('global', 'routerId', g.routerId, 'ipv4');
  const port = g.listenPort ?? 179;
  if (port !== -1) checkInt('global', 'listenPort', port, 1, 65535);
  if (!Array.isArray(g.listenAddresses) || g.listenAddresses.length === 0) {
    throw new BgpInvalidConfigError(
      'global',
      'listenAddresses',
      g.listenAddresses,
      'must name at least one address (never all interfaces by default)',
    );
  }
  g.listenAddresses.forEach((a, i) => checkAddress('global', `listenAddresses[${i}]`, a));
  const out: ApiGlobal = {
    asn: g.asn,
    router_id: g.routerId,
    listen_port: port,
    listen_addresses: [...g.listenAddresses],
  };
  if (g.gracefulRestart) {
    out.graceful_restart = {
      enabled: true,
      restart_time: checkInt('global', 'gracefulRestart.restartTimeS', g.gracefulRestart.restartTimeS, 1, 4095),
    };
  }
  return out;
}

function assignment(name: string, direction: 'IMPORT' | 'EXPORT', policies: string[]): ApiPolicyAssignment {
  return { name, direction, policies: policies.map((p) => ({ name: p })), default_action: 'ACCEPT' };
}

/** The export policy that keeps next hops unchanged (keepOriginalNextHop). */
export const KEEP_NEXT_HOP_POLICY = 'vp-keep-next-hop';

/** Validate and convert one neighbor. @throws BgpInvalidConfigError */
export function toApiPeer(p: BgpPeerConfig, global?: BgpGlobalConfig): ApiPeer {
  const object = `peer ${String(p.address)}`;
  const address = checkAddress(object, 'address', p.address);
  checkAsn(object, 'asn', p.asn);
  if (p.localAsn !== undefined) checkAsn(object, 'localAsn', p.localAsn);
  const peer: ApiPeer = {
    conf: { neighbor_address: address, peer_asn: p.asn },
    afi_safis: [],
  };
  if (p.localAsn !== undefined) peer.conf!.local_asn = p.localAsn;
  if (p.password !== undefined) {
    if (typeof p.password !== 'string' || p.password.length === 0 || p.password.length > 80)
      throw new BgpInvalidConfigError(object, 'password', '***', 'must be 1…80 characters');
    peer.conf!.auth_password = p.password;
  }
  if (p.description) peer.conf!.description = p.description;
  const transport: NonNullable<ApiPeer['transport']> = {};
  if (p.port !== undefined) transport.remote_port = checkInt(object, 'port', p.port, 1, 65535);
  if (p.sourceAddress !== undefined)
    transport.local_address = checkAddress(object, 'sourceAddress', p.sourceAddress, addressFamily(address));
  if (p.passive) transport.passive_mode = true;
  if (Object.keys(transport).length) peer.transport = transport;
  if (p.ttlSecurityHops !== undefined) {
    const hops = checkInt(object, 'ttlSecurityHops', p.ttlSecurityHops, 1, 254);
    peer.ttl_security = { enabled: true, ttl_min: 256 - hops };
  }
  if (p.ebgpMultihopTtl !== undefined)
    peer.ebgp_multihop = {
      enabled: true,
      multihop_ttl: checkInt(object, 'ebgpMultihopTtl', p.ebgpMultihopTtl, 1, 255),
    };
  if (p.routeReflectorClient) {
    peer.route_reflector = {
      route_reflector_client: true,
      route_reflector_cluster_id: checkAddress(
        object,
        'routeReflectorClient.clusterId',
        p.routeReflectorClient.clusterId,
        'ipv4',
      ),
    };
  }
  const gr = p.gracefulRestart;
  if (gr)
    peer.graceful_restart = {
      enabled: true,
      restart_time: checkInt(object, 'gracefulRestart.restartTimeS', gr.restartTimeS, 1, 4095),
    };
  const families = p.families ?? ['ipv4', 'ipv6'];
  if (!Array.isArray(families) || families.length === 0)
    throw new BgpInvalidConfigError(object, 'families', families, 'must name ipv4 and/or ipv6');
  for (const [i, f] of families.entries()) {
    if (f !== 'ipv4' && f !== 'ipv6')
      throw new BgpInvalidConfigError(object, `families[${i}]`, f, "is not 'ipv4' or 'ipv6'");
    const afi: ApiAfiSafi = { config: { family: apiFamily(f), enabled: true } };
    if (gr) afi.mp_graceful_restart = { config: { enabled: true } };
    peer.afi_safis!.push(afi);
  }
  const exportPolicies = [...(p.keepOriginalNextHop ? [KEEP_NEXT_HOP_POLICY] : []), ...(p.exportPolicies ?? [])];
  const importPolicies = p.importPolicies ?? [];
  if (exportPolicies.length || importPolicies.length) {
    peer.apply_policy = {};
    if (importPolicies.length) peer.apply_policy.import_policy = assignment(address, 'IMPORT', importPolicies);
    if (exportPolicies.length) peer.apply_policy.export_policy = assignment(address, 'EXPORT', exportPolicies);
  }
  void global;
  return peer;
}

/** The built-in policy behind keepOriginalNextHop. */
export function keepNextHopPolicy(): BgpPolicy {
  return { name: KEEP_NEXT_HOP_POLICY, statements: [{ action: 'none', nextHopUnchanged: true }] };
}

/** Convert a policy into its defined sets and GoBGP policy. @throws BgpInvalidConfigError */
export function toApiPolicy(p: BgpPolicy): { sets: ApiDefinedSet[]; policy: ApiPolicy } {
  const object = `policy ${String(p.name)}`;
  if (typeof p.name !== 'string' || !/^[A-Za-z0-9._:-]{1,200}$/.test(p.name))
    throw new BgpInvalidConfigError(object, 'name', p.name, 'is not a policy name ([A-Za-z0-9._:-])');
  const sets: ApiDefinedSet[] = [];
  const statements: ApiStatement[] = p.statements.map((s, i) => {
    const st: ApiStatement = { name: `${p.name}-${i}`, conditions: {}, actions: {} };
    if (s.prefixes?.length) {
      const setName = `${p.name}-${i}`;
      sets.push({
        defined_type: 'PREFIX',
        name: setName,
        prefixes: s.prefixes.map((x, k) => {
          const c = parseCidr(x.cidr);
          if (!c)
            throw new BgpInvalidConfigError(
              object,
              `statements[${i}].prefixes[${k}].cidr`,
              x.cidr,
              'is not a CIDR prefix',
            );
          const max = c.family === 'ipv4' ? 32 : 128;
          const lo = x.maskMin ?? c.length;
          const hi = x.maskMax ?? lo;
          checkInt(object, `statements[${i}].prefixes[${k}].maskMin`, lo, c.length, max);
          checkInt(object, `statements[${i}].prefixes[${k}].maskMax`, hi, lo, max);
          return { ip_prefix: `${c.address}/${c.length}`, mask_length_min: lo, mask_length_max: hi };
        }),
      });
      st.conditions!.prefix_set = { name: setName, type: s.match === 'notIn' ? 'INVERT' : 'ANY' };
    }
    if (s.family) st.conditions!.afi_safi_in = [apiFamily(s.family)];
    st.actions!.route_action = s.action === 'accept' ? 'ACCEPT' : s.action === 'reject' ? 'REJECT' : 'NONE';
    if (s.nextHopUnchanged) st.actions!.nexthop = { unchanged: true };
    return st;
  });
  return { sets, policy: { name: p.name, statements } };
}

/** Convert gobgpd's peer listing into our status shape. */
export function fromApiPeer(p: ApiPeer): BgpPeerStatus {
  let received = 0;
  let accepted = 0;
  let advertised = 0;
  for (const a of p.afi_safis ?? []) {
    received += a.state?.received ?? 0;
    accepted += a.state?.accepted ?? 0;
    advertised += a.state?.advertised ?? 0;
  }
  return {
    address: p.state?.neighbor_address ?? p.conf?.neighbor_address ?? '',
    asn: p.state?.peer_asn ?? p.conf?.peer_asn ?? 0,
    state: p.state?.session_state ?? 'UNKNOWN',
    routerId: p.state?.router_id && p.state.router_id !== '<nil>' ? p.state.router_id : undefined,
    received,
    accepted,
    advertised,
  };
}
