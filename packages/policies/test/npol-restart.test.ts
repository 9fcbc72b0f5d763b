/**
 * npol adoption after an agent restart: the backend records what it programmed in a state file and a
 * restarted dataplane (a new client on the same VPP) adopts it, so that its first sync sends only the
 * difference. Against the fake VPP (which keeps npol state across client connections, like VPP) and,
 * when VPP_API_SOCKET is set, against a real VPP (there without verdicts: npol has no dumps and no
 * datapath in 26.06; everything created is removed at the end).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectVpp, type VppApi, type VppClient } from '@vectorplane/vpp-binapi';
import { startFakeVpp, type FakeVpp } from '@vectorplane/vpp-binapi/testing';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createPolicyDataplane, type PolicyDataplane } from '../src/dataplane.js';
import type { Policy, WorkloadEndpoint } from '../src/model.js';
import type { PolicyLogger, PolicySnapshot } from '../src/types.js';
import { tcp, udp } from './helpers/env.js';
import type { Packet } from './helpers/verdict.js';

const REAL = process.env.VPP_API_SOCKET;
const HOST = '192.168.0.1';
const A = '10.0.0.1';
const B = '10.0.0.2';
const C = '10.0.0.3';

type Client = VppClient<VppApi>;

interface Warned {
  fields: Record<string, unknown>;
  msg: string | undefined;
}
function captureLogger(): PolicyLogger & { warned: Warned[] } {
  const warned: Warned[] = [];
  return {
    warned,
    debug() {},
    info() {},
    warn(fields, msg) {
      warned.push({ fields, msg });
    },
    error(fields, msg) {
      warned.push({ fields, msg });
    },
  };
}

const wep = (sw: number, addresses: string[], ingress: string[], profiles: string[] = []): WorkloadEndpoint => ({
  swIfIndexes: [sw],
  addresses,
  tiers: ingress.length ? [{ name: 'default', ingress, egress: [] }] : [],
  profiles,
});
const web: Policy = {
  inbound: [{ action: 'allow', protocol: 6, srcIpSets: ['front'], dstPorts: [{ first: 80, last: 80 }] }],
  outbound: [],
};
const dns: Policy = {
  inbound: [{ action: 'allow', protocol: 17, dstPorts: [{ first: 53, last: 53 }] }],
  outbound: [],
};
const prof: Policy = { inbound: [{ action: 'allow', protocol: 6, srcNets: ['10.0.0.0/24'] }], outbound: [] };

function desired(a: number, b: number, c: number): PolicySnapshot {
  return {
    ipsets: new Map([['front', { type: 'ip', members: [A] }]]),
    policies: new Map([
      ['web', web],
      ['dns', dns],
    ]),
    profiles: new Map([['ns', prof]]),
    workloads: new Map([
      ['a', wep(a, [A], [])],
      ['b', wep(b, [B], ['web', 'dns'])],
      ['c', wep(c, [C], ['dns'], ['ns'])],
    ]),
    hostEndpoints: new Map(),
    host: { hostAddresses: [HOST] },
  };
}

/** Requests that create or delete an npol object. */
const createsAndDeletes = (dp: PolicyDataplane) =>
  [...dp.calls].filter(([n]) => /^npol_.*_(create|delete)$/.test(n)).reduce((s, [, c]) => s + c, 0);
const count = (dp: PolicyDataplane, name: string) => dp.calls.get(name) ?? 0;

describe('pol npol restart: adoption from the state file', () => {
  let dir: string;
  let statePath: string;
  let fake: FakeVpp | undefined;
  let socket: string;
  const clients: Client[] = [];
  const loops: number[] = [];
  const dataplanes: PolicyDataplane[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pol-npol-restart-'));
    statePath = join(dir, 'policies-npol.json');
    if (REAL) socket = REAL;
    else {
      fake = await startFakeVpp();
      socket = fake.socketPath;
    }
  });
  afterEach(async () => {
    // remove what was created (a real VPP keeps it): every npol object, the loopbacks, the marker
    const vpp = await connect();
    try {
      const last = dataplanes[dataplanes.length - 1];
      if (REAL && last) {
        const dp = createPolicyDataplane({ vpp }, { backend: 'npol', npolStatePath: statePath });
        await dp.start();
        await dp.clear();
        await dp.stop();
      }
      if (REAL) {
        for (const sw_if_index of loops) await vpp.call('delete_loopback', { sw_if_index }).catch(() => undefined);
        await vpp.call('sw_interface_tag_add_del', { is_add: false, sw_if_index: 0, tag: '' }).catch(() => undefined);
      }
    } finally {
      for (const c of clients) await c.close().catch(() => undefined);
      clients.length = 0;
      loops.length = 0;
      dataplanes.length = 0;
      await fake?.stop();
      fake = undefined;
      await rm(dir, { recursive: true, force: true });
    }
  });

  async function connect(): Promise<Client> {
    const c = await connectVpp({ socket, name: 'pol-npol-restart' });
    clients.push(c);
    return c;
  }
  /** One run of the agent's policy component: a new client, a new dataplane on the same state file. */
  async function run(logger?: PolicyLogger, delayMs = 20) {
    const vpp = await connect();
    const dp = createPolicyDataplane(
      { vpp, ...(logger ? { logger } : {}) },
      { backend: 'npol', host: { hostAddresses: [HOST] }, npolStatePath: statePath, npolStateDelayMs: delayMs },
    );
    dataplanes.push(dp);
    await dp.start();
    return { vpp, dp };
  }
  async function interfaces(vpp: Client, n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await vpp.call('create_loopback', {})).sw_if_index);
    loops.push(...out);
    return out;
  }
  /** The fake's npol evaluator (npol_match_func) over a table of packets; undefined against a real VPP. */
  function verdicts(table: [number, 'input' | 'output', Packet][]): boolean[] | undefined {
    if (!fake) return undefined;
    return table.map(([sw, direction, p]) => fake!.state.evaluateNpol({ sw_if_index: sw, direction, ...p }).allowed);
  }
  const objects = () =>
    fake
      ? {
          ipsets: fake.state.npol.ipsets.size,
          rules: fake.state.npol.rules.size,
          policies: fake.state.npol.policies.size,
        }
      : undefined;
  const table = (a: number, b: number, c: number): [number, 'input' | 'output', Packet][] => [
    [b, 'output', tcp(A, B, 80)],
    [b, 'output', tcp(C, B, 80)],
    [b, 'output', tcp(A, B, 81)],
    [b, 'output', udp(C, B, 53)],
    [b, 'output', tcp(HOST, B, 22)],
    [c, 'output', udp(A, C, 53)],
    [c, 'output', tcp(B, C, 443)],
    [c, 'output', tcp('10.9.9.9', C, 443)],
    [a, 'output', tcp(B, A, 9999)],
  ];

  test('same VPP, same desired state: no npol object is created or deleted, nothing reconfigured, same verdicts', async () => {
    const first = await run();
    const [a, b, c] = (await interfaces(first.vpp, 3)) as [number, number, number];
    const r1 = await first.dp.replace(desired(a, b, c));
    expect(r1.errors).toEqual([]);
    expect(first.dp.adoption?.outcome).toBe('fresh');
    const before = verdicts(table(a, b, c));
    if (before) expect(before).toEqual([true, false, false, true, true, true, false, false, true]);
    const objs = objects();
    await first.dp.stop();
    expect(existsSync(`${statePath}.dirty`)).toBe(false);
    await first.vpp.close();

    const log = captureLogger();
    const second = await run(log);
    expect(second.dp.adoption).toMatchObject({ outcome: 'adopted', policies: 8, interfaces: 3 });
    const r2 = await second.dp.replace(desired(a, b, c));
    expect(r2.errors).toEqual([]);
    expect(createsAndDeletes(second.dp)).toBe(0);
    expect(count(second.dp, 'npol_configure_policies')).toBe(0);
    expect(count(second.dp, 'npol_ipset_add_del_members')).toBe(0);
    expect(count(second.dp, 'npol_rule_update') + count(second.dp, 'npol_policy_update')).toBe(0);
    expect(log.warned).toEqual([]);
    expect(verdicts(table(a, b, c))).toEqual(before);
    expect(objects()).toEqual(objs);
    await second.dp.stop();
  });

  test('same VPP, changed desired state: only the difference is sent, unused objects are deleted, no leak', async () => {
    const first = await run();
    const [a, b, c] = (await interfaces(first.vpp, 3)) as [number, number, number];
    await first.dp.replace(desired(a, b, c));
    await first.dp.stop();

    const second = await run();
    const d = desired(a, b, c);
    const changed: PolicySnapshot = {
      ...d,
      // C joins the front-ends; web moves to 8080; dns goes away (b keeps web, c keeps its profile)
      ipsets: new Map([['front', { type: 'ip', members: [A, C] }]]),
      policies: new Map([
        ['web', { ...web, inbound: [{ ...web.inbound[0]!, dstPorts: [{ first: 8080, last: 8080 }] }] }],
      ]),
      workloads: new Map([
        ['a', wep(a, [A], [])],
        ['b', wep(b, [B], ['web'])],
        ['c', wep(c, [C], [], ['ns'])],
      ]),
    };
    const r = await second.dp.replace(changed);
    expect(r.errors).toEqual([]);
    expect(count(second.dp, 'npol_ipset_create')).toBe(0);
    expect(count(second.dp, 'npol_policy_create')).toBe(0);
    expect(count(second.dp, 'npol_ipset_add_del_members')).toBe(1);
    expect(count(second.dp, 'npol_rule_update')).toBe(1); // web's rule, in place
    expect(count(second.dp, 'npol_policy_delete')).toBe(1); // dns
    // dns's rule (allow udp/53) stays: the failsafe outbound rule has the same content and shares it
    expect(count(second.dp, 'npol_rule_delete')).toBe(0);
    expect(count(second.dp, 'npol_configure_policies')).toBe(2); // b and c; a is unchanged
    if (fake) {
      expect(
        verdicts([
          [b, 'output', tcp(C, B, 8080)],
          [b, 'output', tcp(A, B, 80)],
          [b, 'output', udp(A, B, 53)],
          [c, 'output', udp('10.9.9.9', C, 53)],
          [c, 'output', tcp(B, C, 443)],
        ]),
      ).toEqual([true, false, false, false, true]);
      // nothing leaked: the same objects as a dataplane that programmed `changed` on an empty VPP
      const held = objects();
      const other = await startFakeVpp();
      try {
        const vpp = await connectVpp({ socket: other.socketPath });
        for (let i = 0; i < 3; i++) await vpp.call('create_loopback', {});
        const dp = createPolicyDataplane(
          { vpp },
          { backend: 'npol', host: { hostAddresses: [HOST] }, npolStatePath: null },
        );
        await dp.start();
        await dp.replace(changed);
        expect(held).toEqual({
          ipsets: other.state.npol.ipsets.size,
          rules: other.state.npol.rules.size,
          policies: other.state.npol.policies.size,
        });
        await vpp.close();
      } finally {
        await other.stop();
      }
    }
    await second.dp.stop();
  });

  test('a restarted VPP (another instance): the stale file is ignored with a warning and everything is programmed', async () => {
    const first = await run();
    const [a, b, c] = (await interfaces(first.vpp, 3)) as [number, number, number];
    await first.dp.replace(desired(a, b, c));
    const before = verdicts(table(a, b, c));
    await first.dp.stop();
    if (fake) {
      await fake.restart();
      expect(await interfaces(await connect(), 3)).toEqual([a, b, c]); // the same indexes again
    } else {
      // a real VPP cannot be restarted here: losing the marker is what a restart looks like
      await first.vpp.call('sw_interface_tag_add_del', { is_add: false, sw_if_index: 0, tag: '' });
    }
    const stale = JSON.parse(await readFile(statePath, 'utf8')) as {
      vpp: { pid: number; marker: string };
      ipsets: Record<string, { setId: number }>;
      rules: [number, string][];
      policies: Record<string, { policyId: number }>;
    };

    const log = captureLogger();
    const second = await run(log);
    expect(second.dp.adoption).toMatchObject({ outcome: 'fresh', reason: 'other-vpp' });
    expect(log.warned.some((w) => w.fields.reason === 'other-vpp' && /from scratch/.test(w.msg ?? ''))).toBe(true);
    await second.dp.replace(desired(a, b, c));
    expect(count(second.dp, 'npol_ipset_create')).toBeGreaterThanOrEqual(2); // front + all-pods
    expect(count(second.dp, 'npol_policy_create')).toBe(8);
    expect(count(second.dp, 'npol_configure_policies')).toBe(3);
    expect(verdicts(table(a, b, c))).toEqual(before);
    await second.dp.stop();
    const now = JSON.parse(await readFile(statePath, 'utf8')) as { vpp: { pid: number; marker: string } };
    expect(now.vpp.marker).not.toBe(stale.vpp.marker);
    if (REAL) {
      // the first run's objects are leaked on a real VPP (we made it look restarted): remove them by id
      for (const p of Object.values(stale.policies))
        await first.vpp.call('npol_policy_delete', { policy_id: p.policyId });
      for (const [rule_id] of stale.rules) await first.vpp.call('npol_rule_delete', { rule_id });
      for (const s of Object.values(stale.ipsets)) await first.vpp.call('npol_ipset_delete', { set_id: s.setId });
    }
  });

  test.each([
    ['not JSON', '{"kind": "vectorplane-npol-state", "vers', '(file)'],
    ['another version', JSON.stringify({ kind: 'vectorplane-npol-state', version: 99 }), 'version'],
    ['a bad member', 'BAD_MEMBER', 'ipsets."front".members[0]'],
    ['a rule id no rule has', 'BAD_RULE', 'policies."policy:web".rules[0]'],
  ])('a state file with %s: a warning naming the field, then everything is programmed', async (_what, text, field) => {
    const first = await run();
    const [a, b, c] = (await interfaces(first.vpp, 3)) as [number, number, number];
    await first.dp.replace(desired(a, b, c));
    await first.dp.stop();
    const good = JSON.parse(await readFile(statePath, 'utf8')) as {
      ipsets: Record<string, { members: string[] }>;
      policies: Record<string, { rules: number[] }>;
    };
    if (text === 'BAD_MEMBER') good.ipsets.front!.members[0] = '10.0.0.300';
    if (text === 'BAD_RULE') good.policies['policy:web']!.rules[0] = 999999;
    await writeFile(statePath, text.startsWith('BAD_') ? JSON.stringify(good) : text);

    const log = captureLogger();
    const second = await run(log);
    expect(second.dp.adoption).toMatchObject({ outcome: 'fresh', reason: 'invalid' });
    const w = log.warned.find((x) => x.fields.reason === 'invalid');
    expect(w?.fields.code).toBe('POLICY_STATE_INVALID');
    expect((w?.fields.err as { name: string; field: string }).name).toBe('PolicyStateError');
    expect((w?.fields.err as { field: string }).field).toBe(field);
    const r = await second.dp.replace(desired(a, b, c));
    expect(r.errors).toEqual([]);
    expect(count(second.dp, 'npol_policy_create')).toBe(8);
    if (fake) expect(verdicts(table(a, b, c))).toEqual([true, false, false, true, true, true, false, false, true]);
    await second.dp.stop();
    // the file is good again: a third run adopts
    const third = await run();
    expect(third.dp.adoption?.outcome).toBe('adopted');
    await third.dp.replace(desired(a, b, c));
    expect(createsAndDeletes(third.dp)).toBe(0);
    await third.dp.stop();
  });

  test('a run that died with calls the file does not record (the .dirty sentinel): nothing is adopted', async () => {
    const first = await run();
    const [a, b, c] = (await interfaces(first.vpp, 3)) as [number, number, number];
    await first.dp.replace(desired(a, b, c));
    await first.dp.stop();
    await writeFile(`${statePath}.dirty`, '1\n');
    const log = captureLogger();
    const second = await run(log);
    expect(second.dp.adoption).toMatchObject({ outcome: 'fresh', reason: 'unclean' });
    expect(log.warned.some((w) => w.fields.reason === 'unclean')).toBe(true);
    await second.dp.replace(desired(a, b, c));
    expect(count(second.dp, 'npol_policy_create')).toBe(8);
    await second.dp.stop();
    expect(existsSync(`${statePath}.dirty`)).toBe(false);
  });

  test('an adopted ipset deleted behind our back: created again, and the rules that use it follow', async () => {
    const first = await run();
    const [a, b, c] = (await interfaces(first.vpp, 3)) as [number, number, number];
    await first.dp.replace(desired(a, b, c));
    await first.dp.stop();
    const st = JSON.parse(await readFile(statePath, 'utf8')) as { ipsets: Record<string, { setId: number }> };
    await first.vpp.call('npol_ipset_delete', { set_id: st.ipsets.front!.setId });

    const log = captureLogger();
    const second = await run(log);
    expect(second.dp.adoption?.outcome).toBe('adopted');
    const d = desired(a, b, c);
    const r = await second.dp.replace({ ...d, ipsets: new Map([['front', { type: 'ip', members: [A, C] }]]) });
    expect(r.errors).toEqual([]);
    expect(count(second.dp, 'npol_ipset_create')).toBe(1);
    expect(log.warned.some((w) => /gone from VPP/.test(w.msg ?? ''))).toBe(true);
    if (fake)
      expect(
        verdicts([
          [b, 'output', tcp(C, B, 80)],
          [b, 'output', tcp(A, B, 80)],
          [b, 'output', tcp(B, B, 80)],
        ]),
      ).toEqual([true, true, false]);
    await second.dp.stop();
  });

  test('the first apply() after a restart (the Kubernetes controller) settles the adoption too', async () => {
    const first = await run();
    const [a, b, c] = (await interfaces(first.vpp, 3)) as [number, number, number];
    await first.dp.replace(desired(a, b, c));
    await first.dp.stop();
    const second = await run();
    const d = desired(a, b, c);
    // the whole state but the dns policy and workload c, in one apply
    const r = await second.dp.apply([
      { kind: 'ipset', id: 'front', set: d.ipsets.get('front')! },
      { kind: 'profile', id: 'ns', profile: prof },
      { kind: 'policy', id: 'web', policy: web },
      { kind: 'workload', id: 'a', endpoint: d.workloads.get('a')! },
      { kind: 'workload', id: 'b', endpoint: wep(b, [B], ['web']) },
    ]);
    expect(r.errors).toEqual([]);
    expect(count(second.dp, 'npol_policy_create')).toBe(0);
    expect(count(second.dp, 'npol_policy_delete')).toBe(1); // dns
    expect(count(second.dp, 'npol_configure_policies')).toBe(2); // b changed, c unconfigured
    if (fake) {
      expect(fake.state.npol.interfaces.get(c)?.rxPolicies ?? []).toEqual([]);
      expect(verdicts([[c, 'output', tcp('10.9.9.9', C, 443)]])).toEqual([true]);
    }
    await second.dp.stop();
    // all-pods lost C (workload c is gone): the adopted set was settled with the first batch
    const st = JSON.parse(await readFile(statePath, 'utf8')) as {
      ipsets: Record<string, { setId: number; members: string[] }>;
    };
    const allPods = st.ipsets['builtin:all-pods']!;
    expect(allPods.members.sort()).toEqual([A, B]);
    if (fake) expect(fake.state.npol.ipsets.get(allPods.setId)?.members).toHaveLength(2);
  });

  test('an adopted ipset nobody declares any more is deleted, and a policy still naming it stops using its id', async () => {
    const first = await run();
    const [a, b, c] = (await interfaces(first.vpp, 3)) as [number, number, number];
    await first.dp.replace(desired(a, b, c));
    await first.dp.stop();
    const st = JSON.parse(await readFile(statePath, 'utf8')) as { ipsets: Record<string, { setId: number }> };
    const second = await run();
    const d = desired(a, b, c);
    const r = await second.dp.replace({ ...d, ipsets: new Map() }); // web still names "front"
    expect(r.errors.map((e) => e.name)).toContain('PolicyReferenceError');
    expect(count(second.dp, 'npol_ipset_delete')).toBe(1);
    // web's rule can never match without the set (a missing ipset is empty): it leaves the policy
    expect(count(second.dp, 'npol_policy_update')).toBe(1);
    if (fake) {
      expect(fake.state.npol.ipsets.has(st.ipsets.front!.setId)).toBe(false);
      const used = JSON.stringify([...fake.state.npol.rules.values()]);
      expect(used).not.toContain(`"set_id":${st.ipsets.front!.setId}}`);
      // a missing ipset is empty (as in Felix): nobody reaches b on 80 any more
      expect(verdicts([[b, 'output', tcp(A, B, 80)]])).toEqual([false]);
    }
    await second.dp.stop();
  });

  test('an interface deleted while the agent was away and its index given to a new one: configured again', async () => {
    const first = await run();
    const [a, b, c] = (await interfaces(first.vpp, 3)) as [number, number, number];
    await first.dp.replace(desired(a, b, c));
    const before = verdicts(table(a, b, c));
    await first.dp.stop();
    // the pod behind b goes and a new one comes while the agent is down: npol drops b's configuration
    await first.vpp.call('delete_loopback', { sw_if_index: b });
    const [b2] = (await interfaces(first.vpp, 1)) as [number];
    await first.vpp.call('sw_interface_tag_add_del', { is_add: true, sw_if_index: b2, tag: 'pol-new-pod' });
    if (fake) expect(b2).toBe(b); // VPP reuses the freed index, and so does the fake
    if (b2 !== b) return; // (a real VPP that did not: nothing to show)
    const second = await run();
    expect(second.dp.adoption).toMatchObject({ outcome: 'adopted', interfaces: 2 });
    await second.dp.replace(desired(a, b, c));
    expect(createsAndDeletes(second.dp)).toBe(0);
    expect(count(second.dp, 'npol_configure_policies')).toBe(1);
    expect(verdicts(table(a, b, c))).toEqual(before);
    await second.dp.stop();
  });

  test('a burst of single-change batches writes the state file a few times, not once per change', async () => {
    // at most one write per 500 ms however slow the machine is
    const first = await run(undefined, 500);
    const [a] = (await interfaces(first.vpp, 1)) as [number];
    await first.dp.apply([{ kind: 'ipset', id: 'front', set: { type: 'ip', members: [] } }]);
    const N = 300;
    for (let i = 0; i < N; i++)
      await first.dp.apply([{ kind: 'ipset-delta', id: 'front', added: [`10.1.${i >> 8}.${i & 255}`], removed: [] }]);
    await first.dp.apply([{ kind: 'workload', id: 'a', endpoint: wep(a, [A], []) }]);
    await first.dp.stop();
    expect(first.dp.stateWrites).toBeGreaterThanOrEqual(1);
    expect(first.dp.stateWrites).toBeLessThan(N / 10);
    const st = JSON.parse(await readFile(statePath, 'utf8')) as { ipsets: Record<string, { members: string[] }> };
    expect(st.ipsets.front!.members).toHaveLength(N);
    const second = await run();
    expect(second.dp.adoption?.outcome).toBe('adopted');
    await second.dp.stop();
  });

  // a real VPP is not restarted by tests
  test.skipIf(!!REAL)(
    'after a VPP restart while running, resync() records the new VPP: the next agent restart adopts',
    async () => {
      if (!fake) throw new Error('needs the fake VPP');
      const vpp = await connectVpp({ socket, reconnect: { initialDelayMs: 10, healthIntervalMs: 0 } });
      clients.push(vpp);
      const dp = createPolicyDataplane(
        { vpp },
        { backend: 'npol', host: { hostAddresses: [HOST] }, npolStatePath: statePath, npolStateDelayMs: 20 },
      );
      await dp.start();
      const [a, b, c] = (await interfaces(vpp, 3)) as [number, number, number];
      await dp.replace(desired(a, b, c));
      const up = new Promise((r) => vpp.addEventListener('vpp:up', r, { once: true }));
      await fake.restart();
      await up;
      expect(await interfaces(vpp, 3)).toEqual([a, b, c]);
      const r = await dp.resync();
      expect(r.vppCalls).toBeGreaterThan(0);
      expect(dp.adoption).toMatchObject({ outcome: 'fresh', reason: 'vpp-restart' });
      await dp.stop();
      const third = await run();
      expect(third.dp.adoption?.outcome).toBe('adopted');
      await third.dp.replace(desired(a, b, c));
      expect(createsAndDeletes(third.dp)).toBe(0);
      expect(verdicts(table(a, b, c))).toEqual([true, false, false, true, true, true, false, false, true]);
      await third.dp.stop();
    },
  );
});
