import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { InvalidRequestError } from './errors.js';
import type { AddRequest, ContainerSettings, WorkloadIDs } from './proto.js';
import {
  ALLOWED_SOURCE_PREFIXES_ANNOTATION,
  DEFAULT_GATEWAY4,
  DEFAULT_GATEWAY6,
  ENCAP_OVERHEAD,
  IFNAMSIZ,
  INTERFACES_SPEC_ANNOTATION,
  MEMIF_PORTS_ANNOTATION,
} from './constants.js';

/** How a pod's interface is made. */
export type InterfaceMode = 'tun' | 'tap' | 'veth';
/** Encapsulation between nodes, which decides how much of the MTU pods lose. */
export type Encapsulation = keyof typeof ENCAP_OVERHEAD;
export type RxMode = 'polling' | 'interrupt' | 'adaptive' | 'default';

export interface PodIp {
  /** Canonical address without prefix. */
  readonly address: string;
  readonly family: 4 | 6;
  /** The gateway the pod routes through (Calico's link-local style gateway unless given). */
  readonly gateway: string;
}

export interface HostPortSpec {
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly port: number;
  readonly hostPort: number;
  /** Empty: the node's IP of the pod IP's family. */
  readonly hostIp: string;
}

export interface MemifPortSpec {
  readonly protocol: 'TCP' | 'UDP';
  readonly start: number;
  readonly end: number;
}

/** Everything Add needs to build one pod, validated. */
export interface PodSpec {
  /** `(netns, interface_name)`, the identity of a pod interface. */
  readonly key: string;
  /** Short stable hash of the key: names and tags in VPP and the kernel. */
  readonly id: string;
  readonly netns: string;
  readonly ifname: string;
  readonly hostIfName: string;
  readonly mode: InterfaceMode;
  readonly mtu: number;
  readonly allowIpForwarding: boolean;
  readonly ips: readonly PodIp[];
  readonly routes: readonly { readonly dst: string; readonly family: 4 | 6 }[];
  readonly hostPorts: readonly HostPortSpec[];
  readonly rxQueues: number;
  readonly txQueues: number;
  readonly rxQueueSize: number;
  readonly txQueueSize: number;
  readonly rxMode: RxMode;
  readonly allowedSourcePrefixes: readonly string[];
  readonly memifPorts: readonly MemifPortSpec[];
  readonly workload: WorkloadIDs;
}

export interface SpecDefaults {
  readonly mode: InterfaceMode;
  readonly mtu: number;
  readonly encapsulation: Encapsulation;
  readonly rxMode: RxMode;
  readonly hostIfPrefix: string;
  readonly memif: boolean;
}

/** The key of a pod interface. */
export function podKey(netns: string, ifname: string): string {
  return `${netns}\u0000${ifname}`;
}

/** 12 hex characters naming a pod in VPP tags and kernel link names. */
export function podId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

/** Canonical text of an IP address (`fd00:0::1` → `fd00::1`), or undefined when it is not one. */
export function canonicalIp(text: string): { address: string; family: 4 | 6 } | undefined {
  if (isIPv4(text)) return { address: text, family: 4 };
  if (isIPv6(text) && !text.includes('%'))
    return { address: new URL(`http://[${text}]`).hostname.slice(1, -1), family: 6 };
  return undefined;
}

/** Parses `a.b.c.d/len` (or a bare address) into canonical prefix text. */
export function parsePrefix(
  field: string,
  text: string,
  allowBare = false,
): { prefix: string; address: string; len: number; family: 4 | 6 } {
  const [addr, lenText, extra] = text.split('/');
  const ip = canonicalIp(addr ?? '');
  if (!ip || extra !== undefined) throw new InvalidRequestError(field, text, 'is not an IP prefix');
  const max = ip.family === 4 ? 32 : 128;
  if (lenText === undefined) {
    if (!allowBare) throw new InvalidRequestError(field, text, 'needs a prefix length');
    return { prefix: `${ip.address}/${max}`, address: ip.address, len: max, family: ip.family };
  }
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max)
    throw new InvalidRequestError(field, text, `prefix length must be 0..${max}`);
  return { prefix: `${ip.address}/${Number(lenText)}`, address: ip.address, len: Number(lenText), family: ip.family };
}

function isUnicast(address: string, family: 4 | 6): boolean {
  if (family === 4) {
    const first = Number(address.split('.')[0]);
    return address !== '0.0.0.0' && address !== '255.255.255.255' && first !== 127 && !(first >= 224 && first <= 239);
  }
  return address !== '::' && address !== '::1' && !address.startsWith('ff');
}

function validIfname(field: string, name: string): void {
  if (name.length === 0) throw new InvalidRequestError(field, name, 'must not be empty');
  if (Buffer.byteLength(name) >= IFNAMSIZ)
    throw new InvalidRequestError(field, name, `must be at most ${IFNAMSIZ - 1} bytes`);
  if (/[\s/:]/.test(name) || name.includes('\u0000') || name === '.' || name === '..')
    throw new InvalidRequestError(field, name, 'must not contain whitespace, "/" or ":"');
}

function parseJsonAnnotation(field: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InvalidRequestError(field, text, `is not JSON: ${(e as Error).message}`);
  }
}

interface IfSpec {
  rx?: number;
  tx?: number;
  rxqsz?: number;
  txqsz?: number;
  rxMode?: string;
  isl3?: boolean;
}

function parseInterfacesSpec(field: string, text: string, ifname: string): IfSpec {
  const all = parseJsonAnnotation(field, text);
  if (typeof all !== 'object' || all === null || Array.isArray(all))
    throw new InvalidRequestError(field, text, 'must be a JSON object keyed by interface name');
  const raw = (all as Record<string, unknown>)[ifname];
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null)
    throw new InvalidRequestError(`${field}.${ifname}`, raw, 'must be an object');
  const out: IfSpec = {};
  const r = raw as Record<string, unknown>;
  for (const k of ['rx', 'tx', 'rxqsz', 'txqsz'] as const) {
    const v = r[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535)
      throw new InvalidRequestError(`${field}.${ifname}.${k}`, v, 'must be an integer 0..65535');
    out[k] = v;
  }
  if (r['rxMode'] !== undefined) {
    if (typeof r['rxMode'] !== 'string' || !['polling', 'interrupt', 'adaptive', 'default'].includes(r['rxMode'])) {
      throw new InvalidRequestError(
        `${field}.${ifname}.rxMode`,
        r['rxMode'],
        'must be polling, interrupt, adaptive or default',
      );
    }
    out.rxMode = r['rxMode'];
  }
  if (r['isl3'] !== undefined) {
    if (typeof r['isl3'] !== 'boolean')
      throw new InvalidRequestError(`${field}.${ifname}.isl3`, r['isl3'], 'must be a boolean');
    out.isl3 = r['isl3'];
  }
  return out;
}

function parseMemifPorts(field: string, text: string): MemifPortSpec[] {
  // Calico's form: "tcp:4444-20000,udp:4444-20000"
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s, i) => {
      const m = /^(tcp|udp):(\d{1,5})(?:-(\d{1,5}))?$/i.exec(s);
      const start = Number(m?.[2]);
      const end = m?.[3] === undefined ? start : Number(m[3]);
      if (!m || start < 1 || end > 65535 || end < start)
        throw new InvalidRequestError(`${field}[${i}]`, s, 'must be tcp|udp:PORT[-PORT]');
      return { protocol: (m[1] ?? '').toUpperCase() as 'TCP' | 'UDP', start, end };
    });
}

/**
 * Validates an AddRequest and turns it into a PodSpec.
 * @throws InvalidRequestError naming the bad field.
 */
export function toPodSpec(
  req: AddRequest & { settings: ContainerSettings; workload: WorkloadIDs },
  d: SpecDefaults,
): PodSpec {
  validIfname('interface_name', req.interface_name);
  if (!req.netns.startsWith('/')) throw new InvalidRequestError('netns', req.netns, 'must be an absolute path');
  const key = podKey(req.netns, req.interface_name);
  const id = podId(key);
  const hostIfName = req.desired_host_interface_name || `${d.hostIfPrefix}${id}`.slice(0, IFNAMSIZ - 1);
  validIfname('desired_host_interface_name', hostIfName);

  if (req.container_ips.length === 0)
    throw new InvalidRequestError('container_ips', [], 'at least one address is needed');
  const seen = new Set<string>();
  const ips: PodIp[] = req.container_ips.map((c, i) => {
    const p = parsePrefix(`container_ips[${i}].address`, c.address, true);
    if (!isUnicast(p.address, p.family))
      throw new InvalidRequestError(`container_ips[${i}].address`, c.address, 'is not a unicast address');
    if (seen.has(p.address)) throw new InvalidRequestError(`container_ips[${i}].address`, c.address, 'is listed twice');
    seen.add(p.address);
    let gateway = p.family === 4 ? DEFAULT_GATEWAY4 : DEFAULT_GATEWAY6;
    if (c.gateway) {
      const g = canonicalIp(c.gateway);
      if (!g || g.family !== p.family)
        throw new InvalidRequestError(`container_ips[${i}].gateway`, c.gateway, `is not an IPv${p.family} address`);
      gateway = g.address;
    }
    return { address: p.address, family: p.family, gateway };
  });
  const families = new Set(ips.map((i) => i.family));
  const routes = req.container_routes.map((r, i) => {
    const p = parsePrefix(`container_routes[${i}]`, r);
    if (!families.has(p.family))
      throw new InvalidRequestError(`container_routes[${i}]`, r, `the pod has no IPv${p.family} address`);
    return { dst: p.prefix, family: p.family };
  });

  const ann = req.workload.annotations;
  let ifSpec: IfSpec = {};
  const specText = ann[INTERFACES_SPEC_ANNOTATION];
  if (specText !== undefined)
    ifSpec = parseInterfacesSpec(`workload.annotations["${INTERFACES_SPEC_ANNOTATION}"]`, specText, req.interface_name);

  const allowedSourcePrefixes: string[] = [];
  const aspText = ann[ALLOWED_SOURCE_PREFIXES_ANNOTATION];
  if (aspText !== undefined) {
    const field = `workload.annotations["${ALLOWED_SOURCE_PREFIXES_ANNOTATION}"]`;
    const list = parseJsonAnnotation(field, aspText);
    if (!Array.isArray(list)) throw new InvalidRequestError(field, aspText, 'must be a JSON array of CIDRs');
    list.forEach((p, i) => {
      if (typeof p !== 'string') throw new InvalidRequestError(`${field}[${i}]`, p, 'must be a CIDR string');
      allowedSourcePrefixes.push(parsePrefix(`${field}[${i}]`, p).prefix);
    });
  }

  const memifText = ann[MEMIF_PORTS_ANNOTATION];
  const memifPorts =
    d.memif && memifText !== undefined
      ? parseMemifPorts(`workload.annotations["${MEMIF_PORTS_ANNOTATION}"]`, memifText)
      : [];

  const hostPorts: HostPortSpec[] = [];
  req.workload.ports.forEach((p, i) => {
    if (!p.host_port) return;
    const f = `workload.ports[${i}]`;
    const protocol = (p.protocol || 'TCP').toUpperCase();
    if (protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'SCTP')
      throw new InvalidRequestError(`${f}.protocol`, p.protocol, 'must be TCP, UDP or SCTP');
    if (p.host_port > 65535) throw new InvalidRequestError(`${f}.host_port`, p.host_port, 'must be 1..65535');
    if (p.port < 1 || p.port > 65535) throw new InvalidRequestError(`${f}.port`, p.port, 'must be 1..65535');
    let hostIp = '';
    if (p.host_ip && p.host_ip !== '0.0.0.0' && p.host_ip !== '::') {
      const h = canonicalIp(p.host_ip);
      if (!h) throw new InvalidRequestError(`${f}.host_ip`, p.host_ip, 'is not an IP address');
      hostIp = h.address;
    }
    hostPorts.push({ protocol, port: p.port, hostPort: p.host_port, hostIp });
  });

  const settingsMtu = req.settings.mtu;
  if (
    !Number.isInteger(settingsMtu) ||
    settingsMtu < 0 ||
    (settingsMtu > 0 && settingsMtu < 576) ||
    settingsMtu > 65535
  ) {
    throw new InvalidRequestError('settings.mtu', settingsMtu, 'must be 0 (default) or 576..65535');
  }
  const configured = d.mtu - ENCAP_OVERHEAD[d.encapsulation];
  const mtu = settingsMtu > 0 ? Math.min(settingsMtu, configured) : configured;

  let mode = d.mode;
  if (mode !== 'veth' && ifSpec.isl3 !== undefined) mode = ifSpec.isl3 ? 'tun' : 'tap';

  return {
    key,
    id,
    netns: req.netns,
    ifname: req.interface_name,
    hostIfName,
    mode,
    mtu,
    allowIpForwarding: req.settings.allow_ip_forwarding,
    ips,
    routes,
    hostPorts,
    rxQueues: ifSpec.rx || 1,
    txQueues: ifSpec.tx || 1,
    rxQueueSize: ifSpec.rxqsz || 1024,
    txQueueSize: ifSpec.txqsz || 1024,
    rxMode: (ifSpec.rxMode as RxMode | undefined) ?? d.rxMode,
    allowedSourcePrefixes,
    memifPorts,
    workload: req.workload,
  };
}
