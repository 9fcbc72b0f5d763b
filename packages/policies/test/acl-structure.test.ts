/**
 * The ACL backend's structure: one ACL per policy direction shared by every interface that uses the
 * policy, an interface's list the ordered concatenation (VPP: first match across the list), small
 * shared ACLs (ND, deny-all, reflect-all), a tier with a pass rule flattened into one ACL, the 255-ACL
 * limit of acl_interface_set_acl_list, and restart adoption without touching what is unchanged. The
 * outcomes are checked with both evaluators (the fake VPP's ACL plugin and helpers/verdict.ts).
 */
import { afterEach, describe, expect, test } from 'vitest';
import { policyAclTag } from '../src/backends/acl.js';
import { createPolicyDataplane } from '../src/dataplane.js';
import type { Policy, Tier, WorkloadEndpoint } from '../src/model.js';
import type { PolicyVpp } from '../src/types.js';
import { policyEnv, reply, tcp, udp, type PolicyEnv } from './helpers/env.js';

const HOST = '192.168.0.1';
const A = '10.0.0.1';
const B = '10.0.0.2';
const ing = (id: string) => policyAclTag('vp-pol', 'ingress', `policy:${id}`);
const AFH = policyAclTag('vp-pol', 'ingress', 'builtin:allow-from-host');

const wep = (sw: number, address: string, tiers: Tier[], profiles: string[] = []): WorkloadEndpoint => ({
  swIfIndexes: [sw],
  addresses: [address],
  tiers,
  profiles,
});
const tier = (name: string, ingress: string[], defaultAction?: 'deny' | 'pass'): Tier => ({
  name,
  ingress,
  egress: [],
  ...(defaultAction ? { defaultAction } : {}),
});
const allowTcp = (port: number, extra: Partial<Policy['inbound'][number]> = {}): Policy => ({
  inbound: [{ action: 'allow', protocol: 6, dstPorts: [{ first: port, last: port }], ...extra }],
  outbound: [],
});

let env: PolicyEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

/** The tags of an interface's lists, as VPP holds them. */
async function lists(e: PolicyEnv, sw: number) {
  const tags = new Map<number, string>();
  for await (const a of e.vpp.dump('acl_dump', { acl_index: 0xffffffff })) tags.set(a.acl_index, a.tag);
  for await (const l of e.vpp.dump('acl_interface_list_dump', { sw_if_index: sw }))
    return {
      input: l.acls.slice(0, l.n_input).map((i) => tags.get(i)!),
      output: l.acls.slice(l.n_input).map((i) => tags.get(i)!),
      indices: l.acls,
    };
  throw new Error(`no list for ${sw}`);
}

/** Calls made since `before`, by message. */
const delta = (e: PolicyEnv, before: ReadonlyMap<string, number>) =>
  Object.fromEntries(
    [...e.dp.calls].filter(([k, v]) => v !== (before.get(k) ?? 0)).map(([k, v]) => [k, v - (before.get(k) ?? 0)]),
  );

const aclByTag = (e: PolicyEnv, tag: string) => [...e.fake.state.acl.acls.values()].find((a) => a.tag === tag);

describe('acl backend structure', () => {
  test('one ACL per policy, shared by every interface that uses it; lists are concatenations', async () => {
    env = await policyEnv('acl', { host: { hostAddresses: [HOST] } });
    const a = await env.iface();
    const b = await env.iface();
    const before = new Map(env.dp.calls);
    const r = await env.dp.apply([
      { kind: 'policy', id: 'P', policy: allowTcp(80) },
      { kind: 'policy', id: 'Q', policy: allowTcp(443) },
      { kind: 'policy', id: 'R', policy: { inbound: [{ action: 'allow', protocol: 17 }], outbound: [] } },
      { kind: 'workload', id: 'a', endpoint: wep(a, A, [tier('t', ['P', 'Q'])]) },
      { kind: 'workload', id: 'b', endpoint: wep(b, B, [tier('t', ['P', 'R'])]) },
    ]);
    expect(r.errors).toEqual([]);
    // nd, allow-from-host, P, Q, R, deny-all (the tier's end), reflect-all (the open direction): 7 ACLs for 2 interfaces
    expect(delta(env, before)).toEqual({ acl_add_replace: 7, acl_interface_set_acl_list: 2 });
    const la = await lists(env, a);
    const lb = await lists(env, b);
    expect(la.output).toEqual(['vp-pol:nd', AFH, ing('P'), ing('Q'), 'vp-pol:deny-all']);
    expect(lb.output).toEqual(['vp-pol:nd', AFH, ing('P'), ing('R'), 'vp-pol:deny-all']);
    expect(la.input).toEqual(['vp-pol:reflect-all']);
    expect(la.indices[3]).toBe(lb.indices[3]); // the same ACL, not a copy
    expect(aclByTag(env, ing('P'))!.rules).toHaveLength(2); // tcp/80 in v4 and v6
    expect(await env.hop(a, 'output', tcp('10.9.0.1', A, 80))).toBe(true);
    expect(await env.hop(a, 'output', tcp('10.9.0.1', A, 443))).toBe(true);
    expect(await env.hop(a, 'output', udp('10.9.0.1', A, 53))).toBe(false);
    expect(await env.hop(b, 'output', udp('10.9.0.1', B, 53))).toBe(true);
    expect(await env.hop(b, 'output', tcp('10.9.0.1', B, 443))).toBe(false);
    expect(await env.hop(b, 'output', tcp(HOST, B, 9))).toBe(true);
    // stateful: the reply to what b sent passes its restricted side
    const out = tcp(B, '10.9.0.9', 5000, 41000);
    expect(await env.passes(b, a, tcp(B, A, 443, 41001))).toBe(true);
    expect(await env.hop(b, 'input', out)).toBe(true);
    expect(await env.hop(b, 'output', reply(out))).toBe(true);
    // clear(): every list emptied, every ACL deleted
    await env.dp.clear();
    expect(env.fake.state.acl.acls.size).toBe(0);
    expect([...env.fake.state.acl.input.keys(), ...env.fake.state.acl.output.keys()]).toEqual([]);
  });

  test("a policy change replaces only that policy's ACL, in place; no list is set again", async () => {
    env = await policyEnv('acl', { host: { hostAddresses: [HOST] } });
    const a = await env.iface();
    const b = await env.iface();
    await env.dp.apply([
      { kind: 'policy', id: 'P', policy: allowTcp(80) },
      { kind: 'policy', id: 'Q', policy: allowTcp(443) },
      { kind: 'workload', id: 'a', endpoint: wep(a, A, [tier('t', ['P', 'Q'])]) },
      { kind: 'workload', id: 'b', endpoint: wep(b, B, [tier('t', ['P'])]) },
    ]);
    const p = aclByTag(env, ing('P'))!;
    const pRules = p.rules;
    const q = aclByTag(env, ing('Q'))!;
    const listsBefore = [await lists(env, a), await lists(env, b)];
    const before = new Map(env.dp.calls);
    await env.dp.apply([{ kind: 'policy', id: 'Q', policy: allowTcp(8443) }]);
    expect(delta(env, before)).toEqual({ acl_add_replace: 1 });
    expect(aclByTag(env, ing('Q'))!.acl_index).toBe(q.acl_index);
    expect(aclByTag(env, ing('P'))!.rules).toBe(pRules); // untouched
    expect([await lists(env, a), await lists(env, b)]).toEqual(listsBefore);
    expect(await env.hop(a, 'output', tcp('10.9.0.1', A, 8443))).toBe(true);
    expect(await env.hop(a, 'output', tcp('10.9.0.1', A, 443))).toBe(false);
    // the same content again: nothing is sent
    const again = await env.dp.apply([{ kind: 'policy', id: 'Q', policy: allowTcp(8443) }]);
    expect(again.vppCalls).toBe(0);
  });

  test('an ipset change replaces only the ACLs of the policies that use the set', async () => {
    env = await policyEnv('acl');
    const a = await env.iface();
    const b = await env.iface();
    await env.dp.apply([
      { kind: 'ipset', id: 'S', set: { type: 'ip', members: ['10.1.0.1'] } },
      { kind: 'ipset', id: 'T', set: { type: 'net', members: ['10.2.0.0/16'] } },
      { kind: 'policy', id: 'P', policy: allowTcp(80, { srcIpSets: ['S'] }) },
      { kind: 'policy', id: 'Q', policy: { inbound: [{ action: 'allow', srcIpSets: ['S'] }], outbound: [] } },
      { kind: 'policy', id: 'R', policy: allowTcp(80, { srcIpSets: ['T'] }) },
      { kind: 'workload', id: 'a', endpoint: wep(a, A, [tier('t', ['P', 'R'])]) },
      { kind: 'workload', id: 'b', endpoint: wep(b, B, [tier('t', ['Q'])]) },
    ]);
    const rRules = aclByTag(env, ing('R'))!.rules;
    expect(await env.hop(a, 'output', tcp('10.1.0.2', A, 80))).toBe(false);
    const before = new Map(env.dp.calls);
    // 10.1.0.0 and 10.1.0.1 merge into one /31 (prefix merging)
    await env.dp.apply([{ kind: 'ipset-delta', id: 'S', added: ['10.1.0.0', '10.1.0.2', '10.1.0.3'], removed: [] }]);
    expect(delta(env, before)).toEqual({ acl_add_replace: 2 });
    expect(aclByTag(env, ing('R'))!.rules).toBe(rRules);
    expect(aclByTag(env, ing('P'))!.rules.map((x) => x.src_prefix)).toEqual(['10.1.0.0/30']);
    expect(await env.hop(a, 'output', tcp('10.1.0.2', A, 80))).toBe(true);
    expect(await env.hop(b, 'output', udp('10.1.0.3', B, 53))).toBe(true);
    expect(await env.hop(b, 'output', udp('10.1.0.4', B, 53))).toBe(false);
    // a set no policy uses: nothing
    const r = await env.dp.apply([{ kind: 'ipset', id: 'U', set: { type: 'ip', members: ['10.3.0.1'] } }]);
    expect(r.vppCalls).toBe(0);
  });

  test('the end of a tier denies: later tiers are not on the list; a tier that passes by default is followed by the next', async () => {
    env = await policyEnv('acl');
    const a = await env.iface();
    const b = await env.iface();
    await env.dp.apply([
      { kind: 'policy', id: 'P1', policy: allowTcp(80, { srcNets: ['10.1.0.0/16'] }) },
      { kind: 'policy', id: 'P2', policy: { inbound: [{ action: 'allow' }], outbound: [] } },
      { kind: 'workload', id: 'a', endpoint: wep(a, A, [tier('sec', ['P1']), tier('app', ['P2'])]) },
      { kind: 'workload', id: 'b', endpoint: wep(b, B, [tier('sec', ['P1'], 'pass'), tier('app', ['P2'])]) },
    ]);
    expect((await lists(env, a)).output).toEqual(['vp-pol:nd', AFH, ing('P1'), 'vp-pol:deny-all']);
    expect((await lists(env, b)).output).toEqual(['vp-pol:nd', AFH, ing('P1'), ing('P2'), 'vp-pol:deny-all']);
    expect(await env.hop(a, 'output', tcp('10.1.0.9', A, 80))).toBe(true);
    expect(await env.hop(a, 'output', tcp('10.2.0.9', A, 80))).toBe(false); // sec's end denies before app
    expect(await env.hop(b, 'output', tcp('10.2.0.9', B, 80))).toBe(true); // sec passes on to app
  });

  test('a tier with a pass rule is one flattened ACL; a change behind it replaces that one ACL', async () => {
    env = await policyEnv('acl');
    const b = await env.iface();
    const c = await env.iface();
    const setup = await env.dp.apply([
      { kind: 'policy', id: 'skip', policy: { inbound: [{ action: 'pass', srcNets: ['10.1.0.0/16'] }], outbound: [] } },
      {
        kind: 'policy',
        id: 'no-ssh',
        policy: { inbound: [{ action: 'deny', protocol: 6, dstPorts: [{ first: 22, last: 22 }] }], outbound: [] },
      },
      { kind: 'policy', id: 'web', policy: allowTcp(80) },
      { kind: 'workload', id: 'b', endpoint: wep(b, B, [tier('sec', ['skip', 'no-ssh']), tier('app', ['web'])]) },
      {
        kind: 'workload',
        id: 'c',
        endpoint: wep(c, '10.0.0.3', [tier('sec', ['skip', 'no-ssh']), tier('app', ['web'])]),
      },
    ]);
    expect(setup.errors).toEqual([]);
    const lb = await lists(env, b);
    expect(lb.output).toHaveLength(2);
    expect(lb.output[0]).toBe('vp-pol:nd');
    expect(lb.output[1]).toMatch(/^vp-pol:g:/);
    expect((await lists(env, c)).indices).toEqual(lb.indices); // same shape, same ACL
    // passed by sec: decided by app (allow 80, then app's end denies)
    expect(await env.hop(b, 'output', tcp('10.1.2.3', B, 80))).toBe(true);
    expect(await env.hop(b, 'output', tcp('10.1.2.3', B, 22))).toBe(false);
    expect(await env.hop(b, 'output', tcp('10.1.2.3', B, 81))).toBe(false);
    // not passed: sec denies ssh and its end denies the rest
    expect(await env.hop(b, 'output', tcp('10.2.2.3', B, 80))).toBe(false);
    const before = new Map(env.dp.calls);
    await env.dp.apply([{ kind: 'policy', id: 'web', policy: allowTcp(8080) }]);
    expect(delta(env, before)).toEqual({ acl_add_replace: 1 });
    // (new source ports: the earlier packets' reflect sessions stay, as VPP keeps them over an in-place replace)
    expect(await env.hop(b, 'output', tcp('10.1.2.3', B, 8080, 40100))).toBe(true);
    expect(await env.hop(b, 'output', tcp('10.1.2.3', B, 80, 40101))).toBe(false);
    // the pass rule goes away: the tier becomes per-policy ACLs again (the lists change)
    await env.dp.apply([{ kind: 'policy', id: 'skip', policy: { inbound: [], outbound: [] } }]);
    expect((await lists(env, b)).output).toEqual(['vp-pol:nd', AFH, ing('skip'), ing('no-ssh'), 'vp-pol:deny-all']);
    expect(await env.hop(b, 'output', tcp('10.1.2.3', B, 8080, 40102))).toBe(false);
    expect([...env.fake.state.acl.acls.values()].filter((x) => x.tag.startsWith('vp-pol:g:'))).toEqual([]);
  });

  test('more than 255 ACLs on one interface: the longer direction is merged into one ACL', async () => {
    env = await policyEnv('acl');
    const b = await env.iface();
    const ids = Array.from({ length: 300 }, (_, i) => `p${i}`);
    const r = await env.dp.apply([
      ...ids.map((id, i) => ({ kind: 'policy' as const, id, policy: allowTcp(1000 + i) })),
      { kind: 'workload', id: 'b', endpoint: wep(b, B, [tier('t', ids)]) },
    ]);
    expect(r.errors).toEqual([]);
    const l = await lists(env, b);
    expect(l.output).toHaveLength(1);
    expect(l.output[0]).toMatch(/^vp-pol:m:/);
    expect(l.input).toEqual(['vp-pol:reflect-all']);
    expect(await env.hop(b, 'output', tcp(A, B, 1150))).toBe(true);
    expect(await env.hop(b, 'output', tcp(A, B, 1299))).toBe(true);
    expect(await env.hop(b, 'output', tcp(A, B, 999))).toBe(false);
    // no per-policy ACL is left in VPP for them
    expect([...env.fake.state.acl.acls.values()].filter((x) => x.tag.startsWith('vp-pol:p:'))).toHaveLength(0);
    // back under the limit: per-policy ACLs again
    await env.dp.apply([{ kind: 'workload', id: 'b', endpoint: wep(b, B, [tier('t', ids.slice(0, 10))]) }]);
    expect((await lists(env, b)).output).toHaveLength(13);
    expect(await env.hop(b, 'output', tcp(A, B, 1009))).toBe(true);
    expect(await env.hop(b, 'output', tcp(A, B, 1010))).toBe(false);
  });

  test('agent restart: the ACLs and lists of the previous run are adopted, nothing unchanged is sent, sessions stay', async () => {
    env = await policyEnv('acl', { host: { hostAddresses: [HOST] } });
    const a = await env.iface();
    const b = await env.iface();
    await env.dp.apply([
      { kind: 'ipset', id: 'S', set: { type: 'ip', members: [A] } },
      { kind: 'policy', id: 'P', policy: allowTcp(80, { srcIpSets: ['S'] }) },
      { kind: 'policy', id: 'Q', policy: allowTcp(443) },
      { kind: 'workload', id: 'a', endpoint: wep(a, A, []) },
      { kind: 'workload', id: 'b', endpoint: wep(b, B, [tier('t', ['P', 'Q'])]) },
    ]);
    // a connection b makes: its reply will only pass through the session
    const conn = tcp(B, '10.9.0.9', 7000, 42000);
    expect(await env.hop(b, 'input', conn)).toBe(true);
    const sessions = env.fake.state.acl.sessions.size;
    expect(sessions).toBeGreaterThan(0);
    const listsBefore = await lists(env, b);
    const snap = env.dp.snapshot();

    const dp2 = createPolicyDataplane({ vpp: env.vpp }, { backend: 'acl', host: { hostAddresses: [HOST] } });
    await dp2.start();
    const r = await dp2.replace(snap);
    expect(r.errors).toEqual([]);
    expect(dp2.calls.get('acl_add_replace') ?? 0).toBe(0);
    expect(dp2.calls.get('acl_interface_set_acl_list') ?? 0).toBe(0);
    expect(dp2.calls.get('acl_del') ?? 0).toBe(0);
    expect(await lists(env, b)).toEqual(listsBefore);
    expect(env.fake.state.acl.sessions.size).toBe(sessions); // no list was set: no session was cleared
    expect(await env.hop(b, 'output', reply(conn))).toBe(true);

    // a third run with one policy changed and one workload gone: that ACL is replaced in place, the rest adopted
    const q = aclByTag(env, ing('Q'))!;
    const dp3 = createPolicyDataplane({ vpp: env.vpp }, { backend: 'acl', host: { hostAddresses: [HOST] } });
    await dp3.start();
    const r3 = await dp3.replace({
      ...snap,
      policies: new Map([...snap.policies, ['Q', allowTcp(8443)]]),
      workloads: new Map([['b', snap.workloads.get('b')!]]),
    });
    expect(r3.errors).toEqual([]);
    expect(dp3.calls.get('acl_add_replace')).toBe(1);
    expect(aclByTag(env, ing('Q'))!.acl_index).toBe(q.acl_index);
    expect(await lists(env, b)).toEqual(listsBefore);
    expect(await env.hop(b, 'output', tcp(A, B, 8443))).toBe(true);
    expect(await env.hop(b, 'output', tcp(A, B, 443))).toBe(false);
    expect(await env.hop(b, 'output', tcp(A, B, 80))).toBe(true);
  });

  test('a restart over the one-list-per-shape ACLs of an older version replaces them and deletes the old ones', async () => {
    env = await policyEnv('acl');
    const b = await env.iface();
    // what the previous layout left: one flattened ACL tagged vp-pol:<hash> on b's output
    const old = await env.vpp.call('acl_add_replace', {
      acl_index: 0xffffffff,
      tag: 'vp-pol:0123456789abcdefghijklmnopqrstuv',
      r: [
        {
          is_permit: 0,
          src_prefix: '0.0.0.0/0',
          dst_prefix: '0.0.0.0/0',
          proto: 0,
          srcport_or_icmptype_first: 0,
          srcport_or_icmptype_last: 65535,
          dstport_or_icmpcode_first: 0,
          dstport_or_icmpcode_last: 65535,
          tcp_flags_mask: 0,
          tcp_flags_value: 0,
        },
      ],
    });
    await env.vpp.call('acl_interface_set_acl_list', { sw_if_index: b, n_input: 0, acls: [old.acl_index] });
    const dp2 = createPolicyDataplane({ vpp: env.vpp }, { backend: 'acl' });
    await dp2.start();
    await dp2.replace({
      ipsets: new Map(),
      policies: new Map([['P', allowTcp(80)]]),
      profiles: new Map(),
      workloads: new Map([['b', wep(b, B, [tier('t', ['P'])])]]),
      hostEndpoints: new Map(),
    });
    expect(env.fake.state.acl.acls.has(old.acl_index)).toBe(false);
    expect((await lists(env, b)).output).toEqual(['vp-pol:nd', AFH, ing('P'), 'vp-pol:deny-all']);
    expect(await env.hop(b, 'output', tcp(A, B, 80))).toBe(true);
    expect(await env.hop(b, 'output', tcp(A, B, 81))).toBe(false);
  });

  test('a VPP failure while programming is a PolicyVppError; the next batch finishes what was left', async () => {
    env = await policyEnv('acl');
    const b = await env.iface();
    const real = env.vpp;
    let failures = 1;
    const flaky = {
      call: (name: string, req: unknown, opts: unknown) =>
        name === 'acl_add_replace' && failures-- > 0
          ? Promise.reject(Object.assign(new Error('no memory'), { name: 'VppApiError', retval: -4 }))
          : (real.call as (n: string, r: unknown, o: unknown) => Promise<unknown>)(name, req, opts),
      dump: real.dump.bind(real),
    } as unknown as PolicyVpp;
    const dp = createPolicyDataplane({ vpp: flaky }, { backend: 'acl' });
    await dp.start();
    const err = await dp
      .apply([
        { kind: 'policy', id: 'P', policy: allowTcp(80) },
        { kind: 'workload', id: 'b', endpoint: wep(b, B, [tier('t', ['P'])]) },
      ])
      .then(
        () => undefined,
        (e: unknown) => e as { name: string; retval?: number; message: string },
      );
    expect(err?.name).toBe('PolicyVppError');
    expect(err?.retval).toBe(-4);
    expect(err?.message).toContain('acl_add_replace');
    // nothing half-applied reaches the interface: its list is not set yet
    expect(env.fake.state.acl.output.get(b)).toBeUndefined();
    const r = await dp.apply([]);
    expect(r.errors).toEqual([]);
    expect((await lists(env, b)).output).toEqual(['vp-pol:nd', AFH, ing('P'), 'vp-pol:deny-all']);
  });
});
