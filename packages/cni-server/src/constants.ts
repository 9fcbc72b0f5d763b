/** Default path of the gRPC socket (Calico's). */
export const DEFAULT_CNI_SERVER_SOCKET = '/var/run/calico/cni-server.sock';
/** Default path of the state file. */
export const DEFAULT_STATE_FILE = '/var/lib/vectorplane/cni-server-state.json';
/** Version of the state file's format. */
export const STATE_FILE_VERSION = 1;
/** Linux's IFNAMSIZ (names hold at most IFNAMSIZ - 1 bytes). */
export const IFNAMSIZ = 16;
/** Bytes each encapsulation adds, taken off the pod MTU. */
export const ENCAP_OVERHEAD = { none: 0, ipip: 20, vxlan: 50, wireguard: 60 } as const;
/** Calico/VPP's per-interface settings annotation. */
export const INTERFACES_SPEC_ANNOTATION = 'cni.projectcalico.org/vppInterfacesSpec';
/** Calico/VPP's uRPF exceptions annotation: a JSON array of CIDRs the pod may send from. */
export const ALLOWED_SOURCE_PREFIXES_ANNOTATION = 'cni.projectcalico.org/AllowedSourcePrefixes';
/** Calico/VPP's memif ports annotation (`tcp:4444-20000,udp:4444-20000`). */
export const MEMIF_PORTS_ANNOTATION = 'cni.projectcalico.org/vppExtraMemifPorts';
/** Gateways the pod routes through (Calico's style: a link-local next hop answered by VPP). */
export const DEFAULT_GATEWAY4 = '169.254.0.1';
export const DEFAULT_GATEWAY6 = 'fe80::1';
/** Prefix of every VPP tag and table name this package writes. */
export const TAG_PREFIX = 'vpcni:';
/** First VRF id used for pod tables. */
export const DEFAULT_VRF_BASE = 1_000_000;
/** Largest gRPC message accepted. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
export const INDEX_INVALID = 0xffffffff;
/**
 * Loopback instances of pod loopbacks (`loop8192` …): created with `create_loopback_instance` in this range so that
 * a loopback left untagged by a crash is still known as ours. VPP caps instances below LOOPBACK_MAX_INSTANCE (16384,
 * src/vnet/ethernet/interface.c); other components get the lowest free instance, far below.
 */
export const LOOPBACK_INSTANCE_MIN = 8192;
export const LOOPBACK_INSTANCE_MAX = 16383;
/** VNET_API_ERROR_INVALID_REGISTRATION: a loopback instance is taken. */
export const VPP_INSTANCE_IN_USE = -31;
/**
 * `maxParallel: 'auto'` (the default) builds one more than half of the most Adds in the server at one time
 * (running + waiting, since it was last idle) at once (a burst's median pod is in its first wave), at least AUTO_PARALLEL_MIN and at most AUTO_PARALLEL_MAX; the rest wait in
 * arrival order.
 */
export const AUTO_PARALLEL_MIN = 16;
export const AUTO_PARALLEL_MAX = 128;
/**
 * `auto` admits a saturated burst in waves: freed slots are refilled once the whole wave is done, or after this
 * long (ms) at the latest (a stuck pod does not hold the others back).
 */
export const AUTO_WAVE_MAX_WAIT_MS = 500;
/** Pods torn down at once by default (`maxParallelDel`). */
export const DEFAULT_MAX_PARALLEL_DEL = 16;
/** Default interval of the sweep for pods whose netns is gone (`netnsSweepIntervalMs`). */
export const DEFAULT_NETNS_SWEEP_INTERVAL_MS = 60_000;
