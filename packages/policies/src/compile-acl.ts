/**
 * Compiles the model into ACL-plugin rule lists: ipsets are expanded (and their prefixes merged),
 * negations become complements, `pass` and tiers are flattened into one first-match list per
 * endpoint and direction, and `allow` becomes `permit+reflect` so that replies pass.
 */
import type { PolicyIssue } from './errors.js';
import { memberPrefix, type IpSetMember, type Rule } from './model.js';
import {
  anyPrefix,
  normalizePrefixes,
  parsePrefix,
  prefixIntersect,
  prefixSubtract,
  type Af,
  type Prefix,
} from './prefix.js';

/** One ACL-plugin rule. `proto` 0 is any (ports are then ignored, as in VPP). */
export interface AclEntry {
  readonly action: 'permit' | 'deny' | 'reflect';
  readonly af: Af;
  readonly proto: number;
  readonly src: Prefix;
  readonly dst: Prefix;
  readonly sp: readonly [number, number];
  readonly dp: readonly [number, number];
}

const ALL_PORTS = [0, 65535] as const;
const PORT_PROTOS = [6, 17, 132];

/** What the compiler needs to know about ipsets. */
export interface IpSetLookup {
  members(id: string): readonly IpSetMember[] | undefined;
}

type Range = readonly [number, number];

function rangeIntersect(a: Range, b: Range): Range | undefined {
  const lo = Math.max(a[0], b[0]);
  const hi = Math.min(a[1], b[1]);
  return lo <= hi ? [lo, hi] : undefined;
}

function rangeSubtract(list: readonly Range[], holes: readonly Range[]): Range[] {
  let out = [...list];
  for (const h of holes) {
    const next: Range[] = [];
    for (const r of out) {
      if (h[1] < r[0] || h[0] > r[1]) next.push(r);
      else {
        if (r[0] < h[0]) next.push([r[0], h[0] - 1]);
        if (h[1] < r[1]) next.push([h[1] + 1, r[1]]);
      }
    }
    out = next;
  }
  return out;
}

/** Intersection of two entries (the match of both), undefined when empty. Ports of `proto` 0 are ignored. */
export function intersectEntries(a: AclEntry, b: AclEntry, action: AclEntry['action']): AclEntry | undefined {
  if (a.af !== b.af) return undefined;
  if (a.proto && b.proto && a.proto !== b.proto) return undefined;
  const src = prefixIntersect(a.src, b.src);
  const dst = prefixIntersect(a.dst, b.dst);
  if (!src || !dst) return undefined;
  const proto = a.proto || b.proto;
  const aPorts = a.proto !== 0;
  const bPorts = b.proto !== 0;
  const sp = aPorts && bPorts ? rangeIntersect(a.sp, b.sp) : aPorts ? a.sp : bPorts ? b.sp : ALL_PORTS;
  const dp = aPorts && bPorts ? rangeIntersect(a.dp, b.dp) : aPorts ? a.dp : bPorts ? b.dp : ALL_PORTS;
  if (!sp || !dp) return undefined;
  return { action, af: a.af, proto, src, dst, sp, dp };
}

export interface RuleCompileContext {
  readonly object: string;
  readonly path: string;
  readonly ipsets: IpSetLookup;
  readonly issue: (i: PolicyIssue) => void;
}

/**
 * The packets a rule matches, as a union of ACL entries (the action field is a placeholder), or
 * `undefined` when the rule cannot be expressed (then the caller fails closed).
 */
export function ruleMatches(rule: Rule, ctx: RuleCompileContext): AclEntry[] | undefined {
  const issue = (code: string, path: string, message: string) =>
    ctx.issue({ code, object: ctx.object, path: `${ctx.path}.${path}`, message });
  const afs: Af[] = rule.ipVersion ? [rule.ipVersion] : [4, 6];
  const prefixesOf = (
    nets: readonly string[] | undefined,
    sets: readonly string[] | undefined,
  ): Prefix[] | undefined => {
    if (!nets?.length && !sets?.length) return undefined;
    const out: Prefix[] = [];
    for (const n of nets ?? []) {
      const p = parsePrefix(n);
      if (p) out.push(p);
    }
    for (const s of sets ?? []) for (const m of ctx.ipsets.members(s) ?? []) out.push(memberPrefix(m));
    return normalizePrefixes(out);
  };
  const side = (
    nets?: readonly string[],
    sets?: readonly string[],
    notNets?: readonly string[],
    notSets?: readonly string[],
  ) => {
    const pos = prefixesOf(nets, sets) ?? afs.map(anyPrefix);
    const neg = prefixesOf(notNets, notSets) ?? [];
    return normalizePrefixes(pos.flatMap((p) => prefixSubtract(p, neg))).filter((p) => afs.includes(p.af));
  };
  if (rule.notSrcNamedPortIpSets?.length || rule.notDstNamedPortIpSets?.length) {
    issue(
      'unsupported-negated-named-port',
      'notDstNamedPortIpSets',
      'negated named ports cannot be expressed in ACL rules',
    );
    return undefined;
  }
  const srcs = side(rule.srcNets, rule.srcIpSets, rule.notSrcNets, rule.notSrcIpSets);
  const dsts = side(rule.dstNets, rule.dstIpSets, rule.notDstNets, rule.notDstIpSets);

  // protocols
  let protos: number[];
  const hasPorts = !!(
    rule.srcPorts?.length ||
    rule.dstPorts?.length ||
    rule.notSrcPorts?.length ||
    rule.notDstPorts?.length
  );
  if (rule.protocol !== undefined) protos = [rule.protocol];
  else if (hasPorts) protos = PORT_PROTOS;
  else if (rule.notProtocol !== undefined) protos = Array.from({ length: 255 }, (_, i) => i + 1);
  else protos = [0];
  if (rule.notProtocol !== undefined) protos = protos.filter((p) => p !== rule.notProtocol);

  // ports (or ICMP type/code, which the ACL plugin reads from the same fields)
  let sps: Range[] = rule.srcPorts?.length ? rule.srcPorts.map((r) => [r.first, r.last] as const) : [ALL_PORTS];
  let dps: Range[] = rule.dstPorts?.length ? rule.dstPorts.map((r) => [r.first, r.last] as const) : [ALL_PORTS];
  sps = rangeSubtract(
    sps,
    (rule.notSrcPorts ?? []).map((r) => [r.first, r.last] as const),
  );
  dps = rangeSubtract(
    dps,
    (rule.notDstPorts ?? []).map((r) => [r.first, r.last] as const),
  );
  if (rule.icmp) {
    sps = [[rule.icmp.type, rule.icmp.type]];
    dps = rule.icmp.code === undefined ? [[0, 255]] : [[rule.icmp.code, rule.icmp.code]];
    if (rule.protocol === undefined) protos = afs.map((af) => (af === 4 ? 1 : 58));
  }
  if (rule.notIcmp) {
    if (rule.notIcmp.code === undefined)
      sps = rangeSubtract(sps.length ? sps : [[0, 255]], [[rule.notIcmp.type, rule.notIcmp.type]]);
    else {
      issue('unsupported-not-icmp-code', 'notIcmp', 'a negated ICMP type+code cannot be expressed in ACL rules');
      return undefined;
    }
  }

  const out: AclEntry[] = [];
  const base = (proto: number, src: Prefix, dst: Prefix, sp: Range, dp: Range): AclEntry | undefined => {
    if (src.af !== dst.af) return undefined;
    if (proto === 1 && src.af === 6) return undefined;
    if (proto === 58 && src.af === 4) return undefined;
    return { action: 'deny', af: src.af, proto, src, dst, sp: proto ? sp : ALL_PORTS, dp: proto ? dp : ALL_PORTS };
  };
  const dstNamed = rule.dstNamedPortIpSets ?? [];
  const srcNamed = rule.srcNamedPortIpSets ?? [];
  const numeric =
    (dstNamed.length === 0 || !!rule.dstPorts?.length) && (srcNamed.length === 0 || !!rule.srcPorts?.length);
  if (numeric)
    for (const proto of protos)
      for (const src of srcs)
        for (const dst of dsts)
          for (const sp of sps)
            for (const dp of dps) {
              const e = base(proto, src, dst, sp, dp);
              if (e) out.push(e);
            }
  // named ports: (address, protocol, port) members, OR'd with the numeric ports of the same side
  const namedMembers = (ids: readonly string[], side: Prefix[]) => {
    const found: { host: Prefix; proto: number; port: number }[] = [];
    for (const id of ids)
      for (const m of ctx.ipsets.members(id) ?? []) {
        if (m.kind !== 'ip-port' || !(protos.includes(m.proto) || protos[0] === 0)) continue;
        const host = memberPrefix(m);
        if (side.some((p) => prefixIntersect(p, host))) found.push({ host, proto: m.proto, port: m.port });
      }
    return found;
  };
  for (const n of namedMembers(dstNamed, dsts))
    for (const src of srcs)
      for (const sp of sps) {
        const e = base(n.proto, src, n.host, sp, [n.port, n.port]);
        if (e) out.push(e);
      }
  for (const n of namedMembers(srcNamed, srcs))
    for (const dst of dsts)
      for (const dp of dps) {
        const e = base(n.proto, n.host, dst, [n.port, n.port], dp);
        if (e) out.push(e);
      }
  return out;
}

/** One direction of one endpoint, before flattening. */
export interface ChainInput {
  /** Tiers, each with the rules of its policies in order (the policies' rules for this direction). */
  readonly tiers: readonly {
    readonly policies: readonly { readonly id: string; readonly rules: readonly Rule[] }[];
    readonly defaultAction: 'deny' | 'pass';
  }[];
  /** Profiles' rules in order (applied when no tier has a policy, or after a pass out of the last tier). */
  readonly profiles: readonly { readonly id: string; readonly rules: readonly Rule[] }[];
  /** Entries placed first (built-ins such as allow-from-host). */
  readonly prefix: readonly AclEntry[];
  /** What happens when nothing matched: Calico's default is deny. */
  readonly defaultAction: 'permit' | 'deny';
}

export interface ChainCompileContext {
  readonly object: string;
  readonly ipsets: IpSetLookup;
  readonly issue: (i: PolicyIssue) => void;
}

const CATCH_ALL = (action: AclEntry['action']): AclEntry[] => [
  { action, af: 4, proto: 0, src: anyPrefix(4), dst: anyPrefix(4), sp: ALL_PORTS, dp: ALL_PORTS },
  { action, af: 6, proto: 0, src: anyPrefix(6), dst: anyPrefix(6), sp: ALL_PORTS, dp: ALL_PORTS },
];

/**
 * Drops entries that can never match: exact repeats, and entries an earlier any-to-any entry (both
 * prefixes /0, e.g. a tier's end) covers entirely. Linear: only /0-/0 entries are kept as coverers.
 */
function prune(list: AclEntry[]): AclEntry[] {
  const out: AclEntry[] = [];
  const seen = new Set<string>();
  const wide: AclEntry[] = [];
  const covers = (a: AclEntry, b: AclEntry) =>
    a.af === b.af &&
    (a.proto === 0 ||
      (a.proto === b.proto && a.sp[0] <= b.sp[0] && b.sp[1] <= a.sp[1] && a.dp[0] <= b.dp[0] && b.dp[1] <= a.dp[1]));
  for (const e of list) {
    const key = `${e.af}|${e.proto}|${e.src.addr}/${e.src.len}|${e.dst.addr}/${e.dst.len}|${e.sp[0]}-${e.sp[1]}|${e.dp[0]}-${e.dp[1]}`;
    if (seen.has(key)) continue;
    if (wide.some((w) => covers(w, e))) continue;
    seen.add(key);
    out.push(e);
    if (e.src.len === 0 && e.dst.len === 0) wide.push(e);
  }
  return out;
}

/**
 * Flattens one endpoint direction into a first-match ACL rule list (Calico semantics: tiers in order,
 * first matching rule of a tier's policies decides, `pass` jumps to the next tier, end of tier denies
 * unless the tier says pass; profiles only when no tier has a policy for this direction).
 */
export function compileChain(input: ChainInput, ctx: ChainCompileContext): AclEntry[] {
  const compileRules = (rules: readonly Rule[], policyId: string, tail: AclEntry[], next: AclEntry[]): AclEntry[] => {
    let out = tail;
    for (let i = rules.length - 1; i >= 0; i--) {
      const rule = rules[i]!;
      const m = ruleMatches(rule, {
        object: ctx.object,
        path: `policy ${policyId}.rules[${i}]`,
        ipsets: ctx.ipsets,
        issue: ctx.issue,
      });
      if (m === undefined) {
        // fail closed: an allow or pass that cannot be expressed is left out; a deny applies without the criterion
        if (rule.action === 'deny')
          out = [...CATCH_ALL('deny').filter((e) => !rule.ipVersion || e.af === rule.ipVersion), ...out];
        continue;
      }
      if (rule.action === 'log') continue;
      if (rule.action === 'pass') {
        const jumped: AclEntry[] = [];
        for (const a of m)
          for (const t of next) {
            const x = intersectEntries(a, t, t.action);
            if (x) jumped.push(x);
          }
        out = [...jumped, ...out];
        continue;
      }
      const action = rule.action === 'allow' ? 'reflect' : 'deny';
      out = [...m.map((e) => ({ ...e, action }) as AclEntry), ...out];
    }
    return out;
  };
  const profilesChain = (): AclEntry[] => {
    let tail = CATCH_ALL(input.defaultAction === 'permit' ? 'reflect' : 'deny');
    for (let i = input.profiles.length - 1; i >= 0; i--) {
      const p = input.profiles[i]!;
      tail = compileRules(p.rules, p.id, tail, tail);
    }
    return tail;
  };
  const tiers = input.tiers.filter((t) => t.policies.length > 0);
  let chain: AclEntry[];
  if (tiers.length === 0) chain = profilesChain();
  else {
    let next = profilesChain();
    for (let t = tiers.length - 1; t >= 0; t--) {
      const tier = tiers[t]!;
      let tail = tier.defaultAction === 'pass' ? next : CATCH_ALL('deny');
      for (let p = tier.policies.length - 1; p >= 0; p--)
        tail = compileRules(tier.policies[p]!.rules, tier.policies[p]!.id, tail, next);
      next = tail;
    }
    chain = next;
  }
  return prune([...input.prefix, ...chain]);
}
