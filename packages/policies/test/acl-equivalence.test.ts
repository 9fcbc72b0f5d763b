/**
 * The ACL backend cuts each chain into shared ACLs; the reference is the single flattened first-match
 * list of the same chain (compileChain, the form the backend had before). For random tiers (pass rules,
 * tiers that pass by default), profiles, ipsets, v4 and v6, every packet must get the same verdict from
 * the fake VPP's ACL plugin (first match across the interface's list) as from the reference list, after
 * the first programming and after random policy and ipset changes.
 */
import { describe, expect, test } from 'vitest';
import { seededRandom } from '@vectorplane/vpp-binapi/testing';
import { compileChain, type AclEntry, type ChainInput } from '../src/compile-acl.js';
import { BUILTIN, builtinPolicies, workloadConfigs, type DirectionConfig } from '../src/endpoints.js';
import { parseMember, type IpSet, type Policy, type Rule, type Tier, type WorkloadEndpoint } from '../src/model.js';
import { anyPrefix, parseAddress, prefixContainsAddress } from '../src/prefix.js';
import type { PolicyChange } from '../src/types.js';
import { policyEnv, type PolicyEnv } from './helpers/env.js';

const HOST = '192.168.0.1';

/** Random choices from a seed, so that a failure can be replayed. */
function rng(seed: number) {
  const next = seededRandom(seed);
  return {
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}
type Rng = ReturnType<typeof rng>;

const NETS = ['10.1.0.0/16', '10.1.2.0/24', '10.2.0.0/16', '10.0.0.0/8', 'fd00:1::/64', 'fd00::/16'];
const SETS = ['s1', 's2'];
const SOURCES = ['10.1.0.5', '10.1.2.3', '10.2.0.1', '10.3.3.3', HOST, 'fd00:1::5', 'fd00:2::9'];
const PORTS = [22, 53, 80, 443, 1500, 8080];

function randomRule(r: Rng, profile: boolean): Rule {
  const action = r.pick(
    profile ? (['allow', 'deny', 'pass'] as const) : (['allow', 'allow', 'deny', 'pass', 'log'] as const),
  );
  const rule: { -readonly [K in keyof Rule]: Rule[K] } = { action };
  if (r.chance(0.5)) rule.protocol = r.pick([6, 17]);
  if (r.chance(0.4)) rule.srcNets = [r.pick(NETS)];
  if (r.chance(0.15)) rule.notSrcNets = [r.pick(NETS)];
  if (r.chance(0.3)) rule.srcIpSets = [r.pick(SETS)];
  if (r.chance(0.1)) rule.notSrcIpSets = [r.pick(SETS)];
  if (r.chance(0.5)) {
    const p = r.pick(PORTS);
    rule.dstPorts = [r.chance(0.7) ? { first: p, last: p } : { first: p, last: p + 1000 }];
  }
  if (r.chance(0.1)) rule.notDstPorts = [{ first: 22, last: 22 }];
  if (r.chance(0.1)) rule.ipVersion = r.pick([4, 6] as const);
  return rule;
}

function randomPolicy(r: Rng, profile = false): Policy {
  const rules = (n: number) => Array.from({ length: n }, () => randomRule(r, profile));
  return { inbound: rules(r.int(4)), outbound: rules(r.int(3)) };
}

const randomSet = (r: Rng): IpSet => ({
  type: 'net',
  members: [
    ...new Set(
      Array.from({ length: 1 + r.int(3) }, () =>
        r.pick(['10.1.0.0/24', '10.1.2.3', '10.2.0.0/15', '10.3.3.3', 'fd00:2::/32']),
      ),
    ),
  ],
});

function randomEndpoint(r: Rng, sw: number, addr: string, policies: string[], profiles: string[]): WorkloadEndpoint {
  const tiers: Tier[] = Array.from({ length: r.int(4) }, (_, i) => ({
    name: `t${i}`,
    ingress: policies.filter(() => r.chance(0.3)),
    egress: policies.filter(() => r.chance(0.2)),
    ...(r.chance(0.3) ? { defaultAction: 'pass' as const } : {}),
  }));
  return { swIfIndexes: [sw], addresses: [addr], tiers, profiles: profiles.filter(() => r.chance(0.5)) };
}

/** First match over one list; no match denies. */
function allowedBy(list: readonly AclEntry[], src: string, dst: string, proto: number, sport: number, dport: number) {
  const s = parseAddress(src)!;
  const d = parseAddress(dst)!;
  for (const e of list) {
    if (e.af !== s.af || !prefixContainsAddress(e.src, s.af, s.addr) || !prefixContainsAddress(e.dst, d.af, d.addr))
      continue;
    if (e.proto && (e.proto !== proto || sport < e.sp[0] || sport > e.sp[1] || dport < e.dp[0] || dport > e.dp[1]))
      continue;
    return e.action !== 'deny';
  }
  return false;
}

const ND: AclEntry[] = [
  { action: 'permit', af: 6, proto: 58, src: anyPrefix(6), dst: anyPrefix(6), sp: [133, 136], dp: [0, 255] },
];

interface Model {
  ipsets: Map<string, IpSet>;
  policies: Map<string, Policy>;
  profiles: Map<string, Policy>;
}

/** The reference: one endpoint direction flattened into one list (what the one-list-per-shape backend sent). */
function reference(m: Model, dir: 'ingress' | 'egress', d: DirectionConfig, profiles: readonly string[]): AclEntry[] {
  const builtins = builtinPolicies({ hostAddresses: [HOST] });
  const pol = (key: string) =>
    key.startsWith('policy:')
      ? m.policies.get(key.slice(7))
      : key.startsWith('profile:')
        ? m.profiles.get(key.slice(8))
        : builtins.get(key);
  const rulesOf = (key: string) => ({
    id: key,
    rules: (dir === 'ingress' ? pol(key)?.inbound : pol(key)?.outbound) ?? [],
  });
  const ctx = {
    object: 'reference',
    ipsets: {
      members: (id: string) => {
        const s = m.ipsets.get(id);
        return s ? s.members.map((x) => parseMember(s.type, x)!) : undefined;
      },
    },
    issue: () => undefined,
  };
  let input: ChainInput;
  if (d.tiers.length === 0 && d.policyDefault !== 'pass')
    input = { tiers: [], profiles: [], prefix: ND, defaultAction: d.policyDefault === 'allow' ? 'permit' : 'deny' };
  else {
    const reach =
      d.tiers.length === 0 ? d.policyDefault === 'pass' : d.tiers[d.tiers.length - 1]!.defaultAction === 'pass';
    input = {
      tiers: d.tiers.map((t) => ({ policies: t.policies.map(rulesOf), defaultAction: t.defaultAction })),
      profiles: reach ? profiles.map(rulesOf) : [],
      prefix: ND,
      defaultAction: d.profileDefault === 'allow' ? 'permit' : 'deny',
    };
  }
  return compileChain(input, ctx);
}

async function check(env: PolicyEnv, m: Model, eps: Map<string, WorkloadEndpoint>, r: Rng) {
  await env.dp.apply([]);
  let checked = 0;
  for (const [id, ep] of eps) {
    const cfg = workloadConfigs({ ...ep, addresses: [] })[0]!;
    const sw = cfg.swIfIndex;
    const open = (x: DirectionConfig) => x.tiers.length === 0 && x.policyDefault === 'allow';
    const bothOpen = open(cfg.ingress) && open(cfg.egress);
    for (const [direction, calico] of [
      ['output', 'ingress'],
      ['input', 'egress'],
    ] as const) {
      const d = cfg[calico];
      const ref = bothOpen ? undefined : open(d) ? 'all' : reference(m, calico, d, cfg.profiles);
      for (let i = 0; i < 12; i++) {
        const other = r.pick(SOURCES);
        const self = other.includes(':') ? 'fd00:9::1' : ep.addresses![0]!;
        const [src, dst] = direction === 'output' ? [other, self] : [self, other];
        const proto = r.pick([6, 17]);
        const dport = r.chance(0.7) ? r.pick(PORTS) : 30000 + r.int(100);
        const sport = 40000 + r.int(1000);
        const want = ref === undefined || ref === 'all' ? true : allowedBy(ref, src, dst, proto, sport, dport);
        const got = env.fake.state.acl.evaluate(
          { sw_if_index: sw, direction, src, dst, proto, sport, dport },
          { commit: false },
        );
        if (got.allowed !== want)
          throw new Error(
            `${id} ${direction} ${src} -> ${dst} proto ${proto} ${sport}->${dport}: VPP ${got.allowed}, reference ${want}\n` +
              JSON.stringify({
                endpoint: ep,
                policies: [...m.policies],
                profiles: [...m.profiles],
                ipsets: [...m.ipsets],
              }),
          );
        checked++;
      }
    }
  }
  return checked;
}

describe('acl backend: shared ACL lists decide like the flattened chain', () => {
  test.each([1, 2, 3])('random tiers, pass rules, profiles and changes (seed %i)', async (seed) => {
    const r = rng(seed);
    const env = await policyEnv('acl', { host: { hostAddresses: [HOST] } });
    try {
      const m: Model = { ipsets: new Map(), policies: new Map(), profiles: new Map() };
      for (const s of SETS) m.ipsets.set(s, randomSet(r));
      for (let i = 0; i < 10; i++) m.policies.set(`p${i}`, randomPolicy(r));
      for (let i = 0; i < 3; i++) m.profiles.set(`prof${i}`, randomPolicy(r, true));
      const eps = new Map<string, WorkloadEndpoint>();
      for (let w = 0; w < 12; w++) {
        const sw = await env.iface();
        eps.set(`w${w}`, randomEndpoint(r, sw, `10.0.1.${w + 1}`, [...m.policies.keys()], [...m.profiles.keys()]));
      }
      const changes: PolicyChange[] = [
        ...[...m.ipsets].map(([id, set]) => ({ kind: 'ipset' as const, id, set })),
        ...[...m.profiles].map(([id, profile]) => ({ kind: 'profile' as const, id, profile })),
        ...[...m.policies].map(([id, policy]) => ({ kind: 'policy' as const, id, policy })),
        ...[...eps].map(([id, endpoint]) => ({ kind: 'workload' as const, id, endpoint })),
      ];
      const first = await env.dp.apply(changes);
      expect(first.errors).toEqual([]);
      let checked = await check(env, m, eps, r);
      // changes: policies (gaining or losing pass rules), profiles, ipset members, endpoints
      for (let round = 0; round < 4; round++) {
        const batch: PolicyChange[] = [];
        for (let k = 0; k < 3; k++) {
          const id = `p${r.int(10)}`;
          const policy = randomPolicy(r);
          m.policies.set(id, policy);
          batch.push({ kind: 'policy', id, policy });
        }
        if (r.chance(0.5)) {
          const id = `prof${r.int(3)}`;
          const profile = randomPolicy(r, true);
          m.profiles.set(id, profile);
          batch.push({ kind: 'profile', id, profile });
        }
        const setId = r.pick(SETS);
        const set = randomSet(r);
        m.ipsets.set(setId, set);
        batch.push({ kind: 'ipset', id: setId, set });
        const w = `w${r.int(12)}`;
        const ep = randomEndpoint(
          r,
          eps.get(w)!.swIfIndexes[0]!,
          eps.get(w)!.addresses![0]!,
          [...m.policies.keys()],
          [...m.profiles.keys()],
        );
        eps.set(w, ep);
        batch.push({ kind: 'workload', id: w, endpoint: ep });
        const res = await env.dp.apply(batch);
        expect(res.errors).toEqual([]);
        checked += await check(env, m, eps, r);
      }
      expect(checked).toBeGreaterThan(1000);
      // nothing left behind: every ACL of ours is on some list
      const used = new Set([...env.fake.state.acl.input.values(), ...env.fake.state.acl.output.values()].flat());
      expect([...env.fake.state.acl.acls.values()].filter((a) => !used.has(a.acl_index)).map((a) => a.tag)).toEqual([]);
      expect(BUILTIN.allPods).toBe('builtin:all-pods');
    } finally {
      await env.close();
    }
  });
});
