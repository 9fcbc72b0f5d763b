/**
 * VPP's ACL plugin (src/plugins/acl/acl.c, public_inlines.h, fa_node.h): ACLs, their binding to
 * interfaces, and an evaluator that answers "would this packet pass?" the way the plugin's datapath
 * decides it.
 */
import { INDEX_INVALID, VNET_API_ERROR } from '../constants.js';
import { formatPrefix, parsePrefix } from '../ip.js';
import { IndexPool } from '../pool.js';
import { type FakePlugin, type Msg, arr, num, str, u32OrAny } from './context.js';
import { type FakePacket, type FiveTuple, IP_PROTO_ICMP, IP_PROTO_ICMP6, fiveTuple, inPrefix } from './packet.js';

/** `acl_action`: 0 deny, 1 permit, 2 permit and reflect (creates a session that lets replies through). */
export type AclAction = 0 | 1 | 2;

/** One rule as VPP stores it (`acl_rule_t`), prefixes as text. */
export interface FakeAclRule {
  is_permit: number;
  src_prefix: string;
  dst_prefix: string;
  proto: number;
  srcport_or_icmptype_first: number;
  srcport_or_icmptype_last: number;
  dstport_or_icmpcode_first: number;
  dstport_or_icmpcode_last: number;
  tcp_flags_mask: number;
  tcp_flags_value: number;
}

export interface FakeAcl {
  readonly acl_index: number;
  tag: string;
  rules: FakeAclRule[];
}

/** What {@link FakeAclState.evaluate} decided, and why. */
export interface FakeAclVerdict {
  readonly allowed: boolean;
  /**
   * `'no-acl'`: no ACL list on the interface in that direction (the plugin's node is not on the path);
   * `'session'`: a reflect session let it through; `'rule'`: a rule matched; `'implicit-deny'`: no rule of
   * a non-empty list matched (VPP's default action is deny).
   */
  readonly reason: 'no-acl' | 'session' | 'rule' | 'implicit-deny';
  readonly acl_index?: number;
  readonly rule_index?: number;
  /** The matching rule's action. */
  readonly action?: AclAction;
  /** True when this packet created a reflect session (a permit+reflect rule matched). */
  readonly sessionCreated?: boolean;
}

/** ICMP types whose reply has another type, for the reverse key of a session (acl plugin's icmp type maps). */
const ICMP4_REPLY: Readonly<Record<number, number>> = { 8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17 };
const ICMP6_REPLY: Readonly<Record<number, number>> = { 128: 129, 129: 128 };

function key(sw: number, t: FiveTuple): string {
  return `${sw}|${t.isIp6 ? 6 : 4}|${t.proto}|${t.src}|${t.dst}|${t.p0}|${t.p1}`;
}

function reverse(t: FiveTuple): FiveTuple {
  if (t.proto === IP_PROTO_ICMP || t.proto === IP_PROTO_ICMP6) {
    const map = t.proto === IP_PROTO_ICMP ? ICMP4_REPLY : ICMP6_REPLY;
    return { ...t, src: t.dst, dst: t.src, p0: map[t.p0] ?? t.p0 };
  }
  return { ...t, src: t.dst, dst: t.src, p0: t.p1, p1: t.p0 };
}

/** `single_acl_match_5tuple` (public_inlines.h): does rule `r` match the tuple? */
function ruleMatches(r: FakeAclRule, t: FiveTuple): boolean {
  const isIp6 = r.src_prefix.includes(':');
  if (isIp6 !== t.isIp6) return false;
  if (!inPrefix(t, t.dst, r.dst_prefix) || !inPrefix(t, t.src, r.src_prefix)) return false;
  if (r.proto) {
    if (t.proto !== r.proto) return false;
    if (t.p0 < r.srcport_or_icmptype_first || t.p0 > r.srcport_or_icmptype_last) return false;
    if (t.p1 < r.dstport_or_icmpcode_first || t.p1 > r.dstport_or_icmpcode_last) return false;
    if (t.tcpFlags !== undefined && (t.tcpFlags & r.tcp_flags_mask) !== r.tcp_flags_value) return false;
  }
  return true;
}

/** The ACL plugin's state: ACLs by index, the input/output lists of each interface, reflect sessions. */
export class FakeAclState {
  /** `am->acls`: ACLs by pool index. */
  readonly acls = new Map<number, FakeAcl>();
  /** `input_acl_vec_by_sw_if_index` / `output_acl_vec_by_sw_if_index`. */
  readonly input = new Map<number, number[]>();
  readonly output = new Map<number, number[]>();
  /** Reflect sessions by key (interface + 5-tuple as first seen). */
  readonly sessions = new Map<string, { sw_if_index: number; direction: 'input' | 'output' }>();
  readonly #ids = new IndexPool(0);

  /** Prefixes as sent → family and dump text; ACLs repeat the same few prefixes many times. */
  readonly #prefixes = new Map<string, { family: number; text: string } | undefined>();

  #prefix(sent: string): { family: number; text: string } | undefined {
    if (this.#prefixes.has(sent)) return this.#prefixes.get(sent);
    let v: { family: number; text: string } | undefined;
    try {
      const p = parsePrefix(sent);
      v = { family: p.family, text: formatPrefix(p) };
    } catch {
      v = undefined;
    }
    if (this.#prefixes.size >= 100_000) this.#prefixes.clear();
    this.#prefixes.set(sent, v);
    return v;
  }

  /**
   * `acl_add_list`: checks every rule (-57 for a bad or mixed-family prefix, -8 for a reversed port range),
   * then creates (`acl_index` ~0) or replaces the rules of an existing ACL (-6 when there is none).
   */
  addReplace(aclIndex: number, tag: string, rules: FakeAclRule[]): { retval: number; acl_index: number } {
    if (Buffer.byteLength(tag) >= 64) return { retval: VNET_API_ERROR.INVALID_VALUE, acl_index: aclIndex };
    const stored: FakeAclRule[] = new Array<FakeAclRule>(rules.length);
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      const s = this.#prefix(r.src_prefix);
      if (!s) return { retval: VNET_API_ERROR.INVALID_SRC_ADDRESS, acl_index: aclIndex };
      const d = this.#prefix(r.dst_prefix);
      if (!d) return { retval: VNET_API_ERROR.INVALID_DST_ADDRESS, acl_index: aclIndex };
      if (s.family !== d.family) return { retval: VNET_API_ERROR.INVALID_SRC_ADDRESS, acl_index: aclIndex };
      if (r.srcport_or_icmptype_first > r.srcport_or_icmptype_last)
        return { retval: VNET_API_ERROR.INVALID_VALUE_2, acl_index: aclIndex };
      if (r.dstport_or_icmpcode_first > r.dstport_or_icmpcode_last)
        return { retval: VNET_API_ERROR.INVALID_VALUE_2, acl_index: aclIndex };
      // VPP keeps the address as sent (ip_address_decode); the dump shows it with the prefix length
      stored[i] = { ...r, src_prefix: s.text, dst_prefix: d.text };
    }
    if (aclIndex !== INDEX_INVALID && !this.acls.has(aclIndex))
      return { retval: VNET_API_ERROR.NO_SUCH_ENTRY, acl_index: aclIndex };
    if (aclIndex === INDEX_INVALID) {
      aclIndex = this.#ids.alloc();
      this.acls.set(aclIndex, { acl_index: aclIndex, tag, rules: stored });
    } else {
      const a = this.acls.get(aclIndex)!;
      a.tag = tag;
      a.rules = stored;
    }
    return { retval: 0, acl_index: aclIndex };
  }

  /** `acl_del_list`: -6 unknown, -142/-143 while on an interface's input/output list. */
  del(aclIndex: number): number {
    if (!this.acls.has(aclIndex)) return VNET_API_ERROR.NO_SUCH_ENTRY;
    for (const l of this.input.values()) if (l.includes(aclIndex)) return VNET_API_ERROR.ACL_IN_USE_INBOUND;
    for (const l of this.output.values()) if (l.includes(aclIndex)) return VNET_API_ERROR.ACL_IN_USE_OUTBOUND;
    this.acls.delete(aclIndex);
    this.#ids.release(aclIndex);
    return 0;
  }

  /**
   * `vl_api_acl_interface_set_acl_list_t_handler`: -6 when any ACL is unknown (nothing changes). Output
   * list first, then input; a list naming an ACL twice fails inside with -116, which the handler's
   * `rv = rv || …` turns into retval 1 (the output list may already be set by then).
   */
  setList(sw: number, inList: number[], outList: number[]): number {
    if ([...inList, ...outList].some((i) => !this.acls.has(i))) return VNET_API_ERROR.NO_SUCH_ENTRY;
    const dup = (l: number[]): boolean => new Set(l).size !== l.length;
    if (dup(outList)) return 1;
    this.#set(this.output, sw, outList);
    if (dup(inList)) return 1;
    this.#set(this.input, sw, inList);
    return 0;
  }

  /** `acl_interface_add_del_inout_acl`: append or remove one ACL (-6 unknown ACL or not on the list, -142/-143 already on it). */
  interfaceAddDel(sw: number, isAdd: boolean, isInput: boolean, aclIndex: number): number {
    const lists = isInput ? this.input : this.output;
    const cur = lists.get(sw) ?? [];
    if (isAdd) {
      if (!this.acls.has(aclIndex)) return VNET_API_ERROR.NO_SUCH_ENTRY;
      if (cur.includes(aclIndex))
        return isInput ? VNET_API_ERROR.ACL_IN_USE_INBOUND : VNET_API_ERROR.ACL_IN_USE_OUTBOUND;
      this.#set(lists, sw, [...cur, aclIndex]);
      return 0;
    }
    if (!cur.includes(aclIndex)) return VNET_API_ERROR.NO_SUCH_ENTRY;
    this.#set(
      lists,
      sw,
      cur.filter((i) => i !== aclIndex),
    );
    return 0;
  }

  #set(lists: Map<number, number[]>, sw: number, l: number[]): void {
    const before = new Set(lists.get(sw) ?? []);
    if (l.length) lists.set(sw, [...l]);
    else lists.delete(sw);
    // acl_interface_set_inout_acl_list (acl.c): the interface's sessions are cleared only when the set of
    // ACLs changes (XOR of the old and new bitmaps not empty; reclassify_sessions is off by default):
    // sending the same ACLs again, or in another order, keeps them
    const changed = l.length !== before.size || l.some((i) => !before.has(i));
    if (changed) for (const [k, s] of this.sessions) if (s.sw_if_index === sw) this.sessions.delete(k);
  }

  /** @internal The interface went away: the plugin's interface-delete callback clears its lists. */
  interfaceDeleted(sw: number): void {
    this.input.delete(sw);
    this.output.delete(sw);
    for (const [k, s] of this.sessions) if (s.sw_if_index === sw) this.sessions.delete(k);
  }

  /**
   * Would `packet` pass the ACLs on its interface in its direction? First matching rule across the list's
   * ACLs wins (in list order); no match in a non-empty list is a deny; no list lets everything through. A
   * packet that belongs to a reflect session of the interface (either way round) passes without a lookup.
   * A permit+reflect match creates the session unless `commit` is false.
   * @throws RangeError when the packet's addresses do not parse.
   */
  evaluate(packet: FakePacket, opts: { commit?: boolean } = {}): FakeAclVerdict {
    const t = fiveTuple(packet);
    const sw = packet.sw_if_index;
    const list = (packet.direction === 'input' ? this.input : this.output).get(sw) ?? [];
    if (list.length === 0) return { allowed: true, reason: 'no-acl' };
    if (this.sessions.has(key(sw, t)) || this.sessions.has(key(sw, reverse(t))))
      return { allowed: true, reason: 'session' };
    for (const aclIndex of list) {
      const acl = this.acls.get(aclIndex);
      // an ACL applied but deleted blocks traffic (single_acl_match_5tuple)
      if (!acl) return { allowed: false, reason: 'implicit-deny', acl_index: aclIndex };
      for (let i = 0; i < acl.rules.length; i++) {
        const r = acl.rules[i]!;
        if (!ruleMatches(r, t)) continue;
        const action = (r.is_permit > 2 ? 0 : r.is_permit) as AclAction;
        let sessionCreated = false;
        if (action === 2 && opts.commit !== false) {
          this.sessions.set(key(sw, t), { sw_if_index: sw, direction: packet.direction });
          sessionCreated = true;
        }
        return { allowed: action !== 0, reason: 'rule', acl_index: aclIndex, rule_index: i, action, sessionCreated };
      }
    }
    return { allowed: false, reason: 'implicit-deny' };
  }
}

function ruleFromApi(r: Msg): FakeAclRule {
  return {
    is_permit: num(r, 'is_permit'),
    src_prefix: str(r, 'src_prefix') || '0.0.0.0/0',
    dst_prefix: str(r, 'dst_prefix') || '0.0.0.0/0',
    proto: num(r, 'proto'),
    srcport_or_icmptype_first: num(r, 'srcport_or_icmptype_first'),
    srcport_or_icmptype_last: num(r, 'srcport_or_icmptype_last'),
    dstport_or_icmpcode_first: num(r, 'dstport_or_icmpcode_first'),
    dstport_or_icmpcode_last: num(r, 'dstport_or_icmpcode_last'),
    tcp_flags_mask: num(r, 'tcp_flags_mask'),
    tcp_flags_value: num(r, 'tcp_flags_value'),
  };
}

function listDetails(a: FakeAclState, sw: number): Msg {
  const input = a.input.get(sw) ?? [];
  const output = a.output.get(sw) ?? [];
  return { sw_if_index: sw, count: input.length + output.length, n_input: input.length, acls: [...input, ...output] };
}

/** ACL_PLUGIN_VERSION_MAJOR / _MINOR (acl.h). */
const ACL_PLUGIN_VERSION = { major: 1, minor: 4 };

export const aclPlugin: FakePlugin = {
  name: 'acl',
  source: 'src/plugins/acl/acl.c',
  handlers: {
    acl_plugin_get_version: (ctx) => ctx.reply({ ...ACL_PLUGIN_VERSION }),
    acl_plugin_control_ping: (ctx) => ctx.reply({ retval: 0, vpe_pid: ctx.pid }),
    // vl_api_acl_add_replace_t_handler → acl_add_list
    acl_add_replace: (ctx, m) => {
      const rules = arr(m, 'r').map(ruleFromApi);
      ctx.reply(ctx.state.acl.addReplace(u32OrAny(m, 'acl_index'), str(m, 'tag'), rules));
    },
    acl_del: (ctx, m) => ctx.reply({ retval: ctx.state.acl.del(num(m, 'acl_index')) }),
    // vl_api_acl_interface_set_acl_list_t_handler: the first n_input ids are the input list
    acl_interface_set_acl_list: (ctx, m) => {
      const sw = num(m, 'sw_if_index');
      if (!ctx.state.interfaces.has(sw)) return ctx.reply({ retval: VNET_API_ERROR.INVALID_SW_IF_INDEX });
      const ids = ((m.acls as number[] | undefined) ?? []).slice(0, num(m, 'count'));
      const nIn = num(m, 'n_input');
      ctx.reply({ retval: ctx.state.acl.setList(sw, ids.slice(0, nIn), ids.slice(nIn)) });
    },
    acl_interface_add_del: (ctx, m) => {
      const sw = num(m, 'sw_if_index');
      if (!ctx.state.interfaces.has(sw)) return ctx.reply({ retval: VNET_API_ERROR.INVALID_SW_IF_INDEX });
      ctx.reply({
        retval: ctx.state.acl.interfaceAddDel(sw, Boolean(m.is_add), Boolean(m.is_input), num(m, 'acl_index')),
      });
    },
    // vl_api_acl_dump_t_handler: ~0 walks the pool in index order; an unknown index sends nothing
    acl_dump: (ctx, m) => {
      const only = u32OrAny(m, 'acl_index');
      const acls = [...ctx.state.acl.acls.values()].sort((a, b) => a.acl_index - b.acl_index);
      for (const a of acls) {
        if (only !== INDEX_INVALID && a.acl_index !== only) continue;
        ctx.details('acl_details', {
          acl_index: a.acl_index,
          tag: a.tag,
          count: a.rules.length,
          r: a.rules.map((r) => ({ ...r })),
        });
      }
    },
    // vl_api_acl_interface_list_dump_t_handler: ~0 sends one details per interface, lists empty or not
    acl_interface_list_dump: (ctx, m) => {
      const only = u32OrAny(m, 'sw_if_index');
      for (const i of ctx.state.listInterfaces()) {
        if (only !== INDEX_INVALID && i.sw_if_index !== only) continue;
        ctx.details('acl_interface_list_details', listDetails(ctx.state.acl, i.sw_if_index));
      }
    },
  },
};
