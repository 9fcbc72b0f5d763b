import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWireguardKeyPair } from '../../src/index.js';
import { until } from '../helpers/until.js';
import { fibOf, interopSkipReason, Lab, nodeObject, type TestNode } from './env.js';

const skip = interopSkipReason();
if (skip) console.log(`bgp interop mesh: skipped (${skip})`);

describe.skipIf(!!skip)('bgp interop: two nodes, two gobgpd in two netns, node-to-node mesh', () => {
  const lab = new Lab();
  let a: TestNode;
  let b: TestNode;
  const keysA = generateWireguardKeyPair();
  const keysB = generateWireguardKeyPair();
  const keysA6 = generateWireguardKeyPair();
  const keysB6 = generateWireguardKeyPair();

  beforeAll(async () => {
    const nsA = await lab.addNetns();
    const nsB = await lab.addNetns();
    await lab.link(nsA, ['10.99.1.1/24', 'fd99:1::1/64'], nsB, ['10.99.1.2/24', 'fd99:1::2/64']);
    lab.source.apply(
      nodeObject('node-a', '10.99.1.1', 'fd99:1::1', {
        wireguard: { inner: '10.244.1.1', publicKey: keysA.publicKey, publicKeyV6: keysA6.publicKey },
      }),
    );
    lab.source.apply(
      nodeObject('node-b', '10.99.1.2', 'fd99:1::2', {
        wireguard: { inner: '10.244.2.1', publicKey: keysB.publicKey, publicKeyV6: keysB6.publicKey },
      }),
    );
    lab.source.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'IPPool',
      metadata: { name: 'v4' },
      spec: { cidr: '10.244.0.0/16', ipipMode: 'Always' },
    });
    lab.source.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'IPPool',
      metadata: { name: 'v6' },
      spec: { cidr: 'fd00:244::/64', vxlanMode: 'Always' },
    });
    lab.source.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'IPPool',
      metadata: { name: 'flat' },
      spec: { cidr: '10.245.0.0/16' },
    });
    a = await lab.node('node-a', nsA, '10.99.1.1', 'fd99:1::1', {
      ipamBlocks: ['10.244.1.0/26', 'fd00:244::1:0/112', '10.245.1.0/26'],
    });
    b = await lab.node('node-b', nsB, '10.99.1.2', 'fd99:1::2', {
      ipamBlocks: ['10.244.2.0/26', 'fd00:244::2:0/112'],
      wireguardPrivateKey: keysB.privateKey,
      wireguardPrivateKeyV6: keysB6.privateKey,
    });
    await Promise.all([a.controller.start(), b.controller.start()]);
  });
  afterAll(async () => {
    await lab.cleanup();
  });

  it('bgp: the mesh forms (one v4 and one v6 session each way)', async () => {
    const peers = await until('sessions established', async () => {
      const p = await a.controller.speaker!.peers();
      return p.length === 2 && p.every((x) => x.state === 'ESTABLISHED') && p;
    });
    expect(peers.map((p) => p.address).sort()).toEqual(['10.99.1.2', 'fd99:1::2']);
    // node-a announces v4 and v6 blocks: each session counts what it advertises and receives (not 0)
    const counted = await until('advertised and received counted on both sessions', async () => {
      const p = await a.controller.speaker!.peers();
      return p.every((x) => x.advertised > 0 && x.received > 0) && p;
    });
    for (const p of counted) {
      expect(p.advertised, `advertised to ${p.address}`).toBeGreaterThan(0);
      expect(p.received, `received from ${p.address}`).toBeGreaterThan(0);
    }
    expect(a.controller.issues).toEqual([]);
  });

  it('bgp: v4 and v6 blocks are learned and programmed with the IPPool provider (IPIP for v4, VXLAN for v6, FLAT without encapsulation)', async () => {
    const fibA = await until('node-b blocks in node-a VPP', () => {
      const f = fibOf(a.fake);
      return f['10.244.2.0/26'] && f['fd00:244::2:0/112'] && f;
    });
    expect(fibA['10.244.2.0/26']).toEqual(['via 0.0.0.0 ipip0']);
    expect(fibA['fd00:244::2:0/112']).toEqual(['via fd99:1::2 vxlan_tunnel0']);
    const fibB = await until('node-a blocks in node-b VPP', () => {
      const f = fibOf(b.fake);
      return f['10.244.1.0/26'] && f['fd00:244::1:0/112'] && f['10.245.1.0/26'] && f;
    });
    expect(fibB['10.244.1.0/26']).toEqual(['via 0.0.0.0 ipip0']);
    expect(fibB['10.245.1.0/26']).toEqual(['via 10.99.1.1']);
    // our own announcements are never programmed into our own VPP
    expect(fibA['10.244.1.0/26']).toBeUndefined();
    const itf = a.fake.state.snapshot().interfaces;
    expect(itf['ipip0']!.flags & 1).toBe(1);
  });

  it('bgp: a withdrawal removes the routes and the tunnels that carried them', async () => {
    b.controller.setIpamBlocks(['fd00:244::2:0/112']);
    await until('10.244.2.0/26 gone from node-a VPP', () => fibOf(a.fake)['10.244.2.0/26'] === undefined);
    await until('ipip tunnel gone', () => a.fake.state.snapshot().interfaces['ipip0'] === undefined);
    expect(fibOf(a.fake)['fd00:244::2:0/112']).toEqual(['via fd99:1::2 vxlan_tunnel0']);
    b.controller.setIpamBlocks([]);
    await until('v6 block gone from node-a VPP', () => fibOf(a.fake)['fd00:244::2:0/112'] === undefined);
    expect(a.controller.programmer.routes()).toEqual([]);
  });

  it('bgp: a pool change moves routes to the new provider (delete, then add)', async () => {
    lab.source.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'IPPool',
      metadata: { name: 'flat' },
      spec: { cidr: '10.245.0.0/16', vxlanMode: 'Always' },
    });
    const via = await until(
      '10.245.1.0/26 via vxlan in node-b',
      () => fibOf(b.fake)['10.245.1.0/26']?.[0]?.includes('vxlan') && fibOf(b.fake)['10.245.1.0/26'],
    );
    expect(via).toEqual([expect.stringMatching(/^via 10\.99\.1\.1 vxlan_tunnel\d+$/)]);
    expect(b.controller.programmer.routes().find((r) => r.prefix === '10.245.1.0/26')).toEqual({
      prefix: '10.245.1.0/26',
      nextHop: '10.99.1.1',
      provider: 'vxlan',
    });
  });

  const wgState = async (n: TestNode) => {
    const itfs = [];
    for await (const d of n.vpp.dump('wireguard_interface_dump', { show_private_key: false, sw_if_index: 0xffffffff }))
      itfs.push(d.interface);
    const peers = [];
    for await (const d of n.vpp.dump('wireguard_peers_dump', { peer_index: 0xffffffff })) peers.push(d.peer);
    return {
      itfs,
      peers: peers.map((p) => [p.endpoint, Buffer.from(p.public_key).toString('base64'), [...p.allowed_ips].sort()]),
    };
  };

  it('bgp: FelixConfiguration wireguardEnabled moves IPv4 node routes to WireGuard (keys from the Node resources), IPv6 with wireguardEnabledV6', async () => {
    lab.source.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'FelixConfiguration',
      metadata: { name: 'default' },
      spec: { wireguardEnabled: true },
    });
    const via = await until('10.245.1.0/26 via wireguard in node-b', () => {
      const r = fibOf(b.fake)['10.245.1.0/26'];
      return r?.[0]?.includes(' wg') && r;
    });
    // via the node's address on a wireguard interface: VPP finds the peer by the next hop in its allowed IPs
    expect(via).toEqual([expect.stringMatching(/^via 10\.99\.1\.1 wg\d+$/)]);
    let wg = await wgState(b);
    expect(wg.itfs).toHaveLength(1);
    expect(wg.itfs[0]).toMatchObject({ src_ip: '10.99.1.2', port: 51820 });
    expect(Buffer.from(wg.itfs[0]!.public_key).toString('base64')).toBe(keysB.publicKey);
    expect(wg.peers).toEqual([
      ['10.99.1.1', keysA.publicKey, ['10.244.1.0/26', '10.244.1.1/32', '10.245.1.0/26', '10.99.1.1/32']],
    ]);
    // the VXLAN tunnel that carried the route is gone with it; IPv6 (not enabled for WireGuard) keeps its VXLAN
    expect(fibOf(b.fake)['fd00:244::1:0/112']).toEqual([expect.stringMatching(/^via fd99:1::1 vxlan_tunnel\d+$/)]);

    lab.source.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'FelixConfiguration',
      metadata: { name: 'default' },
      spec: { wireguardEnabled: true, wireguardEnabledV6: true },
    });
    await until('fd00:244::1:0/112 via wireguard in node-b', () =>
      fibOf(b.fake)['fd00:244::1:0/112']?.[0]?.includes(' wg'),
    );
    wg = await wgState(b);
    expect(wg.itfs.map((i) => [i.src_ip, i.port]).sort()).toEqual([
      ['10.99.1.2', 51820],
      ['fd99:1::2', 51821],
    ]);
    expect(wg.peers).toContainEqual(['fd99:1::1', keysA6.publicKey, ['fd00:244::1:0/112', 'fd99:1::1/128']]);
    expect(Object.keys(b.fake.state.snapshot().interfaces).filter((n) => n.startsWith('vxlan'))).toEqual([]);
  });

  it('bgp: a node that withdraws its WireGuard key gets its routes back on the pool provider; the peer goes', async () => {
    lab.source.apply(
      nodeObject('node-a', '10.99.1.1', 'fd99:1::1', {
        wireguard: { inner: '10.244.1.1', publicKey: keysA.publicKey },
      }),
    ); // the IPv6 key is gone
    await until('fd00:244::1:0/112 back on VXLAN in node-b', () =>
      fibOf(b.fake)['fd00:244::1:0/112']?.[0]?.includes('vxlan'),
    );
    const wg = await wgState(b);
    expect(wg.peers.map((p) => p[0])).toEqual(['10.99.1.1']);
    // the IPv6 wireguard interface went with its last peer
    expect(wg.itfs.map((i) => i.src_ip)).toEqual(['10.99.1.2']);
    expect(fibOf(b.fake)['10.245.1.0/26']?.[0]).toMatch(/^via 10\.99\.1\.1 wg\d+$/);
  });
});
