/**
 * vnet's IP API (src/vnet/ip/ip_api.c, ip_path_mtu.c): IPv6 enablement and link-local addresses, address
 * dumps, FIB tables and routes, flow hash, path MTU.
 */
import { FIB_SOURCE_ID, INDEX_INVALID, VNET_API_ERROR } from '../constants.js';
import { canonicalPrefix } from '../ip.js';
import { pathFromApi, routeDetails, routeDetailsV2, SOURCE_BY_ID } from './fib.js';
import { type FakePlugin, type HandlerContext, type Msg, arr, bool, num, obj, str } from './context.js';

function tableOp(ctx: HandlerContext, m: Msg, op: 'begin' | 'end' | 'flush'): void {
  const t = obj(m, 'table');
  ctx.reply({ retval: ctx.state.tableReplace(bool(t, 'is_ip6'), num(t, 'table_id'), op) });
}

/** `ip_table_add_del(_v2)` (ip_api.c vl_api_ip_table_add_del_t_handler). */
function tableAddDel(ctx: HandlerContext, m: Msg): void {
  const t = obj(m, 'table');
  ctx.reply({
    retval: ctx.state.addDelTable(
      m.is_add === undefined ? true : bool(m, 'is_add'),
      bool(t, 'is_ip6'),
      num(t, 'table_id'),
      str(t, 'name'),
    ),
  });
}

/** `ip_route_add_del(_v2)` (ip_api.c ip_route_add_del_t_handler). */
function routeAddDel(ctx: HandlerContext, m: Msg): void {
  const r = obj(m, 'route');
  let prefix: string;
  try {
    prefix = canonicalPrefix(str(r, 'prefix') || '0.0.0.0/0');
  } catch {
    ctx.reply({ retval: VNET_API_ERROR.INVALID_VALUE, stats_index: INDEX_INVALID });
    return;
  }
  ctx.reply(
    ctx.state.routeAddDel(
      m.is_add === undefined ? true : bool(m, 'is_add'),
      bool(m, 'is_multipath'),
      num(r, 'table_id'),
      prefix,
      arr(r, 'paths').map(pathFromApi),
    ),
  );
}

export const ipPlugin: FakePlugin = {
  name: 'ip',
  source: 'src/vnet/ip/ip_api.c',
  handlers: {
    sw_interface_ip6_enable_disable: (ctx, m) =>
      ctx.reply({ retval: ctx.state.ip6EnableDisable(num(m, 'sw_if_index'), bool(m, 'enable')) }),
    sw_interface_ip6_get_link_local_address: (ctx, m) => {
      const itf = ctx.state.interfaces.get(num(m, 'sw_if_index'));
      if (!itf) ctx.reply({ retval: VNET_API_ERROR.INVALID_SW_IF_INDEX });
      else if (!itf.linkLocal) ctx.reply({ retval: VNET_API_ERROR.IP6_NOT_ENABLED });
      else ctx.reply({ retval: 0, ip: itf.linkLocal });
    },
    sw_interface_ip6_set_link_local_address: (ctx, m) =>
      ctx.reply({ retval: ctx.state.setLinkLocalAddress(num(m, 'sw_if_index'), str(m, 'ip') || '::') }),
    ip_address_dump: (ctx, m) => {
      const sw = num(m, 'sw_if_index');
      for (const a of ctx.state.addressesOf(sw, bool(m, 'is_ipv6')))
        ctx.details('ip_address_details', { sw_if_index: sw, prefix: a });
    },
    ip_unnumbered_dump: (ctx, m) => {
      const only = m.sw_if_index === undefined ? INDEX_INVALID : num(m, 'sw_if_index');
      for (const i of ctx.state.listInterfaces()) {
        if (i.unnumberedTo === undefined || (only !== INDEX_INVALID && only !== i.sw_if_index)) continue;
        ctx.details('ip_unnumbered_details', { sw_if_index: i.sw_if_index, ip_sw_if_index: i.unnumberedTo });
      }
    },
    ip_table_add_del: (ctx, m) => tableAddDel(ctx, m),
    ip_table_dump: (ctx) => {
      const tables = [...ctx.state.tables.values()].sort((a, b) => Number(a.is_ip6) - Number(b.is_ip6));
      for (const t of tables)
        ctx.details('ip_table_details', { table: { table_id: t.table_id, is_ip6: t.is_ip6, name: t.name } });
    },
    ip_table_replace_begin: (ctx, m) => tableOp(ctx, m, 'begin'),
    ip_table_replace_end: (ctx, m) => tableOp(ctx, m, 'end'),
    ip_table_flush: (ctx, m) => tableOp(ctx, m, 'flush'),
    set_ip_flow_hash_v2: (ctx, m) => {
      const isIp6 = num(m, 'af') === 1;
      const tableId = num(m, 'table_id');
      if (!ctx.state.table(isIp6, tableId)) {
        ctx.reply({ retval: VNET_API_ERROR.NO_SUCH_FIB });
        return;
      }
      ctx.state.flowHash.set(`ip${isIp6 ? 6 : 4}:${tableId}`, num(m, 'flow_hash_config'));
      ctx.reply({ retval: 0 });
    },
    ip_route_add_del: (ctx, m) => routeAddDel(ctx, m),
    ip_route_add_del_v2: (ctx, m) => {
      const r = obj(m, 'route');
      const src = num(r, 'src');
      if (src !== 0 && src !== FIB_SOURCE_ID.api) {
        // The fake keeps routes of the API source only.
        ctx.reply({ retval: VNET_API_ERROR.UNSUPPORTED, stats_index: INDEX_INVALID });
        return;
      }
      routeAddDel(ctx, m);
    },
    ip_route_v2_dump: (ctx, m) => {
      const t = obj(m, 'table');
      const tableId = num(t, 'table_id');
      const only = SOURCE_BY_ID.get(num(m, 'src'));
      if (num(m, 'src') !== 0 && !only) return;
      for (const e of ctx.state.routesOf(bool(t, 'is_ip6'), tableId)) {
        if (only && !e.sources.get(only)?.length) continue;
        ctx.details('ip_route_v2_details', { route: routeDetailsV2(ctx.state, tableId, e, only) });
      }
    },
    ip_route_lookup_v2: (ctx, m) => {
      const tableId = num(m, 'table_id');
      const res = ctx.state.routeLookup(tableId, str(m, 'prefix') || '0.0.0.0/32', num(m, 'exact') !== 0);
      ctx.reply(
        res.entry ? { retval: 0, route: routeDetailsV2(ctx.state, tableId, res.entry) } : { retval: res.retval },
      );
    },
    ip_table_add_del_v2: (ctx, m) => tableAddDel(ctx, m),
    ip_route_dump: (ctx, m) => {
      const t = obj(m, 'table');
      const tableId = num(t, 'table_id');
      for (const e of ctx.state.routesOf(bool(t, 'is_ip6'), tableId))
        ctx.details('ip_route_details', { route: routeDetails(ctx.state, tableId, e) });
    },
    ip_route_lookup: (ctx, m) => {
      const tableId = num(m, 'table_id');
      const res = ctx.state.routeLookup(tableId, str(m, 'prefix') || '0.0.0.0/32', num(m, 'exact') !== 0);
      ctx.reply(res.entry ? { retval: 0, route: routeDetails(ctx.state, tableId, res.entry) } : { retval: res.retval });
    },
    ip_path_mtu_update: (ctx, m) => {
      const p = obj(m, 'pmtu');
      ctx.reply({ retval: ctx.state.pathMtuUpdate(num(p, 'table_id'), str(p, 'nh') || '0.0.0.0', num(p, 'path_mtu')) });
    },
    // REPLY_AND_DETAILS_MACRO over ip_pmtu_pool: an empty pool answers at once; a cursor at a free
    // index moves to the next used one (none: INVALID_VALUE); a page that stops before the end answers
    // EAGAIN with the cursor to go on from, the last page 0 with cursor ~0
    ip_path_mtu_get: (ctx, m) => {
      const s = ctx.state;
      if (!s.pathMtus.some((e) => e)) return ctx.reply({ retval: 0, cursor: 0 });
      let cursor = num(m, 'cursor');
      let retval = 0;
      if (!s.pathMtus[cursor]) {
        cursor = s.pathMtuNext(cursor);
        if (cursor === INDEX_INVALID) retval = VNET_API_ERROR.INVALID_VALUE;
      }
      let sent = 0;
      while (cursor !== INDEX_INVALID) {
        const e = s.pathMtus[cursor]!;
        ctx.details('ip_path_mtu_details', { pmtu: { table_id: e.table_id, nh: e.nh, path_mtu: e.path_mtu } });
        cursor = s.pathMtuNext(cursor);
        if (++sent >= s.getPageSize) {
          if (cursor !== INDEX_INVALID) retval = VNET_API_ERROR.EAGAIN;
          break;
        }
      }
      ctx.reply({ retval, cursor });
    },
    // vl_api_ip_table_allocate_t_handler: table id ~0 picks an unused one; the table is created (as by
    // the API) and the reply echoes the request's table with the id
    ip_table_allocate: (ctx, m) => {
      const t = obj(m, 'table');
      const isIp6 = bool(t, 'is_ip6');
      let id = t.table_id === undefined ? INDEX_INVALID : num(t, 'table_id');
      // ip_table_get_unused_id: a random id no table of the family has
      if (id === INDEX_INVALID)
        do id = 1 + Math.floor(Math.random() * 0xfffffffd);
        while (ctx.state.table(isIp6, id));
      ctx.state.addDelTable(true, isIp6, id, str(t, 'name'));
      ctx.reply({ retval: 0, table: { table_id: id, is_ip6: isIp6, name: str(t, 'name') } });
    },
  },
};
