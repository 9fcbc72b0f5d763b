import {
  type Msg,
  call,
  failedReply,
  check,
  dump,
  equal,
  expectRetval,
  nonce,
  waitFor,
  withCleanup,
} from './assert.js';
import { pluginConformanceCases } from './cases-plugins.js';
import type { ConformanceCase, ConformanceClient } from './types.js';

const ANY = 0xffffffff;
/** Path MTU entries the ip_path_mtu case makes: enough for several pages of the fake's 64. */
const PMTU_ENTRIES = 300;
/** An index no VPP has an interface at. */
const BAD_INDEX = 0x7ffffff0;

const E = {
  INVALID_SW_IF_INDEX: -2,
  NO_SUCH_FIB: -3,
  NO_SUCH_ENTRY: -6,
  INVALID_SW_IF_INDEX_2: -10,
  SYSCALL_ERROR_1: -11,
  INVALID_REGISTRATION: -31,
  IP6_NOT_ENABLED: -62,
  SUBIF_ALREADY_EXISTS: -68,
  VLAN_ALREADY_EXISTS: -56,
  INVALID_VALUE: -7,
  INVALID_INTERFACE: -71,
  ADDRESS_IN_USE: -105,
  DUPLICATE_IF_ADDRESS: -127,
  API_ENDIAN_FAILED: -159,
  NO_SUCH_TABLE: -65,
  IF_ALREADY_EXISTS: -79,
  INVALID_SUB_SW_IF_INDEX: -98,
  TUNNEL_EXIST: -75,
  ADDRESS_FOUND_FOR_INTERFACE: -114,
  UNEXPECTED_INTF_STATE: -74,
} as const;

type Defer = (c: () => Promise<unknown>) => void;

function mac(n: number): string {
  return `02:fe:${[(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff, 0x01].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}

async function loopback(
  vpp: ConformanceClient,
  defer: Defer,
  l2 = mac(nonce(0xffffff)),
): Promise<{ sw: number; mac: string; details: Msg }> {
  const r = await call(vpp, 'create_loopback', { mac_address: l2 });
  const sw = r.sw_if_index as number;
  defer(() => vpp.call('delete_loopback', { sw_if_index: sw }));
  const [details] = await dump(vpp, 'sw_interface_dump', { sw_if_index: sw });
  check(details, `sw_interface_dump of new loopback ${sw} returned nothing`);
  return { sw, mac: l2, details };
}

async function interfaceDetails(vpp: ConformanceClient, sw: number): Promise<Msg | undefined> {
  const all = await dump(vpp, 'sw_interface_dump', { sw_if_index: ANY });
  return all.find((d) => d.sw_if_index === sw);
}

function path(sw: number, nh: string, extra: Msg = {}): Msg {
  const v6 = nh.includes(':');
  return {
    sw_if_index: sw,
    table_id: 0,
    rpf_id: 0,
    weight: 1,
    preference: 0,
    type: 0,
    flags: 0,
    proto: v6 ? 1 : 0,
    nh: { address: v6 ? { ip6: nh } : { ip4: nh }, via_label: 0, obj_id: 0, classify_table_index: 0 },
    n_labels: 0,
    label_stack: Array.from({ length: 16 }, () => ({ is_uniform: 0, label: 0, ttl: 0, exp: 0 })),
    ...extra,
  };
}

function nhOf(p: Msg): string {
  const a = (p.nh as Msg).address as Msg;
  return (p.proto === 1 ? a.ip6 : a.ip4) as string;
}

async function route(
  vpp: ConformanceClient,
  isAdd: boolean,
  prefix: string,
  paths: Msg[],
  opts: { multipath?: boolean; table?: number } = {},
): Promise<Msg> {
  return call(vpp, 'ip_route_add_del', {
    is_add: isAdd,
    is_multipath: opts.multipath ?? false,
    route: { table_id: opts.table ?? 0, stats_index: 0, prefix, n_paths: paths.length, paths },
  });
}

async function routes(vpp: ConformanceClient, table: number, ip6: boolean): Promise<Msg[]> {
  return (await dump(vpp, 'ip_route_dump', { table: { table_id: table, is_ip6: ip6, name: '' } })).map(
    (d) => d.route as Msg,
  );
}

/** A /24 in 10.0.0.0/8 unlikely to be used on a shared VPP. */
function subnet(): { a: number; b: number; net: string } {
  const a = 100 + nonce(150);
  const b = nonce(250);
  return { a, b, net: `10.${a}.${b}` };
}

/** Cases for vnet's core messages (interfaces, IP, FIB, neighbours, tunnels, cnat, npol, CLI). */
export const coreConformanceCases: ConformanceCase[] = [
  {
    name: 'show_version and control_ping answer',
    async run({ vpp }) {
      const v = await call(vpp, 'show_version');
      equal(v.retval, 0, 'show_version retval');
      check(typeof v.version === 'string' && v.version.length > 0, 'show_version reports a version', v.version);
      equal(v.program, 'vpe', 'show_version program');
      const p = await call(vpp, 'control_ping');
      check(typeof p.vpe_pid === 'number' && p.vpe_pid > 0, 'control_ping_reply carries vpe_pid', p.vpe_pid);
    },
  },
  {
    name: 'get_f64_endian_value checks that 1.0 arrives in order (-159 otherwise) and answers 1.0; get_f64_increment_by_one adds 1',
    async run({ vpp }) {
      const e = await call(vpp, 'get_f64_endian_value', { f64_one: 1 });
      equal(e.retval, 0, 'get_f64_endian_value retval');
      equal(e.f64_one_result, 1, 'get_f64_endian_value f64_one_result');
      await expectRetval(vpp, 'get_f64_endian_value', { f64_one: 2 }, E.API_ENDIAN_FAILED);
      const i = await call(vpp, 'get_f64_increment_by_one', { f64_value: 41.5 });
      equal(i.retval, 0, 'get_f64_increment_by_one retval');
      equal(i.f64_value, 42.5, 'get_f64_increment_by_one f64_value');
      equal(
        (await call(vpp, 'get_f64_increment_by_one', { f64_value: -1e300 })).f64_value,
        -1e300 + 1,
        'increment of -1e300',
      );
    },
  },
  {
    // The old form of this case (300 entries added concurrently for next hops with no covering route)
    // wedged a real VPP 26.06: every such entry is "remote", and ip_pmtu_stack (ip_path_mtu.c) removes
    // and re-adds its FIB entry on each back walk, which walks all its siblings under the default route
    // again, forever. Next hops inside a connected subnet are "attached": ip_pmtu_stack then only walks
    // adjacencies and changes no FIB entry, so nothing cascades. Entries go in one at a time.
    name: 'ip_path_mtu_update / ip_path_mtu_get: entries for attached next hops, added one at a time, all come back through the cursor pages (EAGAIN -165 means go on from the cursor); update in place; MTU 0 removes; an unknown table fails with -65',
    async run({ vpp }) {
      const get = vpp.get?.bind(vpp);
      check(get, 'the client has get() for _get requests with cursor');
      const n = PMTU_ENTRIES;
      await withCleanup(async (defer) => {
        const { sw } = await loopback(vpp, defer);
        await call(vpp, 'sw_interface_set_flags', { sw_if_index: sw, flags: 1 });
        // a /23 of 198.18.0.0/15 (benchmarking space) for the connected route that covers every next hop
        const third = 2 * nonce(126);
        const hosts = Array.from({ length: n }, (_, i) => `198.18.${third + ((i + 2) >> 8)}.${(i + 2) & 0xff}`);
        await call(vpp, 'sw_interface_add_del_address', {
          sw_if_index: sw,
          is_add: true,
          del_all: false,
          prefix: `198.18.${third}.1/23`,
        });
        defer(() =>
          vpp.call('sw_interface_add_del_address', {
            sw_if_index: sw,
            is_add: false,
            del_all: true,
            prefix: '0.0.0.0/0',
          }),
        );
        const wanted = new Set(hosts);
        const ours = async (): Promise<Map<string, number[]>> => {
          const seen = new Map<string, number[]>();
          for await (const d of get('ip_path_mtu_get', { cursor: 0 })) {
            const p = (d as Msg).pmtu as Msg;
            const k = String(p.nh);
            if (p.table_id !== 0 || !wanted.has(k)) continue;
            seen.set(k, [...(seen.get(k) ?? []), p.path_mtu as number]);
          }
          return seen;
        };
        for (let i = 0; i < n; i++) {
          defer(() => vpp.call('ip_path_mtu_update', { pmtu: { table_id: 0, nh: hosts[i], path_mtu: 0 } }));
          await call(vpp, 'ip_path_mtu_update', { pmtu: { table_id: 0, nh: hosts[i], path_mtu: 1000 + i } });
        }
        let seen = await ours();
        equal(seen.size, n, 'path MTU entries listed by ip_path_mtu_get');
        for (let i = 0; i < n; i++)
          equal(seen.get(hosts[i]!), [1000 + i], `path MTU of ${hosts[i]} (once, with its MTU)`);
        await call(vpp, 'ip_path_mtu_update', { pmtu: { table_id: 0, nh: hosts[7], path_mtu: 1280 } });
        await call(vpp, 'ip_path_mtu_update', { pmtu: { table_id: 0, nh: hosts[8], path_mtu: 0 } });
        seen = await ours();
        equal(seen.get(hosts[7]!), [1280], 'updated path MTU');
        equal(seen.has(hosts[8]!), false, 'path MTU 0 removes the entry');
        equal(seen.size, n - 1, 'entries after one removal');
        await expectRetval(
          vpp,
          'ip_path_mtu_update',
          { pmtu: { table_id: 0x7ffffff0, nh: hosts[0], path_mtu: 1400 } },
          E.NO_SUCH_TABLE,
        );
      });
    },
  },
  {
    name: 'local0 is interface 0 and interfaces are dumped in index order',
    async run({ vpp }) {
      const all = await dump(vpp, 'sw_interface_dump', { sw_if_index: ANY });
      const local0 = all[0];
      check(local0, 'sw_interface_dump returned nothing');
      equal(local0.sw_if_index, 0, 'first interface index');
      equal(local0.interface_name, 'local0', 'interface 0 name');
      equal(local0.interface_dev_type, 'local', 'local0 device type');
      const idx = all.map((d) => d.sw_if_index as number);
      equal(
        idx,
        [...idx].sort((a, b) => a - b),
        'dump order by sw_if_index',
      );
    },
  },
  {
    name: 'create_loopback: details, then delete_loopback removes it and a second delete fails with -2',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const { sw, mac: l2, details } = await loopback(vpp, defer);
        check(/^loop\d+$/.test(details.interface_name), 'loopback name is loop<instance>', details.interface_name);
        equal(details.interface_dev_type, 'Loopback', 'loopback device type');
        equal(details.l2_address, l2, 'loopback MAC');
        equal(details.sup_sw_if_index, sw, 'sup_sw_if_index of a hardware interface');
        equal(details.type, 0, 'interface type (hardware)');
        equal(details.flags, 0, 'flags of a new loopback (down)');
        equal(details.link_mtu, 9000, 'loopback link_mtu');
        equal((details.mtu as number[])[0], 9000, 'loopback L3 MTU');
        await call(vpp, 'delete_loopback', { sw_if_index: sw });
        equal(await interfaceDetails(vpp, sw), undefined, 'deleted loopback still dumped');
        await expectRetval(vpp, 'delete_loopback', { sw_if_index: sw }, E.INVALID_SW_IF_INDEX);
      });
    },
  },
  {
    name: 'create_loopback_instance: the requested instance names the interface; a taken one fails with -31; no MAC means de:ad:00:00:00:<instance>',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const inst = 3000 + nonce(900);
        const r = await call(vpp, 'create_loopback_instance', {
          mac_address: mac(inst),
          is_specified: true,
          user_instance: inst,
        });
        defer(() => vpp.call('delete_loopback', { sw_if_index: r.sw_if_index }));
        const d = await interfaceDetails(vpp, r.sw_if_index as number);
        equal(d?.interface_name, `loop${inst}`, 'name of a loopback with a given instance');
        const inst2 = inst + 1000;
        const z = await call(vpp, 'create_loopback_instance', {
          mac_address: '00:00:00:00:00:00',
          is_specified: true,
          user_instance: inst2,
        });
        defer(() => vpp.call('delete_loopback', { sw_if_index: z.sw_if_index }));
        equal(
          (await interfaceDetails(vpp, z.sw_if_index as number))?.l2_address,
          `de:ad:00:00:00:${(inst2 & 0xff).toString(16).padStart(2, '0')}`,
          'default MAC of a loopback (de:ad + instance)',
        );
        await expectRetval(
          vpp,
          'create_loopback_instance',
          { mac_address: mac(inst + 1), is_specified: true, user_instance: inst },
          E.INVALID_REGISTRATION,
        );
      });
    },
  },
  {
    name: 'bad sw_if_index fails with -2 on set_flags, set_mtu, tag, add_del_address, set_table',
    async run({ vpp }) {
      await expectRetval(vpp, 'sw_interface_set_flags', { sw_if_index: BAD_INDEX, flags: 1 }, E.INVALID_SW_IF_INDEX);
      await expectRetval(
        vpp,
        'sw_interface_set_mtu',
        { sw_if_index: BAD_INDEX, mtu: [1500, 0, 0, 0] },
        E.INVALID_SW_IF_INDEX,
      );
      await expectRetval(
        vpp,
        'sw_interface_tag_add_del',
        { sw_if_index: BAD_INDEX, is_add: true, tag: 'x' },
        E.INVALID_SW_IF_INDEX,
      );
      await expectRetval(
        vpp,
        'sw_interface_add_del_address',
        { sw_if_index: BAD_INDEX, is_add: true, del_all: false, prefix: '10.99.99.1/24' },
        E.INVALID_SW_IF_INDEX,
      );
      await expectRetval(
        vpp,
        'sw_interface_set_table',
        { sw_if_index: BAD_INDEX, is_ipv6: false, vrf_id: 0 },
        E.INVALID_SW_IF_INDEX,
      );
    },
  },
  {
    name: 'sw_interface_set_flags: admin up/down shows in the dump and fires sw_interface_event',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const { sw } = await loopback(vpp, defer);
        const sub = vpp.events('want_interface_events', { enable_disable: 1, pid: process.pid });
        defer(() => sub.close());
        await sub.ready;
        const it = sub[Symbol.asyncIterator]();
        await call(vpp, 'sw_interface_set_flags', { sw_if_index: sw, flags: 1 });
        const up = await waitFor(
          it,
          (e) => (e as Msg).sw_if_index === sw && ((e as Msg).flags & 1) === 1,
          3000,
          'an admin-up event',
        );
        equal((up as Msg).deleted, false, 'event deleted flag');
        equal((await interfaceDetails(vpp, sw))?.flags, 3, 'loopback flags after admin up (admin + link)');
        await call(vpp, 'sw_interface_set_flags', { sw_if_index: sw, flags: 0 });
        await waitFor(it, (e) => (e as Msg).sw_if_index === sw && (e as Msg).flags === 0, 3000, 'an admin-down event');
        equal((await interfaceDetails(vpp, sw))?.flags, 0, 'loopback flags after admin down');
      });
    },
  },
  {
    name: 'sw_interface_set_mtu, set_mac_address and tag_add_del show in the dump; name filter finds the interface',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const { sw, details } = await loopback(vpp, defer);
        await call(vpp, 'sw_interface_set_mtu', { sw_if_index: sw, mtu: [1450, 0, 0, 0] });
        equal(((await interfaceDetails(vpp, sw))?.mtu as number[])[0], 1450, 'L3 MTU after sw_interface_set_mtu');
        const l2 = mac(nonce(0xffffff));
        await call(vpp, 'sw_interface_set_mac_address', { sw_if_index: sw, mac_address: l2 });
        equal((await interfaceDetails(vpp, sw))?.l2_address, l2, 'MAC after sw_interface_set_mac_address');
        equal(
          (await call(vpp, 'sw_interface_get_mac_address', { sw_if_index: sw })).mac_address,
          l2,
          'sw_interface_get_mac_address',
        );
        const tag = `conf-${nonce(1e6)}`;
        await call(vpp, 'sw_interface_tag_add_del', { sw_if_index: sw, is_add: true, tag });
        equal((await interfaceDetails(vpp, sw))?.tag, tag, 'tag after add');
        await call(vpp, 'sw_interface_tag_add_del', { sw_if_index: sw, is_add: false, tag: '' });
        equal((await interfaceDetails(vpp, sw))?.tag, '', 'tag after delete');
        const name = details.interface_name as string;
        const found = await dump(vpp, 'sw_interface_dump', {
          sw_if_index: ANY,
          name_filter_valid: true,
          name_filter: name,
        });
        check(
          found.some((d) => d.sw_if_index === sw),
          'name filter finds the interface',
          found.map((d) => d.interface_name),
        );
        check(
          found.every((d) => (d.interface_name as string).includes(name)),
          'name filter returns only matching names',
          found.map((d) => d.interface_name),
        );
      });
    },
  },
  {
    name: 'interface addresses: ip_address_dump; connected, local, network and broadcast routes only while admin-up; -105 for an overlapping IPv4 address, -127 for IPv6',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const { sw } = await loopback(vpp, defer);
        const { net } = subnet();
        const v6 = `fd${nonce(0xff).toString(16).padStart(2, '0')}:${nonce(0xfff).toString(16)}::`;
        await call(vpp, 'sw_interface_add_del_address', {
          sw_if_index: sw,
          is_add: true,
          del_all: false,
          prefix: `${net}.1/24`,
        });
        defer(() =>
          vpp.call('sw_interface_add_del_address', {
            sw_if_index: sw,
            is_add: false,
            del_all: true,
            prefix: '0.0.0.0/0',
          }),
        );
        await call(vpp, 'sw_interface_add_del_address', {
          sw_if_index: sw,
          is_add: true,
          del_all: false,
          prefix: `${v6}1/64`,
        });
        // ip4_add_del_interface_address_internal: address routes exist only while the interface is up
        const byPrefix = (rs: Msg[], p: string): Msg | undefined => rs.find((r) => r.prefix === p);
        equal(byPrefix(await routes(vpp, 0, false), `${net}.0/24`), undefined, 'no connected route while admin-down');
        equal(byPrefix(await routes(vpp, 0, true), `${v6}/64`), undefined, 'no IPv6 connected route while admin-down');
        await call(vpp, 'sw_interface_set_flags', { sw_if_index: sw, flags: 1 });
        const a4 = await dump(vpp, 'ip_address_dump', { sw_if_index: sw, is_ipv6: false });
        equal(
          a4.map((d) => [d.sw_if_index, d.prefix]),
          [[sw, `${net}.1/24`]],
          'IPv4 addresses',
        );
        const a6 = await dump(vpp, 'ip_address_dump', { sw_if_index: sw, is_ipv6: true });
        equal(
          a6.map((d) => d.prefix),
          [`${v6}1/64`],
          'IPv6 addresses',
        );
        const r4 = await routes(vpp, 0, false);
        const connected = byPrefix(r4, `${net}.0/24`);
        check(connected, `connected route ${net}.0/24 present`);
        equal(
          (connected.paths as Msg[]).map((p) => [p.sw_if_index, p.type]),
          [[sw, 0]],
          'connected route path',
        );
        const local = byPrefix(r4, `${net}.1/32`);
        check(local, `local route ${net}.1/32 present`);
        equal(
          (local.paths as Msg[]).map((p) => [p.sw_if_index, p.type]),
          [[sw, 1]],
          'local route path',
        );
        for (const p of [`${net}.0/32`, `${net}.255/32`]) {
          const d = byPrefix(r4, p);
          check(d, `drop route ${p} present`);
          equal(
            (d.paths as Msg[]).map((x) => x.type),
            [2],
            `${p} is a drop`,
          );
        }
        check(
          typeof connected.stats_index === 'number' && connected.stats_index !== ANY,
          'connected route has a stats_index',
          connected.stats_index,
        );
        const r6 = await routes(vpp, 0, true);
        check(
          byPrefix(r6, `${v6}/64`),
          `connected route ${v6}/64 present`,
          r6.map((r) => r.prefix),
        );
        check(byPrefix(r6, `${v6}1/128`), `local route ${v6}1/128 present`);
        await call(vpp, 'sw_interface_set_flags', { sw_if_index: sw, flags: 0 });
        const down = await routes(vpp, 0, false);
        for (const p of [`${net}.0/24`, `${net}.1/32`]) equal(byPrefix(down, p), undefined, `${p} after admin-down`);
        await call(vpp, 'sw_interface_set_flags', { sw_if_index: sw, flags: 1 });
        check(byPrefix(await routes(vpp, 0, false), `${net}.0/24`), 'connected route back after admin-up');
        await expectRetval(
          vpp,
          'sw_interface_add_del_address',
          { sw_if_index: sw, is_add: true, del_all: false, prefix: `${net}.1/24` },
          E.ADDRESS_IN_USE,
        );
        await expectRetval(
          vpp,
          'sw_interface_add_del_address',
          { sw_if_index: sw, is_add: true, del_all: false, prefix: `${net}.1/16` },
          E.ADDRESS_IN_USE,
        );
        await expectRetval(
          vpp,
          'sw_interface_add_del_address',
          { sw_if_index: sw, is_add: true, del_all: false, prefix: `${v6}1/64` },
          E.DUPLICATE_IF_ADDRESS,
        );
        await call(vpp, 'sw_interface_add_del_address', {
          sw_if_index: sw,
          is_add: true,
          del_all: false,
          prefix: `${net}.2/24`,
        });
        equal(
          (await dump(vpp, 'ip_address_dump', { sw_if_index: sw, is_ipv6: false })).length,
          2,
          'a second address of the same subnet and length',
        );
        await call(vpp, 'sw_interface_add_del_address', {
          sw_if_index: sw,
          is_add: false,
          del_all: false,
          prefix: `${net}.2/24`,
        });
        await call(vpp, 'sw_interface_add_del_address', {
          sw_if_index: sw,
          is_add: false,
          del_all: false,
          prefix: `${net}.1/24`,
        });
        equal(
          await dump(vpp, 'ip_address_dump', { sw_if_index: sw, is_ipv6: false }),
          [],
          'IPv4 addresses after delete',
        );
        const after = await routes(vpp, 0, false);
        for (const p of [`${net}.0/24`, `${net}.1/32`, `${net}.0/32`, `${net}.255/32`])
          equal(byPrefix(after, p), undefined, `${p} after the address is deleted`);
        await call(vpp, 'sw_interface_add_del_address', {
          sw_if_index: sw,
          is_add: false,
          del_all: true,
          prefix: '0.0.0.0/0',
        });
        equal(
          await dump(vpp, 'ip_address_dump', { sw_if_index: sw, is_ipv6: true }),
          [],
          'IPv6 addresses after del_all',
        );
      });
    },
  },
  {
    name: 'sw_interface_set_unnumbered: ip_unnumbered_dump shows the binding; bad indexes fail with -2 and -10',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const a = await loopback(vpp, defer);
        const b = await loopback(vpp, defer);
        const { net } = subnet();
        await call(vpp, 'sw_interface_add_del_address', {
          sw_if_index: a.sw,
          is_add: true,
          del_all: false,
          prefix: `${net}.1/24`,
        });
        defer(() =>
          vpp.call('sw_interface_add_del_address', {
            sw_if_index: a.sw,
            is_add: false,
            del_all: true,
            prefix: '0.0.0.0/0',
          }),
        );
        await call(vpp, 'sw_interface_set_unnumbered', {
          sw_if_index: a.sw,
          unnumbered_sw_if_index: b.sw,
          is_add: true,
        });
        defer(() =>
          vpp.call('sw_interface_set_unnumbered', { sw_if_index: a.sw, unnumbered_sw_if_index: b.sw, is_add: false }),
        );
        const u = await dump(vpp, 'ip_unnumbered_dump', { sw_if_index: b.sw });
        equal(
          u.map((d) => [d.sw_if_index, d.ip_sw_if_index]),
          [[b.sw, a.sw]],
          'ip_unnumbered_dump',
        );
        await expectRetval(
          vpp,
          'sw_interface_set_unnumbered',
          { sw_if_index: a.sw, unnumbered_sw_if_index: BAD_INDEX, is_add: true },
          E.INVALID_SW_IF_INDEX,
        );
        await expectRetval(
          vpp,
          'sw_interface_set_unnumbered',
          { sw_if_index: BAD_INDEX, unnumbered_sw_if_index: b.sw, is_add: true },
          E.INVALID_SW_IF_INDEX_2,
        );
        await call(vpp, 'sw_interface_set_unnumbered', {
          sw_if_index: a.sw,
          unnumbered_sw_if_index: b.sw,
          is_add: false,
        });
        equal(await dump(vpp, 'ip_unnumbered_dump', { sw_if_index: b.sw }), [], 'ip_unnumbered_dump after removal');
      });
    },
  },
  {
    name: 'ip_table_add_del: tables are dumped by id and name, start with the default entries, and go away on delete',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const id = 100000 + nonce(100000);
        const name = `conf-${id}`;
        await call(vpp, 'ip_table_add_del', { is_add: true, table: { table_id: id, is_ip6: false, name } });
        defer(() => vpp.call('ip_table_add_del', { is_add: false, table: { table_id: id, is_ip6: false, name: '' } }));
        await call(vpp, 'ip_table_add_del', { is_add: true, table: { table_id: id, is_ip6: true, name } });
        defer(() => vpp.call('ip_table_add_del', { is_add: false, table: { table_id: id, is_ip6: true, name: '' } }));
        const tables = (await dump(vpp, 'ip_table_dump')).map((d) => d.table as Msg);
        check(
          tables.some((t) => t.table_id === id && t.is_ip6 === false && t.name === name),
          'IPv4 table dumped with its name',
          tables,
        );
        check(
          tables.some((t) => t.table_id === id && t.is_ip6 === true),
          'IPv6 table dumped',
          tables,
        );
        const prefixes = (await routes(vpp, id, false)).map((r) => r.prefix);
        for (const p of ['0.0.0.0/0', '0.0.0.0/32', '224.0.0.0/4', '240.0.0.0/4', '255.255.255.255/32'])
          check(prefixes.includes(p), `new IPv4 table has ${p}`, prefixes);
        const dflt = (await routes(vpp, id, false)).find((r) => r.prefix === '0.0.0.0/0');
        equal(
          (dflt?.paths as Msg[]).map((p) => [p.type, p.sw_if_index]),
          [[2, ANY]],
          'default route of a new table is a drop',
        );
        check(
          (await routes(vpp, id, true)).some((r) => r.prefix === '::/0'),
          'new IPv6 table has ::/0',
        );
        await call(vpp, 'ip_table_add_del', { is_add: false, table: { table_id: id, is_ip6: false, name: '' } });
        const after = (await dump(vpp, 'ip_table_dump')).map((d) => d.table as Msg);
        check(!after.some((t) => t.table_id === id && t.is_ip6 === false), 'deleted table still dumped', after);
        await expectRetval(
          vpp,
          'ip_route_add_del',
          {
            is_add: true,
            is_multipath: false,
            route: { table_id: id, stats_index: 0, prefix: '10.1.0.0/16', n_paths: 1, paths: [path(ANY, '10.0.0.1')] },
          },
          E.NO_SUCH_FIB,
        );
      });
    },
  },
  {
    name: 'ip_table_replace_begin/end sweeps the API routes not re-added; ip_table_flush removes them; _v2 routes report FIB source 8',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const id = 300000 + nonce(100000);
        const table = { table_id: id, is_ip6: false, name: '' };
        await call(vpp, 'ip_table_add_del', { is_add: true, table });
        defer(() => vpp.call('ip_table_add_del', { is_add: false, table }));
        const via = [path(ANY, '192.0.2.1')];
        await route(vpp, true, '198.51.100.0/24', via, { table: id });
        await route(vpp, true, '203.0.113.0/24', via, { table: id });
        await call(vpp, 'ip_table_replace_begin', { table });
        await route(vpp, true, '203.0.113.0/24', via, { table: id });
        await call(vpp, 'ip_table_replace_end', { table });
        let prefixes = (await routes(vpp, id, false)).map((r) => r.prefix);
        check(
          !prefixes.includes('198.51.100.0/24') && prefixes.includes('203.0.113.0/24'),
          'only the re-added route survives the sweep',
          prefixes,
        );
        check(prefixes.includes('0.0.0.0/0'), 'the default entry survives the sweep', prefixes);
        const v2 = (await dump(vpp, 'ip_route_v2_dump', { src: 0, table })).map((d) => d.route as Msg);
        equal(v2.find((r) => r.prefix === '203.0.113.0/24')?.src, 8, 'source of an API route');
        equal(v2.find((r) => r.prefix === '0.0.0.0/0')?.src, 20, 'source of the default route');
        await call(vpp, 'ip_table_flush', { table });
        prefixes = (await routes(vpp, id, false)).map((r) => r.prefix);
        check(
          !prefixes.includes('203.0.113.0/24') && prefixes.includes('0.0.0.0/0'),
          'ip_table_flush removes the API routes only',
          prefixes,
        );
      });
    },
  },
  {
    name: 'sw_interface_set_table: binds to an existing table only, and not while the interface has addresses',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const { sw } = await loopback(vpp, defer);
        const id = 200000 + nonce(100000);
        await expectRetval(
          vpp,
          'sw_interface_set_table',
          { sw_if_index: sw, is_ipv6: false, vrf_id: id },
          E.NO_SUCH_FIB,
        );
        await call(vpp, 'ip_table_add_del', { is_add: true, table: { table_id: id, is_ip6: false, name: '' } });
        defer(() => vpp.call('ip_table_add_del', { is_add: false, table: { table_id: id, is_ip6: false, name: '' } }));
        await call(vpp, 'sw_interface_set_table', { sw_if_index: sw, is_ipv6: false, vrf_id: id });
        defer(() => vpp.call('sw_interface_set_table', { sw_if_index: sw, is_ipv6: false, vrf_id: 0 }));
        equal(
          (await call(vpp, 'sw_interface_get_table', { sw_if_index: sw, is_ipv6: false })).vrf_id,
          id,
          'sw_interface_get_table',
        );
        const { net } = subnet();
        await call(vpp, 'sw_interface_set_flags', { sw_if_index: sw, flags: 1 });
        await call(vpp, 'sw_interface_add_del_address', {
          sw_if_index: sw,
          is_add: true,
          del_all: false,
          prefix: `${net}.1/24`,
        });
        defer(() =>
          vpp.call('sw_interface_add_del_address', {
            sw_if_index: sw,
            is_add: false,
            del_all: true,
            prefix: '0.0.0.0/0',
          }),
        );
        check(
          (await routes(vpp, id, false)).some((r) => r.prefix === `${net}.0/24`),
          'connected route lands in the bound table',
        );
        await expectRetval(
          vpp,
          'sw_interface_set_table',
          { sw_if_index: sw, is_ipv6: false, vrf_id: 0 },
          E.ADDRESS_FOUND_FOR_INTERFACE,
        );
        await call(vpp, 'sw_interface_add_del_address', {
          sw_if_index: sw,
          is_add: false,
          del_all: true,
          prefix: '0.0.0.0/0',
        });
      });
    },
  },
  {
    name: 'unnumbered needs both interfaces in the same tables (-74); set_table on an unnumbered interface counts the lender addresses (-114)',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const lender = await loopback(vpp, defer);
        const borrower = await loopback(vpp, defer);
        const id = 300000 + nonce(100000);
        await call(vpp, 'ip_table_add_del', { is_add: true, table: { table_id: id, is_ip6: false, name: '' } });
        defer(() => vpp.call('ip_table_add_del', { is_add: false, table: { table_id: id, is_ip6: false, name: '' } }));
        const { net } = subnet();
        await call(vpp, 'sw_interface_add_del_address', {
          sw_if_index: lender.sw,
          is_add: true,
          del_all: false,
          prefix: `${net}.1/24`,
        });
        defer(() =>
          vpp.call('sw_interface_add_del_address', {
            sw_if_index: lender.sw,
            is_add: false,
            del_all: true,
            prefix: '0.0.0.0/0',
          }),
        );
        // vnet_sw_interface_check_table_same: the borrower in another IPv4 table is refused
        await call(vpp, 'sw_interface_set_table', { sw_if_index: borrower.sw, is_ipv6: false, vrf_id: id });
        defer(() => vpp.call('sw_interface_set_table', { sw_if_index: borrower.sw, is_ipv6: false, vrf_id: 0 }));
        await expectRetval(
          vpp,
          'sw_interface_set_unnumbered',
          { sw_if_index: lender.sw, unnumbered_sw_if_index: borrower.sw, is_add: true },
          E.UNEXPECTED_INTF_STATE,
        );
        equal(await dump(vpp, 'ip_unnumbered_dump', { sw_if_index: borrower.sw }), [], 'no binding after -74');
        // back in table 0 it is accepted; then a table change is refused: the borrowed address counts
        await call(vpp, 'sw_interface_set_table', { sw_if_index: borrower.sw, is_ipv6: false, vrf_id: 0 });
        await call(vpp, 'sw_interface_set_unnumbered', {
          sw_if_index: lender.sw,
          unnumbered_sw_if_index: borrower.sw,
          is_add: true,
        });
        defer(() =>
          vpp.call('sw_interface_set_unnumbered', {
            sw_if_index: lender.sw,
            unnumbered_sw_if_index: borrower.sw,
            is_add: false,
          }),
        );
        await expectRetval(
          vpp,
          'sw_interface_set_table',
          { sw_if_index: borrower.sw, is_ipv6: false, vrf_id: id },
          E.ADDRESS_FOUND_FOR_INTERFACE,
        );
      });
    },
  },
  {
    name: 'ip_route_add_del: add, replace, multipath add and remove of paths, lookup, delete',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const { sw } = await loopback(vpp, defer);
        const { net } = subnet();
        await call(vpp, 'sw_interface_add_del_address', {
          sw_if_index: sw,
          is_add: true,
          del_all: false,
          prefix: `${net}.1/24`,
        });
        defer(() =>
          vpp.call('sw_interface_add_del_address', {
            sw_if_index: sw,
            is_add: false,
            del_all: true,
            prefix: '0.0.0.0/0',
          }),
        );
        const dst = `172.${16 + nonce(15)}.${nonce(250)}.0/24`;
        defer(() => route(vpp, false, dst, []));
        const added = await route(vpp, true, dst, [path(sw, `${net}.2`)]);
        check(
          typeof added.stats_index === 'number' && added.stats_index !== ANY,
          'stats_index of an added route',
          added.stats_index,
        );
        const find = async (): Promise<Msg | undefined> => (await routes(vpp, 0, false)).find((r) => r.prefix === dst);
        const r = await find();
        check(r, `route ${dst} dumped`);
        equal(r.stats_index, added.stats_index, 'dumped stats_index equals the reply');
        equal((r.paths as Msg[]).map(nhOf), [`${net}.2`], 'one path');
        equal((r.paths as Msg[])[0]?.weight, 1, 'path weight');
        await route(vpp, true, dst, [path(sw, `${net}.3`)]);
        equal(((await find())?.paths as Msg[]).map(nhOf), [`${net}.3`], 'paths after a non-multipath add (replace)');
        await route(vpp, true, dst, [path(sw, `${net}.4`)], { multipath: true });
        equal(
          ((await find())?.paths as Msg[]).map(nhOf).sort(),
          [`${net}.3`, `${net}.4`],
          'paths after a multipath add',
        );
        await route(vpp, false, dst, [path(sw, `${net}.3`)], { multipath: true });
        equal(((await find())?.paths as Msg[]).map(nhOf), [`${net}.4`], 'paths after a multipath remove');
        const exact = await call(vpp, 'ip_route_lookup', { table_id: 0, exact: 1, prefix: dst });
        equal((exact.route as Msg).prefix, dst, 'exact lookup prefix');
        equal(((exact.route as Msg).paths as Msg[]).map(nhOf), [`${net}.4`], 'exact lookup paths');
        const host = dst.replace('.0/24', '.7/32');
        const lpm = await call(vpp, 'ip_route_lookup', { table_id: 0, exact: 0, prefix: host });
        equal((lpm.route as Msg).prefix, dst, 'longest-prefix lookup');
        await route(vpp, false, dst, []);
        equal(await find(), undefined, 'route after delete');
        await expectRetval(vpp, 'ip_route_lookup', { table_id: 0, exact: 1, prefix: dst }, E.NO_SUCH_ENTRY);
      });
    },
  },
  {
    name: 'ip_route_add_del IPv6: a route via an IPv6 next hop is dumped with proto 1',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const { sw } = await loopback(vpp, defer);
        const dst = `fd${nonce(0xff).toString(16).padStart(2, '0')}:${nonce(0xffff).toString(16)}:${nonce(0xffff).toString(16)}::/64`;
        defer(() => route(vpp, false, dst, []));
        await route(vpp, true, dst, [path(sw, 'fe80::2')]);
        const r = (await routes(vpp, 0, true)).find((x) => x.prefix === dst);
        check(r, `route ${dst} dumped`);
        equal(
          (r.paths as Msg[]).map((p) => [p.sw_if_index, p.proto, nhOf(p)]),
          [[sw, 1, 'fe80::2']],
          'IPv6 path',
        );
        await route(vpp, false, dst, []);
        equal(
          (await routes(vpp, 0, true)).find((x) => x.prefix === dst),
          undefined,
          'IPv6 route after delete',
        );
      });
    },
  },
  {
    name: 'sw_interface_ip6_enable_disable: the EUI-64 link-local address of the MAC, settable, -62 before IPv6 is on',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const { sw } = await loopback(vpp, defer, '02:fe:12:34:56:01');
        await expectRetval(vpp, 'sw_interface_ip6_get_link_local_address', { sw_if_index: sw }, E.IP6_NOT_ENABLED);
        await call(vpp, 'sw_interface_ip6_enable_disable', { sw_if_index: sw, enable: true });
        defer(() => vpp.call('sw_interface_ip6_enable_disable', { sw_if_index: sw, enable: false }));
        equal(
          (await call(vpp, 'sw_interface_ip6_get_link_local_address', { sw_if_index: sw })).ip,
          'fe80::fe:12ff:fe34:5601',
          'link-local address',
        );
        await call(vpp, 'sw_interface_ip6_set_link_local_address', { sw_if_index: sw, ip: 'fe80::1:2' });
        equal(
          (await call(vpp, 'sw_interface_ip6_get_link_local_address', { sw_if_index: sw })).ip,
          'fe80::1:2',
          'link-local address after set',
        );
      });
    },
  },
  {
    name: 'ip_neighbor_add_del: static neighbours are dumped per interface and family, with a /32 adj-fib unless no-fib-entry; deleting twice fails with -6',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const { sw } = await loopback(vpp, defer);
        const { net } = subnet();
        await call(vpp, 'sw_interface_add_del_address', {
          sw_if_index: sw,
          is_add: true,
          del_all: false,
          prefix: `${net}.1/24`,
        });
        defer(() =>
          vpp.call('sw_interface_add_del_address', {
            sw_if_index: sw,
            is_add: false,
            del_all: true,
            prefix: '0.0.0.0/0',
          }),
        );
        const neighbor = { sw_if_index: sw, flags: 1, mac_address: '02:fe:00:00:00:02', ip_address: `${net}.2` };
        await call(vpp, 'ip_neighbor_add_del', { is_add: true, neighbor });
        defer(() => vpp.call('ip_neighbor_add_del', { is_add: false, neighbor }));
        const d = await dump(vpp, 'ip_neighbor_dump', { sw_if_index: sw, af: 0 });
        equal(
          d.map((x) => [
            (x.neighbor as Msg).ip_address,
            (x.neighbor as Msg).mac_address,
            (x.neighbor as Msg).flags & 1,
          ]),
          [[`${net}.2`, '02:fe:00:00:00:02', 1]],
          'neighbours dumped',
        );
        equal(await dump(vpp, 'ip_neighbor_dump', { sw_if_index: sw, af: 1 }), [], 'no IPv6 neighbours');
        const adjFib = (await routes(vpp, 0, false)).find((r) => r.prefix === `${net}.2/32`);
        check(adjFib, `the neighbour's /32 (adj-fib) is in the FIB`);
        equal(
          (adjFib.paths as Msg[]).map((p) => [p.sw_if_index, nhOf(p)]),
          [[sw, `${net}.2`]],
          'adj-fib path',
        );
        const quiet = { ...neighbor, ip_address: `${net}.3`, flags: 1 | 2 };
        await call(vpp, 'ip_neighbor_add_del', { is_add: true, neighbor: quiet });
        defer(() => vpp.call('ip_neighbor_add_del', { is_add: false, neighbor: quiet }));
        equal(
          (await routes(vpp, 0, false)).find((r) => r.prefix === `${net}.3/32`),
          undefined,
          'no FIB entry for a no-fib-entry neighbour',
        );
        await call(vpp, 'ip_neighbor_add_del', { is_add: false, neighbor: quiet });
        await call(vpp, 'ip_neighbor_add_del', { is_add: false, neighbor });
        equal(await dump(vpp, 'ip_neighbor_dump', { sw_if_index: sw, af: 0 }), [], 'neighbours after delete');
        await call(vpp, 'ip_neighbor_add_del', { is_add: true, neighbor });
        await call(vpp, 'ip_neighbor_flush', { af: 0, sw_if_index: sw });
        equal(
          await dump(vpp, 'ip_neighbor_dump', { sw_if_index: sw, af: 0 }),
          [],
          'neighbours after ip_neighbor_flush',
        );
        equal(
          (await routes(vpp, 0, false)).find((r) => r.prefix === `${net}.2/32`),
          undefined,
          'adj-fib after delete',
        );
        await expectRetval(vpp, 'ip_neighbor_add_del', { is_add: false, neighbor }, E.NO_SUCH_ENTRY);
        await expectRetval(
          vpp,
          'ip_neighbor_add_del',
          { is_add: true, neighbor: { ...neighbor, sw_if_index: BAD_INDEX } },
          E.INVALID_SW_IF_INDEX,
        );
      });
    },
  },
  {
    name: 'add_del_ip_punt_redirect_v2: redirects are dumped by rx interface and family, and removed',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const rx = await loopback(vpp, defer);
        const tx = await loopback(vpp, defer);
        const punt = { rx_sw_if_index: rx.sw, af: 0, n_paths: 1, paths: [path(tx.sw, '169.254.0.1')] };
        await call(vpp, 'add_del_ip_punt_redirect_v2', { is_add: true, punt });
        defer(() => vpp.call('add_del_ip_punt_redirect_v2', { is_add: false, punt }));
        const d = await dump(vpp, 'ip_punt_redirect_v2_dump', { sw_if_index: rx.sw, af: 0 });
        equal(
          d.map((x) => [
            (x.punt as Msg).rx_sw_if_index,
            ((x.punt as Msg).paths as Msg[]).map((p) => [p.sw_if_index, nhOf(p)]),
          ]),
          [[rx.sw, [[tx.sw, '169.254.0.1']]]],
          'punt redirect dumped',
        );
        await call(vpp, 'add_del_ip_punt_redirect_v2', { is_add: false, punt });
        equal(
          await dump(vpp, 'ip_punt_redirect_v2_dump', { sw_if_index: rx.sw, af: 0 }),
          [],
          'punt redirects after delete',
        );
      });
    },
  },
  {
    name: 'cnat_translation_update: id, dump with active paths, update in place, delete; deleting twice fails with -6',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const vipAddr = `10.${96 + nonce(30)}.${nonce(250)}.${nonce(250)}`;
        const ep = (addr: string, port: number): Msg => ({ addr, sw_if_index: ANY, if_af: 0, port });
        const translation = (backends: string[]): Msg => ({
          vip: ep(vipAddr, 53),
          id: 0,
          ip_proto: 17,
          is_real_ip: 0,
          flags: 0,
          lb_type: 0,
          n_paths: backends.length,
          flow_hash_config: 0,
          paths: backends.map((b) => ({ dst_ep: ep(b, 5353), src_ep: ep('0.0.0.0', 0), flags: 0 })),
        });
        const r = await call(vpp, 'cnat_translation_update', { translation: translation(['10.20.1.5', '10.20.1.6']) });
        const id = r.id as number;
        defer(() => vpp.call('cnat_translation_del', { id }));
        const mine = async (): Promise<Msg | undefined> =>
          (await dump(vpp, 'cnat_translation_dump')).map((d) => d.translation as Msg).find((t) => t.id === id);
        const t = await mine();
        check(t, `translation ${id} dumped`);
        equal((t.vip as Msg).addr, vipAddr, 'vip address');
        equal((t.vip as Msg).port, 53, 'vip port');
        equal(t.ip_proto, 17, 'ip_proto');
        equal(
          (t.paths as Msg[]).map((p) => [(p.dst_ep as Msg).addr, (p.dst_ep as Msg).port]),
          [
            ['10.20.1.5', 5353],
            ['10.20.1.6', 5353],
          ],
          'backends',
        );
        check(
          (t.paths as Msg[]).every((p) => (p.flags & 4) === 4),
          'backends are reported active (flag 4)',
          t.paths,
        );
        const again = await call(vpp, 'cnat_translation_update', { translation: translation(['10.20.1.7']) });
        equal(again.id, id, 'updating the same vip keeps the id');
        equal(
          ((await mine())?.paths as Msg[]).map((p) => (p.dst_ep as Msg).addr),
          ['10.20.1.7'],
          'backends after update',
        );
        await call(vpp, 'cnat_translation_del', { id });
        equal(await mine(), undefined, 'translation after delete');
        await expectRetval(vpp, 'cnat_translation_del', { id }, E.NO_SUCH_ENTRY);
      });
    },
  },
  {
    name: 'cnat SNAT: set addresses then get them back; exclude prefixes add and delete',
    async run({ vpp }) {
      const before = await call(vpp, 'cnat_get_snat_addresses').catch(() => undefined);
      try {
        await call(vpp, 'cnat_set_snat_addresses', {
          snat_ip4: '10.250.0.1',
          snat_ip6: 'fd00:250::1',
          sw_if_index: ANY,
        });
        const got = await call(vpp, 'cnat_get_snat_addresses');
        equal([got.snat_ip4, got.snat_ip6], ['10.250.0.1', 'fd00:250::1'], 'SNAT addresses');
        const pfx = `10.${nonce(250)}.0.0/16`;
        await call(vpp, 'cnat_snat_policy_add_del_exclude_pfx', { is_add: 1, prefix: pfx });
        await call(vpp, 'cnat_snat_policy_add_del_exclude_pfx', { is_add: 0, prefix: pfx });
      } finally {
        const restore = before ?? { snat_ip4: '0.0.0.0', snat_ip6: '::', sw_if_index: ANY };
        await vpp
          .call('cnat_set_snat_addresses', {
            snat_ip4: restore.snat_ip4,
            snat_ip6: restore.snat_ip6,
            sw_if_index: restore.sw_if_index,
          })
          .catch(() => undefined);
      }
    },
  },
  {
    name: 'npol: ipsets, rules and policies get ids, bind to an interface, and delete once (-6 after)',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const { sw } = await loopback(vpp, defer);
        const set = (await call(vpp, 'npol_ipset_create', { type: 0 })).set_id as number;
        defer(() => vpp.call('npol_ipset_delete', { set_id: set }));
        await call(vpp, 'npol_ipset_add_del_members', {
          set_id: set,
          is_add: true,
          len: 1,
          members: [{ val: { address: '10.1.2.3' } }],
        });
        const filters = Array.from({ length: 3 }, () => ({ value: 0, type: 0, should_match: 0 }));
        const rule = (
          await call(vpp, 'npol_rule_create', { rule: { action: 0, filters, num_entries: 0, matches: [] } })
        ).rule_id as number;
        defer(() => vpp.call('npol_rule_delete', { rule_id: rule }));
        await call(vpp, 'npol_rule_update', {
          rule_id: rule,
          rule: { action: 1, filters, num_entries: 0, matches: [] },
        });
        const policy = (
          await call(vpp, 'npol_policy_create', { num_items: 1, rules: [{ is_inbound: true, rule_id: rule }] })
        ).policy_id as number;
        defer(() => vpp.call('npol_policy_delete', { policy_id: policy }));
        const conf = {
          sw_if_index: sw,
          num_rx_policies: 1,
          num_tx_policies: 0,
          total_ids: 1,
          invert_rx_tx: 0,
          policy_default_rx: 0,
          policy_default_tx: 0,
          profile_default_rx: 0,
          profile_default_tx: 0,
          policy_ids: [policy],
        };
        equal((await call(vpp, 'npol_configure_policies', conf)).retval, 0, 'npol_configure_policies retval');
        await expectRetval(vpp, 'npol_configure_policies', { ...conf, sw_if_index: BAD_INDEX }, E.INVALID_SW_IF_INDEX);
        // Unbind before deleting: VPP does not check whether a policy is still in use.
        await call(vpp, 'npol_configure_policies', { ...conf, num_rx_policies: 0, total_ids: 0, policy_ids: [] });
        await call(vpp, 'npol_policy_delete', { policy_id: policy });
        await expectRetval(vpp, 'npol_policy_delete', { policy_id: policy }, E.NO_SUCH_ENTRY);
        await call(vpp, 'npol_rule_delete', { rule_id: rule });
        await expectRetval(vpp, 'npol_rule_delete', { rule_id: rule }, E.NO_SUCH_ENTRY);
        await call(vpp, 'npol_ipset_delete', { set_id: set });
        await expectRetval(vpp, 'npol_ipset_delete', { set_id: set }, E.NO_SUCH_ENTRY);
        await expectRetval(
          vpp,
          'npol_ipset_add_del_members',
          { set_id: set, is_add: true, len: 0, members: [] },
          E.NO_SUCH_ENTRY,
        );
      });
    },
  },
  {
    name: 'create_subif: a dot1q sub-interface named <parent>.<id>; a duplicate fails with -56 (also through create_vlan_subif); delete_subif removes it, -98 for a non-sub-interface',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const parent = await loopback(vpp, defer);
        const subId = nonce(4000);
        const req = {
          sw_if_index: parent.sw,
          sub_id: subId,
          sub_if_flags: 2 | 16,
          outer_vlan_id: subId,
          inner_vlan_id: 0,
        };
        const r = await call(vpp, 'create_subif', req);
        const sw = r.sw_if_index as number;
        defer(() => vpp.call('delete_subif', { sw_if_index: sw }));
        const d = await interfaceDetails(vpp, sw);
        check(d, 'sub-interface dumped');
        equal(d.interface_name, `${parent.details.interface_name}.${subId}`, 'sub-interface name');
        equal(
          [d.sup_sw_if_index, d.type, d.sub_id, d.sub_number_of_tags, d.sub_outer_vlan_id],
          [parent.sw, 1, subId, 1, subId],
          'sub-interface details',
        );
        await expectRetval(vpp, 'create_subif', req, E.VLAN_ALREADY_EXISTS);
        await expectRetval(vpp, 'create_vlan_subif', { sw_if_index: parent.sw, vlan_id: subId }, E.VLAN_ALREADY_EXISTS);
        await expectRetval(vpp, 'delete_subif', { sw_if_index: parent.sw }, E.INVALID_SUB_SW_IF_INDEX);
        await call(vpp, 'delete_subif', { sw_if_index: sw });
        equal(await interfaceDetails(vpp, sw), undefined, 'sub-interface after delete');
        await expectRetval(vpp, 'delete_subif', { sw_if_index: sw }, E.INVALID_SW_IF_INDEX);
      });
    },
  },
  {
    name: 'ipip_add_tunnel: ipip<instance> with its tunnel dump, -79 for the same endpoints again; ipip_del_tunnel removes it, -6 after',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const src = `10.${nonce(250)}.${nonce(250)}.1`;
        const dst = `10.${nonce(250)}.${nonce(250)}.9`;
        const r = await call(vpp, 'ipip_add_tunnel', {
          tunnel: { instance: ANY, src, dst, sw_if_index: 0, table_id: 0, flags: 0, mode: 0, dscp: 0 },
        });
        const sw = r.sw_if_index as number;
        defer(() => vpp.call('ipip_del_tunnel', { sw_if_index: sw }));
        const d = await interfaceDetails(vpp, sw);
        check(d && /^ipip\d+$/.test(d.interface_name as string), 'ipip interface name', d?.interface_name);
        equal(d.interface_dev_type, 'IPIP tunnel device', 'ipip device type');
        const t = await dump(vpp, 'ipip_tunnel_dump', { sw_if_index: sw });
        equal(
          t.map((x) => [(x.tunnel as Msg).sw_if_index, (x.tunnel as Msg).src, (x.tunnel as Msg).dst]),
          [[sw, src, dst]],
          'ipip_tunnel_dump',
        );
        equal(
          (t[0]?.tunnel as Msg).instance,
          Number((d.interface_name as string).slice(4)),
          'tunnel instance matches the name',
        );
        await expectRetval(
          vpp,
          'ipip_add_tunnel',
          { tunnel: { instance: ANY, src, dst, sw_if_index: 0, table_id: 0, flags: 0, mode: 0, dscp: 0 } },
          E.IF_ALREADY_EXISTS,
        );
        await call(vpp, 'ipip_del_tunnel', { sw_if_index: sw });
        equal(await interfaceDetails(vpp, sw), undefined, 'ipip interface after delete');
        await expectRetval(vpp, 'ipip_del_tunnel', { sw_if_index: sw }, E.NO_SUCH_ENTRY);
      });
    },
  },
  {
    name: 'vxlan_add_del_tunnel_v3: vxlan_tunnel<instance>, up on creation, dumped; a duplicate fails; delete twice fails with -6',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const req = {
          is_add: true,
          instance: ANY,
          src_address: `10.${nonce(250)}.${nonce(250)}.1`,
          dst_address: `10.${nonce(250)}.${nonce(250)}.8`,
          src_port: 0,
          dst_port: 4789,
          mcast_sw_if_index: ANY,
          encap_vrf_id: 0,
          decap_next_index: ANY,
          vni: 4096 + nonce(100000),
          is_l3: true,
        };
        const r = await call(vpp, 'vxlan_add_del_tunnel_v3', req);
        const sw = r.sw_if_index as number;
        defer(() => vpp.call('vxlan_add_del_tunnel_v3', { ...req, is_add: false }));
        const d = await interfaceDetails(vpp, sw);
        check(d && /^vxlan_tunnel\d+$/.test(d.interface_name as string), 'vxlan interface name', d?.interface_name);
        equal([d.interface_dev_type, d.flags], ['VXLAN', 3], 'vxlan device type and flags');
        const t = await dump(vpp, 'vxlan_tunnel_v2_dump', { sw_if_index: sw });
        equal(
          t.map((x) => [x.sw_if_index, x.src_address, x.dst_address, x.vni, x.dst_port]),
          [[sw, req.src_address, req.dst_address, req.vni, 4789]],
          'vxlan_tunnel_v2_dump',
        );
        await expectRetval(vpp, 'vxlan_add_del_tunnel_v3', req, E.TUNNEL_EXIST);
        await call(vpp, 'vxlan_add_del_tunnel_v3', { ...req, is_add: false });
        equal(await interfaceDetails(vpp, sw), undefined, 'vxlan interface after delete');
        await expectRetval(vpp, 'vxlan_add_del_tunnel_v3', { ...req, is_add: false }, E.NO_SUCH_ENTRY);
      });
    },
  },
  {
    name: 'af_packet_create_v3: host-<name>, -79 when bound already, -71 for a missing host interface, -7 for mode 0; af_packet_delete removes it, and fails with -11 for an unknown host interface',
    requires: ['hostInterface'],
    async run({ vpp, hostInterface, makeHostInterface }) {
      await withCleanup(async (defer) => {
        let own = false;
        if (!hostInterface) {
          check(makeHostInterface, 'a host interface or a maker is needed');
          const lease = await makeHostInterface();
          defer(() => lease.remove());
          hostInterface = lease.name;
          own = true;
        }
        const r = await call(vpp, 'af_packet_create_v3', {
          mode: 1,
          hw_addr: '02:fe:00:00:00:10',
          use_random_hw_addr: false,
          host_if_name: hostInterface,
          rx_frame_size: 2048,
          tx_frame_size: 2048,
          rx_frames_per_block: 32,
          tx_frames_per_block: 32,
          flags: 0,
          num_rx_queues: 1,
          num_tx_queues: 1,
        });
        const sw = r.sw_if_index as number;
        defer(() => vpp.call('af_packet_delete', { host_if_name: hostInterface }));
        const d = await interfaceDetails(vpp, sw);
        equal(
          [d?.interface_name, d?.interface_dev_type, d?.l2_address],
          [`host-${hostInterface}`, 'af-packet', '02:fe:00:00:00:10'],
          'af_packet details',
        );
        check(
          (await dump(vpp, 'af_packet_dump')).some((x) => x.sw_if_index === sw && x.host_if_name === hostInterface),
          'af_packet_dump lists it',
        );
        // af_packet_create_if: the same host interface again → -79; one the kernel lacks → -71
        await expectRetval(
          vpp,
          'af_packet_create_v3',
          { mode: 1, use_random_hw_addr: true, host_if_name: hostInterface },
          E.IF_ALREADY_EXISTS,
        );
        // only a case that made its own veth knows which names the kernel has. A real VPP answers -71
        // (SIOCGIFINDEX fails); a fake left to bind any name accepts it, and the binding is undone.
        if (own) {
          const missing = `vpfnone${nonce(99999)}`;
          try {
            await call(vpp, 'af_packet_create_v3', { mode: 1, use_random_hw_addr: true, host_if_name: missing });
            await call(vpp, 'af_packet_delete', { host_if_name: missing });
          } catch (err) {
            equal(
              (err as { retval?: unknown }).retval,
              E.INVALID_INTERFACE,
              'af_packet_create_v3 of a missing host interface',
            );
          }
        }
        await expectRetval(
          vpp,
          'af_packet_create_v3',
          { mode: 0, use_random_hw_addr: true, host_if_name: hostInterface },
          E.INVALID_VALUE,
        );
        await call(vpp, 'af_packet_delete', { host_if_name: hostInterface });
        equal(await interfaceDetails(vpp, sw), undefined, 'af_packet interface after delete');
        await expectRetval(vpp, 'af_packet_delete', { host_if_name: hostInterface }, E.SYSCALL_ERROR_1);
      });
    },
  },
  {
    name: 'tap_create_v3: either -11 (no vhost-net) with sw_if_index ~0, or a tap that can be deleted',
    async run({ vpp }) {
      const id = 1000 + nonce(1000);
      let reply: Msg;
      try {
        reply = await call(vpp, 'tap_create_v3', {
          id,
          use_random_mac: true,
          num_rx_queues: 1,
          num_tx_queues: 1,
          tx_ring_sz: 256,
          rx_ring_sz: 256,
          host_if_name_set: true,
          host_if_name: `vconf${id}`,
        });
      } catch (err) {
        equal((err as { retval?: unknown }).retval, -11, 'tap_create_v3 failure retval');
        return;
      }
      const sw = reply.sw_if_index as number;
      try {
        check((await interfaceDetails(vpp, sw))?.interface_name === `tap${id}`, 'tap name is tap<id>');
        const taps = await dump(vpp, 'sw_interface_tap_v2_dump', { sw_if_index: sw });
        equal(
          taps.map((t) => [t.sw_if_index, t.id, t.host_if_name]),
          [[sw, id, `vconf${id}`]],
          'sw_interface_tap_v2_dump',
        );
      } finally {
        await call(vpp, 'tap_delete_v2', { sw_if_index: sw });
      }
    },
  },
  {
    name: 'concurrent dumps and calls each get their own answers (matched by context)',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const a = await loopback(vpp, defer);
        const b = await loopback(vpp, defer);
        const [ifs, ra, rb, tables, ping] = await Promise.all([
          dump(vpp, 'sw_interface_dump', { sw_if_index: ANY }),
          dump(vpp, 'sw_interface_dump', { sw_if_index: a.sw }),
          dump(vpp, 'sw_interface_dump', { sw_if_index: b.sw }),
          dump(vpp, 'ip_table_dump'),
          call(vpp, 'control_ping'),
        ]);
        check(
          ifs.some((d) => d.sw_if_index === a.sw) && ifs.some((d) => d.sw_if_index === b.sw),
          'full dump has both loopbacks',
        );
        equal(
          ra.map((d) => d.sw_if_index),
          [a.sw],
          'dump of the first loopback',
        );
        equal(
          rb.map((d) => d.sw_if_index),
          [b.sw],
          'dump of the second loopback',
        );
        check(
          tables.some((d) => (d.table as Msg).table_id === 0),
          'table 0 dumped',
        );
        equal(ping.retval, 0, 'control_ping in between');
        equal(
          await dump(vpp, 'sw_interface_dump', { sw_if_index: BAD_INDEX }),
          [],
          'dump of a missing interface is empty',
        );
      });
    },
  },
  {
    name: 'cli_inband: show version, show interface; an unknown command fails with -1 and VPP’s error text in reply',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const { details } = await loopback(vpp, defer);
        const version = (await call(vpp, 'show_version')).version as string;
        const v = await call(vpp, 'cli_inband', { cmd: 'show version' });
        check((v.reply as string).includes(version), 'show version mentions the version', v.reply);
        const i = await call(vpp, 'cli_inband', { cmd: 'show interface' });
        check(
          (i.reply as string).includes(details.interface_name as string),
          'show interface lists the loopback',
          i.reply,
        );
        check((i.reply as string).includes('local0'), 'show interface lists local0', i.reply);
        // vlib_cli_input: a failing command answers retval -1 with the error text as the reply
        const bad = await failedReply(vpp, 'cli_inband', { cmd: 'show frobnicate' }, -1);
        equal(bad.reply, "show: unknown input `frobnicate'\n", 'error text of an unknown show command');
        const top = await failedReply(vpp, 'cli_inband', { cmd: 'frobnicate the widgets' }, -1);
        equal(top.reply, "unknown input `frobnicate the widgets'\n", 'error text of an unknown command');
      });
    },
  },
];

/** Every case: the core ones, then those of the plugins the dataplane uses. */
export const conformanceCases: ConformanceCase[] = [...coreConformanceCases, ...pluginConformanceCases];
