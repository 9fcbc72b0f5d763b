/** Where Debian's gobgpd package installs the daemon. */
export const DEFAULT_GOBGPD_PATH = '/usr/bin/gobgpd';
/** Calico's default AS number when neither the Node nor the BGPConfiguration gives one. */
export const DEFAULT_ASN = 64512;
/** BGP's port. */
export const BGP_PORT = 179;
/** Calico's default VXLAN VNI and port. */
export const DEFAULT_VXLAN_VNI = 4096;
export const DEFAULT_VXLAN_PORT = 4789;
/** Calico's default WireGuard listen port. */
export const DEFAULT_WIREGUARD_PORT = 51820;
/** Calico's `wireguardListeningPortV6` default: the IPv6 device listens on its own port. */
export const DEFAULT_WIREGUARD_PORT_V6 = 51821;
/** Default graceful-restart time in seconds (Calico's maxRestartTime default). */
export const DEFAULT_RESTART_TIME_S = 120;
/** Largest 4-byte AS number. */
export const MAX_ASN = 0xffffffff;
/** The FIB source our routes are tagged with is the API's; the table is always 0. */
export const VPP_TABLE_ID = 0;
/** sw_if_index meaning "none" in VPP's API. */
export const SW_IF_INDEX_NONE = 0xffffffff;
