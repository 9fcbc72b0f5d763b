/**
 * Punting: IP punt redirects (src/vnet/ip/ip_api.c, ip_punt_drop.c) and `set_punt` registrations
 * (src/vnet/ip/punt_api.c, punt.c).
 */
import { INDEX_INVALID, VNET_API_ERROR } from '../constants.js';
import { pathFromApi, pathToApi } from './fib.js';
import { type FakePlugin, arr, bool, num, obj, str } from './context.js';

/** `punt_type`. */
const PUNT_TYPE_L4 = 0;
const PUNT_TYPE_EXCEPTION = 2;

export const puntPlugin: FakePlugin = {
  name: 'punt',
  source: 'src/vnet/ip/punt_api.c',
  handlers: {
    add_del_ip_punt_redirect_v2: (ctx, m) => {
      const p = obj(m, 'punt');
      ctx.reply({
        retval: ctx.state.puntRedirectAddDel(
          m.is_add === undefined ? true : bool(m, 'is_add'),
          p.rx_sw_if_index === undefined ? INDEX_INVALID : num(p, 'rx_sw_if_index'),
          num(p, 'af'),
          arr(p, 'paths').map(pathFromApi),
        ),
      });
    },
    ip_punt_redirect_v2_dump: (ctx, m) => {
      const only = num(m, 'sw_if_index');
      const af = num(m, 'af');
      for (const r of ctx.state.puntRedirects.values()) {
        if (r.af !== af || (only !== INDEX_INVALID && r.rx_sw_if_index !== only)) continue;
        ctx.details('ip_punt_redirect_v2_details', {
          punt: { rx_sw_if_index: r.rx_sw_if_index, af: r.af, n_paths: r.paths.length, paths: r.paths.map(pathToApi) },
        });
      }
    },
    // vl_api_set_punt_t_handler → vnet_punt_add_del (punt.c): any failure is retval -1. L4: UDP or TCP
    // only; a TCP port other than ~0 is "not supported yet"; IP_PROTO is unsupported; an exception
    // registered twice (or removed when absent) fails
    set_punt: (ctx, m) => {
      const p = obj(m, 'punt');
      const type = num(p, 'type');
      const u = obj(p, 'punt');
      const isAdd = bool(m, 'is_add');
      const fail = (): void => ctx.reply({ retval: VNET_API_ERROR.UNSPECIFIED });
      if (type === PUNT_TYPE_L4) {
        const l4 = obj(u, 'l4');
        const proto = num(l4, 'protocol');
        const port = num(l4, 'port');
        if (proto !== 6 && proto !== 17) return fail();
        if (proto === 6 && port !== 0xffff) return fail();
        const k = `l4:${num(l4, 'af')}:${proto}:${port}`;
        if (isAdd) ctx.state.punts.add(k);
        else ctx.state.punts.delete(k);
        return ctx.reply({ retval: 0 });
      }
      if (type === PUNT_TYPE_EXCEPTION) {
        const k = `exception:${num(obj(u, 'exception'), 'id')}`;
        if (isAdd === ctx.state.punts.has(k)) return fail();
        if (isAdd) ctx.state.punts.add(k);
        else ctx.state.punts.delete(k);
        return ctx.reply({ retval: 0 });
      }
      fail();
    },
    // vl_api_punt_socket_register_t_handler → vnet_punt_socket_add (punt.c): -1 unless startup.conf
    // configured `punt { socket <path> }` (state.puntSocket), for a header version other than 1, or for
    // the server's own path; the reply carries the server's socket path
    punt_socket_register: (ctx, m) => {
      const server = ctx.state.puntSocket ?? '';
      const fail = (): void => ctx.reply({ retval: VNET_API_ERROR.UNSPECIFIED, pathname: server });
      const path = str(m, 'pathname');
      if (!ctx.state.puntSocket || num(m, 'header_version') !== 1 || path === server) return fail();
      const p = obj(m, 'punt');
      ctx.state.puntSockets.set(JSON.stringify(p), { punt: p, pathname: path });
      ctx.reply({ retval: 0, pathname: server });
    },
    punt_socket_deregister: (ctx, m) => {
      if (!ctx.state.puntSocket) return ctx.reply({ retval: VNET_API_ERROR.UNSPECIFIED });
      ctx.state.puntSockets.delete(JSON.stringify(obj(m, 'punt')));
      ctx.reply({ retval: 0 });
    },
    punt_socket_dump: (ctx, m) => {
      for (const r of ctx.state.puntSockets.values())
        if (num(r.punt, 'type') === num(m, 'type'))
          ctx.details('punt_socket_details', { punt: r.punt, pathname: r.pathname });
    },
  },
};
