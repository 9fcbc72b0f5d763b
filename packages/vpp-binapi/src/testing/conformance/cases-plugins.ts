/**
 * Conformance cases for the plugin messages the dataplane's middle packages use (ACL, memif, wireguard,
 * urpf, VLAN sub-interfaces, ARP/ND proxy, punt, neighbour config, rx mode, GSO, node graph, uplink
 * drivers without a device). Each holds against a real VPP 26.06 and removes what it creates; messages
 * that change global state irreversibly (session layer, http_static) have no case.
 */
import { type Msg, call, check, dump, equal, expectRetval, nonce, withCleanup } from './assert.js';
import type { ConformanceCase, ConformanceClient } from './types.js';

const ANY = 0xffffffff;

const E = {
  UNSPECIFIED: -1,
  INVALID_SW_IF_INDEX: -2,
  NO_SUCH_FIB: -3,
  NO_SUCH_ENTRY: -6,
  INVALID_VALUE: -7,
  INVALID_VALUE_2: -8,
  UNIMPLEMENTED: -9,
  INVALID_VLAN: -55,
  VLAN_ALREADY_EXISTS: -56,
  INVALID_SRC_ADDRESS: -57,
  NO_SUCH_NODE: -63,
  NO_SUCH_NODE2: -64,
  SUBIF_ALREADY_EXISTS: -68,
  INVALID_INTERFACE: -71,
  INVALID_ARGUMENT: -73,
  UNEXPECTED_INTF_STATE: -74,
  ENTRY_ALREADY_EXISTS: -116,
  ACL_IN_USE_INBOUND: -142,
  ACL_IN_USE_OUTBOUND: -143,
} as const;

type Defer = (c: () => Promise<unknown>) => void;

async function loopback(vpp: ConformanceClient, defer: Defer): Promise<number> {
  const n = nonce(0xffffff);
  const mac = `02:fe:${[(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff, 0x02].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
  const sw = (await call(vpp, 'create_loopback', { mac_address: mac })).sw_if_index as number;
  defer(() => vpp.call('delete_loopback', { sw_if_index: sw }));
  return sw;
}

async function nameOf(vpp: ConformanceClient, sw: number): Promise<string | undefined> {
  const [d] = await dump(vpp, 'sw_interface_dump', { sw_if_index: sw });
  return d?.sw_if_index === sw ? (d.interface_name as string) : undefined;
}

/** Runs `fn` unless VPP lacks the message's plugin (the client then reports it unsupported). */
async function ifLoaded(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === 'VppUnsupportedMessageError' || name === 'VppUnknownMessageError') return;
    throw err;
  }
}

function aclRule(over: Msg = {}): Msg {
  return {
    is_permit: 1,
    src_prefix: '10.0.0.0/8',
    dst_prefix: '0.0.0.0/0',
    proto: 6,
    srcport_or_icmptype_first: 0,
    srcport_or_icmptype_last: 65535,
    dstport_or_icmpcode_first: 80,
    dstport_or_icmpcode_last: 80,
    tcp_flags_mask: 0,
    tcp_flags_value: 0,
    ...over,
  };
}

export const pluginConformanceCases: ConformanceCase[] = [
  {
    name: 'acl: plugin version 1.4; acl_add_replace creates (~0) and replaces, -6 for an unknown index, -57 for mixed families, -8 for a reversed port range; acl_dump shows the rules',
    async run({ vpp }) {
      const v = await call(vpp, 'acl_plugin_get_version');
      equal([v.major, v.minor], [1, 4], 'acl plugin version');
      await withCleanup(async (defer) => {
        const tag = `vpf-${nonce(1e6)}`;
        const r = await call(vpp, 'acl_add_replace', { acl_index: ANY, tag, count: 1, r: [aclRule()] });
        const idx = r.acl_index as number;
        defer(() => vpp.call('acl_del', { acl_index: idx }));
        const [d] = await dump(vpp, 'acl_dump', { acl_index: idx });
        check(d, 'acl_dump of the new ACL');
        equal([d.acl_index, d.tag, d.count], [idx, tag, 1], 'acl details');
        const rule = (d.r as Msg[])[0];
        equal(
          [rule?.is_permit, rule?.src_prefix, rule?.proto, rule?.dstport_or_icmpcode_first],
          [1, '10.0.0.0/8', 6, 80],
          'rule',
        );
        const again = await call(vpp, 'acl_add_replace', {
          acl_index: idx,
          tag,
          count: 2,
          r: [
            aclRule({ is_permit: 0 }),
            aclRule({ is_permit: 2, dstport_or_icmpcode_first: 443, dstport_or_icmpcode_last: 443 }),
          ],
        });
        equal(again.acl_index, idx, 'replace keeps the index');
        equal(
          ((await dump(vpp, 'acl_dump', { acl_index: idx }))[0]?.r as Msg[]).map((x) => x.is_permit),
          [0, 2],
          'replaced rules',
        );
        check(
          (await dump(vpp, 'acl_dump', { acl_index: ANY })).some((x) => x.acl_index === idx),
          'acl_dump ~0 lists it',
        );
        await expectRetval(
          vpp,
          'acl_add_replace',
          { acl_index: 0x7ffffff0, tag, count: 1, r: [aclRule()] },
          E.NO_SUCH_ENTRY,
        );
        await expectRetval(
          vpp,
          'acl_add_replace',
          { acl_index: ANY, tag, count: 1, r: [aclRule({ dst_prefix: '::/0' })] },
          E.INVALID_SRC_ADDRESS,
        );
        await expectRetval(
          vpp,
          'acl_add_replace',
          {
            acl_index: ANY,
            tag,
            count: 1,
            r: [aclRule({ dstport_or_icmpcode_first: 90, dstport_or_icmpcode_last: 80 })],
          },
          E.INVALID_VALUE_2,
        );
      });
    },
  },
  {
    name: 'acl: acl_interface_set_acl_list binds input then output ACLs, listed by acl_interface_list_dump; a bound ACL cannot be deleted (-142/-143); unknown ACL -6; the same ACL twice answers 1',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const sw = await loopback(vpp, defer);
        const mk = async (): Promise<number> => {
          const i = (await call(vpp, 'acl_add_replace', { acl_index: ANY, tag: 'vpf', count: 1, r: [aclRule()] }))
            .acl_index as number;
          defer(() => vpp.call('acl_del', { acl_index: i }));
          return i;
        };
        const a = await mk();
        const b = await mk();
        defer(() => vpp.call('acl_interface_set_acl_list', { sw_if_index: sw, count: 0, n_input: 0, acls: [] }));
        await call(vpp, 'acl_interface_set_acl_list', { sw_if_index: sw, count: 2, n_input: 1, acls: [a, b] });
        const [l] = await dump(vpp, 'acl_interface_list_dump', { sw_if_index: sw });
        equal([l?.sw_if_index, l?.count, l?.n_input, l?.acls], [sw, 2, 1, [a, b]], 'interface ACL lists');
        const all = await dump(vpp, 'acl_interface_list_dump', { sw_if_index: ANY });
        check(
          all.some((x) => x.sw_if_index === 0),
          'acl_interface_list_dump ~0 lists every interface, local0 too',
        );
        await expectRetval(vpp, 'acl_del', { acl_index: a }, E.ACL_IN_USE_INBOUND);
        await expectRetval(vpp, 'acl_del', { acl_index: b }, E.ACL_IN_USE_OUTBOUND);
        await expectRetval(
          vpp,
          'acl_interface_set_acl_list',
          { sw_if_index: sw, count: 1, n_input: 1, acls: [0x7ffffff0] },
          E.NO_SUCH_ENTRY,
        );
        await expectRetval(
          vpp,
          'acl_interface_set_acl_list',
          { sw_if_index: 0x7ffffff0, count: 0, n_input: 0, acls: [] },
          E.INVALID_SW_IF_INDEX,
        );
        const dup = await call(vpp, 'acl_interface_set_acl_list', {
          sw_if_index: sw,
          count: 2,
          n_input: 2,
          acls: [a, a],
        });
        equal(dup.retval, 1, 'an ACL twice in a list: rv || … gives 1');
        await call(vpp, 'acl_interface_set_acl_list', { sw_if_index: sw, count: 0, n_input: 0, acls: [] });
        equal((await dump(vpp, 'acl_interface_list_dump', { sw_if_index: sw }))[0]?.count, 0, 'lists cleared');
        await call(vpp, 'acl_del', { acl_index: a });
        await expectRetval(vpp, 'acl_del', { acl_index: a }, E.NO_SUCH_ENTRY);
      });
    },
  },
  {
    name: 'create_vlan_subif: <parent>.<vlan>, one tag, exact match; vlan 0 or above 4095 fails with -55, a taken vlan with -56',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const parent = await loopback(vpp, defer);
        const vlan = 100 + nonce(3900);
        await expectRetval(vpp, 'create_vlan_subif', { sw_if_index: parent, vlan_id: 0 }, E.INVALID_VLAN);
        await expectRetval(vpp, 'create_vlan_subif', { sw_if_index: parent, vlan_id: 4096 }, E.INVALID_VLAN);
        const sw = (await call(vpp, 'create_vlan_subif', { sw_if_index: parent, vlan_id: vlan })).sw_if_index as number;
        defer(() => vpp.call('delete_subif', { sw_if_index: sw }));
        const [d] = await dump(vpp, 'sw_interface_dump', { sw_if_index: sw });
        equal(d?.interface_name, `${await nameOf(vpp, parent)}.${vlan}`, 'name');
        equal(
          [d?.sup_sw_if_index, d?.sub_id, d?.sub_number_of_tags, d?.sub_outer_vlan_id],
          [parent, vlan, 1, vlan],
          'sub-interface details',
        );
        await expectRetval(vpp, 'create_vlan_subif', { sw_if_index: parent, vlan_id: vlan }, E.VLAN_ALREADY_EXISTS);
        await expectRetval(vpp, 'create_vlan_subif', { sw_if_index: 0x7ffffff0, vlan_id: vlan }, E.INVALID_SW_IF_INDEX);
      });
    },
  },
  {
    name: 'sw_interface_set_rx_mode: no queues on a loopback (any mode 0, a queue id -9); a sub-interface -7; a bad index -2',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const sw = await loopback(vpp, defer);
        await call(vpp, 'sw_interface_set_rx_mode', { sw_if_index: sw, queue_id_valid: false, queue_id: 0, mode: 2 });
        await expectRetval(
          vpp,
          'sw_interface_set_rx_mode',
          { sw_if_index: sw, queue_id_valid: true, queue_id: 3, mode: 1 },
          E.UNIMPLEMENTED,
        );
        const sub = (await call(vpp, 'create_vlan_subif', { sw_if_index: sw, vlan_id: 10 })).sw_if_index as number;
        defer(() => vpp.call('delete_subif', { sw_if_index: sub }));
        await expectRetval(
          vpp,
          'sw_interface_set_rx_mode',
          { sw_if_index: sub, queue_id_valid: false, queue_id: 0, mode: 1 },
          E.INVALID_VALUE,
        );
        await expectRetval(
          vpp,
          'sw_interface_set_rx_mode',
          { sw_if_index: 0x7ffffff0, queue_id_valid: false, queue_id: 0, mode: 1 },
          E.INVALID_SW_IF_INDEX,
        );
        await call(vpp, 'feature_gso_enable_disable', { sw_if_index: sw, enable_disable: true });
        await call(vpp, 'feature_gso_enable_disable', { sw_if_index: sw, enable_disable: false });
        await expectRetval(
          vpp,
          'feature_gso_enable_disable',
          { sw_if_index: 0x7ffffff0, enable_disable: true },
          E.INVALID_SW_IF_INDEX,
        );
      });
    },
  },
  {
    name: 'memif: socket files by id (~0 picks one, 0 cannot be added or deleted), memif<socket>/<id> interfaces, -68 for a taken id, -74 deleting a socket in use, -73 for an unknown one',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const file = `vpf-${nonce(1e6)}.sock`;
        await expectRetval(
          vpp,
          'memif_socket_filename_add_del_v2',
          { is_add: true, socket_id: 0, socket_filename: file },
          E.INVALID_ARGUMENT,
        );
        const s = await call(vpp, 'memif_socket_filename_add_del_v2', {
          is_add: true,
          socket_id: ANY,
          socket_filename: file,
        });
        const sid = s.socket_id as number;
        check(sid !== 0 && sid !== ANY, 'a fresh socket id', sid);
        defer(() =>
          vpp.call('memif_socket_filename_add_del_v2', { is_add: false, socket_id: sid, socket_filename: '' }),
        );
        const files = await dump(vpp, 'memif_socket_filename_dump');
        check(
          files.some((f) => f.socket_id === 0),
          'socket 0 (the default) listed',
        );
        check(
          files.some((f) => f.socket_id === sid && String(f.socket_filename).endsWith(file)),
          'the new socket listed',
        );
        const id = nonce(1000);
        const req = {
          role: 0,
          mode: 0,
          rx_queues: 1,
          tx_queues: 1,
          id,
          socket_id: sid,
          ring_size: 1024,
          buffer_size: 2048,
          no_zero_copy: false,
          use_dma: false,
          hw_addr: '00:00:00:00:00:00',
          secret: '',
        };
        const m = await call(vpp, 'memif_create_v2', req);
        const sw = m.sw_if_index as number;
        defer(() => vpp.call('memif_delete', { sw_if_index: sw }));
        equal(await nameOf(vpp, sw), `memif${sid}/${id}`, 'memif name');
        check(
          (await dump(vpp, 'memif_dump')).some((d) => d.sw_if_index === sw && d.id === id && d.socket_id === sid),
          'memif_dump lists it',
        );
        await expectRetval(vpp, 'memif_create_v2', req, E.SUBIF_ALREADY_EXISTS);
        await expectRetval(vpp, 'memif_create_v2', { ...req, ring_size: 1000 }, E.INVALID_ARGUMENT);
        await expectRetval(
          vpp,
          'memif_socket_filename_add_del_v2',
          { is_add: false, socket_id: sid, socket_filename: '' },
          E.UNEXPECTED_INTF_STATE,
        );
        await call(vpp, 'memif_delete', { sw_if_index: sw });
        await expectRetval(vpp, 'memif_delete', { sw_if_index: sw }, E.INVALID_SW_IF_INDEX);
        await call(vpp, 'memif_socket_filename_add_del_v2', { is_add: false, socket_id: sid, socket_filename: '' });
        await expectRetval(
          vpp,
          'memif_socket_filename_add_del_v2',
          { is_add: false, socket_id: sid, socket_filename: '' },
          E.INVALID_ARGUMENT,
        );
      });
    },
  },
  {
    name: 'wireguard: wg<instance> with a generated key (private key hidden unless asked), peers with allowed IPs, -116 for a public key already used, -7 without allowed IPs, -6 removing twice',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const c = await call(vpp, 'wireguard_interface_create', {
          interface: { user_instance: ANY, sw_if_index: ANY, port: 51820 + nonce(1000), src_ip: '0.0.0.0' },
          generate_key: true,
        });
        const sw = c.sw_if_index as number;
        defer(() => vpp.call('wireguard_interface_delete', { sw_if_index: sw }));
        check(/^wg\d+$/.test((await nameOf(vpp, sw)) ?? ''), 'name wg<instance>');
        const [i] = (await dump(vpp, 'wireguard_interface_dump', { show_private_key: false, sw_if_index: sw })).map(
          (d) => d.interface as Msg,
        );
        check(i, 'wireguard_interface_dump lists it');
        check(
          (i.public_key as Uint8Array).some((b) => b !== 0),
          'a public key',
          i.public_key,
        );
        check(
          (i.private_key as Uint8Array).every((b) => b === 0),
          'no private key unless asked',
        );
        const [p] = (await dump(vpp, 'wireguard_interface_dump', { show_private_key: true, sw_if_index: sw })).map(
          (d) => d.interface as Msg,
        );
        check(
          (p?.private_key as Uint8Array).some((b) => b !== 0),
          'the private key when asked',
        );
        const key = new Uint8Array(32).map(() => Math.floor(Math.random() * 256));
        const peer = {
          public_key: key,
          port: 51820,
          persistent_keepalive: 0,
          table_id: 0,
          endpoint: '192.0.2.1',
          sw_if_index: sw,
          flags: 0,
          n_allowed_ips: 1,
          allowed_ips: ['10.201.0.0/24'],
        };
        const a = await call(vpp, 'wireguard_peer_add', { peer });
        const idx = a.peer_index as number;
        defer(() => vpp.call('wireguard_peer_remove', { peer_index: idx }));
        const [d] = (await dump(vpp, 'wireguard_peers_dump', { peer_index: idx })).map((x) => x.peer as Msg);
        equal([d?.sw_if_index, d?.endpoint, d?.allowed_ips], [sw, '192.0.2.1', ['10.201.0.0/24']], 'peer details');
        await expectRetval(vpp, 'wireguard_peer_add', { peer }, E.ENTRY_ALREADY_EXISTS);
        await expectRetval(
          vpp,
          'wireguard_peer_add',
          { peer: { ...peer, public_key: new Uint8Array(32).fill(7), n_allowed_ips: 0, allowed_ips: [] } },
          E.INVALID_VALUE,
        );
        await call(vpp, 'wireguard_peer_remove', { peer_index: idx });
        await expectRetval(vpp, 'wireguard_peer_remove', { peer_index: idx }, E.NO_SUCH_ENTRY);
        const lo = await loopback(vpp, defer);
        await expectRetval(vpp, 'wireguard_interface_delete', { sw_if_index: lo }, E.INVALID_VALUE);
        await call(vpp, 'wireguard_interface_delete', { sw_if_index: sw });
        equal(await nameOf(vpp, sw), undefined, 'deleted');
      });
    },
  },
  {
    name: 'urpf: urpf_update_v2 sets a mode per interface, family and direction, shown by urpf_interface_dump; mode off with the interface table disappears; mode 3 -7; bad index -2',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const sw = await loopback(vpp, defer);
        await call(vpp, 'urpf_update_v2', { is_input: true, mode: 1, af: 0, sw_if_index: sw, table_id: ANY });
        defer(() => vpp.call('urpf_update_v2', { is_input: true, mode: 0, af: 0, sw_if_index: sw, table_id: ANY }));
        const d = await dump(vpp, 'urpf_interface_dump', { sw_if_index: sw });
        equal(
          d.map((x) => [x.sw_if_index, x.is_input, x.mode, x.af, x.table_id]),
          [[sw, true, 1, 0, 0]],
          'urpf details',
        );
        await call(vpp, 'urpf_update_v2', { is_input: true, mode: 0, af: 0, sw_if_index: sw, table_id: ANY });
        equal(await dump(vpp, 'urpf_interface_dump', { sw_if_index: sw }), [], 'off and not custom: not shown');
        await expectRetval(
          vpp,
          'urpf_update_v2',
          { is_input: true, mode: 3, af: 0, sw_if_index: sw, table_id: ANY },
          E.INVALID_VALUE,
        );
        await expectRetval(
          vpp,
          'urpf_update',
          { is_input: true, mode: 1, af: 0, sw_if_index: 0x7ffffff0 },
          E.INVALID_SW_IF_INDEX,
        );
      });
    },
  },
  {
    name: 'proxy ARP and ND proxy: ranges per table (-3 for a missing table, -6 deleting an absent range), interfaces on and off; ND proxy entries per interface',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const sw = await loopback(vpp, defer);
        const b = nonce(250);
        const proxy = { table_id: 0, low: `198.51.100.${b}`, hi: `198.51.100.${b}` };
        await call(vpp, 'proxy_arp_add_del', { is_add: true, proxy });
        defer(() => vpp.call('proxy_arp_add_del', { is_add: false, proxy }));
        check(
          (await dump(vpp, 'proxy_arp_dump')).some((d) => (d.proxy as Msg).low === proxy.low),
          'proxy_arp_dump lists the range',
        );
        await expectRetval(
          vpp,
          'proxy_arp_add_del',
          { is_add: true, proxy: { ...proxy, table_id: 0x7ffffff0 } },
          E.NO_SUCH_FIB,
        );
        await call(vpp, 'proxy_arp_add_del', { is_add: false, proxy });
        await expectRetval(vpp, 'proxy_arp_add_del', { is_add: false, proxy }, E.NO_SUCH_ENTRY);
        await call(vpp, 'proxy_arp_intfc_enable_disable', { sw_if_index: sw, enable: true });
        defer(() => vpp.call('proxy_arp_intfc_enable_disable', { sw_if_index: sw, enable: false }));
        check(
          (await dump(vpp, 'proxy_arp_intfc_dump')).some((d) => d.sw_if_index === sw),
          'proxy_arp_intfc_dump lists the interface',
        );
        await call(vpp, 'proxy_arp_intfc_enable_disable', { sw_if_index: sw, enable: false });
        check(!(await dump(vpp, 'proxy_arp_intfc_dump')).some((d) => d.sw_if_index === sw), 'interface off');
        await expectRetval(
          vpp,
          'proxy_arp_intfc_enable_disable',
          { sw_if_index: 0x7ffffff0, enable: true },
          E.INVALID_SW_IF_INDEX,
        );
        const ip = `2001:db8:${nonce(0xfff).toString(16)}::1`;
        await call(vpp, 'ip6nd_proxy_add_del', { sw_if_index: sw, is_add: true, ip });
        defer(() => vpp.call('ip6nd_proxy_add_del', { sw_if_index: sw, is_add: false, ip }));
        check(
          (await dump(vpp, 'ip6nd_proxy_dump')).some((d) => d.sw_if_index === sw && d.ip === ip),
          'ip6nd_proxy_dump lists it',
        );
        await call(vpp, 'ip6nd_proxy_enable_disable', { sw_if_index: sw, is_enable: true });
        await call(vpp, 'ip6nd_proxy_enable_disable', { sw_if_index: sw, is_enable: false });
        await expectRetval(
          vpp,
          'ip6nd_proxy_add_del',
          { sw_if_index: 0x7ffffff0, is_add: true, ip },
          E.INVALID_SW_IF_INDEX,
        );
      });
    },
  },
  {
    name: 'set_punt: a UDP port registers and unregisters; a TCP port other than ~0 and the IP-protocol type fail with -1',
    async run({ vpp }) {
      const port = 40000 + nonce(20000);
      const l4 = (protocol: number, p: number): Msg => ({ type: 0, punt: { l4: { af: 0, protocol, port: p } } });
      await withCleanup(async (defer) => {
        await call(vpp, 'set_punt', { is_add: true, punt: l4(17, port) });
        defer(() => vpp.call('set_punt', { is_add: false, punt: l4(17, port) }));
        await call(vpp, 'set_punt', { is_add: false, punt: l4(17, port) });
        await expectRetval(vpp, 'set_punt', { is_add: true, punt: l4(6, port) }, E.UNSPECIFIED);
        await expectRetval(
          vpp,
          'set_punt',
          { is_add: true, punt: { type: 1, punt: { ip_proto: { af: 0, protocol: 47 } } } },
          E.UNSPECIFIED,
        );
      });
    },
  },
  {
    name: 'ip_neighbor_config sets limit, age and recycle per family; ip_neighbor_config_get reads them back',
    async run({ vpp }) {
      const before = await call(vpp, 'ip_neighbor_config_get', { af: 0 });
      try {
        await call(vpp, 'ip_neighbor_config', { af: 0, max_number: 12345, max_age: 77, recycle: true });
        const got = await call(vpp, 'ip_neighbor_config_get', { af: 0 });
        equal([got.af, got.max_number, got.max_age, got.recycle], [0, 12345, 77, true], 'config read back');
      } finally {
        await call(vpp, 'ip_neighbor_config', {
          af: 0,
          max_number: before.max_number,
          max_age: before.max_age,
          recycle: before.recycle,
        });
      }
    },
  },
  {
    name: 'add_node_next: vxlan4-input → ip4-input gets a next index, the same one again (get_next_index agrees); unknown node -63, unknown next -64',
    async run({ vpp }) {
      const a = await call(vpp, 'add_node_next', { node_name: 'vxlan4-input', next_name: 'ip4-input' });
      check(
        typeof a.next_index === 'number' && a.next_index >= 2,
        'a next index after error-drop and l2-input',
        a.next_index,
      );
      equal(
        (await call(vpp, 'add_node_next', { node_name: 'vxlan4-input', next_name: 'ip4-input' })).next_index,
        a.next_index,
        'the same index again',
      );
      equal(
        (await call(vpp, 'get_next_index', { node_name: 'vxlan4-input', next_name: 'ip4-input' })).next_index,
        a.next_index,
        'get_next_index',
      );
      await expectRetval(
        vpp,
        'add_node_next',
        { node_name: 'vpf-no-such-node', next_name: 'ip4-input' },
        E.NO_SUCH_NODE,
      );
      await expectRetval(
        vpp,
        'add_node_next',
        { node_name: 'vxlan4-input', next_name: 'vpf-no-such-node' },
        E.NO_SUCH_NODE2,
      );
    },
  },
  {
    name: 'uplink drivers without a device: af_xdp -7 and virtio-pci/vmxnet3 -71 for what is not there',
    async run({ vpp }) {
      await ifLoaded(async () => {
        await expectRetval(
          vpp,
          'af_xdp_create_v3',
          {
            host_if: `vpfnone${nonce(9999)}`,
            name: '',
            rxq_num: 1,
            rxq_size: 0,
            txq_size: 0,
            mode: 0,
            flags: 0,
            prog: '',
            netns: '',
          },
          E.INVALID_VALUE,
        );
      });
      await ifLoaded(async () => {
        const pci = { domain: 0, bus: 0xff, slot: 0x1f, function: 7 };
        await expectRetval(
          vpp,
          'virtio_pci_create_v2',
          { pci_addr: pci, use_random_mac: true, virtio_flags: 0, features: 0n },
          E.INVALID_INTERFACE,
        );
      });
      await ifLoaded(async () => {
        // vlib_pci_addr_t as_u32: domain 0, bus 0xff, slot 0x1f, function 7
        const pciAddr = (0xff << 16) | (0x1f << 24) | (7 << 29);
        await expectRetval(
          vpp,
          'vmxnet3_create',
          {
            pci_addr: pciAddr >>> 0,
            enable_elog: 0,
            rxq_size: 0,
            rxq_num: 0,
            txq_size: 0,
            txq_num: 0,
            bind: 0,
            enable_gso: false,
          },
          E.INVALID_INTERFACE,
        );
      });
    },
  },
  {
    name: 'tap_create_v3 with the TUN flag: -11 without vhost-net, else tun<id> without a MAC',
    async run({ vpp }) {
      const id = 2000 + nonce(1000);
      let reply: Msg;
      try {
        reply = await call(vpp, 'tap_create_v3', {
          id,
          use_random_mac: true,
          num_rx_queues: 1,
          num_tx_queues: 1,
          tx_ring_sz: 256,
          rx_ring_sz: 256,
          tap_flags: 16,
          host_if_name_set: true,
          host_if_name: `vpftun${id}`,
        });
      } catch (err) {
        equal((err as { retval?: unknown }).retval, -11, 'tap_create_v3 failure retval');
        return;
      }
      const sw = reply.sw_if_index as number;
      try {
        equal(await nameOf(vpp, sw), `tun${id}`, 'TUN name');
      } finally {
        await call(vpp, 'tap_delete_v2', { sw_if_index: sw });
      }
    },
  },
  {
    name: 'ip_table_allocate picks an unused table id for ~0 and creates the table; sw_interface_set_promisc on a loopback answers -1 (no flag_change callback)',
    async run({ vpp }) {
      await withCleanup(async (defer) => {
        const r = await call(vpp, 'ip_table_allocate', { table: { table_id: ANY, is_ip6: false, name: 'vpf-alloc' } });
        const id = (r.table as Msg).table_id as number;
        check(id !== ANY && id !== 0, 'an allocated table id', id);
        defer(() => vpp.call('ip_table_add_del', { is_add: false, table: { table_id: id, is_ip6: false, name: '' } }));
        check(
          (await dump(vpp, 'ip_table_dump')).some((d) => (d.table as Msg).table_id === id && !(d.table as Msg).is_ip6),
          'ip_table_dump lists it',
        );
        const sw = await loopback(vpp, defer);
        await expectRetval(vpp, 'sw_interface_set_promisc', { sw_if_index: sw, promisc_on: true }, E.UNSPECIFIED);
        await expectRetval(
          vpp,
          'sw_interface_set_promisc',
          { sw_if_index: 0x7ffffff0, promisc_on: true },
          E.INVALID_SW_IF_INDEX,
        );
      });
    },
  },
];
