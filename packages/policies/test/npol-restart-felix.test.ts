/**
 * An agent restart behind Felix's protocol (npol backend, fake VPP): Felix resends its whole state and
 * InSync to the new agent; the adopted npol objects make that a no-op for VPP, built-ins included (they
 * depend on Felix's host metadata, which the new agent only learns in the sync). And a burst of
 * ToDataplane messages after InSync writes the state file a few times, not once per message.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectVpp } from '@vectorplane/vpp-binapi';
import { startFakeVpp, type FakeVpp } from '@vectorplane/vpp-binapi/testing';
import { afterEach, expect, test } from 'vitest';
import { createPolicyDataplane, type PolicyDataplane } from '../src/dataplane.js';
import { createFelixServer, type FelixServer } from '../src/felix/server.js';
import { connectFelixPeer, type FelixPeer } from '../src/testing/index.js';
import { tcp } from './helpers/env.js';

const NODE = 'node-1';
const A = '10.0.0.1';
const B = '10.0.0.2';
const HOST = '192.168.0.1';
const wid = (w: string) => ({ orchestrator_id: 'k8s', workload_id: `default/${w}`, endpoint_id: 'eth0' });

let fake: FakeVpp | undefined;
let dir: string | undefined;
const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup.length = 0;
  await fake?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  fake = dir = undefined;
});

function sync(p: FelixPeer, front: string[] = [A]) {
  p.send({ host_metadata_v4v6_update: { hostname: NODE, ipv4_addr: HOST } });
  p.send({ ipset_update: { id: 's:front', type: 0, members: front } });
  p.send({
    active_profile_update: {
      id: { name: 'kns.default' },
      profile: { inbound_rules: [{ action: 'allow' }], outbound_rules: [{ action: 'allow' }] },
    },
  });
  p.send({
    active_policy_update: {
      id: { kind: 'NetworkPolicy', namespace: 'default', name: 'web' },
      policy: {
        inbound_rules: [
          {
            action: 'allow',
            protocol: { name: 'tcp' },
            src_ip_set_ids: ['s:front'],
            dst_ports: [{ first: 80, last: 80 }],
          },
        ],
      },
    },
  });
  for (const [w, ip, web] of [
    ['a', A, false],
    ['b', B, true],
  ] as const)
    p.send({
      workload_endpoint_update: {
        id: wid(w),
        endpoint: {
          state: 'active',
          name: `cali-${w}`,
          profile_ids: ['kns.default'],
          ipv4_nets: [`${ip}/32`],
          ...(web
            ? {
                tiers: [
                  {
                    name: 'default',
                    ingress_policies: [{ kind: 'NetworkPolicy', namespace: 'default', name: 'web' }],
                    default_action: 'Deny',
                  },
                ],
              }
            : {}),
        },
      },
    });
  p.send({ in_sync: {} });
}

async function agent(statePath: string, itfs: Map<string, number[]>) {
  const vpp = await connectVpp({ socket: fake!.socketPath });
  const dp = createPolicyDataplane({ vpp }, { backend: 'npol', npolStatePath: statePath, npolStateDelayMs: 500 });
  await dp.start();
  const socketPath = join(dir!, `felix-${Math.random().toString(36).slice(2)}.sock`);
  const server: FelixServer = createFelixServer(
    { dataplane: dp, endpoints: { workload: (k) => itfs.get(k), hostEndpoint: () => undefined } },
    { socketPath, nodeName: NODE, statusIntervalMs: 0 },
  );
  await server.start();
  const peer = await connectFelixPeer(socketPath);
  const stop = async () => {
    peer.close();
    await server.stop();
    await dp.stop();
    await vpp.close();
  };
  cleanup.push(stop);
  return { dp, peer, stop };
}

const verdicts = (a: number, b: number) =>
  [
    [b, tcp(A, B, 80)],
    [b, tcp(A, B, 81)],
    [b, tcp(HOST, B, 81)],
    [a, tcp(B, A, 5000)],
  ].map(
    ([sw, p]) =>
      fake!.state.evaluateNpol({ sw_if_index: sw as number, direction: 'output', ...(p as object) } as never).allowed,
  );

const createsAndDeletes = (dp: PolicyDataplane) =>
  [...dp.calls].filter(([n]) => /^npol_.*_(create|delete)$/.test(n)).reduce((s, [, c]) => s + c, 0);

test('pol npol restart behind Felix: the resent state and InSync change nothing in VPP; bursts are coalesced', async () => {
  fake = await startFakeVpp();
  dir = await mkdtemp(join(tmpdir(), 'pol-npol-felix-'));
  const statePath = join(dir, 'state.json');
  const setup = await connectVpp({ socket: fake.socketPath });
  cleanup.push(() => setup.close());
  const a = (await setup.call('create_loopback', {})).sw_if_index;
  const b = (await setup.call('create_loopback', {})).sw_if_index;
  const itfs = new Map([
    ['k8s:default/a:eth0', [a]],
    ['k8s:default/b:eth0', [b]],
  ]);

  const first = await agent(statePath, itfs);
  sync(first.peer);
  await first.peer.next('dataplane_in_sync');
  const before = verdicts(a, b);
  expect(before).toEqual([true, false, true, true]);
  // a burst after InSync: each message is one batch
  const N = 200;
  for (let i = 0; i < N; i++)
    first.peer.send({ ipset_delta_update: { id: 's:front', added_members: [`10.1.0.${i}`], removed_members: [] } });
  first.peer.send({ ipset_delta_update: { id: 's:front', added_members: [], removed_members: ['10.1.0.0'] } });
  const until = Date.now() + 10_000;
  while (first.dp.snapshot().ipsets.get('s:front')?.members.length !== N && Date.now() < until)
    await new Promise((r) => setTimeout(r, 10));
  expect(first.dp.snapshot().ipsets.get('s:front')?.members).toHaveLength(N);
  await first.stop();
  cleanup.pop();
  expect(first.dp.stateWrites).toBeLessThan(N / 10);
  const objects = { policies: fake.state.npol.policies.size, rules: fake.state.npol.rules.size };

  // the agent restarts; Felix resends everything (the burst's members included) and InSync
  const second = await agent(statePath, itfs);
  expect(second.dp.adoption?.outcome).toBe('adopted');
  sync(second.peer, [A, ...Array.from({ length: N - 1 }, (_, i) => `10.1.0.${i + 1}`)]);
  await second.peer.next('dataplane_in_sync');
  expect(createsAndDeletes(second.dp)).toBe(0);
  expect(second.dp.calls.get('npol_configure_policies') ?? 0).toBe(0);
  expect(second.dp.calls.get('npol_rule_update') ?? 0).toBe(0);
  expect(verdicts(a, b)).toEqual(before);
  expect({ policies: fake.state.npol.policies.size, rules: fake.state.npol.rules.size }).toEqual(objects);
  expect(second.dp.calls.get('npol_ipset_add_del_members') ?? 0).toBe(0);
});
