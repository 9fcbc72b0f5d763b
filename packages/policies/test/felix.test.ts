import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { afterEach, describe, expect, test } from 'vitest';
import { createFelixServer, type FelixServer } from '../src/felix/server.js';
import { frameFelix } from '../src/felix/framing.js';
import { connectFelixPeer, type FelixPeer } from '../src/testing/index.js';
import type { PolicyError } from '../src/errors.js';
import { BACKENDS, policyEnv, tcp, type PolicyEnv } from './helpers/env.js';

const NODE = 'node-1';
const A = '10.0.0.1';
const B = '10.0.0.2';

let env: PolicyEnv | undefined;
let server: FelixServer | undefined;
let peer: FelixPeer | undefined;
let dir: string | undefined;
afterEach(async () => {
  peer?.close();
  await server?.stop();
  await env?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  env = server = peer = dir = undefined;
});

const wid = (w: string) => ({ orchestrator_id: 'k8s', workload_id: `default/${w}`, endpoint_id: 'eth0' });
const until = async (cond: () => boolean | Promise<boolean>, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

async function setup(kind: (typeof BACKENDS)[number]) {
  env = await policyEnv(kind);
  const a = await env.iface();
  const b = await env.iface();
  const itfs = new Map([
    [`k8s:default/a:eth0`, [a]],
    [`k8s:default/b:eth0`, [b]],
  ]);
  dir = await mkdtemp(join(tmpdir(), 'pol-felix-'));
  const errors: PolicyError[] = [];
  const events: string[] = [];
  server = createFelixServer(
    { dataplane: env.dp, endpoints: { workload: (k) => itfs.get(k), hostEndpoint: () => undefined } },
    { socketPath: join(dir, 'felix.sock'), nodeName: NODE, maxFrameSize: 1 << 20, statusIntervalMs: 0 },
  );
  server.addEventListener('felix:error', (e) => errors.push((e as CustomEvent<PolicyError>).detail));
  for (const t of ['felix:config', 'felix:host-metadata', 'felix:ipam-pool', 'felix:in-sync'])
    server.addEventListener(t, () => events.push(t));
  await server.start();
  peer = await connectFelixPeer(join(dir, 'felix.sock'));
  return { a, b, errors, events, env, server, peer };
}

function syncSequence(p: FelixPeer) {
  p.send({ config_update: { config: { FailsafeInboundHostPorts: 'tcp:22', DefaultEndpointToHostAction: 'ACCEPT' } } });
  p.send({
    host_metadata_v4v6_update: {
      hostname: NODE,
      ipv4_addr: '192.168.0.1',
      ipv6_addr: 'fd00::1',
      labels: { zone: 'a' },
    },
  });
  p.send({ ipam_pool_update: { id: 'pool1', pool: { cidr: '10.0.0.0/16', masquerade: true } } });
  p.send({ ipset_update: { id: 's:front', type: 0, members: [A] } });
  p.send({ ipset_update: { id: 's:stale', type: 2, members: ['10.9.0.0/16'] } });
  p.send({ ipset_remove: { id: 's:stale' } });
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
  p.send({
    workload_endpoint_update: {
      id: wid('a'),
      endpoint: { state: 'active', name: 'cali-a', profile_ids: ['kns.default'], ipv4_nets: [`${A}/32`] },
    },
  });
  p.send({
    workload_endpoint_update: {
      id: wid('b'),
      endpoint: {
        state: 'active',
        name: 'cali-b',
        profile_ids: ['kns.default'],
        ipv4_nets: [`${B}/32`],
        tiers: [
          {
            name: 'default',
            ingress_policies: [{ kind: 'NetworkPolicy', namespace: 'default', name: 'web' }],
            default_action: 'Deny',
          },
        ],
      },
    },
  });
}

describe.each(BACKENDS)('pol felix front-end (%s backend)', (kind) => {
  test('syncing builds a pending state; InSync programs it and status goes back to Felix', async () => {
    const { a, b, events, errors, env, server, peer } = await setup(kind);
    syncSequence(peer);
    await until(() => events.includes('felix:ipam-pool'));
    expect(server.state).toBe('syncing');
    expect(env.dp.snapshot().policies.size).toBe(0);
    peer.send({ in_sync: {} });
    await peer.next('dataplane_in_sync');
    expect(server.state).toBe('in-sync');
    expect(events).toEqual(['felix:config', 'felix:host-metadata', 'felix:ipam-pool', 'felix:in-sync']);
    expect(errors).toEqual([]);
    expect(env.dp.snapshot().ipsets.has('s:stale')).toBe(false);
    expect(await env.passes(a, b, tcp(A, B, 80))).toBe(true);
    expect(await env.passes(a, b, tcp(A, B, 81))).toBe(false);
    // allow-from-host uses the node's address from HostMetadataV4V6Update
    expect(await env.hop(b, 'output', tcp('192.168.0.1', B, 81))).toBe(true);
    const statuses = peer.received.filter((m) => m['payload'] === 'workload_endpoint_status_update');
    expect(statuses).toHaveLength(2);
    expect(statuses[0]!['workload_endpoint_status_update']).toMatchObject({ status: { status: 'up' } });
    await peer.next('process_status_update');

    // after InSync, updates apply directly: a delta lets C in
    peer.send({ ipset_delta_update: { id: 's:front', added_members: ['10.0.0.3'] } });
    await until(async () => await env.hop(b, 'output', tcp('10.0.0.3', B, 80)));
    peer.send({ active_policy_remove: { id: { kind: 'NetworkPolicy', namespace: 'default', name: 'web' } } });
    peer.send({
      workload_endpoint_update: {
        id: wid('b'),
        endpoint: { state: 'active', profile_ids: ['kns.default'], ipv4_nets: [`${B}/32`] },
      },
    });
    await until(async () => await env.hop(b, 'output', tcp(A, B, 81)));
  });

  test('a reconnecting Felix resyncs: what the new snapshot lacks is removed at its InSync', async () => {
    const { a, b, env, peer } = await setup(kind);
    syncSequence(peer);
    peer.send({ in_sync: {} });
    await peer.next('dataplane_in_sync');
    peer.close();
    const p2 = await connectFelixPeer(join(dir!, 'felix.sock'));
    p2.send({
      active_profile_update: {
        id: { name: 'kns.default' },
        profile: { inbound_rules: [{ action: 'allow' }], outbound_rules: [{ action: 'allow' }] },
      },
    });
    p2.send({
      workload_endpoint_update: { id: wid('b'), endpoint: { profile_ids: ['kns.default'], ipv4_nets: [`${B}/32`] } },
    });
    // until the new InSync, what is programmed stays
    expect(await env.passes(a, b, tcp(A, B, 81))).toBe(false);
    p2.send({ in_sync: {} });
    await p2.next('dataplane_in_sync');
    expect(env.dp.snapshot().policies.size).toBe(0);
    expect(env.dp.snapshot().workloads.has('k8s:default/a:eth0')).toBe(false);
    expect(await env.hop(b, 'output', tcp(A, B, 81))).toBe(true);
    p2.close();
  });
});

describe('pol felix front-end: bad input', () => {
  test('a length prefix over the maximum closes that connection; the programmed state stays', async () => {
    const { a, b, errors, env, peer } = await setup('acl');
    syncSequence(peer);
    peer.send({ in_sync: {} });
    await peer.next('dataplane_in_sync');
    const header = Buffer.alloc(8);
    header.writeBigUInt64LE(2n ** 40n);
    peer.write(header);
    await peer.closed;
    expect(errors.map((e) => e.name)).toEqual(['FelixFrameTooLargeError']);
    expect(await env.passes(a, b, tcp(A, B, 80))).toBe(true);
    expect(await env.passes(a, b, tcp(A, B, 81))).toBe(false);
  });

  test('garbage protobuf closes the connection with FelixDecodeError', async () => {
    const { errors, peer } = await setup('npol');
    peer.write(frameFelix(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2])));
    await peer.closed;
    expect(errors.map((e) => e.code)).toEqual(['FELIX_DECODE_FAILED']);
  });

  test('an unknown oneof case is reported with its field number and the stream goes on', async () => {
    const { errors, peer, server } = await setup('npol');
    // field 99, length-delimited, empty
    peer.write(
      frameFelix(
        protobuf.Writer.create()
          .uint32((99 << 3) | 2)
          .bytes(Buffer.alloc(0))
          .finish(),
      ),
    );
    peer.send({ in_sync: {} });
    await peer.next('dataplane_in_sync');
    expect(server.state).toBe('in-sync');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ name: 'FelixUnknownPayloadError', code: 'FELIX_UNKNOWN_PAYLOAD', fields: [99] });
  });

  test('a truncated frame is reported when the connection ends inside it', async () => {
    const { errors, peer } = await setup('npol');
    const f = frameFelix(Buffer.alloc(20, 1));
    peer.write(f.subarray(0, 12));
    peer.close();
    await until(() => errors.length > 0);
    expect(errors[0]).toMatchObject({ name: 'FelixFrameTruncatedError', expected: 28, received: 12 });
  });

  test('a policy that refers to a missing ipset is reported, the others apply', async () => {
    const { a, b, errors, env, peer } = await setup('acl');
    syncSequence(peer);
    peer.send({
      active_policy_update: {
        id: { name: 'dangling' },
        policy: { inbound_rules: [{ action: 'allow', src_ip_set_ids: ['s:none'] }] },
      },
    });
    peer.send({
      active_policy_update: {
        id: { name: 'badnet' },
        policy: { inbound_rules: [{ action: 'allow', src_net: ['300.0.0.0/8'] }] },
      },
    });
    peer.send({ in_sync: {} });
    await peer.next('dataplane_in_sync');
    expect(errors.map((e) => [e.name, (e as { path?: string }).path]).sort()).toEqual([
      ['PolicyModelError', 'inbound[0].srcNets[0]'],
      ['PolicyReferenceError', 'inbound[0].srcIpSets[0]'],
    ]);
    expect(await env.passes(a, b, tcp(A, B, 80))).toBe(true);
  });
});
