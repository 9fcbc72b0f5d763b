import type { FLOW_HASH } from './constants.js';
import type { IpFamily } from './ip.js';

/** An optional field as Kubernetes JSON may carry it: absent, undefined or null. */
type Opt<T> = T | null | undefined;

/** The metadata the translator reads. `@vectorplane/kube`'s `ObjectMeta` fits. */
export interface ObjectMetaInput {
  name: string;
  namespace?: Opt<string>;
  uid?: Opt<string>;
  resourceVersion?: Opt<string>;
  labels?: Opt<Record<string, string>>;
  annotations?: Opt<Record<string, string>>;
}

/** One `spec.ports[]` entry of a Service. */
export interface ServicePortInput {
  name?: Opt<string>;
  protocol?: Opt<string>;
  port?: Opt<number>;
  targetPort?: Opt<number | string>;
  nodePort?: Opt<number>;
  appProtocol?: Opt<string>;
}

/** The parts of a core/v1 Service the translator reads (`@vectorplane/kube`'s `Service` fits). */
export interface ServiceInput {
  apiVersion?: Opt<string>;
  kind?: Opt<string>;
  metadata: ObjectMetaInput;
  spec?: Opt<{
    type?: Opt<string>;
    clusterIP?: Opt<string>;
    clusterIPs?: Opt<string[]>;
    ipFamilies?: Opt<string[]>;
    ports?: Opt<ServicePortInput[]>;
    externalIPs?: Opt<string[]>;
    externalName?: Opt<string>;
    sessionAffinity?: Opt<string>;
    externalTrafficPolicy?: Opt<string>;
    internalTrafficPolicy?: Opt<string>;
    allocateLoadBalancerNodePorts?: Opt<boolean>;
  }>;
  status?: Opt<{
    loadBalancer?: Opt<{ ingress?: Opt<{ ip?: Opt<string>; hostname?: Opt<string>; ipMode?: Opt<string> }[]> }>;
  }>;
}

/** One endpoint of an EndpointSlice. */
export interface EndpointInput {
  addresses: string[];
  conditions?: Opt<{ ready?: Opt<boolean>; serving?: Opt<boolean>; terminating?: Opt<boolean> }>;
  nodeName?: Opt<string>;
  hostname?: Opt<string>;
  zone?: Opt<string>;
}

/** The parts of a discovery/v1 EndpointSlice the translator reads (`@vectorplane/kube`'s `EndpointSlice` fits). */
export interface EndpointSliceInput {
  apiVersion?: Opt<string>;
  kind?: Opt<string>;
  metadata: ObjectMetaInput;
  addressType: string;
  endpoints?: Opt<EndpointInput[]>;
  ports?: Opt<{ name?: Opt<string>; protocol?: Opt<string>; port?: Opt<number>; appProtocol?: Opt<string> }[]>;
}

/** Load-balancing types of Calico/VPP's `vppLBType` annotation. */
export type LbType = 'ecmp' | 'maglev' | 'maglevdsr';
/** Names of flow-hash fields (`vppHashConfig` annotation values). */
export type HashField = keyof typeof FLOW_HASH;
/** Service protocols. */
export type ServiceProtocol = 'TCP' | 'UDP' | 'SCTP';
/** What made a translation: which address of the Service it answers on. */
export type TranslationKind = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalIP';

/** This node, as the translator sees it. */
export interface NodeInfo {
  /** The node's name, compared with endpoints' `nodeName` for traffic policy Local. */
  name: string;
  /** The node's addresses (v4 and v6), on which NodePorts answer. */
  addresses: readonly string[];
}

/** How Services are translated, beyond what each Service says. */
export interface TranslateConfig {
  /** LB type of Services without the annotation. Default `'ecmp'`. */
  defaultLbType?: LbType;
  /**
   * Flow-hash fields of Services without the annotation, as names (`['srcaddr','dstaddr',…]`) or as
   * VPP's bit mask; empty means VPP's default (addresses, ports and protocol). Default empty.
   */
  defaultHashConfig?: readonly HashField[] | number;
}

/** One backend of a translation. */
export interface CnatPath {
  /** Backend address and port the VIP is translated to. */
  readonly dst: { readonly addr: string; readonly port: number };
  /** Source the packet is rewritten to; `undefined` leaves the source alone. */
  readonly src: { readonly addr: string; readonly port: number } | undefined;
  /** `cnat_endpoint_tuple_flags` (`CNAT_EPT_NO_NAT` for maglev DSR to a remote backend). */
  readonly flags: number;
}

/** One cnat translation as we want it in VPP. Its identity in VPP is `vip`, `port`, `proto`. */
export interface DesiredTranslation {
  /** `proto/vip/port`, e.g. `TCP/10.96.0.10/53` — VPP's own key for a translation. */
  readonly key: string;
  readonly vip: string;
  readonly family: IpFamily;
  readonly port: number;
  readonly proto: ServiceProtocol;
  /** `is_real_ip`: the VIP is a real address of this node (NodePort), so VPP interposes rather than owns it. */
  readonly isRealIp: boolean;
  /** `cnat_translation_flags`. */
  readonly flags: number;
  /** `cnat_lb_type`. */
  readonly lbType: number;
  /** `ip_flow_hash_config_v2` mask; 0 is VPP's default. */
  readonly flowHashConfig: number;
  /** Backends in a stable order. */
  readonly paths: readonly CnatPath[];
  /** `namespace/name` of the Service. */
  readonly service: string;
  /** The Service port's name (`''` when unnamed). */
  readonly portName: string;
  readonly kind: TranslationKind;
}

/** Names the object an issue is about. */
export interface ObjectRef {
  readonly kind: 'Service' | 'EndpointSlice';
  readonly namespace: string;
  readonly name: string;
}

/** Codes of translation issues. */
export type IssueCode =
  | 'INVALID_IP'
  | 'INVALID_PORT'
  | 'UNKNOWN_PROTOCOL'
  | 'UNKNOWN_SERVICE_TYPE'
  | 'UNKNOWN_LB_TYPE'
  | 'UNKNOWN_HASH_FIELD'
  | 'MISSING_FIELD'
  | 'UNKNOWN_SLICE_PORT'
  | 'SERVICE_PORT_WITHOUT_SLICE_PORT'
  | 'UNSUPPORTED_ADDRESS_TYPE'
  | 'AFFINITY_OVERRIDES_HASH'
  | 'VIP_COLLISION';

/**
 * A problem found in one object. `error`: the object (or the part `path` names, for slices' ports) is
 * skipped and its last good version stays programmed; `warning`: programmed anyway, with the note.
 */
export interface TranslationIssue {
  readonly code: IssueCode;
  readonly severity: 'error' | 'warning';
  readonly object: ObjectRef;
  /** JSON path of the bad field, e.g. `['spec','ports',0,'port']`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly value?: unknown;
}

/** Translator output: `{ result, issues }`. */
export interface TranslateResult<T> {
  readonly result: T;
  readonly issues: readonly TranslationIssue[];
}

/** What one Service becomes. */
export interface ServiceTranslation {
  /** `namespace/name`. */
  readonly service: string;
  /** Translations with at least one backend (those without are not programmed). */
  readonly translations: readonly DesiredTranslation[];
  /** Addresses BGP should announce for this Service from this node (external and LB IPs). */
  readonly announce: readonly string[];
}
