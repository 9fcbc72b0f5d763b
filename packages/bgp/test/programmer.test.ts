import { connectVpp, type VppApi, type VppClient } from '@vectorplane/vpp-binapi';
import { startFakeVpp, type FakeVpp } from '@vectorplane/vpp-binapi/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createRouteProgrammer,
  generateWireguardKeyPair,
  wireguardPublicKey,
  type RouteProgrammerInit,
} from '../src/vpp/programmer.js';

// Against the fake always; against a real VPP too when VPP_API_SOCKET is set (each test removes what it made).
const REAL = process.env['VPP_API_SOCKET'];

const peerKeys = generateWireguardKeyPair();
const peerKeys6 = generateWireguardKeyPair();
const ownKeys = generateWireguardKeyPair();
const ownKeys6 = generateWireguardKeyPair();

async function dumpAll<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

for (const target of ['fake', ...(REAL ? ['real'] : [])] as const) {
  describe(`bgp route programmer (${target} VPP)`, () => {
    let fake: FakeVpp | undefined;
    let vpp: VppClient<VppApi>;
    let uplink: number;
    let base: RouteProgrammerInit;
    // what the peer nodes published, per underlay address (Calico: one key per family)
    const wgPeers = new Map<string, { publicKey: string; innerAddress?: string }>();

    beforeAll(async () => {
      if (target === 'fake') fake = await startFakeVpp();
      vpp = await connectVpp({ socket: fake ? fake.socketPath : REAL! });
    });
    afterAll(async () => {
      await vpp?.close();
      await fake?.stop();
    });
    beforeEach(async () => {
      wgPeers.clear();
      wgPeers.set('192.168.77.2', { publicKey: peerKeys.publicKey, innerAddress: '10.244.2.1' });
      wgPeers.set('fd77::2', { publicKey: peerKeys6.publicKey });
      uplink = (await vpp.call('create_loopback', { mac_address: '02:00:00:00:0b:01' })).sw_if_index;
      await vpp.call('sw_interface_add_del_address', { sw_if_index: uplink, is_add: true, prefix: '192.168.77.1/24' });
      await vpp.call('sw_interface_add_del_address', { sw_if_index: uplink, is_add: true, prefix: 'fd77::1/64' });
      await vpp.call('sw_interface_set_flags', { sw_if_index: uplink, flags: 1 });
      base = {
        uplinkSwIfIndex: uplink,
        sourceAddress4: '192.168.77.1',
        sourceAddress6: 'fd77::1',
        ownedPrefixes: ['10.244.0.0/16', 'fd00:244::/64'],
        wireguard: {
          privateKey: ownKeys.privateKey,
          port: 51820,
          privateKey6: ownKeys6.privateKey,
          peer: (addr) => wgPeers.get(addr),
        },
      };
    });
    afterEach(async () => {
      // remove what the test made: routes through the programmer (below), then the uplink
      await vpp.call('delete_loopback', { sw_if_index: uplink }).catch(() => {});
    });

    async function routeVia(prefix: string): Promise<{ sw_if_index: number; nh: string } | undefined> {
      const isIp6 = prefix.includes(':');
      for (const d of await dumpAll(
        vpp.dump('ip_route_v2_dump', { src: 0, table: { table_id: 0, is_ip6: isIp6, name: '' } }),
      )) {
        if (d.route.prefix === prefix) {
          const p = d.route.paths[0]!;
          return { sw_if_index: p.sw_if_index, nh: (isIp6 ? p.nh.address.ip6 : p.nh.address.ip4) ?? '' };
        }
      }
      return undefined;
    }

    it('bgp: FLAT routes v4 and v6 go via the next hop, and are removed again', async () => {
      const prog = createRouteProgrammer(base, { vpp });
      await prog.add({ prefix: '10.244.2.0/26', nextHop: '192.168.77.2', provider: 'flat' });
      await prog.add({ prefix: 'fd00:244::2:0/112', nextHop: 'fd77::2', provider: 'flat' });
      expect(await routeVia('10.244.2.0/26')).toEqual({ sw_if_index: 0xffffffff, nh: '192.168.77.2' });
      expect(await routeVia('fd00:244::2:0/112')).toEqual({ sw_if_index: 0xffffffff, nh: 'fd77::2' });
      await prog.remove('10.244.2.0/26');
      await prog.remove('fd00:244::2:0/112');
      expect(await routeVia('10.244.2.0/26')).toBeUndefined();
      expect(await routeVia('fd00:244::2:0/112')).toBeUndefined();
    });

    it('bgp: IPIP — one tunnel per node, unnumbered to the uplink and up, shared, removed with its last route', async () => {
      const prog = createRouteProgrammer(base, { vpp });
      await prog.add({ prefix: '10.244.2.0/26', nextHop: '192.168.77.2', provider: 'ipip' });
      await prog.add({ prefix: '10.244.2.64/26', nextHop: '192.168.77.2', provider: 'ipip' });
      const tunnels = await dumpAll(vpp.dump('ipip_tunnel_dump', { sw_if_index: 0xffffffff }));
      expect(tunnels).toHaveLength(1);
      const t = tunnels[0]!.tunnel;
      expect([t.src, t.dst]).toEqual(['192.168.77.1', '192.168.77.2']);
      const un = await dumpAll(vpp.dump('ip_unnumbered_dump', { sw_if_index: t.sw_if_index }));
      expect(un.map((u) => u.ip_sw_if_index)).toEqual([uplink]);
      const [itf] = await dumpAll(
        vpp.dump('sw_interface_dump', { sw_if_index: t.sw_if_index, name_filter_valid: false, name_filter: '' }),
      );
      expect(itf!.flags & 1).toBe(1);
      // cnat's features, as Calico/VPP gives every tunnel (VPP has no dump of them: the fake's state)
      if (fake) expect(fake.state.cnatFeatureInterfaces.has(t.sw_if_index)).toBe(true);
      expect((await routeVia('10.244.2.0/26'))?.sw_if_index).toBe(t.sw_if_index);
      await prog.remove('10.244.2.0/26');
      expect(await dumpAll(vpp.dump('ipip_tunnel_dump', { sw_if_index: 0xffffffff }))).toHaveLength(1);
      await prog.remove('10.244.2.64/26');
      expect(await dumpAll(vpp.dump('ipip_tunnel_dump', { sw_if_index: 0xffffffff }))).toHaveLength(0);
      expect(await routeVia('10.244.2.64/26')).toBeUndefined();
    });

    it('bgp: VXLAN — L3 tunnel, VNI 4096 port 4789, decap to ip4-input, route via the underlay address through the tunnel', async () => {
      const prog = createRouteProgrammer(base, { vpp });
      await prog.add({ prefix: '10.244.3.0/26', nextHop: '192.168.77.3', provider: 'vxlan' });
      const tunnels = await dumpAll(vpp.dump('vxlan_tunnel_v2_dump', { sw_if_index: 0xffffffff }));
      expect(tunnels).toHaveLength(1);
      const t = tunnels[0]!;
      expect([t.src_address, t.dst_address, t.vni, t.dst_port]).toEqual(['192.168.77.1', '192.168.77.3', 4096, 4789]);
      expect(t.decap_next_index).not.toBe(1); // not l2-input: the index add_node_next gave for ip4-input
      const route = await routeVia('10.244.3.0/26');
      expect(route).toEqual({ sw_if_index: t.sw_if_index, nh: '192.168.77.3' }); // never a glean route
      await prog.remove('10.244.3.0/26');
      expect(await dumpAll(vpp.dump('vxlan_tunnel_v2_dump', { sw_if_index: 0xffffffff }))).toHaveLength(0);
    });

    async function wgInterfaces() {
      return (
        await dumpAll(vpp.dump('wireguard_interface_dump', { show_private_key: false, sw_if_index: 0xffffffff }))
      ).map((d) => d.interface);
    }
    async function wgPeerList() {
      return (await dumpAll(vpp.dump('wireguard_peers_dump', { peer_index: 0xffffffff }))).map((d) => ({
        ...d.peer,
        key: Buffer.from(d.peer.public_key).toString('base64'),
        allowed: [...d.peer.allowed_ips].sort(),
      }));
    }
    async function removeWgInterfaces() {
      for (const w of await wgInterfaces())
        await vpp.call('wireguard_interface_delete', { sw_if_index: w.sw_if_index });
    }

    it('bgp: WireGuard — one interface per family, unnumbered to the uplink; a peer per node with its addresses + routes allowed; routes via the node address', async () => {
      const prog = createRouteProgrammer(base, { vpp });
      await prog.add({ prefix: '10.244.2.0/26', nextHop: '192.168.77.2', provider: 'wireguard' });
      await prog.add({ prefix: '10.244.2.64/26', nextHop: '192.168.77.2', provider: 'wireguard' });
      let itfs = await wgInterfaces();
      expect(itfs).toHaveLength(1);
      const wg4 = itfs[0]!;
      expect(Buffer.from(wg4.public_key).toString('base64')).toBe(ownKeys.publicKey);
      expect(wg4).toMatchObject({ src_ip: '192.168.77.1', port: 51820 });
      // unnumbered to the uplink (as Calico/VPP): no address of its own, admin up
      const unnumbered = await dumpAll(vpp.dump('ip_unnumbered_dump', { sw_if_index: wg4.sw_if_index }));
      expect(unnumbered.map((u) => u.ip_sw_if_index)).toEqual([uplink]);
      if (fake) expect(fake.state.cnatFeatureInterfaces.has(wg4.sw_if_index)).toBe(true);
      let peers = await wgPeerList();
      expect(peers).toHaveLength(1);
      expect(peers[0]).toMatchObject({ endpoint: '192.168.77.2', key: peerKeys.publicKey, port: 51820 });
      // the node's underlay address (the routes' next hop) and its inner address (what its host sends from)
      expect(peers[0]!.allowed).toEqual(['10.244.2.0/26', '10.244.2.1/32', '10.244.2.64/26', '192.168.77.2/32']);
      expect(await routeVia('10.244.2.0/26')).toEqual({ sw_if_index: wg4.sw_if_index, nh: '192.168.77.2' });

      // IPv6: its own interface (source our IPv6 address, Calico's v6 port) and the node's IPv6 key
      await prog.add({ prefix: 'fd00:244:2::/64', nextHop: 'fd77::2', provider: 'wireguard' });
      itfs = await wgInterfaces();
      expect(itfs).toHaveLength(2);
      const wg6 = itfs.find((i) => i.sw_if_index !== wg4.sw_if_index)!;
      expect(wg6).toMatchObject({ src_ip: 'fd77::1', port: 51821 });
      expect(Buffer.from(wg6.public_key).toString('base64')).toBe(ownKeys6.publicKey);
      peers = await wgPeerList();
      const p6 = peers.find((p) => p.endpoint === 'fd77::2')!;
      expect(p6).toMatchObject({ key: peerKeys6.publicKey, sw_if_index: wg6.sw_if_index, port: 51821 });
      expect(p6.allowed).toEqual(['fd00:244:2::/64', 'fd77::2/128']);
      expect(await routeVia('fd00:244:2::/64')).toEqual({ sw_if_index: wg6.sw_if_index, nh: 'fd77::2' });

      await prog.remove('10.244.2.0/26');
      expect((await wgPeerList()).find((p) => p.endpoint === '192.168.77.2')!.allowed).toEqual([
        '10.244.2.1/32',
        '10.244.2.64/26',
        '192.168.77.2/32',
      ]);
      await prog.remove('10.244.2.64/26');
      // the IPv4 interface goes with its last peer; the IPv6 one still carries a route
      expect((await wgInterfaces()).map((i) => i.sw_if_index)).toEqual([wg6.sw_if_index]);
      await prog.remove('fd00:244:2::/64');
      expect(await wgPeerList()).toHaveLength(0);
      expect(await wgInterfaces()).toHaveLength(0);
    });

    it('bgp: WireGuard after a restart: a new programmer adopts interfaces, peers and routes (no call); a rotated key re-makes the peer', async () => {
      const first = createRouteProgrammer(base, { vpp });
      await first.add({ prefix: '10.244.2.0/26', nextHop: '192.168.77.2', provider: 'wireguard' });
      await first.add({ prefix: 'fd00:244:2::/64', nextHop: 'fd77::2', provider: 'wireguard' });
      const second = createRouteProgrammer(base, { vpp });
      const want = [
        { prefix: '10.244.2.0/26', nextHop: '192.168.77.2', provider: 'wireguard' as const },
        { prefix: 'fd00:244:2::/64', nextHop: 'fd77::2', provider: 'wireguard' as const },
      ];
      const res = await second.sync(want);
      expect(res).toMatchObject({ added: 0, removed: 0, kept: 2, errors: [] });
      const dumps = second.stats.vppCalls;
      await second.add(want[0]!);
      expect(second.stats.vppCalls).toBe(dumps); // nothing sent again
      expect(await wgInterfaces()).toHaveLength(2);

      // the node publishes a new IPv4 key: the same route, the peer made again with the new key
      const rotated = generateWireguardKeyPair();
      wgPeers.set('192.168.77.2', { publicKey: rotated.publicKey });
      await second.add(want[0]!);
      const peers = await wgPeerList();
      expect(peers).toHaveLength(2);
      expect(peers.find((p) => p.endpoint === '192.168.77.2')).toMatchObject({
        key: rotated.publicKey,
        allowed: ['10.244.2.0/26', '192.168.77.2/32'],
      });
      expect(await routeVia('10.244.2.0/26')).toMatchObject({ nh: '192.168.77.2' });
      // and again through sync (the controller's path after a Node change): not kept, made again
      const rotated2 = generateWireguardKeyPair();
      wgPeers.set('192.168.77.2', { publicKey: rotated2.publicKey });
      expect(await second.sync(want)).toMatchObject({ kept: 1, errors: [] });
      expect((await wgPeerList()).find((p) => p.endpoint === '192.168.77.2')).toMatchObject({
        key: rotated2.publicKey,
      });
      expect(await second.sync([])).toMatchObject({ removed: 2, errors: [] });
      expect(await wgPeerList()).toHaveLength(0);
      expect(await wgInterfaces()).toHaveLength(0);

      // an interface of ours left without peers (a crash between the two removals) goes at the next sync
      await vpp.call('wireguard_interface_create', {
        interface: {
          user_instance: 0xffffffff,
          sw_if_index: 0xffffffff,
          private_key: new Uint8Array(Buffer.from(ownKeys.privateKey, 'base64')),
          public_key: new Uint8Array(32),
          port: 51820,
          src_ip: '192.168.77.1',
        },
        generate_key: false,
      });
      const third = createRouteProgrammer(base, { vpp });
      expect(await third.sync([])).toMatchObject({ errors: [] });
      expect(await wgInterfaces()).toHaveLength(0);
    });

    it('bgp: WireGuard refusals are typed and leave nothing: no IPv6 key of ours, a next hop of the other family', async () => {
      const prog = createRouteProgrammer(
        { ...base, wireguard: { ...base.wireguard!, privateKey6: undefined } as never },
        {
          vpp,
        },
      );
      await expect(
        prog.add({ prefix: 'fd00:244:2::/64', nextHop: 'fd77::2', provider: 'wireguard' }),
      ).rejects.toMatchObject({ name: 'BgpInvalidConfigError', field: 'wireguard.privateKey6' });
      await expect(
        prog.add({ prefix: 'fd00:244:3::/64', nextHop: '192.168.77.2', provider: 'wireguard' }),
      ).rejects.toMatchObject({ name: 'BgpInvalidConfigError', field: 'nextHop' });
      expect(prog.routes()).toEqual([]);
      expect(await wgPeerList()).toHaveLength(0);
      expect(await wgInterfaces()).toHaveLength(0);
    });

    it('bgp: a provider change is delete then add; an unknown WireGuard key is a typed error naming the node', async () => {
      const prog = createRouteProgrammer(base, { vpp });
      await prog.add({ prefix: '10.244.2.0/26', nextHop: '192.168.77.2', provider: 'ipip' });
      await prog.add({ prefix: '10.244.2.0/26', nextHop: '192.168.77.2', provider: 'flat' });
      expect(await routeVia('10.244.2.0/26')).toEqual({ sw_if_index: 0xffffffff, nh: '192.168.77.2' });
      expect(await dumpAll(vpp.dump('ipip_tunnel_dump', { sw_if_index: 0xffffffff }))).toHaveLength(0);
      const err = await prog
        .add({ prefix: '10.244.9.0/26', nextHop: '192.168.77.9', provider: 'wireguard' })
        .catch((e: Error) => e);
      expect(err).toMatchObject({
        name: 'BgpInvalidConfigError',
        object: 'node 192.168.77.9',
        field: 'wireguardPublicKey',
      });
      expect(prog.routes()).toEqual([{ prefix: '10.244.2.0/26', nextHop: '192.168.77.2', provider: 'flat' }]);
      await prog.remove('10.244.2.0/26');
      await removeWgInterfaces();
    });

    it('bgp: after a restart a new programmer adopts tunnels and routes from dumps: no duplicates, stale ones removed', async () => {
      const first = createRouteProgrammer(base, { vpp });
      await first.add({ prefix: '10.244.2.0/26', nextHop: '192.168.77.2', provider: 'ipip' });
      await first.add({ prefix: '10.244.3.0/26', nextHop: '192.168.77.3', provider: 'vxlan' });
      await first.add({ prefix: '10.244.4.0/26', nextHop: '192.168.77.4', provider: 'flat' });
      await first.add({ prefix: '10.244.5.0/26', nextHop: '192.168.77.5', provider: 'ipip' });
      // "restart": a new programmer, the routes learned again except 10.244.5.0/26 (withdrawn meanwhile)
      const second = createRouteProgrammer(base, { vpp });
      const res = await second.sync([
        { prefix: '10.244.2.0/26', nextHop: '192.168.77.2', provider: 'ipip' },
        { prefix: '10.244.3.0/26', nextHop: '192.168.77.3', provider: 'vxlan' },
        { prefix: '10.244.4.0/26', nextHop: '192.168.77.4', provider: 'flat' },
      ]);
      expect(res).toMatchObject({ added: 0, removed: 1, kept: 3, errors: [] });
      expect(await dumpAll(vpp.dump('ipip_tunnel_dump', { sw_if_index: 0xffffffff }))).toHaveLength(1);
      expect(await dumpAll(vpp.dump('vxlan_tunnel_v2_dump', { sw_if_index: 0xffffffff }))).toHaveLength(1);
      expect(await routeVia('10.244.5.0/26')).toBeUndefined();
      const done = await second.sync([]);
      expect(done).toMatchObject({ removed: 3, errors: [] });
      expect(await dumpAll(vpp.dump('ipip_tunnel_dump', { sw_if_index: 0xffffffff }))).toHaveLength(0);
      expect(await dumpAll(vpp.dump('vxlan_tunnel_v2_dump', { sw_if_index: 0xffffffff }))).toHaveLength(0);
    });

    it('bgp: apply pipelines many FLAT routes; changes to one prefix keep their order; a route removed by hand is no error', async () => {
      const prog = createRouteProgrammer(base, { vpp });
      const pfx = (i: number) => `10.244.${100 + (i >> 6)}.${(i & 63) << 2}/30`;
      const n = 300;
      const first = await prog.apply(
        Array.from({ length: n }, (_, i) => ({
          prefix: pfx(i),
          target: { prefix: pfx(i), nextHop: '192.168.77.2', provider: 'flat' as const },
        })),
        { concurrency: 16 },
      );
      expect(first).toEqual({ added: n, removed: 0, errors: [] });
      expect(await routeVia(pfx(n - 1))).toEqual({ sw_if_index: 0xffffffff, nh: '192.168.77.2' });
      // one prefix: move, then remove, then add again, in one apply: the last state wins in VPP
      const p = pfx(0);
      const again = await prog.apply([
        { prefix: p, target: { prefix: p, nextHop: '192.168.77.3', provider: 'flat' } },
        { prefix: p, target: undefined },
        { prefix: p, target: { prefix: p, nextHop: '192.168.77.4', provider: 'flat' } },
      ]);
      expect(again.errors).toEqual([]);
      expect(await routeVia(p)).toEqual({ sw_if_index: 0xffffffff, nh: '192.168.77.4' });
      // gone from VPP behind our back: removing it is not an error
      const q = pfx(1);
      await vpp.call('ip_route_add_del', {
        is_add: false,
        is_multipath: false,
        route: {
          table_id: 0,
          prefix: q,
          n_paths: 1,
          paths: [
            {
              sw_if_index: 0xffffffff,
              table_id: 0,
              rpf_id: 0,
              weight: 1,
              preference: 0,
              type: 0,
              flags: 0,
              proto: 0,
              nh: { address: { ip4: '192.168.77.2' }, via_label: 0, obj_id: 0, classify_table_index: 0xffffffff },
              n_labels: 0,
              label_stack: [],
            },
          ],
        },
      } as never);
      const all = await prog.apply(Array.from({ length: n }, (_, i) => ({ prefix: pfx(i), target: undefined })));
      expect(all).toEqual({ added: 0, removed: n, errors: [] });
      expect(prog.stats.routes).toBe(0);
      expect(await routeVia(pfx(n - 1))).toBeUndefined();
    });

    it('bgp: an aborted apply sends nothing more and reports a BgpAbortError', async () => {
      const prog = createRouteProgrammer(base, { vpp });
      await prog.sync([]); // adopt first: the dumps are not part of what is aborted
      const ac = new AbortController();
      let yielded = 0;
      function* changes() {
        for (let i = 0; i < 100; i++) {
          if (i === 10) ac.abort(new Error('stop'));
          yielded++;
          const prefix = `10.244.200.${i}/32`;
          yield { prefix, target: { prefix, nextHop: '192.168.77.2', provider: 'flat' as const } };
        }
      }
      const calls0 = prog.stats.vppCalls;
      const res = await prog.apply(changes(), { signal: ac.signal });
      expect(yielded).toBe(11);
      expect(prog.stats.vppCalls - calls0).toBe(10);
      expect(res.errors.map((e) => e.name)).toEqual(['BgpAbortError']);
      // what was on the wire settles on its own; clean up
      await new Promise((r) => setTimeout(r, 100));
      await prog.sync([]);
    });

    it('bgp: malformed routes and settings get a typed error naming the field', async () => {
      const prog = createRouteProgrammer(base, { vpp });
      await expect(
        prog.add({ prefix: '10.244.2.0/33', nextHop: '192.168.77.2', provider: 'flat' }),
      ).rejects.toMatchObject({ name: 'BgpInvalidConfigError', field: 'prefix' });
      await expect(prog.add({ prefix: '10.244.2.0/26', nextHop: 'nope', provider: 'flat' })).rejects.toMatchObject({
        name: 'BgpInvalidConfigError',
        field: 'nextHop',
      });
      expect(() => createRouteProgrammer({ ...base, ownedPrefixes: ['x'] }, { vpp })).toThrow(/ownedPrefixes\[0\]/);
      expect(() =>
        createRouteProgrammer({ ...base, wireguard: { ...base.wireguard!, privateKey: 'abc' } }, { vpp }),
      ).toThrow(/wireguard.privateKey/);
    });
  });
}

describe('bgp wireguard keys', () => {
  it('bgp: the public key derived from a private key is the generated one', () => {
    const k = generateWireguardKeyPair();
    expect(wireguardPublicKey(k.privateKey)).toBe(k.publicKey);
    expect(Buffer.from(k.publicKey, 'base64')).toHaveLength(32);
  });
});
