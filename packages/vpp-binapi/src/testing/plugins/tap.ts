/** VPP's tapv2 (src/vnet/devices/tap/tapv2_api.c, tap.c). */
import { INDEX_INVALID } from '../constants.js';
import { type FakePlugin, bool, num, randomMac, str } from './context.js';

export const tapPlugin: FakePlugin = {
  name: 'tapv2',
  source: 'src/vnet/devices/tap/tapv2_api.c',
  handlers: {
    tap_create_v3: (ctx, m) => {
      const mac = bool(m, 'use_random_mac') || !str(m, 'mac_address') ? randomMac(0x02, 0xfe) : str(m, 'mac_address');
      const opt = (flag: string, field: string, dflt: string): string => (bool(m, flag) ? str(m, field) || dflt : dflt);
      ctx.reply(
        ctx.state.createTap({
          id: m.id === undefined ? INDEX_INVALID : num(m, 'id'),
          mac,
          tag: str(m, 'tag'),
          tx_ring_sz: num(m, 'tx_ring_sz') || 256,
          rx_ring_sz: num(m, 'rx_ring_sz') || 256,
          host_mtu_size: bool(m, 'host_mtu_set') ? num(m, 'host_mtu_size') : 0,
          host_mac_addr: opt('host_mac_addr_set', 'host_mac_addr', '00:00:00:00:00:00'),
          host_ip4_prefix: opt('host_ip4_prefix_set', 'host_ip4_prefix', '0.0.0.0/0'),
          host_ip6_prefix: opt('host_ip6_prefix_set', 'host_ip6_prefix', '::/0'),
          tap_flags: num(m, 'tap_flags'),
          host_if_name: opt('host_if_name_set', 'host_if_name', ''),
          host_namespace: opt('host_namespace_set', 'host_namespace', ''),
          host_bridge: opt('host_bridge_set', 'host_bridge', ''),
        }),
      );
    },
    sw_interface_tap_v2_dump: (ctx, m) => {
      const only = m.sw_if_index === undefined ? INDEX_INVALID : num(m, 'sw_if_index');
      for (const i of ctx.state.listInterfaces()) {
        if (!i.tap || (only !== INDEX_INVALID && only !== i.sw_if_index)) continue;
        ctx.details('sw_interface_tap_v2_details', {
          sw_if_index: i.sw_if_index,
          dev_name: i.interface_name,
          ...i.tap,
        });
      }
    },
    tap_delete_v2: (ctx, m) => ctx.reply({ retval: ctx.state.deleteTap(num(m, 'sw_if_index')) }),
  },
};
