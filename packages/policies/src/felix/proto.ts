/**
 * The subset of Calico's `felix/proto/felixbackend.proto` (package `felix`) this package speaks, with
 * Calico's field numbers (HostMetadataV4V6Update/Remove = 37/38 as in Calico v3.29–v3.31; the renamed
 * HostMetadataUpdate/Remove = 14/18 of later releases carry the same fields and are accepted too).
 * Payloads we do not act on are declared as empty messages so that they decode as known cases.
 */
import protobuf from 'protobufjs';

export const FELIX_PROTO = `
syntax = "proto3";
package felix;

message ToDataplane {
  uint64 sequence_number = 15;
  oneof payload {
    InSync in_sync = 1;
    IPSetUpdate ipset_update = 2;
    IPSetDeltaUpdate ipset_delta_update = 3;
    IPSetRemove ipset_remove = 4;
    ActiveProfileUpdate active_profile_update = 5;
    ActiveProfileRemove active_profile_remove = 6;
    ActivePolicyUpdate active_policy_update = 7;
    ActivePolicyRemove active_policy_remove = 8;
    HostEndpointUpdate host_endpoint_update = 9;
    HostEndpointRemove host_endpoint_remove = 10;
    WorkloadEndpointUpdate workload_endpoint_update = 11;
    WorkloadEndpointRemove workload_endpoint_remove = 12;
    ConfigUpdate config_update = 13;
    HostMetadataV4V6Update host_metadata_update = 14;
    HostMetadataV4V6Remove host_metadata_remove = 18;
    IPAMPoolUpdate ipam_pool_update = 16;
    IPAMPoolRemove ipam_pool_remove = 17;
    Ignored service_account_update = 19;
    Ignored service_account_remove = 20;
    Ignored namespace_update = 21;
    Ignored namespace_remove = 22;
    Ignored route_update = 23;
    Ignored route_remove = 24;
    Ignored vtep_update = 25;
    Ignored vtep_remove = 26;
    Ignored wireguard_endpoint_update = 27;
    Ignored wireguard_endpoint_remove = 28;
    Ignored global_bgp_config_update = 29;
    Ignored encapsulation = 30;
    Ignored service_update = 31;
    Ignored service_remove = 32;
    Ignored wireguard_endpoint_v6_update = 33;
    Ignored wireguard_endpoint_v6_remove = 34;
    HostMetadataV4V6Update host_metadata_v4v6_update = 37;
    HostMetadataV4V6Remove host_metadata_v4v6_remove = 38;
  }
}

message Ignored {}

message FromDataplane {
  uint64 sequence_number = 8;
  oneof payload {
    ProcessStatusUpdate process_status_update = 3;
    HostEndpointStatusUpdate host_endpoint_status_update = 4;
    HostEndpointStatusRemove host_endpoint_status_remove = 5;
    WorkloadEndpointStatusUpdate workload_endpoint_status_update = 6;
    WorkloadEndpointStatusRemove workload_endpoint_status_remove = 7;
    DataplaneInSync dataplane_in_sync = 10;
  }
}

message ConfigUpdate { map<string, string> config = 1; }
message InSync {}
message DataplaneInSync {}

message IPSetUpdate {
  string id = 1;
  repeated string members = 2;
  enum IPSetType { IP = 0; IP_AND_PORT = 1; NET = 2; }
  IPSetType type = 3;
}
message IPSetDeltaUpdate { string id = 1; repeated string added_members = 2; repeated string removed_members = 3; }
message IPSetRemove { string id = 1; }

message ActiveProfileUpdate { ProfileID id = 1; Profile profile = 2; }
message ActiveProfileRemove { ProfileID id = 1; }
message ProfileID { string name = 1; }
message Profile { repeated Rule inbound_rules = 1; repeated Rule outbound_rules = 2; }

message ActivePolicyUpdate { PolicyID id = 1; Policy policy = 2; }
message ActivePolicyRemove { PolicyID id = 1; }
message PolicyID { string name = 2; string namespace = 3; string kind = 4; }
message Policy {
  string namespace = 5;
  repeated Rule inbound_rules = 1;
  repeated Rule outbound_rules = 2;
  bool untracked = 3;
  bool pre_dnat = 4;
  string tier = 8;
}

enum IPVersion { ANY = 0; IPV4 = 4; IPV6 = 6; }

message Rule {
  string action = 1;
  IPVersion ip_version = 2;
  Protocol protocol = 3;
  repeated string src_net = 4;
  repeated PortRange src_ports = 5;
  repeated string src_named_port_ip_set_ids = 12;
  repeated string dst_net = 6;
  repeated PortRange dst_ports = 7;
  repeated string dst_named_port_ip_set_ids = 13;
  oneof icmp { int32 icmp_type = 8; IcmpTypeAndCode icmp_type_code = 9; }
  repeated string src_ip_set_ids = 10;
  repeated string dst_ip_set_ids = 11;
  repeated string dst_ip_port_set_ids = 15;
  Protocol not_protocol = 102;
  repeated string not_src_net = 103;
  repeated PortRange not_src_ports = 104;
  repeated string not_dst_net = 105;
  repeated PortRange not_dst_ports = 106;
  oneof not_icmp { int32 not_icmp_type = 107; IcmpTypeAndCode not_icmp_type_code = 108; }
  repeated string not_src_ip_set_ids = 109;
  repeated string not_dst_ip_set_ids = 110;
  repeated string not_src_named_port_ip_set_ids = 112;
  repeated string not_dst_named_port_ip_set_ids = 113;
  string rule_id = 201;
}
message IcmpTypeAndCode { int32 type = 1; int32 code = 2; }
message Protocol { oneof number_or_name { int32 number = 1; string name = 2; } }
message PortRange { int32 first = 1; int32 last = 2; }

message WorkloadEndpointID { string orchestrator_id = 2; string workload_id = 3; string endpoint_id = 4; }
message WorkloadEndpointUpdate { WorkloadEndpointID id = 1; WorkloadEndpoint endpoint = 5; }
message WorkloadEndpoint {
  string state = 1;
  string name = 2;
  string mac = 3;
  repeated string profile_ids = 4;
  repeated string ipv4_nets = 5;
  repeated string ipv6_nets = 6;
  repeated TierInfo tiers = 7;
}
message WorkloadEndpointRemove { WorkloadEndpointID id = 1; }

message HostEndpointID { string endpoint_id = 2; }
message HostEndpointUpdate { HostEndpointID id = 1; HostEndpoint endpoint = 3; }
message HostEndpoint {
  string name = 1;
  repeated string profile_ids = 2;
  repeated TierInfo tiers = 3;
  repeated TierInfo untracked_tiers = 6;
  repeated TierInfo pre_dnat_tiers = 7;
  repeated TierInfo forward_tiers = 8;
  repeated string expected_ipv4_addrs = 4;
  repeated string expected_ipv6_addrs = 5;
}
message HostEndpointRemove { HostEndpointID id = 1; }

message TierInfo { string name = 1; repeated PolicyID ingress_policies = 2; repeated PolicyID egress_policies = 3; string default_action = 4; }

message ProcessStatusUpdate { string iso_timestamp = 1; double uptime = 2; }
message EndpointStatus { string status = 1; }
message HostEndpointStatusUpdate { HostEndpointID id = 1; EndpointStatus status = 2; }
message HostEndpointStatusRemove { HostEndpointID id = 1; }
message WorkloadEndpointStatusUpdate { WorkloadEndpointID id = 1; EndpointStatus status = 2; }
message WorkloadEndpointStatusRemove { WorkloadEndpointID id = 1; }

message HostMetadataV4V6Update { string hostname = 1; string ipv4_addr = 2; string ipv6_addr = 3; string asnumber = 4; map<string, string> labels = 5; }
message HostMetadataV4V6Remove { string hostname = 1; string ipv4_addr = 2; }

message IPAMPoolUpdate { string id = 1; IPAMPool pool = 2; }
message IPAMPoolRemove { string id = 1; }
message IPAMPool { string cidr = 1; bool masquerade = 2; string ipip_mode = 3; string vxlan_mode = 4; }
`;

const root = protobuf.parse(FELIX_PROTO, { keepCase: true }).root;
export const ToDataplane = root.lookupType('felix.ToDataplane');
export const FromDataplane = root.lookupType('felix.FromDataplane');
/** Top-level field numbers of the `ToDataplane` payload oneof. */
export const TO_DATAPLANE_PAYLOAD_FIELDS = new Set(ToDataplane.oneofs['payload']!.fieldsArray.map((f) => f.id));

// ---- plain shapes (what `toObject` yields with our options) --------------------------------------------
export interface FelixProtocol {
  number?: number;
  name?: string;
}
export interface FelixPortRange {
  first?: number;
  last?: number;
}
export interface FelixIcmp {
  type?: number;
  code?: number;
}
export interface FelixRule {
  action?: string;
  ip_version?: number;
  protocol?: FelixProtocol;
  not_protocol?: FelixProtocol;
  src_net?: string[];
  dst_net?: string[];
  not_src_net?: string[];
  not_dst_net?: string[];
  src_ports?: FelixPortRange[];
  dst_ports?: FelixPortRange[];
  not_src_ports?: FelixPortRange[];
  not_dst_ports?: FelixPortRange[];
  src_ip_set_ids?: string[];
  dst_ip_set_ids?: string[];
  not_src_ip_set_ids?: string[];
  not_dst_ip_set_ids?: string[];
  src_named_port_ip_set_ids?: string[];
  dst_named_port_ip_set_ids?: string[];
  not_src_named_port_ip_set_ids?: string[];
  not_dst_named_port_ip_set_ids?: string[];
  dst_ip_port_set_ids?: string[];
  icmp_type?: number;
  icmp_type_code?: FelixIcmp;
  not_icmp_type?: number;
  not_icmp_type_code?: FelixIcmp;
  rule_id?: string;
}
export interface FelixPolicyId {
  name?: string;
  namespace?: string;
  kind?: string;
}
export interface FelixTierInfo {
  name?: string;
  ingress_policies?: FelixPolicyId[];
  egress_policies?: FelixPolicyId[];
  default_action?: string;
}
export interface FelixWorkloadEndpointId {
  orchestrator_id?: string;
  workload_id?: string;
  endpoint_id?: string;
}
export interface FelixWorkloadEndpoint {
  state?: string;
  name?: string;
  profile_ids?: string[];
  ipv4_nets?: string[];
  ipv6_nets?: string[];
  tiers?: FelixTierInfo[];
}
export interface FelixHostEndpoint {
  name?: string;
  profile_ids?: string[];
  tiers?: FelixTierInfo[];
  untracked_tiers?: FelixTierInfo[];
  pre_dnat_tiers?: FelixTierInfo[];
  forward_tiers?: FelixTierInfo[];
  expected_ipv4_addrs?: string[];
  expected_ipv6_addrs?: string[];
}
export interface FelixPolicy {
  inbound_rules?: FelixRule[];
  outbound_rules?: FelixRule[];
  untracked?: boolean;
  pre_dnat?: boolean;
  namespace?: string;
  tier?: string;
}

/** A decoded `felix.ToDataplane` (one payload key set). */
export interface FelixToDataplane {
  sequence_number?: number | string;
  payload?: string;
  in_sync?: object;
  config_update?: { config?: Record<string, string> };
  ipset_update?: { id?: string; members?: string[]; type?: number };
  ipset_delta_update?: { id?: string; added_members?: string[]; removed_members?: string[] };
  ipset_remove?: { id?: string };
  active_profile_update?: { id?: { name?: string }; profile?: FelixPolicy };
  active_profile_remove?: { id?: { name?: string } };
  active_policy_update?: { id?: FelixPolicyId; policy?: FelixPolicy };
  active_policy_remove?: { id?: FelixPolicyId };
  workload_endpoint_update?: { id?: FelixWorkloadEndpointId; endpoint?: FelixWorkloadEndpoint };
  workload_endpoint_remove?: { id?: FelixWorkloadEndpointId };
  host_endpoint_update?: { id?: { endpoint_id?: string }; endpoint?: FelixHostEndpoint };
  host_endpoint_remove?: { id?: { endpoint_id?: string } };
  host_metadata_update?: FelixHostMetadata;
  host_metadata_remove?: { hostname?: string; ipv4_addr?: string };
  host_metadata_v4v6_update?: FelixHostMetadata;
  host_metadata_v4v6_remove?: { hostname?: string; ipv4_addr?: string };
  ipam_pool_update?: {
    id?: string;
    pool?: { cidr?: string; masquerade?: boolean; ipip_mode?: string; vxlan_mode?: string };
  };
  ipam_pool_remove?: { id?: string };
}
export interface FelixHostMetadata {
  hostname?: string;
  ipv4_addr?: string;
  ipv6_addr?: string;
  asnumber?: string;
  labels?: Record<string, string>;
}

export const TO_OBJECT = {
  longs: Number,
  enums: Number,
  defaults: false,
  arrays: true,
  objects: true,
  oneofs: true,
} as const;
