/**
 * The ACL-plugin backend (enforces on every released VPP).
 *
 * How VPP evaluates an interface's ACLs (checked in VPP 26.06, src/plugins/acl/):
 * - `acl_interface_set_acl_list` gives each interface an ordered input and output list of ACL indices
 *   (acl.c `acl_interface_set_inout_acl_list`; an ACL at most once per list: ENTRY_ALREADY_EXISTS -116
 *   inside, which the handler's `rv = rv || …` turns into retval 1; `count` and `n_input` are u8 in
 *   acl.api, so at most 255 ACLs per interface, both directions together).
 * - The datapath (dataplane_node.c) starts from `action = 0 /* deny by default *\/` and asks
 *   `acl_plugin_match_5tuple_inline` (public_inlines.h): the linear matcher walks the list's ACLs in order
 *   and each ACL's rules in order, the first matching rule anywhere decides (`linear_multi_acl_match_5tuple`);
 *   the hash matcher (the default) lays the applied rules out ACL after ACL (hash_lookup.c `hash_acl_apply`
 *   appends each ACL's rules at `base_offset`) and keeps the lowest matching position, i.e. the same
 *   first match across the concatenation. No match in a non-empty list = deny; an empty ACL matches
 *   nothing (acl_add_list accepts 0 rules with a warning).
 * - Replacing an applied ACL in place (`acl_add_replace` with its index) keeps the interfaces' sessions;
 *   changing an interface's *set* of ACLs clears its sessions (acl_clear_sessions, unless
 *   reclassify-sessions is on), and re-sending the same set does not.
 *
 * So an interface direction's chain is cut into **segments**, each one ACL, shared by every interface
 * whose chain contains it, and the interface's list is their concatenation:
 * - one ACL per policy (per direction), replaced in place when the policy or one of its ipsets changes;
 * - small shared ACLs: ICMPv6 ND permit first, deny-all (a tier's end, a deny default), reflect-all
 *   (an allow default, and the open direction of a half-restricted interface, so that it stays stateful);
 * - a tier (or a profile) with a `pass` rule cannot be concatenated (pass skips the rest of its tier): it
 *   is flattened into one ACL whose passed matches are intersected with the rest of the chain; that
 *   ACL is shared by interfaces whose tier and rest of the chain are the same;
 * - an interface whose lists would exceed 255 ACLs gets its longest direction merged into one ACL.
 * Allow rules are `permit+reflect` so replies to allowed connections pass. Interfaces get input = VPP rx
 * = from the pod (Calico egress), output = VPP tx = to the pod (Calico ingress); uplinks and tunnels
 * invert that. Every ACL carries a tag derived from what it is built from (a policy, a group), so that a
 * restarted agent adopts the ACLs and lists of the previous run (`acl_dump`, `acl_interface_list_dump`)
 * and sends nothing for what is unchanged.
 */
import type { acl_rule } from '@vectorplane/vpp-binapi';
import {
  catchAll,
  compilePolicy,
  flattenGroup,
  hasPassRule,
  ipSetPrefixes,
  prune,
  sameEntries,
  type AclEntry,
  type CompiledPolicy,
} from '../compile-acl.js';
import type { DirectionConfig, InterfaceConfig } from '../endpoints.js';
import { anyPrefix, formatPrefixCached, parsePrefix, type Prefix } from '../prefix.js';
import { type BackendContext, type PolicyBackend, vppCaller } from './backend.js';

const INDEX_NONE = 0xffffffff;
const ACTION: Record<AclEntry['action'], number> = { deny: 0, permit: 1, reflect: 2 };
/** `acl_interface_set_acl_list.count` is a u8: input and output lists together. */
export const MAX_ACLS_PER_INTERFACE = 255;
/** VPP requests in flight at once while programming. */
const CONCURRENCY = 64;

type Dir = 'ingress' | 'egress';

/** ICMPv6 neighbour discovery (types 133–136) always passes, or v6 would break under default deny. */
const ND: AclEntry[] = [
  { action: 'permit', af: 6, proto: 58, src: anyPrefix(6), dst: anyPrefix(6), sp: [133, 136], dp: [0, 255] },
];

const STATIC = {
  nd: { id: 's|nd', tag: 'nd', entries: ND },
  deny: { id: 's|deny-all', tag: 'deny-all', entries: catchAll('deny') },
  reflect: { id: 's|reflect-all', tag: 'reflect-all', entries: catchAll('reflect') },
} as const;

/** How a segment's rules are obtained. */
type SegmentSpec =
  | { readonly kind: 'static'; readonly entries: readonly AclEntry[] }
  | { readonly kind: 'policy'; readonly dir: Dir; readonly key: string }
  | {
      readonly kind: 'group';
      readonly dir: Dir;
      readonly keys: readonly string[];
      readonly end: 'deny' | 'fall';
      readonly rest: readonly string[];
    }
  | { readonly kind: 'merged'; readonly parts: readonly string[] };

interface Segment {
  readonly id: string;
  readonly tag: string;
  readonly spec: SegmentSpec;
  /** `dir|key` of every policy whose rules this segment's rules depend on. */
  readonly deps: readonly string[];
  /** The rules as compiled now (undefined: to compile). */
  current: readonly AclEntry[] | undefined;
  /** What VPP holds under `aclIndex`. */
  sent: readonly AclEntry[] | undefined;
  aclIndex: number | undefined;
  /** How many interface lists hold it (it is in VPP while this is above 0). */
  refs: number;
  /** How many group or merged segments are built from it (it is kept, not necessarily in VPP, while above 0). */
  holds: number;
}

interface InterfaceState {
  cfg: InterfaceConfig | undefined;
  input: string[];
  output: string[];
  /** `dir|key` of the policies its plan used (to re-plan when one gains or loses a pass rule). */
  keys: string[];
  /** What VPP holds: the indices, input first, and how many are input. */
  applied: { acls: number[]; nInput: number } | undefined;
}

export function toAclRule(e: AclEntry): acl_rule {
  return {
    is_permit: ACTION[e.action],
    src_prefix: formatPrefixCached(e.src),
    dst_prefix: formatPrefixCached(e.dst),
    proto: e.proto,
    srcport_or_icmptype_first: e.sp[0],
    srcport_or_icmptype_last: e.sp[1],
    dstport_or_icmpcode_first: e.dp[0],
    dstport_or_icmpcode_last: e.dp[1],
    tcp_flags_mask: 0,
    tcp_flags_value: 0,
  };
}

/** A rule read back from VPP as an entry (undefined when it is not one of ours: flags, bad prefix). */
function fromAclRule(r: acl_rule): AclEntry | undefined {
  const src = parsePrefix(r.src_prefix);
  const dst = parsePrefix(r.dst_prefix);
  const action = (['deny', 'permit', 'reflect'] as const)[r.is_permit];
  if (!src || !dst || !action || r.tcp_flags_mask || r.tcp_flags_value) return undefined;
  return {
    action,
    af: src.af,
    proto: r.proto,
    src,
    dst,
    sp: [r.srcport_or_icmptype_first, r.srcport_or_icmptype_last],
    dp: [r.dstport_or_icmpcode_first, r.dstport_or_icmpcode_last],
  };
}

async function each<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}

const sameList = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The tag of a segment's ACL: `<prefix>:nd`, `<prefix>:deny-all`, `<prefix>:reflect-all` for the shared
 * ones, else `<prefix>:<p|g|m>:<hash of what it is built from>` (p: one policy, g: a flattened group, m: merged).
 */
export function segmentTag(tagPrefix: string, id: string): string {
  return id.startsWith('s|') ? `${tagPrefix}:${id.slice(2)}` : `${tagPrefix}:${id[0]}:${hash64(id)}`;
}

/**
 * Two 32-bit multiplicative hashes of a string (FNV-1a and a murmur-style mix), 7+7 base-36 digits: far
 * cheaper than a crypto hash per ACL; a collision (~10^-12 among 10,000 ACLs) would only make one of
 * two ACLs miss adoption after a restart (it would be created anew; contents are always compared).
 */
function hash64(s: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return `${(a >>> 0).toString(36).padStart(7, '0')}${(b >>> 0).toString(36).padStart(7, '0')}`;
}

/** The tag of the ACL holding one direction (Calico's) of a policy (`policy:<id>`, `profile:<id>`, `builtin:<name>`). */
export function policyAclTag(tagPrefix: string, dir: 'ingress' | 'egress', key: string): string {
  return segmentTag(tagPrefix, `p|${dir}|${key}`);
}

export interface AclBackendInit {
  /** Prefix of the tag of every ACL we create (how a restart finds them). Default `vp-pol`. */
  readonly tagPrefix?: string;
}

/** What the ACL backend holds, for tests and diagnostics. */
export interface AclBackendView {
  /** Every ACL in use: its tag, VPP index, what kind of segment it is and how many interface lists hold it. */
  segments(): {
    tag: string;
    kind: SegmentSpec['kind'];
    aclIndex: number | undefined;
    refs: number;
    holds: number;
    rules: number;
  }[];
  /** The tags of an interface's input and output lists, in order. */
  lists(swIfIndex: number): { input: string[]; output: string[] } | undefined;
}

export function createAclBackend(ctx: BackendContext, init: AclBackendInit = {}): PolicyBackend & AclBackendView {
  const call = vppCaller(ctx);
  const tagPrefix = init.tagPrefix ?? 'vp-pol';
  const segments = new Map<string, Segment>();
  /** `dir|key` → the segments whose rules depend on that policy direction. */
  const dependents = new Map<string, Set<string>>();
  /** `dir|key` → compiled rules (kept until the policy or one of its ipsets changes). */
  const compiled = new Map<string, CompiledPolicy>();
  /** ipset id → its members as normalised prefixes (dropped when the set changes). */
  const setPrefixes = new Map<string, readonly Prefix[]>();
  const ipsetLookup = {
    members: (id: string) => {
      const s = ctx.ipset(id);
      return s ? [...s.members.values()] : undefined;
    },
    prefixes: (id: string) => {
      let p = setPrefixes.get(id);
      if (!p) setPrefixes.set(id, (p = ipSetPrefixes(ctx.ipset(id)?.members.values() ?? [])));
      return p;
    },
  };
  /** ipset id → the `dir|key` compiled with it. */
  const ipsetUsers = new Map<string, Set<string>>();
  /** `dir|key` → whether the plans were made with a pass rule in it. */
  const planPass = new Map<string, boolean>();
  /** `dir|key` → interfaces whose plan reads it. */
  const keyUsers = new Map<string, Set<number>>();
  const interfaces = new Map<number, InterfaceState>();
  const dirtyInterfaces = new Set<number>();
  /** ACLs of ours found in VPP at start, by tag, not adopted yet. */
  const orphans = new Map<string, { index: number; rules: readonly acl_rule[] }>();
  /** Lists found in VPP at start on interfaces that hold one of our ACLs. */
  const foreignLists = new Map<number, { acls: number[]; nInput: number }>();

  const tagOf = (id: string) => segmentTag(tagPrefix, id);

  const rulesOf = (dir: Dir, key: string) => {
    const p = ctx.policy(key);
    return p ? (dir === 'ingress' ? p.inbound : p.outbound) : [];
  };

  function compiledOf(dk: string): CompiledPolicy {
    let c = compiled.get(dk);
    if (c) return c;
    const bar = dk.indexOf('|');
    const dir = dk.slice(0, bar) as Dir;
    const key = dk.slice(bar + 1);
    c = compilePolicy(key, rulesOf(dir, key), {
      object: `${key} (${dir})`,
      ipsets: ipsetLookup,
      issue: ctx.issue,
    });
    compiled.set(dk, c);
    for (const id of c.ipsets) {
      let u = ipsetUsers.get(id);
      if (!u) ipsetUsers.set(id, (u = new Set()));
      u.add(dk);
    }
    return c;
  }

  /** A policy direction changed (or an ipset it uses): its compiled rules and every segment built on them are stale. */
  function invalidate(dk: string) {
    const c = compiled.get(dk);
    if (c) {
      compiled.delete(dk);
      for (const id of c.ipsets) ipsetUsers.get(id)?.delete(dk);
    }
    for (const id of dependents.get(dk) ?? []) segments.get(id)!.current = undefined;
  }

  const partsOf = (spec: SegmentSpec): readonly string[] =>
    spec.kind === 'group' ? spec.rest : spec.kind === 'merged' ? spec.parts : [];

  function segment(id: string, spec: SegmentSpec, deps: readonly string[]): string {
    if (segments.has(id)) return id;
    segments.set(id, {
      id,
      tag: tagOf(id),
      spec,
      deps,
      current: undefined,
      sent: undefined,
      aclIndex: undefined,
      refs: 0,
      holds: 0,
    });
    for (const part of partsOf(spec)) segments.get(part)!.holds++;
    for (const d of deps) {
      let s = dependents.get(d);
      if (!s) dependents.set(d, (s = new Set()));
      s.add(id);
    }
    return id;
  }
  const staticSegment = (s: (typeof STATIC)[keyof typeof STATIC]) =>
    segment(s.id, { kind: 'static', entries: s.entries }, []);
  const policySegment = (dir: Dir, key: string) =>
    segment(`p|${dir}|${key}`, { kind: 'policy', dir, key }, [`${dir}|${key}`]);
  const depsOf = (ids: readonly string[]) => ids.flatMap((i) => segments.get(i)!.deps);
  function groupSegment(dir: Dir, keys: readonly string[], end: 'deny' | 'fall', rest: readonly string[]) {
    const id = `g|${dir}|${end}|${keys.join(',')}|${rest.join(',')}`;
    return segment(id, { kind: 'group', dir, keys, end, rest }, [
      ...new Set([...keys.map((k) => `${dir}|${k}`), ...depsOf(rest)]),
    ]);
  }
  function mergedSegment(parts: readonly string[]) {
    return segment(`m|${parts.join(',')}`, { kind: 'merged', parts }, [...new Set(depsOf(parts))]);
  }

  /** The rules a segment holds now (compiled on demand; group segments read the rest of their chain). */
  function entriesOf(seg: Segment): readonly AclEntry[] {
    if (seg.current) return seg.current;
    const { spec } = seg;
    let out: readonly AclEntry[];
    switch (spec.kind) {
      case 'static':
        out = spec.entries;
        break;
      case 'policy':
        out = compiledOf(`${spec.dir}|${spec.key}`).entries;
        break;
      case 'group': {
        const next: AclEntry[] = [];
        for (const r of spec.rest) for (const e of entriesOf(segments.get(r)!)) next.push(e);
        const ps = spec.keys.map((k) => compiledOf(`${spec.dir}|${k}`));
        out = flattenGroup(ps, spec.end === 'deny' ? catchAll('deny') : [], next);
        break;
      }
      case 'merged': {
        const all: AclEntry[] = [];
        for (const r of spec.parts) for (const e of entriesOf(segments.get(r)!)) all.push(e);
        out = prune(all);
        break;
      }
    }
    seg.current = out;
    return out;
  }

  // ---- planning: one interface direction as a list of segments ------------------------------------
  const isOpen = (d: DirectionConfig) => d.tiers.length === 0 && d.policyDefault === 'allow';

  /** Whether the policy direction has a pass rule, remembered (with who asked) to re-plan when that changes. */
  function passOf(dir: Dir, key: string, keys: string[]): boolean {
    const dk = `${dir}|${key}`;
    keys.push(dk);
    const v = hasPassRule(rulesOf(dir, key));
    planPass.set(dk, v);
    return v;
  }

  /** One group (a tier's policies, or one profile) in front of `rest`, the segments that follow it. */
  function planGroup(dir: Dir, ks: readonly string[], end: 'deny' | 'fall', rest: string[], keys: string[]): string[] {
    let passes = false;
    for (const k of ks) if (passOf(dir, k, keys)) passes = true;
    if (passes) {
      const g = groupSegment(dir, ks, end, rest);
      return end === 'deny' ? [g] : [g, ...rest];
    }
    const out: string[] = [];
    for (const k of ks) out.push(policySegment(dir, k));
    // after a tier's end (deny all) nothing is reached: later tiers only through pass rules, flattened above
    if (end === 'deny') out.push(staticSegment(STATIC.deny));
    else for (const r of rest) out.push(r);
    return out;
  }

  function planDirection(dir: Dir, d: DirectionConfig | 'reflect-all', profiles: readonly string[], keys: string[]) {
    if (d === 'reflect-all') return [staticSegment(STATIC.reflect)];
    if (d.tiers.length === 0 && d.policyDefault !== 'pass')
      return [staticSegment(STATIC.nd), staticSegment(d.policyDefault === 'allow' ? STATIC.reflect : STATIC.deny)];
    const tiers = d.tiers.filter((t) => t.policies.length > 0);
    const reachProfiles =
      tiers.length === 0 ? d.policyDefault === 'pass' : tiers[tiers.length - 1]!.defaultAction === 'pass';
    // built from the end: each group needs what follows it
    let rest = [staticSegment(d.profileDefault === 'allow' ? STATIC.reflect : STATIC.deny)];
    if (reachProfiles)
      for (let i = profiles.length - 1; i >= 0; i--) rest = planGroup(dir, [profiles[i]!], 'fall', rest, keys);
    for (let t = tiers.length - 1; t >= 0; t--) {
      const tier = tiers[t]!;
      rest = planGroup(dir, tier.policies, tier.defaultAction === 'pass' ? 'fall' : 'deny', rest, keys);
    }
    // a repeated ACL is refused by VPP and could not match anything its first occurrence did not
    const out = [staticSegment(STATIC.nd)];
    const seen = new Set(out);
    for (const id of rest) {
      if (seen.has(id)) continue;
      out.push(id);
      seen.add(id);
    }
    return out;
  }

  function plan(sw: number) {
    const itf = interfaces.get(sw)!;
    const cfg = itf.cfg;
    let input: string[] = [];
    let output: string[] = [];
    const keys: string[] = [];
    if (cfg) {
      const inDir = cfg.invert ? cfg.ingress : cfg.egress; // VPP rx
      const outDir = cfg.invert ? cfg.egress : cfg.ingress; // VPP tx
      const inCalico: Dir = cfg.invert ? 'ingress' : 'egress';
      const outCalico: Dir = cfg.invert ? 'egress' : 'ingress';
      if (!(isOpen(inDir) && isOpen(outDir))) {
        input = planDirection(inCalico, isOpen(inDir) ? 'reflect-all' : inDir, cfg.profiles, keys);
        output = planDirection(outCalico, isOpen(outDir) ? 'reflect-all' : outDir, cfg.profiles, keys);
        // acl_interface_set_acl_list carries at most 255: merge the longer direction into one ACL
        while (input.length + output.length > MAX_ACLS_PER_INTERFACE) {
          if (input.length >= output.length) input = [mergedSegment(input)];
          else output = [mergedSegment(output)];
        }
      }
    }
    for (const id of [...input, ...output]) segments.get(id)!.refs++;
    for (const id of [...itf.input, ...itf.output]) segments.get(id)!.refs--;
    for (const dk of itf.keys) keyUsers.get(dk)?.delete(sw);
    for (const dk of keys) {
      let u = keyUsers.get(dk);
      if (!u) keyUsers.set(dk, (u = new Set()));
      u.add(sw);
    }
    itf.input = input;
    itf.output = output;
    itf.keys = keys;
  }

  function policyChanged(key: string) {
    for (const dir of ['ingress', 'egress'] as const) {
      const dk = `${dir}|${key}`;
      invalidate(dk);
      // gaining or losing a pass rule changes how the chains that use it are cut
      const was = planPass.get(dk);
      if (was !== undefined && was !== hasPassRule(rulesOf(dir, key)))
        for (const sw of keyUsers.get(dk) ?? []) dirtyInterfaces.add(sw);
    }
  }

  /** Forgets a segment nobody holds (not in VPP any more), and the parts only it held. */
  function dropSegment(seg: Segment) {
    segments.delete(seg.id);
    for (const part of partsOf(seg.spec)) {
      const p = segments.get(part)!;
      p.holds--;
      if (p.refs <= 0 && p.holds <= 0 && p.aclIndex === undefined) dropSegment(p);
    }
    for (const d of seg.deps) {
      const s = dependents.get(d);
      s?.delete(seg.id);
      if (s?.size === 0) {
        dependents.delete(d);
        const c = compiled.get(d);
        if (c) {
          compiled.delete(d);
          for (const id of c.ipsets) ipsetUsers.get(id)?.delete(d);
        }
      }
    }
  }

  /** Sends the segments in use that VPP lacks or holds stale, then the lists of `sws` that differ. */
  async function sendAndApply(sws: readonly number[], pending: Set<number>, signal: AbortSignal | undefined) {
    // 2. segments in use whose rules are stale or not in VPP: compile, and send only what differs
    const todo: Segment[] = [];
    for (const seg of segments.values()) {
      if (seg.refs <= 0 || (seg.aclIndex !== undefined && seg.current && seg.current === seg.sent)) continue;
      const entries = entriesOf(seg);
      if (seg.aclIndex !== undefined && seg.sent && sameEntries(entries, seg.sent)) continue;
      if (seg.aclIndex === undefined) {
        const found = orphans.get(seg.tag);
        if (found) {
          orphans.delete(seg.tag);
          seg.aclIndex = found.index;
          const had = found.rules.map(fromAclRule);
          if (had.every((e) => e !== undefined) && sameEntries(entries, had as AclEntry[])) {
            seg.sent = entries; // adopted as it is
            continue;
          }
        }
      }
      todo.push(seg);
    }
    await each(todo, async (seg) => {
      const entries = seg.current!;
      const r = await call(
        'acl_add_replace',
        { acl_index: seg.aclIndex ?? INDEX_NONE, tag: seg.tag, r: entries.map(toAclRule) },
        seg.tag,
        signal,
      );
      seg.aclIndex = r.acl_index;
      seg.sent = entries;
    });
    // 3. interface lists that differ from what VPP holds
    await each(sws, async (sw) => {
      const itf = interfaces.get(sw)!;
      const acls = [...itf.input, ...itf.output].map((id) => segments.get(id)!.aclIndex!);
      const nInput = itf.input.length;
      const same = itf.applied && itf.applied.nInput === nInput && sameList(itf.applied.acls, acls);
      if (!same && (itf.applied || acls.length)) {
        await call('acl_interface_set_acl_list', { sw_if_index: sw, n_input: nInput, acls }, `interface ${sw}`, signal);
      }
      itf.applied = { acls, nInput };
      pending.delete(sw);
      foreignLists.delete(sw);
      if (!itf.cfg) interfaces.delete(sw);
    });
  }

  return {
    kind: 'acl',
    async start(signal) {
      for await (const d of ctx.vpp.dump('acl_dump', { acl_index: INDEX_NONE }, signal ? { signal } : {})) {
        ctx.count('acl_dump');
        if (!d.tag.startsWith(`${tagPrefix}:`)) continue;
        // a second ACL with the same tag (a run that stopped half-way) is only deleted, never adopted
        orphans.set(orphans.has(d.tag) ? `${d.tag}#${d.acl_index}` : d.tag, { index: d.acl_index, rules: d.r });
      }
      const ours = new Set([...orphans.values()].map((o) => o.index));
      for await (const d of ctx.vpp.dump(
        'acl_interface_list_dump',
        { sw_if_index: INDEX_NONE },
        signal ? { signal } : {},
      )) {
        if (d.acls.some((a) => ours.has(a))) foreignLists.set(d.sw_if_index, { acls: [...d.acls], nInput: d.n_input });
      }
    },
    async ipsetUpsert(id) {
      setPrefixes.delete(id);
      for (const dk of [...(ipsetUsers.get(id) ?? [])]) invalidate(dk);
    },
    async ipsetRemove(id) {
      setPrefixes.delete(id);
      for (const dk of [...(ipsetUsers.get(id) ?? [])]) invalidate(dk);
    },
    async policyUpsert(key) {
      policyChanged(key);
    },
    async policyRemove(key) {
      policyChanged(key);
    },
    async interfaceUpsert(cfg) {
      const prev = interfaces.get(cfg.swIfIndex);
      if (prev) prev.cfg = cfg;
      else
        interfaces.set(cfg.swIfIndex, {
          cfg,
          input: [],
          output: [],
          keys: [],
          applied: foreignLists.get(cfg.swIfIndex),
        });
      dirtyInterfaces.add(cfg.swIfIndex);
    },
    async interfaceRemove(sw) {
      const prev = interfaces.get(sw);
      if (!prev) return;
      prev.cfg = undefined;
      dirtyInterfaces.add(sw);
    },
    async flush(signal) {
      // 1. interfaces whose configuration changed: their lists as segments (new segments are created)
      const sws = [...dirtyInterfaces];
      dirtyInterfaces.clear();
      for (const sw of sws) plan(sw);
      // a failure below leaves these to the next flush (planning them again gives the same lists)
      const pending = new Set(sws);
      try {
        await sendAndApply(sws, pending, signal);
      } finally {
        for (const sw of pending) dirtyInterfaces.add(sw);
      }
      // 4. ACLs no list uses any more (a segment other segments are built from stays known)
      const unused = [...segments.values()].filter((s) => s.refs <= 0);
      await each(unused, async (seg) => {
        if (seg.aclIndex !== undefined) await call('acl_del', { acl_index: seg.aclIndex }, seg.tag, signal);
        seg.aclIndex = undefined;
        seg.sent = undefined;
      });
      for (const seg of unused) if (seg.holds <= 0 && segments.has(seg.id)) dropSegment(seg);
    },
    async finishResync(signal) {
      // interfaces that carried our lists from a previous run and are not configured now
      for (const sw of foreignLists.keys())
        await call('acl_interface_set_acl_list', { sw_if_index: sw, n_input: 0, acls: [] }, `interface ${sw}`, signal);
      foreignLists.clear();
      for (const [tag, o] of orphans) await call('acl_del', { acl_index: o.index }, tag, signal);
      orphans.clear();
    },
    forget() {
      segments.clear();
      dependents.clear();
      compiled.clear();
      setPrefixes.clear();
      ipsetUsers.clear();
      planPass.clear();
      keyUsers.clear();
      interfaces.clear();
      dirtyInterfaces.clear();
      orphans.clear();
      foreignLists.clear();
    },
    has(key) {
      return !!(keyUsers.get(`ingress|${key}`)?.size || keyUsers.get(`egress|${key}`)?.size);
    },
    segments() {
      return [...segments.values()].map((s) => ({
        tag: s.tag,
        kind: s.spec.kind,
        aclIndex: s.aclIndex,
        refs: s.refs,
        holds: s.holds,
        rules: s.sent?.length ?? 0,
      }));
    },
    lists(sw) {
      const itf = interfaces.get(sw);
      if (!itf) return undefined;
      const tag = (id: string) => segments.get(id)!.tag;
      return { input: itf.input.map(tag), output: itf.output.map(tag) };
    },
  };
}
