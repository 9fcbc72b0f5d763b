/**
 * Outcome checks: would VPP let this packet through? Written from VPP's sources, not from our compiler:
 * - ACL plugin (public_inlines.h `single_acl_match_5tuple`, fa_node): lists read back from VPP with
 *   `acl_dump` / `acl_interface_list_dump` (so the check also works against a real VPP), first match
 *   across the list, implicit deny when a list is applied and nothing matches, reflect sessions let
 *   either direction of the same 5-tuple through on the interface that created them.
 * - npol (npol_match.c `npol_match_func`): from the fake's npol state (npol has no dumps).
 */
import type { PolicyVpp } from '../../src/types.js';
import { parsePrefix, prefixContainsAddress, parseAddress, type Prefix } from '../../src/prefix.js';

export interface Packet {
  readonly src: string;
  readonly dst: string;
  readonly proto: number;
  readonly sport?: number;
  readonly dport?: number;
  readonly icmpType?: number;
  readonly icmpCode?: number;
}

interface AclRule {
  is_permit: number;
  src: Prefix;
  dst: Prefix;
  proto: number;
  sp: [number, number];
  dp: [number, number];
}

const ICMP_REPLY: Record<number, number> = { 8: 0, 0: 8, 128: 129, 129: 128 };

function tuple(p: Packet) {
  const s = parseAddress(p.src)!;
  const d = parseAddress(p.dst)!;
  const icmp = p.proto === 1 || p.proto === 58;
  return {
    af: s.af,
    src: s.addr,
    dst: d.addr,
    proto: p.proto,
    p0: icmp ? (p.icmpType ?? (p.proto === 1 ? 8 : 128)) : (p.sport ?? 0),
    p1: icmp ? (p.icmpCode ?? 0) : (p.dport ?? 0),
  };
}
type Tuple = ReturnType<typeof tuple>;
const key = (sw: number, t: Tuple) => `${sw}|${t.af}|${t.proto}|${t.src}|${t.dst}|${t.p0}|${t.p1}`;
const rev = (t: Tuple): Tuple =>
  t.proto === 1 || t.proto === 58
    ? { ...t, src: t.dst, dst: t.src, p0: ICMP_REPLY[t.p0] ?? t.p0 }
    : { ...t, src: t.dst, dst: t.src, p0: t.p1, p1: t.p0 };

/** The ACL plugin's view, loaded from VPP; `passes()` also creates sessions like the datapath does. */
export class AclView {
  acls = new Map<number, AclRule[]>();
  input = new Map<number, number[]>();
  output = new Map<number, number[]>();
  sessions = new Set<string>();
  constructor(private readonly vpp: PolicyVpp) {}

  async load(): Promise<this> {
    this.acls.clear();
    this.input.clear();
    this.output.clear();
    for await (const a of this.vpp.dump('acl_dump', { acl_index: 0xffffffff }))
      this.acls.set(
        a.acl_index,
        a.r.map((r) => ({
          is_permit: r.is_permit,
          src: parsePrefix(r.src_prefix)!,
          dst: parsePrefix(r.dst_prefix)!,
          proto: r.proto,
          sp: [r.srcport_or_icmptype_first, r.srcport_or_icmptype_last],
          dp: [r.dstport_or_icmpcode_first, r.dstport_or_icmpcode_last],
        })),
      );
    for await (const l of this.vpp.dump('acl_interface_list_dump', { sw_if_index: 0xffffffff })) {
      this.input.set(l.sw_if_index, l.acls.slice(0, l.n_input));
      this.output.set(l.sw_if_index, l.acls.slice(l.n_input));
    }
    return this;
  }

  /** A digest of the lists loaded (to see whether VPP changed between two loads). */
  fingerprint(): string {
    return JSON.stringify([[...this.acls], [...this.input], [...this.output]], (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v,
    );
  }

  /** One hop: the packet received on (`input`) or sent out of (`output`) interface `sw`. */
  hop(sw: number, direction: 'input' | 'output', p: Packet): boolean {
    const t = tuple(p);
    const list = (direction === 'input' ? this.input : this.output).get(sw) ?? [];
    if (list.length === 0) return true;
    if (this.sessions.has(key(sw, t)) || this.sessions.has(key(sw, rev(t)))) return true;
    for (const idx of list) {
      const rules = this.acls.get(idx);
      if (!rules) return false;
      for (const r of rules) {
        if (r.src.af !== t.af) continue;
        if (!prefixContainsAddress(r.dst, t.af, t.dst) || !prefixContainsAddress(r.src, t.af, t.src)) continue;
        if (r.proto) {
          if (r.proto !== t.proto) continue;
          if (t.p0 < r.sp[0] || t.p0 > r.sp[1] || t.p1 < r.dp[0] || t.p1 > r.dp[1]) continue;
        }
        if (r.is_permit === 2) this.sessions.add(key(sw, t));
        return r.is_permit !== 0;
      }
    }
    return false;
  }
}

// ---- npol ----------------------------------------------------------------------------------------------
export interface NpolStateLike {
  readonly ipsets: ReadonlyMap<number, { type: number; members: unknown[] }>;
  readonly rules: ReadonlyMap<number, unknown>;
  readonly policies: ReadonlyMap<number, readonly { is_inbound: boolean; rule_id: number }[]>;
  readonly interfaces: ReadonlyMap<
    number,
    {
      rxPolicies: number[];
      txPolicies: number[];
      profiles: number[];
      invert_rx_tx: number;
      policy_default_rx: number;
      policy_default_tx: number;
      profile_default_rx: number;
      profile_default_tx: number;
    }
  >;
}

interface NRule {
  action: number;
  filters?: { type: number; value: number; should_match: number }[];
  matches: {
    is_src: boolean;
    is_not: boolean;
    type: number;
    data: { cidr?: string; port_range?: { start: number; end: number }; set_id?: { set_id: number } };
  }[];
}

function setContains(st: NpolStateLike, id: number, t: Tuple, addr: bigint, port: number | undefined): boolean {
  const s = st.ipsets.get(id);
  if (!s) return false;
  for (const raw of s.members as {
    val: { address?: string; prefix?: string; tuple?: { address: string; l4_proto: number; port: number } };
  }[]) {
    const v = raw.val;
    if (port === undefined) {
      if (s.type === 0 && v.address) {
        const a = parseAddress(v.address);
        if (a && a.af === t.af && a.addr === addr) return true;
      }
      if (s.type === 2 && v.prefix) {
        const p = parsePrefix(v.prefix);
        if (p && prefixContainsAddress(p, t.af, addr)) return true;
      }
    } else if (s.type === 1 && v.tuple) {
      const a = parseAddress(v.tuple.address);
      if (a && a.af === t.af && a.addr === addr && v.tuple.l4_proto === t.proto && v.tuple.port === port) return true;
    }
  }
  return false;
}

/** `npol_match_rule`: the rule's action when it matches, else -1. */
function matchRule(st: NpolStateLike, r: NRule, t: Tuple): number {
  for (const f of r.filters ?? []) {
    if (f.type === 3) {
      if (f.should_match && f.value !== t.proto) return -1;
      if (!f.should_match && f.value === t.proto) return -1;
    }
    if (f.type === 1 || f.type === 2) return -1; // (we never send them)
  }
  const addrOf = (isSrc: boolean) => (isSrc ? t.src : t.dst);
  const group = (type: number, isSrc: boolean, isNot: boolean) =>
    r.matches.filter((m) => m.type === type && m.is_src === isSrc && m.is_not === isNot);
  for (const isSrc of [true, false]) {
    const pos = group(0, isSrc, false);
    if (pos.length && !pos.some((m) => prefixContainsAddress(parsePrefix(m.data.cidr!)!, t.af, addrOf(isSrc))))
      return -1;
    if (group(0, isSrc, true).some((m) => prefixContainsAddress(parsePrefix(m.data.cidr!)!, t.af, addrOf(isSrc))))
      return -1;
    const sets = group(3, isSrc, false);
    if (sets.length && !sets.some((m) => setContains(st, m.data.set_id!.set_id, t, addrOf(isSrc), undefined)))
      return -1;
    if (group(3, isSrc, true).some((m) => setContains(st, m.data.set_id!.set_id, t, addrOf(isSrc), undefined)))
      return -1;
  }
  for (const isSrc of [true, false]) {
    const port = isSrc ? t.p0 : t.p1;
    const ranges = group(1, isSrc, false);
    const ipport = group(2, isSrc, false);
    let found = ranges.some((m) => m.data.port_range!.start <= port && port <= m.data.port_range!.end);
    if (group(1, isSrc, true).some((m) => m.data.port_range!.start <= port && port <= m.data.port_range!.end))
      return -1;
    found ||= ipport.some((m) => setContains(st, m.data.set_id!.set_id, t, addrOf(isSrc), port));
    if (group(2, isSrc, true).some((m) => setContains(st, m.data.set_id!.set_id, t, addrOf(isSrc), port))) return -1;
    if ((ranges.length || ipport.length) && !found) return -1;
  }
  return r.action;
}

/** `npol_match_func`: true when allowed. `direction` input = VPP rx on `sw`. */
export function npolPasses(st: NpolStateLike, sw: number, direction: 'input' | 'output', p: Packet): boolean {
  const t = tuple(p);
  const conf = st.interfaces.get(sw);
  if (!conf) return true;
  const isIn = (direction === 'input') !== !!conf.invert_rx_tx;
  const pols = isIn ? conf.rxPolicies : conf.txPolicies;
  const policyDefault = isIn ? conf.policy_default_rx : conf.policy_default_tx;
  const profileDefault = isIn ? conf.profile_default_rx : conf.profile_default_tx;
  const matchPolicy = (id: number): number => {
    for (const item of st.policies.get(id) ?? []) {
      if (item.is_inbound !== isIn) continue;
      const r = matchRule(st, st.rules.get(item.rule_id) as NRule, t);
      if (r >= 0) return r;
    }
    return -1;
  };
  let toProfiles = false;
  for (const id of pols) {
    const r = matchPolicy(id);
    if (r === 0) return true;
    if (r === 1) return false;
    if (r === 3) {
      toProfiles = true;
      break;
    }
  }
  if (!toProfiles) {
    if (policyDefault === 0) return true;
    if (policyDefault === 1) return false;
  }
  for (const id of conf.profiles) {
    const r = matchPolicy(id);
    if (r === 0) return true;
    if (r === 1) return false;
    if (r === 3) return true;
  }
  return profileDefault !== 1;
}
