import {
  FIB_PATH_NH_PROTO_IP4,
  FIB_PATH_NH_PROTO_IP6,
  FIB_PATH_TYPE_DROP,
  FIB_PATH_TYPE_LOCAL,
  FIB_PATH_TYPE_NORMAL,
  INDEX_INVALID,
  INTERFACE_DEFAULTS,
  IP_NEIGHBOR_FLAG_NO_FIB_ENTRY,
  VNET_API_ERROR,
} from './constants.js';
import {
  type Family,
  type ParsedPrefix,
  bits,
  broadcastOf,
  canonicalAddress,
  canonicalPrefix,
  formatAddress,
  formatPrefix,
  linkLocalFromMac,
  networkOf,
  networkPrefix,
  parsePrefix,
  prefixContains,
  prefixesOverlap,
} from './ip.js';
import { IndexPool, InstanceSet } from './pool.js';
import { FakeAclState } from './plugins/acl.js';
import { FakeDevicesState } from './plugins/devices.js';
import { FakeMemifState } from './plugins/memif.js';
import { FakeNodeGraph } from './plugins/vlib.js';
import { FakeWireguardState } from './plugins/wireguard.js';
import { FakeNpolStore, type FakeNpolEvaluation, evaluateNpol } from './plugins/npol.js';
import { FakeCnatStore } from './plugins/cnat.js';
import type { FakePacket } from './plugins/packet.js';
import type { FakeAclVerdict } from './plugins/acl.js';

/** What {@link FakeVppState.evaluate} decided for a packet. */
export interface FakePolicyVerdict {
  /** True when the packet gets through every policy that applies on its interface and direction. */
  readonly allowed: boolean;
  /** The ACL plugin's decision (`'no-acl'` when the interface has no list in that direction). */
  readonly acl: FakeAclVerdict;
  /** npol's decision, or undefined when npol does not enforce (VPP 26.06; see `npolEnforces`). */
  readonly npol: FakeNpolEvaluation | undefined;
}

export type InterfaceKind =
  | 'local'
  | 'loopback'
  | 'tap'
  | 'af_packet'
  | 'sub'
  | 'ipip'
  | 'vxlan'
  | 'memif'
  | 'wireguard'
  | 'af_xdp'
  | 'rdma'
  | 'vmxnet3'
  | 'virtio';

export interface FakeSubInterface {
  id: number;
  numberOfTags: number;
  outerVlanId: number;
  innerVlanId: number;
  flags: number;
}

export interface FakeIpipTunnel {
  instance: number;
  src: string;
  dst: string;
  table_id: number;
  flags: number;
  mode: number;
  dscp: number;
}

/** What `sw_interface_tap_v2_details` reports about a tap. */
export interface FakeTap {
  id: number;
  tx_ring_sz: number;
  rx_ring_sz: number;
  host_mtu_size: number;
  host_mac_addr: string;
  host_ip4_prefix: string;
  host_ip6_prefix: string;
  tap_flags: number;
  host_if_name: string;
  host_namespace: string;
  host_bridge: string;
}

export interface FakeVxlanTunnel {
  instance: number;
  src_address: string;
  dst_address: string;
  src_port: number;
  dst_port: number;
  mcast_sw_if_index: number;
  encap_vrf_id: number;
  decap_next_index: number;
  vni: number;
  is_l3: boolean;
}

/** One interface as the fake holds it. Field names follow `sw_interface_details` where they map 1:1. */
export interface FakeInterface {
  readonly sw_if_index: number;
  readonly kind: InterfaceKind;
  readonly interface_name: string;
  readonly interface_dev_type: string;
  /** Loopback/tap/ipip/vxlan instance number, sub-interface id, or 0. */
  readonly instance: number;
  readonly sup_sw_if_index: number;
  l2_address: string;
  adminUp: boolean;
  linkUp: boolean;
  link_mtu: number;
  mtu: number[];
  tag: string;
  ip4TableId: number;
  ip6TableId: number;
  /** When unnumbered: the interface whose addresses it borrows. */
  unnumberedTo?: number;
  /** Addresses in the order added, as `'10.0.0.1/24'` / `'fd00::1/64'`. */
  addresses: string[];
  /** IPv6 link-local address once IPv6 is enabled on the interface. */
  linkLocal?: string;
  sub?: FakeSubInterface;
  hostIfName?: string;
  tap?: FakeTap;
  ipip?: FakeIpipTunnel;
  vxlan?: FakeVxlanTunnel;
  /** Receive queues (0 for interfaces without any, like loopbacks and tunnels). */
  rxQueues?: number;
  /** `sw_interface_set_rx_mode` per queue (`rx_mode`: 1 polling, 2 interrupt, 3 adaptive). */
  rxModes?: number[];
  /** `feature_gso_enable_disable`. */
  gso?: boolean;
  /** Plugin-specific facts (memif socket/id, af_xdp host interface, PCI address, …). */
  plugin?: Record<string, unknown>;
}

/** A FIB path, normalised: `nh` is the next-hop address text of the path's protocol. */
export interface FakePath {
  sw_if_index: number;
  table_id: number;
  rpf_id: number;
  weight: number;
  preference: number;
  type: number;
  flags: number;
  proto: number;
  nh: string;
  via_label: number;
  obj_id: number;
  classify_table_index: number;
  n_labels: number;
  label_stack: unknown[];
}

/** Who put a path on a FIB entry, best first (VPP's FIB source priorities). */
export type FibSource = 'special' | 'interface' | 'api' | 'adj' | 'default';
const SOURCE_ORDER: readonly FibSource[] = ['special', 'interface', 'api', 'adj', 'default'];

export interface FakeFibEntry {
  readonly prefix: string;
  readonly parsed: ParsedPrefix;
  readonly stats_index: number;
  readonly sources: Map<FibSource, FakePath[]>;
  /** Marked by `ip_table_replace_begin`; an add clears it, `ip_table_replace_end` removes what is left. */
  stale?: boolean;
}

export interface FakeFibTable {
  readonly table_id: number;
  readonly is_ip6: boolean;
  name: string;
  /** Locked by ip_table_add_del. */
  apiLocked: boolean;
  /** Interfaces bound to the table. */
  interfaceLocks: number;
  /** Entries by canonical prefix, in creation order. */
  readonly entries: Map<string, FakeFibEntry>;
}

export interface FakeNeighbor {
  sw_if_index: number;
  flags: number;
  mac_address: string;
  ip_address: string;
  stats_index: number;
}

export interface FakePuntRedirect {
  rx_sw_if_index: number;
  af: number;
  paths: FakePath[];
}

export interface FakeCnatEndpoint {
  addr: string;
  sw_if_index: number;
  if_af: number;
  port: number;
}

export interface FakeCnatTranslation {
  id: number;
  vip: FakeCnatEndpoint;
  ip_proto: number;
  is_real_ip: number;
  flags: number;
  lb_type: number;
  flow_hash_config: number;
  paths: { dst_ep: FakeCnatEndpoint; src_ep: FakeCnatEndpoint; flags: number }[];
}

export interface FakeNpolInterfaceConfig {
  rxPolicies: number[];
  txPolicies: number[];
  profiles: number[];
  invert_rx_tx: number;
  policy_default_rx: number;
  policy_default_tx: number;
  profile_default_rx: number;
  profile_default_tx: number;
}

/** Everything npol holds: objects as received (the API has no dumps; tests read them here). */
export interface FakeNpolState {
  readonly ipsets: Map<number, { type: number; members: unknown[] }>;
  readonly rules: Map<number, unknown>;
  readonly policies: Map<number, { is_inbound: boolean; rule_id: number }[]>;
  readonly interfaces: Map<number, FakeNpolInterfaceConfig>;
}

/** Called when an interface's flags change or it is deleted (drives `sw_interface_event`). */
export type InterfaceEventListener = (ev: { sw_if_index: number; flags: number; deleted: boolean }) => void;

export interface FakeVppStateInit {
  /** `tap_create_v3` result: `'fail'` (default) answers -11 like a kernel without vhost-net. */
  readonly tap?: 'fail' | 'succeed';
  /**
   * Details per page of a `_get` with cursor (`ip_path_mtu_get`) before VPP's EAGAIN (-165) and the
   * cursor to go on from. VPP has no page size: REPLY_AND_DETAILS_MACRO (vlibapi/api_helper_macros.h)
   * stops when vl_api_process_may_suspend (vlibmemory/api.h) says the handler has run for more than
   * VL_API_MAX_TIME_IN_HANDLER (1 ms), so a real page holds whatever fitted in 1 ms. The fake counts
   * instead, to make paging deterministic. Default 64.
   */
  readonly getPageSize?: number;
  /**
   * Host interfaces `af_packet_create_v3` can bind to: `'any'` (default) accepts every name, a list
   * accepts those names only (others fail with -71 like a missing netdev).
   */
  readonly hostInterfaces?: 'any' | readonly string[];
  /** Whether npol bindings filter traffic in {@link FakeVppState.evaluate} (VPP 26.06's npol has no datapath: default false). */
  readonly npolEnforces?: boolean;
}

/** A path MTU entry (`ip_path_mtu_update`), at its index in VPP's `ip_pmtu_pool`. */
export interface FakePathMtu {
  readonly table_id: number;
  readonly nh: string;
  path_mtu: number;
}

/** `tap_flags` TAP_FLAG_TUN (tap.h). */
const TAP_FLAG_TUN = 1 << 4;

function tableKey(isIp6: boolean, tableId: number): string {
  return `${isIp6 ? 6 : 4}:${tableId}`;
}

/** The set at `key`, made when missing. */
function setOf<K, V>(m: Map<K, Set<V>>, key: K): Set<V> {
  let set = m.get(key);
  if (!set) {
    set = new Set();
    m.set(key, set);
  }
  return set;
}

function samePath(a: FakePath, b: FakePath): boolean {
  return (
    a.type === b.type &&
    a.proto === b.proto &&
    a.sw_if_index === b.sw_if_index &&
    a.nh === b.nh &&
    a.table_id === b.table_id &&
    a.flags === b.flags &&
    a.weight === b.weight &&
    a.preference === b.preference
  );
}

function drop(family: Family): FakePath {
  return makePath({ type: FIB_PATH_TYPE_DROP, proto: family === 6 ? FIB_PATH_NH_PROTO_IP6 : FIB_PATH_NH_PROTO_IP4 });
}

/**
 * The entries a new FIB table starts with (fib_table_create_and_lock): IPv4 the default route (drop) and
 * the special drops for 0.0.0.0/32, 240/4, 224/4 and the broadcast; IPv6 the default route (drop) and
 * the link-local prefix (local). In creation order.
 */
const TABLE_ENTRIES_4: readonly { prefix: string; parsed: ParsedPrefix; source: FibSource; path: () => FakePath }[] = [
  ['0.0.0.0/0', 'default'],
  ['0.0.0.0/32', 'special'],
  ['240.0.0.0/4', 'special'],
  ['224.0.0.0/4', 'special'],
  ['255.255.255.255/32', 'special'],
].map(([p, source]) => ({
  prefix: canonicalPrefix(p!),
  parsed: networkPrefix(p!),
  source: source as FibSource,
  path: () => drop(4),
}));
const TABLE_ENTRIES_6: readonly { prefix: string; parsed: ParsedPrefix; source: FibSource; path: () => FakePath }[] = [
  { prefix: '::/0', source: 'default' as const, path: () => drop(6) },
  {
    prefix: 'fe80::/10',
    source: 'special' as const,
    path: () => makePath({ type: FIB_PATH_TYPE_LOCAL, proto: 1 }),
  },
].map((d) => ({ ...d, prefix: canonicalPrefix(d.prefix), parsed: networkPrefix(d.prefix) }));

/** A complete path from a partial one, with VPP's defaults (weight 1, no interface). */
export function makePath(p: Partial<FakePath>): FakePath {
  const proto = p.proto ?? FIB_PATH_NH_PROTO_IP4;
  return {
    sw_if_index: p.sw_if_index ?? INDEX_INVALID,
    table_id: p.table_id ?? 0,
    rpf_id: p.rpf_id ?? 0,
    weight: p.weight || 1,
    preference: p.preference ?? 0,
    type: p.type ?? FIB_PATH_TYPE_NORMAL,
    flags: p.flags ?? 0,
    proto,
    nh: p.nh ?? (proto === FIB_PATH_NH_PROTO_IP6 ? '::' : '0.0.0.0'),
    via_label: p.via_label ?? 0,
    obj_id: p.obj_id ?? 0,
    classify_table_index: p.classify_table_index ?? 0,
    n_labels: p.n_labels ?? 0,
    label_stack: p.label_stack ?? [],
  };
}

/**
 * The fake VPP's state: interfaces, FIBs, neighbours, punt redirects, cnat and npol. Methods carry VPP's
 * semantics and return VPP's retvals; tests read the public maps directly.
 */
export class FakeVppState {
  readonly interfaces = new Map<number, FakeInterface>();
  readonly tables = new Map<string, FakeFibTable>();
  readonly neighbors = new Map<string, FakeNeighbor>();
  readonly puntRedirects = new Map<string, FakePuntRedirect>();
  /** cnat plugin: translations, SNAT entry and policy, cnat-enabled interfaces. */
  readonly cnat = new FakeCnatStore();
  /** `cnat_translation_update` translations by id (same map as `cnat.translations`). */
  get cnatTranslations(): Map<number, FakeCnatTranslation> {
    return this.cnat.translations;
  }
  /** The default SNAT entry's addresses (`cnat.snat`). */
  get cnatSnat(): { snat_ip4: string; snat_ip6: string; sw_if_index: number } {
    return this.cnat.snat;
  }
  /** Whether cnat's default SNAT policy entry exists (`cnat_set_snat_addresses` with something set). */
  get cnatSnatSet(): boolean {
    return this.cnat.snatSet;
  }
  set cnatSnatSet(v: boolean) {
    this.cnat.snatSet = v;
  }
  get cnatSnatExcluded(): Set<string> {
    return this.cnat.snatExcluded;
  }
  /** `cnat_snat_policy_add_del_if`: interfaces per policy table (`cnat_snat_policy_table`). */
  get cnatSnatInterfaces(): Map<number, Set<number>> {
    return this.cnat.snatInterfaces;
  }
  /** `cnat_set_snat_policy` (`cnat_snat_policies`), 0 until set. */
  get cnatSnatPolicy(): number {
    return this.cnat.snatPolicy;
  }
  set cnatSnatPolicy(v: number) {
    this.cnat.snatPolicy = v;
  }
  /** Interfaces with `feature_cnat_enable_disable` on. */
  get cnatFeatureInterfaces(): Set<number> {
    return this.cnat.featureInterfaces;
  }
  /** `feature_enable_disable`: `'<arc>/<feature>'` names enabled, by interface. */
  readonly features = new Map<number, Set<string>>();
  /** `set_ip_flow_hash_v2`/`_v3` by table (`'ip4:0'`). */
  readonly flowHash = new Map<string, number>();
  /** npol plugin: ipsets, rules, policies and interface bindings as received, and its evaluator. */
  readonly npol = new FakeNpolStore();
  /** ACL plugin: ACLs, interface lists, reflect sessions, and the packet evaluator (`state.acl.evaluate`). */
  readonly acl = new FakeAclState();
  /** memif plugin: socket files and interfaces. */
  readonly memif = new FakeMemifState();
  /** wireguard plugin: interfaces' keys and peers. */
  readonly wireguard = new FakeWireguardState();
  /** Host devices the uplink drivers (af_xdp, rdma, virtio-pci, vmxnet3) can take; none by default. */
  readonly devices = new FakeDevicesState();
  /** vlib's node graph as far as `add_node_next` / `get_node_index` / `get_next_index` need it. */
  readonly nodes = new FakeNodeGraph();
  /** urpf plugin: `urpf_cfgs[af][dir][sw_if_index]`, keyed `'<sw>|<af>|<rx|tx>'`. */
  readonly urpf = new Map<
    string,
    { sw_if_index: number; af: number; is_input: boolean; mode: number; table_id: number; custom: boolean }
  >();
  /** The punt socket startup.conf configured (`punt { socket <path> }`), if any; none by default, as in VPP. */
  puntSocket: string | undefined;
  /** `punt_socket_register` registrations by punt (JSON), with the client's socket path. */
  readonly puntSockets = new Map<string, { punt: Record<string, unknown>; pathname: string }>();
  /** `set_punt` registrations (`'l4:<af>:<proto>:<port>'`, `'exception:<id>'`). */
  readonly punts = new Set<string>();
  /** arp: `proxy_arp_add_del` ranges in order, and interfaces with proxy ARP on. */
  readonly proxyArp = { ranges: [] as { table_id: number; low: string; hi: string }[], interfaces: new Set<number>() };
  /** ip6-nd: `ip6nd_proxy_add_del` entries and interfaces with ND proxy on. */
  readonly ip6ndProxy = { entries: [] as { sw_if_index: number; ip: string }[], interfaces: new Set<number>() };
  /** ip-neighbor: `ip_neighbor_config` per family (ip_neighbor.c defaults). */
  readonly neighborConfig = {
    ip4: { max_number: 50000, max_age: 0, recycle: false },
    ip6: { max_number: 50000, max_age: 0, recycle: false },
  };
  /** session layer: `session_enable_disable(_v2)`; `rt_engine_type` 0 means disabled. */
  readonly session = { enabled: false, rt_engine_type: 0 };
  /** http_static: the default listener once `http_static_enable_v5` succeeded. */
  httpStatic: { www_root: string; uri: string } | undefined;
  /** Host interfaces af_packet can bind to (see {@link FakeVppStateInit.hostInterfaces}). */
  hostInterfaces: 'any' | Set<string>;
  /** Whether {@link evaluate} applies npol (false, like VPP 26.06). */
  npolEnforces: boolean;
  /** `tap_create_v3` behaviour; tests may flip it at run time. */
  tap: 'fail' | 'succeed';

  private readonly swIfIndexes = new IndexPool(0);
  private readonly loopbackInstances = new InstanceSet();
  private readonly ipipInstances = new InstanceSet();
  private readonly vxlanInstances = new InstanceSet();
  private readonly tapInstances = new InstanceSet();
  private nextStatsIndex = 1;
  private nextAdjIndex = 5;
  private listener: InterfaceEventListener | undefined;

  // Indexes over the public maps, kept by the methods that change those maps (the maps are for reading):
  // they spare the scans of every interface, neighbour or table that requests would otherwise cost.
  /** `tables` by family and table id. */
  readonly #tables4 = new Map<number, FakeFibTable>();
  readonly #tables6 = new Map<number, FakeFibTable>();
  /** Sub-interfaces by parent sw_if_index, in creation order. */
  readonly #subs = new Map<number, Set<FakeInterface>>();
  /** Unnumbered interfaces by the interface they borrow from. */
  readonly #borrowers = new Map<number, Set<FakeInterface>>();
  /** `neighbors` keys by sw_if_index, in insertion order. */
  readonly #neighborKeys = new Map<number, Set<string>>();
  /** af_packet interfaces by host interface name. */
  readonly #afPackets = new Map<string, FakeInterface>();

  /** `ip_pmtu_pool`: path MTU entries by pool index (holes are free indexes). */
  readonly pathMtus: (FakePathMtu | undefined)[] = [];
  readonly #pathMtuIndexes = new IndexPool();
  readonly getPageSize: number;

  constructor(init: FakeVppStateInit = {}) {
    this.tap = init.tap ?? 'fail';
    this.hostInterfaces = !init.hostInterfaces || init.hostInterfaces === 'any' ? 'any' : new Set(init.hostInterfaces);
    this.npolEnforces = init.npolEnforces ?? false;
    this.getPageSize = Math.max(1, init.getPageSize ?? 64);
    const local0 = this.addInterface('local', 'local0', 0, INTERFACE_DEFAULTS.local);
    local0.l2_address = '00:00:00:00:00:00';
    this.createTable(false, 0, '');
    this.createTable(true, 0, '');
  }

  /** @internal The server's hook for interface events. */
  setInterfaceEventListener(l: InterfaceEventListener | undefined): void {
    this.listener = l;
  }

  /**
   * A plain, JSON-friendly summary of the state for assertions and debugging: interfaces by name,
   * routes by table (`'ip4:0'`) as prefix → best paths (`'via 10.0.0.1 loop0'`, `'local'`, `'drop'`).
   */
  snapshot(): {
    interfaces: Record<
      string,
      { sw_if_index: number; flags: number; mtu: number[]; addresses: string[]; tag: string; table: number }
    >;
    routes: Record<string, Record<string, string[]>>;
    neighbors: string[];
    cnat: { id: number; vip: string; backends: string[] }[];
  } {
    const nameOf = (sw: number): string => this.interfaces.get(sw)?.interface_name ?? String(sw);
    const interfaces: ReturnType<FakeVppState['snapshot']>['interfaces'] = {};
    for (const i of this.listInterfaces())
      interfaces[i.interface_name] = {
        sw_if_index: i.sw_if_index,
        flags: this.interfaceFlags(i),
        mtu: [...i.mtu],
        addresses: [...i.addresses],
        tag: i.tag,
        table: i.ip4TableId,
      };
    const routes: Record<string, Record<string, string[]>> = {};
    for (const t of this.tables.values()) {
      const out: Record<string, string[]> = {};
      for (const e of this.routesOf(t.is_ip6, t.table_id))
        out[e.prefix] = this.bestPaths(e).map((p) =>
          p.type === FIB_PATH_TYPE_DROP
            ? 'drop'
            : p.type === FIB_PATH_TYPE_LOCAL
              ? 'local'
              : `via ${p.nh}${p.sw_if_index === INDEX_INVALID ? '' : ` ${nameOf(p.sw_if_index)}`}${p.weight !== 1 ? ` weight ${p.weight}` : ''}`,
        );
      routes[`ip${t.is_ip6 ? 6 : 4}:${t.table_id}`] = out;
    }
    return {
      interfaces,
      routes,
      neighbors: [...this.neighbors.values()].map((n) => `${n.ip_address} ${n.mac_address} ${nameOf(n.sw_if_index)}`),
      cnat: [...this.cnatTranslations.values()].map((t) => ({
        id: t.id,
        vip: `${t.vip.addr}:${t.vip.port}/${t.ip_proto}`,
        backends: t.paths.map((p) => `${p.dst_ep.addr}:${p.dst_ep.port}`),
      })),
    };
  }

  // ---- policy -----------------------------------------------------------------------------------

  /**
   * Would VPP let `packet` through at its interface and direction? The ACL plugin decides first (and a
   * permit+reflect match opens a session unless `commit` is false); npol is applied after it when
   * {@link npolEnforces} is on. The interface must exist.
   * @throws RangeError when the interface does not exist or the packet's addresses do not parse.
   */
  evaluate(packet: FakePacket, opts: { commit?: boolean } = {}): FakePolicyVerdict {
    if (!this.interfaces.has(packet.sw_if_index))
      throw new RangeError(`packet.sw_if_index ${packet.sw_if_index}: no such interface`);
    const acl = this.acl.evaluate(packet, opts);
    const npol = this.npolEnforces ? evaluateNpol(this.npol, packet) : undefined;
    return { allowed: acl.allowed && (npol?.allowed ?? true), acl, npol };
  }

  /** npol's decision for `packet` regardless of {@link npolEnforces} (`npol_match_func`). */
  evaluateNpol(packet: FakePacket): FakeNpolEvaluation {
    return evaluateNpol(this.npol, packet);
  }

  // ---- interfaces -------------------------------------------------------------------------------

  interfaceFlags(i: FakeInterface): number {
    return (i.adminUp ? 1 : 0) | (i.linkUp ? 2 : 0);
  }

  /** Interfaces in sw_if_index order (what `sw_interface_dump` walks). */
  listInterfaces(): FakeInterface[] {
    return [...this.interfaces.values()].sort((a, b) => a.sw_if_index - b.sw_if_index);
  }

  findInterfaceByName(name: string): FakeInterface | undefined {
    for (const i of this.interfaces.values()) if (i.interface_name === name) return i;
    return undefined;
  }

  /** @internal Creates an interface with the next free sw_if_index (plugins' create handlers). */
  addInterface(
    kind: InterfaceKind,
    name: string,
    instance: number,
    defaults: { devType: string; linkMtu: number; mtu: readonly number[] },
    extra: Partial<FakeInterface> = {},
  ): FakeInterface {
    const sw = this.swIfIndexes.alloc();
    const itf: FakeInterface = {
      sw_if_index: sw,
      kind,
      interface_name: name,
      interface_dev_type: defaults.devType,
      instance,
      sup_sw_if_index: sw,
      l2_address: '00:00:00:00:00:00',
      adminUp: false,
      linkUp: false,
      link_mtu: defaults.linkMtu,
      mtu: [...defaults.mtu],
      tag: '',
      ip4TableId: 0,
      ip6TableId: 0,
      addresses: [],
      ...extra,
    };
    this.interfaces.set(sw, itf);
    if (kind === 'sub') setOf(this.#subs, itf.sup_sw_if_index).add(itf);
    if (kind === 'af_packet' && itf.hostIfName !== undefined) this.#afPackets.set(itf.hostIfName, itf);
    this.lockTable(false, 0, 1);
    this.lockTable(true, 0, 1);
    return itf;
  }

  /** @internal Deletes an interface and everything on it, as VPP's interface-delete callbacks do. */
  removeInterface(itf: FakeInterface): void {
    const sw = itf.sw_if_index;
    this.delAllAddresses(itf);
    const neighbors = this.#neighborKeys.get(sw);
    if (neighbors) for (const k of [...neighbors]) this.deleteNeighbor(k);
    const borrowers = this.#borrowers.get(sw);
    if (borrowers) {
      for (const other of borrowers) if (other.unnumberedTo === sw) delete other.unnumberedTo;
      this.#borrowers.delete(sw);
    }
    if (itf.unnumberedTo !== undefined) this.#borrowers.get(itf.unnumberedTo)?.delete(itf);
    const subs = this.#subs.get(sw);
    if (subs) for (const sub of [...subs]) this.removeInterface(sub);
    this.npol.interfaces.delete(sw);
    this.acl.interfaceDeleted(sw);
    // urpf entries are keyed '<sw>|<af>|<rx|tx>' (plugins/urpf.ts), af 0 or 1
    for (const k of [`${sw}|0|rx`, `${sw}|0|tx`, `${sw}|1|rx`, `${sw}|1|tx`]) {
      const u = this.urpf.get(k);
      if (u && u.sw_if_index === sw) this.urpf.delete(k);
    }
    this.proxyArp.interfaces.delete(sw);
    this.ip6ndProxy.interfaces.delete(sw);
    if (this.ip6ndProxy.entries.length)
      this.ip6ndProxy.entries = this.ip6ndProxy.entries.filter((e) => e.sw_if_index !== sw);
    this.wireguard.interfaceDeleted(sw);
    this.lockTable(false, itf.ip4TableId, -1);
    this.lockTable(true, itf.ip6TableId, -1);
    this.interfaces.delete(sw);
    if (itf.kind === 'sub') {
      const siblings = this.#subs.get(itf.sup_sw_if_index);
      siblings?.delete(itf);
      if (siblings?.size === 0) this.#subs.delete(itf.sup_sw_if_index);
    }
    if (itf.kind === 'af_packet' && itf.hostIfName !== undefined && this.#afPackets.get(itf.hostIfName) === itf)
      this.#afPackets.delete(itf.hostIfName);
    this.swIfIndexes.release(sw);
    this.listener?.({ sw_if_index: sw, flags: 0, deleted: true });
  }

  createLoopback(mac: string, instance?: number): { retval: number; sw_if_index: number } {
    const inst = this.loopbackInstances.alloc(instance);
    if (inst === undefined) return { retval: VNET_API_ERROR.INVALID_REGISTRATION, sw_if_index: INDEX_INVALID };
    const l2 = mac === '00:00:00:00:00:00' ? `de:ad:00:00:00:${(inst & 0xff).toString(16).padStart(2, '0')}` : mac;
    const itf = this.addInterface('loopback', `loop${inst}`, inst, INTERFACE_DEFAULTS.loopback, { l2_address: l2 });
    return { retval: 0, sw_if_index: itf.sw_if_index };
  }

  deleteLoopback(sw: number): number {
    const itf = this.interfaces.get(sw);
    if (!itf || itf.kind !== 'loopback') return VNET_API_ERROR.INVALID_SW_IF_INDEX;
    this.removeInterface(itf);
    this.loopbackInstances.release(itf.instance);
    return 0;
  }

  /**
   * `tap_create_if` (src/plugins/tap/tap.c): a taken id → -71; then opening /dev/vhost-net fails with -11
   * on a kernel without it (`tap: 'fail'`, the default). A TUN (`tap_flags` bit 4) is `tun<id>`, has no
   * MAC and an MTU of `host_mtu_size` or 1500; a tap is `tap<id>` with the ethernet default MTU 9000.
   * Both are link-up as soon as they exist.
   */
  createTap(req: { id: number; mac: string; tag: string } & Omit<FakeTap, 'id'>): {
    retval: number;
    sw_if_index: number;
  } {
    if (req.id !== INDEX_INVALID && this.tapInstances.has(req.id))
      return { retval: VNET_API_ERROR.INVALID_INTERFACE, sw_if_index: INDEX_INVALID };
    if (this.tap === 'fail') return { retval: VNET_API_ERROR.SYSCALL_ERROR_1, sw_if_index: INDEX_INVALID };
    const inst = this.tapInstances.alloc(req.id === INDEX_INVALID ? undefined : req.id);
    if (inst === undefined) return { retval: VNET_API_ERROR.INVALID_INTERFACE, sw_if_index: INDEX_INVALID };
    const { mac, tag, id: _id, ...tap } = req;
    const isTun = (tap.tap_flags & TAP_FLAG_TUN) !== 0;
    const name = `${isTun ? 'tun' : 'tap'}${inst}`;
    const hostIfName = tap.host_if_name || name;
    const tunMtu = tap.host_mtu_size || 1500;
    const defaults = isTun
      ? { devType: INTERFACE_DEFAULTS.tap.devType, linkMtu: tunMtu, mtu: [tunMtu, 0, 0, 0] }
      : INTERFACE_DEFAULTS.tap;
    const itf = this.addInterface('tap', name, inst, defaults, {
      l2_address: isTun ? '00:00:00:00:00:00' : mac,
      hostIfName,
      tag,
      linkUp: true,
      rxQueues: 1,
      tap: { ...tap, id: inst, host_if_name: hostIfName },
    });
    return { retval: 0, sw_if_index: itf.sw_if_index };
  }

  deleteTap(sw: number): number {
    const itf = this.interfaces.get(sw);
    if (!itf || itf.kind !== 'tap') return VNET_API_ERROR.INVALID_SW_IF_INDEX;
    this.removeInterface(itf);
    this.tapInstances.release(itf.instance);
    return 0;
  }

  /**
   * `af_packet_create_if` (af_packet.c): a host interface already bound answers -79 with the existing
   * interface's index; a host interface the kernel does not have answers -71 (SIOCGIFINDEX fails).
   */
  createAfPacket(hostIfName: string, mac: string, rxQueues = 1): { retval: number; sw_if_index: number } {
    const existing = this.#afPackets.get(hostIfName);
    if (existing) return { retval: VNET_API_ERROR.IF_ALREADY_EXISTS, sw_if_index: existing.sw_if_index };
    if (this.hostInterfaces !== 'any' && !this.hostInterfaces.has(hostIfName))
      return { retval: VNET_API_ERROR.INVALID_INTERFACE, sw_if_index: INDEX_INVALID };
    const itf = this.addInterface('af_packet', `host-${hostIfName}`, 0, INTERFACE_DEFAULTS.af_packet, {
      l2_address: mac,
      hostIfName,
      linkUp: true,
      rxQueues,
    });
    return { retval: 0, sw_if_index: itf.sw_if_index };
  }

  deleteAfPacket(hostIfName: string): number {
    const i = this.#afPackets.get(hostIfName);
    if (!i) return VNET_API_ERROR.SYSCALL_ERROR_1;
    this.removeInterface(i);
    return 0;
  }

  /**
   * `vnet_create_sub_interface` (ethernet/interface.c) and `vl_api_create_vlan_subif_t_handler`
   * (interface_api.c): one hash of (parent, sub id) for both, so a taken id fails with -56
   * (VLAN_ALREADY_EXISTS) whichever message created it.
   */
  createSubif(parent: number, sub: FakeSubInterface): { retval: number; sw_if_index: number } {
    const p = this.interfaces.get(parent);
    if (!p || p.kind === 'sub' || p.kind === 'local')
      return { retval: VNET_API_ERROR.INVALID_SW_IF_INDEX, sw_if_index: INDEX_INVALID };
    for (const i of this.#subs.get(parent) ?? [])
      if (i.sub?.id === sub.id) return { retval: VNET_API_ERROR.VLAN_ALREADY_EXISTS, sw_if_index: INDEX_INVALID };
    const defaults = { devType: p.interface_dev_type, linkMtu: p.link_mtu, mtu: p.mtu };
    const itf = this.addInterface('sub', `${p.interface_name}.${sub.id}`, sub.id, defaults, {
      sup_sw_if_index: parent,
      l2_address: p.l2_address,
      linkUp: p.linkUp,
      sub,
    });
    return { retval: 0, sw_if_index: itf.sw_if_index };
  }

  deleteSubif(sw: number): number {
    const itf = this.interfaces.get(sw);
    if (!itf) return VNET_API_ERROR.INVALID_SW_IF_INDEX;
    if (itf.kind !== 'sub') return VNET_API_ERROR.INVALID_SUB_SW_IF_INDEX;
    this.removeInterface(itf);
    return 0;
  }

  createIpip(t: Omit<FakeIpipTunnel, 'instance'> & { instance: number }): { retval: number; sw_if_index: number } {
    if (!this.table(t.src.includes(':'), t.table_id))
      return { retval: VNET_API_ERROR.NO_SUCH_FIB, sw_if_index: INDEX_INVALID };
    for (const i of this.interfaces.values())
      if (
        i.ipip &&
        i.ipip.src === t.src &&
        i.ipip.dst === t.dst &&
        i.ipip.table_id === t.table_id &&
        i.ipip.mode === t.mode
      )
        return { retval: VNET_API_ERROR.IF_ALREADY_EXISTS, sw_if_index: INDEX_INVALID };
    const inst = this.ipipInstances.alloc(t.instance === INDEX_INVALID ? undefined : t.instance);
    if (inst === undefined) return { retval: VNET_API_ERROR.INSTANCE_IN_USE, sw_if_index: INDEX_INVALID };
    const itf = this.addInterface('ipip', `ipip${inst}`, inst, INTERFACE_DEFAULTS.ipip, {
      ipip: { ...t, instance: inst },
    });
    return { retval: 0, sw_if_index: itf.sw_if_index };
  }

  deleteIpip(sw: number): number {
    const itf = this.interfaces.get(sw);
    if (!itf || itf.kind !== 'ipip') return VNET_API_ERROR.NO_SUCH_ENTRY;
    this.removeInterface(itf);
    this.ipipInstances.release(itf.instance);
    return 0;
  }

  addDelVxlan(isAdd: boolean, t: FakeVxlanTunnel): { retval: number; sw_if_index: number } {
    const existing = [...this.interfaces.values()].find(
      (i) =>
        i.vxlan &&
        i.vxlan.src_address === t.src_address &&
        i.vxlan.dst_address === t.dst_address &&
        i.vxlan.vni === t.vni &&
        i.vxlan.encap_vrf_id === t.encap_vrf_id &&
        i.vxlan.dst_port === t.dst_port,
    );
    if (!isAdd) {
      if (!existing) return { retval: VNET_API_ERROR.NO_SUCH_ENTRY, sw_if_index: INDEX_INVALID };
      this.removeInterface(existing);
      this.vxlanInstances.release(existing.instance);
      return { retval: 0, sw_if_index: existing.sw_if_index };
    }
    if (existing) return { retval: VNET_API_ERROR.TUNNEL_EXIST, sw_if_index: INDEX_INVALID };
    if (!this.table(t.src_address.includes(':'), t.encap_vrf_id))
      return { retval: VNET_API_ERROR.NO_SUCH_FIB, sw_if_index: INDEX_INVALID };
    const inst = this.vxlanInstances.alloc(t.instance === INDEX_INVALID ? undefined : t.instance);
    if (inst === undefined) return { retval: VNET_API_ERROR.INSTANCE_IN_USE, sw_if_index: INDEX_INVALID };
    const itf = this.addInterface('vxlan', `vxlan_tunnel${inst}`, inst, INTERFACE_DEFAULTS.vxlan, {
      vxlan: { ...t, instance: inst },
    });
    // VPP brings a new VXLAN tunnel up (admin and link) as soon as it exists.
    this.setAdmin(itf, true);
    return { retval: 0, sw_if_index: itf.sw_if_index };
  }

  private setAdmin(itf: FakeInterface, up: boolean): void {
    const before = this.interfaceFlags(itf);
    if (itf.adminUp !== up) {
      // ip4_sw_interface_admin_up_down / ip6_sw_interface_admin_up_down (ip4_forward.c, ip6_forward.c):
      // an interface's address routes exist only while it is admin up
      for (const a of itf.addresses) {
        const p = parsePrefix(a);
        const tableId = p.family === 6 ? itf.ip6TableId : itf.ip4TableId;
        if (up) this.addAddressRoutes(itf, p, tableId, true);
        else this.removeAddressRoutes(itf, p, tableId, true);
      }
    }
    itf.adminUp = up;
    if (itf.kind !== 'af_packet' && itf.kind !== 'tap' && itf.kind !== 'local') {
      if (itf.kind === 'sub') {
        const parent = this.interfaces.get(itf.sup_sw_if_index);
        itf.linkUp = parent?.linkUp ?? false;
      } else {
        itf.linkUp = up;
      }
    }
    const after = this.interfaceFlags(itf);
    if (before !== after) {
      this.listener?.({ sw_if_index: itf.sw_if_index, flags: after, deleted: false });
      for (const sub of this.#subs.get(itf.sw_if_index) ?? []) {
        if (sub.linkUp !== itf.linkUp) {
          sub.linkUp = itf.linkUp;
          this.listener?.({ sw_if_index: sub.sw_if_index, flags: this.interfaceFlags(sub), deleted: false });
        }
      }
    }
  }

  setFlags(sw: number, flags: number): number {
    const itf = this.interfaces.get(sw);
    if (!itf) return VNET_API_ERROR.INVALID_SW_IF_INDEX;
    this.setAdmin(itf, (flags & 1) !== 0);
    return 0;
  }

  setMtu(sw: number, mtu: readonly number[]): number {
    const itf = this.interfaces.get(sw);
    if (!itf) return VNET_API_ERROR.INVALID_SW_IF_INDEX;
    itf.mtu = [mtu[0] ?? 0, mtu[1] ?? 0, mtu[2] ?? 0, mtu[3] ?? 0];
    return 0;
  }

  setMac(sw: number, mac: string): number {
    const itf = this.interfaces.get(sw);
    if (!itf) return VNET_API_ERROR.INVALID_SW_IF_INDEX;
    if (itf.kind === 'ipip' || itf.kind === 'vxlan' || itf.kind === 'local' || itf.kind === 'sub')
      return VNET_API_ERROR.INVALID_INTERFACE;
    itf.l2_address = mac;
    return 0;
  }

  setTag(sw: number, isAdd: boolean, tag: string): number {
    const itf = this.interfaces.get(sw);
    if (!itf) return VNET_API_ERROR.INVALID_SW_IF_INDEX;
    itf.tag = isAdd ? tag : '';
    return 0;
  }

  /**
   * `sw_interface_set_unnumbered`: `unnumbered` borrows the addresses of `ipSw`.
   * VPP checks the borrower first (-2), then, when adding, the lender (-10).
   */
  setUnnumbered(ipSw: number, unnumbered: number, isAdd: boolean): number {
    const borrower = this.interfaces.get(unnumbered);
    if (!borrower) return VNET_API_ERROR.INVALID_SW_IF_INDEX;
    const lender = this.interfaces.get(ipSw);
    if (isAdd && !lender) return VNET_API_ERROR.INVALID_SW_IF_INDEX_2;
    // vnet_sw_interface_check_table_same: both interfaces in the same IPv4 and IPv6 tables
    if (isAdd && (lender!.ip4TableId !== borrower.ip4TableId || lender!.ip6TableId !== borrower.ip6TableId))
      return VNET_API_ERROR.UNEXPECTED_INTF_STATE;
    if (borrower.unnumberedTo !== undefined) this.#borrowers.get(borrower.unnumberedTo)?.delete(borrower);
    if (isAdd) {
      borrower.unnumberedTo = ipSw;
      setOf(this.#borrowers, ipSw).add(borrower);
    } else delete borrower.unnumberedTo;
    return 0;
  }

  setTable(sw: number, isIp6: boolean, tableId: number): number {
    const itf = this.interfaces.get(sw);
    if (!itf) return VNET_API_ERROR.INVALID_SW_IF_INDEX;
    if (!this.table(isIp6, tableId)) return VNET_API_ERROR.NO_SUCH_FIB;
    // ip_table_bind: no address of the family on it, honouring unnumbered (then the lender's addresses count)
    const holder = itf.unnumberedTo !== undefined ? this.interfaces.get(itf.unnumberedTo) : itf;
    if (holder?.addresses.some((a) => a.includes(':') === isIp6)) return VNET_API_ERROR.ADDRESS_FOUND_FOR_INTERFACE;
    const old = isIp6 ? itf.ip6TableId : itf.ip4TableId;
    if (old === tableId) return 0;
    this.lockTable(isIp6, tableId, 1);
    if (isIp6) itf.ip6TableId = tableId;
    else itf.ip4TableId = tableId;
    this.lockTable(isIp6, old, -1);
    return 0;
  }

  /** `sw_interface_ip6_enable_disable`: enabling gives the interface its EUI-64 link-local address. */
  ip6EnableDisable(sw: number, enable: boolean): number {
    const itf = this.interfaces.get(sw);
    if (!itf) return VNET_API_ERROR.INVALID_SW_IF_INDEX;
    if (enable) this.setLinkLocal(itf, itf.linkLocal ?? linkLocalFromMac(itf.l2_address));
    else if (!itf.addresses.some((a) => a.includes(':'))) delete itf.linkLocal;
    return 0;
  }

  setLinkLocalAddress(sw: number, ip: string): number {
    const itf = this.interfaces.get(sw);
    if (!itf) return VNET_API_ERROR.INVALID_SW_IF_INDEX;
    // ip6_link_set_local_address (ip6_link.c) takes any address; it does not check for fe80::/10
    this.setLinkLocal(itf, canonicalAddress(ip));
    return 0;
  }

  /**
   * Link-local addresses live in VPP's per-interface link-local table, not in the interface's FIB. That
   * table's two default entries and the address's own entry take FIB stats indexes all the same.
   */
  private setLinkLocal(itf: FakeInterface, ll: string): void {
    if (itf.linkLocal === undefined) this.nextStatsIndex += 3;
    itf.linkLocal = ll;
  }

  getTable(sw: number, isIp6: boolean): { retval: number; vrf_id: number } {
    const itf = this.interfaces.get(sw);
    if (!itf) return { retval: VNET_API_ERROR.INVALID_SW_IF_INDEX, vrf_id: INDEX_INVALID };
    return { retval: 0, vrf_id: isIp6 ? itf.ip6TableId : itf.ip4TableId };
  }

  // ---- addresses --------------------------------------------------------------------------------

  /** Addresses of one family as `ip_address_dump` reports them (none for unnumbered interfaces). */
  addressesOf(sw: number, isIp6: boolean): string[] {
    const itf = this.interfaces.get(sw);
    if (!itf) return [];
    return itf.addresses.filter((a) => a.includes(':') === isIp6);
  }

  addDelAddress(sw: number, isAdd: boolean, delAll: boolean, prefix: string): number {
    const itf = this.interfaces.get(sw);
    if (!itf) return VNET_API_ERROR.INVALID_SW_IF_INDEX;
    if (delAll) {
      this.delAllAddresses(itf);
      return 0;
    }
    const p = parsePrefix(prefix);
    const text = formatPrefix(p);
    const isIp6 = p.family === 6;
    const tableId = isIp6 ? itf.ip6TableId : itf.ip4TableId;
    if (isIp6 && prefixContains(parsePrefix('fe80::/10'), p)) {
      // ip6_add_del_interface_address: a link-local address is the interface's link-local, not an
      // address; it must be a /128, and it cannot be deleted (-61), only replaced
      if (p.len !== 128) return VNET_API_ERROR.ADDRESS_LENGTH_MISMATCH;
      const addr = formatAddress(6, p.value);
      if (isAdd) {
        this.setLinkLocal(itf, addr);
        return 0;
      }
      return itf.linkLocal === addr
        ? VNET_API_ERROR.ADDRESS_NOT_DELETABLE
        : VNET_API_ERROR.ADDRESS_NOT_FOUND_FOR_INTERFACE;
    }
    if (!isAdd) {
      const idx = itf.addresses.indexOf(text);
      if (idx < 0) return VNET_API_ERROR.ADDRESS_NOT_FOUND_FOR_INTERFACE;
      itf.addresses.splice(idx, 1);
      this.removeAddressRoutes(itf, p, tableId);
      return 0;
    }
    // ip4_add_del_interface_address_internal / ip6_add_del_interface_address: an address that overlaps
    // any address in the same table fails (-105 for IPv4, -127 for IPv6), the same address again
    // included; only another address of the same prefix length on the same interface is allowed
    for (const other of this.interfaces.values()) {
      const otherTable = isIp6 ? other.ip6TableId : other.ip4TableId;
      if (otherTable !== tableId) continue;
      for (const a of other.addresses) {
        const q = parsePrefix(a);
        if (q.family !== p.family || !prefixesOverlap(networkOf(q), networkOf(p))) continue;
        if (other === itf && q.len === p.len && q.value !== p.value) continue;
        return isIp6 ? VNET_API_ERROR.DUPLICATE_IF_ADDRESS : VNET_API_ERROR.ADDRESS_IN_USE;
      }
    }
    itf.addresses.push(text);
    if (isIp6 && !itf.linkLocal) this.setLinkLocal(itf, linkLocalFromMac(itf.l2_address));
    this.addAddressRoutes(itf, p, tableId);
    return 0;
  }

  private delAllAddresses(itf: FakeInterface): void {
    for (const a of [...itf.addresses]) {
      const p = parsePrefix(a);
      itf.addresses.splice(itf.addresses.indexOf(a), 1);
      this.removeAddressRoutes(itf, p, p.family === 6 ? itf.ip6TableId : itf.ip4TableId);
    }
    delete itf.linkLocal;
  }

  /** The FIB entries VPP adds for an interface address: local /32, connected, network and broadcast. */
  private addressRoutes(itf: FakeInterface, p: ParsedPrefix): [string, FakePath][] {
    const proto = p.family === 6 ? FIB_PATH_NH_PROTO_IP6 : FIB_PATH_NH_PROTO_IP4;
    const host = bits(p.family);
    const addr = formatAddress(p.family, p.value);
    const out: [string, FakePath][] = [
      [`${addr}/${host}`, makePath({ sw_if_index: itf.sw_if_index, type: FIB_PATH_TYPE_LOCAL, proto, nh: addr })],
    ];
    if (p.len < host) {
      out.push([formatPrefix(networkOf(p)), makePath({ sw_if_index: itf.sw_if_index, proto })]);
      if (p.family === 4 && p.len < 31) {
        out.push([`${formatAddress(4, networkOf(p).value)}/32`, drop(4)]);
        out.push([`${formatAddress(4, broadcastOf(p))}/32`, drop(4)]);
      }
    }
    return out;
  }

  /** Adds an address's routes if the interface is up (`force`: it is coming up). */
  private addAddressRoutes(itf: FakeInterface, p: ParsedPrefix, tableId: number, force = false): void {
    if (!itf.adminUp && !force) return;
    for (const [pfx, path] of this.addressRoutes(itf, p))
      this.addSourcePath(p.family === 6, tableId, pfx, 'interface', path);
  }

  /** Removes an address's routes if the interface is up (`force`: it is going down). */
  private removeAddressRoutes(itf: FakeInterface, p: ParsedPrefix, tableId: number, force = false): void {
    if (!itf.adminUp && !force) return;
    for (const [pfx, path] of this.addressRoutes(itf, p)) {
      const e = this.table(p.family === 6, tableId)?.entries.get(pfx);
      const paths = e?.sources.get('interface');
      if (!e || !paths) continue;
      const idx = paths.findIndex((x) => samePath(x, path));
      if (idx >= 0) paths.splice(idx, 1);
      if (paths.length === 0) e.sources.delete('interface');
      this.gcEntry(p.family === 6, tableId, pfx);
    }
  }

  // ---- FIB --------------------------------------------------------------------------------------

  table(isIp6: boolean, tableId: number): FakeFibTable | undefined {
    return (isIp6 ? this.#tables6 : this.#tables4).get(tableId);
  }

  private createTable(isIp6: boolean, tableId: number, name: string): FakeFibTable {
    const t: FakeFibTable = {
      table_id: tableId,
      is_ip6: isIp6,
      name: name || `ipv${isIp6 ? 6 : 4}-VRF:${tableId}`,
      apiLocked: false,
      interfaceLocks: 0,
      entries: new Map(),
    };
    this.tables.set(tableKey(isIp6, tableId), t);
    (isIp6 ? this.#tables6 : this.#tables4).set(tableId, t);
    // each entry new, with its one path, in this order (stats indexes follow it)
    for (const d of isIp6 ? TABLE_ENTRIES_6 : TABLE_ENTRIES_4) {
      const sources = new Map<FibSource, FakePath[]>();
      sources.set(d.source, [d.path()]);
      t.entries.set(d.prefix, { prefix: d.prefix, parsed: d.parsed, stats_index: this.nextStatsIndex++, sources });
    }
    return t;
  }

  /** `ip_table_add_del`: table 0 is ignored; adding twice is fine; deleting flushes the API's routes. */
  addDelTable(isAdd: boolean, isIp6: boolean, tableId: number, name: string): number {
    if (tableId === 0) return 0;
    let t = this.table(isIp6, tableId);
    if (isAdd) {
      t ??= this.createTable(isIp6, tableId, name);
      t.apiLocked = true;
      return 0;
    }
    if (!t || !t.apiLocked) return 0;
    t.apiLocked = false;
    for (const pfx of [...t.entries.keys()]) {
      t.entries.get(pfx)?.sources.delete('api');
      this.gcEntry(isIp6, tableId, pfx);
    }
    this.maybeFreeTable(t);
    return 0;
  }

  private lockTable(isIp6: boolean, tableId: number, delta: number): void {
    const t = this.table(isIp6, tableId);
    if (!t) return;
    t.interfaceLocks += delta;
    this.maybeFreeTable(t);
  }

  private maybeFreeTable(t: FakeFibTable): void {
    if (t.table_id !== 0 && !t.apiLocked && t.interfaceLocks <= 0) {
      this.tables.delete(tableKey(t.is_ip6, t.table_id));
      (t.is_ip6 ? this.#tables6 : this.#tables4).delete(t.table_id);
    }
  }

  /**
   * Entries of a table in `ip_route_dump` order. VPP (ip_api.c vl_api_ip_route_dump_t_handler →
   * fib_table_walk) walks IPv4 tables by prefix length, 0 to 32 (ip4_fib_hash.c
   * ip4_fib_hash_table_sub_tree_walk), each length in hash order; IPv6 tables in plain hash order
   * (ip6_fib.c ip6_fib_table_sub_tree_walk). The fake sorts both by length, then creation order: callers
   * must not rely on the order within a length, nor on any order for IPv6.
   */
  routesOf(isIp6: boolean, tableId: number): FakeFibEntry[] {
    const t = this.table(isIp6, tableId);
    if (!t) return [];
    return [...t.entries.values()].sort((a, b) => a.parsed.len - b.parsed.len);
  }

  /** The paths VPP forwards with: those of the best source. */
  bestPaths(e: FakeFibEntry): FakePath[] {
    const s = this.bestSource(e);
    return s ? (e.sources.get(s) ?? []) : [];
  }

  /** The source whose paths are used (VPP's priority order: special, interface, API, adjacency, default). */
  bestSource(e: FakeFibEntry): FibSource | undefined {
    for (const s of SOURCE_ORDER) {
      const p = e.sources.get(s);
      if (p && p.length) return s;
    }
    return undefined;
  }

  private entryFor(isIp6: boolean, tableId: number, prefix: string): FakeFibEntry | undefined {
    const t = this.table(isIp6, tableId);
    if (!t) return undefined;
    const key = canonicalPrefix(prefix);
    let e = t.entries.get(key);
    if (!e) {
      e = { prefix: key, parsed: networkPrefix(prefix), stats_index: this.nextStatsIndex++, sources: new Map() };
      t.entries.set(key, e);
    }
    return e;
  }

  private addSourcePath(isIp6: boolean, tableId: number, prefix: string, source: FibSource, path: FakePath): void {
    const e = this.entryFor(isIp6, tableId, prefix);
    if (!e) return;
    const paths = e.sources.get(source);
    if (!paths) {
      e.sources.set(source, [path]);
      return;
    }
    for (const p of paths) if (samePath(p, path)) return;
    paths.push(path);
  }

  private removeSourcePaths(isIp6: boolean, tableId: number, prefix: string, source: FibSource, sw: number): void {
    const t = this.table(isIp6, tableId);
    const key = canonicalPrefix(prefix);
    const e = t?.entries.get(key);
    const paths = e?.sources.get(source);
    if (!e || !paths) return;
    const kept = paths.filter((p) => p.sw_if_index !== sw);
    if (kept.length) e.sources.set(source, kept);
    else e.sources.delete(source);
    this.gcEntry(isIp6, tableId, key);
  }

  private gcEntry(isIp6: boolean, tableId: number, prefix: string): void {
    const t = this.table(isIp6, tableId);
    const e = t?.entries.get(prefix);
    if (t && e && e.sources.size === 0) t.entries.delete(prefix);
  }

  /**
   * `ip_route_add_del`: without `is_multipath` an add replaces the API's paths and a delete removes the
   * route; with it, paths are added to or removed from the route (the route goes with its last path).
   */
  routeAddDel(
    isAdd: boolean,
    isMultipath: boolean,
    tableId: number,
    prefix: string,
    paths: FakePath[],
  ): { retval: number; stats_index: number } {
    const isIp6 = prefix.includes(':');
    if (!this.table(isIp6, tableId)) return { retval: VNET_API_ERROR.NO_SUCH_FIB, stats_index: INDEX_INVALID };
    const key = canonicalPrefix(prefix);
    if (isAdd) {
      if (paths.length === 0) return { retval: VNET_API_ERROR.NO_PATHS_IN_ROUTE, stats_index: INDEX_INVALID };
      const e = this.entryFor(isIp6, tableId, key);
      if (!e) return { retval: VNET_API_ERROR.NO_SUCH_FIB, stats_index: INDEX_INVALID };
      delete e.stale;
      const current = isMultipath ? [...(e.sources.get('api') ?? [])] : [];
      for (const p of paths) if (!current.some((c) => samePath(c, p))) current.push(p);
      e.sources.set('api', current);
      return { retval: 0, stats_index: e.stats_index };
    }
    const e = this.table(isIp6, tableId)?.entries.get(key);
    if (e) {
      if (isMultipath) {
        if (paths.length === 0) return { retval: VNET_API_ERROR.NO_PATHS_IN_ROUTE, stats_index: INDEX_INVALID };
        const kept = (e.sources.get('api') ?? []).filter((c) => !paths.some((p) => samePath(c, p)));
        if (kept.length) e.sources.set('api', kept);
        else e.sources.delete('api');
      } else {
        e.sources.delete('api');
      }
      this.gcEntry(isIp6, tableId, key);
    }
    return { retval: 0, stats_index: INDEX_INVALID };
  }

  /**
   * `ip_table_replace_begin` / `_end` / `ip_table_flush` on the API's routes: mark them stale, remove the
   * ones still stale, or remove them all.
   */
  tableReplace(isIp6: boolean, tableId: number, op: 'begin' | 'end' | 'flush'): number {
    const t = this.table(isIp6, tableId);
    if (!t) return VNET_API_ERROR.NO_SUCH_FIB;
    for (const [pfx, e] of [...t.entries]) {
      if (!e.sources.has('api')) continue;
      if (op === 'begin') e.stale = true;
      else if (op === 'flush' || e.stale) {
        delete e.stale;
        e.sources.delete('api');
        this.gcEntry(isIp6, tableId, pfx);
      }
    }
    return 0;
  }

  /** `ip_route_lookup`: exact or longest-prefix match. */
  routeLookup(tableId: number, prefix: string, exact: boolean): { retval: number; entry?: FakeFibEntry } {
    const p = parsePrefix(prefix);
    const t = this.table(p.family === 6, tableId);
    if (!t) return { retval: VNET_API_ERROR.NO_SUCH_FIB };
    if (exact) {
      const e = t.entries.get(formatPrefix(networkOf(p)));
      return e ? { retval: 0, entry: e } : { retval: VNET_API_ERROR.NO_SUCH_ENTRY };
    }
    let best: FakeFibEntry | undefined;
    for (const e of t.entries.values()) {
      if (prefixContains(e.parsed, p) && (!best || e.parsed.len > best.parsed.len)) best = e;
    }
    return best ? { retval: 0, entry: best } : { retval: VNET_API_ERROR.NO_SUCH_ENTRY };
  }

  // ---- neighbours -------------------------------------------------------------------------------

  neighborAddDel(isAdd: boolean, n: Omit<FakeNeighbor, 'stats_index'>): { retval: number; stats_index: number } {
    const itf = this.interfaces.get(n.sw_if_index);
    if (!itf) return { retval: VNET_API_ERROR.INVALID_SW_IF_INDEX, stats_index: INDEX_INVALID };
    const ip = canonicalAddress(n.ip_address);
    const key = `${n.sw_if_index}|${ip}`;
    const existing = this.neighbors.get(key);
    if (!isAdd) {
      if (!existing) return { retval: VNET_API_ERROR.NO_SUCH_ENTRY, stats_index: INDEX_INVALID };
      this.deleteNeighbor(key);
      return { retval: 0, stats_index: INDEX_INVALID };
    }
    if (existing) {
      existing.mac_address = n.mac_address;
      existing.flags = n.flags;
      return { retval: 0, stats_index: existing.stats_index };
    }
    const rec: FakeNeighbor = { ...n, ip_address: ip, stats_index: this.nextAdjIndex++ };
    this.neighbors.set(key, rec);
    setOf(this.#neighborKeys, n.sw_if_index).add(key);
    if (!(n.flags & IP_NEIGHBOR_FLAG_NO_FIB_ENTRY)) {
      const isIp6 = ip.includes(':');
      this.addSourcePath(
        isIp6,
        isIp6 ? itf.ip6TableId : itf.ip4TableId,
        `${ip}/${isIp6 ? 128 : 32}`,
        'adj',
        makePath({ sw_if_index: n.sw_if_index, proto: isIp6 ? 1 : 0, nh: ip }),
      );
    }
    return { retval: 0, stats_index: rec.stats_index };
  }

  /** `ip_neighbor_flush`: every neighbour of one family, on one interface or all (~0). */
  neighborFlush(isIp6: boolean, sw: number): number {
    if (sw !== INDEX_INVALID && !this.interfaces.has(sw)) return VNET_API_ERROR.INVALID_SW_IF_INDEX;
    for (const [k, n] of this.neighbors)
      if (n.ip_address.includes(':') === isIp6 && (sw === INDEX_INVALID || n.sw_if_index === sw))
        this.deleteNeighbor(k);
    return 0;
  }

  private deleteNeighbor(key: string): void {
    const n = this.neighbors.get(key);
    if (!n) return;
    this.neighbors.delete(key);
    const keys = this.#neighborKeys.get(n.sw_if_index);
    keys?.delete(key);
    if (keys?.size === 0) this.#neighborKeys.delete(n.sw_if_index);
    const itf = this.interfaces.get(n.sw_if_index);
    const isIp6 = n.ip_address.includes(':');
    if (itf)
      this.removeSourcePaths(
        isIp6,
        isIp6 ? itf.ip6TableId : itf.ip4TableId,
        `${n.ip_address}/${isIp6 ? 128 : 32}`,
        'adj',
        n.sw_if_index,
      );
  }

  // ---- path MTU ---------------------------------------------------------------------------------

  /**
   * `ip_path_mtu_update` (ip_path_mtu.c): the table must exist (-65); an MTU of 0 or 0xffff removes the
   * entry for (family, table, next hop), any other adds or updates it.
   */
  pathMtuUpdate(tableId: number, nh: string, pathMtu: number): number {
    const isIp6 = nh.includes(':');
    if (!this.table(isIp6, tableId)) return VNET_API_ERROR.NO_SUCH_TABLE;
    const key = canonicalAddress(nh);
    const i = this.pathMtus.findIndex((e) => e !== undefined && e.table_id === tableId && e.nh === key);
    if (pathMtu === 0 || pathMtu === 0xffff) {
      if (i >= 0) {
        this.pathMtus[i] = undefined;
        this.#pathMtuIndexes.release(i);
      }
      return 0;
    }
    if (i >= 0) {
      this.pathMtus[i]!.path_mtu = pathMtu;
      return 0;
    }
    this.pathMtus[this.#pathMtuIndexes.alloc()] = { table_id: tableId, nh: key, path_mtu: pathMtu };
    return 0;
  }

  /** `pool_next_index`: the first used index after `i`, or ~0. */
  pathMtuNext(i: number): number {
    for (let j = i + 1; j < this.pathMtus.length; j++) if (this.pathMtus[j]) return j;
    return INDEX_INVALID;
  }

  // ---- punt redirects ---------------------------------------------------------------------------

  puntRedirectAddDel(isAdd: boolean, rx: number, af: number, paths: FakePath[]): number {
    if (rx !== INDEX_INVALID && !this.interfaces.has(rx)) return VNET_API_ERROR.INVALID_SW_IF_INDEX;
    const key = `${rx}|${af}`;
    if (isAdd) this.puntRedirects.set(key, { rx_sw_if_index: rx, af, paths });
    else this.puntRedirects.delete(key);
    return 0;
  }

  // ---- cnat and npol (their state lives in plugins/cnat.ts and plugins/npol.ts) ------------------

  cnatTranslationUpdate(t: Omit<FakeCnatTranslation, 'id'>): number {
    return this.cnat.translationUpdate(t);
  }

  cnatTranslationDel(id: number): number {
    return this.cnat.translationDel(id);
  }

  npolIpsetCreate(type: number): number {
    return this.npol.ipsetCreate(type);
  }

  npolIpsetMembers(id: number, isAdd: boolean, members: unknown[]): number {
    return this.npol.ipsetMembers(id, isAdd, members);
  }

  npolIpsetDelete(id: number): number {
    return this.npol.ipsetDelete(id);
  }

  npolRuleUpdate(id: number | undefined, rule: unknown): number {
    return this.npol.ruleUpdate(id, rule);
  }

  npolRuleDelete(id: number): number {
    return this.npol.ruleDelete(id);
  }

  npolPolicyUpdate(id: number | undefined, items: { is_inbound: boolean; rule_id: number }[]): number {
    return this.npol.policyUpdate(id, items);
  }

  npolPolicyDelete(id: number): number {
    return this.npol.policyDelete(id);
  }

  /** `npol_configure_policies`: -2 for a bad interface, then (as VPP does) retval 1 for an unknown policy. */
  npolConfigurePolicies(sw: number, conf: FakeNpolInterfaceConfig): number {
    if (!this.interfaces.has(sw)) return VNET_API_ERROR.INVALID_SW_IF_INDEX;
    return this.npol.configurePolicies(sw, conf);
  }
}
