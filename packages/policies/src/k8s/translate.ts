/**
 * One Kubernetes NetworkPolicy → one model policy, from the API reference (networking.k8s.io/v1):
 * - the policy selects pods of its namespace by `spec.podSelector`; a selected pod is isolated for each
 *   of the policy's `policyTypes`, which default to Ingress, plus Egress when `spec.egress` has rules;
 * - rules are OR'ed; within a rule, `from`/`to` peers are OR'ed and then AND'ed with `ports`;
 *   an absent or empty `from`/`to` matches every peer, absent or empty `ports` every port;
 * - a peer is `ipBlock` (cidr minus `except`), or pods: `podSelector` alone = pods of the policy's
 *   namespace, `namespaceSelector` alone = every pod of the selected namespaces, both = pods matching
 *   podSelector within the selected namespaces;
 * - a port is a number or a named container port (of the destination pod), with `protocol` (default TCP)
 *   and an optional `endPort` (a range).
 * Pod peers become selector ipsets and named ports become ip-port ipsets, shared by every policy that
 * uses the same selector; their members are maintained by the label index.
 */
import { createHash } from 'node:crypto';
import type { PolicyIssue } from '../errors.js';
import type { Policy, PortRange, Rule } from '../model.js';
import { parsePrefix, prefixContains } from '../prefix.js';
import { canonicalSelector, validateSelector, type Selector } from './selector.js';

export interface NetworkPolicyLike {
  readonly metadata: { readonly name: string; readonly namespace?: string | undefined };
  readonly spec: {
    readonly podSelector: Selector;
    readonly policyTypes?: readonly string[] | undefined;
    readonly ingress?:
      | readonly { readonly from?: readonly PeerLike[] | undefined; readonly ports?: readonly PortLike[] | undefined }[]
      | undefined;
    readonly egress?:
      | readonly { readonly to?: readonly PeerLike[] | undefined; readonly ports?: readonly PortLike[] | undefined }[]
      | undefined;
  };
}
export interface PeerLike {
  readonly podSelector?: Selector | undefined;
  readonly namespaceSelector?: Selector | undefined;
  readonly ipBlock?: { readonly cidr: string; readonly except?: readonly string[] | undefined } | undefined;
}
export interface PortLike {
  readonly protocol?: string | undefined;
  readonly port?: number | string | undefined;
  readonly endPort?: number | undefined;
}

/** Which pods a selector ipset holds. `namespace` set: pods of that namespace only. */
export interface SelectorSetSpec {
  readonly id: string;
  readonly namespace?: string;
  readonly namespaceSelector?: Selector;
  readonly podSelector?: Selector;
}
/** Named-port ipset: (pod IP, protocol, port) of every pod with a container port of that name. */
export interface NamedPortSetSpec {
  readonly id: string;
  readonly protocol: number;
  readonly name: string;
}

export interface TranslatedPolicy {
  readonly id: string;
  readonly namespace: string;
  readonly podSelector: Selector;
  readonly ingress: boolean;
  readonly egress: boolean;
  readonly policy: Policy;
  readonly selectorSets: readonly SelectorSetSpec[];
  readonly namedPortSets: readonly NamedPortSetSpec[];
}

const PROTO: Record<string, number> = { TCP: 6, UDP: 17, SCTP: 132 };
const hash = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 16);

export function selectorSetId(spec: Omit<SelectorSetSpec, 'id'>): string {
  return `k8s:sel:${hash(`${spec.namespace ?? '*'}|${canonicalSelector(spec.namespaceSelector)}|${canonicalSelector(spec.podSelector)}`)}`;
}
export const namedPortSetId = (protocol: number, name: string) => `k8s:port:${protocol}:${name}`;
export const networkPolicyId = (namespace: string, name: string) => `knp:${namespace}/${name}`;

/** Translates one NetworkPolicy; `result` is undefined when it has issues (it is then skipped whole). */
export function translateNetworkPolicy(np: NetworkPolicyLike): {
  result: TranslatedPolicy | undefined;
  issues: PolicyIssue[];
} {
  const ns = np.metadata.namespace ?? 'default';
  const object = `NetworkPolicy ${ns}/${np.metadata.name}`;
  const issues: PolicyIssue[] = [];
  const bad = (code: string, path: string, message: string) => issues.push({ code, object, path, message });
  const spec = np.spec;
  issues.push(...validateSelector(spec.podSelector ?? {}, object, 'spec.podSelector'));
  const types = spec.policyTypes ?? ['Ingress', ...(spec.egress?.length ? ['Egress'] : [])];
  types.forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress')
      bad('invalid-policy-type', `spec.policyTypes[${i}]`, `unknown policy type "${t}"`);
  });
  const selectorSets = new Map<string, SelectorSetSpec>();
  const namedPortSets = new Map<string, NamedPortSetSpec>();

  const peerRules = (peers: readonly PeerLike[] | undefined, path: string, isIngress: boolean): Partial<Rule>[] => {
    if (!peers?.length) return [{}];
    const out: Partial<Rule>[] = [];
    peers.forEach((p, i) => {
      const pp = `${path}[${i}]`;
      const side = isIngress ? 'src' : 'dst';
      if (p.ipBlock) {
        if (p.podSelector || p.namespaceSelector)
          bad('invalid-peer', pp, 'ipBlock cannot be combined with podSelector or namespaceSelector');
        const cidr = parsePrefix(p.ipBlock.cidr);
        if (!cidr || !p.ipBlock.cidr.includes('/'))
          bad('invalid-cidr', `${pp}.ipBlock.cidr`, `"${p.ipBlock.cidr}" is not a CIDR`);
        (p.ipBlock.except ?? []).forEach((e, j) => {
          const ex = parsePrefix(e);
          if (!ex || !e.includes('/')) bad('invalid-cidr', `${pp}.ipBlock.except[${j}]`, `"${e}" is not a CIDR`);
          else if (cidr && !prefixContains(cidr, ex))
            bad(
              'invalid-cidr',
              `${pp}.ipBlock.except[${j}]`,
              `"${e}" is not inside ${cidr.len}-bit block "${p.ipBlock!.cidr}"`,
            );
        });
        out.push({
          [`${side}Nets`]: [p.ipBlock.cidr],
          ...(p.ipBlock.except?.length ? { [`not${side === 'src' ? 'Src' : 'Dst'}Nets`]: [...p.ipBlock.except] } : {}),
        });
        return;
      }
      if (!p.podSelector && !p.namespaceSelector) {
        bad('invalid-peer', pp, 'a peer needs podSelector, namespaceSelector or ipBlock');
        return;
      }
      if (p.podSelector) issues.push(...validateSelector(p.podSelector, object, `${pp}.podSelector`));
      if (p.namespaceSelector) issues.push(...validateSelector(p.namespaceSelector, object, `${pp}.namespaceSelector`));
      const s: Omit<SelectorSetSpec, 'id'> = p.namespaceSelector
        ? { namespaceSelector: p.namespaceSelector, ...(p.podSelector ? { podSelector: p.podSelector } : {}) }
        : { namespace: ns, podSelector: p.podSelector! };
      const id = selectorSetId(s);
      selectorSets.set(id, { id, ...s });
      out.push({ [`${side}IpSets`]: [id] });
    });
    return out;
  };

  const portRules = (ports: readonly PortLike[] | undefined, path: string): Partial<Rule>[] => {
    if (!ports?.length) return [{}];
    const byProto = new Map<number, { ranges: PortRange[]; named: string[]; any: boolean }>();
    ports.forEach((p, i) => {
      const pp = `${path}[${i}]`;
      const proto = PROTO[p.protocol ?? 'TCP'];
      if (proto === undefined) {
        bad('invalid-protocol', `${pp}.protocol`, `unknown protocol "${p.protocol}"`);
        return;
      }
      const g = byProto.get(proto) ?? { ranges: [], named: [], any: false };
      byProto.set(proto, g);
      if (p.port === undefined) {
        if (p.endPort !== undefined) bad('invalid-port', `${pp}.endPort`, 'endPort needs port');
        g.any = true;
      } else if (typeof p.port === 'number') {
        const last = p.endPort ?? p.port;
        if (!(Number.isInteger(p.port) && p.port >= 1 && p.port <= 65535))
          bad('invalid-port', `${pp}.port`, `${p.port} is not a port`);
        else if (!(Number.isInteger(last) && last >= p.port && last <= 65535))
          bad('invalid-port', `${pp}.endPort`, `endPort ${last} must be ≥ port ${p.port} and ≤ 65535`);
        else g.ranges.push({ first: p.port, last });
      } else {
        if (p.endPort !== undefined) bad('invalid-port', `${pp}.endPort`, 'endPort cannot be used with a named port');
        if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(p.port) || p.port.length > 15)
          bad('invalid-port', `${pp}.port`, `"${p.port}" is not a port name`);
        const id = namedPortSetId(proto, p.port);
        namedPortSets.set(id, { id, protocol: proto, name: p.port });
        g.named.push(id);
      }
    });
    const out: Partial<Rule>[] = [];
    for (const [proto, g] of byProto) {
      if (g.any) out.push({ protocol: proto });
      else if (g.ranges.length || g.named.length)
        out.push({
          protocol: proto,
          ...(g.ranges.length ? { dstPorts: g.ranges } : {}),
          ...(g.named.length ? { dstNamedPortIpSets: g.named } : {}),
        });
    }
    return out;
  };

  const rulesOf = (
    list: NetworkPolicyLike['spec']['ingress'] | NetworkPolicyLike['spec']['egress'],
    isIngress: boolean,
  ): Rule[] => {
    const rules: Rule[] = [];
    (list ?? []).forEach((r, i) => {
      const base = `spec.${isIngress ? 'ingress' : 'egress'}[${i}]`;
      const peers = peerRules(
        isIngress ? (r as { from?: PeerLike[] }).from : (r as { to?: PeerLike[] }).to,
        `${base}.${isIngress ? 'from' : 'to'}`,
        isIngress,
      );
      const ports = portRules(r.ports, `${base}.ports`);
      for (const p of peers) for (const q of ports) rules.push({ action: 'allow', ...p, ...q, id: `${base}` });
    });
    return rules;
  };
  const ingress = types.includes('Ingress');
  const egress = types.includes('Egress');
  const policy: Policy = {
    inbound: ingress ? rulesOf(spec.ingress, true) : [],
    outbound: egress ? rulesOf(spec.egress, false) : [],
  };
  if (issues.length) return { result: undefined, issues };
  return {
    result: {
      id: networkPolicyId(ns, np.metadata.name),
      namespace: ns,
      podSelector: spec.podSelector ?? {},
      ingress,
      egress,
      policy,
      selectorSets: [...selectorSets.values()],
      namedPortSets: [...namedPortSets.values()],
    },
    issues,
  };
}
