/**
 * The npol backend: ipsets, rules and policies map 1:1 to npol objects; a changed policy updates its
 * rules in place (`npol_rule_update`), an ipset change sends member deltas, and each interface gets
 * `npol_configure_policies` (Calico ingress = VPP tx, egress = VPP rx; uplinks and tunnels invert).
 */
import { npol_policy_default, type npol_rule } from '@vectorplane/vpp-binapi';
import { NPOL_IPSET_TYPE, npolMember, npolRule } from '../compile-npol.js';
import { BUILTIN, type DefaultAction, type DirectionConfig } from '../endpoints.js';
import type { IpSetMember } from '../model.js';
import { type BackendContext, type PolicyBackend, vppCaller } from './backend.js';

interface ProgrammedSet {
  setId: number;
  type: number;
  members: Map<string, IpSetMember>;
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
}

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

export function createNpolBackend(ctx: BackendContext): PolicyBackend {
  const call = vppCaller(ctx);
  const sets = new Map<string, ProgrammedSet>();
  const policies = new Map<string, ProgrammedPolicy>();
  const interfaces = new Map<number, string>();
  /** npol rules by content, shared by every policy that has the same rule. */
  const rules = new Map<string, { id: Promise<number>; refs: number }>();

  async function release(r: { id: number; json: string }, key: string, signal?: AbortSignal) {
    const e = rules.get(r.json);
    if (!e || (await e.id) !== r.id) return;
    if (--e.refs > 0) return;
    rules.delete(r.json);
    await call('npol_rule_delete', { rule_id: r.id }, `${key} rule`, signal);
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
    async start() {
      // npol has no dumps: after an agent restart the previous objects cannot be found; VPP restarts clear them.
    },
    async ipsetUpsert(id, delta, signal) {
      const want = ctx.ipset(id);
      if (!want) return;
      const type = NPOL_IPSET_TYPE[want.type];
      let s = sets.get(id);
      if (s && s.type !== type) {
        await this.ipsetRemove(id, signal);
        s = undefined;
      }
      if (!s) {
        const r = await call('npol_ipset_create', { type }, `ipset ${id}`, signal);
        s = { setId: r.set_id, type, members: new Map() };
        sets.set(id, s);
        delta = undefined;
      }
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
    },
    async ipsetRemove(id, signal) {
      const s = sets.get(id);
      if (!s) return;
      sets.delete(id);
      await call('npol_ipset_delete', { set_id: s.setId }, `ipset ${id}`, signal);
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
            rules.set(json, { id: Promise.resolve(o.id), refs: 1 });
            await call('npol_rule_update', { rule_id: o.id, rule: c.rule }, `${key} rule ${i}`, signal);
            return { id: o.id, json, inPlace: true };
          }
          const entry = {
            id: call('npol_rule_create', { rule: c.rule }, `${key} rule ${i}`, signal).then((r) => r.rule_id),
            refs: 1,
          };
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
    },
    async policyRemove(key, signal) {
      const prog = policies.get(key);
      if (!prog) return;
      policies.delete(key);
      await call('npol_policy_delete', { policy_id: prog.policyId }, key, signal);
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
      if (interfaces.get(cfg.swIfIndex) === json) return;
      await call('npol_configure_policies', req, `interface ${cfg.swIfIndex}`, signal);
      interfaces.set(cfg.swIfIndex, json);
    },
    async interfaceRemove(sw, signal) {
      if (!interfaces.has(sw)) return;
      interfaces.delete(sw);
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
    async flush() {},
    async finishResync() {},
    forget() {
      rules.clear();
      sets.clear();
      policies.clear();
      interfaces.clear();
    },
    has(key) {
      return policies.has(key);
    },
  };
}
