/** Compiles model rules and ipset members into npol's API types. */
import type { npol_ipset_member, npol_rule, npol_rule_entry, npol_rule_filter } from '@vectorplane/vpp-binapi';
import { npol_entry_type, npol_ipset_type, npol_rule_action, npol_rule_filter_type } from '@vectorplane/vpp-binapi';
import type { PolicyIssue } from './errors.js';
import type { IpSetMember, IpSetType, Rule } from './model.js';
import { formatAddress, formatPrefix, parsePrefix } from './prefix.js';

export const NPOL_IPSET_TYPE: Record<IpSetType, number> = {
  ip: npol_ipset_type.NPOL_IP,
  'ip-port': npol_ipset_type.NPOL_IP_AND_PORT,
  net: npol_ipset_type.NPOL_NET,
};

export function npolMember(m: IpSetMember): npol_ipset_member {
  switch (m.kind) {
    case 'ip':
      return { val: { address: formatAddress(m.af, m.addr) } };
    case 'net':
      return { val: { prefix: formatPrefix(m.prefix) } };
    case 'ip-port':
      return { val: { tuple: { address: formatAddress(m.af, m.addr), l4_proto: m.proto, port: m.port } } };
  }
}

const ACTION = {
  allow: npol_rule_action.NPOL_ALLOW,
  deny: npol_rule_action.NPOL_DENY,
  log: npol_rule_action.NPOL_LOG,
  pass: npol_rule_action.NPOL_PASS,
};

export interface NpolRuleContext {
  readonly object: string;
  readonly path: string;
  /** VPP set id of an ipset; undefined when unknown. */
  readonly setId: (id: string) => number | undefined;
  readonly issue: (i: PolicyIssue) => void;
}

/**
 * One model rule as an npol rule, or `undefined` when it can never match or cannot be expressed and
 * would widen what is allowed (fail closed: an allow that cannot be expressed is left out; a deny
 * is kept without the criterion npol lacks).
 */
export function npolRule(rule: Rule, ctx: NpolRuleContext): npol_rule | undefined {
  const issue = (code: string, path: string, message: string) =>
    ctx.issue({ code, object: ctx.object, path: `${ctx.path}.${path}`, message });
  const filters: npol_rule_filter[] = [];
  const matches: npol_rule_entry[] = [];
  let inexpressible = false;
  if (rule.icmp || rule.notIcmp) {
    issue('unsupported-icmp', rule.icmp ? 'icmp' : 'notIcmp', 'npol cannot match ICMP type/code');
    inexpressible = true;
  }
  if (inexpressible && rule.action !== 'deny') return undefined;
  if (rule.protocol !== undefined)
    filters.push({ type: npol_rule_filter_type.NPOL_RULE_FILTER_L4_PROTO, value: rule.protocol, should_match: 1 });
  if (rule.notProtocol !== undefined)
    filters.push({ type: npol_rule_filter_type.NPOL_RULE_FILTER_L4_PROTO, value: rule.notProtocol, should_match: 0 });
  const v = rule.ipVersion;
  const cidrs = (list: readonly string[] | undefined, isSrc: boolean, isNot: boolean): boolean => {
    if (!list?.length) return true;
    const ps = list.map((n) => parsePrefix(n)!).filter((p) => !v || p.af === v);
    if (!isNot && ps.length === 0) return false; // only the other family: never matches
    for (const p of ps)
      matches.push({ is_src: isSrc, is_not: isNot, type: npol_entry_type.NPOL_CIDR, data: { cidr: formatPrefix(p) } });
    return true;
  };
  if (!cidrs(rule.srcNets, true, false) || !cidrs(rule.dstNets, false, false)) return undefined;
  cidrs(rule.notSrcNets, true, true);
  cidrs(rule.notDstNets, false, true);
  if (v && !rule.srcNets?.length)
    matches.push({
      is_src: true,
      is_not: false,
      type: npol_entry_type.NPOL_CIDR,
      data: { cidr: v === 4 ? '0.0.0.0/0' : '::/0' },
    });
  const ports = (list: Rule['srcPorts'], isSrc: boolean, isNot: boolean) => {
    for (const r of list ?? [])
      matches.push({
        is_src: isSrc,
        is_not: isNot,
        type: npol_entry_type.NPOL_PORT_RANGE,
        data: { port_range: { start: r.first, end: r.last } },
      });
  };
  ports(rule.srcPorts, true, false);
  ports(rule.dstPorts, false, false);
  ports(rule.notSrcPorts, true, true);
  ports(rule.notDstPorts, false, true);
  const sets = (
    list: readonly string[] | undefined,
    isSrc: boolean,
    isNot: boolean,
    named: boolean,
    field: string,
  ): boolean => {
    let known = 0;
    list?.forEach((id, i) => {
      const setId = ctx.setId(id);
      if (setId === undefined) {
        // a missing ipset is empty (Felix): a positive reference never matches, a negated one always holds
        issue('unknown-ipset', `${field}[${i}]`, `unknown ipset "${id}"`);
        return;
      }
      known++;
      matches.push({
        is_src: isSrc,
        is_not: isNot,
        type: named ? npol_entry_type.NPOL_PORT_IP_SET : npol_entry_type.NPOL_IP_SET,
        data: { set_id: { set_id: setId } },
      });
    });
    return isNot || !list?.length || known > 0;
  };
  const ok = [
    sets(rule.srcIpSets, true, false, false, 'srcIpSets'),
    sets(rule.dstIpSets, false, false, false, 'dstIpSets'),
    sets(rule.notSrcIpSets, true, true, false, 'notSrcIpSets'),
    sets(rule.notDstIpSets, false, true, false, 'notDstIpSets'),
    sets(rule.srcNamedPortIpSets, true, false, true, 'srcNamedPortIpSets'),
    sets(rule.dstNamedPortIpSets, false, false, true, 'dstNamedPortIpSets'),
    sets(rule.notSrcNamedPortIpSets, true, true, true, 'notSrcNamedPortIpSets'),
    sets(rule.notDstNamedPortIpSets, false, true, true, 'notDstNamedPortIpSets'),
  ].every(Boolean);
  if (!ok) return undefined;
  return { action: ACTION[rule.action], filters, matches };
}
