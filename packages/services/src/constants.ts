/** Calico/VPP's annotation choosing a Service's load-balancing type: `ecmp`, `maglev` or `maglevdsr`. */
export const LB_TYPE_ANNOTATION = 'cni.projectcalico.org/vppLBType';
/** Calico/VPP's annotation choosing the flow-hash fields, comma separated (`srcport,dstport,srcaddr,…`). */
export const HASH_CONFIG_ANNOTATION = 'cni.projectcalico.org/vppHashConfig';
/** The label an EndpointSlice names its Service with. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** IANA protocol numbers VPP's `ip_proto` carries. */
export const IP_PROTO = { TCP: 6, UDP: 17, SCTP: 132 } as const;

/** `cnat_lb_type` values of VPP 26.06 (`cnat.api`). */
export const CNAT_LB_TYPE = { DEFAULT: 0, MAGLEV: 1 } as const;

/** `cnat_translation_flags` (`cnat.api`). */
export const CNAT_TRANSLATION_FLAG = { ALLOC_PORT: 1, NO_RETURN_SESSION: 4, NO_CLIENT: 8 } as const;

/** `cnat_endpoint_tuple_flags`: a path VPP forwards without translating (maglev DSR). */
export const CNAT_EPT_NO_NAT = 2;
/**
 * Path flags VPP sets on its own and reports in `cnat_translation_details` (`CNAT_TRK_ACTIVE`,
 * `CNAT_TRK_MARKED_FOR_DELETE`, `CNAT_TRK_FLAG_TEST_DISABLED`, cnat_types.h): never part of what we ask.
 */
export const CNAT_TRK_INTERNAL_FLAGS = (1 << 2) | (1 << 3) | (1 << 7);

/** `cnat_snat_policies`: VPP's Kubernetes SNAT policy. */
export const CNAT_POLICY_K8S = 2;
/** `cnat_snat_policy_table`: the interface tables of `cnat_snat_policy_add_del_if`. */
export const CNAT_SNAT_TABLE = { 'include-v4': 0, 'include-v6': 1, pod: 2, host: 3 } as const;
/** `cnat_snat_policy_flags`: the entry is the default one that policy, exclusions and interfaces apply to. */
export const CNAT_SNAT_POLICY_F_USE_AS_DEFAULT = 4;

/**
 * `ip_flow_hash_config_v2` bits (VPP's `flow_hash_config_t`, ip_flow_hash.h), by the names of Calico/VPP's
 * `vppHashConfig` annotation.
 */
export const FLOW_HASH = {
  srcaddr: 1,
  dstaddr: 2,
  srcport: 4,
  dstport: 8,
  iproto: 16,
  reverse: 32,
  symmetric: 64,
} as const;

/** `~0`: an endpoint given by address, not by interface. */
export const INDEX_INVALID = 0xffffffff;
/** `address_family` of VPP's API. */
export const ADDRESS_AF = { 4: 0, 6: 1 } as const;
