/**
 * Network policy for VPP: one policy model (ipsets, rules, policies and profiles in tiers, workload and
 * host endpoint bindings) compiled incrementally to VPP's ACL plugin (enforces on every released VPP)
 * or to npol (VPP builds whose npol has its datapath hook), fed by Calico's Felix over its external
 * dataplane protocol or by native Kubernetes NetworkPolicies.
 *
 * @example
 * ```ts
 * import { connectVpp } from '@vectorplane/vpp-binapi';
 * import { createPolicyDataplane } from '@vectorplane/policies';
 *
 * const vpp = await connectVpp({ socket: '/run/vpp/api.sock' });
 * const policies = createPolicyDataplane({ vpp }, { backend: 'auto', host: { hostAddresses: ['192.168.0.1'] } });
 * await policies.start();
 * await policies.apply([
 *   { kind: 'ipset', id: 'frontends', set: { type: 'ip', members: ['10.0.0.1'] } },
 *   { kind: 'policy', id: 'web', policy: { inbound: [{ action: 'allow', protocol: 6, srcIpSets: ['frontends'], dstPorts: [{ first: 80, last: 80 }] }], outbound: [] } },
 *   { kind: 'workload', id: 'default/web', endpoint: { swIfIndexes: [5], addresses: ['10.0.0.2'], profiles: [], tiers: [{ name: 'default', ingress: ['web'], egress: [] }] } },
 * ]);
 * ```
 * @packageDocumentation
 */

// model
export type {
  FailsafePort,
  HostConfig,
  HostEndpoint,
  IcmpMatch,
  IpSet,
  IpSetType,
  Policy,
  PortRange,
  Rule,
  RuleAction,
  Tier,
  WorkloadEndpoint,
} from './model.js';
export { DEFAULT_FAILSAFE_INBOUND, DEFAULT_FAILSAFE_OUTBOUND } from './model.js';
export type { PolicyBackendKind, PolicyChange, PolicyLogger, PolicySnapshot, PolicyVpp } from './types.js';

// dataplane (programmer + backends)
export {
  createPolicyDataplane,
  detectBackend,
  type ApplyResult,
  type PolicyDataplane,
  type PolicyDataplaneComponents,
  type PolicyDataplaneEvents,
  type PolicyDataplaneInit,
} from './dataplane.js';
export type { AdoptionReport } from './backends/backend.js';
export {
  DEFAULT_NPOL_STATE_PATH,
  parseNpolState,
  type LoadedNpolState,
  type NpolStateFile,
  type NpolVppIdentity,
} from './backends/npol-state.js';
export { BUILTIN, type InterfaceConfig, type DirectionConfig, type TierRef } from './endpoints.js';
export { compileChain, ruleMatches, type AclEntry, type ChainInput } from './compile-acl.js';
export { npolRule } from './compile-npol.js';

// Felix front-end
export {
  createFelixServer,
  type FelixEndpointResolver,
  type FelixHostMetadataEvent,
  type FelixIpamPoolEvent,
  type FelixServer,
  type FelixServerComponents,
  type FelixServerEvents,
  type FelixServerInit,
} from './felix/server.js';
export { FelixFrameDecoder, frameFelix, DEFAULT_FELIX_MAX_FRAME, FELIX_HEADER_SIZE } from './felix/framing.js';
export { FELIX_PROTO } from './felix/proto.js';

// Kubernetes front-end
export {
  createNetworkPolicyController,
  type NetworkPolicyController,
  type NetworkPolicyControllerComponents,
  type NetworkPolicyControllerEvents,
} from './k8s/controller.js';
export { translateNetworkPolicy, type TranslatedPolicy } from './k8s/translate.js';
export { selectorMatches, validateSelector, type Selector } from './k8s/selector.js';

// errors
export {
  PolicyError,
  PolicyModelError,
  PolicyReferenceError,
  PolicyVppError,
  PolicyStateError,
  FelixFrameTooLargeError,
  FelixFrameTruncatedError,
  FelixDecodeError,
  FelixUnknownPayloadError,
  NetworkPolicyInvalidError,
  type PolicyIssue,
} from './errors.js';
