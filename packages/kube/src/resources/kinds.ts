/** The registry of kinds this package streams: their schemas, API groups, plural names and scope. */
import type { z } from 'zod';
import {
  CALICO_API_VERSIONS,
  BGPConfigurationSchema,
  BGPFilterSchema,
  BGPPeerSchema,
  BlockAffinitySchema,
  FelixConfigurationSchema,
  IPPoolSchema,
} from './calico.js';
import type { BGPConfiguration, BGPFilter, BGPPeer, BlockAffinity, FelixConfiguration, IPPool } from './calico.js';
import {
  EndpointSliceSchema,
  NamespaceSchema,
  NetworkPolicySchema,
  NodeSchema,
  PodSchema,
  SecretSchema,
  ServiceSchema,
} from './core.js';
import type { EndpointSlice, Namespace, NetworkPolicy, Node, Pod, Secret, Service } from './core.js';

export type ResourceKind =
  | 'Node'
  | 'Pod'
  | 'Namespace'
  | 'Service'
  | 'Secret'
  | 'EndpointSlice'
  | 'NetworkPolicy'
  | 'IPPool'
  | 'BGPConfiguration'
  | 'BGPPeer'
  | 'BGPFilter'
  | 'FelixConfiguration'
  | 'BlockAffinity';

/** Kind name → its typed object. */
export interface ResourceTypes {
  Node: Node;
  Pod: Pod;
  Namespace: Namespace;
  Service: Service;
  Secret: Secret;
  EndpointSlice: EndpointSlice;
  NetworkPolicy: NetworkPolicy;
  IPPool: IPPool;
  BGPConfiguration: BGPConfiguration;
  BGPPeer: BGPPeer;
  BGPFilter: BGPFilter;
  FelixConfiguration: FelixConfiguration;
  BlockAffinity: BlockAffinity;
}

/** Any object of a kind this package knows. */
export type Resource = ResourceTypes[ResourceKind];

export interface KindInfo {
  kind: ResourceKind;
  /** Accepted apiVersions, the one an API-server source uses by default first. */
  apiVersions: readonly string[];
  /** The REST resource name, e.g. 'endpointslices'. */
  plural: string;
  namespaced: boolean;
  schema: z.ZodType;
}

const info = (
  kind: ResourceKind,
  apiVersions: readonly string[],
  plural: string,
  namespaced: boolean,
  schema: z.ZodType,
): KindInfo => ({
  kind,
  apiVersions,
  plural,
  namespaced,
  schema,
});

/** Every kind this package knows, by name. */
export const KINDS: Readonly<Record<ResourceKind, KindInfo>> = {
  Node: info('Node', ['v1', 'projectcalico.org/v3'], 'nodes', false, NodeSchema),
  Pod: info('Pod', ['v1'], 'pods', true, PodSchema),
  Namespace: info('Namespace', ['v1'], 'namespaces', false, NamespaceSchema),
  Service: info('Service', ['v1'], 'services', true, ServiceSchema),
  Secret: info('Secret', ['v1'], 'secrets', true, SecretSchema),
  EndpointSlice: info('EndpointSlice', ['discovery.k8s.io/v1'], 'endpointslices', true, EndpointSliceSchema),
  NetworkPolicy: info('NetworkPolicy', ['networking.k8s.io/v1'], 'networkpolicies', true, NetworkPolicySchema),
  IPPool: info('IPPool', CALICO_API_VERSIONS, 'ippools', false, IPPoolSchema),
  BGPConfiguration: info('BGPConfiguration', CALICO_API_VERSIONS, 'bgpconfigurations', false, BGPConfigurationSchema),
  BGPPeer: info('BGPPeer', CALICO_API_VERSIONS, 'bgppeers', false, BGPPeerSchema),
  BGPFilter: info('BGPFilter', CALICO_API_VERSIONS, 'bgpfilters', false, BGPFilterSchema),
  FelixConfiguration: info(
    'FelixConfiguration',
    CALICO_API_VERSIONS,
    'felixconfigurations',
    false,
    FelixConfigurationSchema,
  ),
  BlockAffinity: info('BlockAffinity', CALICO_API_VERSIONS, 'blockaffinities', false, BlockAffinitySchema),
};

/** All kind names. */
export const RESOURCE_KINDS = Object.keys(KINDS) as ResourceKind[];

/** True when `kind` is one this package streams. */
export function isResourceKind(kind: unknown): kind is ResourceKind {
  return typeof kind === 'string' && Object.hasOwn(KINDS, kind);
}
