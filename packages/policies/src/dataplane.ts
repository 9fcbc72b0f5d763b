/**
 * The incremental policy programmer: holds the desired state (ipsets, policies, profiles, endpoints,
 * built-ins), validates every change, and drives one backend with only what changed. A membership
 * change reaches VPP as a member delta (npol) or as the few ACLs that use the set (ACL); a changed
 * policy updates its rules in place; `replace()` reconciles a whole snapshot (Felix's InSync, a restart)
 * without touching what stays the same, so traffic that stays allowed is never dropped.
 */
import type { AdoptionReport, PolicyBackend, BackendContext } from './backends/backend.js';
import { createAclBackend } from './backends/acl.js';
import { createNpolBackend } from './backends/npol.js';
import { DEFAULT_NPOL_STATE_DELAY_MS, DEFAULT_NPOL_STATE_PATH } from './backends/npol-state.js';
import {
  BUILTIN,
  builtinPolicies,
  hostConfigs,
  policyKey,
  profileKey,
  workloadConfigs,
  type InterfaceConfig,
} from './endpoints.js';
import { PolicyModelError, PolicyReferenceError, type PolicyError, type PolicyIssue } from './errors.js';
import {
  parseMember,
  ruleIpSetRefs,
  validateRule,
  type HostConfig,
  type HostEndpoint,
  type IpSet,
  type IpSetMember,
  type IpSetType,
  type Policy,
  type WorkloadEndpoint,
} from './model.js';
import type { PolicyBackendKind, PolicyChange, PolicyLogger, PolicySnapshot, PolicyVpp } from './types.js';

export interface PolicyDataplaneComponents {
  readonly vpp: PolicyVpp;
  readonly logger?: PolicyLogger;
}

export interface PolicyDataplaneInit {
  /** `acl`, `npol`, or `auto` (detected from the running VPP, see {@link detectBackend}). Default `auto`. */
  readonly backend?: PolicyBackendKind | 'auto';
  /** Node settings for the built-in policies. Default: no host addresses, Felix's failsafe ports. */
  readonly host?: HostConfig;
  /** Tag prefix of the ACLs this dataplane owns (ACL backend). Default `vp-pol`. */
  readonly aclTagPrefix?: string;
  /**
   * npol backend: the file recording what is programmed, so that a restarted agent adopts it instead of
   * programming (and leaking) everything again; `null` keeps no file. Default
   * `/var/lib/vectorplane/policies-npol.json`.
   */
  readonly npolStatePath?: string | null;
  /** npol backend: how long changes are coalesced before the state file is written. Default 200 ms. */
  readonly npolStateDelayMs?: number;
}

/** Outcome of one `apply()` / `replace()`. */
export interface ApplyResult {
  /** Changes that were applied. */
  readonly applied: number;
  /** Bad changes that were skipped (each has an error in `errors`). */
  readonly skipped: number;
  /** One typed error per skipped change or dangling reference. */
  readonly errors: readonly PolicyError[];
  /** VPP requests sent for this batch. */
  readonly vppCalls: number;
}

export interface PolicyDataplaneEvents {
  /** Something the backend cannot express, or a dangling reference; reported once per object and field. */
  'policy:issue': CustomEvent<PolicyIssue>;
}

export interface PolicyDataplane extends EventTarget {
  /** The backend in use (known after `start()`). */
  readonly backend: PolicyBackendKind | undefined;
  /**
   * What `start()` took over from a previous run (npol: from the state file; the ACL backend finds its
   * ACLs by tag and reports nothing here).
   */
  readonly adoption: AdoptionReport | undefined;
  /** npol state files written so far (changes are coalesced: a burst of batches writes once). */
  readonly stateWrites: number;
  /** Detects the backend, learns what VPP holds from a previous run and creates the built-ins. */
  start(options?: { signal?: AbortSignal }): Promise<void>;
  stop(): Promise<void>;
  /** Applies changes in order; a bad change is skipped and reported, the rest still apply. */
  apply(changes: Iterable<PolicyChange>, options?: { signal?: AbortSignal }): Promise<ApplyResult>;
  /** Makes the desired state equal to `snapshot`: removes what it lacks, applies what differs. */
  replace(snapshot: PolicySnapshot, options?: { signal?: AbortSignal }): Promise<ApplyResult>;
  /** After a VPP restart: forgets what was programmed and programs the whole state again. */
  resync(options?: { signal?: AbortSignal }): Promise<ApplyResult>;
  /** Removes everything this dataplane programmed, built-ins included (the desired state becomes empty). */
  clear(options?: { signal?: AbortSignal }): Promise<ApplyResult>;
  /** The desired state. */
  snapshot(): PolicySnapshot;
  /** Every issue reported so far. */
  readonly issues: readonly PolicyIssue[];
  /** VPP requests by message name since creation. */
  readonly calls: ReadonlyMap<string, number>;
}

interface StoredSet {
  type: IpSetType;
  members: Map<string, IpSetMember>;
}

const VERSION_RE = /(\d+)\.(\d+)/;
/** How many independent objects are programmed at once (VPP requests in flight). */
const CONCURRENCY = 64;

/** Runs `fn` over `items` with at most {@link CONCURRENCY} running; the first failure rejects. */
async function each<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  if (items.length === 1) return fn(items[0]!);
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}

/**
 * Picks the backend that enforces on this VPP: `npol` when the ACL plugin is absent or the VPP is newer
 * than 26.06 (npol got its datapath hook on master after 26.06), else `acl`.
 */
export async function detectBackend(
  vpp: PolicyVpp,
  options: { signal?: AbortSignal } = {},
): Promise<PolicyBackendKind> {
  const opts = options.signal ? { signal: options.signal } : {};
  const has = async (name: 'acl_plugin_get_version' | 'npol_get_version') => {
    try {
      await vpp.call(name, {}, opts);
      return true;
    } catch {
      return false;
    }
  };
  const acl = await has('acl_plugin_get_version');
  const npol = await has('npol_get_version');
  if (!acl && npol) return 'npol';
  if (!npol) return 'acl';
  try {
    const v = await vpp.call('show_version', {}, opts);
    const m = VERSION_RE.exec(v.version);
    if (m && (Number(m[1]) > 26 || (Number(m[1]) === 26 && Number(m[2]) > 6))) return 'npol';
  } catch {
    // fall through
  }
  return 'acl';
}

export function createPolicyDataplane(
  components: PolicyDataplaneComponents,
  init: PolicyDataplaneInit = {},
): PolicyDataplane {
  const { vpp, logger } = components;
  const ipsets = new Map<string, StoredSet>();
  const rawIpsets = new Map<string, IpSet>();
  const policies = new Map<string, Policy>();
  const profiles = new Map<string, Policy>();
  const workloads = new Map<string, WorkloadEndpoint>();
  const hosts = new Map<string, HostEndpoint>();
  let host: HostConfig = init.host ?? { hostAddresses: [] };
  let builtins = builtinPolicies(host);
  const interfaces = new Map<number, { owner: string; cfg: string }>();
  const issues: PolicyIssue[] = [];
  const reported = new Set<string>();
  const calls = new Map<string, number>();
  let batchCalls = 0;
  let backend: PolicyBackend | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const target = new EventTarget();

  const issue = (i: PolicyIssue) => {
    const key = `${i.object}|${i.path}|${i.code}`;
    if (reported.has(key)) return;
    reported.add(key);
    issues.push(i);
    logger?.warn({ code: i.code, object: i.object, path: i.path }, i.message);
    target.dispatchEvent(new CustomEvent('policy:issue', { detail: i }));
  };

  const policyOf = (key: string): Policy | undefined => {
    if (key.startsWith('policy:')) return policies.get(key.slice(7));
    if (key.startsWith('profile:')) return profiles.get(key.slice(8));
    return builtins.get(key);
  };

  const ctx: BackendContext = {
    vpp,
    logger,
    count: (m) => {
      calls.set(m, (calls.get(m) ?? 0) + 1);
      batchCalls++;
    },
    issue,
    ipset: (id) => ipsets.get(id),
    policy: policyOf,
    quiesce: (fn) => serial(async () => fn()),
  };

  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = queue.then(fn, fn);
    queue = p.catch(() => undefined);
    return p;
  };

  // ---- validation ----------------------------------------------------------------------------------
  function parseSet(id: string, set: IpSet, errors: PolicyError[]): StoredSet | undefined {
    if (!['ip', 'ip-port', 'net'].includes(set.type)) {
      errors.push(new PolicyModelError(`ipset ${id}`, 'type', `unknown ipset type "${String(set.type)}"`));
      return undefined;
    }
    const members = new Map<string, IpSetMember>();
    let bad = 0;
    set.members.forEach((t, i) => {
      const m = parseMember(set.type, t);
      if (m) members.set(t, m);
      else {
        bad++;
        errors.push(new PolicyModelError(`ipset ${id}`, `members[${i}]`, `"${t}" is not a valid ${set.type} member`));
      }
    });
    return bad ? undefined : { type: set.type, members };
  }

  function checkPolicy(kind: 'policy' | 'profile', id: string, p: Policy, errors: PolicyError[]): boolean {
    const object = `${kind} ${id}`;
    const found: PolicyIssue[] = [];
    p.inbound.forEach((r, i) => found.push(...validateRule(r, object, `inbound[${i}]`)));
    p.outbound.forEach((r, i) => found.push(...validateRule(r, object, `outbound[${i}]`)));
    for (const f of found) errors.push(new PolicyModelError(f.object, f.path, f.message));
    if (found.length) return false;
    if (p.untracked)
      issue({
        code: 'unsupported-untracked',
        object,
        path: 'untracked',
        message: 'untracked (doNotTrack) policies cannot be enforced by VPP; the policy is not applied',
      });
    if (p.preDnat)
      issue({
        code: 'unsupported-pre-dnat',
        object,
        path: 'preDnat',
        message: 'pre-DNAT policies cannot be enforced by VPP; the policy is not applied',
      });
    for (const [dir, rules] of [
      ['inbound', p.inbound],
      ['outbound', p.outbound],
    ] as const)
      rules.forEach((r, i) => {
        for (const ref of ruleIpSetRefs(r))
          if (!ipsets.has(ref.id) && ref.id !== BUILTIN.allPods) {
            const e = new PolicyReferenceError(object, `${dir}[${i}].${ref.field}`, 'ipset', ref.id);
            errors.push(e);
            issue({ code: 'unknown-ipset', object, path: e.path, message: e.message });
          }
      });
    return true;
  }

  function checkEndpoint(
    object: string,
    tiers: WorkloadEndpoint['tiers'],
    profs: readonly string[],
    errors: PolicyError[],
  ) {
    tiers.forEach((t, ti) => {
      for (const dir of ['ingress', 'egress'] as const)
        t[dir].forEach((pid, i) => {
          if (!policies.has(pid))
            errors.push(new PolicyReferenceError(object, `tiers[${ti}].${dir}[${i}]`, 'policy', pid));
        });
    });
    profs.forEach((pid, i) => {
      if (!profiles.has(pid)) errors.push(new PolicyReferenceError(object, `profiles[${i}]`, 'profile', pid));
    });
  }

  // ---- dependency bookkeeping ----------------------------------------------------------------------
  const policyUsesSet = (p: Policy, id: string) =>
    [...p.inbound, ...p.outbound].some((r) => ruleIpSetRefs(r).some((x) => x.id === id));
  function policiesUsing(setId: string): string[] {
    const out: string[] = [];
    for (const [id, p] of policies) if (policyUsesSet(p, setId)) out.push(policyKey(id));
    for (const [id, p] of profiles) if (policyUsesSet(p, setId)) out.push(profileKey(id));
    for (const [key, p] of builtins) if (policyUsesSet(p, setId)) out.push(key);
    return out;
  }

  function endpointConfigs(): Map<number, { owner: string; cfg: InterfaceConfig }> {
    const m = new Map<number, { owner: string; cfg: InterfaceConfig }>();
    for (const [id, w] of workloads)
      for (const c of workloadConfigs(usable(w))) m.set(c.swIfIndex, { owner: `workload ${id}`, cfg: c });
    for (const [id, h] of hosts)
      for (const c of hostConfigs(usableHost(h))) m.set(c.swIfIndex, { owner: `host-endpoint ${id}`, cfg: c });
    return m;
  }
  // references to unknown policies are dropped from the binding (reported); profiles likewise
  const usableTiers = (tiers: WorkloadEndpoint['tiers']) =>
    tiers.map((t) => ({
      ...t,
      ingress: t.ingress.filter((p) => policies.has(p) && !isInert(p)),
      egress: t.egress.filter((p) => policies.has(p) && !isInert(p)),
    }));
  const isInert = (id: string) => !!(policies.get(id)?.untracked || policies.get(id)?.preDnat);
  const usable = (w: WorkloadEndpoint): WorkloadEndpoint => ({
    ...w,
    tiers: usableTiers(w.tiers),
    profiles: w.profiles.filter((p) => profiles.has(p)),
  });
  const usableHost = (h: HostEndpoint): HostEndpoint => ({
    ...h,
    tiers: usableTiers(h.tiers),
    forwardTiers: usableTiers(h.forwardTiers),
    profiles: h.profiles.filter((p) => profiles.has(p)),
  });

  function allPodMembers(): Map<string, IpSetMember> {
    const m = new Map<string, IpSetMember>();
    for (const w of workloads.values())
      for (const a of w.addresses ?? []) {
        const addr = a.replace(/\/(32|128)$/, '');
        const mm = parseMember('ip', addr);
        if (mm) m.set(addr, mm);
      }
    return m;
  }

  // ---- the sync --------------------------------------------------------------------------------------
  interface Dirty {
    sets: Map<string, { added: IpSetMember[]; removed: IpSetMember[] } | undefined>;
    removedSets: Set<string>;
    policies: Set<string>;
    removedPolicies: Set<string>;
    endpoints: boolean;
  }
  const newDirty = (): Dirty => ({
    sets: new Map(),
    removedSets: new Set(),
    policies: new Set(),
    removedPolicies: new Set(),
    endpoints: false,
  });

  function stage(c: PolicyChange, d: Dirty, errors: PolicyError[]): boolean {
    switch (c.kind) {
      case 'ipset': {
        const s = parseSet(c.id, c.set, errors);
        if (!s) return false;
        const had = ipsets.get(c.id);
        ipsets.set(c.id, s);
        rawIpsets.set(c.id, c.set);
        d.sets.set(c.id, undefined);
        d.removedSets.delete(c.id);
        if (!had || had.type !== s.type) for (const k of policiesUsing(c.id)) d.policies.add(k);
        return true;
      }
      case 'ipset-delta': {
        const s = ipsets.get(c.id);
        if (!s) {
          errors.push(new PolicyReferenceError('ipset delta', 'id', 'ipset', c.id));
          return false;
        }
        const add: IpSetMember[] = [];
        const del: IpSetMember[] = [];
        let bad = false;
        c.added.forEach((t, i) => {
          const m = parseMember(s.type, t);
          if (m) add.push(m);
          else {
            bad = true;
            errors.push(new PolicyModelError(`ipset ${c.id}`, `added[${i}]`, `"${t}" is not a valid ${s.type} member`));
          }
        });
        if (bad) return false;
        for (const t of c.removed) {
          const m = s.members.get(t);
          if (m) del.push(m);
        }
        for (const m of del) s.members.delete(m.text);
        for (const m of add) s.members.set(m.text, m);
        rawIpsets.set(c.id, { type: s.type, members: [...s.members.keys()] });
        const prev = d.sets.get(c.id);
        if (d.sets.has(c.id) && prev === undefined) return true; // already a full sync
        d.sets.set(c.id, { added: [...(prev?.added ?? []), ...add], removed: [...(prev?.removed ?? []), ...del] });
        return true;
      }
      case 'ipset-remove':
        if (!ipsets.delete(c.id)) return true;
        rawIpsets.delete(c.id);
        d.sets.delete(c.id);
        d.removedSets.add(c.id);
        for (const k of policiesUsing(c.id)) {
          d.policies.add(k);
          issue({
            code: 'unknown-ipset',
            object: k,
            path: 'rules',
            message: `ipset "${c.id}" was removed while still referenced; it matches nothing`,
          });
        }
        return true;
      case 'policy':
      case 'profile': {
        const p = c.kind === 'policy' ? c.policy : c.profile;
        if (!checkPolicy(c.kind, c.id, p, errors)) return false;
        const map = c.kind === 'policy' ? policies : profiles;
        const old = map.get(c.id);
        map.set(c.id, p);
        const key = c.kind === 'policy' ? policyKey(c.id) : profileKey(c.id);
        d.policies.add(key);
        d.removedPolicies.delete(key);
        if (!old || !!(old.untracked || old.preDnat) !== !!(p.untracked || p.preDnat)) d.endpoints = true;
        return true;
      }
      case 'policy-remove':
      case 'profile-remove': {
        const map = c.kind === 'policy-remove' ? policies : profiles;
        if (!map.delete(c.id)) return true;
        const key = c.kind === 'policy-remove' ? policyKey(c.id) : profileKey(c.id);
        d.policies.delete(key);
        d.removedPolicies.add(key);
        d.endpoints = true;
        for (const k of [...reported])
          if (k.startsWith(`${c.kind === 'policy-remove' ? 'policy' : 'profile'} ${c.id}|`)) reported.delete(k);
        return true;
      }
      case 'workload': {
        const ep = c.endpoint;
        const object = `workload ${c.id}`;
        const bad = ep.swIfIndexes.findIndex((s) => !Number.isInteger(s) || s < 0 || s > 0xfffffffe);
        if (bad >= 0) {
          errors.push(new PolicyModelError(object, `swIfIndexes[${bad}]`, 'not an interface index'));
          return false;
        }
        const badAddr = (ep.addresses ?? []).findIndex((a) => !parseMember('ip', a.replace(/\/(32|128)$/, '')));
        if (badAddr >= 0) {
          errors.push(
            new PolicyModelError(object, `addresses[${badAddr}]`, `"${ep.addresses![badAddr]}" is not an address`),
          );
          return false;
        }
        checkEndpoint(object, ep.tiers, ep.profiles, errors);
        workloads.set(c.id, ep);
        d.endpoints = true;
        return true;
      }
      case 'workload-remove':
        if (workloads.delete(c.id)) d.endpoints = true;
        return true;
      case 'host-endpoint': {
        const object = `host-endpoint ${c.id}`;
        checkEndpoint(object, [...c.endpoint.tiers, ...c.endpoint.forwardTiers], c.endpoint.profiles, errors);
        if (c.endpoint.untrackedTiers?.some((t) => t.ingress.length || t.egress.length))
          issue({
            code: 'unsupported-untracked',
            object,
            path: 'untrackedTiers',
            message: 'untracked tiers cannot be enforced by VPP; not applied',
          });
        if (c.endpoint.preDnatTiers?.some((t) => t.ingress.length || t.egress.length))
          issue({
            code: 'unsupported-pre-dnat',
            object,
            path: 'preDnatTiers',
            message: 'pre-DNAT tiers cannot be enforced by VPP; not applied',
          });
        hosts.set(c.id, c.endpoint);
        d.endpoints = true;
        return true;
      }
      case 'host-endpoint-remove':
        if (hosts.delete(c.id)) d.endpoints = true;
        return true;
      case 'host-config':
        host = c.config;
        builtins = builtinPolicies(host);
        for (const k of builtins.keys()) d.policies.add(k);
        return true;
    }
  }

  async function program(d: Dirty, signal?: AbortSignal): Promise<void> {
    const b = backend!;
    // the all-pods ipset follows the workloads
    if (d.endpoints) {
      const want = allPodMembers();
      const have = ipsets.get(BUILTIN.allPods)!;
      const added = [...want.values()].filter((m) => !have.members.has(m.text));
      const removed = [...have.members.values()].filter((m) => !want.has(m.text));
      if (added.length || removed.length) {
        have.members = want;
        d.sets.set(BUILTIN.allPods, d.sets.has(BUILTIN.allPods) ? undefined : { added, removed });
      }
    }
    // 1. ipsets (before the rules that use them); independent objects go to VPP pipelined
    await each([...d.sets], ([id, delta]) => b.ipsetUpsert(id, delta, signal));
    // 2. policies and profiles
    await each([...d.policies], (key) => b.policyUpsert(key, signal));
    // 3. interfaces
    if (d.endpoints) {
      const want = endpointConfigs();
      const changed: [number, string, string, InterfaceConfig][] = [];
      for (const [sw, { owner, cfg }] of want) {
        const json = JSON.stringify(cfg);
        if (interfaces.get(sw)?.cfg !== json) changed.push([sw, owner, json, cfg]);
      }
      await each(changed, async ([sw, owner, json, cfg]) => {
        await b.interfaceUpsert(cfg, signal);
        interfaces.set(sw, { owner, cfg: json });
      });
      for (const sw of [...interfaces.keys()])
        if (!want.has(sw)) {
          await b.interfaceRemove(sw, signal);
          interfaces.delete(sw);
        }
    }
    await b.flush(signal);
    // 4. removals, users first
    await each([...d.removedPolicies], (key) => b.policyRemove(key, signal));
    await each([...d.removedSets], (id) => b.ipsetRemove(id, signal));
    await b.flush(signal);
  }

  async function run(changes: Iterable<PolicyChange>, signal?: AbortSignal): Promise<ApplyResult> {
    if (!backend) throw new PolicyModelError('dataplane', 'start', 'start() must be called first');
    batchCalls = 0;
    const errors: PolicyError[] = [];
    const d = newDirty();
    let applied = 0;
    let skipped = 0;
    for (const c of changes) {
      const before = errors.length;
      const ok = stage(c, d, errors);
      if (ok) applied++;
      else skipped++;
      for (const e of errors.slice(before)) logger?.warn({ err: e, code: e.code }, e.message);
    }
    await program(d, signal);
    return { applied, skipped, errors, vppCalls: batchCalls };
  }

  function desiredChanges(s: PolicySnapshot): PolicyChange[] {
    const out: PolicyChange[] = [];
    if (s.host) out.push({ kind: 'host-config', config: s.host });
    for (const [id, set] of s.ipsets) out.push({ kind: 'ipset', id, set });
    for (const [id, profile] of s.profiles) out.push({ kind: 'profile', id, profile });
    for (const [id, policy] of s.policies) out.push({ kind: 'policy', id, policy });
    for (const [id, endpoint] of s.workloads) out.push({ kind: 'workload', id, endpoint });
    for (const [id, endpoint] of s.hostEndpoints) out.push({ kind: 'host-endpoint', id, endpoint });
    return out;
  }

  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

  Object.defineProperties(target, {
    backend: { get: () => backend?.kind, enumerable: true },
    adoption: { get: () => backend?.adoption, enumerable: true },
    stateWrites: { get: () => backend?.stateWrites ?? 0, enumerable: true },
    issues: { get: () => issues, enumerable: true },
    calls: { get: () => calls, enumerable: true },
  });
  const dp = Object.assign(target, {
    start(options: { signal?: AbortSignal } = {}) {
      return serial(async () => {
        const kind = init.backend && init.backend !== 'auto' ? init.backend : await detectBackend(vpp, options);
        backend =
          kind === 'acl'
            ? createAclBackend(ctx, init.aclTagPrefix ? { tagPrefix: init.aclTagPrefix } : {})
            : createNpolBackend(ctx, {
                statePath: init.npolStatePath === undefined ? DEFAULT_NPOL_STATE_PATH : init.npolStatePath,
                stateDelayMs: init.npolStateDelayMs ?? DEFAULT_NPOL_STATE_DELAY_MS,
              });
        logger?.info({ backend: kind }, 'policy backend selected');
        await backend.start(options.signal);
        ipsets.set(BUILTIN.allPods, { type: 'ip', members: new Map() });
        const d = newDirty();
        // an adopted all-pods set keeps its members until the workloads are known (no flap)
        d.sets.set(BUILTIN.allPods, backend.adopting ? { added: [], removed: [] } : undefined);
        // adopted built-ins stay as they are until the first sync brings the node's settings (Felix's
        // host metadata): compiling them now from init.host could narrow them for a moment
        for (const k of builtins.keys()) if (!backend.adopting || !backend.has(k)) d.policies.add(k);
        await program(d, options.signal);
      });
    },
    async stop() {
      await queue;
      await backend?.close?.();
    },
    apply(changes: Iterable<PolicyChange>, options: { signal?: AbortSignal } = {}) {
      const list = [...changes];
      return serial(async () => {
        const r = await run(list, options.signal);
        // after a restart the first batch is the whole state (the Kubernetes controller's first apply):
        // what the previous run programmed and this batch left unused goes now
        if (backend!.adopting && list.length) {
          const before = batchCalls;
          await backend!.finishResync(options.signal);
          return { ...r, vppCalls: r.vppCalls + batchCalls - before };
        }
        return r;
      });
    },
    replace(snapshot: PolicySnapshot, options: { signal?: AbortSignal } = {}) {
      return serial(async () => {
        const changes: PolicyChange[] = [];
        // removals of what the snapshot lacks (applied after the upserts by program())
        for (const id of workloads.keys())
          if (!snapshot.workloads.has(id)) changes.push({ kind: 'workload-remove', id });
        for (const id of hosts.keys())
          if (!snapshot.hostEndpoints.has(id)) changes.push({ kind: 'host-endpoint-remove', id });
        for (const id of policies.keys()) if (!snapshot.policies.has(id)) changes.push({ kind: 'policy-remove', id });
        for (const id of profiles.keys()) if (!snapshot.profiles.has(id)) changes.push({ kind: 'profile-remove', id });
        for (const id of rawIpsets.keys()) if (!snapshot.ipsets.has(id)) changes.push({ kind: 'ipset-remove', id });
        // upserts of what differs
        for (const c of desiredChanges(snapshot)) {
          if (c.kind === 'ipset' && same(rawIpsets.get(c.id), c.set)) continue;
          if (c.kind === 'policy' && same(policies.get(c.id), c.policy)) continue;
          if (c.kind === 'profile' && same(profiles.get(c.id), c.profile)) continue;
          if (c.kind === 'workload' && same(workloads.get(c.id), c.endpoint)) continue;
          if (c.kind === 'host-endpoint' && same(hosts.get(c.id), c.endpoint)) continue;
          if (c.kind === 'host-config' && same(host, c.config)) continue;
          changes.push(c);
        }
        // upserts first so that nothing in use disappears before its replacement exists
        const order = (c: PolicyChange) => (c.kind.endsWith('-remove') ? 1 : 0);
        changes.sort((a, b) => order(a) - order(b));
        const r = await run(changes, options.signal);
        await backend!.finishResync(options.signal);
        return r;
      });
    },
    resync(options: { signal?: AbortSignal } = {}) {
      return serial(async () => {
        backend!.forget();
        interfaces.clear();
        await backend!.start(options.signal);
        const d = newDirty();
        for (const id of ipsets.keys()) d.sets.set(id, undefined);
        for (const k of builtins.keys()) d.policies.add(k);
        for (const id of policies.keys()) d.policies.add(policyKey(id));
        for (const id of profiles.keys()) d.policies.add(profileKey(id));
        d.endpoints = true;
        batchCalls = 0;
        await program(d, options.signal);
        await backend!.finishResync(options.signal);
        return { applied: 0, skipped: 0, errors: [], vppCalls: batchCalls };
      });
    },
    clear(options: { signal?: AbortSignal } = {}) {
      return serial(async () => {
        const changes: PolicyChange[] = [
          ...[...workloads.keys()].map((id) => ({ kind: 'workload-remove' as const, id })),
          ...[...hosts.keys()].map((id) => ({ kind: 'host-endpoint-remove' as const, id })),
          ...[...policies.keys()].map((id) => ({ kind: 'policy-remove' as const, id })),
          ...[...profiles.keys()].map((id) => ({ kind: 'profile-remove' as const, id })),
          ...[...rawIpsets.keys()].map((id) => ({ kind: 'ipset-remove' as const, id })),
        ];
        const r = await run(changes, options.signal);
        const before = batchCalls;
        if (backend!.adopting) await backend!.finishResync(options.signal);
        await each([...builtins.keys()], (k) => backend!.policyRemove(k, options.signal));
        await backend!.ipsetRemove(BUILTIN.allPods, options.signal);
        await backend!.flush(options.signal);
        return { ...r, vppCalls: r.vppCalls + batchCalls - before };
      });
    },
    snapshot(): PolicySnapshot {
      const { [BUILTIN.allPods]: _, ...rest } = Object.fromEntries(rawIpsets);
      return {
        ipsets: new Map(Object.entries(rest)),
        policies: new Map(policies),
        profiles: new Map(profiles),
        workloads: new Map(workloads),
        hostEndpoints: new Map(hosts),
        host,
      };
    },
  }) as unknown as PolicyDataplane;
  return dp;
}
