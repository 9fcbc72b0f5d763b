/**
 * What the manager configures inside VPP, one function per step, in the order the issue and Calico/VPP
 * use: global tables and limits; the uplink (admin-up before its addresses, else VPP installs no
 * connected/glean routes), its Linux addresses and routes, the configured default gateways; VLAN
 * sub-interfaces; the host interface (unnumbered to the uplink, punt redirect to the host side's
 * 169.254.0.1 for v4 and v6, static neighbours, per-address routes, proxy-ARP and ND proxy); the host stack.
 */
import {
  create_fib_path,
  fib_path_type,
  if_status_flags,
  ip_neighbor_flags,
  ip_proto,
  punt_type,
  rx_mode,
  type fib_path,
  type VppApi,
  type VppClient,
} from '@vectorplane/vpp-binapi';
import type { InterfaceSnapshot } from '@vectorplane/netlink';
import { isLinkLocal, type UplinkCapture } from './capture.js';
import type { ManagerConfig, RxMode } from './config.js';
import type { UplinkDriver } from './drivers.js';
import { SetupError } from './errors.js';

export type Vpp = VppClient<VppApi>;

/** `~0`: no interface / any interface. */
export const INDEX_INVALID = 0xffffffff;

/** The MAC of VPP's side of the host interface (Calico/VPP's vppSideMac). */
export const VPP_SIDE_MAC = '02:ca:11:c0:fd:10';

const isV6 = (a: string): boolean => a.includes(':');

/** A complete `fib_path`: next hop `nh` (family decides the proto), interface, or a lookup in `lookupTable`. */
export function fibPath(p: { sw_if_index?: number; nh?: string; ip6?: boolean; lookupTable?: number }): fib_path {
  const ip6 = p.ip6 ?? (p.nh !== undefined && isV6(p.nh));
  const base = create_fib_path();
  return {
    ...base,
    sw_if_index: p.sw_if_index ?? INDEX_INVALID,
    table_id: p.lookupTable ?? 0,
    weight: 1,
    type: fib_path_type.FIB_API_PATH_TYPE_NORMAL,
    proto: ip6 ? 1 : 0,
    nh: {
      ...base.nh,
      address: p.nh === undefined ? (ip6 ? { ip6: '::' } : { ip4: '0.0.0.0' }) : ip6 ? { ip6: p.nh } : { ip4: p.nh },
    },
    n_labels: 0,
    label_stack: base.label_stack,
  };
}

/** Timing and naming of set-up steps: each failure becomes a SetupError naming the step. */
export class Steps {
  readonly timings: { step: string; ms: number }[] = [];
  constructor(private readonly signal?: AbortSignal) {}
  async run<T>(step: string, fn: () => Promise<T>): Promise<T> {
    this.signal?.throwIfAborted();
    const t0 = performance.now();
    try {
      return await fn();
    } catch (e) {
      if ((e as { name?: string }).name === 'SetupError') throw e;
      throw new SetupError(step, { cause: e });
    } finally {
      this.timings.push({ step, ms: performance.now() - t0 });
    }
  }
}

const RX: Record<RxMode, number> = {
  polling: rx_mode.RX_MODE_API_POLLING,
  interrupt: rx_mode.RX_MODE_API_INTERRUPT,
  adaptive: rx_mode.RX_MODE_API_ADAPTIVE,
};

/** Punt table and pod table (with a default route to table 0) for both families; neighbour limits. */
export async function setupGlobal(vpp: Vpp, config: ManagerConfig, steps: Steps): Promise<void> {
  for (const is_ip6 of [false, true]) {
    const fam = is_ip6 ? 'ip6' : 'ip4';
    await steps.run(`vrf punt ${fam}`, () =>
      vpp.call('ip_table_add_del', {
        is_add: true,
        table: { table_id: config.puntTableId, is_ip6, name: `punt-table-${fam}` },
      }),
    );
    await steps.run(`vrf pods ${fam}`, () =>
      vpp.call('ip_table_add_del', {
        is_add: true,
        table: { table_id: config.podTableId, is_ip6, name: `pods-${fam}` },
      }),
    );
    await steps.run(`vrf pods ${fam} default via table 0`, () =>
      vpp.call('ip_route_add_del', {
        is_add: true,
        route: {
          stats_index: 0,
          table_id: config.podTableId,
          prefix: is_ip6 ? '::/0' : '0.0.0.0/0',
          paths: [fibPath({ ip6: is_ip6, lookupTable: 0 })],
        },
      }),
    );
  }
  const n = config.neighbors;
  await steps.run('neighbour limits ip4', () =>
    vpp.call('ip_neighbor_config', { af: 0, max_number: n.ip4MaxNumber, max_age: n.ip4MaxAge, recycle: true }),
  );
  await steps.run('neighbour limits ip6', () =>
    vpp.call('ip_neighbor_config', { af: 1, max_number: n.ip6MaxNumber, max_age: n.ip6MaxAge, recycle: true }),
  );
}

/** Finds an interface by name (for drivers whose interface comes from startup.conf). */
export async function findInterface(vpp: Vpp, name: string): Promise<number | undefined> {
  for await (const i of vpp.dump('sw_interface_dump', {
    sw_if_index: INDEX_INVALID,
    name_filter_valid: true,
    name_filter: name,
  })) {
    if (i.interface_name === name) return i.sw_if_index;
  }
  return undefined;
}

/** Every interface VPP has: sw_if_index → name. */
export async function interfaceNames(vpp: Vpp): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for await (const i of vpp.dump('sw_interface_dump', {
    sw_if_index: INDEX_INVALID,
    name_filter_valid: false,
    name_filter: '',
  }))
    out.set(i.sw_if_index, i.interface_name);
  return out;
}

/**
 * Deletes what a refused driver attempt left in VPP: the interfaces that are not in `known` (taken before
 * the attempt), e.g. from a create VPP carried out but answered too late. Returns their names; an interface
 * the driver has no delete message for (dpdk) is logged and left. Meant for the take-over, when the VPP the
 * manager just spawned has no other client that could be creating interfaces at the same time.
 * @throws SetupError naming the interface when VPP refuses to delete it
 */
export async function removeDriverLeftovers(
  vpp: Vpp,
  driver: UplinkDriver,
  uplink: Pick<UplinkCapture, 'name'>,
  known: ReadonlyMap<number, string>,
  steps: Steps,
  logger?: { warn?(fields: Record<string, unknown>, msg?: string): void },
): Promise<string[]> {
  const removed: string[] = [];
  for (const [sw, name] of await interfaceNames(vpp)) {
    if (known.has(sw)) continue;
    const req = driver.deleteRequest(sw, uplink);
    if (!req) {
      logger?.warn?.({ driver: driver.name, sw_if_index: sw, name }, 'vpp-manager: cannot delete a leftover');
      continue;
    }
    await steps.run(`remove ${name} (${driver.name} refused)`, () =>
      (vpp.call as (n: string, f: unknown) => Promise<unknown>)(req.message, req.fields),
    );
    removed.push(name);
  }
  return removed;
}

/** Creates VPP's uplink interface with `driver`. */
export async function createUplinkInterface(
  vpp: Vpp,
  driver: UplinkDriver,
  config: ManagerConfig,
  uplink: UplinkCapture,
): Promise<number> {
  const req = driver.createRequest(config, uplink);
  if (!req) {
    const sw = await findInterface(vpp, driver.vppInterfaceName(uplink));
    if (sw === undefined)
      throw new Error(`VPP has no interface ${driver.vppInterfaceName(uplink)} (from startup.conf)`);
    return sw;
  }
  const reply = (await (vpp.call as (n: string, f: unknown) => Promise<{ sw_if_index: number }>)(
    req.message,
    req.fields,
  )) as { sw_if_index: number };
  return reply.sw_if_index;
}

/** Linux routes that belong in VPP's table 0: main-table unicast routes that are not the kernel's own. */
export function replayableRoutes(snap: InterfaceSnapshot): InterfaceSnapshot['routes'] {
  return snap.routes.filter(
    (r) =>
      (r.table === undefined || r.table === 'main' || r.table === 254) &&
      (r.type === undefined || r.type === 'unicast') &&
      r.protocol !== 'kernel',
  );
}

/** The VPP prefix of a Linux route destination (`default` becomes `0.0.0.0/0` or `::/0`). */
export function vppPrefix(dst: string, family: string | undefined): string {
  if (dst === 'default') return family === 'inet6' ? '::/0' : '0.0.0.0/0';
  if (dst.includes('/')) return dst;
  return `${dst}/${isV6(dst) ? 128 : 32}`;
}

/**
 * Configures the uplink in VPP: MTU, rx mode, admin-up, IPv6, then its addresses (link-local as VPP's
 * link-local), its Linux routes and the configured default gateways.
 */
export async function configureUplink(
  vpp: Vpp,
  sw_if_index: number,
  driver: UplinkDriver,
  config: ManagerConfig,
  uplink: UplinkCapture,
  steps: Steps,
): Promise<void> {
  const mtu = config.uplink.mtu ?? uplink.mtu;
  await steps.run('uplink mtu', () => vpp.call('sw_interface_set_mtu', { sw_if_index, mtu: [mtu, 0, 0, 0] }));
  if (config.uplink.afPacket.gso && driver.name === 'af_packet') {
    await steps.run('uplink gso', () => vpp.call('feature_gso_enable_disable', { sw_if_index, enable_disable: true }));
  }
  const mode = config.uplink.rxMode ?? driver.defaultRxMode;
  await steps.run('uplink rx mode', () =>
    vpp
      .call('sw_interface_set_rx_mode', { sw_if_index, queue_id_valid: false, queue_id: 0, mode: RX[mode] })
      .catch((e: unknown) => {
        // af_packet refuses adaptive; VPP keeps its default then (as Calico/VPP, a warning only)
        if ((e as { name?: string }).name !== 'VppApiError') throw e;
      }),
  );
  await steps.run('uplink admin up', () =>
    vpp.call('sw_interface_set_flags', { sw_if_index, flags: if_status_flags.IF_STATUS_API_FLAG_ADMIN_UP }),
  );
  // Services: cnat's per-interface features on the uplink (cnat-input/lookup on ip4/ip6-unicast, output and
  // writeback on ip4/ip6-output), as Calico/VPP's vpp-manager sets them; VPP 26.06 also translates VIPs and
  // return sessions through FIB entries it interposes, which need no feature
  await steps.run('uplink cnat', () => vpp.call('feature_cnat_enable_disable', { sw_if_index, enable_disable: true }));
  const hasV6 = uplink.snapshot.addresses.some((a) => isV6(a.address));
  if (hasV6)
    await steps.run('uplink ip6 enable', () =>
      vpp.call('sw_interface_ip6_enable_disable', { sw_if_index, enable: true }),
    );
  for (const a of uplink.snapshot.addresses) {
    if (isLinkLocal(a.address)) {
      const ip = a.address.split('/')[0]!;
      await steps.run(`uplink link-local ${ip}`, () =>
        vpp.call('sw_interface_ip6_set_link_local_address', { sw_if_index, ip }),
      );
      continue;
    }
    await steps.run(`uplink address ${a.address}`, () =>
      vpp.call('sw_interface_add_del_address', { sw_if_index, is_add: true, del_all: false, prefix: a.address }),
    );
  }
  for (const r of replayableRoutes(uplink.snapshot)) {
    const prefix = vppPrefix(r.dst, r.family);
    const hops = r.multipath?.map((h) => h.gateway) ?? [r.gateway];
    const paths = hops.map((gw) =>
      fibPath({ sw_if_index, ...(gw !== undefined ? { nh: gw } : { ip6: isV6(prefix) }) }),
    );
    await steps.run(`uplink route ${prefix}`, () =>
      vpp.call('ip_route_add_del', {
        is_add: true,
        is_multipath: false,
        route: { stats_index: 0, table_id: 0, prefix, paths },
      }),
    );
  }
  for (const gw of config.defaultGateways) {
    const prefix = isV6(gw) ? '::/0' : '0.0.0.0/0';
    await steps.run(`default gateway ${gw}`, () =>
      vpp.call('ip_route_add_del', {
        is_add: true,
        is_multipath: true,
        route: { stats_index: 0, table_id: 0, prefix, paths: [fibPath({ sw_if_index, nh: gw })] },
      }),
    );
  }
}

/** VLAN sub-interfaces on the uplink, each admin-up with its address. */
export async function createVlans(
  vpp: Vpp,
  uplinkSw: number,
  config: ManagerConfig,
  steps: Steps,
): Promise<{ id: number; sw_if_index: number }[]> {
  const out: { id: number; sw_if_index: number }[] = [];
  for (const v of config.uplink.vlans) {
    const { sw_if_index } = await steps.run(`vlan ${v.id}`, () =>
      vpp.call('create_vlan_subif', { sw_if_index: uplinkSw, vlan_id: v.id }),
    );
    await steps.run(`vlan ${v.id} admin up`, () =>
      vpp.call('sw_interface_set_flags', { sw_if_index, flags: if_status_flags.IF_STATUS_API_FLAG_ADMIN_UP }),
    );
    if (isV6(v.address))
      await steps.run(`vlan ${v.id} ip6 enable`, () =>
        vpp.call('sw_interface_ip6_enable_disable', { sw_if_index, enable: true }),
      );
    await steps.run(`vlan ${v.id} address ${v.address}`, () =>
      vpp.call('sw_interface_add_del_address', { sw_if_index, is_add: true, del_all: false, prefix: v.address }),
    );
    out.push({ id: v.id, sw_if_index });
  }
  return out;
}

/** IPv4 address text → number. */
export function ip4ToInt(a: string): number {
  return a.split('.').reduce((n, o) => ((n << 8) | Number(o)) >>> 0, 0);
}
export function intToIp4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The range `low`–`hi` of an IPv4 prefix (for proxy-ARP). */
export function ip4Range(prefix: string): { low: string; hi: string } {
  const [a, l] = prefix.split('/');
  const len = Number(l ?? 32);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const net = (ip4ToInt(a!) & mask) >>> 0;
  return { low: intToIp4(net), hi: intToIp4((net | (~mask >>> 0)) >>> 0) };
}

/**
 * VPP's side of the host interface: admin-up, unnumbered to the uplink, IPv6, static neighbours for the
 * host side's addresses (169.254.0.1 and its v6 twin: the uplink's MAC), punt redirect of traffic to the
 * node's own addresses (rx any) via them, the punt table's routes and per-address routes, L4 punt,
 * proxy-ARP for the uplink's subnets and ND proxy for its v6 addresses.
 */
export async function configureHostInterface(
  vpp: Vpp,
  hostSw: number,
  uplinkSw: number,
  config: ManagerConfig,
  uplink: UplinkCapture,
  steps: Steps,
): Promise<void> {
  const hostMac = uplink.mac ?? '00:00:00:00:00:00';
  const addrs = uplink.snapshot.addresses.filter((a) => !isLinkLocal(a.address)).map((a) => a.address);
  const families = [false, true].filter((v6) => addrs.some((a) => isV6(a) === v6));
  await steps.run('host interface admin up', () =>
    vpp.call('sw_interface_set_flags', { sw_if_index: hostSw, flags: if_status_flags.IF_STATUS_API_FLAG_ADMIN_UP }),
  );
  await steps.run('host interface unnumbered', () =>
    vpp.call('sw_interface_set_unnumbered', { sw_if_index: uplinkSw, unnumbered_sw_if_index: hostSw, is_add: true }),
  );
  // the host's own traffic to Service IPs enters VPP here: cnat's features on it too (Calico/VPP: vpptap0)
  await steps.run('host interface cnat', () =>
    vpp.call('feature_cnat_enable_disable', { sw_if_index: hostSw, enable_disable: true }),
  );
  if (families.includes(true))
    await steps.run('host interface ip6 enable', () =>
      vpp.call('sw_interface_ip6_enable_disable', { sw_if_index: hostSw, enable: true }),
    );
  for (const v6 of families) {
    const fam = v6 ? 'ip6' : 'ip4';
    const nh = v6 ? config.tap0Address.ip6 : config.tap0Address.ip4;
    await steps.run(`host neighbour ${nh}`, () =>
      vpp.call('ip_neighbor_add_del', {
        is_add: true,
        neighbor: {
          sw_if_index: hostSw,
          flags: ip_neighbor_flags.IP_API_NEIGHBOR_FLAG_STATIC,
          mac_address: hostMac,
          ip_address: nh,
        },
      }),
    );
    await steps.run(`punt redirect ${fam}`, () =>
      vpp.call('add_del_ip_punt_redirect_v2', {
        is_add: true,
        punt: { rx_sw_if_index: INDEX_INVALID, af: v6 ? 1 : 0, paths: [fibPath({ sw_if_index: hostSw, nh })] },
      }),
    );
    await steps.run(`punt table ${fam} default`, () =>
      vpp.call('ip_route_add_del', {
        is_add: true,
        route: {
          stats_index: 0,
          table_id: config.puntTableId,
          prefix: v6 ? '::/0' : '0.0.0.0/0',
          paths: [fibPath({ sw_if_index: hostSw, nh })],
        },
      }),
    );
    for (const a of addrs.filter((x) => isV6(x) === v6)) {
      const host = `${a.split('/')[0]}/${v6 ? 128 : 32}`;
      await steps.run(`punt table route ${host}`, () =>
        vpp.call('ip_route_add_del', {
          is_add: true,
          route: {
            stats_index: 0,
            table_id: config.puntTableId,
            prefix: host,
            paths: [fibPath({ sw_if_index: hostSw, nh })],
          },
        }),
      );
    }
    for (const proto of [ip_proto.IP_API_PROTO_TCP, ip_proto.IP_API_PROTO_UDP]) {
      await steps.run(`set punt ${fam} ${proto === ip_proto.IP_API_PROTO_TCP ? 'tcp' : 'udp'}`, () =>
        vpp.call('set_punt', {
          is_add: true,
          punt: { type: punt_type.PUNT_API_TYPE_L4, punt: { l4: { af: v6 ? 1 : 0, protocol: proto, port: 0xffff } } },
        }),
      );
    }
  }
  if (families.includes(false)) {
    await steps.run('proxy arp on host interface', () =>
      vpp.call('proxy_arp_intfc_enable_disable', { sw_if_index: hostSw, enable: true }),
    );
    for (const a of addrs.filter((x) => !isV6(x))) {
      const r = ip4Range(a);
      await steps.run(`proxy arp ${r.low}-${r.hi}`, () =>
        vpp.call('proxy_arp_add_del', { is_add: true, proxy: { table_id: 0, ...r } }),
      );
    }
  }
  for (const a of addrs.filter(isV6)) {
    const ip = a.split('/')[0]!;
    await steps.run(`nd proxy ${ip}`, () => vpp.call('ip6nd_proxy_add_del', { sw_if_index: hostSw, is_add: true, ip }));
  }
}

/** VPP's host stack and its static HTTP server (the vpp-server seed). */
export async function enableHostStack(vpp: Vpp, config: ManagerConfig, steps: Steps): Promise<void> {
  const h = config.hostStack?.httpStatic;
  if (!h) return;
  await steps.run('session enable', () => vpp.call('session_enable_disable', { is_enable: true }));
  await steps.run('http static', () =>
    vpp.call('http_static_enable_v5', {
      www_root: h.wwwRoot,
      uri: h.uri,
      cache_size_limit: h.cacheSize,
      fifo_size: h.fifoSize,
      max_age: 600,
      keepalive_timeout: 60,
      max_body_size: 8192n,
      rx_buff_thresh: 1 << 20,
      prealloc_fifos: 0,
      private_segment_size: 0,
    }),
  );
}
