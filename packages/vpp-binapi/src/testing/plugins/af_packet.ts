/** VPP's af_packet plugin (src/plugins/af_packet/af_packet_api.c, af_packet.c). */
import { INDEX_INVALID, VNET_API_ERROR } from '../constants.js';
import { type FakePlugin, bool, isZeroMac, num, randomMac, str } from './context.js';

export const afPacketPlugin: FakePlugin = {
  name: 'af_packet',
  source: 'src/plugins/af_packet/af_packet_api.c',
  handlers: {
    // vl_api_af_packet_create_v3_t_handler: a mode other than ethernet (1) or ip (2) → -7 with
    // sw_if_index ~0; then af_packet_create_if (-79 already bound, -71 no such host interface)
    af_packet_create_v3: (ctx, m) => {
      const mode = num(m, 'mode');
      if (mode !== 1 && mode !== 2)
        return ctx.reply({ retval: VNET_API_ERROR.INVALID_VALUE, sw_if_index: INDEX_INVALID });
      const mac =
        bool(m, 'use_random_hw_addr') || isZeroMac(str(m, 'hw_addr')) ? randomMac(0x02, 0xfe) : str(m, 'hw_addr');
      ctx.reply(ctx.state.createAfPacket(str(m, 'host_if_name'), mac, Math.max(1, num(m, 'num_rx_queues'))));
    },
    // af_packet_delete_if: an unknown host interface → -11
    af_packet_delete: (ctx, m) => ctx.reply({ retval: ctx.state.deleteAfPacket(str(m, 'host_if_name')) }),
    af_packet_dump: (ctx) => {
      for (const i of ctx.state.listInterfaces())
        if (i.kind === 'af_packet')
          ctx.details('af_packet_details', { sw_if_index: i.sw_if_index, host_if_name: i.hostIfName ?? '' });
    },
  },
};
