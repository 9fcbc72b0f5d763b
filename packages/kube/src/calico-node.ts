/** Calico's per-node settings: `projectcalico.org/*` annotations on a core/v1 Node, or a v3 Node's spec. */
import type { Node } from './resources/core.js';

/** The annotations Calico (Kubernetes datastore) keeps on core/v1 Nodes. */
export const CALICO_NODE_ANNOTATIONS = {
  ipv4Address: 'projectcalico.org/IPv4Address',
  ipv6Address: 'projectcalico.org/IPv6Address',
  asNumber: 'projectcalico.org/ASNumber',
  routeReflectorClusterID: 'projectcalico.org/RouteReflectorClusterID',
  ipv4IPIPTunnelAddr: 'projectcalico.org/IPv4IPIPTunnelAddr',
  ipv4VXLANTunnelAddr: 'projectcalico.org/IPv4VXLANTunnelAddr',
  vxlanTunnelMACAddr: 'projectcalico.org/VXLANTunnelMACAddr',
  ipv6VXLANTunnelAddr: 'projectcalico.org/IPv6VXLANTunnelAddr',
  vxlanTunnelMACAddrV6: 'projectcalico.org/VXLANTunnelMACAddrV6',
  wireguardPublicKey: 'projectcalico.org/WireguardPublicKey',
  wireguardPublicKeyV6: 'projectcalico.org/WireguardPublicKeyV6',
  /** The node's address on its WireGuard interface, a bare address (no prefix length). */
  ipv4WireguardInterfaceAddr: 'projectcalico.org/IPv4WireguardInterfaceAddr',
  ipv6WireguardInterfaceAddr: 'projectcalico.org/IPv6WireguardInterfaceAddr',
} as const;

/** What the dataplane needs to know about a node, whichever way Calico stored it. */
export interface CalicoNodeInfo {
  name: string;
  /** "192.168.0.10/24" (address with prefix length, as Calico stores it). */
  ipv4Address: string | undefined;
  ipv6Address: string | undefined;
  /** The node's own AS number; undefined means the BGPConfiguration default. */
  asNumber: number | undefined;
  routeReflectorClusterID: string | undefined;
  ipv4IPIPTunnelAddr: string | undefined;
  ipv4VXLANTunnelAddr: string | undefined;
  vxlanTunnelMACAddr: string | undefined;
  ipv6VXLANTunnelAddr: string | undefined;
  wireguardPublicKey: string | undefined;
  /** The public key of the node's IPv6 WireGuard device (Calico keeps a second key for IPv6). */
  wireguardPublicKeyV6: string | undefined;
  /** The node's address on its WireGuard interface (v3 `spec.wireguard.interfaceIPv4Address`, else the annotation). */
  wireguardInterfaceIPv4Address: string | undefined;
  /** The same for IPv6 (`spec.wireguard.interfaceIPv6Address`, else the annotation). */
  wireguardInterfaceIPv6Address: string | undefined;
  podCIDRs: string[];
}

function asn(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (m === null) return undefined;
  return m[2] === undefined ? Number(m[1]) : Number(m[1]) * 65536 + Number(m[2]);
}

/** Read a Node's Calico settings: a v3 Node's `spec.bgp` wins over the annotations of a core/v1 Node. */
export function calicoNodeInfo(node: Node): CalicoNodeInfo {
  const a = node.metadata.annotations ?? {};
  const bgp = node.spec?.bgp;
  const podCIDRs =
    node.spec?.podCIDRs ?? (node.spec?.podCIDR !== undefined ? [node.spec.podCIDR] : (node.status?.podCIDRs ?? []));
  return {
    name: node.metadata.name,
    ipv4Address: bgp?.ipv4Address ?? a[CALICO_NODE_ANNOTATIONS.ipv4Address],
    ipv6Address: bgp?.ipv6Address ?? a[CALICO_NODE_ANNOTATIONS.ipv6Address],
    asNumber: bgp?.asNumber ?? asn(a[CALICO_NODE_ANNOTATIONS.asNumber]),
    routeReflectorClusterID: bgp?.routeReflectorClusterID ?? a[CALICO_NODE_ANNOTATIONS.routeReflectorClusterID],
    ipv4IPIPTunnelAddr: bgp?.ipv4IPIPTunnelAddr ?? a[CALICO_NODE_ANNOTATIONS.ipv4IPIPTunnelAddr],
    ipv4VXLANTunnelAddr: node.spec?.ipv4VXLANTunnelAddr ?? a[CALICO_NODE_ANNOTATIONS.ipv4VXLANTunnelAddr],
    vxlanTunnelMACAddr: node.spec?.vxlanTunnelMACAddr ?? a[CALICO_NODE_ANNOTATIONS.vxlanTunnelMACAddr],
    ipv6VXLANTunnelAddr: node.spec?.ipv6VXLANTunnelAddr ?? a[CALICO_NODE_ANNOTATIONS.ipv6VXLANTunnelAddr],
    wireguardPublicKey: node.status?.wireguardPublicKey ?? a[CALICO_NODE_ANNOTATIONS.wireguardPublicKey],
    wireguardPublicKeyV6: node.status?.wireguardPublicKeyV6 ?? a[CALICO_NODE_ANNOTATIONS.wireguardPublicKeyV6],
    wireguardInterfaceIPv4Address:
      node.spec?.wireguard?.interfaceIPv4Address ?? a[CALICO_NODE_ANNOTATIONS.ipv4WireguardInterfaceAddr],
    wireguardInterfaceIPv6Address:
      node.spec?.wireguard?.interfaceIPv6Address ?? a[CALICO_NODE_ANNOTATIONS.ipv6WireguardInterfaceAddr],
    podCIDRs,
  };
}
