/** Ethernet sub-interfaces (src/vnet/interface_api.c create_subif / create_vlan_subif, ethernet/interface.c). */
import { INDEX_INVALID, VNET_API_ERROR } from '../constants.js';
import { type FakePlugin, num } from './context.js';

/** `sub_if_flags`. */
const SUB_IF_ONE_TAG = 2;
const SUB_IF_TWO_TAGS = 4;
const SUB_IF_EXACT_MATCH = 16;

export const vlanPlugin: FakePlugin = {
  name: 'ethernet',
  source: 'src/vnet/interface_api.c',
  handlers: {
    create_subif: (ctx, m) => {
      const flags = num(m, 'sub_if_flags');
      ctx.reply(
        ctx.state.createSubif(num(m, 'sw_if_index'), {
          id: num(m, 'sub_id'),
          numberOfTags: flags & SUB_IF_TWO_TAGS ? 2 : flags & SUB_IF_ONE_TAG ? 1 : 0,
          outerVlanId: num(m, 'outer_vlan_id'),
          innerVlanId: num(m, 'inner_vlan_id'),
          flags,
        }),
      );
    },
    delete_subif: (ctx, m) => ctx.reply({ retval: ctx.state.deleteSubif(num(m, 'sw_if_index')) }),
    // vl_api_create_vlan_subif_t_handler: vlan 0 or above 4095 → -55; a taken (parent, id) → -56; a
    // one-tag exact-match dot1q sub-interface named <parent>.<vlan>
    create_vlan_subif: (ctx, m) => {
      const parent = num(m, 'sw_if_index');
      if (!ctx.state.interfaces.has(parent))
        return ctx.reply({ retval: VNET_API_ERROR.INVALID_SW_IF_INDEX, sw_if_index: INDEX_INVALID });
      const vlan = num(m, 'vlan_id');
      if (vlan === 0 || vlan > 4095)
        return ctx.reply({ retval: VNET_API_ERROR.INVALID_VLAN, sw_if_index: INDEX_INVALID });
      ctx.reply(
        ctx.state.createSubif(parent, {
          id: vlan,
          numberOfTags: 1,
          outerVlanId: vlan,
          innerVlanId: 0,
          flags: SUB_IF_ONE_TAG | SUB_IF_EXACT_MATCH,
        }),
      );
    },
  },
};
