/**
 * The npol backend: ipsets, rules and policies map 1:1 to npol objects; a changed policy updates its
 * rules in place (`npol_rule_update`), an ipset change sends member deltas, and each interface gets
 * `npol_configure_policies` (Calico ingress = VPP tx, egress = VPP rx; uplinks and tunnels invert).
 */
import { npol_policy_default, type npol_rule } from '@vectorplane/vpp-binapi';
import { NPOL_IPSET_TYPE, npolMember, npolRule } from '../compile-npol.js';
import { BUILTIN, type DefaultAction, type DirectionConfig } from '../endpoints.js';
import type { PolicyVppError } from '../errors.js';
import { ruleIpSetRefs, type IpSetMember, type IpSetType } from '../model.js';
import { type AdoptionReport, type BackendContext, type PolicyBackend, vppCaller } from './backend.js';
import { type LoadedNpolState, NpolStateStore, npolVppIdentity } from './npol-state.js';

/** Options of the npol backend. */
export interface NpolBackendInit {
  /** State file recording what is programmed (adopted after an agent restart); null: none. */
  readonly statePath: string | null;
  /** Delay before the state file is written after a change (changes in it are coalesced). */
  readonly stateDelayMs: number;
}

/** VNET_API_ERROR_NO_SUCH_ENTRY: the object is not (or no longer) in VPP. */
const NO_SUCH_ENTRY = -6;
const gone = (e: unknown) =>
  (e as PolicyVppError).name === 'PolicyVppError' && (e as PolicyVppError).retval === NO_SUCH_ENTRY;

interface ProgrammedSet {
  setId: number;
  type: number;
  modelType: IpSetType;
  members: Map<string, IpSetMember>;
  /** This set's entry in the state file, kept until the set changes. */
  frag?: string | undefined;
  /** Taken over from the state file and not yet synced with the desired state. */
  adopted?: boolean;
}
interface ProgrammedRule {
  id: number;
  json: string;
  /** Set for one batch when the rule was updated in place (its id kept). */
  inPlace?: boolean;
}
interface ProgrammedPolicy {
  policyId: number;
  rules: ProgrammedRule[];
  items: string;
  inbound: boolean[];
  adopted?: boolean;
  /** This policy's entry in the state file, kept until the policy changes. */
  frag?: string | undefined;
}

/** An npol rule shared by content: its id (once VPP answered) and how many policy positions use it. */
interface RuleEntry {
  id: Promise<number>;
  rid?: number;
  refs: number;
}
const ruleEntry = (id: Promise<number> | number): RuleEntry => {
  if (typeof id === 'number') return { id: Promise.resolve(id), rid: id, refs: 1 };
  const e: RuleEntry = { id, refs: 1 };
  id.then(
    (n) => (e.rid = n),
    () => undefined,
  );
  return e;
};

const DEFAULT: Record<DefaultAction, number> = {
  allow: npol_policy_default.NPOL_DEFAULT_ALLOW,
  deny: npol_policy_default.NPOL_DEFAULT_DENY,
  pass: npol_policy_default.NPOL_DEFAULT_PASS,
};

/** Flattens a direction's tiers into one npol policy list (a tier-end deny between tiers that deny). */
export function npolPolicyList(d: DirectionConfig): { keys: string[]; policyDefault: DefaultAction } {
  const keys: string[] = [];
  d.tiers.forEach((t, i) => {
    keys.push(...t.policies);
    if (i < d.tiers.length - 1 && t.defaultAction === 'deny') keys.push(BUILTIN.tierEndDeny);
  });
  const last = d.tiers[d.tiers.length - 1];
  const policyDefault = last ? (last.defaultAction === 'pass' ? 'pass' : d.policyDefault) : d.policyDefault;
  return { keys, policyDefault };
}

const NONE: AdoptionReport = { outcome: 'disabled', ipsets: 0, rules: 0, policies: 0, interfaces: 0 };

export function createNpolBackend(
  ctx: BackendContext,
  init: NpolBackendInit = { statePath: null, stateDelayMs: 0 },
): PolicyBackend {
  const raw = vppCaller(ctx);
  const sets = new Map<string, ProgrammedSet>();
  const policies = new Map<string, ProgrammedPolicy>();
  const interfaces = new Map<number, string>();
  /** What VPP called each configured interface (name, tag, MAC), filled in lazily at each write. */
  const interfaceNames = new Map<number, string>();
  /** npol rules by content, shared by every policy that has the same rule. */
  const rules = new Map<string, RuleEntry>();
  /** Adopted interfaces not yet confirmed by the programmer; rules of the file no policy uses. */
  const adoptedInterfaces = new Set<number>();
  let orphanRules = new Map<number, string>();
  /** Policies to compile again because an ipset they use got a new id. */
  const refresh = new Set<string>();
  let adopting = false;
  let adoption: AdoptionReport = NONE;
  /** After forget() (VPP restarted): the next start() must not adopt. */
  let vppRestarted = false;

  const store =
    init.statePath === null
      ? undefined
      : new NpolStateStore({
          path: init.statePath,
          delayMs: init.stateDelayMs,
          logger: ctx.logger,
          quiesce: ctx.quiesce ? (fn) => ctx.quiesce!(fn) : async (fn) => fn(),
          prepare,
          snapshot,
        });

  /** Every npol request that changes VPP goes through here (the state file learns it is behind). */
  const call: typeof raw = (name, req, object, signal) => {
    store?.touch();
    return raw(name, req, object, signal);
  };
  /** A delete of an object that is already gone is done. */
  const remove = async (...args: Parameters<typeof raw>) => {
    try {
      await call(...args);
    } catch (e) {
      if (!gone(e)) throw e;
      ctx.logger?.debug({ object: args[2], message: args[0] }, 'npol object already gone');
    }
  };

  const fingerprint = (d: { interface_name: string; tag: string; l2_address: string }) =>
    `${d.interface_name}|${d.tag}|${d.l2_address}`;
  /** Fingerprints of every interface (`sw_if_index` ~0), or of the few asked for. */
  async function names(signal?: AbortSignal, only?: number[]): Promise<Map<number, string>> {
    const m = new Map<number, string>();
    for (const sw_if_index of only ?? [0xffffffff])
      for await (const d of ctx.vpp.dump(
        'sw_interface_dump',
        { sw_if_index, name_filter_valid: false, name_filter: '' },
        signal ? { signal } : {},
      ))
        m.set(d.sw_if_index, fingerprint(d));
    return m;
  }

  /** Learns the names of configured interfaces that have none yet (a dump of those, or of all when many). */
  async function prepare() {
    const missing = [...interfaces.keys()].filter((sw) => !interfaceNames.has(sw));
    if (!missing.length) return;
    try {
      const now = await names(undefined, missing.length <= 16 ? missing : undefined);
      for (const sw of interfaces.keys()) {
        const n = now.get(sw);
        if (n !== undefined && !interfaceNames.has(sw)) interfaceNames.set(sw, n);
      }
    } catch (e) {
      ctx.logger?.debug({ err: e }, 'npol state: sw_interface_dump failed; interface names not recorded');
    }
  }

  /**
   * The state file's body (everything but the header), from per-object pieces kept until the object
   * changes: a write after a small change costs a join, not a serialisation of every policy. Rule
   * contents and interface requests are JSON already and go in as they are.
   */
  function snapshot(): string {
    const q = JSON.stringify;
    const setParts: string[] = [];
    for (const [name, s] of sets)
      setParts.push(
        (s.frag ??= `${q(name)}:${q({ setId: s.setId, type: s.modelType, members: [...s.members.keys()] })}`),
      );
    const policyParts: string[] = [];
    for (const [key, p] of policies)
      policyParts.push(
        (p.frag ??= `${q(key)}:${q({ policyId: p.policyId, rules: p.rules.map((r) => r.id), inbound: p.inbound })}`),
      );
    const ruleParts: string[] = [];
    for (const [json, e] of rules) if (e.rid !== undefined) ruleParts.push(`[${e.rid},${json}]`);
    for (const [id, json] of orphanRules) ruleParts.push(`[${id},${json}]`);
    const itfParts: string[] = [];
    const nameParts: string[] = [];
    for (const [sw, json] of interfaces) {
      itfParts.push(`"${sw}":${json}`);
      const n = interfaceNames.get(sw);
      if (n !== undefined) nameParts.push(`"${sw}":${q(n)}`);
    }
    return (
      `"ipsets":{${setParts.join(',')}},"rules":[${ruleParts.join(',')}],"policies":{${policyParts.join(',')}},` +
      `"interfaces":{${itfParts.join(',')}},"interfaceNames":{${nameParts.join(',')}}`
    );
  }

  /** Takes over what the state file says this VPP holds. */
  async function adopt(st: LoadedNpolState, signal?: AbortSignal) {
    for (const [name, s] of st.ipsets)
      sets.set(name, {
        setId: s.setId,
        type: NPOL_IPSET_TYPE[s.type],
        modelType: s.type,
        members: s.members,
        adopted: true,
      });
    const used = new Set<number>();
    for (const [key, p] of st.policies) {
      const list = p.rules.map((id) => ({ id, json: st.rules.get(id)! }));
      for (const r of list) {
        used.add(r.id);
        const e = rules.get(r.json);
        if (e) e.refs++;
        else rules.set(r.json, ruleEntry(r.id));
      }
      policies.set(key, {
        policyId: p.policyId,
        rules: list,
        items: JSON.stringify(p.rules.map((id, i) => ({ is_inbound: p.inbound[i], rule_id: id }))),
        inbound: p.inbound,
        adopted: true,
      });
    }
    orphanRules = new Map([...st.rules].filter(([id]) => !used.has(id)));
    // an interface deleted while the agent was away lost its npol configuration with it (npol's
    // interface add/del callback); its index may belong to a new interface now
    let now: Map<number, string> | undefined;
    try {
      now = await names(signal);
    } catch (e) {
      ctx.logger?.warn({ err: e }, 'npol state: sw_interface_dump failed; adopted interfaces are not checked');
    }
    for (const [sw, json] of st.interfaces) {
      const was = st.interfaceNames.get(sw);
      if (now && (!now.has(sw) || (was !== undefined && now.get(sw) !== was))) continue;
      interfaces.set(sw, json);
      if (now?.has(sw)) interfaceNames.set(sw, now.get(sw)!);
      adoptedInterfaces.add(sw);
    }
  }

  async function release(r: { id: number; json: string }, key: string, signal?: AbortSignal) {
    const e = rules.get(r.json);
    if (!e || (await e.id) !== r.id) return;
    if (--e.refs > 0) return;
    rules.delete(r.json);
    await remove('npol_rule_delete', { rule_id: r.id }, `${key} rule`, signal);
  }

  /** Keys of programmed policies whose rules use ipset `id`. */
  function usersOf(id: string): string[] {
    const out: string[] = [];
    for (const key of policies.keys()) {
      const p = ctx.policy(key);
      if (p && [...p.inbound, ...p.outbound].some((r) => ruleIpSetRefs(r).some((x) => x.id === id))) out.push(key);
    }
    return out;
  }

  async function members(s: ProgrammedSet, id: string, add: IpSetMember[], isAdd: boolean, signal?: AbortSignal) {
    const CHUNK = 1000;
    for (let i = 0; i < add.length; i += CHUNK) {
      const part = add.slice(i, i + CHUNK);
      await call(
        'npol_ipset_add_del_members',
        { set_id: s.setId, is_add: isAdd, members: part.map(npolMember) },
        `ipset ${id}`,
        signal,
      );
    }
  }

  return {
    kind: 'npol',
    get adopting() {
      return adopting;
    },
    get adoption() {
      return adoption;
    },
    get stateWrites() {
      return store?.writes ?? 0;
    },
    async start(signal) {
      // npol has no dumps: what a previous run programmed is known only from the state file
      const zero = { ipsets: 0, rules: 0, policies: 0, interfaces: 0 };
      if (!store) {
        adoption = NONE;
        return;
      }
      const identity = await npolVppIdentity(ctx.vpp, ctx.logger, signal);
      if (vppRestarted) {
        vppRestarted = false;
        store.setIdentity(identity);
        adoption = { outcome: 'fresh', reason: 'vpp-restart', detail: 'VPP restarted empty', ...zero };
        return;
      }
      const r = await store.load(identity);
      if ('rejected' in r) {
        adoption = { outcome: 'fresh', reason: r.rejected, detail: r.detail, ...zero };
        ctx.logger?.warn(
          { reason: r.rejected, ...(r.error ? { err: r.error, code: r.error.code } : {}) },
          `npol state not adopted (${r.rejected}): ${r.detail}; programming npol from scratch`,
        );
        return;
      }
      await adopt(r.state, signal);
      adopting = true;
      adoption = {
        outcome: 'adopted',
        ipsets: sets.size,
        rules: rules.size,
        policies: policies.size,
        interfaces: interfaces.size,
      };
      ctx.logger?.info({ ...adoption }, 'npol state adopted: the first sync sends only the difference');
    },
    async ipsetUpsert(id, delta, signal) {
      const want = ctx.ipset(id);
      if (!want) return;
      const type = NPOL_IPSET_TYPE[want.type];
      let s = sets.get(id);
      // an adopted set is settled by its first full sync; a delta (relative to the programmer's new view,
      // not to what VPP holds) only adds and removes, and the set stays to be settled by finishResync()
      if (s?.adopted && !delta) s.adopted = false;
      if (s && s.type !== type) {
        await this.ipsetRemove(id, signal);
        s = undefined;
      }
      const create = async () => {
        const r = await call('npol_ipset_create', { type }, `ipset ${id}`, signal);
        const c: ProgrammedSet = { setId: r.set_id, type, modelType: want.type, members: new Map() };
        sets.set(id, c);
        return c;
      };
      if (!s) {
        s = await create();
        delta = undefined;
      }
      const sync = async (s: ProgrammedSet, delta: { added: IpSetMember[]; removed: IpSetMember[] } | undefined) => {
        let added: IpSetMember[];
        let removed: IpSetMember[];
        if (delta) {
          added = delta.added.filter((m) => !s.members.has(m.text));
          removed = delta.removed.filter((m) => s.members.has(m.text));
        } else {
          added = [...want.members.values()].filter((m) => !s.members.has(m.text));
          removed = [...s.members.values()].filter((m) => !want.members.has(m.text));
        }
        if (removed.length) await members(s, id, removed, false, signal);
        for (const m of removed) s.members.delete(m.text);
        if (added.length) await members(s, id, added, true, signal);
        for (const m of added) s.members.set(m.text, m);
        if (added.length || removed.length) s.frag = undefined;
      };
      try {
        await sync(s, delta);
      } catch (e) {
        if (!gone(e)) throw e;
        // the set was deleted behind our back (or the state file was wrong about it): create it again;
        // the rules that use it are compiled again with its new id at flush()
        ctx.logger?.warn({ ipset: id, setId: s.setId }, 'npol ipset is gone from VPP; creating it again');
        sets.delete(id);
        await sync(await create(), undefined);
        for (const k of usersOf(id)) refresh.add(k);
      }
    },
    async ipsetRemove(id, signal) {
      const s = sets.get(id);
      if (!s) return;
      sets.delete(id);
      await remove('npol_ipset_delete', { set_id: s.setId }, `ipset ${id}`, signal);
    },
    async policyUpsert(key, signal) {
      const p = ctx.policy(key);
      if (!p) return;
      const compiled: { rule: npol_rule; inbound: boolean }[] = [];
      const add = (rules: typeof p.inbound, calicoIngress: boolean) =>
        rules.forEach((r, i) => {
          const rule = npolRule(r, {
            object: key,
            path: `${calicoIngress ? 'inbound' : 'outbound'}[${i}]`,
            setId: (id) => sets.get(id)?.setId,
            issue: ctx.issue,
          });
          // Calico ingress = to the pod = VPP tx: npol's is_inbound is VPP rx, so Calico's view is reversed
          if (rule) compiled.push({ rule, inbound: !calicoIngress });
        });
      add(p.inbound, true);
      add(p.outbound, false);
      let prog = policies.get(key);
      if (prog) prog.adopted = false;
      const old = prog?.rules ?? [];
      // rules are shared by content between policies (refcounted); a rule only this policy uses is
      // updated in place when it changes
      const next: ProgrammedRule[] = await Promise.all(
        compiled.map(async (c, i): Promise<ProgrammedRule> => {
          const json = JSON.stringify(c.rule);
          const o = old[i];
          if (o && o.json === json) return o;
          const shared = rules.get(json);
          if (shared) {
            shared.refs++;
            return { id: await shared.id, json };
          }
          const own = o ? rules.get(o.json) : undefined;
          if (o && own && own.refs === 1) {
            // only this policy uses the old rule: update it in place and re-key it
            rules.delete(o.json);
            rules.set(json, ruleEntry(o.id));
            await call('npol_rule_update', { rule_id: o.id, rule: c.rule }, `${key} rule ${i}`, signal);
            return { id: o.id, json, inPlace: true };
          }
          const entry = ruleEntry(
            call('npol_rule_create', { rule: c.rule }, `${key} rule ${i}`, signal).then((r) => r.rule_id),
          );
          rules.set(json, entry);
          try {
            return { id: await entry.id, json };
          } catch (e) {
            rules.delete(json);
            throw e;
          }
        }),
      );
      const items = compiled.map((c, i) => ({ is_inbound: c.inbound, rule_id: next[i]!.id }));
      const itemsJson = JSON.stringify(items);
      if (!prog) {
        const r = await call('npol_policy_create', { rules: items }, key, signal);
        prog = { policyId: r.policy_id, rules: next, items: itemsJson, inbound: compiled.map((c) => c.inbound) };
        policies.set(key, prog);
      } else if (prog.items !== itemsJson) {
        await call('npol_policy_update', { policy_id: prog.policyId, rules: items }, key, signal);
      }
      // release the old rules this policy no longer holds (after the policy stopped pointing at them)
      for (let i = 0; i < old.length; i++) {
        const n = next[i];
        if (n && (n === old[i] || n.inPlace)) continue;
        await release(old[i]!, key, signal);
      }
      prog.rules = next.map(({ id, json }) => ({ id, json }));
      prog.items = itemsJson;
      prog.inbound = compiled.map((c) => c.inbound);
      prog.frag = undefined;
    },
    async policyRemove(key, signal) {
      const prog = policies.get(key);
      if (!prog) return;
      policies.delete(key);
      await remove('npol_policy_delete', { policy_id: prog.policyId }, key, signal);
      for (const r of prog.rules) await release(r, key, signal);
    },
    async interfaceUpsert(cfg, signal) {
      const ids = (keys: string[]) =>
        keys.map((k) => policies.get(k)?.policyId).filter((x): x is number => x !== undefined);
      // VPP rx = traffic from the interface = Calico egress; on uplinks and tunnels VPP itself swaps
      // them (invert_rx_tx), as Calico/VPP configures them: the lists are never swapped here
      const rxDir = cfg.egress;
      const txDir = cfg.ingress;
      const rx = npolPolicyList(rxDir);
      const tx = npolPolicyList(txDir);
      for (const [d, calicoDir] of [
        [cfg.ingress, 'ingress'],
        [cfg.egress, 'egress'],
      ] as const)
        d.tiers.slice(0, -1).forEach((t, ti) => {
          const passes = t.policies.some((k) =>
            (calicoDir === 'ingress' ? ctx.policy(k)?.inbound : ctx.policy(k)?.outbound)?.some(
              (r) => r.action === 'pass',
            ),
          );
          if (passes)
            ctx.issue({
              code: 'npol-pass-skips-tiers',
              object: `interface ${cfg.swIfIndex}`,
              path: `${calicoDir}.tiers[${ti}]`,
              message: `npol's pass goes straight to the profiles: tiers after "${t.name}" are skipped for passed traffic (use the acl backend for tiered pass)`,
            });
        });
      const rxIds = ids(rx.keys);
      const txIds = ids(tx.keys);
      const profIds = ids([...cfg.profiles]);
      const req = {
        sw_if_index: cfg.swIfIndex,
        num_rx_policies: rxIds.length,
        num_tx_policies: txIds.length,
        invert_rx_tx: cfg.invert ? 1 : 0,
        policy_default_rx: DEFAULT[rx.policyDefault],
        policy_default_tx: DEFAULT[tx.policyDefault],
        profile_default_rx: DEFAULT[rxDir.profileDefault],
        profile_default_tx: DEFAULT[txDir.profileDefault],
        policy_ids: [...rxIds, ...txIds, ...profIds],
      };
      const json = JSON.stringify(req);
      adoptedInterfaces.delete(cfg.swIfIndex);
      if (interfaces.get(cfg.swIfIndex) === json) return;
      await call('npol_configure_policies', req, `interface ${cfg.swIfIndex}`, signal);
      if (!interfaces.has(cfg.swIfIndex)) interfaceNames.delete(cfg.swIfIndex);
      interfaces.set(cfg.swIfIndex, json);
    },
    async interfaceRemove(sw, signal) {
      if (!interfaces.has(sw)) return;
      interfaces.delete(sw);
      interfaceNames.delete(sw);
      const allow = npol_policy_default.NPOL_DEFAULT_ALLOW;
      await call(
        'npol_configure_policies',
        {
          sw_if_index: sw,
          num_rx_policies: 0,
          num_tx_policies: 0,
          invert_rx_tx: 0,
          policy_default_rx: allow,
          policy_default_tx: allow,
          profile_default_rx: allow,
          profile_default_tx: allow,
          policy_ids: [],
        },
        `interface ${sw}`,
        signal,
      );
    },
    async flush(signal) {
      for (const k of [...refresh]) {
        refresh.delete(k);
        if (policies.has(k) && ctx.policy(k)) await this.policyUpsert(k, signal);
      }
    },
    async finishResync(signal) {
      if (!adopting) return;
      adopting = false;
      // adopted objects still wanted but not part of the first sync (built-ins): settle them now
      for (const [id, s] of [...sets]) if (s.adopted && ctx.ipset(id)) await this.ipsetUpsert(id, undefined, signal);
      for (const [key, p] of [...policies]) if (p.adopted && ctx.policy(key)) await this.policyUpsert(key, signal);
      await this.flush(signal);
      // the rest of the previous run's objects: users first
      for (const sw of [...adoptedInterfaces]) {
        adoptedInterfaces.delete(sw);
        try {
          await this.interfaceRemove(sw, signal);
        } catch (e) {
          // the interface may be gone (VPP unconfigured it then)
          ctx.logger?.debug({ err: e, swIfIndex: sw }, 'npol: unconfiguring an adopted interface failed');
        }
      }
      for (const [key, p] of [...policies]) if (p.adopted) await this.policyRemove(key, signal);
      for (const id of [...orphanRules.keys()]) {
        await remove('npol_rule_delete', { rule_id: id }, 'orphan rule', signal);
        orphanRules.delete(id);
      }
      // adopted sets nobody wants: the policies still naming one (a dangling reference) stop using it first
      const doomed = [...sets].filter(([, s]) => s.adopted);
      for (const [id] of doomed) {
        sets.delete(id);
        for (const k of usersOf(id)) refresh.add(k);
      }
      await this.flush(signal);
      for (const [id, s] of doomed) await remove('npol_ipset_delete', { set_id: s.setId }, `ipset ${id}`, signal);
    },
    forget() {
      rules.clear();
      sets.clear();
      policies.clear();
      interfaces.clear();
      interfaceNames.clear();
      adoptedInterfaces.clear();
      refresh.clear();
      orphanRules.clear();
      adopting = false;
      vppRestarted = true;
    },
    async close() {
      await store?.close();
    },
    has(key) {
      return policies.has(key);
    },
  };
}
