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
  UNIMPLEMENTED: -9,
  INVALID_SW_IF_INDEX_2: -10,
  SYSCALL_ERROR_1: -11,
  FEATURE_DISABLED: -30,
  INVALID_REGISTRATION: -31,
  NO_PATHS_IN_ROUTE: -52,
  ADDRESS_NOT_FOUND_FOR_INTERFACE: -60,
  ADDRESS_NOT_LINK_LOCAL: -61,
  IP6_NOT_ENABLED: -62,
  SUBIF_ALREADY_EXISTS: -68,
  INVALID_INTERFACE: -71,
  TUNNEL_EXIST: -75,
  IF_ALREADY_EXISTS: -79,
  INVALID_SUB_SW_IF_INDEX: -98,
  ADDRESS_IN_USE: -105,
  ADDRESS_FOUND_FOR_INTERFACE: -114,
  UNSUPPORTED: -126,
  DUPLICATE_IF_ADDRESS: -127,
  INSTANCE_IN_USE: -147,
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
