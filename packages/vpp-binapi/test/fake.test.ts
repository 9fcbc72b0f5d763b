import { access } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectVppWith } from '../src/client/connect.js';
import { FRAME_HEADER_SIZE, frame, writeFrameHeader } from '../src/codec/frame.js';
import { messagesByName } from '../src/generated/index.js';
import { defaultBindings } from '../src/testing/registry.js';
import {
  type FakeVpp,
  type FakeVppInit,
  type RawVppClient,
  VNET_API_ERROR,
  connectRawVpp,
  startFakeVpp,
} from '../src/testing/index.js';

const ANY = 0xffffffff;
let fakes: FakeVpp[] = [];
let clients: { close(): Promise<void> }[] = [];

async function fakeVpp(init: FakeVppInit = {}): Promise<FakeVpp> {
  const f = await startFakeVpp(init);
  fakes.push(f);
  return f;
}

async function raw(f: FakeVpp): Promise<RawVppClient> {
  const c = await connectRawVpp({ socket: f.socketPath, timeoutMs: 2000 });
  clients.push(c);
  return c;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

afterEach(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  for (const f of fakes) await f.stop();
  clients = [];
  fakes = [];
});

describe('protocol', () => {
  it('numbers memclnt messages as VPP does and announces every binding with its CRC', async () => {
    const f = await fakeVpp();
    expect(f.messageId('sockclnt_create')).toBe(15);
    expect(f.messageId('sockclnt_create_reply')).toBe(16);
    expect(f.messageId('control_ping')).toBe(23);
    expect(f.messageId('control_ping_reply')).toBe(24);
    const c = await raw(f);
    for (const name of [
      'create_loopback',
      'ip_route_add_del',
      'cnat_translation_update',
      'npol_rule_create',
      'sw_interface_event',
    ])
      expect(c.messageId(name), name).toBe(f.messageId(name));
  });

  it('gives each client its own index (high bit set) and answers it under that index', async () => {
    const f = await fakeVpp();
    const a = await raw(f);
    const b = await raw(f);
    const sa = a.events('want_interface_events', { pid: 11 });
    const sb = b.events('want_interface_events', { pid: 22 });
    await Promise.all([sa.ready, sb.ready]);
    const { sw_if_index } = (await a.call('create_loopback', {})) as { sw_if_index: number };
    await b.call('sw_interface_set_flags', { sw_if_index, flags: 1 });
    const ea = (await sa[Symbol.asyncIterator]().next()).value as Record<string, unknown>;
    const eb = (await sb[Symbol.asyncIterator]().next()).value as Record<string, unknown>;
    expect(ea).toMatchObject({ sw_if_index, flags: 3, pid: 11, deleted: false });
    expect(eb).toMatchObject({ sw_if_index, flags: 3, pid: 22 });
    expect(ea.client_index).not.toBe(eb.client_index);
    expect((ea.client_index as number) >>> 31).toBe(1);
    expect(f.connections).toBe(2);
  });

  it('answers want_interface_events twice with -31 and sends a deleted event when an interface goes', async () => {
    const f = await fakeVpp();
    const c = await raw(f);
    const sub = c.events('want_interface_events', { pid: 5 });
    await sub.ready;
    await expect(c.call('want_interface_events', { enable_disable: 1, pid: 5 })).rejects.toMatchObject({ retval: -31 });
    const { sw_if_index } = (await c.call('create_loopback', {})) as { sw_if_index: number };
    await c.call('delete_loopback', { sw_if_index });
    const ev = (await sub[Symbol.asyncIterator]().next()).value as Record<string, unknown>;
    expect(ev).toMatchObject({ sw_if_index, deleted: true, pid: 5 });
    expect(c.unsolicited).toEqual([]);
    await sub.close();
    await expect(c.call('want_interface_events', { enable_disable: 0, pid: 5 })).rejects.toMatchObject({ retval: -31 });
  });

  it('answers a message it has no handler for with VNET_API_ERROR_UNSUPPORTED and lists it', async () => {
    const f = await fakeVpp();
    expect(f.unhandledMessages()).toContain('sw_interface_set_ip_directed_broadcast');
    expect(f.unhandledMessages()).not.toContain('create_loopback');
    const c = await raw(f);
    await expect(
      c.call('sw_interface_set_ip_directed_broadcast', { sw_if_index: 0, enable: true }),
    ).rejects.toMatchObject({
      retval: VNET_API_ERROR.UNSUPPORTED,
    });
  });

  it('leaves out or re-CRCs messages on request, as a VPP with other plugins would', async () => {
    const f = await fakeVpp({ messages: { omit: ['cnat_translation_update'], crc: { show_version: '0x12345678' } } });
    expect(f.messageId('cnat_translation_update')).toBeUndefined();
    const c = await raw(f);
    expect(c.messageId('show_version')).toBeUndefined();
    expect(c.messageId('control_ping')).toBe(23);
    const vpp = await connectVppWith(defaultBindings(), { socket: f.socketPath, timeoutMs: 2000 });
    clients.push(vpp);
    await expect(vpp.call('show_version', {})).rejects.toMatchObject({ name: 'VppCrcMismatchError' });
    await expect(vpp.call('control_ping', {})).resolves.toMatchObject({ retval: 0 });
  });

  it('creates taps when told the kernel has vhost-net', async () => {
    const f = await fakeVpp({ tap: 'succeed' });
    const c = await raw(f);
    const r = (await c.call('tap_create_v3', { id: 3, host_if_name_set: true, host_if_name: 'vtap3' })) as {
      sw_if_index: number;
    };
    const [d] = (await collect(c.dump('sw_interface_dump', { sw_if_index: r.sw_if_index }))) as Record<
      string,
      unknown
    >[];
    expect(d).toMatchObject({ interface_name: 'tap3', interface_dev_type: 'virtio' });
    expect(f.state.interfaces.get(r.sw_if_index)?.hostIfName).toBe('vtap3');
  });
});

describe('more handlers', () => {
  it('taps show in sw_interface_tap_v2_dump; af_packets in af_packet_dump', async () => {
    const f = await fakeVpp({ tap: 'succeed' });
    const c = await raw(f);
    const t = (await c.call('tap_create_v3', {
      id: 9,
      host_if_name_set: true,
      host_if_name: 'vtap9',
      host_namespace_set: true,
      host_namespace: 'pod-ns',
      host_mtu_set: true,
      host_mtu_size: 1450,
    })) as { sw_if_index: number };
    expect(await collect(c.dump('sw_interface_tap_v2_dump', { sw_if_index: ANY }))).toMatchObject([
      {
        sw_if_index: t.sw_if_index,
        id: 9,
        dev_name: 'tap9',
        host_if_name: 'vtap9',
        host_namespace: 'pod-ns',
        host_mtu_size: 1450,
      },
    ]);
    const a = (await c.call('af_packet_create_v3', {
      mode: 1,
      host_if_name: 'veth0',
      hw_addr: '02:00:00:00:00:10',
    })) as { sw_if_index: number };
    expect(await collect(c.dump('af_packet_dump'))).toMatchObject([
      { sw_if_index: a.sw_if_index, host_if_name: 'veth0' },
    ]);
    // af_packet_create_if: a host interface already bound → -79 (IF_ALREADY_EXISTS)
    await expect(c.call('af_packet_create_v3', { mode: 1, host_if_name: 'veth0' })).rejects.toMatchObject({
      retval: -79,
    });
    // vl_api_af_packet_create_v3_t_handler: mode 0 is neither ethernet nor ip → -7
    await expect(c.call('af_packet_create_v3', { mode: 0, host_if_name: 'veth1' })).rejects.toMatchObject({
      retval: -7,
    });
    await c.call('tap_delete_v2', { sw_if_index: t.sw_if_index });
    expect(await collect(c.dump('sw_interface_tap_v2_dump', { sw_if_index: ANY }))).toEqual([]);
  });

  it('IPv6 enable gives an EUI-64 link-local address; it can be set, read and removed', async () => {
    const f = await fakeVpp();
    const c = await raw(f);
    const { sw_if_index } = (await c.call('create_loopback', { mac_address: '02:00:00:00:00:01' })) as {
      sw_if_index: number;
    };
    await expect(c.call('sw_interface_ip6_get_link_local_address', { sw_if_index })).rejects.toMatchObject({
      retval: -62,
    });
    await c.call('sw_interface_ip6_enable_disable', { sw_if_index, enable: true });
    expect(await c.call('sw_interface_ip6_get_link_local_address', { sw_if_index })).toMatchObject({
      ip: 'fe80::ff:fe00:1',
    });
    // ip6_link_set_local_address takes any address (no fe80::/10 check in VPP 26.06)
    await c.call('sw_interface_ip6_set_link_local_address', { sw_if_index, ip: 'fd00::1' });
    expect(await c.call('sw_interface_ip6_get_link_local_address', { sw_if_index })).toMatchObject({ ip: 'fd00::1' });
    await c.call('sw_interface_ip6_set_link_local_address', { sw_if_index, ip: 'fe80::abcd' });
    expect(await c.call('sw_interface_ip6_get_link_local_address', { sw_if_index })).toMatchObject({
      ip: 'fe80::abcd',
    });
    // Link-local addresses are kept out of the interface's FIB, as VPP keeps them in a table of their own.
    expect(f.state.routesOf(true, 0).map((e) => e.prefix)).toEqual(['::/0', 'fe80::/10']);
    await c.call('sw_interface_ip6_enable_disable', { sw_if_index, enable: false });
    await expect(c.call('sw_interface_ip6_get_link_local_address', { sw_if_index })).rejects.toMatchObject({
      retval: -62,
    });
    expect(await c.call('sw_interface_get_mac_address', { sw_if_index })).toMatchObject({
      mac_address: '02:00:00:00:00:01',
    });
  });

  it('ip_neighbor_flush removes the neighbours of one family on an interface', async () => {
    const f = await fakeVpp();
    const c = await raw(f);
    const { sw_if_index } = (await c.call('create_loopback', {})) as { sw_if_index: number };
    for (const ip of ['10.0.0.2', '10.0.0.3', 'fd00::2'])
      await c.call('ip_neighbor_add_del', {
        is_add: true,
        neighbor: { sw_if_index, flags: 1, mac_address: '02:00:00:00:00:09', ip_address: ip },
      });
    await c.call('ip_neighbor_flush', { af: 0, sw_if_index });
    expect([...f.state.neighbors.values()].map((n) => n.ip_address)).toEqual(['fd00::2']);
  });

  it('ip_table_replace_begin/end sweeps the API routes not re-added; ip_table_flush removes them all', async () => {
    const f = await fakeVpp();
    const c = await raw(f);
    const { sw_if_index } = (await c.call('create_loopback', {})) as { sw_if_index: number };
    await c.call('sw_interface_set_flags', { sw_if_index, flags: 1 });
    await c.call('sw_interface_add_del_address', { sw_if_index, is_add: true, prefix: '10.0.0.1/24' });
    const route = (prefix: string) =>
      c.call('ip_route_add_del', {
        is_add: true,
        route: { prefix, n_paths: 1, paths: [{ sw_if_index, nh: { address: { ip4: '10.0.0.2' } } }] },
      });
    await route('10.1.0.0/16');
    await route('10.2.0.0/16');
    const table = { table_id: 0, is_ip6: false, name: '' };
    await c.call('ip_table_replace_begin', { table });
    await route('10.2.0.0/16');
    await c.call('ip_table_replace_end', { table });
    const prefixes = () => Object.keys(f.state.snapshot().routes['ip4:0'] ?? {});
    expect(prefixes()).not.toContain('10.1.0.0/16');
    expect(prefixes()).toContain('10.2.0.0/16');
    expect(prefixes()).toContain('10.0.0.0/24');
    await c.call('ip_table_flush', { table });
    expect(prefixes()).not.toContain('10.2.0.0/16');
    expect(prefixes()).toContain('10.0.0.0/24');
    await expect(c.call('ip_table_flush', { table: { table_id: 5, is_ip6: false, name: '' } })).rejects.toMatchObject({
      retval: -3,
    });
  });

  it('the _v2 route messages carry the FIB source: API routes are source 8, connected ones 4, defaults 20', async () => {
    const f = await fakeVpp();
    const c = await raw(f);
    const { sw_if_index } = (await c.call('create_loopback', {})) as { sw_if_index: number };
    await c.call('sw_interface_set_flags', { sw_if_index, flags: 1 });
    await c.call('sw_interface_add_del_address', { sw_if_index, is_add: true, prefix: '10.0.0.1/24' });
    await c.call('ip_table_add_del_v2', { table: { table_id: 3, is_ip6: false, name: '' } });
    await c.call('ip_route_add_del_v2', {
      route: {
        table_id: 0,
        prefix: '10.9.0.0/16',
        n_paths: 1,
        paths: [{ sw_if_index, nh: { address: { ip4: '10.0.0.2' } } }],
      },
    });
    const all = (await collect(c.dump('ip_route_v2_dump', { src: 0, table: { table_id: 0, is_ip6: false } }))).map(
      (d) => d.route,
    );
    const src = (p: string) => all.find((r) => r.prefix === p)?.src;
    expect([src('10.9.0.0/16'), src('10.0.0.0/24'), src('0.0.0.0/0'), src('240.0.0.0/4')]).toEqual([8, 4, 20, 1]);
    const api = (await collect(c.dump('ip_route_v2_dump', { src: 8, table: { table_id: 0, is_ip6: false } }))).map(
      (d) => d.route.prefix,
    );
    expect(api).toEqual(['10.9.0.0/16']);
    expect(await c.call('ip_route_lookup_v2', { table_id: 0, exact: 0, prefix: '10.9.1.1/32' })).toMatchObject({
      route: { prefix: '10.9.0.0/16', src: 8 },
    });
    expect(f.state.table(false, 3)).toBeDefined();
    await expect(
      c.call('ip_route_add_del_v2', { route: { prefix: '10.8.0.0/16', src: 9, n_paths: 1, paths: [{}] } }),
    ).rejects.toMatchObject({ retval: -126 });
  });

  it('cnat SNAT policy and per-interface policy tables are kept', async () => {
    const f = await fakeVpp();
    const c = await raw(f);
    const { sw_if_index } = (await c.call('create_loopback', {})) as { sw_if_index: number };
    // without a SNAT entry VPP dereferences NULL here; the fake answers -30
    await expect(c.call('cnat_set_snat_policy', { policy: 2 })).rejects.toMatchObject({ retval: -30 });
    await expect(c.call('cnat_get_snat_addresses', {})).rejects.toMatchObject({ retval: -30 });
    await c.call('cnat_set_snat_addresses', { snat_ip4: '10.0.0.1', snat_ip6: '::', sw_if_index: ANY });
    await c.call('cnat_set_snat_policy', { policy: 2 });
    await expect(c.call('cnat_set_snat_policy', { policy: 9 })).rejects.toMatchObject({ retval: -7 });
    await c.call('cnat_snat_policy_add_del_if', { sw_if_index, is_add: 1, table: 2 });
    await c.call('feature_cnat_enable_disable', { sw_if_index, enable_disable: true });
    expect(f.state.cnatFeatureInterfaces.has(sw_if_index)).toBe(true);
    expect(f.state.cnatSnatPolicy).toBe(2);
    expect([...(f.state.cnatSnatInterfaces.get(2) ?? [])]).toEqual([sw_if_index]);
    await expect(
      c.call('cnat_snat_policy_add_del_if', { sw_if_index: 999, is_add: 1, table: 2 }),
    ).rejects.toMatchObject({ retval: -2 });
  });
});

describe('state', () => {
  it('is inspectable, and changes made directly show in dumps', async () => {
    const f = await fakeVpp();
    const c = await raw(f);
    const { sw_if_index } = (await c.call('create_loopback', { mac_address: '02:00:00:00:00:01' })) as {
      sw_if_index: number;
    };
    await c.call('sw_interface_set_flags', { sw_if_index, flags: 1 });
    await c.call('sw_interface_add_del_address', { sw_if_index, is_add: true, prefix: '10.10.0.1/24' });
    await c.call('ip_neighbor_add_del', {
      is_add: true,
      neighbor: { sw_if_index, flags: 1, mac_address: '02:00:00:00:00:02', ip_address: '10.10.0.2' },
    });
    const itf = f.state.interfaces.get(sw_if_index);
    expect(itf).toMatchObject({ interface_name: 'loop0', kind: 'loopback', addresses: ['10.10.0.1/24'] });
    expect([...f.state.neighbors.values()]).toMatchObject([{ sw_if_index, ip_address: '10.10.0.2' }]);
    // The neighbour's adjacency FIB entry, as VPP adds it.
    const adj = f.state.routesOf(false, 0).find((e) => e.prefix === '10.10.0.2/32');
    expect(adj && f.state.bestPaths(adj)).toMatchObject([{ sw_if_index, nh: '10.10.0.2' }]);

    const snap = f.state.snapshot();
    expect(snap.interfaces.loop0).toMatchObject({ sw_if_index, addresses: ['10.10.0.1/24'], flags: 3 });
    expect(snap.routes['ip4:0']).toMatchObject({
      '10.10.0.0/24': ['via 0.0.0.0 loop0'],
      '10.10.0.1/32': ['local'],
      '10.10.0.2/32': ['via 10.10.0.2 loop0'],
      '0.0.0.0/0': ['drop'],
    });
    expect(snap.neighbors).toEqual(['10.10.0.2 02:00:00:00:00:02 loop0']);
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);

    f.state.setTag(sw_if_index, true, 'set-by-test');
    const [d] = (await collect(c.dump('sw_interface_dump', { sw_if_index }))) as Record<string, unknown>[];
    expect(d?.tag).toBe('set-by-test');
  });

  it('keeps the default route as a drop under an API default route and restores it on delete', async () => {
    const f = await fakeVpp();
    const c = await raw(f);
    const { sw_if_index } = (await c.call('create_loopback', {})) as { sw_if_index: number };
    const route = (isAdd: boolean) =>
      c.call('ip_route_add_del', {
        is_add: isAdd,
        route: {
          table_id: 0,
          prefix: '0.0.0.0/0',
          n_paths: 1,
          paths: [{ sw_if_index, weight: 1, nh: { address: { ip4: '10.0.0.1' } } }],
        },
      });
    await route(true);
    const best = () => f.state.bestPaths(f.state.routesOf(false, 0).find((e) => e.prefix === '0.0.0.0/0')!);
    expect(best()).toMatchObject([{ sw_if_index, nh: '10.0.0.1', type: 0 }]);
    await route(false);
    expect(best()).toMatchObject([{ sw_if_index: ANY, type: 2 }]);
  });

  it('refuses a route into a missing table and a route without paths', async () => {
    const f = await fakeVpp();
    const c = await raw(f);
    await expect(
      c.call('ip_route_add_del', {
        is_add: true,
        route: { table_id: 77, prefix: '10.0.0.0/8', n_paths: 1, paths: [{}] },
      }),
    ).rejects.toMatchObject({
      retval: VNET_API_ERROR.NO_SUCH_FIB,
    });
    await expect(
      c.call('ip_route_add_del', { is_add: true, route: { table_id: 0, prefix: '10.0.0.0/8', n_paths: 0, paths: [] } }),
    ).rejects.toMatchObject({
      retval: VNET_API_ERROR.NO_PATHS_IN_ROUTE,
    });
  });

  it('deleting an interface removes its addresses, routes, neighbours, sub-interfaces and npol binding', async () => {
    const f = await fakeVpp();
    const c = await raw(f);
    const { sw_if_index } = (await c.call('create_loopback', {})) as { sw_if_index: number };
    await c.call('sw_interface_add_del_address', { sw_if_index, is_add: true, prefix: '10.1.0.1/24' });
    const sub = (await c.call('create_subif', { sw_if_index, sub_id: 7, sub_if_flags: 2, outer_vlan_id: 7 })) as {
      sw_if_index: number;
    };
    const policy = (await c.call('npol_policy_create', { num_items: 0, rules: [] })) as { policy_id: number };
    await c.call('npol_configure_policies', {
      sw_if_index,
      num_rx_policies: 1,
      total_ids: 1,
      policy_ids: [policy.policy_id],
    });
    expect(f.state.npol.interfaces.has(sw_if_index)).toBe(true);
    await c.call('delete_loopback', { sw_if_index });
    expect(f.state.interfaces.has(sub.sw_if_index)).toBe(false);
    expect(f.state.npol.interfaces.has(sw_if_index)).toBe(false);
    expect(f.state.routesOf(false, 0).map((e) => e.prefix)).toEqual([
      '0.0.0.0/0',
      '240.0.0.0/4',
      '224.0.0.0/4',
      '0.0.0.0/32',
      '255.255.255.255/32',
    ]);
  });

  it('reports an unknown npol policy with retval 1, as VPP does', async () => {
    const f = await fakeVpp();
    const c = await raw(f);
    const { sw_if_index } = (await c.call('create_loopback', {})) as { sw_if_index: number };
    const r = (await c.call('npol_configure_policies', {
      sw_if_index,
      num_rx_policies: 1,
      total_ids: 1,
      policy_ids: [42],
    })) as { retval: number };
    expect(r.retval).toBe(1);
  });
});

describe('lifecycle', () => {
  it('restart(): clients are dropped, state starts over, the same socket path answers again', async () => {
    const f = await fakeVpp();
    const c = await raw(f);
    await c.call('create_loopback', {});
    const pid1 = ((await c.call('control_ping')) as { vpe_pid: number }).vpe_pid;
    await f.restart();
    await c.closed;
    const c2 = await raw(f);
    const ifs = (await collect(c2.dump('sw_interface_dump', { sw_if_index: ANY }))) as Record<string, unknown>[];
    expect(ifs.map((d) => d.interface_name)).toEqual(['local0']);
    expect(((await c2.call('control_ping')) as { vpe_pid: number }).vpe_pid).not.toBe(pid1);
  });

  it('restart(): the real client reconnects by itself', async () => {
    const f = await fakeVpp();
    const vpp = await connectVppWith(defaultBindings(), {
      socket: f.socketPath,
      timeoutMs: 2000,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100, healthIntervalMs: 0 },
    });
    clients.push(vpp);
    const up = new Promise<unknown>((resolve) =>
      vpp.addEventListener('vpp:up', (e) => resolve((e as CustomEvent).detail)),
    );
    await f.restart();
    await expect(up).resolves.toMatchObject({ reconnected: true });
    await expect(vpp.call('control_ping', {})).resolves.toMatchObject({ retval: 0 });
  });

  it('kill(): connections reset, the socket is gone until restart()', async () => {
    const f = await fakeVpp();
    const c = await raw(f);
    await f.kill();
    await c.closed;
    await expect(connectRawVpp({ socket: f.socketPath, timeoutMs: 500 })).rejects.toThrow();
    await f.restart();
    const c2 = await raw(f);
    await expect(c2.call('control_ping')).resolves.toMatchObject({ retval: 0 });
  });

  it('stop() removes its temporary directory', async () => {
    const f = await startFakeVpp();
    await f.stop();
    await expect(access(dirname(f.socketPath))).rejects.toThrow();
  });
});

/** A bare socket that records every byte the fake sends. */
async function sniff(f: FakeVpp): Promise<{
  bytes: () => Buffer;
  send: (name: string, fields?: Record<string, unknown>) => void;
  closed: Promise<void>;
  destroy(): void;
}> {
  const s = createConnection(f.socketPath);
  await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  s.on('error', () => undefined);
  const closed = new Promise<void>((r) => s.once('close', () => r()));
  const send = (name: string, fields: Record<string, unknown> = {}): void => {
    const def = messagesByName.get(name)!;
    s.write(frame(def.encode(def.create({ ...fields, _vl_msg_id: f.messageId(name)! }))));
  };
  send('sockclnt_create', { context: 1, name: 'sniffer' });
  await sleep(30);
  chunks.length = 0;
  return { bytes: () => Buffer.concat(chunks), send, closed, destroy: () => s.destroy() };
}

describe('fault injection', () => {
  it('delay(ms) holds every answer back, in order', async () => {
    const f = await fakeVpp();
    const c = await raw(f);
    f.faults.delay(150);
    const start = Date.now();
    const [a, b] = await Promise.all([c.call('control_ping'), c.call('show_version')]);
    expect(Date.now() - start).toBeGreaterThanOrEqual(140);
    expect(a).toMatchObject({ retval: 0 });
    expect(b).toMatchObject({ program: 'vpe' });
    f.faults.delay(null);
  });

  it('ignoreRequests(true) leaves requests unanswered (the client times out)', async () => {
    const f = await fakeVpp();
    const vpp = await connectVppWith(defaultBindings(), { socket: f.socketPath, timeoutMs: 2000 });
    clients.push(vpp);
    f.faults.ignoreRequests(true);
    await expect(vpp.call('control_ping', {}, { timeoutMs: 100 })).rejects.toMatchObject({ name: 'VppTimeoutError' });
    f.faults.ignoreRequests(false);
    await expect(vpp.call('control_ping', {})).resolves.toMatchObject({ retval: 0 });
  });

  it('dropConnections() closes every client; the fake keeps accepting', async () => {
    const f = await fakeVpp();
    const a = await raw(f);
    const b = await raw(f);
    f.faults.dropConnections();
    await Promise.all([a.closed, b.closed]);
    const c = await raw(f);
    await expect(c.call('control_ping')).resolves.toMatchObject({ retval: 0 });
  });

  it('corruptNextFrame("length") declares an absurd length; "garbage" scrambles the payload; "truncate" shortens the header', async () => {
    const f = await fakeVpp();
    const s = await sniff(f);
    f.faults.corruptNextFrame('length');
    s.send('control_ping', { context: 2 });
    await sleep(30);
    expect(s.bytes().readUInt32BE(8)).toBe(0x7ffffff0);
    s.destroy();

    const g = await sniff(f);
    f.faults.corruptNextFrame('garbage');
    g.send('control_ping', { context: 3 });
    await sleep(30);
    const bytes = g.bytes();
    const len = bytes.readUInt32BE(8);
    expect(bytes.length).toBe(FRAME_HEADER_SIZE + len);
    const ctl = messagesByName.get('control_ping_reply')!.create({ _vl_msg_id: 24, context: 3, vpe_pid: 1 });
    expect(Buffer.from(bytes.subarray(FRAME_HEADER_SIZE))).not.toEqual(
      Buffer.from(messagesByName.get('control_ping_reply')!.encode(ctl)),
    );
    g.destroy();

    const t = await sniff(f);
    f.faults.corruptNextFrame('truncate');
    t.send('control_ping', { context: 4 });
    await sleep(30);
    const tb = t.bytes();
    expect(tb.readUInt32BE(8)).toBeLessThan(tb.length - FRAME_HEADER_SIZE);
    t.destroy();
  });

  it('closeMidFrame() writes half a frame and closes; the real client reports the loss', async () => {
    const f = await fakeVpp();
    const s = await sniff(f);
    f.faults.closeMidFrame();
    s.send('show_version', { context: 2 });
    await s.closed;
    const b = s.bytes();
    expect(b.length).toBeGreaterThan(FRAME_HEADER_SIZE);
    expect(b.length).toBeLessThan(FRAME_HEADER_SIZE + b.readUInt32BE(8));

    const vpp = await connectVppWith(defaultBindings(), { socket: f.socketPath, timeoutMs: 2000 });
    clients.push(vpp);
    f.faults.closeMidFrame();
    await expect(vpp.call('show_version', {})).rejects.toBeInstanceOf(Error);
  });

  it('sendUnknownContext() and sendUnknownMessageId() reach the client as non-fatal errors', async () => {
    const f = await fakeVpp();
    const vpp = await connectVppWith(defaultBindings(), { socket: f.socketPath, timeoutMs: 2000 });
    clients.push(vpp);
    const errors: string[] = [];
    vpp.addEventListener('vpp:error', (e) => errors.push(((e as CustomEvent).detail as { error: Error }).error.name));
    f.faults.sendUnknownContext();
    f.faults.sendUnknownMessageId();
    await sleep(50);
    expect(errors.sort()).toEqual(['VppUnexpectedContextError', 'VppUnknownMessageIdError']);
    await expect(vpp.call('control_ping', {})).resolves.toMatchObject({ retval: 0 });
  });

  it('failNext(name, retval) fails the next request without touching state', async () => {
    const f = await fakeVpp();
    const c = await raw(f);
    f.faults.failNext('create_loopback', VNET_API_ERROR.UNSPECIFIED);
    await expect(c.call('create_loopback', {})).rejects.toMatchObject({ retval: -1 });
    expect(f.state.listInterfaces().map((i) => i.interface_name)).toEqual(['local0']);
    await expect(c.call('create_loopback', {})).resolves.toMatchObject({ retval: 0, sw_if_index: 1 });
  });
});

describe('malformed input from a client', () => {
  it('survives garbage, unknown ids, truncated messages and tiny frames, then still answers', async () => {
    const f = await fakeVpp();
    const c = await raw(f);
    c.writeRaw(frame(new Uint8Array([0xff, 0xf0, 1, 2, 3])));
    c.writeRaw(frame(new Uint8Array([0])));
    c.writeRaw(frame(new Uint8Array(0)));
    const id = f.messageId('ip_route_add_del')!;
    c.writeRaw(frame(new Uint8Array([id >> 8, id & 0xff, 0, 0, 0, 1])));
    const garbage = new Uint8Array(200).map(() => Math.floor(Math.random() * 256));
    garbage[0] = id >> 8;
    garbage[1] = id & 0xff;
    c.writeRaw(frame(garbage));
    await expect(c.call('control_ping')).resolves.toMatchObject({ retval: 0 });
  });

  it('drops a client that declares an oversized frame, and only that client', async () => {
    const f = await fakeVpp();
    const good = await raw(f);
    const bad = await raw(f);
    const header = new Uint8Array(FRAME_HEADER_SIZE);
    writeFrameHeader(header, 0, 0xfffffff0);
    bad.writeRaw(header);
    await bad.closed;
    await expect(good.call('control_ping')).resolves.toMatchObject({ retval: 0 });
  });

  it('survives a client that closes mid-frame', async () => {
    const f = await fakeVpp();
    const s = createConnection(f.socketPath);
    await new Promise<void>((r) => s.once('connect', r));
    const header = new Uint8Array(FRAME_HEADER_SIZE + 4);
    writeFrameHeader(header, 0, 100);
    s.end(header);
    await new Promise<void>((r) => s.once('close', () => r()));
    const c = await raw(f);
    await expect(c.call('control_ping')).resolves.toMatchObject({ retval: 0 });
  });

  it('serves many requests in flight on several clients', async () => {
    const f = await fakeVpp();
    const cs = await Promise.all([raw(f), raw(f), raw(f)]);
    const replies = await Promise.all(cs.flatMap((c) => Array.from({ length: 100 }, () => c.call('control_ping'))));
    expect(replies).toHaveLength(300);
  });
});
