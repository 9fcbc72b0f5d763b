/** vnet's ARP proxy (src/vnet/arp/arp_api.c, arp_proxy.c) and IPv6 ND proxy (src/vnet/ip6-nd/ip6_nd_api.c, ip6_nd_proxy.c). */
import { VNET_API_ERROR } from '../constants.js';
import { type FakePlugin, bool, canonicalOrAsReceived, num, obj, str, withInterface } from './context.js';

export const arpPlugin: FakePlugin = {
  name: 'arp',
  source: 'src/vnet/arp/arp_api.c',
  handlers: {
    // vl_api_proxy_arp_add_del_t_handler: the table must exist (-3); vnet_proxy_arp_add_del: adding an
    // existing range is accepted, deleting an absent one → -6
    proxy_arp_add_del: (ctx, m) => {
      const p = obj(m, 'proxy');
      const tableId = num(p, 'table_id');
      if (!ctx.state.table(false, tableId)) return ctx.reply({ retval: VNET_API_ERROR.NO_SUCH_FIB });
      const low = canonicalOrAsReceived(str(p, 'low') || '0.0.0.0');
      const hi = canonicalOrAsReceived(str(p, 'hi') || '0.0.0.0');
      const ranges = ctx.state.proxyArp.ranges;
      const i = ranges.findIndex((r) => r.table_id === tableId && r.low === low && r.hi === hi);
      if (bool(m, 'is_add')) {
        if (i < 0) ranges.push({ table_id: tableId, low, hi });
      } else {
        if (i < 0) return ctx.reply({ retval: VNET_API_ERROR.NO_SUCH_ENTRY });
        ranges.splice(i, 1);
      }
      ctx.reply({ retval: 0 });
    },
    proxy_arp_dump: (ctx) => {
      for (const r of ctx.state.proxyArp.ranges) ctx.details('proxy_arp_details', { proxy: { ...r } });
    },
    // arp_proxy_enable / _disable: idempotent
    proxy_arp_intfc_enable_disable: withInterface((ctx, m) => {
      if (bool(m, 'enable')) ctx.state.proxyArp.interfaces.add(num(m, 'sw_if_index'));
      else ctx.state.proxyArp.interfaces.delete(num(m, 'sw_if_index'));
      ctx.reply({ retval: 0 });
    }),
    proxy_arp_intfc_dump: (ctx) => {
      for (const sw of [...ctx.state.proxyArp.interfaces].sort((a, b) => a - b))
        ctx.details('proxy_arp_intfc_details', { sw_if_index: sw });
    },
  },
};

export const ip6NdPlugin: FakePlugin = {
  name: 'ip6-nd',
  source: 'src/vnet/ip6-nd/ip6_nd_api.c',
  handlers: {
    // ip6_nd_proxy_add_del (ip6_nd_proxy.c): a /128 FIB entry on the interface; deleting what is not there
    // is not an error (fib_table_entry_path_remove of an absent path)
    ip6nd_proxy_add_del: withInterface((ctx, m) => {
      const sw = num(m, 'sw_if_index');
      const ip = canonicalOrAsReceived(str(m, 'ip') || '::');
      const e = ctx.state.ip6ndProxy;
      const i = e.entries.findIndex((x) => x.sw_if_index === sw && x.ip === ip);
      if (bool(m, 'is_add')) {
        if (i < 0) e.entries.push({ sw_if_index: sw, ip });
      } else if (i >= 0) e.entries.splice(i, 1);
      ctx.reply({ retval: 0 });
    }),
    ip6nd_proxy_dump: (ctx) => {
      for (const x of ctx.state.ip6ndProxy.entries) ctx.details('ip6nd_proxy_details', { ...x });
    },
    // ip6_nd_proxy_enable_disable (ip6_nd_mirror_proxy.c): toggles the ND proxy features; always 0
    ip6nd_proxy_enable_disable: withInterface((ctx, m) => {
      if (bool(m, 'is_enable')) ctx.state.ip6ndProxy.interfaces.add(num(m, 'sw_if_index'));
      else ctx.state.ip6ndProxy.interfaces.delete(num(m, 'sw_if_index'));
      ctx.reply({ retval: 0 });
    }),
    // ip6_ra_config (ip6_ra.c): -62 unless IPv6 is enabled on the interface; the fake keeps the flags
    // (suppress, managed, other, …) and does not check the interval arithmetic
    sw_interface_ip6nd_ra_config: withInterface((ctx, m) => {
      const itf = ctx.state.interfaces.get(num(m, 'sw_if_index'))!;
      if (!itf.linkLocal) return ctx.reply({ retval: VNET_API_ERROR.IP6_NOT_ENABLED });
      const { _vl_msg_id: _id, client_index: _c, context: _x, sw_if_index: _s, ...ra } = m;
      itf.plugin = { ...itf.plugin, ip6ndRa: ra };
      ctx.reply({ retval: 0 });
    }),
  },
};
