import { afterEach, describe, expect, test } from 'vitest';
import type { Policy, WorkloadEndpoint } from '../src/model.js';
import { BACKENDS, policyEnv, reply, tcp, udp, type PolicyEnv } from './helpers/env.js';

const HOST = '192.168.0.1';
const A = '10.0.0.1';
const B = '10.0.0.2';
const C = '10.0.0.3';

const wep = (
  sw: number,
  addresses: string[],
  ingress: string[] = [],
  egress: string[] = [],
  profiles: string[] = [],
): WorkloadEndpoint => ({
  swIfIndexes: [sw],
  addresses,
  tiers: ingress.length || egress.length ? [{ name: 'default', ingress, egress }] : [],
  profiles,
});

let env: PolicyEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe.each(BACKENDS)('pol dataplane (%s backend)', (kind) => {
  async function twoPods(policy?: Policy, on: 'ingress' | 'egress' = 'ingress') {
    env = await policyEnv(kind, { host: { hostAddresses: [HOST] } });
    const a = await env.iface();
    const b = await env.iface();
    const changes = [
      { kind: 'ipset' as const, id: 'front', set: { type: 'ip' as const, members: [A] } },
      ...(policy ? [{ kind: 'policy' as const, id: 'p1', policy }] : []),
      { kind: 'workload' as const, id: 'a', endpoint: wep(a, [A]) },
      {
        kind: 'workload' as const,
        id: 'b',
        endpoint: policy ? wep(b, [B], on === 'ingress' ? ['p1'] : [], on === 'egress' ? ['p1'] : []) : wep(b, [B]),
      },
    ];
    const r = await env.dp.apply(changes);
    expect(r.errors).toEqual([]);
    return { a, b, env };
  }

  test('no policy: everything passes', async () => {
    const { a, b, env } = await twoPods();
    expect(await env.passes(a, b, tcp(A, B, 80))).toBe(true);
    expect(await env.passes(b, a, udp(B, A, 53))).toBe(true);
  });

  test('ingress allow from an ipset on tcp/80: members pass, others and other ports are denied, the host always passes', async () => {
    const { a, b, env } = await twoPods({
      inbound: [{ action: 'allow', protocol: 6, srcIpSets: ['front'], dstPorts: [{ first: 80, last: 80 }] }],
      outbound: [],
    });
    expect(await env.passes(a, b, tcp(A, B, 80))).toBe(true);
    expect(await env.passes(a, b, tcp(A, B, 81))).toBe(false);
    expect(await env.passes(a, b, udp(A, B, 80))).toBe(false);
    const c = await env.iface();
    await env.dp.apply([{ kind: 'workload', id: 'c', endpoint: wep(c, [C]) }]);
    expect(await env.passes(c, b, tcp(C, B, 80))).toBe(false);
    // allow-from-host comes first on a pod with ingress policies
    expect(await env.hop(b, 'output', tcp(HOST, B, 9999))).toBe(true);
    // egress of b is not restricted
    expect(await env.hop(b, 'input', tcp(B, C, 5))).toBe(true);
  });

  test('an ipset member change sends only what changed and takes effect', async () => {
    const { b, env } = await twoPods({ inbound: [{ action: 'allow', srcIpSets: ['front'] }], outbound: [] });
    const c = await env.iface();
    await env.dp.apply([{ kind: 'workload', id: 'c', endpoint: wep(c, [C]) }]);
    expect(await env.passes(c, b, tcp(C, B, 80))).toBe(false);
    const r = await env.dp.apply([{ kind: 'ipset-delta', id: 'front', added: [C], removed: [] }]);
    expect(r.errors).toEqual([]);
    expect(r.vppCalls).toBe(1); // npol: one npol_ipset_add_del_members; acl: the one list that uses the set
    expect(await env.passes(c, b, tcp(C, B, 80))).toBe(true);
    const r2 = await env.dp.apply([{ kind: 'ipset-delta', id: 'front', added: [], removed: [C] }]);
    expect(r2.vppCalls).toBe(1);
    expect(await env.passes(c, b, tcp(C, B, 1))).toBe(false);
  });

  test('a changed policy is updated in place', async () => {
    const { a, b, env } = await twoPods({
      inbound: [{ action: 'allow', protocol: 6, dstPorts: [{ first: 80, last: 80 }] }],
      outbound: [],
    });
    expect(await env.passes(a, b, tcp(A, B, 443))).toBe(false);
    const before = new Map(env.dp.calls);
    const r = await env.dp.apply([
      {
        kind: 'policy',
        id: 'p1',
        policy: { inbound: [{ action: 'allow', protocol: 6, dstPorts: [{ first: 443, last: 443 }] }], outbound: [] },
      },
    ]);
    expect(r.vppCalls).toBe(1);
    const delta = [...env.dp.calls].filter(([k, v]) => v !== (before.get(k) ?? 0)).map(([k]) => k);
    expect(delta).toEqual([kind === 'npol' ? 'npol_rule_update' : 'acl_add_replace']);
    expect(await env.passes(a, b, tcp(A, B, 443))).toBe(true);
    expect(await env.passes(a, b, tcp(A, B, 80))).toBe(false);
  });

  test('egress policy: deny all but DNS (v4 and v6)', async () => {
    const { a, b, env } = await twoPods(
      {
        inbound: [],
        outbound: [
          { action: 'allow', protocol: 17, dstPorts: [{ first: 53, last: 53 }] },
          { action: 'allow', protocol: 6, dstPorts: [{ first: 53, last: 53 }] },
        ],
      },
      'egress',
    );
    expect(await env.passes(b, a, udp(B, A, 53))).toBe(true);
    expect(await env.passes(b, a, tcp(B, A, 53))).toBe(true);
    expect(await env.passes(b, a, tcp(B, A, 80))).toBe(false);
    expect(await env.hop(b, 'input', udp('fd00::2', 'fd00::1', 53))).toBe(true);
    expect(await env.hop(b, 'input', udp('fd00::2', 'fd00::1', 54))).toBe(false);
    // ingress of b is open
    expect(await env.hop(b, 'output', tcp(A, B, 80))).toBe(true);
  });

  test('negations: not-CIDR and not-port', async () => {
    const { b, env } = await twoPods({
      inbound: [
        {
          action: 'allow',
          srcNets: ['10.0.0.0/24'],
          notSrcNets: ['10.0.0.0/30'],
          protocol: 6,
          notDstPorts: [{ first: 22, last: 22 }],
        },
      ],
      outbound: [],
    });
    expect(await env.hop(b, 'output', tcp('10.0.0.9', B, 80))).toBe(true);
    expect(await env.hop(b, 'output', tcp('10.0.0.9', B, 22))).toBe(false);
    expect(await env.hop(b, 'output', tcp('10.0.0.3', B, 80))).toBe(false);
    expect(await env.hop(b, 'output', tcp('10.0.1.9', B, 80))).toBe(false);
  });

  test('tiers: pass goes on to the next tier, the end of a tier denies', async () => {
    env = await policyEnv(kind);
    const b = await env.iface();
    const r = await env.dp.apply([
      {
        kind: 'policy',
        id: 't1-pass',
        policy: { inbound: [{ action: 'pass', srcNets: ['10.1.0.0/16'] }], outbound: [] },
      },
      {
        kind: 'policy',
        id: 't2-allow',
        policy: { inbound: [{ action: 'allow', protocol: 6, dstPorts: [{ first: 80, last: 80 }] }], outbound: [] },
      },
      {
        kind: 'workload',
        id: 'b',
        endpoint: {
          swIfIndexes: [b],
          addresses: [B],
          profiles: [],
          tiers: [
            { name: 'sec', ingress: ['t1-pass'], egress: [] },
            { name: 'app', ingress: ['t2-allow'], egress: [] },
          ],
        },
      },
    ]);
    expect(r.errors).toEqual([]);
    if (kind === 'npol') {
      // npol's PASS jumps to the profiles (npol_match.c), not to the next tier: reported, and fails closed here
      expect(env.dp.issues.map((i) => i.code)).toContain('npol-pass-skips-tiers');
      expect(await env.hop(b, 'output', tcp('10.1.2.3', B, 80))).toBe(false);
    } else expect(await env.hop(b, 'output', tcp('10.1.2.3', B, 80))).toBe(true);
    // not passed by tier 1: the end of tier 1 denies
    expect(await env.hop(b, 'output', tcp('10.2.2.3', B, 80))).toBe(false);
  });

  test('profiles apply when there is no policy; a deny profile rule wins over the profile default', async () => {
    env = await policyEnv(kind);
    const b = await env.iface();
    await env.dp.apply([
      {
        kind: 'profile',
        id: 'kns.default',
        profile: {
          inbound: [{ action: 'deny', srcNets: ['10.9.0.0/16'] }, { action: 'allow' }],
          outbound: [{ action: 'allow' }],
        },
      },
      { kind: 'workload', id: 'b', endpoint: wep(b, [B], [], [], ['kns.default']) },
    ]);
    expect(await env.hop(b, 'output', tcp('10.9.0.1', B, 80))).toBe(false);
    expect(await env.hop(b, 'output', tcp('10.8.0.1', B, 80))).toBe(true);
  });

  test('bad input: a bad CIDR or an unknown ipset is reported with its path, the rest still applies', async () => {
    env = await policyEnv(kind);
    const b = await env.iface();
    const r = await env.dp.apply([
      { kind: 'policy', id: 'bad', policy: { inbound: [{ action: 'allow', srcNets: ['10.0.0.0/33'] }], outbound: [] } },
      { kind: 'policy', id: 'dangling', policy: { inbound: [{ action: 'allow', srcIpSets: ['nope'] }], outbound: [] } },
      { kind: 'ipset', id: 'bad-set', set: { type: 'ip', members: ['10.0.0.1', 'banana'] } },
      { kind: 'workload', id: 'b', endpoint: wep(b, [B], ['dangling', 'missing']) },
    ]);
    expect(r.skipped).toBe(2);
    const codes = r.errors.map((e) => [e.name, e.code, (e as { path?: string }).path]);
    expect(codes).toContainEqual(['PolicyModelError', 'POLICY_MODEL_INVALID', 'inbound[0].srcNets[0]']);
    expect(codes).toContainEqual(['PolicyModelError', 'POLICY_MODEL_INVALID', 'members[1]']);
    expect(codes).toContainEqual(['PolicyReferenceError', 'POLICY_UNKNOWN_REFERENCE', 'inbound[0].srcIpSets[0]']);
    expect(codes).toContainEqual(['PolicyReferenceError', 'POLICY_UNKNOWN_REFERENCE', 'tiers[0].ingress[1]']);
    // the dangling policy applies with its missing set empty: nothing is allowed from anywhere but the host
    expect(await env.hop(b, 'output', tcp(A, B, 80))).toBe(false);
  });

  test('what the backend cannot express is reported once and fails closed', async () => {
    env = await policyEnv(kind);
    const b = await env.iface();
    const seen: string[] = [];
    env.dp.addEventListener('policy:issue', (e) => seen.push((e as CustomEvent<{ code: string }>).detail.code));
    const pol: Policy = {
      inbound: [
        { action: 'allow', protocol: 1, icmp: { type: 8 } },
        { action: 'allow', protocol: 6 },
      ],
      outbound: [],
    };
    await env.dp.apply([
      { kind: 'policy', id: 'icmp', policy: pol },
      { kind: 'policy', id: 'raw', policy: { inbound: [], outbound: [], untracked: true } },
      { kind: 'workload', id: 'b', endpoint: wep(b, [B], ['icmp']) },
    ]);
    await env.dp.apply([{ kind: 'policy', id: 'icmp', policy: { ...pol } }]);
    expect(seen.filter((c) => c === 'unsupported-untracked')).toHaveLength(1);
    if (kind === 'npol') {
      expect(seen.filter((c) => c === 'unsupported-icmp')).toHaveLength(1);
      expect(await env.hop(b, 'output', { src: A, dst: B, proto: 1, icmpType: 8 })).toBe(false);
    } else {
      // the ACL plugin matches ICMP type/code
      expect(await env.hop(b, 'output', { src: A, dst: B, proto: 1, icmpType: 8 })).toBe(true);
      expect(await env.hop(b, 'output', { src: A, dst: B, proto: 1, icmpType: 13 })).toBe(false);
    }
    expect(await env.hop(b, 'output', tcp(A, B, 80))).toBe(true);
  });

  test('replace(): what the snapshot lacks is removed, what stays is not touched', async () => {
    const { a, b, env } = await twoPods({ inbound: [{ action: 'allow', srcIpSets: ['front'] }], outbound: [] });
    const snap = env.dp.snapshot();
    const before = env.dp.calls.size ? [...env.dp.calls.values()].reduce((x, y) => x + y, 0) : 0;
    const same = await env.dp.replace(snap);
    expect(same.vppCalls).toBe(0);
    const after = [...env.dp.calls.values()].reduce((x, y) => x + y, 0);
    expect(after).toBe(before);
    const r = await env.dp.replace({
      ...snap,
      policies: new Map(),
      workloads: new Map([['a', snap.workloads.get('a')!]]),
    });
    expect(r.errors).toEqual([]);
    expect(env.dp.snapshot().policies.size).toBe(0);
    expect(await env.passes(a, b, tcp(A, B, 80))).toBe(true);
  });
});

describe('pol dataplane, ACL backend specifics', () => {
  test('stateful: with only the reply direction open, the connection works; a new connection the other way is refused', async () => {
    env = await policyEnv('acl');
    const a = await env.iface();
    const b = await env.iface();
    await env.dp.apply([
      { kind: 'policy', id: 'deny-in', policy: { inbound: [], outbound: [] } },
      { kind: 'workload', id: 'a', endpoint: wep(a, [A], ['deny-in']) },
      { kind: 'workload', id: 'b', endpoint: wep(b, [B]) },
    ]);
    const syn = tcp(A, B, 80);
    expect(await env.passes(a, b, syn)).toBe(true);
    expect(await env.passes(b, a, reply(syn))).toBe(true);
    expect(await env.passes(b, a, tcp(B, A, 80))).toBe(false);
  });

  test('agent restart: a new dataplane adopts the lists it finds by tag and deletes the ones nobody needs', async () => {
    env = await policyEnv('acl');
    const a = await env.iface();
    const b = await env.iface();
    await env.dp.apply([
      {
        kind: 'policy',
        id: 'p',
        policy: { inbound: [{ action: 'allow', protocol: 6, dstPorts: [{ first: 80, last: 80 }] }], outbound: [] },
      },
      { kind: 'policy', id: 'q', policy: { inbound: [{ action: 'deny' }], outbound: [] } },
      { kind: 'workload', id: 'a', endpoint: wep(a, [A], ['q']) },
      { kind: 'workload', id: 'b', endpoint: wep(b, [B], ['p']) },
    ]);
    const snap = env.dp.snapshot();
    const { createPolicyDataplane } = await import('../src/dataplane.js');
    const dp2 = createPolicyDataplane({ vpp: env.vpp }, { backend: 'acl' });
    await dp2.start();
    const r = await dp2.replace({
      ...snap,
      workloads: new Map([['b', snap.workloads.get('b')!]]),
      policies: new Map([['p', snap.policies.get('p')!]]),
    });
    expect(r.errors).toEqual([]);
    // no list was created anew for b: the existing ones were replaced in place
    expect(dp2.calls.get('acl_add_replace') ?? 0).toBeLessThanOrEqual(2);
    expect(dp2.calls.get('acl_del')).toBeGreaterThanOrEqual(1);
    expect(await env.hop(b, 'output', tcp(A, B, 80))).toBe(true);
    expect(await env.hop(b, 'output', tcp(A, B, 81))).toBe(false);
    expect(await env.hop(a, 'output', tcp(B, A, 81))).toBe(true);
    // what is left of ours is exactly what b's lists use (a's and q's ACLs are gone)
    const ours = new Set<number>();
    for await (const x of env.vpp.dump('acl_dump', { acl_index: 0xffffffff }))
      if (x.tag.startsWith('vp-pol:')) ours.add(x.acl_index);
    const used = new Set<number>();
    for await (const l of env.vpp.dump('acl_interface_list_dump', { sw_if_index: 0xffffffff }))
      for (const i of l.acls) used.add(i);
    expect(ours.size).toBeGreaterThan(0);
    expect([...ours].sort()).toEqual([...used].sort());
  });
});

describe('pol dataplane, npol backend specifics', () => {
  test('identical rules are shared between policies; a change to one policy leaves the other intact', async () => {
    env = await policyEnv('npol');
    const a = await env.iface();
    const b = await env.iface();
    const rule = { action: 'allow' as const, protocol: 6, dstPorts: [{ first: 80, last: 80 }] };
    const count = (m: string) => env!.dp.calls.get(m) ?? 0;
    const creates0 = count('npol_rule_create');
    await env.dp.apply([
      { kind: 'policy', id: 'p1', policy: { inbound: [rule], outbound: [] } },
      { kind: 'policy', id: 'p2', policy: { inbound: [rule], outbound: [] } },
      { kind: 'workload', id: 'a', endpoint: wep(a, [A], ['p1']) },
      { kind: 'workload', id: 'b', endpoint: wep(b, [B], ['p2']) },
    ]);
    expect(count('npol_rule_create') - creates0).toBe(1);
    const r = await env.dp.apply([
      {
        kind: 'policy',
        id: 'p1',
        policy: { inbound: [{ ...rule, dstPorts: [{ first: 443, last: 443 }] }], outbound: [] },
      },
    ]);
    expect(r.vppCalls).toBe(2); // a new rule and the policy pointing at it; the shared one stays
    expect(await env.hop(a, 'output', tcp(C, A, 443))).toBe(true);
    expect(await env.hop(a, 'output', tcp(C, A, 80))).toBe(false);
    expect(await env.hop(b, 'output', tcp(C, B, 80))).toBe(true);
    expect(await env.hop(b, 'output', tcp(C, B, 443))).toBe(false);
    const rulesInVpp = env.fake.state.npol.rules.size;
    await env.dp.apply([
      { kind: 'workload-remove', id: 'b' },
      { kind: 'policy-remove', id: 'p2' },
    ]);
    expect(count('npol_rule_delete')).toBe(1); // the port-80 rule had no user left
    expect(env.fake.state.npol.rules.size).toBe(rulesInVpp - 1);
  });
});
