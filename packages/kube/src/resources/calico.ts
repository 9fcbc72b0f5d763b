/**
 * Calico kinds, read from either API group Calico uses: `projectcalico.org/v3` (the Calico API server) and
 * `crd.projectcalico.org/v1` (the CRDs behind it in Kubernetes-datastore mode). Both carry the same spec
 * field names; only the fields the dataplane reads are modelled.
 */
import { z } from 'zod';
import { ObjectMetaSchema, ProtocolSchema } from './meta.js';
import { ASNumberSchema } from './core.js';

export const CALICO_API_VERSIONS = ['projectcalico.org/v3', 'crd.projectcalico.org/v1'] as const;
const CalicoApiVersion = z.enum(CALICO_API_VERSIONS);

const EncapMode = z.enum(['Never', 'Always', 'CrossSubnet']);

/** Calico's SecretKeySelector reference (`password.secretKeyRef`). */
export const SecretKeyRefSchema = z.object({
  secretKeyRef: z.object({ name: z.string(), key: z.string(), optional: z.boolean().optional() }).optional(),
});

// ---------------------------------------------------------------- IPPool

export const IPPoolSpecSchema = z.object({
  cidr: z.string().min(1),
  vxlanMode: EncapMode.optional(),
  ipipMode: EncapMode.optional(),
  natOutgoing: z.boolean().optional(),
  disabled: z.boolean().optional(),
  disableBGPExport: z.boolean().optional(),
  blockSize: z.number().int().optional(),
  nodeSelector: z.string().optional(),
  allowedUses: z.array(z.enum(['Workload', 'Tunnel', 'LoadBalancer'])).optional(),
  assignmentMode: z.enum(['Automatic', 'Manual']).optional(),
  /** crd.projectcalico.org/v1 (deprecated): `ipip: { enabled, mode }`. */
  ipip: z.object({ enabled: z.boolean().optional(), mode: z.enum(['always', 'cross-subnet']).optional() }).optional(),
});
export type IPPoolSpec = z.infer<typeof IPPoolSpecSchema>;

export const IPPoolSchema = z.object({
  apiVersion: CalicoApiVersion,
  kind: z.literal('IPPool'),
  metadata: ObjectMetaSchema,
  spec: IPPoolSpecSchema,
});
export type IPPool = z.infer<typeof IPPoolSchema>;

// ---------------------------------------------------------------- BGPConfiguration

const CidrEntry = z.object({ cidr: z.string() });

export const BGPConfigurationSpecSchema = z.object({
  logSeverityScreen: z.string().optional(),
  nodeToNodeMeshEnabled: z.boolean().optional(),
  asNumber: ASNumberSchema.optional(),
  serviceLoadBalancerIPs: z.array(CidrEntry).optional(),
  serviceExternalIPs: z.array(CidrEntry).optional(),
  serviceClusterIPs: z.array(CidrEntry).optional(),
  listenPort: z.number().int().min(1).max(65535).optional(),
  bindMode: z.enum(['None', 'NodeIP']).optional(),
  communities: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
  prefixAdvertisements: z.array(z.object({ cidr: z.string(), communities: z.array(z.string()).optional() })).optional(),
  nodeMeshPassword: SecretKeyRefSchema.optional(),
  nodeMeshMaxRestartTime: z.string().optional(),
  ignoredInterfaces: z.array(z.string()).optional(),
  localWorkloadPeeringIPV4: z.string().optional(),
  localWorkloadPeeringIPV6: z.string().optional(),
});
export type BGPConfigurationSpec = z.infer<typeof BGPConfigurationSpecSchema>;

export const BGPConfigurationSchema = z.object({
  apiVersion: CalicoApiVersion,
  kind: z.literal('BGPConfiguration'),
  metadata: ObjectMetaSchema,
  spec: BGPConfigurationSpecSchema.optional(),
});
export type BGPConfiguration = z.infer<typeof BGPConfigurationSchema>;

// ---------------------------------------------------------------- BGPPeer

export const BGPPeerSpecSchema = z.object({
  /** The node this peering applies to; empty means every node (or those `nodeSelector` picks). */
  node: z.string().optional(),
  nodeSelector: z.string().optional(),
  /** "10.0.0.1", "10.0.0.1:1790" or "[fd00::1]:179". */
  peerIP: z.string().optional(),
  peerSelector: z.string().optional(),
  asNumber: ASNumberSchema.optional(),
  password: SecretKeyRefSchema.optional(),
  sourceAddress: z.enum(['UseNodeIP', 'None']).optional(),
  failureDetectionMode: z.enum(['None', 'BFDIfDirectlyConnected']).optional(),
  restartMode: z.enum(['GracefulRestart', 'LongLivedGracefulRestart']).optional(),
  maxRestartTime: z.string().optional(),
  keepaliveTime: z.string().optional(),
  birdGatewayMode: z.enum(['Recursive', 'DirectIfDirectlyConnected']).optional(),
  numAllowedLocalASNumbers: z.number().int().optional(),
  ttlSecurity: z.number().int().optional(),
  keepOriginalNextHop: z.boolean().optional(),
  nextHopMode: z.enum(['Auto', 'Self', 'Keep']).optional(),
  reachableBy: z.string().optional(),
  filters: z.array(z.string()).optional(),
  localWorkloadSelector: z.string().optional(),
  reversePeering: z.enum(['Auto', 'Manual']).optional(),
});
export type BGPPeerSpec = z.infer<typeof BGPPeerSpecSchema>;

export const BGPPeerSchema = z.object({
  apiVersion: CalicoApiVersion,
  kind: z.literal('BGPPeer'),
  metadata: ObjectMetaSchema,
  spec: BGPPeerSpecSchema,
});
export type BGPPeer = z.infer<typeof BGPPeerSchema>;

// ---------------------------------------------------------------- BGPFilter

const BGPFilterRule = z.object({
  action: z.enum(['Accept', 'Reject']),
  cidr: z.string().optional(),
  matchOperator: z.enum(['Equal', 'NotEqual', 'In', 'NotIn']).optional(),
  prefixLength: z.object({ min: z.number().int().optional(), max: z.number().int().optional() }).optional(),
  source: z.enum(['RemotePeers']).optional(),
  interface: z.string().optional(),
});
export const BGPFilterRuleSchema = BGPFilterRule;
export type BGPFilterRule = z.infer<typeof BGPFilterRuleSchema>;

export const BGPFilterSpecSchema = z.object({
  exportV4: z.array(BGPFilterRule).optional(),
  importV4: z.array(BGPFilterRule).optional(),
  exportV6: z.array(BGPFilterRule).optional(),
  importV6: z.array(BGPFilterRule).optional(),
});
export type BGPFilterSpec = z.infer<typeof BGPFilterSpecSchema>;

export const BGPFilterSchema = z.object({
  apiVersion: CalicoApiVersion,
  kind: z.literal('BGPFilter'),
  metadata: ObjectMetaSchema,
  spec: BGPFilterSpecSchema.optional(),
});
export type BGPFilter = z.infer<typeof BGPFilterSchema>;

// ---------------------------------------------------------------- FelixConfiguration

const ProtoPort = z.object({ protocol: ProtocolSchema.optional(), port: z.number().int(), net: z.string().optional() });

export const FelixConfigurationSpecSchema = z.object({
  ipipEnabled: z.boolean().optional(),
  ipipMTU: z.number().int().optional(),
  vxlanEnabled: z.boolean().optional(),
  vxlanPort: z.number().int().optional(),
  vxlanVNI: z.number().int().optional(),
  vxlanMTU: z.number().int().optional(),
  vxlanMTUV6: z.number().int().optional(),
  wireguardEnabled: z.boolean().optional(),
  wireguardEnabledV6: z.boolean().optional(),
  wireguardListeningPort: z.number().int().optional(),
  wireguardListeningPortV6: z.number().int().optional(),
  wireguardMTU: z.number().int().optional(),
  wireguardInterfaceName: z.string().optional(),
  defaultEndpointToHostAction: z.enum(['Drop', 'Accept', 'Return']).optional(),
  failsafeInboundHostPorts: z.array(ProtoPort).optional(),
  failsafeOutboundHostPorts: z.array(ProtoPort).optional(),
  natOutgoingAddress: z.string().optional(),
  natPortRange: z.string().optional(),
  serviceLoopPrevention: z.enum(['Drop', 'Reject', 'Disabled']).optional(),
  routeSource: z.enum(['WorkloadIPs', 'CalicoIPAM']).optional(),
  bpfEnabled: z.boolean().optional(),
  logSeverityScreen: z.string().optional(),
  healthPort: z.number().int().optional(),
});
export type FelixConfigurationSpec = z.infer<typeof FelixConfigurationSpecSchema>;

export const FelixConfigurationSchema = z.object({
  apiVersion: CalicoApiVersion,
  kind: z.literal('FelixConfiguration'),
  metadata: ObjectMetaSchema,
  spec: FelixConfigurationSpecSchema.optional(),
});
export type FelixConfiguration = z.infer<typeof FelixConfigurationSchema>;

// ---------------------------------------------------------------- BlockAffinity

/**
 * Calico IPAM's claim of a block for a host (`blockaffinities`): the blocks a node announces over BGP are the
 * ones affine to it with `state: confirmed` and not `deleted`. `deleted` is a string in the CRD ("true") and a
 * boolean in projectcalico.org/v3.
 */
export const BlockAffinitySpecSchema = z.object({
  cidr: z.string().min(1),
  node: z.string().min(1),
  state: z.string().optional(),
  deleted: z.union([z.string(), z.boolean()]).optional(),
  type: z.string().optional(),
});
export type BlockAffinitySpec = z.infer<typeof BlockAffinitySpecSchema>;

export const BlockAffinitySchema = z.object({
  apiVersion: CalicoApiVersion,
  kind: z.literal('BlockAffinity'),
  metadata: ObjectMetaSchema,
  spec: BlockAffinitySpecSchema,
});
export type BlockAffinity = z.infer<typeof BlockAffinitySchema>;

/** True when the affinity gives its node the block: confirmed (or a state-less older object) and not deleted. */
export function isConfirmedBlockAffinity(a: BlockAffinity): boolean {
  const deleted = a.spec.deleted === true || a.spec.deleted === 'true';
  return !deleted && (a.spec.state === undefined || a.spec.state === 'confirmed');
}
