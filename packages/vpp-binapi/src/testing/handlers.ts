import { runCli } from './cli.js';
import { CNAT_TRK_ACTIVE, FIB_SOURCE_ID, INDEX_INVALID, VNET_API_ERROR, VXLAN_DEFAULT_DST_PORT } from './constants.js';
import { canonicalAddress, canonicalPrefix, formatPrefix, parseAddress, parsePrefix } from './ip.js';
import {
  type FakeCnatEndpoint,
  type FakeFibEntry,
  type FakeInterface,
  type FibSource,
  type FakePath,
  type FakeVppState,
  makePath,
} from './state.js';

/** A decoded message: VPP field names, the codec's value conventions. */
export type Msg = Record<string, unknown>;

/** What a handler can do while answering one request. */
export interface HandlerContext {
  readonly state: FakeVppState;
  /** Client index VPP gave this connection. */
  readonly clientIndex: number;
  readonly vppVersion: string;
  readonly buildDate: string;
  readonly pid: number;
  /** Sends the request's reply (its service's reply message) with the request's context. */
  reply(fields?: Msg): void;
  /** Sends one message of a stream (details) with the request's context. */
  details(name: string, fields: Msg): void;
  /** Registers or removes this connection for `sw_interface_event`; returns the retval. */
  wantInterfaceEvents(enable: boolean, pid: number): number;
}

export type Handler = (ctx: HandlerContext, msg: Msg) => void;

const num = (m: Msg, k: string): number => {
  const v = m[k];
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' ? Number(v) : 0;
};
const str = (m: Msg, k: string): string => (typeof m[k] === 'string' ? (m[k] as string) : '');
const bool = (m: Msg, k: string): boolean => Boolean(m[k]);
const obj = (m: Msg, k: string): Msg => {
  const v = m[k];
  return v !== null && typeof v === 'object' ? (v as Msg) : {};
};
const arr = (m: Msg, k: string): Msg[] => (Array.isArray(m[k]) ? (m[k] as Msg[]) : []);

/** The canonical text of an address, or the text as received when it does not parse. */
function canonicalOrAsReceived(text: string): string {
  try {
    return canonicalAddress(text);
  } catch {
    return text;
  }
}

const ZERO_LABEL = Object.freeze({ is_uniform: 0, label: 0, ttl: 0, exp: 0 });

/** A FIB path from its API form; the next hop is read from the union member of the path's protocol. */
export function pathFromApi(p: Msg): FakePath {
  const proto = num(p, 'proto');
  const nh = obj(p, 'nh');
  const address = obj(nh, 'address');
  const text = canonicalOrAsReceived(proto === 1 ? str(address, 'ip6') || '::' : str(address, 'ip4') || '0.0.0.0');
  return makePath({
    sw_if_index: num(p, 'sw_if_index'),
    table_id: num(p, 'table_id'),
    rpf_id: num(p, 'rpf_id'),
    weight: num(p, 'weight'),
    preference: num(p, 'preference'),
    type: num(p, 'type'),
    flags: num(p, 'flags'),
    proto,
    nh: text,
    via_label: num(nh, 'via_label'),
    obj_id: num(nh, 'obj_id'),
    classify_table_index: num(nh, 'classify_table_index'),
    n_labels: num(p, 'n_labels'),
    label_stack: arr(p, 'label_stack'),
  });
}

/** The API form of a stored path. */
export function pathToApi(p: FakePath): Msg {
  const stack = p.label_stack.slice(0, 16);
  while (stack.length < 16) stack.push({ ...ZERO_LABEL });
  return {
    sw_if_index: p.sw_if_index,
    table_id: p.table_id,
    rpf_id: p.rpf_id,
    weight: p.weight,
    preference: p.preference,
    type: p.type,
    flags: p.flags,
    proto: p.proto,
    nh: {
      address: p.proto === 1 ? { ip6: p.nh } : { ip4: p.nh },
      via_label: p.via_label,
      obj_id: p.obj_id,
      classify_table_index: p.classify_table_index,
    },
    n_labels: p.n_labels,
    label_stack: stack,
  };
}

function interfaceDetails(state: FakeVppState, i: FakeInterface): Msg {
  return {
    sw_if_index: i.sw_if_index,
    sup_sw_if_index: i.sup_sw_if_index,
    l2_address: i.l2_address,
    flags: state.interfaceFlags(i),
    type: i.kind === 'sub' ? 1 : 0,
    link_duplex: 0,
    link_speed: 0,
    link_mtu: i.link_mtu,
    mtu: [...i.mtu],
    sub_id: i.sub?.id ?? 0,
    sub_number_of_tags: i.sub?.numberOfTags ?? 0,
    sub_outer_vlan_id: i.sub?.outerVlanId ?? 0,
    sub_inner_vlan_id: i.sub?.innerVlanId ?? 0,
    sub_if_flags: i.sub?.flags ?? 0,
    interface_name: i.interface_name,
    interface_dev_type: i.interface_dev_type,
    tag: i.tag,
  };
}

function endpointFromApi(e: Msg): FakeCnatEndpoint {
  const addr = canonicalOrAsReceived(str(e, 'addr') || '0.0.0.0');
  return { addr, sw_if_index: num(e, 'sw_if_index'), if_af: num(e, 'if_af'), port: num(e, 'port') };
}

function routeDetails(state: FakeVppState, tableId: number, e: FakeFibEntry): Msg {
  const paths = state.bestPaths(e).map(pathToApi);
  return { table_id: tableId, stats_index: e.stats_index, prefix: e.prefix, n_paths: paths.length, paths };
}

/** `ip_route_v2`: the route with the id of the source its paths come from. */
function routeDetailsV2(state: FakeVppState, tableId: number, e: FakeFibEntry, only?: FibSource): Msg {
  const src = only ?? state.bestSource(e);
  const paths = (src ? (e.sources.get(src) ?? []) : []).map(pathToApi);
  return { table_id: tableId, stats_index: e.stats_index, prefix: e.prefix, n_paths: paths.length, src: src ? FIB_SOURCE_ID[src] : 0, paths };
}

const SOURCE_BY_ID = new Map(Object.entries(FIB_SOURCE_ID).map(([k, v]) => [v as number, k as FibSource]));

const SUB_IF_ONE_TAG = 2;
const SUB_IF_TWO_TAGS = 4;

/** Handlers by request name. Anything else known to the schemas gets VPP's "unsupported" retval. */
export const HANDLERS: Readonly<Record<string, Handler>> = {
  control_ping: (ctx) => ctx.reply({ retval: 0, client_index: 0, vpe_pid: ctx.pid }),

  show_version: (ctx) =>
    ctx.reply({ retval: 0, program: 'vpe', version: ctx.vppVersion, build_date: ctx.buildDate, build_directory: '' }),

  // vlib_api.c: VPP checks that 1.0 arrived in its byte order, answers 1.0 in network order; the
  // reply's retval is a u32 in the schema, VPP writes its negative rv into it all the same
  get_f64_endian_value: (ctx, m) =>
    ctx.reply({ retval: num(m, 'f64_one') === 1 ? 0 : VNET_API_ERROR.API_ENDIAN_FAILED, f64_one_result: 1 }),

  get_f64_increment_by_one: (ctx, m) => ctx.reply({ retval: 0, f64_value: num(m, 'f64_value') + 1 }),

  cli_inband: (ctx, m) => ctx.reply({ retval: 0, reply: runCli(ctx.state, str(m, 'cmd'), ctx.vppVersion, ctx.buildDate) }),

  want_interface_events: (ctx, m) =>
    ctx.reply({ retval: ctx.wantInterfaceEvents(num(m, 'enable_disable') !== 0, num(m, 'pid')) }),

  // ---- interfaces ----
  create_loopback: (ctx, m) => ctx.reply(ctx.state.createLoopback(str(m, 'mac_address') || '00:00:00:00:00:00')),
  create_loopback_instance: (ctx, m) =>
    ctx.reply(
      ctx.state.createLoopback(
        str(m, 'mac_address') || '00:00:00:00:00:00',
        bool(m, 'is_specified') ? num(m, 'user_instance') : undefined,
      ),
    ),
  delete_loopback: (ctx, m) => ctx.reply({ retval: ctx.state.deleteLoopback(num(m, 'sw_if_index')) }),
  sw_interface_set_flags: (ctx, m) => ctx.reply({ retval: ctx.state.setFlags(num(m, 'sw_if_index'), num(m, 'flags')) }),
  sw_interface_set_mtu: (ctx, m) =>
    ctx.reply({ retval: ctx.state.setMtu(num(m, 'sw_if_index'), (m.mtu as number[] | undefined) ?? []) }),
  sw_interface_set_mac_address: (ctx, m) =>
    ctx.reply({ retval: ctx.state.setMac(num(m, 'sw_if_index'), str(m, 'mac_address')) }),
  sw_interface_tag_add_del: (ctx, m) =>
    ctx.reply({ retval: ctx.state.setTag(num(m, 'sw_if_index'), bool(m, 'is_add'), str(m, 'tag')) }),
  sw_interface_set_unnumbered: (ctx, m) =>
    ctx.reply({
      retval: ctx.state.setUnnumbered(num(m, 'sw_if_index'), num(m, 'unnumbered_sw_if_index'), bool(m, 'is_add')),
    }),
  sw_interface_set_table: (ctx, m) =>
    ctx.reply({ retval: ctx.state.setTable(num(m, 'sw_if_index'), bool(m, 'is_ipv6'), num(m, 'vrf_id')) }),
  sw_interface_get_table: (ctx, m) => ctx.reply(ctx.state.getTable(num(m, 'sw_if_index'), bool(m, 'is_ipv6'))),
  sw_interface_dump: (ctx, m) => {
    const only = m.sw_if_index === undefined ? INDEX_INVALID : num(m, 'sw_if_index');
    const filter = bool(m, 'name_filter_valid') ? str(m, 'name_filter').toLowerCase() : '';
    for (const i of ctx.state.listInterfaces()) {
      if (only !== INDEX_INVALID && i.sw_if_index !== only) continue;
      if (filter && !i.interface_name.toLowerCase().includes(filter)) continue;
      ctx.details('sw_interface_details', interfaceDetails(ctx.state, i));
    }
  },
  tap_create_v3: (ctx, m) => {
    const mac = bool(m, 'use_random_mac') || !str(m, 'mac_address') ? randomMac(0x02, 0xfe) : str(m, 'mac_address');
    const opt = (flag: string, field: string, dflt: string): string => (bool(m, flag) ? str(m, field) || dflt : dflt);
    ctx.reply(
      ctx.state.createTap({
        id: m.id === undefined ? INDEX_INVALID : num(m, 'id'),
        mac,
        tag: str(m, 'tag'),
        tx_ring_sz: num(m, 'tx_ring_sz') || 256,
        rx_ring_sz: num(m, 'rx_ring_sz') || 256,
        host_mtu_size: bool(m, 'host_mtu_set') ? num(m, 'host_mtu_size') : 0,
        host_mac_addr: opt('host_mac_addr_set', 'host_mac_addr', '00:00:00:00:00:00'),
        host_ip4_prefix: opt('host_ip4_prefix_set', 'host_ip4_prefix', '0.0.0.0/0'),
        host_ip6_prefix: opt('host_ip6_prefix_set', 'host_ip6_prefix', '::/0'),
        tap_flags: num(m, 'tap_flags'),
        host_if_name: opt('host_if_name_set', 'host_if_name', ''),
        host_namespace: opt('host_namespace_set', 'host_namespace', ''),
        host_bridge: opt('host_bridge_set', 'host_bridge', ''),
      }),
    );
  },
  sw_interface_tap_v2_dump: (ctx, m) => {
    const only = m.sw_if_index === undefined ? INDEX_INVALID : num(m, 'sw_if_index');
    for (const i of ctx.state.listInterfaces()) {
      if (!i.tap || (only !== INDEX_INVALID && only !== i.sw_if_index)) continue;
      ctx.details('sw_interface_tap_v2_details', { sw_if_index: i.sw_if_index, dev_name: i.interface_name, ...i.tap });
    }
  },
  af_packet_dump: (ctx) => {
    for (const i of ctx.state.listInterfaces())
      if (i.kind === 'af_packet') ctx.details('af_packet_details', { sw_if_index: i.sw_if_index, host_if_name: i.hostIfName ?? '' });
  },
  sw_interface_get_mac_address: (ctx, m) => {
    const itf = ctx.state.interfaces.get(num(m, 'sw_if_index'));
    ctx.reply(itf ? { retval: 0, mac_address: itf.l2_address } : { retval: VNET_API_ERROR.INVALID_SW_IF_INDEX });
  },
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
  tap_delete_v2: (ctx, m) => ctx.reply({ retval: ctx.state.deleteTap(num(m, 'sw_if_index')) }),
  af_packet_create_v3: (ctx, m) => {
    const mac = bool(m, 'use_random_hw_addr') || !str(m, 'hw_addr') ? randomMac(0x02, 0xfe) : str(m, 'hw_addr');
    ctx.reply(ctx.state.createAfPacket(str(m, 'host_if_name'), mac));
  },
  af_packet_delete: (ctx, m) => ctx.reply({ retval: ctx.state.deleteAfPacket(str(m, 'host_if_name')) }),
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

  // ---- tunnels ----
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
  vxlan_add_del_tunnel_v3: (ctx, m) =>
    ctx.reply(
      ctx.state.addDelVxlan(m.is_add === undefined ? true : bool(m, 'is_add'), {
        instance: m.instance === undefined ? INDEX_INVALID : num(m, 'instance'),
        src_address: canonicalAddress(str(m, 'src_address') || '0.0.0.0'),
        dst_address: canonicalAddress(str(m, 'dst_address') || '0.0.0.0'),
        src_port: num(m, 'src_port'),
        dst_port: num(m, 'dst_port') || VXLAN_DEFAULT_DST_PORT,
        mcast_sw_if_index: num(m, 'mcast_sw_if_index'),
        encap_vrf_id: num(m, 'encap_vrf_id'),
        // VPP turns "no decap next" (~0) into l2-input (1).
        decap_next_index: m.decap_next_index === undefined || num(m, 'decap_next_index') === INDEX_INVALID ? 1 : num(m, 'decap_next_index'),
        vni: num(m, 'vni'),
        is_l3: bool(m, 'is_l3'),
      }),
    ),
  vxlan_tunnel_v2_dump: (ctx, m) => {
    const only = num(m, 'sw_if_index');
    for (const i of ctx.state.listInterfaces()) {
      if (!i.vxlan || (only !== INDEX_INVALID && only !== i.sw_if_index)) continue;
      const { is_l3: _l3, ...t } = i.vxlan;
      ctx.details('vxlan_tunnel_v2_details', { ...t, sw_if_index: i.sw_if_index });
    }
  },

  // ---- addresses ----
  sw_interface_add_del_address: (ctx, m) =>
    ctx.reply({
      retval: ctx.state.addDelAddress(num(m, 'sw_if_index'), bool(m, 'is_add'), bool(m, 'del_all'), str(m, 'prefix') || '0.0.0.0/0'),
    }),
  ip_address_dump: (ctx, m) => {
    const sw = num(m, 'sw_if_index');
    for (const a of ctx.state.addressesOf(sw, bool(m, 'is_ipv6'))) ctx.details('ip_address_details', { sw_if_index: sw, prefix: a });
  },
  ip_unnumbered_dump: (ctx, m) => {
    const only = m.sw_if_index === undefined ? INDEX_INVALID : num(m, 'sw_if_index');
    for (const i of ctx.state.listInterfaces()) {
      if (i.unnumberedTo === undefined || (only !== INDEX_INVALID && only !== i.sw_if_index)) continue;
      ctx.details('ip_unnumbered_details', { sw_if_index: i.sw_if_index, ip_sw_if_index: i.unnumberedTo });
    }
  },

  // ---- tables and routes ----
  ip_table_add_del: (ctx, m) => {
    const t = obj(m, 'table');
    ctx.reply({
      retval: ctx.state.addDelTable(m.is_add === undefined ? true : bool(m, 'is_add'), bool(t, 'is_ip6'), num(t, 'table_id'), str(t, 'name')),
    });
  },
  ip_table_dump: (ctx) => {
    const tables = [...ctx.state.tables.values()].sort((a, b) => Number(a.is_ip6) - Number(b.is_ip6));
    for (const t of tables) ctx.details('ip_table_details', { table: { table_id: t.table_id, is_ip6: t.is_ip6, name: t.name } });
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
  ip_route_add_del: (ctx, m) => {
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
  },
  ip_route_add_del_v2: (ctx, m) => {
    const r = obj(m, 'route');
    const src = num(r, 'src');
    if (src !== 0 && src !== FIB_SOURCE_ID.api) {
      // The fake keeps routes of the API source only.
      ctx.reply({ retval: VNET_API_ERROR.UNSUPPORTED, stats_index: INDEX_INVALID });
      return;
    }
    HANDLERS.ip_route_add_del?.(ctx, m);
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
    ctx.reply(res.entry ? { retval: 0, route: routeDetailsV2(ctx.state, tableId, res.entry) } : { retval: res.retval });
  },
  ip_table_add_del_v2: (ctx, m) => HANDLERS.ip_table_add_del?.(ctx, m),
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

  // ---- neighbours ----
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
    ctx.reply({ retval: ctx.state.neighborFlush(num(m, 'af') === 1, m.sw_if_index === undefined ? INDEX_INVALID : num(m, 'sw_if_index')) }),
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
        neighbor: { sw_if_index: n.sw_if_index, flags: n.flags, mac_address: n.mac_address, ip_address: n.ip_address },
      });
    }
  },

  // ---- path MTU ----
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

  // ---- punt ----
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

  // ---- cnat ----
  cnat_translation_update: (ctx, m) => {
    const t = obj(m, 'translation');
    const id = ctx.state.cnatTranslationUpdate({
      vip: endpointFromApi(obj(t, 'vip')),
      ip_proto: num(t, 'ip_proto'),
      is_real_ip: num(t, 'is_real_ip'),
      flags: num(t, 'flags'),
      lb_type: num(t, 'lb_type'),
      flow_hash_config: num(t, 'flow_hash_config'),
      paths: arr(t, 'paths').map((p) => ({
        dst_ep: endpointFromApi(obj(p, 'dst_ep')),
        src_ep: endpointFromApi(obj(p, 'src_ep')),
        flags: num(p, 'flags'),
      })),
    });
    ctx.reply({ retval: 0, id });
  },
  cnat_translation_del: (ctx, m) => ctx.reply({ retval: ctx.state.cnatTranslationDel(num(m, 'id')) }),
  cnat_translation_dump: (ctx) => {
    // VPP walks its translation pool in index order.
    for (const t of [...ctx.state.cnatTranslations.values()].sort((a, b) => a.id - b.id)) {
      ctx.details('cnat_translation_details', {
        translation: {
          vip: { ...t.vip },
          id: t.id,
          ip_proto: t.ip_proto,
          is_real_ip: 0,
          flags: 0,
          lb_type: t.lb_type,
          n_paths: t.paths.length,
          flow_hash_config: 0,
          paths: t.paths.map((p) => ({ dst_ep: { ...p.dst_ep }, src_ep: { ...p.src_ep }, flags: p.flags | CNAT_TRK_ACTIVE })),
        },
      });
    }
  },
  cnat_session_dump: () => {
    // No traffic flows through the fake, so there are never sessions.
  },
  cnat_set_snat_addresses: (ctx, m) => {
    const s = ctx.state.cnatSnat;
    s.snat_ip4 = canonicalAddress(str(m, 'snat_ip4') || '0.0.0.0');
    s.snat_ip6 = canonicalAddress(str(m, 'snat_ip6') || '::');
    s.sw_if_index = num(m, 'sw_if_index');
    ctx.reply({ retval: 0 });
  },
  // the fake keeps no FIB indexes: v2's fwd_fib_index/ret_fib_index are not modelled
  cnat_set_snat_addresses_v2: (ctx, m) => HANDLERS.cnat_set_snat_addresses?.(ctx, m),
  feature_cnat_enable_disable: (ctx, m) => {
    const sw = num(m, 'sw_if_index');
    if (!ctx.state.interfaces.has(sw)) {
      ctx.reply({ retval: VNET_API_ERROR.INVALID_SW_IF_INDEX });
      return;
    }
    if (bool(m, 'enable_disable')) ctx.state.cnatFeatureInterfaces.add(sw);
    else ctx.state.cnatFeatureInterfaces.delete(sw);
    ctx.reply({ retval: 0 });
  },
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
  cnat_get_snat_addresses: (ctx) => ctx.reply({ retval: 0, id: 0, ...ctx.state.cnatSnat }),
  cnat_set_snat_policy: (ctx, m) => {
    ctx.state.cnatSnatPolicy = num(m, 'policy');
    ctx.reply({ retval: 0 });
  },
  cnat_snat_policy_add_del_if: (ctx, m) => {
    const sw = num(m, 'sw_if_index');
    if (!ctx.state.interfaces.has(sw)) {
      ctx.reply({ retval: VNET_API_ERROR.INVALID_SW_IF_INDEX });
      return;
    }
    const table = num(m, 'table');
    const set = ctx.state.cnatSnatInterfaces.get(table) ?? new Set<number>();
    if (num(m, 'is_add')) set.add(sw);
    else set.delete(sw);
    ctx.state.cnatSnatInterfaces.set(table, set);
    ctx.reply({ retval: 0 });
  },
  cnat_snat_policy_add_del_exclude_pfx: (ctx, m) => {
    const pfx = formatPrefix(parsePrefix(str(m, 'prefix') || '0.0.0.0/0'));
    if (num(m, 'is_add')) ctx.state.cnatSnatExcluded.add(pfx);
    else ctx.state.cnatSnatExcluded.delete(pfx);
    ctx.reply({ retval: 0 });
  },

  // ---- npol ----
  npol_get_version: (ctx) => ctx.reply({ retval: 0, major: 0, minor: 0 }),
  npol_ipset_create: (ctx, m) => ctx.reply({ retval: 0, set_id: ctx.state.npolIpsetCreate(num(m, 'type')) }),
  npol_ipset_add_del_members: (ctx, m) =>
    ctx.reply({ retval: ctx.state.npolIpsetMembers(num(m, 'set_id'), bool(m, 'is_add'), arr(m, 'members')) }),
  npol_ipset_delete: (ctx, m) => ctx.reply({ retval: ctx.state.npolIpsetDelete(num(m, 'set_id')) }),
  npol_rule_create: (ctx, m) => ctx.reply({ retval: 0, rule_id: ctx.state.npolRuleUpdate(undefined, m.rule) }),
  npol_rule_update: (ctx, m) => {
    ctx.state.npolRuleUpdate(num(m, 'rule_id'), m.rule);
    ctx.reply({ retval: 0 });
  },
  npol_rule_delete: (ctx, m) => ctx.reply({ retval: ctx.state.npolRuleDelete(num(m, 'rule_id')) }),
  npol_policy_create: (ctx, m) =>
    ctx.reply({ retval: 0, policy_id: ctx.state.npolPolicyUpdate(undefined, policyItems(m)) }),
  npol_policy_update: (ctx, m) => {
    ctx.state.npolPolicyUpdate(num(m, 'policy_id'), policyItems(m));
    ctx.reply({ retval: 0 });
  },
  npol_policy_delete: (ctx, m) => ctx.reply({ retval: ctx.state.npolPolicyDelete(num(m, 'policy_id')) }),
  npol_configure_policies: (ctx, m) => {
    const ids = (m.policy_ids as number[] | undefined) ?? [];
    const nRx = num(m, 'num_rx_policies');
    const nTx = num(m, 'num_tx_policies');
    ctx.reply({
      retval: ctx.state.npolConfigurePolicies(num(m, 'sw_if_index'), {
        rxPolicies: ids.slice(0, nRx),
        txPolicies: ids.slice(nRx, nRx + nTx),
        profiles: ids.slice(nRx + nTx, num(m, 'total_ids')),
        invert_rx_tx: num(m, 'invert_rx_tx'),
        policy_default_rx: num(m, 'policy_default_rx'),
        policy_default_tx: num(m, 'policy_default_tx'),
        profile_default_rx: num(m, 'profile_default_rx'),
        profile_default_tx: num(m, 'profile_default_tx'),
      }),
    });
  },
};

function tableOp(ctx: HandlerContext, m: Msg, op: 'begin' | 'end' | 'flush'): void {
  const t = obj(m, 'table');
  ctx.reply({ retval: ctx.state.tableReplace(bool(t, 'is_ip6'), num(t, 'table_id'), op) });
}

function compareAddresses(a: string, b: string): number {
  const x = parseAddress(a);
  const y = parseAddress(b);
  return x.family - y.family || (x.value < y.value ? -1 : x.value > y.value ? 1 : 0);
}

function policyItems(m: Msg): { is_inbound: boolean; rule_id: number }[] {
  return arr(m, 'rules').map((r) => ({ is_inbound: bool(r, 'is_inbound'), rule_id: num(r, 'rule_id') }));
}

function randomMac(first: number, second: number): string {
  const b = [first, second, ...Array.from({ length: 4 }, () => Math.floor(Math.random() * 256))];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}
