/** vnet's feature arcs (src/vnet/feature/feature_api.c). */
import { VNET_API_ERROR } from '../constants.js';
import { type FakePlugin, bool, num, str } from './context.js';

export const featurePlugin: FakePlugin = {
  name: 'feature',
  source: 'src/vnet/feature/feature_api.c',
  handlers: {
    feature_enable_disable: (ctx, m) => {
      const sw = num(m, 'sw_if_index');
      if (!ctx.state.interfaces.has(sw)) {
        ctx.reply({ retval: VNET_API_ERROR.INVALID_SW_IF_INDEX });
        return;
      }
      const set = ctx.state.features.get(sw) ?? new Set<string>();
      const name = `${str(m, 'arc_name')}/${str(m, 'feature_name')}`;
      if (bool(m, 'enable')) set.add(name);
      else set.delete(name);
      ctx.state.features.set(sw, set);
      ctx.reply({ retval: 0 });
    },
    // vl_api_feature_is_enabled_t_handler: -2 for a bad index, else whether the feature is on
    feature_is_enabled: (ctx, m) => {
      const sw = num(m, 'sw_if_index');
      if (!ctx.state.interfaces.has(sw))
        return ctx.reply({ retval: VNET_API_ERROR.INVALID_SW_IF_INDEX, is_enabled: false });
      const on = ctx.state.features.get(sw)?.has(`${str(m, 'arc_name')}/${str(m, 'feature_name')}`) ?? false;
      ctx.reply({ retval: 0, is_enabled: on });
    },
  },
};
