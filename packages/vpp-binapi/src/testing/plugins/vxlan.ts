/** VPP's vxlan plugin (src/plugins/vxlan/vxlan_api.c, vxlan.c). */
import { INDEX_INVALID, VNET_API_ERROR, VXLAN_DEFAULT_DST_PORT } from '../constants.js';
import { canonicalAddress } from '../ip.js';
import { type FakePlugin, bool, num, str } from './context.js';

export const vxlanPlugin: FakePlugin = {
  name: 'vxlan',
  source: 'src/plugins/vxlan/vxlan_api.c',
  handlers: {
    vxlan_add_del_tunnel_v3: (ctx, m) =>
      ctx.reply(
        ctx.state.addDelVxlan(m.is_add === undefined ? true : bool(m, 'is_add'), {
          instance: m.instance === undefined ? INDEX_INVALID : num(m, 'instance'),
          src_address: canonicalAddress(str(m, 'src_address') || '0.0.0.0'),
          dst_address: canonicalAddress(str(m, 'dst_address') || '0.0.0.0'),
          src_port: num(m, 'src_port'),
          dst_port: num(m, 'dst_port') || VXLAN_DEFAULT_DST_PORT,
          mcast_sw_if_index: num(m, 'mcast_sw_if_index'),
          encap_vrf_id: num(m, 'encap_vrf_id'),
          // VPP turns "no decap next" (~0) into l2-input (1).
          decap_next_index:
            m.decap_next_index === undefined || num(m, 'decap_next_index') === INDEX_INVALID
              ? 1
              : num(m, 'decap_next_index'),
          vni: num(m, 'vni'),
          is_l3: bool(m, 'is_l3'),
        }),
      ),
    vxlan_tunnel_v2_dump: (ctx, m) => {
      const only = num(m, 'sw_if_index');
      for (const i of ctx.state.listInterfaces()) {
        if (!i.vxlan || (only !== INDEX_INVALID && only !== i.sw_if_index)) continue;
        const { is_l3: _l3, ...t } = i.vxlan;
        ctx.details('vxlan_tunnel_v2_details', { ...t, sw_if_index: i.sw_if_index });
      }
    },
    // sw_interface_set_vxlan_bypass (vxlan_api.c): -2 for a bad index, else the bypass feature on or off
    sw_interface_set_vxlan_bypass: (ctx, m) => {
      const sw = num(m, 'sw_if_index');
      if (!ctx.state.interfaces.has(sw)) return ctx.reply({ retval: VNET_API_ERROR.INVALID_SW_IF_INDEX });
      const set = ctx.state.features.get(sw) ?? new Set<string>();
      const name = `ip${m.is_ipv6 ? 6 : 4}-unicast/ip${m.is_ipv6 ? 6 : 4}-vxlan-bypass`;
      if (m.enable) set.add(name);
      else set.delete(name);
      ctx.state.features.set(sw, set);
      ctx.reply({ retval: 0 });
    },
  },
};
