/**
 * The ACL-plugin backend (enforces on every released VPP). Each (endpoint direction) shape — its tiers,
 * policies and profiles — is flattened into one first-match ACL (`acl_add_replace`), shared by every
 * interface with that shape, and replaced in place when a policy or an ipset it uses changes.
 * Interfaces get `acl_interface_set_acl_list` (input = VPP rx = from the pod, output = to the pod).
 * Allow rules are `permit+reflect` so replies to allowed connections pass; when only one direction
 * is restricted the other gets a reflect-all list so that it stays stateful.
 */
import { createHash } from 'node:crypto';
import type { acl_rule } from '@vectorplane/vpp-binapi';
import { compileChain, type AclEntry, type ChainInput } from '../compile-acl.js';
import type { DirectionConfig } from '../endpoints.js';
import { ruleIpSetRefs } from '../model.js';
import { anyPrefix, formatPrefix } from '../prefix.js';
import { type BackendContext, type PolicyBackend, vppCaller } from './backend.js';

const INDEX_NONE = 0xffffffff;
const ACTION: Record<AclEntry['action'], number> = { deny: 0, permit: 1, reflect: 2 };

/** ICMPv6 neighbour discovery (types 133–136) always passes, or v6 would break under default deny. */
const ND: AclEntry[] = [
  { action: 'permit', af: 6, proto: 58, src: anyPrefix(6), dst: anyPrefix(6), sp: [133, 136], dp: [0, 255] },
];

interface Shape {
  readonly calicoDir: 'ingress' | 'egress';
  readonly dir: DirectionConfig | 'reflect-all';
  readonly profiles: readonly string[];
}

interface Chain {
  readonly signature: string;
  readonly tag: string;
  readonly shape: Shape;
  aclIndex: number | undefined;
  json: string | undefined;
  dirty: boolean;
  deps: Set<string>;
  ipsetDeps: Set<string>;
  refs: Set<string>;
}

export function toAclRule(e: AclEntry): acl_rule {
  return {
    is_permit: ACTION[e.action],
    src_prefix: formatPrefix(e.src),
    dst_prefix: formatPrefix(e.dst),
    proto: e.proto,
    srcport_or_icmptype_first: e.sp[0],
    srcport_or_icmptype_last: e.sp[1],
    dstport_or_icmpcode_first: e.dp[0],
    dstport_or_icmpcode_last: e.dp[1],
    tcp_flags_mask: 0,
    tcp_flags_value: 0,
  };
}

export interface AclBackendInit {
  /** Prefix of the tag of every ACL we create (how a restart finds them). Default `vp-pol`. */
  readonly tagPrefix?: string;
}

export function createAclBackend(ctx: BackendContext, init: AclBackendInit = {}): PolicyBackend {
  const call = vppCaller(ctx);
  const tagPrefix = init.tagPrefix ?? 'vp-pol';
  const chains = new Map<string, Chain>();
  const interfaces = new Map<
    number,
    { input: string | undefined; output: string | undefined; applied: string | undefined }
  >();
  const dirtyInterfaces = new Set<number>();
  const orphans = new Map<string, number>();
  const foreignLists = new Map<number, number[]>();

  const policyKeysOf = (shape: Shape): string[] => {
    if (shape.dir === 'reflect-all') return [];
    const keys = shape.dir.tiers.flatMap((t) => t.policies);
    return [...keys, ...shape.profiles];
  };

  function chainFor(shape: Shape): string {
    const signature = JSON.stringify(shape);
    if (!chains.has(signature)) {
      const tag = `${tagPrefix}:${createHash('sha256').update(signature).digest('base64url').slice(0, 32)}`;
      chains.set(signature, {
        signature,
        tag,
        shape,
        aclIndex: undefined,
        json: undefined,
        dirty: true,
        deps: new Set(policyKeysOf(shape)),
        ipsetDeps: new Set(),
        refs: new Set(),
      });
    }
    return signature;
  }

  function compile(chain: Chain): AclEntry[] {
    const { shape } = chain;
    if (shape.dir === 'reflect-all') {
      return [
        { action: 'reflect', af: 4, proto: 0, src: anyPrefix(4), dst: anyPrefix(4), sp: [0, 65535], dp: [0, 65535] },
        { action: 'reflect', af: 6, proto: 0, src: anyPrefix(6), dst: anyPrefix(6), sp: [0, 65535], dp: [0, 65535] },
      ];
    }
    const dir = shape.dir;
    const rulesOf = (key: string) => {
      const p = ctx.policy(key);
      const rules = p ? (shape.calicoDir === 'ingress' ? p.inbound : p.outbound) : [];
      for (const r of rules) for (const ref of ruleIpSetRefs(r)) chain.ipsetDeps.add(ref.id);
      return { id: key, rules };
    };
    chain.ipsetDeps.clear();
    const reachProfiles =
      dir.tiers.length === 0 ? dir.policyDefault === 'pass' : dir.tiers[dir.tiers.length - 1]!.defaultAction === 'pass';
    let input: ChainInput;
    if (dir.tiers.length === 0 && dir.policyDefault !== 'pass') {
      input = { tiers: [], profiles: [], prefix: ND, defaultAction: dir.policyDefault === 'allow' ? 'permit' : 'deny' };
    } else {
      input = {
        tiers: dir.tiers.map((t) => ({ policies: t.policies.map(rulesOf), defaultAction: t.defaultAction })),
        profiles: reachProfiles ? shape.profiles.map(rulesOf) : [],
        prefix: ND,
        defaultAction: dir.profileDefault === 'allow' ? 'permit' : 'deny',
      };
    }
    return compileChain(input, {
      object: `${shape.calicoDir} list ${chain.tag}`,
      ipsets: {
        members: (id) => {
          const s = ctx.ipset(id);
          return s ? [...s.members.values()] : undefined;
        },
      },
      issue: ctx.issue,
    });
  }

  const isOpen = (d: DirectionConfig) => d.tiers.length === 0 && d.policyDefault === 'allow';

  function unref(sig: string | undefined, ref: string) {
    if (sig) chains.get(sig)?.refs.delete(ref);
  }

  return {
    kind: 'acl',
    async start(signal) {
      for await (const d of ctx.vpp.dump('acl_dump', { acl_index: INDEX_NONE }, signal ? { signal } : {})) {
        ctx.count('acl_dump');
        if (d.tag.startsWith(`${tagPrefix}:`)) orphans.set(d.tag, d.acl_index);
      }
      const ours = new Set(orphans.values());
      for await (const d of ctx.vpp.dump(
        'acl_interface_list_dump',
        { sw_if_index: INDEX_NONE },
        signal ? { signal } : {},
      )) {
        if (d.acls.some((a) => ours.has(a))) foreignLists.set(d.sw_if_index, d.acls);
      }
    },
    async ipsetUpsert(id) {
      for (const c of chains.values()) if (c.ipsetDeps.has(id)) c.dirty = true;
    },
    async ipsetRemove(id) {
      for (const c of chains.values()) if (c.ipsetDeps.has(id)) c.dirty = true;
    },
    async policyUpsert(key) {
      for (const c of chains.values()) if (c.deps.has(key)) c.dirty = true;
    },
    async policyRemove(key) {
      for (const c of chains.values()) if (c.deps.has(key)) c.dirty = true;
    },
    async interfaceUpsert(cfg) {
      const inDir = cfg.invert ? cfg.ingress : cfg.egress; // VPP rx
      const outDir = cfg.invert ? cfg.egress : cfg.ingress; // VPP tx
      const inCalico = cfg.invert ? 'ingress' : 'egress';
      const outCalico = cfg.invert ? 'egress' : 'ingress';
      let input: string | undefined;
      let output: string | undefined;
      if (!(isOpen(inDir) && isOpen(outDir))) {
        input = chainFor({ calicoDir: inCalico, dir: isOpen(inDir) ? 'reflect-all' : inDir, profiles: cfg.profiles });
        output = chainFor({
          calicoDir: outCalico,
          dir: isOpen(outDir) ? 'reflect-all' : outDir,
          profiles: cfg.profiles,
        });
      }
      const prev = interfaces.get(cfg.swIfIndex);
      if (prev && prev.input === input && prev.output === output) return;
      unref(prev?.input, `${cfg.swIfIndex}:in`);
      unref(prev?.output, `${cfg.swIfIndex}:out`);
      if (input) chains.get(input)!.refs.add(`${cfg.swIfIndex}:in`);
      if (output) chains.get(output)!.refs.add(`${cfg.swIfIndex}:out`);
      interfaces.set(cfg.swIfIndex, { input, output, applied: prev?.applied });
      dirtyInterfaces.add(cfg.swIfIndex);
    },
    async interfaceRemove(sw) {
      const prev = interfaces.get(sw);
      if (!prev) return;
      unref(prev.input, `${sw}:in`);
      unref(prev.output, `${sw}:out`);
      interfaces.set(sw, { input: undefined, output: undefined, applied: prev.applied });
      dirtyInterfaces.add(sw);
    },
    async flush(signal) {
      // 1. lists that are used: (re)compile and replace in place (pipelined)
      const todo = [...chains.values()].filter((c) => c.refs.size > 0 && c.dirty);
      await Promise.all(
        todo.map(async (c) => {
          const entries = compile(c);
          c.dirty = false;
          const rules = entries.map(toAclRule);
          const json = JSON.stringify(rules);
          if (c.aclIndex !== undefined && c.json === json) return;
          const index = c.aclIndex ?? orphans.get(c.tag) ?? INDEX_NONE;
          orphans.delete(c.tag);
          const r = await call('acl_add_replace', { acl_index: index, tag: c.tag, r: rules }, c.tag, signal);
          c.aclIndex = r.acl_index;
          c.json = json;
        }),
      );
      // 2. interfaces
      const sws = [...dirtyInterfaces];
      dirtyInterfaces.clear();
      await Promise.all(
        sws.map(async (sw) => {
          const itf = interfaces.get(sw)!;
          const input = itf.input ? chains.get(itf.input)!.aclIndex : undefined;
          const output = itf.output ? chains.get(itf.output)!.aclIndex : undefined;
          const acls = [...(input === undefined ? [] : [input]), ...(output === undefined ? [] : [output])];
          const req = { sw_if_index: sw, n_input: input === undefined ? 0 : 1, acls };
          const json = JSON.stringify(req);
          if (itf.applied !== json) {
            await call('acl_interface_set_acl_list', req, `interface ${sw}`, signal);
            itf.applied = json;
          }
          foreignLists.delete(sw);
          if (!itf.input && !itf.output) interfaces.delete(sw);
        }),
      );
      // 3. lists nobody uses any more
      for (const [sig, c] of chains) {
        if (c.refs.size > 0) continue;
        chains.delete(sig);
        if (c.aclIndex !== undefined) await call('acl_del', { acl_index: c.aclIndex }, c.tag, signal);
      }
    },
    async finishResync(signal) {
      // interfaces that carried our lists from a previous run and are not configured now
      for (const sw of foreignLists.keys())
        await call('acl_interface_set_acl_list', { sw_if_index: sw, n_input: 0, acls: [] }, `interface ${sw}`, signal);
      foreignLists.clear();
      for (const [tag, index] of orphans) await call('acl_del', { acl_index: index }, tag, signal);
      orphans.clear();
    },
    forget() {
      chains.clear();
      interfaces.clear();
      dirtyInterfaces.clear();
      orphans.clear();
      foreignLists.clear();
    },
    has(key) {
      return [...chains.values()].some((c) => c.deps.has(key));
    },
  };
}
