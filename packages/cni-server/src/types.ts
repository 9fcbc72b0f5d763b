import type { VppApi, VppClient } from '@vectorplane/vpp-binapi';
import type { AddRequest, Port, WorkloadIDs } from './proto.js';
import type { InterfaceMode, PodSpec } from './spec.js';

/** What the server needs of a VPP client: calls and dumps (a `VppClient` from `connectVpp`). */
export type CniVpp = Pick<VppClient<VppApi>, 'call' | 'dump'> &
  Partial<Pick<VppClient<VppApi>, 'addEventListener' | 'removeEventListener'>>;

/** A pino-compatible logger; nothing is logged without one. */
export interface CniLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  /** pino's: when it says `debug` is off, the per-step timings of an Add are not even measured. */
  isLevelEnabled?(level: string): boolean;
}

/** True when `logger` would write a debug line (a logger without `isLevelEnabled` is asked every time). */
export function debugEnabled(logger: CniLogger | undefined): logger is CniLogger {
  return logger !== undefined && (logger.isLevelEnabled?.('debug') ?? true);
}

/** VRFs of one pod (VPP table ids); `rpf*` only for the families the pod has. */
export interface PodVrfs {
  pod4: number;
  pod6: number;
  rpf4?: number;
  rpf6?: number;
}

/** What the server keeps (and persists) for one pod. */
export interface PodRecord {
  readonly key: string;
  readonly id: string;
  readonly request: AddRequest;
  readonly spec: PodSpec;
  readonly swIfIndex: number;
  readonly loopbackSwIfIndex: number;
  readonly vrfs: PodVrfs;
  readonly vppMac: string;
  readonly containerMac: string;
  readonly cnatIds: readonly number[];
  /** Instance of the loopback (`loop<N>`), from LOOPBACK_INSTANCE_MIN up; absent in records of older versions. */
  readonly loopInstance?: number | undefined;
  /** The memif of `vppExtraMemifPorts` (when the memif feature is on and the pod asks for it). */
  readonly memif?: { readonly swIfIndex: number; readonly socketId: number } | undefined;
  /** The VPP connection the ids above belong to (bumped when VPP restarts). */
  readonly epoch: number;
  readonly createdAt: string;
}

/**
 * What a pod being added is about to create that VPP cannot tag (cnat translations of its hostPorts), written to
 * the state file before it is created, so that after a crash the next start finds and removes it.
 */
export interface PodIntent {
  readonly key: string;
  readonly id: string;
  /** The pod's addresses: a translation is the pod's only when a backend is one of them. */
  readonly ips: readonly string[];
  /** The translations' VIPs: address, port, IP protocol number. */
  readonly cnat: readonly { readonly addr: string; readonly port: number; readonly proto: number }[];
}

/** A pod as announced to consumers (policies, BGP, the agent). */
export interface PodInfo {
  readonly key: string;
  readonly netns: string;
  readonly interfaceName: string;
  readonly hostInterfaceName: string;
  readonly mode: InterfaceMode;
  readonly workload: WorkloadIDs;
  /** The pod interface in VPP. */
  readonly swIfIndex: number;
  readonly loopbackSwIfIndex: number;
  /** The pod's memif in VPP, when it has one. */
  readonly memifSwIfIndex: number | undefined;
  /** Canonical container addresses, without prefix. */
  readonly ips: readonly string[];
  readonly ports: readonly Port[];
  readonly containerMac: string;
  readonly vrfs: Readonly<PodVrfs>;
}

/** Why an event was sent. */
export type PodEventReason = 'add' | 'del' | 'restored' | 'replayed' | 'orphaned';

/** The typed event stream of the server. */
export type PodEvent =
  | { readonly type: 'podAdded'; readonly reason: 'add' | 'restored' | 'replayed'; readonly pod: PodInfo }
  | { readonly type: 'podDeleted'; readonly reason: 'del' | 'orphaned'; readonly pod: PodInfo };

/** What a reconcile did. */
export interface ReconcileReport {
  readonly kept: string[];
  readonly rebuilt: string[];
  readonly removed: string[];
  readonly orphansRemoved: string[];
  readonly failed: { key: string; error: string }[];
}

/** What a sweep of pods whose netns is gone did (see `CniServer.sweep`). */
export interface SweepReport {
  /** Keys of the pods removed (VPP objects, veth, state entry; a `podDeleted` event with reason `orphaned`). */
  readonly removed: string[];
  /** Pods removed with errors on the way (their state entry is gone all the same). */
  readonly failed: { key: string; error: string }[];
}

export function podInfo(r: PodRecord): PodInfo {
  return {
    key: r.key,
    netns: r.spec.netns,
    interfaceName: r.spec.ifname,
    hostInterfaceName: r.spec.hostIfName,
    mode: r.spec.mode,
    workload: r.spec.workload,
    swIfIndex: r.swIfIndex,
    loopbackSwIfIndex: r.loopbackSwIfIndex,
    memifSwIfIndex: r.memif?.swIfIndex,
    ips: r.spec.ips.map((i) => i.address),
    ports: r.spec.workload.ports,
    containerMac: r.containerMac,
    vrfs: { ...r.vrfs },
  };
}
