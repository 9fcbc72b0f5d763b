/** vnet's GSO feature (src/vnet/gso/gso_api.c, gso.c). */
import { type FakePlugin, bool, num, withInterface } from './context.js';

export const gsoPlugin: FakePlugin = {
  name: 'gso',
  source: 'src/vnet/gso/gso_api.c',
  handlers: {
    // vnet_sw_interface_gso_enable_disable: toggles the gso feature on the interface's output arcs; 0
    feature_gso_enable_disable: withInterface((ctx, m) => {
      const itf = ctx.state.interfaces.get(num(m, 'sw_if_index'))!;
      itf.gso = bool(m, 'enable_disable');
      ctx.reply({ retval: 0 });
    }),
  },
};
