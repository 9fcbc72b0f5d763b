/** core/v1 kinds: Node, Pod, Namespace, Service, Secret; discovery.k8s.io/v1 EndpointSlice; networking.k8s.io/v1 NetworkPolicy. */
import { z } from 'zod';
import { ConditionSchema, IntOrStringSchema, LabelSelectorSchema, ObjectMetaSchema, ProtocolSchema } from './meta.js';

const ASNumberSchema = z.union([
  z.number().int().min(0).max(4294967295),
  // numorstring.ASNumber: "65000" or the dotted "1.10" form (high.low).
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'expected an AS number like 65000 or 1.10')
    .transform((s) => {
      const [hi, lo] = s.split('.');
      return lo === undefined ? Number(hi) : Number(hi) * 65536 + Number(lo);
    }),
]);
export { ASNumberSchema };

// ---------------------------------------------------------------- Node (core/v1, plus the Calico v3 Node spec)

export const TaintSchema = z.object({
  key: z.string(),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
  timeAdded: z.string().optional(),
});

/** Calico's NodeBGPSpec (projectcalico.org/v3 Node `.spec.bgp`). */
export const NodeBGPSpecSchema = z.object({
  asNumber: ASNumberSchema.optional(),
  /** Address and prefix length, e.g. "192.168.0.10/24". */
  ipv4Address: z.string().optional(),
  ipv6Address: z.string().optional(),
  ipv4IPIPTunnelAddr: z.string().optional(),
  routeReflectorClusterID: z.string().optional(),
});
export type NodeBGPSpec = z.infer<typeof NodeBGPSpecSchema>;

export const NodeAddressSchema = z.object({ type: z.string(), address: z.string() });

export const NodeSpecSchema = z.object({
  // core/v1 NodeSpec
  podCIDR: z.string().optional(),
  podCIDRs: z.array(z.string()).optional(),
  providerID: z.string().optional(),
  unschedulable: z.boolean().optional(),
  taints: z.array(TaintSchema).optional(),
  // projectcalico.org/v3 NodeSpec
  bgp: NodeBGPSpecSchema.optional(),
  ipv4VXLANTunnelAddr: z.string().optional(),
  vxlanTunnelMACAddr: z.string().optional(),
  ipv6VXLANTunnelAddr: z.string().optional(),
  vxlanTunnelMACAddrV6: z.string().optional(),
  addresses: z.array(z.object({ address: z.string(), type: z.string().optional() })).optional(),
  wireguard: z
    .object({ interfaceIPv4Address: z.string().optional(), interfaceIPv6Address: z.string().optional() })
    .optional(),
  orchRefs: z.array(z.object({ nodeName: z.string().optional(), orchestrator: z.string() })).optional(),
});

export const NodeStatusSchema = z.object({
  // core/v1 NodeStatus
  addresses: z.array(NodeAddressSchema).optional(),
  conditions: z.array(ConditionSchema.extend({ lastHeartbeatTime: z.string().optional() })).optional(),
  nodeInfo: z
    .object({
      machineID: z.string().optional(),
      kernelVersion: z.string().optional(),
      osImage: z.string().optional(),
      kubeletVersion: z.string().optional(),
      architecture: z.string().optional(),
    })
    .optional(),
  // projectcalico.org/v3 NodeStatus
  wireguardPublicKey: z.string().optional(),
  wireguardPublicKeyV6: z.string().optional(),
  podCIDRs: z.array(z.string()).optional(),
});

/**
 * A Node: a core/v1 Node (Calico's per-node settings in its `projectcalico.org/*` annotations, read them with
 * `calicoNodeInfo()`), or a projectcalico.org/v3 Node (the same settings in `spec.bgp` and friends).
 */
export const NodeSchema = z.object({
  apiVersion: z.enum(['v1', 'projectcalico.org/v3']),
  kind: z.literal('Node'),
  metadata: ObjectMetaSchema,
  spec: NodeSpecSchema.optional(),
  status: NodeStatusSchema.optional(),
});
export type Node = z.infer<typeof NodeSchema>;

// ---------------------------------------------------------------- Namespace

export const NamespaceSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Namespace'),
  metadata: ObjectMetaSchema,
  spec: z.object({ finalizers: z.array(z.string()).optional() }).optional(),
  status: z.object({ phase: z.enum(['Active', 'Terminating']).optional() }).optional(),
});
export type Namespace = z.infer<typeof NamespaceSchema>;

// ---------------------------------------------------------------- Pod

export const ContainerPortSchema = z.object({
  name: z.string().optional(),
  containerPort: z.number().int().min(1).max(65535),
  protocol: ProtocolSchema.optional(),
  hostPort: z.number().int().optional(),
  hostIP: z.string().optional(),
});

export const ContainerSchema = z.object({
  name: z.string(),
  image: z.string().optional(),
  ports: z.array(ContainerPortSchema).optional(),
});

export const PodIPSchema = z.object({ ip: z.string() });

export const PodSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Pod'),
  metadata: ObjectMetaSchema,
  spec: z
    .object({
      nodeName: z.string().optional(),
      hostNetwork: z.boolean().optional(),
      serviceAccountName: z.string().optional(),
      containers: z.array(ContainerSchema).optional(),
      initContainers: z.array(ContainerSchema).optional(),
      hostname: z.string().optional(),
      subdomain: z.string().optional(),
    })
    .optional(),
  status: z
    .object({
      phase: z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']).optional(),
      podIP: z.string().optional(),
      podIPs: z.array(PodIPSchema).optional(),
      hostIP: z.string().optional(),
      hostIPs: z.array(PodIPSchema).optional(),
      conditions: z.array(ConditionSchema).optional(),
    })
    .optional(),
});
export type Pod = z.infer<typeof PodSchema>;

// ---------------------------------------------------------------- Service

export const ServicePortSchema = z.object({
  name: z.string().optional(),
  protocol: ProtocolSchema.optional(),
  appProtocol: z.string().optional(),
  port: z.number().int().min(1).max(65535),
  targetPort: IntOrStringSchema.optional(),
  nodePort: z.number().int().min(0).max(65535).optional(),
});
export type ServicePort = z.infer<typeof ServicePortSchema>;

export const ServiceSpecSchema = z.object({
  type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']).optional(),
  ports: z.array(ServicePortSchema).optional(),
  selector: z.record(z.string(), z.string()).optional(),
  clusterIP: z.string().optional(),
  clusterIPs: z.array(z.string()).optional(),
  ipFamilies: z.array(z.enum(['IPv4', 'IPv6'])).optional(),
  ipFamilyPolicy: z.enum(['SingleStack', 'PreferDualStack', 'RequireDualStack']).optional(),
  externalIPs: z.array(z.string()).optional(),
  loadBalancerIP: z.string().optional(),
  loadBalancerSourceRanges: z.array(z.string()).optional(),
  loadBalancerClass: z.string().optional(),
  allocateLoadBalancerNodePorts: z.boolean().optional(),
  externalName: z.string().optional(),
  externalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
  internalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
  healthCheckNodePort: z.number().int().optional(),
  publishNotReadyAddresses: z.boolean().optional(),
  sessionAffinity: z.enum(['ClientIP', 'None']).optional(),
  sessionAffinityConfig: z
    .object({ clientIP: z.object({ timeoutSeconds: z.number().int().optional() }).optional() })
    .optional(),
  trafficDistribution: z.string().optional(),
});
export type ServiceSpec = z.infer<typeof ServiceSpecSchema>;

export const LoadBalancerIngressSchema = z.object({
  ip: z.string().optional(),
  hostname: z.string().optional(),
  ipMode: z.enum(['VIP', 'Proxy']).optional(),
  ports: z
    .array(z.object({ port: z.number().int(), protocol: ProtocolSchema.optional(), error: z.string().optional() }))
    .optional(),
});

export const ServiceSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Service'),
  metadata: ObjectMetaSchema,
  spec: ServiceSpecSchema.optional(),
  status: z
    .object({ loadBalancer: z.object({ ingress: z.array(LoadBalancerIngressSchema).optional() }).optional() })
    .optional(),
});
export type Service = z.infer<typeof ServiceSchema>;

// ---------------------------------------------------------------- Secret (read only)

export const SecretSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Secret'),
  metadata: ObjectMetaSchema,
  type: z.string().optional(),
  /** Values are base64, as on the wire. */
  data: z.record(z.string(), z.string()).optional(),
  stringData: z.record(z.string(), z.string()).optional(),
  immutable: z.boolean().optional(),
});
export type Secret = z.infer<typeof SecretSchema>;

// ---------------------------------------------------------------- EndpointSlice (discovery.k8s.io/v1)

export const EndpointConditionsSchema = z.object({
  ready: z.boolean().optional(),
  serving: z.boolean().optional(),
  terminating: z.boolean().optional(),
});

export const ObjectReferenceSchema = z.object({
  kind: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  uid: z.string().optional(),
  apiVersion: z.string().optional(),
  resourceVersion: z.string().optional(),
});

export const EndpointSchema = z.object({
  addresses: z.array(z.string()).min(1),
  conditions: EndpointConditionsSchema.optional(),
  hostname: z.string().optional(),
  targetRef: ObjectReferenceSchema.optional(),
  nodeName: z.string().optional(),
  zone: z.string().optional(),
  hints: z
    .object({
      forZones: z.array(z.object({ name: z.string() })).optional(),
      forNodes: z.array(z.object({ name: z.string() })).optional(),
    })
    .optional(),
});
export type Endpoint = z.infer<typeof EndpointSchema>;

export const EndpointPortSchema = z.object({
  name: z.string().optional(),
  protocol: ProtocolSchema.optional(),
  port: z.number().int().min(0).max(65535).optional(),
  appProtocol: z.string().optional(),
});
export type EndpointPort = z.infer<typeof EndpointPortSchema>;

/** Label naming the Service an EndpointSlice belongs to. */
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';

export const EndpointSliceSchema = z.object({
  apiVersion: z.literal('discovery.k8s.io/v1'),
  kind: z.literal('EndpointSlice'),
  metadata: ObjectMetaSchema,
  addressType: z.enum(['IPv4', 'IPv6', 'FQDN']),
  /** Required on the wire; a `null` from the server is read as `[]`. */
  endpoints: z.array(EndpointSchema),
  ports: z.array(EndpointPortSchema).optional(),
});
export type EndpointSlice = z.infer<typeof EndpointSliceSchema>;

// ---------------------------------------------------------------- NetworkPolicy (networking.k8s.io/v1)

export const IPBlockSchema = z.object({ cidr: z.string(), except: z.array(z.string()).optional() });

export const NetworkPolicyPeerSchema = z.object({
  podSelector: LabelSelectorSchema.optional(),
  namespaceSelector: LabelSelectorSchema.optional(),
  ipBlock: IPBlockSchema.optional(),
});
export type NetworkPolicyPeer = z.infer<typeof NetworkPolicyPeerSchema>;

export const NetworkPolicyPortSchema = z.object({
  protocol: ProtocolSchema.optional(),
  port: IntOrStringSchema.optional(),
  endPort: z.number().int().optional(),
});
export type NetworkPolicyPort = z.infer<typeof NetworkPolicyPortSchema>;

export const NetworkPolicyIngressRuleSchema = z.object({
  from: z.array(NetworkPolicyPeerSchema).optional(),
  ports: z.array(NetworkPolicyPortSchema).optional(),
});
export const NetworkPolicyEgressRuleSchema = z.object({
  to: z.array(NetworkPolicyPeerSchema).optional(),
  ports: z.array(NetworkPolicyPortSchema).optional(),
});

export const NetworkPolicySpecSchema = z.object({
  podSelector: LabelSelectorSchema,
  policyTypes: z.array(z.enum(['Ingress', 'Egress'])).optional(),
  ingress: z.array(NetworkPolicyIngressRuleSchema).optional(),
  egress: z.array(NetworkPolicyEgressRuleSchema).optional(),
});
export type NetworkPolicySpec = z.infer<typeof NetworkPolicySpecSchema>;

export const NetworkPolicySchema = z.object({
  apiVersion: z.literal('networking.k8s.io/v1'),
  kind: z.literal('NetworkPolicy'),
  metadata: ObjectMetaSchema,
  spec: NetworkPolicySpecSchema,
});
export type NetworkPolicy = z.infer<typeof NetworkPolicySchema>;
