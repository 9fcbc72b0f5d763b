/** vnet's ip-neighbor module (src/vnet/ip-neighbor/ip_neighbor_api.c, ip_neighbor.c). */
import { INDEX_INVALID } from '../constants.js';
import { compareAddresses } from './fib.js';
import { type FakePlugin, bool, num, obj, str } from './context.js';

export const ipNeighborPlugin: FakePlugin = {
  name: 'ip-neighbor',
  source: 'src/vnet/ip-neighbor/ip_neighbor_api.c',
  handlers: {
    ip_neighbor_add_del: (ctx, m) => {
      const n = obj(m, 'neighbor');
      ctx.reply(
        ctx.state.neighborAddDel(bool(m, 'is_add'), {
          sw_if_index: num(n, 'sw_if_index'),
          flags: num(n, 'flags'),
          mac_address: str(n, 'mac_address') || '00:00:00:00:00:00',
          ip_address: str(n, 'ip_address') || '0.0.0.0',
        }),
      );
    },
    ip_neighbor_flush: (ctx, m) =>
      ctx.reply({
        retval: ctx.state.neighborFlush(
          num(m, 'af') === 1,
          m.sw_if_index === undefined ? INDEX_INVALID : num(m, 'sw_if_index'),
        ),
      }),
    ip_neighbor_dump: (ctx, m) => {
      const only = m.sw_if_index === undefined ? INDEX_INVALID : num(m, 'sw_if_index');
      const isIp6 = num(m, 'af') === 1;
      // VPP sorts neighbours by interface, then address.
      const sorted = [...ctx.state.neighbors.values()].sort(
        (a, b) => a.sw_if_index - b.sw_if_index || compareAddresses(a.ip_address, b.ip_address),
      );
      for (const n of sorted) {
        if (n.ip_address.includes(':') !== isIp6 || (only !== INDEX_INVALID && n.sw_if_index !== only)) continue;
        ctx.details('ip_neighbor_details', {
          age: 0,
          neighbor: {
            sw_if_index: n.sw_if_index,
            flags: n.flags,
            mac_address: n.mac_address,
            ip_address: n.ip_address,
          },
        });
      }
    },
    // ip_neighbor_config (ip_neighbor.c): sets the family's limit, age and recycle; no checks
    ip_neighbor_config: (ctx, m) => {
      const c = num(m, 'af') === 1 ? ctx.state.neighborConfig.ip6 : ctx.state.neighborConfig.ip4;
      c.max_number = num(m, 'max_number');
      c.max_age = num(m, 'max_age');
      c.recycle = bool(m, 'recycle');
      ctx.reply({ retval: 0 });
    },
    ip_neighbor_config_get: (ctx, m) => {
      const af = num(m, 'af');
      const c = af === 1 ? ctx.state.neighborConfig.ip6 : ctx.state.neighborConfig.ip4;
      ctx.reply({ retval: 0, af, ...c });
    },
    // want_ip_neighbor_events(_v2): the registration is accepted; the fake learns no neighbours, so no
    // event is ever sent
    want_ip_neighbor_events: (ctx) => ctx.reply({ retval: 0 }),
    want_ip_neighbor_events_v2: (ctx) => ctx.reply({ retval: 0 }),
  },
};
