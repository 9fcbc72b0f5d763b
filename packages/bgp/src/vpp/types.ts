import type { VppApi, VppClient } from '@vectorplane/vpp-binapi';

/** The part of a VPP client this package uses (a `VppClient` from `connectVpp()` fits). */
export type BgpVpp = Pick<VppClient<VppApi>, 'call' | 'dump'>;

/** How a learned route reaches its node (Calico/VPP's connectivity providers). */
export type ProviderKind = 'flat' | 'ipip' | 'vxlan' | 'wireguard';

/** A learned route to program: the prefix, the remote node's underlay address and the provider. */
export interface RouteTarget {
  prefix: string;
  /** The remote node's (underlay) address: the BGP next hop. */
  nextHop: string;
  provider: ProviderKind;
}
