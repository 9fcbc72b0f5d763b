import {
  calicoNodeInfo,
  type BGPConfiguration,
  type BGPFilter,
  type BGPFilterRule,
  type BGPPeer,
  type IPPool,
  type Node,
  type Secret,
} from '@vectorplane/kube';
import { DEFAULT_ASN, DEFAULT_RESTART_TIME_S, MAX_ASN } from '../constants.js';
import {
  addressFamily,
  canonicalAddress,
  canonicalCidr,
  cidrContains,
  parseCidr,
  sameSubnet,
  type Cidr,
  type IpFamily,
} from '../net.js';
import type { BgpAnnouncement } from '../paths.js';
import type { BgpGlobalConfig, BgpPeerConfig, BgpPolicy, BgpPolicyStatement } from '../speaker.js';
import type { ProviderKind } from '../vpp/types.js';
import { parseCalicoSelector, type CalicoSelector } from './selector.js';

/** One problem found in the input: the object is skipped (or the field ignored); nothing else is lost. */
export interface BgpIssue {
  code:
    | 'node-missing'
    | 'node-address-invalid'
    | 'asn-out-of-range'
    | 'peer-ip-invalid'
    | 'selector-invalid'
    | 'secret-missing'
    | 'secret-key-missing'
    | 'duration-invalid'
    | 'filter-missing'
    | 'filter-rule-invalid'
    | 'cidr-invalid'
    | 'peer-incomplete'
    | 'unsupported';
  /** `Kind/name` of the object, e.g. `BGPPeer/rack1-tor`. */
  object: string;
  /** Path of the bad field, e.g. `spec.peerIP`. */
  path: string;
  message: string;
}

/** Everything the translator reads. */
export interface BgpModelInput {
  /** This node's name. */
  nodeName: string;
  nodes: readonly Node[];
  bgpConfigurations?: readonly BGPConfiguration[];
  bgpPeers?: readonly BGPPeer[];
  bgpFilters?: readonly BGPFilter[];
  /** Secrets BGPPeer passwords refer to (Calico reads them from its own namespace). */
  secrets?: readonly Secret[];
  /** Namespace the password Secrets live in (default: any namespace matches by name). */
  secretsNamespace?: string;
  ipPools?: readonly IPPool[];
  /** This node's IPAM blocks (from config or Calico's IPAM resources). */
  ipamBlocks?: readonly string[];
  /** Addresses of pods on this node; those outside the blocks are announced as host routes. */
  podAddresses?: readonly string[];
  /** Service IPs handed over by the services package (address or CIDR). */
  serviceIPs?: readonly string[];
  /** BGP listen addresses (default: this node's addresses). */
  listenAddresses?: readonly string[];
}

/** What the speaker should run with, derived from the Calico model. */
export interface BgpDesiredState {
  global: BgpGlobalConfig;
  /** Neighbors by address. */
  peers: BgpPeerConfig[];
  /** Policies the peers refer to (BGPFilters). */
  policies: BgpPolicy[];
  announcements: BgpAnnouncement[];
  /** This node's addresses (without prefix length) and their prefix lengths. */
  node: { name: string; ipv4?: Cidr & { host: string }; ipv6?: Cidr & { host: string } };
}

const GR_FROM_DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/;

/** Parse a Go duration like `120s`, `2m`, `1h30m`. */
export function parseDuration(text: string): number | undefined {
  const m = GR_FROM_DURATION.exec(text.trim());
  if (!m || text.trim() === '') return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Math.round(Number(m[3] ?? 0));
}

function hostOf(addr: string | undefined): (Cidr & { host: string }) | undefined {
  if (!addr) return undefined;
  const [a, len] = addr.split('/');
  const f = addressFamily(a ?? '');
  if (!f) return undefined;
  const c = parseCidr(`${a}/${len ?? (f === 'ipv4' ? 32 : 128)}`);
  return c ? { ...c, host: canonicalAddress(a!) } : undefined;
}

/** Parse a BGPPeer `peerIP`: `10.0.0.1`, `10.0.0.1:1790`, `fd00::1`, `[fd00::1]:179`. */
export function parsePeerIP(text: string): { address: string; port?: number } | undefined {
  const t = text.trim();
  let m = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(t);
  if (m) {
    if (addressFamily(m[1]!) !== 'ipv6') return undefined;
    const port = m[2] !== undefined ? Number(m[2]) : undefined;
    if (port !== undefined && (port < 1 || port > 65535)) return undefined;
    return port !== undefined ? { address: canonicalAddress(m[1]!), port } : { address: canonicalAddress(m[1]!) };
  }
  if (addressFamily(t)) return { address: canonicalAddress(t) };
  m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(t);
  if (m && addressFamily(m[1]!) === 'ipv4') {
    const port = Number(m[2]);
    if (port < 1 || port > 65535) return undefined;
    return { address: m[1]!, port };
  }
  return undefined;
}

function validAsn(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_ASN;
}

/** Name of the policy a BGPFilter becomes for one direction. */
export function filterPolicyName(filter: string, dir: 'import' | 'export'): string {
  return `bgpfilter-${filter}-${dir}`;
}

function filterStatements(f: BGPFilter, dir: 'import' | 'export', issues: BgpIssue[]): BgpPolicyStatement[] {
  const out: BgpPolicyStatement[] = [];
  const object = `BGPFilter/${f.metadata.name}`;
  for (const fam of ['V4', 'V6'] as const) {
    const key = `${dir}${fam}` as 'importV4' | 'importV6' | 'exportV4' | 'exportV6';
    const family: IpFamily = fam === 'V4' ? 'ipv4' : 'ipv6';
    (f.spec?.[key] ?? []).forEach((r: BGPFilterRule, i: number) => {
      const path = `spec.${key}[${i}]`;
      const st: BgpPolicyStatement = { family, action: r.action === 'Accept' ? 'accept' : 'reject' };
      if (r.cidr !== undefined) {
        const c = parseCidr(r.cidr);
        if (!c || c.family !== family) {
          issues.push({
            code: 'filter-rule-invalid',
            object,
            path: `${path}.cidr`,
            message: `${JSON.stringify(r.cidr)} is not an ${family} CIDR; rule skipped`,
          });
          return;
        }
        const op = r.matchOperator ?? 'In';
        const max = family === 'ipv4' ? 32 : 128;
        let lo = c.length;
        let hi = op === 'Equal' || op === 'NotEqual' ? c.length : max;
        if (r.prefixLength?.min !== undefined) lo = Math.max(lo, r.prefixLength.min);
        if (r.prefixLength?.max !== undefined) hi = Math.min(hi, r.prefixLength.max);
        if (lo > hi) {
          issues.push({
            code: 'filter-rule-invalid',
            object,
            path: `${path}.prefixLength`,
            message: `prefix length range ${lo}…${hi} is empty; rule skipped`,
          });
          return;
        }
        st.prefixes = [{ cidr: `${c.address}/${c.length}`, maskMin: lo, maskMax: hi }];
        st.match = op === 'NotIn' || op === 'NotEqual' ? 'notIn' : 'in';
      } else if (r.matchOperator !== undefined) {
        issues.push({
          code: 'filter-rule-invalid',
          object,
          path: `${path}.matchOperator`,
          message: 'matchOperator needs a cidr; rule skipped',
        });
        return;
      }
      if (r.source !== undefined || r.interface !== undefined) {
        issues.push({
          code: 'unsupported',
          object,
          path: r.source !== undefined ? `${path}.source` : `${path}.interface`,
          message: 'source/interface matches are not supported by this dataplane; rule skipped',
        });
        return;
      }
      out.push(st);
    });
  }
  return out;
}

/**
 * Translate Calico's BGP model (Nodes, BGPConfiguration, BGPPeer, BGPFilter, Secrets, IPPools) into what
 * the speaker runs with on node `nodeName`. Each bad object or field is reported in `issues` (with its
 * path) and skipped; the rest is translated. Pure: no I/O.
 */
export function translateBgp(input: BgpModelInput): { result: BgpDesiredState | undefined; issues: BgpIssue[] } {
  const issues: BgpIssue[] = [];
  const self = input.nodes.find((n) => n.metadata.name === input.nodeName);
  if (!self) {
    issues.push({
      code: 'node-missing',
      object: `Node/${input.nodeName}`,
      path: 'metadata.name',
      message: `node ${input.nodeName} not found: nothing to run`,
    });
    return { result: undefined, issues };
  }
  const configs = input.bgpConfigurations ?? [];
  const defaultCfg = configs.find((c) => c.metadata.name === 'default')?.spec ?? {};
  const nodeCfg = configs.find((c) => c.metadata.name === `node.${input.nodeName}`)?.spec ?? {};
  const selfInfo = calicoNodeInfo(self);
  const v4 = hostOf(selfInfo.ipv4Address);
  const v6 = hostOf(selfInfo.ipv6Address);
  if (selfInfo.ipv4Address && !v4)
    issues.push({
      code: 'node-address-invalid',
      object: `Node/${input.nodeName}`,
      path: 'spec.bgp.ipv4Address',
      message: `${JSON.stringify(selfInfo.ipv4Address)} is not an IPv4 address`,
    });
  if (selfInfo.ipv6Address && !v6)
    issues.push({
      code: 'node-address-invalid',
      object: `Node/${input.nodeName}`,
      path: 'spec.bgp.ipv6Address',
      message: `${JSON.stringify(selfInfo.ipv6Address)} is not an IPv6 address`,
    });
  if (!v4) {
    issues.push({
      code: 'node-address-invalid',
      object: `Node/${input.nodeName}`,
      path: 'spec.bgp.ipv4Address',
      message: 'this node has no IPv4 address: no router id, BGP not run',
    });
    return { result: undefined, issues };
  }

  // global AS: node, else BGPConfiguration, else 64512
  let defaultAsn = DEFAULT_ASN;
  if (defaultCfg.asNumber !== undefined) {
    if (validAsn(defaultCfg.asNumber)) defaultAsn = defaultCfg.asNumber;
    else
      issues.push({
        code: 'asn-out-of-range',
        object: 'BGPConfiguration/default',
        path: 'spec.asNumber',
        message: `${defaultCfg.asNumber} is not an AS number (1…${MAX_ASN}); using ${DEFAULT_ASN}`,
      });
  }
  const asnOf = (n: Node, object: string): number | undefined => {
    const a = calicoNodeInfo(n).asNumber;
    if (a === undefined) return defaultAsn;
    if (validAsn(a)) return a;
    issues.push({
      code: 'asn-out-of-range',
      object,
      path: 'spec.bgp.asNumber',
      message: `${a} is not an AS number (1…${MAX_ASN})`,
    });
    return undefined;
  };
  const selfAsn = asnOf(self, `Node/${input.nodeName}`) ?? defaultAsn;
  const listenPort = nodeCfg.listenPort ?? defaultCfg.listenPort ?? 179;
  const listenAddresses = input.listenAddresses ? [...input.listenAddresses] : [v4.host, ...(v6 ? [v6.host] : [])];
  const global: BgpGlobalConfig = { asn: selfAsn, routerId: v4.host, listenPort, listenAddresses };

  // secrets
  const secretValue = (
    ref: { name: string; key: string } | undefined,
    object: string,
    path: string,
  ): string | undefined | null => {
    if (!ref) return undefined;
    const s = (input.secrets ?? []).find(
      (x) =>
        x.metadata.name === ref.name &&
        (input.secretsNamespace === undefined || x.metadata.namespace === input.secretsNamespace),
    );
    if (!s) {
      issues.push({ code: 'secret-missing', object, path, message: `Secret ${ref.name} not found; peering skipped` });
      return null;
    }
    const raw = s.data?.[ref.key];
    const str = s.stringData?.[ref.key];
    if (raw === undefined && str === undefined) {
      issues.push({
        code: 'secret-key-missing',
        object,
        path,
        message: `Secret ${ref.name} has no key ${ref.key}; peering skipped`,
      });
      return null;
    }
    return str ?? Buffer.from(raw!, 'base64').toString('utf8');
  };

  const peers = new Map<string, DraftPeer>();
  const usedFilters = new Set<string>();
  const filters = new Map((input.bgpFilters ?? []).map((f) => [f.metadata.name, f]));
  const selfCluster = selfInfo.routeReflectorClusterID;
  const isRr = selfCluster !== undefined && selfCluster !== '';
  if (isRr && addressFamily(selfCluster) !== 'ipv4') {
    issues.push({
      code: 'unsupported',
      object: `Node/${input.nodeName}`,
      path: 'spec.bgp.routeReflectorClusterID',
      message: `${JSON.stringify(selfCluster)} is not an IPv4-formatted cluster id; not acting as route reflector`,
    });
  }
  const rrCluster = isRr && addressFamily(selfCluster) === 'ipv4' ? selfCluster : undefined;

  const addPeer = (p: DraftPeer, remoteNode?: Node) => {
    // a node with a cluster id reflects for the peer nodes that are not reflectors of the same cluster
    if (rrCluster && remoteNode && calicoNodeInfo(remoteNode).routeReflectorClusterID !== rrCluster)
      p.routeReflectorClientOf = rrCluster;
    const prev = peers.get(p.address);
    if (!prev) peers.set(p.address, p);
  };

  // node-to-node mesh
  const meshEnabled = defaultCfg.nodeToNodeMeshEnabled ?? true;
  if (meshEnabled) {
    const pw = secretValue(
      defaultCfg.nodeMeshPassword?.secretKeyRef,
      'BGPConfiguration/default',
      'spec.nodeMeshPassword.secretKeyRef',
    );
    let restart = DEFAULT_RESTART_TIME_S;
    if (defaultCfg.nodeMeshMaxRestartTime !== undefined) {
      const d = parseDuration(defaultCfg.nodeMeshMaxRestartTime);
      if (d === undefined || d < 1)
        issues.push({
          code: 'duration-invalid',
          object: 'BGPConfiguration/default',
          path: 'spec.nodeMeshMaxRestartTime',
          message: `${JSON.stringify(defaultCfg.nodeMeshMaxRestartTime)} is not a duration; using ${DEFAULT_RESTART_TIME_S}s`,
        });
      else restart = Math.min(d, 4095);
    }
    if (pw !== null) {
      for (const n of input.nodes) {
        if (n.metadata.name === input.nodeName) continue;
        const info = calicoNodeInfo(n);
        const asn = asnOf(n, `Node/${n.metadata.name}`);
        if (asn === undefined) continue;
        for (const [fam, addr] of [
          ['ipv4', info.ipv4Address],
          ['ipv6', info.ipv6Address],
        ] as const) {
          if (!addr) continue;
          if (fam === 'ipv6' && !v6) continue;
          const h = hostOf(addr);
          if (!h || h.family !== fam) {
            issues.push({
              code: 'node-address-invalid',
              object: `Node/${n.metadata.name}`,
              path: `spec.bgp.${fam}Address`,
              message: `${JSON.stringify(addr)} is not an ${fam} address; not meshed`,
            });
            continue;
          }
          const p: BgpPeerConfig = {
            address: h.host,
            asn,
            families: [fam],
            gracefulRestart: { restartTimeS: restart },
            sourceAddress: fam === 'ipv4' ? v4.host : v6!.host,
            description: `mesh ${n.metadata.name}`,
          };
          if (pw) p.password = pw;
          addPeer(p, n);
        }
      }
    }
  }

  // BGPPeers
  const selfLabels = self.metadata.labels ?? {};
  for (const bp of input.bgpPeers ?? []) {
    const object = `BGPPeer/${bp.metadata.name}`;
    const s = bp.spec;
    // does it apply to this node?
    if (s.node !== undefined && s.node !== '') {
      if (s.node !== input.nodeName) continue;
    } else if (s.nodeSelector !== undefined && s.nodeSelector !== '') {
      let sel: CalicoSelector;
      try {
        sel = parseCalicoSelector(s.nodeSelector);
      } catch (err) {
        issues.push({ code: 'selector-invalid', object, path: 'spec.nodeSelector', message: (err as Error).message });
        continue;
      }
      if (!sel(selfLabels)) continue;
    }
    const pw = secretValue(s.password?.secretKeyRef, object, 'spec.password.secretKeyRef');
    if (pw === null) continue;
    let restart = DEFAULT_RESTART_TIME_S;
    if (s.maxRestartTime !== undefined) {
      const d = parseDuration(s.maxRestartTime);
      if (d === undefined || d < 1) {
        issues.push({
          code: 'duration-invalid',
          object,
          path: 'spec.maxRestartTime',
          message: `${JSON.stringify(s.maxRestartTime)} is not a duration; peering skipped`,
        });
        continue;
      }
      restart = Math.min(d, 4095);
    }
    const policies: { importPolicies: string[]; exportPolicies: string[] } = { importPolicies: [], exportPolicies: [] };
    let filtersOk = true;
    (s.filters ?? []).forEach((name, i) => {
      if (!filters.has(name)) {
        issues.push({
          code: 'filter-missing',
          object,
          path: `spec.filters[${i}]`,
          message: `BGPFilter ${name} not found; peering skipped`,
        });
        filtersOk = false;
        return;
      }
      usedFilters.add(name);
      policies.importPolicies.push(filterPolicyName(name, 'import'));
      policies.exportPolicies.push(filterPolicyName(name, 'export'));
    });
    if (!filtersOk) continue;
    // fields gobgpd is not driven with (yet): said once per peer, field by field, and the peering goes on
    const unmapped: [string, unknown, boolean][] = [
      ['keepaliveTime', s.keepaliveTime, s.keepaliveTime !== undefined],
      ['numAllowedLocalASNumbers', s.numAllowedLocalASNumbers, (s.numAllowedLocalASNumbers ?? 0) > 0],
      ['reachableBy', s.reachableBy, !!s.reachableBy],
      ['localWorkloadSelector', s.localWorkloadSelector, !!s.localWorkloadSelector],
      ['failureDetectionMode', s.failureDetectionMode, !!s.failureDetectionMode && s.failureDetectionMode !== 'None'],
    ];
    for (const [field, value, set] of unmapped)
      if (set)
        issues.push({
          code: 'unsupported',
          object,
          path: `spec.${field}`,
          message: `${JSON.stringify(value)} is not supported with gobgpd yet; ignored (the peering is made without it)`,
        });
    const common = (addr: string, fam: IpFamily, asn: number): BgpPeerConfig | undefined => {
      const p: BgpPeerConfig = { address: addr, asn, families: [fam], description: object };
      p.gracefulRestart = { restartTimeS: restart };
      if (pw) p.password = pw;
      if (s.ttlSecurity !== undefined && s.ttlSecurity > 0) {
        if (s.ttlSecurity > 254) {
          issues.push({
            code: 'unsupported',
            object,
            path: 'spec.ttlSecurity',
            message: `${s.ttlSecurity} hops is more than 254; ignored`,
          });
        } else p.ttlSecurityHops = s.ttlSecurity;
      }
      if (s.keepOriginalNextHop || s.nextHopMode === 'Keep') p.keepOriginalNextHop = true;
      if ((s.sourceAddress ?? 'UseNodeIP') === 'UseNodeIP') {
        const src = fam === 'ipv4' ? v4.host : v6?.host;
        if (!src) return undefined;
        p.sourceAddress = src;
      }
      if (policies.importPolicies.length) p.importPolicies = [...policies.importPolicies];
      if (policies.exportPolicies.length) p.exportPolicies = [...policies.exportPolicies];
      return p;
    };
    if (s.peerIP !== undefined && s.peerIP !== '') {
      const ip = parsePeerIP(s.peerIP);
      if (!ip) {
        issues.push({
          code: 'peer-ip-invalid',
          object,
          path: 'spec.peerIP',
          message: `${JSON.stringify(s.peerIP)} is not an address (a.b.c.d, a.b.c.d:port, x::y or [x::y]:port)`,
        });
        continue;
      }
      if (s.asNumber === undefined) {
        issues.push({ code: 'peer-incomplete', object, path: 'spec.asNumber', message: 'peerIP needs asNumber' });
        continue;
      }
      if (!validAsn(s.asNumber)) {
        issues.push({
          code: 'asn-out-of-range',
          object,
          path: 'spec.asNumber',
          message: `${s.asNumber} is not an AS number (1…${MAX_ASN})`,
        });
        continue;
      }
      if (ip.address === v4.host || ip.address === v6?.host) continue; // never peer with ourselves
      const p = common(ip.address, addressFamily(ip.address)!, s.asNumber);
      if (!p) continue;
      if (ip.port !== undefined) p.port = ip.port;
      addPeer(p);
    } else if (s.peerSelector !== undefined && s.peerSelector !== '') {
      let sel: CalicoSelector;
      try {
        sel = parseCalicoSelector(s.peerSelector);
      } catch (err) {
        issues.push({ code: 'selector-invalid', object, path: 'spec.peerSelector', message: (err as Error).message });
        continue;
      }
      for (const n of input.nodes) {
        if (n.metadata.name === input.nodeName || !sel(n.metadata.labels ?? {})) continue;
        const info = calicoNodeInfo(n);
        const asn = asnOf(n, `Node/${n.metadata.name}`);
        if (asn === undefined) continue;
        for (const [fam, addr] of [
          ['ipv4', info.ipv4Address],
          ['ipv6', info.ipv6Address],
        ] as const) {
          const h = hostOf(addr);
          if (!h || h.family !== fam) continue;
          const p = common(h.host, fam, asn);
          if (p) addPeer(p, n);
        }
      }
    } else {
      issues.push({ code: 'peer-incomplete', object, path: 'spec', message: 'neither peerIP nor peerSelector is set' });
    }
  }

  // BGPFilters in use → policies
  const policies: BgpPolicy[] = [];
  for (const name of [...usedFilters].sort()) {
    const f = filters.get(name)!;
    for (const dir of ['import', 'export'] as const)
      policies.push({ name: filterPolicyName(name, dir), statements: filterStatements(f, dir, issues) });
  }

  // announcements
  const pools = (input.ipPools ?? []).flatMap((p) => {
    const c = parseCidr(p.spec.cidr);
    if (!c) {
      issues.push({
        code: 'cidr-invalid',
        object: `IPPool/${p.metadata.name}`,
        path: 'spec.cidr',
        message: `${JSON.stringify(p.spec.cidr)} is not a CIDR`,
      });
      return [];
    }
    return [{ pool: p, cidr: c }];
  });
  const noExport = (prefix: Cidr) =>
    pools.some(({ pool, cidr }) => pool.spec.disableBGPExport && cidrContains(cidr, prefix));
  const ann = new Map<string, BgpAnnouncement>();
  const announce = (text: string, object: string, path: string, hostRoute: boolean) => {
    const withLen = text.includes('/') ? text : `${text}/${addressFamily(text) === 'ipv6' ? 128 : 32}`;
    const c = parseCidr(withLen);
    if (!c || (hostRoute && !text.includes('/') && !addressFamily(text))) {
      issues.push({ code: 'cidr-invalid', object, path, message: `${JSON.stringify(text)} is not an address or CIDR` });
      return;
    }
    if (noExport(c)) return;
    const nh = c.family === 'ipv4' ? v4.host : v6?.host;
    if (!nh) return; // a family this node has no address of
    const key = `${c.address}/${c.length}`;
    if (!ann.has(key)) ann.set(key, { prefix: key, nextHop: nh });
  };
  const blocks: Cidr[] = [];
  (input.ipamBlocks ?? []).forEach((b, i) => {
    const c = parseCidr(b);
    if (c) blocks.push(c);
    announce(b, `Node/${input.nodeName}`, `ipamBlocks[${i}]`, false);
  });
  (input.podAddresses ?? []).forEach((a, i) => {
    const host = a.split('/')[0] ?? a;
    if (!addressFamily(host)) {
      issues.push({
        code: 'cidr-invalid',
        object: `Node/${input.nodeName}`,
        path: `podAddresses[${i}]`,
        message: `${JSON.stringify(a)} is not an address`,
      });
      return;
    }
    if (blocks.some((b) => cidrContains(b, host))) return;
    announce(host, `Node/${input.nodeName}`, `podAddresses[${i}]`, true);
  });
  (input.serviceIPs ?? []).forEach((a, i) => announce(a, 'services', `serviceIPs[${i}]`, true));
  for (const field of ['serviceClusterIPs', 'serviceExternalIPs', 'serviceLoadBalancerIPs'] as const) {
    (defaultCfg[field] ?? []).forEach((e, i) =>
      announce(e.cidr, 'BGPConfiguration/default', `spec.${field}[${i}].cidr`, false),
    );
  }

  const node: BgpDesiredState['node'] = { name: input.nodeName, ipv4: v4 };
  if (v6) node.ipv6 = v6;
  return {
    result: {
      global,
      peers: [...peers.values()].map(finishPeer),
      policies,
      announcements: [...ann.values()].sort((a, b) => a.prefix.localeCompare(b.prefix)),
      node,
    },
    issues,
  };
}

type DraftPeer = BgpPeerConfig & { routeReflectorClientOf?: string };

function finishPeer(p: DraftPeer): BgpPeerConfig {
  const { routeReflectorClientOf, ...rest } = p;
  return routeReflectorClientOf ? { ...rest, routeReflectorClient: { clusterId: routeReflectorClientOf } } : rest;
}

/** An IPPool's encapsulation, as the provider choice needs it. */
export interface PoolEncap {
  cidr: Cidr;
  ipipMode: 'Never' | 'Always' | 'CrossSubnet';
  vxlanMode: 'Never' | 'Always' | 'CrossSubnet';
}

/** The encapsulation settings of the pools (v1 `ipip: {enabled, mode}` is read too). */
export function poolEncaps(pools: readonly IPPool[]): PoolEncap[] {
  return pools.flatMap((p) => {
    const cidr = parseCidr(p.spec.cidr);
    if (!cidr || p.spec.disabled) return [];
    let ipipMode = p.spec.ipipMode ?? 'Never';
    if (!p.spec.ipipMode && p.spec.ipip?.enabled)
      ipipMode = p.spec.ipip.mode === 'cross-subnet' ? 'CrossSubnet' : 'Always';
    return [{ cidr, ipipMode, vxlanMode: p.spec.vxlanMode ?? 'Never' }];
  });
}

/**
 * The provider of a learned route: the IPPool holding the prefix decides (VXLAN before IPIP, as
 * Calico); CrossSubnet encapsulates only towards next hops outside our subnet. WireGuard, when on,
 * carries everything between nodes. No pool: FLAT.
 */
export function chooseProvider(
  prefix: string,
  nextHop: string,
  pools: readonly PoolEncap[],
  self: { ipv4?: Cidr & { host: string }; ipv6?: Cidr & { host: string } },
  wireguard = false,
): ProviderKind {
  if (wireguard) return 'wireguard';
  const c = parseCidr(canonicalCidr(prefix) ?? '');
  if (!c) return 'flat';
  let best: PoolEncap | undefined;
  for (const p of pools) if (cidrContains(p.cidr, c) && (!best || p.cidr.length > best.cidr.length)) best = p;
  if (!best) return 'flat';
  const local = c.family === 'ipv4' ? self.ipv4 : self.ipv6;
  const crossSubnet = !local || !sameSubnet(local.host, nextHop, local.length);
  if (best.vxlanMode === 'Always' || (best.vxlanMode === 'CrossSubnet' && crossSubnet)) return 'vxlan';
  if (c.family === 'ipv4' && (best.ipipMode === 'Always' || (best.ipipMode === 'CrossSubnet' && crossSubnet)))
    return 'ipip';
  return 'flat';
}
