/**
 * vnet's interface API (src/vnet/interface_api.c): loopbacks, flags, MTU, MAC, tags, unnumbered, tables,
 * addresses, rx modes and the interface dump.
 */
import { INDEX_INVALID, VNET_API_ERROR } from '../constants.js';
import { type FakeInterface, type FakeVppState } from '../state.js';
import { type FakePlugin, type Msg, bool, num, str } from './context.js';

/** `send_sw_interface_details` (interface_api.c). */
export function interfaceDetails(state: FakeVppState, i: FakeInterface): Msg {
  return {
    sw_if_index: i.sw_if_index,
    sup_sw_if_index: i.sup_sw_if_index,
    l2_address: i.l2_address,
    flags: state.interfaceFlags(i),
    type: i.kind === 'sub' ? 1 : 0,
    link_duplex: 0,
    link_speed: 0,
    link_mtu: i.link_mtu,
    mtu: [...i.mtu],
    sub_id: i.sub?.id ?? 0,
    sub_number_of_tags: i.sub?.numberOfTags ?? 0,
    sub_outer_vlan_id: i.sub?.outerVlanId ?? 0,
    sub_inner_vlan_id: i.sub?.innerVlanId ?? 0,
    sub_if_flags: i.sub?.flags ?? 0,
    interface_name: i.interface_name,
    interface_dev_type: i.interface_dev_type,
    tag: i.tag,
  };
}

export const interfacePlugin: FakePlugin = {
  name: 'interface',
  source: 'src/vnet/interface_api.c',
  handlers: {
    create_loopback: (ctx, m) => ctx.reply(ctx.state.createLoopback(str(m, 'mac_address') || '00:00:00:00:00:00')),
    create_loopback_instance: (ctx, m) =>
      ctx.reply(
        ctx.state.createLoopback(
          str(m, 'mac_address') || '00:00:00:00:00:00',
          bool(m, 'is_specified') ? num(m, 'user_instance') : undefined,
        ),
      ),
    delete_loopback: (ctx, m) => ctx.reply({ retval: ctx.state.deleteLoopback(num(m, 'sw_if_index')) }),
    sw_interface_set_flags: (ctx, m) =>
      ctx.reply({ retval: ctx.state.setFlags(num(m, 'sw_if_index'), num(m, 'flags')) }),
    sw_interface_set_mtu: (ctx, m) =>
      ctx.reply({ retval: ctx.state.setMtu(num(m, 'sw_if_index'), (m.mtu as number[] | undefined) ?? []) }),
    sw_interface_set_mac_address: (ctx, m) =>
      ctx.reply({ retval: ctx.state.setMac(num(m, 'sw_if_index'), str(m, 'mac_address')) }),
    sw_interface_tag_add_del: (ctx, m) =>
      ctx.reply({ retval: ctx.state.setTag(num(m, 'sw_if_index'), bool(m, 'is_add'), str(m, 'tag')) }),
    sw_interface_set_unnumbered: (ctx, m) =>
      ctx.reply({
        retval: ctx.state.setUnnumbered(num(m, 'sw_if_index'), num(m, 'unnumbered_sw_if_index'), bool(m, 'is_add')),
      }),
    sw_interface_set_table: (ctx, m) =>
      ctx.reply({ retval: ctx.state.setTable(num(m, 'sw_if_index'), bool(m, 'is_ipv6'), num(m, 'vrf_id')) }),
    sw_interface_get_table: (ctx, m) => ctx.reply(ctx.state.getTable(num(m, 'sw_if_index'), bool(m, 'is_ipv6'))),
    sw_interface_dump: (ctx, m) => {
      const only = m.sw_if_index === undefined ? INDEX_INVALID : num(m, 'sw_if_index');
      const filter = bool(m, 'name_filter_valid') ? str(m, 'name_filter').toLowerCase() : '';
      for (const i of ctx.state.listInterfaces()) {
        if (only !== INDEX_INVALID && i.sw_if_index !== only) continue;
        if (filter && !i.interface_name.toLowerCase().includes(filter)) continue;
        ctx.details('sw_interface_details', interfaceDetails(ctx.state, i));
      }
    },
    sw_interface_get_mac_address: (ctx, m) => {
      const itf = ctx.state.interfaces.get(num(m, 'sw_if_index'));
      ctx.reply(itf ? { retval: 0, mac_address: itf.l2_address } : { retval: VNET_API_ERROR.INVALID_SW_IF_INDEX });
    },
    sw_interface_add_del_address: (ctx, m) =>
      ctx.reply({
        retval: ctx.state.addDelAddress(
          num(m, 'sw_if_index'),
          bool(m, 'is_add'),
          bool(m, 'del_all'),
          str(m, 'prefix') || '0.0.0.0/0',
        ),
      }),
    // vl_api_sw_interface_set_rx_mode_t_handler: -2 bad index, -7 not a hardware interface (a
    // sub-interface), -9 when a queue id is given that the interface does not have; interfaces without rx
    // queues (loopbacks, tunnels) accept any mode and change nothing
    sw_interface_set_rx_mode: (ctx, m) => {
      const itf = ctx.state.interfaces.get(num(m, 'sw_if_index'));
      if (!itf) return ctx.reply({ retval: VNET_API_ERROR.INVALID_SW_IF_INDEX });
      if (itf.kind === 'sub') return ctx.reply({ retval: VNET_API_ERROR.INVALID_VALUE });
      const n = itf.rxQueues ?? 0;
      const mode = num(m, 'mode');
      if (bool(m, 'queue_id_valid')) {
        const q = num(m, 'queue_id');
        if (q >= n) return ctx.reply({ retval: VNET_API_ERROR.UNIMPLEMENTED });
        itf.rxModes ??= Array<number>(n).fill(1);
        itf.rxModes[q] = mode;
      } else if (n > 0) {
        itf.rxModes = Array<number>(n).fill(mode);
      }
      ctx.reply({ retval: 0 });
    },
    sw_interface_rx_placement_dump: (ctx, m) => {
      const only = m.sw_if_index === undefined ? INDEX_INVALID : num(m, 'sw_if_index');
      for (const i of ctx.state.listInterfaces()) {
        if (only !== INDEX_INVALID && i.sw_if_index !== only) continue;
        for (let q = 0; q < (i.rxQueues ?? 0); q++)
          ctx.details('sw_interface_rx_placement_details', {
            sw_if_index: i.sw_if_index,
            queue_id: q,
            worker_id: 0,
            mode: i.rxModes?.[q] ?? 1,
          });
      }
    },
    // vl_api_sw_interface_set_promisc_t_handler: -7 for an interface that is not ethernet; then
    // ethernet_set_flags answers ~0 (-1) when the driver has no flag_change callback (loopback,
    // af_packet and vxlan have none in 26.06; tap, memif, af_xdp, rdma, vmxnet3, virtio do)
    sw_interface_set_promisc: (ctx, m) => {
      const itf = ctx.state.interfaces.get(num(m, 'sw_if_index'));
      if (!itf) return ctx.reply({ retval: VNET_API_ERROR.INVALID_SW_IF_INDEX });
      const hw = itf.kind === 'sub' ? ctx.state.interfaces.get(itf.sup_sw_if_index) : itf;
      const isTun = hw?.kind === 'tap' && hw.interface_name.startsWith('tun');
      if (!hw || isTun || ['local', 'ipip', 'wireguard'].includes(hw.kind))
        return ctx.reply({ retval: VNET_API_ERROR.INVALID_VALUE });
      if (['loopback', 'af_packet', 'vxlan'].includes(hw.kind))
        return ctx.reply({ retval: VNET_API_ERROR.UNSPECIFIED });
      hw.plugin = { ...hw.plugin, promisc: bool(m, 'promisc_on') };
      ctx.reply({ retval: 0 });
    },
    // vl_api_sw_interface_set_rx_placement_t_handler → set_hw_interface_rx_placement: a sub-interface
    // -7; a worker the fake's single-threaded VPP lacks, or an unknown queue, -9
    sw_interface_set_rx_placement: (ctx, m) => {
      const itf = ctx.state.interfaces.get(num(m, 'sw_if_index'));
      if (!itf) return ctx.reply({ retval: VNET_API_ERROR.INVALID_SW_IF_INDEX });
      if (itf.kind === 'sub') return ctx.reply({ retval: VNET_API_ERROR.INVALID_VALUE });
      if (!bool(m, 'is_main')) return ctx.reply({ retval: VNET_API_ERROR.UNIMPLEMENTED });
      if (num(m, 'queue_id') >= (itf.rxQueues ?? 0)) return ctx.reply({ retval: VNET_API_ERROR.UNIMPLEMENTED });
      ctx.reply({ retval: 0 });
    },
  },
};
