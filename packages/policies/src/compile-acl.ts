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
  /**
   * The set's members as normalised prefixes ({@link normalizePrefixes}); empty when the set is unknown.
   * Optional: a caller that caches it per set version saves normalising the same set for every rule.
   */
  prefixes?(id: string): readonly Prefix[];
}

/** The set's members as normalised prefixes (what {@link IpSetLookup.prefixes} caches). */
export function ipSetPrefixes(members: Iterable<IpSetMember>): Prefix[] {
  const out: Prefix[] = [];
  for (const m of members) out.push(memberPrefix(m));
  return normalizePrefixes(out);
}

/** The union of CIDRs and ipset members, normalised; undefined when both lists are empty (no criterion). */
function prefixesOf(
  nets: readonly string[] | undefined,
  sets: readonly string[] | undefined,
  ipsets: IpSetLookup,
): readonly Prefix[] | undefined {
  const nNets = nets?.length ?? 0;
  const nSets = sets?.length ?? 0;
  if (!nNets && !nSets) return undefined;
  if (!nNets && nSets === 1 && ipsets.prefixes) return ipsets.prefixes(sets![0]!);
  const out: Prefix[] = [];
  for (const n of nets ?? []) {
    const p = parsePrefix(n);
    if (p) out.push(p);
  }
  for (const s of sets ?? []) for (const m of ipsets.members(s) ?? []) out.push(memberPrefix(m));
  return normalizePrefixes(out);
}

const ANY_PREFIXES: Record<string, readonly Prefix[]> = {
  '4': [anyPrefix(4)],
  '6': [anyPrefix(6)],
  '4,6': [anyPrefix(4), anyPrefix(6)],
};

/** One side of a rule (addresses minus not-addresses), restricted to the rule's families. */
function sideOf(
  afs: readonly Af[],
  ipsets: IpSetLookup,
  nets?: readonly string[],
  sets?: readonly string[],
  notNets?: readonly string[],
  notSets?: readonly string[],
): readonly Prefix[] {
  const pos = prefixesOf(nets, sets, ipsets) ?? ANY_PREFIXES[afs.join(',')]!;
  const neg = prefixesOf(notNets, notSets, ipsets);
  // a normalised list minus nothing is itself
  const all = neg?.length ? normalizePrefixes(pos.flatMap((p) => prefixSubtract(p, neg))) : pos;
  return afs.length === 2 ? all : all.filter((p) => p.af === afs[0]);
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
  return ruleMatchesAs(rule, ctx, 'deny');
}

/** {@link ruleMatches} with the entries' action set (saves a copy of every entry). */
/** A rule context whose path is made only when an issue is reported. */
interface LazyRuleContext extends Omit<RuleCompileContext, 'path'> {
  readonly path: string | (() => string);
}

function ruleIssue(ctx: LazyRuleContext, code: string, path: string, message: string): void {
  const base = typeof ctx.path === 'string' ? ctx.path : ctx.path();
  ctx.issue({ code, object: ctx.object, path: `${base}.${path}`, message });
}

/** One entry, or undefined when the parts cannot go together (families, ICMP of the other family). */
function entryOf(
  action: AclEntry['action'],
  proto: number,
  src: Prefix,
  dst: Prefix,
  sp: Range,
  dp: Range,
): AclEntry | undefined {
  if (src.af !== dst.af) return undefined;
  if (proto === 1 && src.af === 6) return undefined;
  if (proto === 58 && src.af === 4) return undefined;
  return { action, af: src.af, proto, src, dst, sp: proto ? sp : ALL_PORTS, dp: proto ? dp : ALL_PORTS };
}

/** Named-port members of `ids` whose protocol the rule allows and whose address is on `side`. */
function namedMembers(ids: readonly string[], side: readonly Prefix[], protos: readonly number[], ipsets: IpSetLookup) {
  const found: { host: Prefix; proto: number; port: number }[] = [];
  for (const id of ids)
    for (const m of ipsets.members(id) ?? []) {
      if (m.kind !== 'ip-port' || !(protos.includes(m.proto) || protos[0] === 0)) continue;
      const host = memberPrefix(m);
      if (side.some((p) => prefixIntersect(p, host))) found.push({ host, proto: m.proto, port: m.port });
    }
  return found;
}

const AFS: Record<string, readonly Af[]> = { '4': [4], '6': [6], both: [4, 6] };
const ANY_PROTO: readonly number[] = [0];
const rangesOf = (list: readonly { first: number; last: number }[] | undefined): Range[] | undefined =>
  list?.length ? list.map((r) => [r.first, r.last] as const) : undefined;

function ruleMatchesAs(rule: Rule, ctx: LazyRuleContext, action: AclEntry['action']): AclEntry[] | undefined {
  const afs = AFS[rule.ipVersion ?? 'both']!;
  if (rule.notSrcNamedPortIpSets?.length || rule.notDstNamedPortIpSets?.length) {
    ruleIssue(
      ctx,
      'unsupported-negated-named-port',
      'notDstNamedPortIpSets',
      'negated named ports cannot be expressed in ACL rules',
    );
    return undefined;
  }
  const srcs = sideOf(afs, ctx.ipsets, rule.srcNets, rule.srcIpSets, rule.notSrcNets, rule.notSrcIpSets);
  const dsts = sideOf(afs, ctx.ipsets, rule.dstNets, rule.dstIpSets, rule.notDstNets, rule.notDstIpSets);

  // protocols
  let protos: readonly number[];
  const hasPorts = !!(
    rule.srcPorts?.length ||
    rule.dstPorts?.length ||
    rule.notSrcPorts?.length ||
    rule.notDstPorts?.length
  );
  if (rule.protocol !== undefined) protos = [rule.protocol];
  else if (hasPorts) protos = PORT_PROTOS;
  else if (rule.notProtocol !== undefined) protos = Array.from({ length: 255 }, (_, i) => i + 1);
  else protos = ANY_PROTO;
  if (rule.notProtocol !== undefined) protos = protos.filter((p) => p !== rule.notProtocol);

  // ports (or ICMP type/code, which the ACL plugin reads from the same fields)
  let sps: readonly Range[] = rangesOf(rule.srcPorts) ?? [ALL_PORTS];
  let dps: readonly Range[] = rangesOf(rule.dstPorts) ?? [ALL_PORTS];
  const notSps = rangesOf(rule.notSrcPorts);
  const notDps = rangesOf(rule.notDstPorts);
  if (notSps) sps = rangeSubtract(sps, notSps);
  if (notDps) dps = rangeSubtract(dps, notDps);
  if (rule.icmp) {
    sps = [[rule.icmp.type, rule.icmp.type]];
    dps = rule.icmp.code === undefined ? [[0, 255]] : [[rule.icmp.code, rule.icmp.code]];
    if (rule.protocol === undefined) protos = afs.map((af) => (af === 4 ? 1 : 58));
  }
  if (rule.notIcmp) {
    if (rule.notIcmp.code === undefined)
      sps = rangeSubtract(sps.length ? sps : [[0, 255]], [[rule.notIcmp.type, rule.notIcmp.type]]);
    else {
      ruleIssue(
        ctx,
        'unsupported-not-icmp-code',
        'notIcmp',
        'a negated ICMP type+code cannot be expressed in ACL rules',
      );
      return undefined;
    }
  }

  const out: AclEntry[] = [];
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
              const e = entryOf(action, proto, src, dst, sp, dp);
              if (e) out.push(e);
            }
  // named ports: (address, protocol, port) members, OR'd with the numeric ports of the same side
  if (dstNamed.length)
    for (const n of namedMembers(dstNamed, dsts, protos, ctx.ipsets))
      for (const src of srcs)
        for (const sp of sps) {
          const e = entryOf(action, n.proto, src, n.host, sp, [n.port, n.port]);
          if (e) out.push(e);
        }
  if (srcNamed.length)
    for (const n of namedMembers(srcNamed, srcs, protos, ctx.ipsets))
      for (const dst of dsts)
        for (const dp of dps) {
          const e = entryOf(action, n.proto, n.host, dst, [n.port, n.port], dp);
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

/** Matches everything of both families with `action` (a tier's end, a default). */
export function catchAll(action: AclEntry['action']): AclEntry[] {
  return [
    { action, af: 4, proto: 0, src: anyPrefix(4), dst: anyPrefix(4), sp: ALL_PORTS, dp: ALL_PORTS },
    { action, af: 6, proto: 0, src: anyPrefix(6), dst: anyPrefix(6), sp: ALL_PORTS, dp: ALL_PORTS },
  ];
}

/** One rule of a policy, compiled: `pass` keeps its match, to be intersected with what follows its tier. */
export interface CompiledRule {
  readonly action: 'reflect' | 'deny' | 'pass';
  readonly entries: readonly AclEntry[];
}

/** One direction of one policy (or profile), compiled once and kept until the policy or one of its ipsets changes. */
export interface CompiledPolicy {
  /**
   * With a pass rule: the expressible rules in order (`log` and unexpressible allow/pass rules left
   * out, fail closed). Without: empty, `entries` holds them.
   */
  readonly rules: readonly CompiledRule[];
  /** Whether the policy has a `pass` rule: then it cannot stand alone as an ACL (see {@link flattenGroup}). */
  readonly hasPass: boolean;
  /** The ipsets its rules refer to. */
  readonly ipsets: ReadonlySet<string>;
  /** Without `pass`: the policy as one ACL, its rules in order (first match). Empty when `hasPass`. */
  readonly entries: readonly AclEntry[];
}

/** The rule fields that name ipsets (what `ruleIpSetRefs` reads, without building its report). */
const IPSET_FIELDS = [
  'srcIpSets',
  'notSrcIpSets',
  'dstIpSets',
  'notDstIpSets',
  'srcNamedPortIpSets',
  'dstNamedPortIpSets',
  'notSrcNamedPortIpSets',
  'notDstNamedPortIpSets',
] as const;

/** Whether any rule is a `pass` (decides between a policy's own ACL and a flattened tier). */
export function hasPassRule(rules: readonly Rule[]): boolean {
  return rules.some((r) => r.action === 'pass');
}

/**
 * Compiles one direction of one policy: allow becomes permit+reflect, deny deny, `log` is left out; a rule
 * that cannot be expressed fails closed (an allow or pass is left out, a deny applies without the criterion).
 */
export function compilePolicy(id: string, rules: readonly Rule[], ctx: ChainCompileContext): CompiledPolicy {
  const out: CompiledRule[] = [];
  const ipsets = new Set<string>();
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    for (const f of IPSET_FIELDS) {
      const ids = rule[f];
      if (ids) for (const x of ids) ipsets.add(x);
    }
    const action = rule.action === 'allow' ? 'reflect' : 'deny';
    const m = ruleMatchesAs(
      rule,
      { object: ctx.object, path: () => `policy ${id}.rules[${i}]`, ipsets: ctx.ipsets, issue: ctx.issue },
      action,
    );
    if (m === undefined) {
      if (rule.action === 'deny')
        out.push({
          action: 'deny',
          entries: catchAll('deny').filter((e) => !rule.ipVersion || e.af === rule.ipVersion),
        });
      continue;
    }
    if (rule.action === 'log') continue;
    out.push({ action: rule.action === 'pass' ? 'pass' : action, entries: m });
  }
  const hasPass = hasPassRule(rules);
  let entries: AclEntry[] = [];
  if (!hasPass && out.length === 1) entries = out[0]!.entries as AclEntry[];
  else if (!hasPass) {
    // the policy's own ACL: its rules in order, less what an earlier any-to-any rule hides (repeats are harmless)
    const wide: AclEntry[] = [];
    for (const r of out)
      for (const e of r.entries) {
        if (wide.length && wide.some((w) => covers(w, e))) continue;
        entries.push(e);
        if (e.src.len === 0 && e.dst.len === 0) wide.push(e);
      }
  }
  // without a pass rule the entries say it all: the per-rule lists are not kept
  return { rules: hasPass ? out : [], hasPass, ipsets, entries };
}

/**
 * Flattens a group (a tier's policies in order, or one profile) into one first-match list: each rule's
 * entries in order, a `pass` rule's match intersected with `next` (what the packet meets after the group:
 * the rest of the chain, ending in a catch-all, so a passed packet is decided here), then `tail` (the
 * group's end: a tier's deny, or nothing when what follows is placed after this list).
 */
export function flattenGroup(
  policies: readonly Pick<CompiledPolicy, 'rules' | 'hasPass' | 'entries'>[],
  tail: readonly AclEntry[],
  next: readonly AclEntry[],
): AclEntry[] {
  const out: AclEntry[] = [];
  for (const p of policies) {
    if (!p.hasPass) {
      for (const e of p.entries) out.push(e);
      continue;
    }
    for (const r of p.rules) {
      if (r.action !== 'pass') {
        for (const e of r.entries) out.push(e);
        continue;
      }
      for (const a of r.entries)
        for (const t of next) {
          const x = intersectEntries(a, t, t.action);
          if (x) out.push(x);
        }
    }
  }
  for (const e of tail) out.push(e);
  return prune(out);
}

/** Whether an any-to-any entry `a` matches everything `b` matches. */
function covers(a: AclEntry, b: AclEntry): boolean {
  return (
    a.af === b.af &&
    (a.proto === 0 ||
      (a.proto === b.proto && a.sp[0] <= b.sp[0] && b.sp[1] <= a.sp[1] && a.dp[0] <= b.dp[0] && b.dp[1] <= a.dp[1]))
  );
}

/**
 * Drops entries that can never match: exact repeats, and entries an earlier any-to-any entry (both
 * prefixes /0, e.g. a tier's end) covers entirely. Linear: only /0-/0 entries are kept as coverers.
 */
export function prune(list: readonly AclEntry[]): AclEntry[] {
  const out: AclEntry[] = [];
  const seen = new Set<string>();
  const wide: AclEntry[] = [];
  for (const e of list) {
    if (wide.length && wide.some((w) => covers(w, e))) continue;
    const key = `${e.af}|${e.proto}|${e.src.addr}/${e.src.len}|${e.dst.addr}/${e.dst.len}|${e.sp[0]}-${e.sp[1]}|${e.dp[0]}-${e.dp[1]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
    if (e.src.len === 0 && e.dst.len === 0) wide.push(e);
  }
  return out;
}

/** Whether two lists are the same rules in the same order (change detection without serialising). */
export function sameEntries(a: readonly AclEntry[], b: readonly AclEntry[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (
      x.action !== y.action ||
      x.af !== y.af ||
      x.proto !== y.proto ||
      x.src.len !== y.src.len ||
      x.src.addr !== y.src.addr ||
      x.dst.len !== y.dst.len ||
      x.dst.addr !== y.dst.addr ||
      x.sp[0] !== y.sp[0] ||
      x.sp[1] !== y.sp[1] ||
      x.dp[0] !== y.dp[0] ||
      x.dp[1] !== y.dp[1]
    )
      return false;
  }
  return true;
}

/**
 * Flattens one endpoint direction into a single first-match ACL rule list (Calico semantics: tiers in
 * order, first matching rule of a tier's policies decides, `pass` jumps to the next tier, end of tier
 * denies unless the tier says pass; profiles only when no tier has a policy for this direction). The ACL
 * backend splits the same chain into shared per-policy ACLs; this single-list form is the reference
 * they are tested against, and what the backend falls back to where an interface would need more ACLs
 * than `acl_interface_set_acl_list` carries.
 */
export function compileChain(input: ChainInput, ctx: ChainCompileContext): AclEntry[] {
  const compiled = (p: { readonly id: string; readonly rules: readonly Rule[] }) => compilePolicy(p.id, p.rules, ctx);
  let tail = catchAll(input.defaultAction === 'permit' ? 'reflect' : 'deny');
  for (let i = input.profiles.length - 1; i >= 0; i--) tail = flattenGroup([compiled(input.profiles[i]!)], tail, tail);
  const tiers = input.tiers.filter((t) => t.policies.length > 0);
  let next = tail;
  for (let t = tiers.length - 1; t >= 0; t--) {
    const tier = tiers[t]!;
    next = flattenGroup(tier.policies.map(compiled), tier.defaultAction === 'pass' ? next : catchAll('deny'), next);
  }
  return prune([...input.prefix, ...next]);
}
