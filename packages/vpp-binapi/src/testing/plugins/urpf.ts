/** VPP's urpf plugin (src/plugins/urpf/urpf_api.c, urpf.c): unicast reverse-path forwarding per interface, family and direction. */
import { INDEX_INVALID, VNET_API_ERROR } from '../constants.js';
import { type FakePlugin, type HandlerContext, type Msg, bool, num, withInterface } from './context.js';

/**
 * `urpf_update`: a mode above 2 (strict) → -7 (urpf_mode_decode), a family above 1 → -97, a table that
 * does not exist → -7. `table_id` ~0 means the interface's own table; any other id (v1 sends 0) marks
 * the table as custom, which makes the entry show in the dump even with mode off.
 */
function update(ctx: HandlerContext, m: Msg, tableId: number): void {
  const mode = num(m, 'mode');
  const af = num(m, 'af');
  if (mode > 2) return ctx.reply({ retval: VNET_API_ERROR.INVALID_VALUE });
  if (af > 1) return ctx.reply({ retval: VNET_API_ERROR.INVALID_ADDRESS_FAMILY });
  const sw = num(m, 'sw_if_index');
  const itf = ctx.state.interfaces.get(sw)!;
  const custom = tableId !== INDEX_INVALID;
  if (custom && !ctx.state.table(af === 1, tableId)) return ctx.reply({ retval: VNET_API_ERROR.INVALID_VALUE });
  const isInput = bool(m, 'is_input');
  ctx.state.urpf.set(`${sw}|${af}|${isInput ? 'rx' : 'tx'}`, {
    sw_if_index: sw,
    af,
    is_input: isInput,
    mode,
    table_id: custom ? tableId : af === 1 ? itf.ip6TableId : itf.ip4TableId,
    custom,
  });
  ctx.reply({ retval: 0 });
}

export const urpfPlugin: FakePlugin = {
  name: 'urpf',
  source: 'src/plugins/urpf/urpf_api.c',
  handlers: {
    // vl_api_urpf_update_t_handler passes table id 0 (not ~0) to urpf_update
    urpf_update: withInterface((ctx, m) => update(ctx, m, 0)),
    urpf_update_v2: withInterface((ctx, m) => update(ctx, m, num(m, 'table_id'))),
    // send_urpf_interface: per interface, IPv4 then IPv6, rx then tx, entries with a mode or a custom table
    urpf_interface_dump: (ctx, m) => {
      const only = m.sw_if_index === undefined ? INDEX_INVALID : num(m, 'sw_if_index');
      if (only !== INDEX_INVALID && !ctx.state.interfaces.has(only)) return;
      for (const i of ctx.state.listInterfaces()) {
        if (only !== INDEX_INVALID && i.sw_if_index !== only) continue;
        for (const af of [0, 1])
          for (const dir of ['rx', 'tx']) {
            const u = ctx.state.urpf.get(`${i.sw_if_index}|${af}|${dir}`);
            if (u && (u.mode || u.custom))
              ctx.details('urpf_interface_details', {
                sw_if_index: u.sw_if_index,
                is_input: u.is_input,
                mode: u.mode,
                af: u.af,
                table_id: u.table_id,
              });
          }
      }
    },
  },
};
