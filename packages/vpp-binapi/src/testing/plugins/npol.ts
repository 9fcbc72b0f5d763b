/**
 * VPP's npol plugin (src/plugins/npol: npol_api.c, npol_match.c, npol_interface.c): ipsets, rules,
 * policies and their binding to interfaces. In VPP 26.06 npol has no datapath (`npol_match_func` is
 * called only by the `npol match` CLI), so bindings filter nothing there; {@link evaluateNpol} is the
 * decision `npol_match_func` would make, for VPP builds whose npol enforces.
 */
import { VNET_API_ERROR } from '../constants.js';
import { IndexPool } from '../pool.js';
import type { FakeNpolInterfaceConfig, FakeNpolState } from '../state.js';
import { type FakePlugin, type Msg, arr, bool, num, obj, str } from './context.js';
import { type FakePacket, type FiveTuple, IP_PROTO_ICMP, IP_PROTO_ICMP6, fiveTuple, inPrefix } from './packet.js';
import { parseAddress } from '../ip.js';

/** `npol_rule_action`. */
export const NPOL_ALLOW = 0;
export const NPOL_DENY = 1;
export const NPOL_LOG = 2;
export const NPOL_PASS = 3;
/** `npol_policy_default`. */
export const NPOL_DEFAULT_ALLOW = 0;
export const NPOL_DEFAULT_DENY = 1;
export const NPOL_DEFAULT_PASS = 2;
/** `npol_entry_type`. */
const NPOL_CIDR = 0;
const NPOL_PORT_RANGE = 1;
const NPOL_PORT_IP_SET = 2;
const NPOL_IP_SET = 3;
/** `npol_rule_filter_type`. */
const FILTER_ICMP_TYPE = 1;
const FILTER_ICMP_CODE = 2;
const FILTER_L4_PROTO = 3;
/** `npol_ipset_type`. */
const IPSET_IP = 0;
const IPSET_IP_AND_PORT = 1;
const IPSET_NET = 2;

/** What {@link evaluateNpol} decided. */
export interface FakeNpolEvaluation {
  readonly allowed: boolean;
  /** False when the interface has no npol configuration (npol_match_func returns 0: allow). */
  readonly matched: boolean;
  /** Where the decision came from. */
  readonly reason: 'no-config' | 'policy' | 'policy-default' | 'profile' | 'profile-default';
  readonly policy_id?: number;
  readonly rule_id?: number;
}

function ipsetContains(state: FakeNpolState, setId: number, t: FiveTuple, addr: bigint, port: number): boolean {
  const set = state.ipsets.get(setId);
  if (!set) return false;
  for (const raw of set.members) {
    const val = obj(raw as Msg, 'val');
    if (set.type === IPSET_IP) {
      const a = str(val, 'address');
      if (a && a.includes(':') === t.isIp6 && parseAddress(a).value === addr) return true;
    } else if (set.type === IPSET_NET) {
      if (inPrefix(t, addr, str(val, 'prefix'))) return true;
    } else if (set.type === IPSET_IP_AND_PORT) {
      const tu = obj(val, 'tuple');
      const a = str(tu, 'address');
      if (
        a &&
        a.includes(':') === t.isIp6 &&
        parseAddress(a).value === addr &&
        num(tu, 'l4_proto') === t.proto &&
        num(tu, 'port') === port
      )
        return true;
    }
  }
  return false;
}

/** `npol_match_rule`: the rule's action when it matches, else a negative number (which check failed). */
function matchRule(state: FakeNpolState, rule: Msg, t: FiveTuple): number {
  const icmp = t.proto === IP_PROTO_ICMP || t.proto === IP_PROTO_ICMP6;
  for (const f of arr(rule, 'filters')) {
    const type = num(f, 'type');
    const should = num(f, 'should_match') !== 0;
    const value = num(f, 'value');
    if (type === FILTER_L4_PROTO) {
      if (should !== (value === t.proto)) return -1;
    } else if (type === FILTER_ICMP_TYPE || type === FILTER_ICMP_CODE) {
      if (!icmp) return -5;
      const v = type === FILTER_ICMP_TYPE ? t.p0 : t.p1;
      if (should !== (value === v)) return -3;
    }
  }
  const entries = arr(rule, 'matches').slice(0, num(rule, 'num_entries'));
  const group = (type: number, isSrc: boolean, isNot: boolean): Msg[] =>
    entries.filter((e) => num(e, 'type') === type && bool(e, 'is_src') === isSrc && bool(e, 'is_not') === isNot);
  const data = (e: Msg): Msg => obj(e, 'data');
  const setId = (e: Msg): number => num(obj(data(e), 'set_id'), 'set_id');
  for (const isSrc of [true, false]) {
    const addr = isSrc ? t.src : t.dst;
    const cidrs = group(NPOL_CIDR, isSrc, false);
    if (cidrs.length && !cidrs.some((e) => inPrefix(t, addr, str(data(e), 'cidr')))) return -9;
    if (group(NPOL_CIDR, isSrc, true).some((e) => inPrefix(t, addr, str(data(e), 'cidr')))) return -10;
  }
  for (const isSrc of [true, false]) {
    const addr = isSrc ? t.src : t.dst;
    const sets = group(NPOL_IP_SET, isSrc, false);
    if (sets.length && !sets.some((e) => ipsetContains(state, setId(e), t, addr, 0))) return -15;
    if (group(NPOL_IP_SET, isSrc, true).some((e) => ipsetContains(state, setId(e), t, addr, 0))) return -16;
  }
  // ports must be in a port range or in an ip+port set of the same side
  for (const isSrc of [true, false]) {
    const addr = isSrc ? t.src : t.dst;
    const port = isSrc ? t.p0 : t.p1;
    const inRange = (e: Msg): boolean => {
      const r = obj(data(e), 'port_range');
      return num(r, 'start') <= port && port <= num(r, 'end');
    };
    const ranges = group(NPOL_PORT_RANGE, isSrc, false);
    const ipports = group(NPOL_PORT_IP_SET, isSrc, false);
    if (group(NPOL_PORT_RANGE, isSrc, true).some(inRange)) return -21;
    if (group(NPOL_PORT_IP_SET, isSrc, true).some((e) => ipsetContains(state, setId(e), t, addr, port))) return -23;
    if (
      (ranges.length || ipports.length) &&
      !ranges.some(inRange) &&
      !ipports.some((e) => ipsetContains(state, setId(e), t, addr, port))
    )
      return -27;
  }
  return num(rule, 'action');
}

/** `npol_match_policy`: the first rule of the direction that matches decides; -1 when none does. */
function matchPolicy(
  state: FakeNpolState,
  policyId: number,
  inbound: boolean,
  t: FiveTuple,
): { r: number; rule_id?: number } {
  for (const item of state.policies.get(policyId) ?? []) {
    if (item.is_inbound !== inbound) continue;
    const rule = state.rules.get(item.rule_id);
    if (!rule) continue;
    const r = matchRule(state, rule as Msg, t);
    if (r >= 0) return { r, rule_id: item.rule_id };
  }
  return { r: -1 };
}

/**
 * `npol_match_func` (npol_match.c) for `packet`: policies of the direction in order (ALLOW/DENY decide,
 * PASS jumps to the profiles, LOG goes on), then the policy default, then the profiles and the profile
 * default. `direction: 'input'` is RX (is_inbound); `invert_rx_tx` swaps the lists.
 * @throws RangeError when the packet's addresses do not parse.
 */
export function evaluateNpol(state: FakeNpolState, packet: FakePacket): FakeNpolEvaluation {
  const conf: FakeNpolInterfaceConfig | undefined = state.interfaces.get(packet.sw_if_index);
  if (!conf) return { allowed: true, matched: false, reason: 'no-config' };
  const t = fiveTuple(packet);
  const rx = (packet.direction === 'input') !== Boolean(conf.invert_rx_tx);
  const policies = rx ? conf.rxPolicies : conf.txPolicies;
  const policyDefault = rx ? conf.policy_default_rx : conf.policy_default_tx;
  const profileDefault = rx ? conf.profile_default_rx : conf.profile_default_tx;
  let toProfiles = false;
  for (const id of policies) {
    const { r, rule_id } = matchPolicy(state, id, rx, t);
    if (r === NPOL_ALLOW || r === NPOL_DENY) {
      return {
        allowed: r === NPOL_ALLOW,
        matched: true,
        reason: 'policy',
        policy_id: id,
        ...(rule_id !== undefined && { rule_id }),
      };
    }
    if (r === NPOL_PASS) {
      toProfiles = true;
      break;
    }
  }
  if (!toProfiles) {
    if (policyDefault === NPOL_DEFAULT_ALLOW) return { allowed: true, matched: true, reason: 'policy-default' };
    if (policyDefault === NPOL_DEFAULT_DENY) return { allowed: false, matched: true, reason: 'policy-default' };
  }
  for (const id of conf.profiles) {
    const { r, rule_id } = matchPolicy(state, id, rx, t);
    const base = {
      matched: true,
      reason: 'profile' as const,
      policy_id: id,
      ...(rule_id !== undefined && { rule_id }),
    };
    if (r === NPOL_ALLOW) return { allowed: true, ...base };
    // DENY denies; PASS in a profile is an error VPP logs and returns 1 with the action unset (deny)
    if (r === NPOL_DENY || r === NPOL_PASS) return { allowed: false, ...base };
  }
  // NPOL_DEFAULT_PASS here is logged as an error, the action left at deny
  return { allowed: profileDefault === NPOL_DEFAULT_ALLOW, matched: true, reason: 'profile-default' };
}

function policyItems(m: Msg): { is_inbound: boolean; rule_id: number }[] {
  return arr(m, 'rules').map((r) => ({ is_inbound: bool(r, 'is_inbound'), rule_id: num(r, 'rule_id') }));
}

export const npolPlugin: FakePlugin = {
  name: 'npol',
  source: 'src/plugins/npol/npol_api.c',
  handlers: {
    // CALICO_POLICY_VERSION_MAJOR / _MINOR (npol_api.c)
    npol_get_version: (ctx) => ctx.reply({ retval: 0, major: 0, minor: 0 }),
    npol_ipset_create: (ctx, m) => ctx.reply({ retval: 0, set_id: ctx.state.npolIpsetCreate(num(m, 'type')) }),
    npol_ipset_add_del_members: (ctx, m) =>
      ctx.reply({ retval: ctx.state.npolIpsetMembers(num(m, 'set_id'), bool(m, 'is_add'), arr(m, 'members')) }),
    npol_ipset_delete: (ctx, m) => ctx.reply({ retval: ctx.state.npolIpsetDelete(num(m, 'set_id')) }),
    npol_rule_create: (ctx, m) => ctx.reply({ retval: 0, rule_id: ctx.state.npolRuleUpdate(undefined, m.rule) }),
    npol_rule_update: (ctx, m) => {
      ctx.state.npolRuleUpdate(num(m, 'rule_id'), m.rule);
      ctx.reply({ retval: 0 });
    },
    npol_rule_delete: (ctx, m) => ctx.reply({ retval: ctx.state.npolRuleDelete(num(m, 'rule_id')) }),
    npol_policy_create: (ctx, m) =>
      ctx.reply({ retval: 0, policy_id: ctx.state.npolPolicyUpdate(undefined, policyItems(m)) }),
    npol_policy_update: (ctx, m) => {
      ctx.state.npolPolicyUpdate(num(m, 'policy_id'), policyItems(m));
      ctx.reply({ retval: 0 });
    },
    npol_policy_delete: (ctx, m) => ctx.reply({ retval: ctx.state.npolPolicyDelete(num(m, 'policy_id')) }),
    // npol_configure_policies (npol_interface.c): ids are rx policies, then tx policies, then profiles
    npol_configure_policies: (ctx, m) => {
      const ids = (m.policy_ids as number[] | undefined) ?? [];
      const nRx = num(m, 'num_rx_policies');
      const nTx = num(m, 'num_tx_policies');
      ctx.reply({
        retval: ctx.state.npolConfigurePolicies(num(m, 'sw_if_index'), {
          rxPolicies: ids.slice(0, nRx),
          txPolicies: ids.slice(nRx, nRx + nTx),
          profiles: ids.slice(nRx + nTx, num(m, 'total_ids')),
          invert_rx_tx: num(m, 'invert_rx_tx'),
          policy_default_rx: num(m, 'policy_default_rx'),
          policy_default_tx: num(m, 'policy_default_tx'),
          profile_default_rx: num(m, 'profile_default_rx'),
          profile_default_tx: num(m, 'profile_default_tx'),
        }),
      });
    },
  },
};

/** npol's state (npol_ipset.c, npol_rule.c, npol_policy.c, npol_interface.c pools), objects as received. */
export class FakeNpolStore implements FakeNpolState {
  readonly ipsets = new Map<number, { type: number; members: unknown[] }>();
  readonly rules = new Map<number, unknown>();
  readonly policies = new Map<number, { is_inbound: boolean; rule_id: number }[]>();
  readonly interfaces = new Map<number, FakeNpolInterfaceConfig>();
  readonly #ipsetIds = new IndexPool(0);
  readonly #ruleIds = new IndexPool(0);
  readonly #policyIds = new IndexPool(0);

  ipsetCreate(type: number): number {
    const id = this.#ipsetIds.alloc();
    this.ipsets.set(id, { type, members: [] });
    return id;
  }

  /** -6 for an unknown set; members are added as received, removed by equal value. */
  ipsetMembers(id: number, isAdd: boolean, members: unknown[]): number {
    const set = this.ipsets.get(id);
    if (!set) return VNET_API_ERROR.NO_SUCH_ENTRY;
    for (const m of members) {
      if (isAdd) set.members.push(m);
      else {
        const k = JSON.stringify(m);
        set.members = set.members.filter((x) => JSON.stringify(x) !== k);
      }
    }
    return 0;
  }

  ipsetDelete(id: number): number {
    if (!this.ipsets.delete(id)) return VNET_API_ERROR.NO_SUCH_ENTRY;
    this.#ipsetIds.release(id);
    return 0;
  }

  /** Create (id undefined or unknown) or replace a rule; like VPP, updating an unknown id creates one. */
  ruleUpdate(id: number | undefined, rule: unknown): number {
    if (id === undefined || !this.rules.has(id)) id = this.#ruleIds.alloc();
    this.rules.set(id, rule);
    return id;
  }

  ruleDelete(id: number): number {
    if (!this.rules.delete(id)) return VNET_API_ERROR.NO_SUCH_ENTRY;
    this.#ruleIds.release(id);
    return 0;
  }

  policyUpdate(id: number | undefined, items: { is_inbound: boolean; rule_id: number }[]): number {
    if (id === undefined || !this.policies.has(id)) id = this.#policyIds.alloc();
    this.policies.set(id, items);
    return id;
  }

  policyDelete(id: number): number {
    if (!this.policies.delete(id)) return VNET_API_ERROR.NO_SUCH_ENTRY;
    this.#policyIds.release(id);
    return 0;
  }

  /** npol_configure_policies: an unknown policy id fails with 1 (its `goto error` path), nothing changes. */
  configurePolicies(sw: number, conf: FakeNpolInterfaceConfig): number {
    for (const id of [...conf.rxPolicies, ...conf.txPolicies, ...conf.profiles]) if (!this.policies.has(id)) return 1;
    this.interfaces.set(sw, conf);
    return 0;
  }

  /** {@link evaluateNpol} on this state. */
  evaluate(packet: FakePacket): FakeNpolEvaluation {
    return evaluateNpol(this, packet);
  }
}
