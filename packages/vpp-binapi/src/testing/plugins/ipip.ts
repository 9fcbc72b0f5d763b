/** VPP's ipip tunnels (src/vnet/ipip/ipip_api.c, ipip.c). */
import { INDEX_INVALID } from '../constants.js';
import { canonicalAddress } from '../ip.js';
import { type FakePlugin, num, obj, str } from './context.js';

export const ipipPlugin: FakePlugin = {
  name: 'ipip',
  source: 'src/vnet/ipip/ipip_api.c',
  handlers: {
    ipip_add_tunnel: (ctx, m) => {
      const t = obj(m, 'tunnel');
      ctx.reply(
        ctx.state.createIpip({
          instance: t.instance === undefined ? INDEX_INVALID : num(t, 'instance'),
          src: canonicalAddress(str(t, 'src') || '0.0.0.0'),
          dst: canonicalAddress(str(t, 'dst') || '0.0.0.0'),
          table_id: num(t, 'table_id'),
          flags: num(t, 'flags'),
          mode: num(t, 'mode'),
          dscp: num(t, 'dscp'),
        }),
      );
    },
    ipip_del_tunnel: (ctx, m) => ctx.reply({ retval: ctx.state.deleteIpip(num(m, 'sw_if_index')) }),
    ipip_tunnel_dump: (ctx, m) => {
      const only = num(m, 'sw_if_index');
      for (const i of ctx.state.listInterfaces()) {
        if (!i.ipip || (only !== INDEX_INVALID && only !== i.sw_if_index)) continue;
        ctx.details('ipip_tunnel_details', { tunnel: { ...i.ipip, sw_if_index: i.sw_if_index } });
      }
    },
  },
};
