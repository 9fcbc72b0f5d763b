/**
 * Native Kubernetes NetworkPolicy enforcement, no Felix: streams of Namespaces, Pods and
 * NetworkPolicies from a `@vectorplane/kube` source, a label index in the style of Felix's calculation
 * graph (each selector ipset knows its members; a pod or namespace label change re-evaluates only the
 * selectors, and sends deltas only for the ipsets whose membership changed), and bindings of the pods
 * of this node to the policies that select them.
 */
import type { Namespace, NetworkPolicy, Pod, ResourceEvent, ResourceSource } from '@vectorplane/kube';
import type { PolicyDataplane } from '../dataplane.js';
import { NetworkPolicyInvalidError, type PolicyError } from '../errors.js';
import type { WorkloadEndpoint } from '../model.js';
import type { PolicyChange, PolicyLogger } from '../types.js';
import { selectorMatches } from './selector.js';
import {
  translateNetworkPolicy,
  type NamedPortSetSpec,
  type SelectorSetSpec,
  type TranslatedPolicy,
} from './translate.js';

export interface NetworkPolicyControllerComponents {
  readonly dataplane: PolicyDataplane;
  readonly source: ResourceSource;
  /** VPP interfaces of a pod on this node (undefined for pods elsewhere or not yet wired). */
  readonly endpoints: { pod(namespace: string, name: string): readonly number[] | undefined };
  readonly logger?: PolicyLogger;
}

export interface NetworkPolicyControllerEvents {
  /** A NetworkPolicy that cannot be translated (skipped; the others apply), or a failed batch. */
  'k8s:error': CustomEvent<PolicyError>;
  'k8s:synced': CustomEvent<{ readonly vppCalls: number }>;
}

export interface NetworkPolicyController extends EventTarget {
  start(options?: { signal?: AbortSignal }): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once the initial lists are programmed. */
  readonly synced: Promise<void>;
  /** Resolves when every event received so far is programmed. */
  idle(): Promise<void>;
  /** Re-binds a pod whose interfaces changed (after the CNI server wired it). */
  refreshPod(namespace: string, name: string): Promise<void>;
  /** VPP calls of the last batch (for tests and metrics). */
  readonly lastBatch: { readonly changes: number; readonly vppCalls: number };
}

interface PodInfo {
  readonly ns: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ips: readonly string[];
  readonly ports: readonly { name: string; protocol: number; port: number }[];
}

const PROTO: Record<string, number> = { TCP: 6, UDP: 17, SCTP: 132 };

function podInfo(p: Pod): PodInfo {
  const ns = p.metadata.namespace ?? 'default';
  const ips = p.spec?.hostNetwork
    ? []
    : [...new Set([...(p.status?.podIPs ?? []).map((x) => x.ip), ...(p.status?.podIP ? [p.status.podIP] : [])])];
  const ports = (p.spec?.containers ?? []).flatMap((c) =>
    (c.ports ?? [])
      .filter((x) => x.name)
      .map((x) => ({ name: x.name!, protocol: PROTO[x.protocol ?? 'TCP'] ?? 6, port: x.containerPort })),
  );
  return { ns, name: p.metadata.name, labels: p.metadata.labels ?? {}, ips, ports };
}

export function createNetworkPolicyController(components: NetworkPolicyControllerComponents): NetworkPolicyController {
  const { dataplane, source, endpoints, logger } = components;
  const target = new EventTarget();
  const namespaces = new Map<string, Readonly<Record<string, string>>>();
  const pods = new Map<string, PodInfo>();
  const policies = new Map<string, TranslatedPolicy>();
  const byName = new Map<string, string>(); // ns/name → policy id
  const sets = new Map<string, { spec: SelectorSetSpec; refs: Set<string>; members: Set<string> }>();
  const named = new Map<string, { spec: NamedPortSetSpec; refs: Set<string>; members: Set<string> }>();
  const bound = new Map<string, string>(); // pod key → JSON of its workload
  let lastBatch = { changes: 0, vppCalls: 0 };
  let abort: AbortController | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let buffered: { kind: 'Namespace' | 'Pod' | 'NetworkPolicy'; ev: ResourceEvent<unknown> }[] | undefined = [];
  const syncedKinds = new Set<string>();
  let resolveSynced!: () => void;
  const synced = new Promise<void>((r) => (resolveSynced = r));
  const loops: Promise<void>[] = [];

  const emit = (type: string, detail: unknown) => target.dispatchEvent(new CustomEvent(type, { detail }));
  const podKey = (ns: string, name: string) => `${ns}/${name}`;

  const inSet = (s: SelectorSetSpec, p: PodInfo): boolean => {
    if (s.namespace !== undefined) return p.ns === s.namespace && selectorMatches(s.podSelector ?? {}, p.labels);
    const nsLabels = namespaces.get(p.ns);
    if (!nsLabels) return false;
    return (
      selectorMatches(s.namespaceSelector ?? {}, { ...nsLabels, 'kubernetes.io/metadata.name': p.ns }) &&
      (!s.podSelector || selectorMatches(s.podSelector, p.labels))
    );
  };
  const namedMembers = (s: NamedPortSetSpec, p: PodInfo): string[] =>
    p.ports
      .filter((x) => x.name === s.name && x.protocol === s.protocol)
      .flatMap((x) =>
        p.ips.map((ip) => `${ip},${s.protocol === 6 ? 'tcp' : s.protocol === 17 ? 'udp' : 'sctp'}:${x.port}`),
      );

  /** Membership deltas of every set for one pod going from `old` to `now` (either may be undefined). */
  function podDeltas(
    old: PodInfo | undefined,
    now: PodInfo | undefined,
    out: PolicyChange[],
    onlySelectorsWithNamespace = false,
  ) {
    for (const [id, s] of sets) {
      if (onlySelectorsWithNamespace && s.spec.namespace !== undefined) continue;
      const before = old && inSet(s.spec, old) ? old.ips : [];
      const after = now && inSet(s.spec, now) ? now.ips : [];
      delta(id, s.members, before, after, out);
    }
    if (onlySelectorsWithNamespace) return;
    for (const [id, s] of named)
      delta(id, s.members, old ? namedMembers(s.spec, old) : [], now ? namedMembers(s.spec, now) : [], out);
  }
  function delta(
    id: string,
    members: Set<string>,
    before: readonly string[],
    after: readonly string[],
    out: PolicyChange[],
  ) {
    const a = new Set(after);
    const b = new Set(before);
    const added = [...a].filter((x) => !b.has(x) && !members.has(x));
    const removed = [...b].filter((x) => !a.has(x) && members.has(x));
    if (!added.length && !removed.length) return;
    for (const x of added) members.add(x);
    for (const x of removed) members.delete(x);
    out.push({ kind: 'ipset-delta', id, added, removed });
  }

  function bindPod(p: PodInfo, out: PolicyChange[]) {
    const key = podKey(p.ns, p.name);
    const sws = endpoints.pod(p.ns, p.name);
    if (!sws) {
      if (bound.delete(key)) out.push({ kind: 'workload-remove', id: `k8s:${key}` });
      return;
    }
    const ing: string[] = [];
    const eg: string[] = [];
    for (const pol of policies.values()) {
      if (pol.namespace !== p.ns || !selectorMatches(pol.podSelector, p.labels)) continue;
      if (pol.ingress) ing.push(pol.id);
      if (pol.egress) eg.push(pol.id);
    }
    ing.sort();
    eg.sort();
    const ep: WorkloadEndpoint = {
      swIfIndexes: [...sws],
      addresses: [...p.ips],
      profiles: [],
      tiers: ing.length || eg.length ? [{ name: 'k8s', ingress: ing, egress: eg }] : [],
    };
    const json = JSON.stringify(ep);
    if (bound.get(key) === json) return;
    bound.set(key, json);
    out.push({ kind: 'workload', id: `k8s:${key}`, endpoint: ep });
  }

  function onPolicy(type: string, np: NetworkPolicy, out: PolicyChange[], errors: PolicyError[]) {
    const nsName = `${np.metadata.namespace ?? 'default'}/${np.metadata.name}`;
    const oldId = byName.get(nsName);
    const old = oldId ? policies.get(oldId) : undefined;
    let now: TranslatedPolicy | undefined;
    if (type !== 'deleted') {
      const { result, issues } = translateNetworkPolicy(np);
      if (!result) {
        errors.push(new NetworkPolicyInvalidError(`NetworkPolicy ${nsName}`, issues));
        return; // skipped: what was applied for it stays
      }
      now = result;
    }
    // new sets first (full membership), then the policy, then bindings, then unused sets go
    if (now) {
      for (const s of now.selectorSets) {
        let e = sets.get(s.id);
        if (!e) {
          e = {
            spec: s,
            refs: new Set(),
            members: new Set([...pods.values()].filter((p) => inSet(s, p)).flatMap((p) => p.ips)),
          };
          sets.set(s.id, e);
          out.push({ kind: 'ipset', id: s.id, set: { type: 'ip', members: [...e.members] } });
        }
        e.refs.add(now.id);
      }
      for (const s of now.namedPortSets) {
        let e = named.get(s.id);
        if (!e) {
          e = { spec: s, refs: new Set(), members: new Set([...pods.values()].flatMap((p) => namedMembers(s, p))) };
          named.set(s.id, e);
          out.push({ kind: 'ipset', id: s.id, set: { type: 'ip-port', members: [...e.members] } });
        }
        e.refs.add(now.id);
      }
      policies.set(now.id, now);
      byName.set(nsName, now.id);
      out.push({ kind: 'policy', id: now.id, policy: now.policy });
    } else if (old) {
      policies.delete(old.id);
      byName.delete(nsName);
    }
    const ns = now?.namespace ?? old?.namespace;
    for (const p of pods.values()) if (p.ns === ns) bindPod(p, out);
    if (old && !now) out.push({ kind: 'policy-remove', id: old.id });
    if (old) {
      for (const s of old.selectorSets) {
        const e = sets.get(s.id);
        if (!e) continue;
        if (!now?.selectorSets.some((x) => x.id === s.id)) e.refs.delete(old.id);
        if (e.refs.size === 0) {
          sets.delete(s.id);
          out.push({ kind: 'ipset-remove', id: s.id });
        }
      }
      for (const s of old.namedPortSets) {
        const e = named.get(s.id);
        if (!e) continue;
        if (!now?.namedPortSets.some((x) => x.id === s.id)) e.refs.delete(old.id);
        if (e.refs.size === 0) {
          named.delete(s.id);
          out.push({ kind: 'ipset-remove', id: s.id });
        }
      }
    }
  }

  function onEvent(
    kind: 'Namespace' | 'Pod' | 'NetworkPolicy',
    ev: ResourceEvent<unknown>,
    out: PolicyChange[],
    errors: PolicyError[],
  ) {
    if (ev.type === 'synced') return;
    if (ev.type === 'error') {
      logger?.warn({ code: ev.error.code }, ev.error.message);
      return;
    }
    if (kind === 'Namespace') {
      const n = ev.object as Namespace;
      const name = n.metadata.name;
      if (ev.type === 'deleted') namespaces.delete(name);
      else namespaces.set(name, n.metadata.labels ?? {});
      // only selectors with a namespaceSelector can change; only pods of that namespace are looked at
      const ps = [...pods.values()].filter((p) => p.ns === name);
      for (const [id, s] of sets) {
        if (s.spec.namespace !== undefined) continue;
        const want = new Set(ps.filter((p) => inSet(s.spec, p)).flatMap((p) => p.ips));
        const have = ps.flatMap((p) => p.ips).filter((ip) => s.members.has(ip));
        delta(id, s.members, have, [...want], out);
      }
    } else if (kind === 'Pod') {
      const pod = ev.object as Pod;
      const key = podKey(pod.metadata.namespace ?? 'default', pod.metadata.name);
      const old = pods.get(key);
      const now = ev.type === 'deleted' ? undefined : podInfo(pod);
      if (now) pods.set(key, now);
      else pods.delete(key);
      podDeltas(old, now, out);
      if (now) bindPod(now, out);
      else if (bound.delete(key)) out.push({ kind: 'workload-remove', id: `k8s:${key}` });
    } else onPolicy(ev.type, ev.object as NetworkPolicy, out, errors);
  }

  async function commit(out: PolicyChange[], errors: PolicyError[]) {
    for (const e of errors) {
      logger?.warn({ code: e.code }, e.message);
      emit('k8s:error', e);
    }
    if (!out.length) return;
    const r = await dataplane.apply(out);
    lastBatch = { changes: out.length, vppCalls: r.vppCalls };
    for (const e of r.errors) {
      logger?.warn({ code: e.code }, e.message);
      emit('k8s:error', e);
    }
  }

  function enqueue(kind: 'Namespace' | 'Pod' | 'NetworkPolicy', ev: ResourceEvent<unknown>) {
    if (buffered) {
      if (ev.type === 'synced') syncedKinds.add(kind);
      else buffered.push({ kind, ev });
      if (syncedKinds.size < 3) return;
      const all = buffered;
      buffered = undefined;
      const order = { Namespace: 0, Pod: 1, NetworkPolicy: 2 };
      all.sort((a, b) => order[a.kind] - order[b.kind]);
      queue = queue.then(async () => {
        const out: PolicyChange[] = [];
        const errors: PolicyError[] = [];
        for (const x of all) onEvent(x.kind, x.ev, out, errors);
        await commit(out, errors);
        emit('k8s:synced', { vppCalls: lastBatch.vppCalls });
        resolveSynced();
      });
      return;
    }
    queue = queue.then(async () => {
      const out: PolicyChange[] = [];
      const errors: PolicyError[] = [];
      onEvent(kind, ev, out, errors);
      await commit(out, errors);
    });
    queue = queue.catch((e: unknown) => {
      logger?.error({ err: e }, 'policy batch failed');
      emit('k8s:error', e);
    });
  }

  Object.defineProperty(target, 'lastBatch', { get: () => lastBatch, enumerable: true });
  return Object.assign(target, {
    synced,
    async start(options: { signal?: AbortSignal } = {}) {
      abort = new AbortController();
      const signal = options.signal ? AbortSignal.any([options.signal, abort.signal]) : abort.signal;
      for (const kind of ['Namespace', 'Pod', 'NetworkPolicy'] as const)
        loops.push(
          (async () => {
            for await (const ev of source.stream(kind, { signal })) enqueue(kind, ev as ResourceEvent<unknown>);
          })().catch((e: unknown) => {
            if (!signal.aborted) logger?.error({ err: e, kind }, 'resource stream failed');
          }),
        );
    },
    async stop() {
      abort?.abort();
      await Promise.allSettled(loops);
      await queue;
    },
    async idle() {
      let q: Promise<unknown>;
      do {
        q = queue;
        await q;
        await new Promise((r) => setImmediate(r));
      } while (q !== queue);
    },
    async refreshPod(namespace: string, name: string) {
      queue = queue.then(async () => {
        const p = pods.get(podKey(namespace, name));
        if (!p) return;
        const out: PolicyChange[] = [];
        bindPod(p, out);
        await commit(out, []);
      });
      await queue;
    },
  }) as unknown as NetworkPolicyController;
}
