/**
 * The fake's plugin handlers that only the fake can show (state a test sets up: devices that exist, taps
 * that succeed) and the composition of plugins into one handler table.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PLUGINS, composeHandlers } from '../src/testing/plugins/index.js';
import { x25519PublicKey } from '../src/testing/plugins/wireguard.js';
import {
  type FakeVpp,
  type FakeVppInit,
  type RawVppClient,
  connectRawVpp,
  FakeCnatStore,
  FakeVppState,
  startFakeVpp,
} from '../src/testing/index.js';

const ANY = 0xffffffff;
let fake: FakeVpp | undefined;
let client: RawVppClient | undefined;

afterEach(async () => {
  await client?.close();
  await fake?.stop();
  client = undefined;
  fake = undefined;
});

async function setup(init: FakeVppInit = {}): Promise<{ f: FakeVpp; c: RawVppClient }> {
  fake = await startFakeVpp(init);
  client = await connectRawVpp({ socket: fake.socketPath, timeoutMs: 2000 });
  return { f: fake, c: client };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('plugin composition', () => {
  it('gives every request one owner and refuses two plugins claiming one message', () => {
    const all = composeHandlers(PLUGINS);
    expect(Object.keys(all).length).toBe(PLUGINS.reduce((n, p) => n + Object.keys(p.handlers).length, 0));
    for (const name of [
      'acl_add_replace',
      'memif_create_v2',
      'wireguard_peer_add',
      'urpf_update_v2',
      'create_vlan_subif',
      'af_xdp_create_v3',
    ])
      expect(all[name], name).toBeTypeOf('function');
    const clash = { name: 'other', source: '-', handlers: { acl_del: () => undefined } };
    expect(() => composeHandlers([...PLUGINS, clash])).toThrow(/acl_del is handled by both acl and other/);
  });
});

describe('uplink drivers', () => {
  it('fail as on a host without the device, and create interfaces once a test declares one', async () => {
    const { f, c } = await setup();
    const xdp = {
      host_if: 'eth1',
      name: '',
      rxq_num: 1,
      rxq_size: 0,
      txq_size: 0,
      mode: 0,
      flags: 0,
      prog: '',
      netns: '',
    };
    await expect(c.call('af_xdp_create_v3', xdp)).rejects.toMatchObject({ retval: -7 });
    f.state.devices.addNetdev('eth1', { mac: '02:aa:00:00:00:01', queues: 2 });
    await expect(c.call('af_xdp_create_v3', { ...xdp, rxq_size: 100 })).rejects.toMatchObject({ retval: -7 });
    await expect(c.call('af_xdp_create_v3', { ...xdp, rxq_num: 4 })).rejects.toMatchObject({ retval: -7 });
    const x = (await c.call('af_xdp_create_v3', { ...xdp, flags: 2 })) as { sw_if_index: number };
    expect(f.state.interfaces.get(x.sw_if_index)).toMatchObject({
      kind: 'af_xdp',
      interface_name: 'eth1/0',
      l2_address: '02:aa:00:00:00:01',
      // sw_interface_details.interface_dev_type is the device class name (af_xdp/device.c)
      interface_dev_type: 'AF_XDP interface',
    });
    await expect(c.call('af_xdp_delete', { sw_if_index: 0 })).rejects.toMatchObject({ retval: -71 });
    await c.call('af_xdp_delete', { sw_if_index: x.sw_if_index });

    // rdma_create_if returns before setting rv when there is no RDMA device at all: retval 0, sw_if_index 0
    const rdma = {
      host_if: 'eth1',
      name: '',
      rxq_num: 0,
      rxq_size: 0,
      txq_size: 0,
      mode: 0,
      no_multi_seg: false,
      max_pktlen: 0,
      rss4: 0,
      rss6: 0,
    };
    expect(await c.call('rdma_create_v4', rdma)).toMatchObject({ retval: 0, sw_if_index: 0 });
    f.state.devices.addNetdev('mlx0', { rdma: true });
    await expect(c.call('rdma_create_v4', rdma)).rejects.toMatchObject({ retval: -71 });
    const r = (await c.call('rdma_create_v4', { ...rdma, host_if: 'mlx0' })) as { sw_if_index: number };
    expect(f.state.interfaces.get(r.sw_if_index)).toMatchObject({
      interface_name: 'mlx0/0',
      interface_dev_type: 'RDMA interface',
    });

    const pci = { domain: 0, bus: 0, slot: 8, function: 0 };
    await expect(c.call('virtio_pci_create_v2', { pci_addr: pci, use_random_mac: true })).rejects.toMatchObject({
      retval: -71,
    });
    f.state.devices.addPci('0000:00:08.0', 'virtio');
    const v = (await c.call('virtio_pci_create_v2', { pci_addr: pci, use_random_mac: true })) as {
      sw_if_index: number;
    };
    expect(f.state.interfaces.get(v.sw_if_index)?.interface_name).toBe('virtio-0/0/8/0');
    await expect(c.call('virtio_pci_create_v2', { pci_addr: pci, use_random_mac: true })).rejects.toMatchObject({
      retval: -105,
    });

    const vmx = (0x0b << 16) | (0 << 24);
    await expect(c.call('vmxnet3_create', { pci_addr: vmx })).rejects.toMatchObject({ retval: -71 });
    f.state.devices.addPci('0000:0b:00.0', 'vmxnet3');
    const m = (await c.call('vmxnet3_create', { pci_addr: vmx })) as { sw_if_index: number };
    expect(f.state.interfaces.get(m.sw_if_index)).toMatchObject({
      interface_name: 'vmxnet3-0/b/0/0',
      interface_dev_type: 'VMXNET3 interface',
    });
    await expect(c.call('vmxnet3_create', { pci_addr: vmx, rxq_size: 100 })).rejects.toMatchObject({ retval: -7 });
  });

  it('af_packet binds only host interfaces the fake is told exist, when told', async () => {
    const { c } = await setup({ hostInterfaces: ['veth-a'] });
    await expect(c.call('af_packet_create_v3', { mode: 1, host_if_name: 'eth9' })).rejects.toMatchObject({
      retval: -71,
    });
    const a = (await c.call('af_packet_create_v3', { mode: 1, host_if_name: 'veth-a', num_rx_queues: 2 })) as {
      sw_if_index: number;
    };
    await c.call('sw_interface_set_rx_mode', {
      sw_if_index: a.sw_if_index,
      queue_id_valid: true,
      queue_id: 1,
      mode: 2,
    });
    await expect(
      c.call('sw_interface_set_rx_mode', { sw_if_index: a.sw_if_index, queue_id_valid: true, queue_id: 2, mode: 2 }),
    ).rejects.toMatchObject({ retval: -9 });
    expect(fake!.state.interfaces.get(a.sw_if_index)?.rxModes).toEqual([1, 2]);
    const placement = await collect(c.dump('sw_interface_rx_placement_dump', { sw_if_index: a.sw_if_index }));
    expect(placement.map((p) => [p.queue_id, p.mode])).toEqual([
      [0, 1],
      [1, 2],
    ]);
  });
});

describe('taps', () => {
  it('a TUN is tun<id> without a MAC and with MTU 1500 (or the host MTU); a taken id fails with -71', async () => {
    const { f, c } = await setup({ tap: 'succeed' });
    const t = (await c.call('tap_create_v3', { id: 3, tap_flags: 16, use_random_mac: true })) as {
      sw_if_index: number;
    };
    expect(f.state.interfaces.get(t.sw_if_index)).toMatchObject({
      interface_name: 'tun3',
      l2_address: '00:00:00:00:00:00',
      mtu: [1500, 0, 0, 0],
      linkUp: true,
    });
    await expect(c.call('tap_create_v3', { id: 3, use_random_mac: true })).rejects.toMatchObject({ retval: -71 });
    const u = (await c.call('tap_create_v3', { id: 4, tap_flags: 16, host_mtu_set: true, host_mtu_size: 1400 })) as {
      sw_if_index: number;
    };
    expect(f.state.interfaces.get(u.sw_if_index)?.mtu).toEqual([1400, 0, 0, 0]);
    const tap = (await c.call('tap_create_v3', { id: ANY, use_random_mac: true })) as { sw_if_index: number };
    expect(f.state.interfaces.get(tap.sw_if_index)).toMatchObject({
      interface_name: 'tap0',
      mtu: [9000, 0, 0, 0],
      linkUp: true,
    });
    f.state.tap = 'fail';
    await expect(c.call('tap_create_v3', { id: 7, tap_flags: 16 })).rejects.toMatchObject({ retval: -11 });
  });
});

describe('wireguard', () => {
  it('derives the X25519 public key of a given private key, as the peer would', async () => {
    // RFC 7748 section 6.1 test vector (Alice)
    const priv = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex');
    expect(Buffer.from(x25519PublicKey(priv)).toString('hex')).toBe(
      '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
    );
    const { f, c } = await setup();
    const w = (await c.call('wireguard_interface_create', {
      interface: { user_instance: 5, port: 51820, src_ip: '192.0.2.1', private_key: new Uint8Array(priv) },
      generate_key: false,
    })) as { sw_if_index: number };
    expect(f.state.interfaces.get(w.sw_if_index)?.interface_name).toBe('wg5');
    await expect(
      c.call('wireguard_interface_create', { interface: { user_instance: 5 }, generate_key: true }),
    ).rejects.toMatchObject({ retval: -31 });
    const [d] = await collect(c.dump('wireguard_interface_dump', { show_private_key: false, sw_if_index: ANY }));
    expect(Buffer.from(d?.interface.public_key).toString('hex')).toBe(
      '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
    );
    const peer = {
      public_key: new Uint8Array(32).fill(1),
      sw_if_index: w.sw_if_index,
      endpoint: '192.0.2.2',
      port: 51820,
      n_allowed_ips: 2,
      allowed_ips: ['10.1.0.0/16', 'fd00::/64'],
    };
    const p = (await c.call('wireguard_peer_add', { peer })) as { peer_index: number };
    expect(f.state.wireguard.peers.get(p.peer_index)).toMatchObject({
      allowed_ips: ['10.1.0.0/16', 'fd00::/64'],
      flags: 0, // wg_peer_fill clears the DEAD flag wg_peer_clear set; no handshake: not ESTABLISHED
    });
    const psk = new Uint8Array(32).fill(9);
    const p2 = (await c.call('wireguard_peer_add_v2', {
      peer: { ...peer, public_key: new Uint8Array(32).fill(2), preshared_key: psk, preshared_key_set: true },
    })) as {
      peer_index: number;
    };
    const [v2] = await collect(c.dump('wireguard_peers_v2_dump', { peer_index: p2.peer_index }));
    expect(v2?.peer).toMatchObject({ peer_index: p2.peer_index, preshared_key_set: true });
    expect(Buffer.from(v2?.peer.preshared_key).equals(Buffer.from(psk))).toBe(true);
    // deleting the interface removes its peers (wg_if_delete)
    await c.call('wireguard_interface_delete', { sw_if_index: w.sw_if_index });
    expect(f.state.wireguard.peers.size).toBe(0);
    expect(await collect(c.dump('wireguard_peers_dump', { peer_index: ANY }))).toEqual([]);
  });
});

describe('FakeVppInit', () => {
  it('gives the state hostInterfaces and npolEnforces, again after a restart', async () => {
    const { f } = await setup({ hostInterfaces: ['veth-a', 'veth-b'], npolEnforces: true });
    const before = f.state;
    await f.restart();
    expect(f.state).not.toBe(before);
    for (const state of [before, f.state]) {
      expect(state.hostInterfaces).toEqual(new Set(['veth-a', 'veth-b']));
      expect(state.npolEnforces).toBe(true);
    }
    const plain = new FakeVppState();
    expect(plain.hostInterfaces).toBe('any');
    expect(plain.npolEnforces).toBe(false);
  });
});

describe('cnat', () => {
  it('an update of the same VIP keeps the id and the load-balancing type it was created with', async () => {
    const { f, c } = await setup();
    const ep = (addr: string, port: number) => ({ addr, sw_if_index: ANY, if_af: 0, port });
    const tr = (lb_type: number, backend: string) => ({
      translation: {
        vip: ep('10.96.0.10', 53),
        ip_proto: 17,
        lb_type,
        n_paths: 1,
        paths: [{ dst_ep: ep(backend, 53), src_ep: ep('0.0.0.0', 0), flags: 0 }],
      },
    });
    const a = (await c.call('cnat_translation_update', tr(0, '10.1.0.5'))) as { id: number };
    const b = (await c.call('cnat_translation_update', tr(1, '10.1.0.6'))) as { id: number };
    expect(b.id).toBe(a.id);
    expect(f.state.cnatTranslations.get(a.id)).toMatchObject({ lb_type: 0, paths: [{ dst_ep: { addr: '10.1.0.6' } }] });
  });

  const translation = (proto: number, addr: string, port: number, backend = '10.1.0.5') => ({
    vip: { addr, sw_if_index: ANY, if_af: 0, port },
    ip_proto: proto,
    is_real_ip: 0,
    flags: 0,
    lb_type: 0,
    flow_hash_config: 0,
    paths: [
      {
        dst_ep: { addr: backend, sw_if_index: ANY, if_af: 0, port },
        src_ep: { addr: '0.0.0.0', sw_if_index: ANY, if_af: 0, port: 0 },
        flags: 0,
      },
    ],
  });

  it('keys translations by (proto, vip, port): each part alone makes another translation', () => {
    const s = new FakeCnatStore();
    const ids = [
      s.translationUpdate(translation(6, '10.96.0.1', 443)),
      s.translationUpdate(translation(17, '10.96.0.1', 443)),
      s.translationUpdate(translation(6, '10.96.0.2', 443)),
      s.translationUpdate(translation(6, '10.96.0.1', 80)),
    ];
    expect(ids).toEqual([0, 1, 2, 3]);
    expect(s.translationUpdate(translation(17, '10.96.0.1', 443, '10.1.0.9'))).toBe(1);
    expect(s.translations.get(1)?.paths[0]?.dst_ep.addr).toBe('10.1.0.9');
    expect(s.translations.size).toBe(4);
  });

  it("forgets a deleted translation's key: the next update of it is a new translation, -6 for a free id", () => {
    const s = new FakeCnatStore();
    const a = s.translationUpdate(translation(6, '10.96.0.1', 443));
    const b = s.translationUpdate(translation(6, '10.96.0.2', 443));
    expect(s.translationDel(a)).toBe(0);
    expect(s.translationDel(a)).toBe(-6);
    // VPP's pool hands the freed index out again, to whichever translation comes next
    const c = s.translationUpdate(translation(6, '10.96.0.3', 443));
    expect(c).toBe(a);
    expect(s.translationUpdate(translation(6, '10.96.0.1', 443))).toBe(2);
    expect(s.translationUpdate(translation(6, '10.96.0.2', 443, '10.1.0.7'))).toBe(b);
    expect([...s.translations.values()].map((t) => `${t.id} ${t.vip.addr}`).sort()).toEqual([
      '0 10.96.0.3',
      '1 10.96.0.2',
      '2 10.96.0.1',
    ]);
  });

  it('updates and deletes 10,000 translations in well under the time a scan per update takes', () => {
    const s = new FakeCnatStore();
    const vip = (i: number) => `10.96.${i >> 8}.${i & 255}`;
    const t0 = performance.now();
    let ids = 0;
    for (let i = 0; i < 10_000; i++) if (s.translationUpdate(translation(6, vip(i), 80)) === i) ids++;
    for (let i = 0; i < 10_000; i++) s.translationUpdate(translation(6, vip(i), 80, '10.1.0.6'));
    for (let i = 0; i < 10_000; i++) s.translationDel(i);
    const ms = performance.now() - t0;
    expect(ids).toBe(10_000);
    expect(s.translations.size).toBe(0);
    // with a scan of the pool per update, twice as many translations took 49 s on this loaded machine
    expect(ms).toBeLessThan(3000);
  });
});

describe('node graph, neighbour config, punt, session', () => {
  it('answers as vlib, ip-neighbor, punt, session and http_static do', async () => {
    const { f, c } = await setup();
    expect(await c.call('add_node_next', { node_name: 'vxlan4-input', next_name: 'ip4-input' })).toMatchObject({
      next_index: 2,
    });
    expect(await c.call('add_node_next', { node_name: 'vxlan4-input', next_name: 'l2-input' })).toMatchObject({
      next_index: 1,
    });
    await expect(c.call('get_next_index', { node_name: 'ip4-input', next_name: 'vxlan4-input' })).rejects.toMatchObject(
      { retval: -6 },
    );
    expect(await c.call('ip_neighbor_config_get', { af: 1 })).toMatchObject({
      af: 1,
      max_number: 50000,
      max_age: 0,
      recycle: false,
    });
    await c.call('set_punt', { is_add: true, punt: { type: 2, punt: { exception: { id: 3 } } } });
    await expect(
      c.call('set_punt', { is_add: true, punt: { type: 2, punt: { exception: { id: 3 } } } }),
    ).rejects.toMatchObject({ retval: -1 });
    expect([...f.state.punts]).toEqual(['exception:3']);
    await expect(c.call('http_static_enable_v5', { www_root: '/srv', uri: 'bogus' })).rejects.toMatchObject({
      retval: -7,
    });
    await c.call('http_static_enable_v5', { www_root: '/srv', uri: 'tcp://0.0.0.0/8080' });
    expect(f.state.session).toEqual({ enabled: true, rt_engine_type: 1 });
    await expect(
      c.call('http_static_enable_v5', { www_root: '/srv', uri: 'tcp://0.0.0.0/8080' }),
    ).rejects.toMatchObject({ retval: -131 });
    await c.call('session_enable_disable_v2', { rt_engine_type: 3 });
    expect(f.state.session).toEqual({ enabled: true, rt_engine_type: 3 });
    await c.call('session_enable_disable', { is_enable: false });
    expect(f.state.session.enabled).toBe(false);
  });
});

describe('promisc, rx placement, table allocation, RA config', () => {
  it('answer as interface_api.c, ip_api.c and ip6_ra.c do', async () => {
    const { f, c } = await setup({ tap: 'succeed' });
    const lo = ((await c.call('create_loopback', {})) as { sw_if_index: number }).sw_if_index;
    const tap = ((await c.call('tap_create_v3', { id: ANY, use_random_mac: true })) as { sw_if_index: number })
      .sw_if_index;
    // loopbacks have no flag_change callback: ethernet_set_flags answers ~0
    await expect(c.call('sw_interface_set_promisc', { sw_if_index: lo, promisc_on: true })).rejects.toMatchObject({
      retval: -1,
    });
    await c.call('sw_interface_set_promisc', { sw_if_index: tap, promisc_on: true });
    await expect(c.call('sw_interface_set_promisc', { sw_if_index: 0, promisc_on: true })).rejects.toMatchObject({
      retval: -7,
    });
    await c.call('sw_interface_set_rx_placement', { sw_if_index: tap, queue_id: 0, worker_id: 0, is_main: true });
    await expect(
      c.call('sw_interface_set_rx_placement', { sw_if_index: tap, queue_id: 0, worker_id: 1, is_main: false }),
    ).rejects.toMatchObject({ retval: -9 });
    const t = (await c.call('ip_table_allocate', { table: { table_id: ANY, is_ip6: true, name: 'pods' } })) as {
      table: { table_id: number };
    };
    expect(t.table.table_id).not.toBe(ANY);
    expect(f.state.table(true, t.table.table_id)?.name).toBe('pods');
    expect(await c.call('ip_table_allocate', { table: { table_id: 77, is_ip6: false, name: '' } })).toMatchObject({
      table: { table_id: 77 },
    });
    await expect(c.call('sw_interface_ip6nd_ra_config', { sw_if_index: tap, suppress: 1 })).rejects.toMatchObject({
      retval: -62,
    });
    await c.call('sw_interface_ip6_enable_disable', { sw_if_index: tap, enable: true });
    await c.call('sw_interface_ip6nd_ra_config', { sw_if_index: tap, suppress: 1 });
    expect(f.state.interfaces.get(tap)?.plugin?.ip6ndRa).toMatchObject({ suppress: 1 });
  });
});

describe('punt sockets, feature queries, vxlan bypass', () => {
  it('punt_socket_register fails with -1 until a punt socket is configured, then records the client', async () => {
    const { f, c } = await setup();
    const punt = { type: 0, punt: { l4: { af: 0, protocol: 17, port: 5000 } } };
    await expect(
      c.call('punt_socket_register', { header_version: 1, punt, pathname: '/tmp/client.sock' }),
    ).rejects.toMatchObject({ retval: -1 });
    f.state.puntSocket = '/run/vpp/punt.sock';
    await expect(
      c.call('punt_socket_register', { header_version: 2, punt, pathname: '/tmp/client.sock' }),
    ).rejects.toMatchObject({ retval: -1 });
    expect(
      await c.call('punt_socket_register', { header_version: 1, punt, pathname: '/tmp/client.sock' }),
    ).toMatchObject({ pathname: '/run/vpp/punt.sock' });
    expect((await collect(c.dump('punt_socket_dump', { type: 0 }))).map((d) => d.pathname)).toEqual([
      '/tmp/client.sock',
    ]);
    await c.call('punt_socket_deregister', { punt });
    expect(await collect(c.dump('punt_socket_dump', { type: 0 }))).toEqual([]);
  });

  it('feature_is_enabled reads what feature_enable_disable and sw_interface_set_vxlan_bypass set', async () => {
    const { c } = await setup();
    const sw = ((await c.call('create_loopback', {})) as { sw_if_index: number }).sw_if_index;
    const q = { sw_if_index: sw, arc_name: 'ip4-unicast', feature_name: 'ip4-vxlan-bypass' };
    expect(await c.call('feature_is_enabled', q)).toMatchObject({ is_enabled: false });
    await c.call('sw_interface_set_vxlan_bypass', { sw_if_index: sw, is_ipv6: false, enable: true });
    expect(await c.call('feature_is_enabled', q)).toMatchObject({ is_enabled: true });
    await expect(c.call('feature_is_enabled', { ...q, sw_if_index: 999 })).rejects.toMatchObject({ retval: -2 });
  });
});
