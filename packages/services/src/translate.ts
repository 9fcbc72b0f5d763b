import {
  CNAT_EPT_NO_NAT,
  CNAT_LB_TYPE,
  CNAT_TRANSLATION_FLAG,
  FLOW_HASH,
  HASH_CONFIG_ANNOTATION,
  LB_TYPE_ANNOTATION,
  SERVICE_NAME_LABEL,
} from './constants.js';
import { type IpFamily, type ParsedIp, parseIp } from './ip.js';
import type {
  CnatPath,
  DesiredTranslation,
  EndpointSliceInput,
  HashField,
  IssueCode,
  LbType,
  NodeInfo,
  ObjectRef,
  ServiceInput,
  ServiceProtocol,
  ServiceTranslation,
  TranslateConfig,
  TranslateResult,
  TranslationIssue,
  TranslationKind,
} from './types.js';

/** A Service port after validation. */
export interface ParsedServicePort {
  readonly index: number;
  readonly name: string;
  readonly proto: ServiceProtocol;
  readonly port: number;
  /** Numeric target port, a port name, or undefined (= `port`). */
  readonly targetPort: number | string | undefined;
  readonly nodePort: number | undefined;
}

/** A Service after validation: everything the translation needs, nothing else. */
export interface ParsedService {
  readonly key: string;
  readonly ref: ObjectRef;
  /** Why the Service gets no translation at all (headless, ExternalName), if so. */
  readonly inert: 'headless' | 'ExternalName' | undefined;
  readonly type: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  readonly clusterIPs: readonly ParsedIp[];
  readonly externalIPs: readonly ParsedIp[];
  readonly ingressIPs: readonly ParsedIp[];
  readonly ports: readonly ParsedServicePort[];
  readonly lbType: LbType;
  readonly hashConfig: number;
  readonly clientIpAffinity: boolean;
  readonly externalLocal: boolean;
  readonly internalLocal: boolean;
  readonly allocateLoadBalancerNodePorts: boolean;
}

/** One endpoint of a slice after validation. */
export interface ParsedEndpoint {
  readonly addresses: readonly string[];
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly nodeName: string | undefined;
}

/** An EndpointSlice after validation. */
export interface ParsedSlice {
  readonly key: string;
  readonly ref: ObjectRef;
  /** `namespace/name` of the Service it belongs to (from the `kubernetes.io/service-name` label). */
  readonly service: string;
  readonly family: IpFamily;
  readonly ports: readonly {
    readonly name: string;
    readonly proto: ServiceProtocol;
    readonly port: number | undefined;
  }[];
  readonly endpoints: readonly ParsedEndpoint[];
}

/** The translation context: this node and the defaults. */
export interface TranslateContext {
  readonly node: { readonly name: string; readonly addresses: readonly ParsedIp[] };
  readonly defaultLbType: LbType;
  readonly defaultHashConfig: number;
}

const PROTOCOLS = new Set<string>(['TCP', 'UDP', 'SCTP']);
const LB_TYPES = new Set<string>(['ecmp', 'maglev', 'maglevdsr']);

/** `namespace/name` of an object (`name` alone without a namespace). */
export function objectKey(meta: { name: string; namespace?: string | null | undefined }): string {
  return meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
}

function refOf(kind: ObjectRef['kind'], meta: { name: string; namespace?: string | null | undefined }): ObjectRef {
  return { kind, namespace: meta.namespace ?? '', name: meta.name };
}

function validPort(n: unknown, allowZero = false): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n <= 65535 && (allowZero ? n >= 0 : n >= 1);
}

/**
 * Parses Calico/VPP's `vppHashConfig` value (`srcport,dstport,srcaddr,dstaddr,iproto,reverse,symmetric`)
 * into VPP's flow-hash mask; undefined names the first unknown field.
 */
export function parseHashConfig(value: string): { mask: number; unknown: string | undefined } {
  let mask = 0;
  for (const raw of value.split(',')) {
    const f = raw.trim().toLowerCase();
    if (f === '') continue;
    const bit = (FLOW_HASH as Record<string, number>)[f];
    if (bit === undefined) return { mask, unknown: raw.trim() };
    mask |= bit;
  }
  return { mask, unknown: undefined };
}

/** VPP's flow-hash mask from field names or a mask. */
export function hashMask(value: readonly HashField[] | number | undefined): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  return value.reduce((m, f) => m | FLOW_HASH[f], 0);
}

class Issues {
  readonly list: TranslationIssue[] = [];
  constructor(readonly object: ObjectRef) {}
  error(code: IssueCode, path: (string | number)[], message: string, value?: unknown): void {
    this.list.push({
      code,
      severity: 'error',
      object: this.object,
      path,
      message,
      ...(value !== undefined ? { value } : {}),
    });
  }
  warn(code: IssueCode, path: (string | number)[], message: string, value?: unknown): void {
    this.list.push({
      code,
      severity: 'warning',
      object: this.object,
      path,
      message,
      ...(value !== undefined ? { value } : {}),
    });
  }
  get fatal(): boolean {
    return this.list.some((i) => i.severity === 'error');
  }
}

function ips(values: unknown, path: (string | number)[], issues: Issues, what: string): ParsedIp[] {
  if (values === undefined || values === null) return [];
  if (!Array.isArray(values)) {
    issues.error('INVALID_IP', path, `${what} is not a list`, values);
    return [];
  }
  const out: ParsedIp[] = [];
  values.forEach((v, i) => {
    const ip = parseIp(v);
    if (ip) out.push(ip);
    else issues.error('INVALID_IP', [...path, i], `${what} ${JSON.stringify(v)} is not an IP address`, v);
  });
  return out;
}

/**
 * Validates a Service. `result` is undefined when an `error` issue makes the whole Service unusable;
 * every problem found is in `issues`, each naming the field.
 */
export function parseService(
  svc: ServiceInput,
  config: { defaultLbType: LbType; defaultHashConfig: number },
): TranslateResult<ParsedService | undefined> {
  const meta = svc.metadata as ServiceInput['metadata'] | undefined;
  const ref = refOf('Service', { name: meta?.name ?? '', namespace: meta?.namespace });
  const issues = new Issues(ref);
  if (!meta || typeof meta.name !== 'string' || meta.name === '') {
    issues.error('MISSING_FIELD', ['metadata', 'name'], 'Service has no name');
    return { result: undefined, issues: issues.list };
  }
  const spec = svc.spec ?? {};
  const type = spec.type ?? 'ClusterIP';
  if (type !== 'ClusterIP' && type !== 'NodePort' && type !== 'LoadBalancer' && type !== 'ExternalName') {
    issues.error('UNKNOWN_SERVICE_TYPE', ['spec', 'type'], `unknown Service type ${JSON.stringify(type)}`, type);
  }
  const rawClusterIPs =
    spec.clusterIPs && spec.clusterIPs.length > 0 ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  const headless = rawClusterIPs.length > 0 && rawClusterIPs.every((c) => c === 'None');
  const clusterIPs = headless
    ? []
    : ips(
        rawClusterIPs,
        spec.clusterIPs && spec.clusterIPs.length > 0 ? ['spec', 'clusterIPs'] : ['spec', 'clusterIP'],
        issues,
        'cluster IP',
      );
  const externalIPs = ips(spec.externalIPs, ['spec', 'externalIPs'], issues, 'external IP');
  const ingressIPs: ParsedIp[] = [];
  (svc.status?.loadBalancer?.ingress ?? []).forEach((ing, i) => {
    if (!ing || ing.ip === undefined || ing.ip === null || ing.ip === '') return; // hostname-only ingress
    if (ing.ipMode === 'Proxy') return; // the load balancer proxies: traffic does not arrive for the VIP
    const ip = parseIp(ing.ip);
    if (ip) ingressIPs.push(ip);
    else
      issues.error(
        'INVALID_IP',
        ['status', 'loadBalancer', 'ingress', i, 'ip'],
        `load-balancer IP ${JSON.stringify(ing.ip)} is not an IP address`,
        ing.ip,
      );
  });
  const ports: ParsedServicePort[] = [];
  (spec.ports ?? []).forEach((p, i) => {
    const path = ['spec', 'ports', i];
    const proto = p.protocol ?? 'TCP';
    let ok = true;
    if (!PROTOCOLS.has(proto)) {
      issues.error(
        'UNKNOWN_PROTOCOL',
        [...path, 'protocol'],
        `unknown protocol ${JSON.stringify(proto)} (TCP, UDP or SCTP)`,
        proto,
      );
      ok = false;
    }
    if (!validPort(p.port)) {
      issues.error('INVALID_PORT', [...path, 'port'], `port ${JSON.stringify(p.port)} is not in 1-65535`, p.port);
      ok = false;
    }
    let targetPort: number | string | undefined;
    const tp = p.targetPort;
    if (typeof tp === 'string' && /^\d+$/.test(tp)) targetPort = Number(tp);
    else if (typeof tp === 'string' && tp !== '') targetPort = tp;
    else if (typeof tp === 'number') targetPort = tp === 0 ? undefined : tp;
    if (typeof targetPort === 'number' && !validPort(targetPort)) {
      issues.error('INVALID_PORT', [...path, 'targetPort'], `targetPort ${JSON.stringify(tp)} is not in 1-65535`, tp);
      ok = false;
    }
    if (p.nodePort !== undefined && p.nodePort !== null && !validPort(p.nodePort, true)) {
      issues.error(
        'INVALID_PORT',
        [...path, 'nodePort'],
        `nodePort ${JSON.stringify(p.nodePort)} is not in 1-65535`,
        p.nodePort,
      );
      ok = false;
    }
    if (ok) {
      ports.push({
        index: i,
        name: p.name ?? '',
        proto: proto as ServiceProtocol,
        port: p.port as number,
        targetPort,
        nodePort: p.nodePort ? p.nodePort : undefined,
      });
    }
  });
  const annotations = meta.annotations ?? {};
  let lbType: LbType = config.defaultLbType;
  const lbAnn = annotations[LB_TYPE_ANNOTATION];
  if (lbAnn !== undefined) {
    const v = lbAnn.trim().toLowerCase();
    if (LB_TYPES.has(v)) lbType = v as LbType;
    else
      issues.error(
        'UNKNOWN_LB_TYPE',
        ['metadata', 'annotations', LB_TYPE_ANNOTATION],
        `unknown LB type ${JSON.stringify(lbAnn)} (ecmp, maglev or maglevdsr)`,
        lbAnn,
      );
  }
  let hashConfig = config.defaultHashConfig;
  const hashAnn = annotations[HASH_CONFIG_ANNOTATION];
  if (hashAnn !== undefined) {
    const { mask, unknown } = parseHashConfig(hashAnn);
    if (unknown !== undefined) {
      issues.error(
        'UNKNOWN_HASH_FIELD',
        ['metadata', 'annotations', HASH_CONFIG_ANNOTATION],
        `unknown flow-hash field ${JSON.stringify(unknown)} (srcport, dstport, srcaddr, dstaddr, iproto, reverse, symmetric)`,
        hashAnn,
      );
    } else hashConfig = mask;
  }
  const clientIpAffinity = spec.sessionAffinity === 'ClientIP';
  if (clientIpAffinity) {
    if (hashAnn !== undefined && hashConfig !== FLOW_HASH.srcaddr) {
      issues.warn(
        'AFFINITY_OVERRIDES_HASH',
        ['spec', 'sessionAffinity'],
        'sessionAffinity ClientIP hashes on the source address only; the vppHashConfig annotation is ignored',
      );
    }
    hashConfig = FLOW_HASH.srcaddr;
    if (lbType === 'ecmp') lbType = 'maglev';
  }
  if (issues.fatal) return { result: undefined, issues: issues.list };
  const key = objectKey(meta);
  return {
    result: {
      key,
      ref,
      inert: type === 'ExternalName' ? 'ExternalName' : headless || clusterIPs.length === 0 ? 'headless' : undefined,
      type: type as ParsedService['type'],
      clusterIPs,
      externalIPs,
      ingressIPs,
      ports,
      lbType,
      hashConfig,
      clientIpAffinity,
      externalLocal: spec.externalTrafficPolicy === 'Local',
      internalLocal: spec.internalTrafficPolicy === 'Local',
      allocateLoadBalancerNodePorts: spec.allocateLoadBalancerNodePorts !== false,
    },
    issues: issues.list,
  };
}

/**
 * Validates an EndpointSlice. `result` is undefined for a slice that is not ours to program (FQDN
 * addresses, no `kubernetes.io/service-name` label) or that has an `error` issue.
 */
export function parseEndpointSlice(slice: EndpointSliceInput): TranslateResult<ParsedSlice | undefined> {
  const meta = slice.metadata as EndpointSliceInput['metadata'] | undefined;
  const ref = refOf('EndpointSlice', { name: meta?.name ?? '', namespace: meta?.namespace });
  const issues = new Issues(ref);
  if (!meta || typeof meta.name !== 'string' || meta.name === '') {
    issues.error('MISSING_FIELD', ['metadata', 'name'], 'EndpointSlice has no name');
    return { result: undefined, issues: issues.list };
  }
  const svcName = meta.labels?.[SERVICE_NAME_LABEL];
  if (!svcName) return { result: undefined, issues: [] };
  let family: IpFamily;
  if (slice.addressType === 'IPv4') family = 4;
  else if (slice.addressType === 'IPv6') family = 6;
  else if (slice.addressType === 'FQDN') return { result: undefined, issues: [] };
  else {
    issues.error(
      'UNSUPPORTED_ADDRESS_TYPE',
      ['addressType'],
      `unknown addressType ${JSON.stringify(slice.addressType)}`,
      slice.addressType,
    );
    return { result: undefined, issues: issues.list };
  }
  const ports: { name: string; proto: ServiceProtocol; port: number | undefined }[] = [];
  (slice.ports ?? []).forEach((p, i) => {
    const proto = p.protocol ?? 'TCP';
    if (!PROTOCOLS.has(proto)) {
      issues.error(
        'UNKNOWN_PROTOCOL',
        ['ports', i, 'protocol'],
        `unknown protocol ${JSON.stringify(proto)} (TCP, UDP or SCTP)`,
        proto,
      );
      return;
    }
    if (p.port !== undefined && p.port !== null && !validPort(p.port)) {
      issues.error('INVALID_PORT', ['ports', i, 'port'], `port ${JSON.stringify(p.port)} is not in 1-65535`, p.port);
      return;
    }
    ports.push({ name: p.name ?? '', proto: proto as ServiceProtocol, port: p.port ?? undefined });
  });
  const endpoints: ParsedEndpoint[] = [];
  (slice.endpoints ?? []).forEach((ep, i) => {
    const addresses: string[] = [];
    (ep.addresses ?? []).forEach((a, j) => {
      const ip = parseIp(a);
      if (!ip || ip.family !== family) {
        issues.error(
          'INVALID_IP',
          ['endpoints', i, 'addresses', j],
          `endpoint address ${JSON.stringify(a)} is not an IPv${family} address`,
          a,
        );
      } else addresses.push(ip.text);
    });
    const c = ep.conditions ?? {};
    // discovery/v1: a nil ready means ready; a nil serving means the value of ready; nil terminating means false
    const ready = c.ready ?? true;
    endpoints.push({
      addresses,
      ready,
      serving: c.serving ?? ready,
      terminating: c.terminating ?? false,
      nodeName: ep.nodeName ?? undefined,
    });
  });
  if (issues.fatal) return { result: undefined, issues: issues.list };
  return {
    result: {
      key: objectKey(meta),
      ref,
      service: objectKey({ name: svcName, namespace: meta.namespace }),
      family,
      ports,
      endpoints,
    },
    issues: issues.list,
  };
}

interface Backend {
  readonly addr: string;
  readonly port: number;
  readonly local: boolean;
}

/**
 * kube-proxy's endpoint choice (pkg/proxy/topology.go): ready endpoints; when none is ready, those
 * serving and terminating. `local` restricts to endpoints on this node first.
 */
function pickEndpoints(
  all: readonly (Backend & { ready: boolean; serving: boolean; terminating: boolean })[],
  localOnly: boolean,
): Backend[] {
  const pool = localOnly ? all.filter((b) => b.local) : all;
  const ready = pool.filter((b) => b.ready);
  const chosen = ready.length > 0 ? ready : pool.filter((b) => b.serving && b.terminating);
  const seen = new Set<string>();
  const out: Backend[] = [];
  for (const b of chosen) {
    const k = `${b.addr}|${b.port}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ addr: b.addr, port: b.port, local: b.local });
  }
  return out.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : a.port - b.port));
}

/** The translation key VPP itself uses: protocol, VIP, port. */
export function translationKey(proto: ServiceProtocol, vip: string, port: number): string {
  return `${proto}/${vip}/${port}`;
}

/**
 * Turns one validated Service and its validated slices into cnat translations, for this node.
 * Pure: same input, same output, in a stable order.
 */
export function translateService(
  svc: ParsedService,
  slices: Iterable<ParsedSlice>,
  ctx: TranslateContext,
): TranslateResult<ServiceTranslation> {
  const issues = new Issues(svc.ref);
  if (svc.inert) return { result: { service: svc.key, translations: [], announce: [] }, issues: [] };
  const sliceList = [...slices];
  const families = new Set(svc.clusterIPs.map((c) => c.family));
  const out = new Map<string, DesiredTranslation>();
  const announce = new Set<string>();
  const cnatLb = svc.lbType === 'ecmp' ? CNAT_LB_TYPE.DEFAULT : CNAT_LB_TYPE.MAGLEV;
  const dsr = svc.lbType === 'maglevdsr';
  const sliceIssues: TranslationIssue[] = [];

  // which slice ports match no Service port (named by the slice)
  for (const s of sliceList) {
    s.ports.forEach((sp, i) => {
      if (!svc.ports.some((p) => p.name === sp.name && p.proto === sp.proto)) {
        sliceIssues.push({
          code: 'UNKNOWN_SLICE_PORT',
          severity: 'warning',
          object: s.ref,
          path: ['ports', i, 'name'],
          message: `EndpointSlice port ${JSON.stringify(sp.name)}/${sp.proto} matches no port of Service ${svc.key}; ignored`,
          value: sp.name,
        });
      }
    });
  }

  for (const sp of svc.ports) {
    // endpoints of this port, per family, with the port each slice resolved the target to
    const byFamily = new Map<IpFamily, (Backend & { ready: boolean; serving: boolean; terminating: boolean })[]>();
    let matched = false;
    for (const s of sliceList) {
      const slicePort = s.ports.find((p) => p.name === sp.name && p.proto === sp.proto);
      if (!slicePort) continue;
      matched = true;
      const port =
        slicePort.port ??
        (typeof sp.targetPort === 'number' ? sp.targetPort : typeof sp.targetPort === 'string' ? undefined : sp.port);
      if (port === undefined) continue; // a named target the slice did not resolve: no backend to send to
      const list = byFamily.get(s.family) ?? [];
      for (const ep of s.endpoints) {
        const local = ep.nodeName !== undefined && ep.nodeName === ctx.node.name;
        for (const addr of ep.addresses)
          list.push({ addr, port, local, ready: ep.ready, serving: ep.serving, terminating: ep.terminating });
      }
      byFamily.set(s.family, list);
    }
    if (!matched && sliceList.some((s) => s.endpoints.length > 0)) {
      issues.warn(
        'SERVICE_PORT_WITHOUT_SLICE_PORT',
        ['spec', 'ports', sp.index, 'name'],
        `no EndpointSlice of ${svc.key} has a port named ${JSON.stringify(sp.name)}/${sp.proto}; that port gets no backends`,
        sp.name,
      );
    }

    const add = (
      kind: TranslationKind,
      vip: ParsedIp,
      port: number,
      localOnly: boolean,
      nodePortSrc: string | undefined,
    ): void => {
      const backends = pickEndpoints(byFamily.get(vip.family) ?? [], localOnly);
      const key = translationKey(sp.proto, vip.text, port);
      if (out.has(key)) {
        issues.warn(
          'VIP_COLLISION',
          ['spec', 'ports', sp.index],
          `${kind} ${key} is already a ${out.get(key)!.kind} of the same Service; the first one is kept`,
          key,
        );
        return;
      }
      if (backends.length === 0) return;
      const paths: CnatPath[] = backends.map((b) => ({
        dst: { addr: b.addr, port: b.port },
        src: nodePortSrc !== undefined && !b.local ? { addr: nodePortSrc, port: 0 } : undefined,
        flags: dsr && !b.local && kind !== 'NodePort' ? CNAT_EPT_NO_NAT : 0,
      }));
      out.set(key, {
        key,
        vip: vip.text,
        family: vip.family,
        port,
        proto: sp.proto,
        isRealIp: kind === 'NodePort',
        flags: CNAT_TRANSLATION_FLAG.ALLOC_PORT,
        lbType: cnatLb,
        flowHashConfig: svc.hashConfig,
        paths,
        service: svc.key,
        portName: sp.name,
        kind,
      });
      if (kind === 'ExternalIP' || kind === 'LoadBalancer') announce.add(vip.text);
    };

    for (const ip of svc.clusterIPs) add('ClusterIP', ip, sp.port, svc.internalLocal, undefined);
    for (const ip of svc.externalIPs) add('ExternalIP', ip, sp.port, svc.externalLocal, undefined);
    for (const ip of svc.ingressIPs) add('LoadBalancer', ip, sp.port, svc.externalLocal, undefined);
    const nodePorts = svc.type === 'NodePort' || (svc.type === 'LoadBalancer' && svc.allocateLoadBalancerNodePorts);
    if (nodePorts && sp.nodePort !== undefined) {
      for (const ip of ctx.node.addresses) {
        if (!families.has(ip.family)) continue;
        add('NodePort', ip, sp.nodePort, svc.externalLocal, ip.text);
      }
    }
  }
  const translations = [...out.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    result: { service: svc.key, translations, announce: [...announce].sort() },
    issues: [...issues.list, ...sliceIssues],
  };
}

/**
 * Validates and translates in one go: the Service, its EndpointSlices and this node's config to
 * desired cnat translations. Slices with errors are left out (and reported); a Service with errors
 * translates to nothing.
 */
export function translate(
  service: ServiceInput,
  slices: readonly EndpointSliceInput[],
  node: NodeInfo,
  config: TranslateConfig = {},
): TranslateResult<ServiceTranslation> {
  const defaults = {
    defaultLbType: config.defaultLbType ?? 'ecmp',
    defaultHashConfig: hashMask(config.defaultHashConfig),
  };
  const parsed = parseService(service, defaults);
  const issues: TranslationIssue[] = [...parsed.issues];
  const key = objectKey(service.metadata);
  if (!parsed.result) return { result: { service: key, translations: [], announce: [] }, issues };
  const good: ParsedSlice[] = [];
  for (const s of slices) {
    const p = parseEndpointSlice(s);
    issues.push(...p.issues);
    if (p.result && p.result.service === key) good.push(p.result);
  }
  const addresses: ParsedIp[] = [];
  for (const a of node.addresses) {
    const ip = parseIp(a);
    if (ip) addresses.push(ip);
  }
  const t = translateService(parsed.result, good, { node: { name: node.name, addresses }, ...defaults });
  return { result: t.result, issues: [...issues, ...t.issues] };
}
