/**
 * Calico's CNI dataplane API for VPP: a gRPC server wire-exact with Calico's `cnibackend.proto`
 * (`cni.CniDataplane` Add/Del on a unix socket), the pods it builds in VPP and in their netns (per-pod VRFs,
 * a loopback, veth + af_packet, tun or tap, uRPF, hostPorts), a state file reconciled on start and after
 * VPP restarts, and a typed stream of pod events. The `vectorplane-cni` binary is a CNI 1.x plugin for it.
 *
 * @example
 * ```ts
 * import { connectVpp } from '@vectorplane/vpp-binapi';
 * import { createCniServer } from '@vectorplane/cni-server';
 *
 * const vpp = await connectVpp({ reconnect: true, maxInFlight: 2048 }); // a burst of Adds: ~15 requests per pod at once
 * const cni = createCniServer({ stateFile: '/var/lib/vectorplane/cni.json' }, { vpp });
 * await cni.start();
 * for await (const ev of cni.events()) console.log(ev.type, ev.pod.workload.name, ev.pod.swIfIndex);
 * ```
 * @packageDocumentation
 */
export {
  createCniServer,
  type CniServer,
  type CniServerInit,
  type CniServerComponents,
  type CallOptions,
} from './server.js';
export {
  listenGrpc,
  createCniClient,
  cniServiceDefinition,
  CNI_METHODS,
  type CniClient,
  type CniHandlers,
  type GrpcListener,
} from './grpc.js';
export {
  CNI_BACKEND_PROTO,
  cniMessages,
  cniProtoRoot,
  normaliseAddRequest,
  type AddReply,
  type AddRequest,
  type AddRequestInit,
  type ContainerSettings,
  type DelReply,
  type DelRequest,
  type IPConfig,
  type Port,
  type WorkloadIDs,
} from './proto.js';
export {
  toPodSpec,
  podKey,
  podId,
  canonicalIp,
  type PodSpec,
  type InterfaceMode,
  type Encapsulation,
  type RxMode,
  type PodIp,
  type HostPortSpec,
} from './spec.js';
export { StateStore, type StateFile } from './state-store.js';
export { tagOf } from './pod-builder.js';
export type {
  CniLogger,
  CniVpp,
  PodEvent,
  PodEventReason,
  PodInfo,
  PodIntent,
  PodRecord,
  PodVrfs,
  ReconcileReport,
  SweepReport,
} from './types.js';
export {
  CniServerError,
  InvalidRequestError,
  NetnsNotFoundError,
  InterfaceExistsError,
  DuplicateIpError,
  PodSetupError,
  StateFileError,
  ServerNotRunningError,
} from './errors.js';
export * from './constants.js';
