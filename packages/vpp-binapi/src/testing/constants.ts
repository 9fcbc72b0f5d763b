/**
 * Facts about VPP 26.06 the fake reproduces. Error values are VPP's `VNET_API_ERROR_*` codes
 * (src/vnet/api_errno.h); defaults are taken from the capture in ../shared/vpp-golden/.
 */

/** The `VNET_API_ERROR_*` values the fake returns, by VPP's symbolic name. */
export const VNET_API_ERROR = {
  UNSPECIFIED: -1,
  INVALID_SW_IF_INDEX: -2,
  NO_SUCH_FIB: -3,
  NO_SUCH_ENTRY: -6,
  INVALID_VALUE: -7,
  INVALID_VALUE_2: -8,
  UNIMPLEMENTED: -9,
  INVALID_SW_IF_INDEX_2: -10,
  SYSCALL_ERROR_1: -11,
  FEATURE_DISABLED: -30,
  INVALID_REGISTRATION: -31,
  NO_PATHS_IN_ROUTE: -52,
  INVALID_VLAN: -55,
  VLAN_ALREADY_EXISTS: -56,
  INVALID_SRC_ADDRESS: -57,
  INVALID_DST_ADDRESS: -58,
  ADDRESS_LENGTH_MISMATCH: -59,
  ADDRESS_NOT_FOUND_FOR_INTERFACE: -60,
  /** src/vnet/error.h: "Address not deletable" (an interface's IPv6 link-local address). */
  ADDRESS_NOT_DELETABLE: -61,
  IP6_NOT_ENABLED: -62,
  NO_SUCH_NODE: -63,
  NO_SUCH_NODE2: -64,
  NO_SUCH_TABLE: -65,
  SUBIF_ALREADY_EXISTS: -68,
  INVALID_INTERFACE: -71,
  INVALID_ARGUMENT: -73,
  UNEXPECTED_INTF_STATE: -74,
  TUNNEL_EXIST: -75,
  IF_ALREADY_EXISTS: -79,
  INVALID_ADDRESS_FAMILY: -97,
  INVALID_SUB_SW_IF_INDEX: -98,
  ADDRESS_IN_USE: -105,
  ADDRESS_FOUND_FOR_INTERFACE: -114,
  ENTRY_ALREADY_EXISTS: -116,
  UNSUPPORTED: -126,
  DUPLICATE_IF_ADDRESS: -127,
  APP_ALREADY_ATTACHED: -131,
  ACL_IN_USE_INBOUND: -142,
  ACL_IN_USE_OUTBOUND: -143,
  INIT_FAILED: -144,
  INSTANCE_IN_USE: -147,
  API_ENDIAN_FAILED: -159,
  LIMIT_EXCEEDED: -162,
  EAGAIN: -165,
} as const;

/** `~0` as VPP writes it in u32 fields: "no interface", "no index", "any". */
export const INDEX_INVALID = 0xffffffff;

/** Version string VPP 26.06 reports in `show_version_reply`. */
export const DEFAULT_VPP_VERSION = '26.06-release';

/** `if_status_flags`. */
export const IF_STATUS_ADMIN_UP = 1;
export const IF_STATUS_LINK_UP = 2;

/** `fib_path_type`. */
export const FIB_PATH_TYPE_NORMAL = 0;
export const FIB_PATH_TYPE_LOCAL = 1;
export const FIB_PATH_TYPE_DROP = 2;

/** `fib_path_nh_proto`. */
export const FIB_PATH_NH_PROTO_IP4 = 0;
export const FIB_PATH_NH_PROTO_IP6 = 1;

/** `ip_neighbor_flags`: no adjacency FIB entry for the neighbour. */
export const IP_NEIGHBOR_FLAG_NO_FIB_ENTRY = 2;

/** Path flag VPP adds to every cnat backend it reports in `cnat_translation_details` (seen in the capture). */
export const CNAT_TRK_ACTIVE = 4;

/** Default VXLAN UDP destination port VPP uses when the request carries 0. */
export const VXLAN_DEFAULT_DST_PORT = 4789;

/** Interface facts as `sw_interface_details` reports them right after creation (capture, VPP 26.06). */
export const INTERFACE_DEFAULTS = {
  local: { devType: 'local', linkMtu: 0, mtu: [0, 0, 0, 0] },
  loopback: { devType: 'Loopback', linkMtu: 9000, mtu: [9000, 0, 0, 0] },
  af_packet: { devType: 'af-packet', linkMtu: 9000, mtu: [9000, 0, 0, 0] },
  tap: { devType: 'virtio', linkMtu: 9000, mtu: [9000, 0, 0, 0] },
  ipip: { devType: 'IPIP tunnel device', linkMtu: 65516, mtu: [9000, 0, 0, 0] },
  vxlan: { devType: 'VXLAN', linkMtu: 0, mtu: [0, 0, 0, 0] },
} as const;

/**
 * First message id of each `.api` module in VPP 26.06's message table, as the captured VPP numbered
 * them (its init order for the plugins it had loaded). A module's messages follow in schema order, so
 * with this table the fake gives every message the id that VPP gave it.
 */
export const VPP_MODULE_FIRST_ID: Readonly<Record<string, number>> = {
  memclnt: 1,
  tm: 29,
  arp: 55,
  ip6_dad: 63,
  ip6_nd: 70,
  rd_cp: 87,
  acl: 89,
  cnat: 131,
  dhcp6_ia_na_client_cp: 157,
  dhcp6_pd_client_cp: 159,
  lcp: 163,
  memif: 194,
  nat44_ed: 208,
  npol: 283,
  ping: 305,
  graph: 308,
  tracedump: 311,
  urpf: 328,
  vlib: 334,
  dev: 352,
  flow: 360,
  interface: 370,
  p2p_ethernet: 446,
  l2: 450,
  bond: 522,
  classify: 546,
  ip: 590,
  punt: 685,
  ip_neighbor: 695,
  bfd: 715,
  crypto: 752,
  ipsec: 758,
  tcp: 818,
  udp: 820,
  ipip: 828,
  mpls: 838,
  sr: 856,
  sr_pt: 888,
  ipfix_export: 894,
  gso: 913,
  span: 915,
  pg: 919,
  virtio: 933,
  pipe: 941,
  session: 947,
  feature: 987,
  fib: 991,
  qos: 995,
  bier: 1014,
  syslog: 1036,
  teib: 1044,
  sfdp: 1048,
  vpe: 1066,
  af_packet: 1072,
  dhcp: 1084,
  tapv2: 1115,
  vxlan: 1123,
  wireguard: 1137,
};

/** Number of messages in the captured VPP 26.06 table; modules it did not have are numbered after it. */
export const VPP_MESSAGE_COUNT = 1157;

/** VPP's `fib_source_t` ids of the FIB sources the fake models (`src` in the `_v2` route messages). */
export const FIB_SOURCE_ID = { special: 1, interface: 4, api: 8, adj: 15, default: 20 } as const;
