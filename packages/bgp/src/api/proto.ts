/**
 * The subset of GoBGP v3.10.0's `api/gobgp.proto` and `api/attribute.proto` (package `apipb`, service
 * `GobgpApi`) that this package speaks. Field numbers, names and enum values are GoBGP's own; messages and
 * fields we never send or read are left out (protobuf skips unknown fields on decode).
 * @internal
 */
export const GOOGLE_PROTO = `
syntax = "proto3";
package google.protobuf;
message Any { string type_url = 1; bytes value = 2; }
message Empty {}
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
`;

/** @internal */
export const GOBGP_PROTO = `
syntax = "proto3";
package apipb;

service GobgpApi {
  rpc StartBgp(StartBgpRequest) returns(google.protobuf.Empty);
  rpc StopBgp(StopBgpRequest) returns(google.protobuf.Empty);
  rpc GetBgp(GetBgpRequest) returns(GetBgpResponse);
  rpc WatchEvent(WatchEventRequest) returns(stream WatchEventResponse);
  rpc AddPeer(AddPeerRequest) returns(google.protobuf.Empty);
  rpc DeletePeer(DeletePeerRequest) returns(google.protobuf.Empty);
  rpc ListPeer(ListPeerRequest) returns(stream ListPeerResponse);
  rpc UpdatePeer(UpdatePeerRequest) returns(UpdatePeerResponse);
  rpc AddPath(AddPathRequest) returns(AddPathResponse);
  rpc DeletePath(DeletePathRequest) returns(google.protobuf.Empty);
  rpc ListPath(ListPathRequest) returns(stream ListPathResponse);
  rpc AddPathStream(stream AddPathStreamRequest) returns(google.protobuf.Empty);
  rpc GetTable(GetTableRequest) returns(GetTableResponse);
  rpc AddPolicy(AddPolicyRequest) returns(google.protobuf.Empty);
  rpc DeletePolicy(DeletePolicyRequest) returns(google.protobuf.Empty);
  rpc ListPolicy(ListPolicyRequest) returns(stream ListPolicyResponse);
  rpc AddDefinedSet(AddDefinedSetRequest) returns(google.protobuf.Empty);
  rpc DeleteDefinedSet(DeleteDefinedSetRequest) returns(google.protobuf.Empty);
  rpc ListDefinedSet(ListDefinedSetRequest) returns(stream ListDefinedSetResponse);
  rpc AddPolicyAssignment(AddPolicyAssignmentRequest) returns(google.protobuf.Empty);
  rpc DeletePolicyAssignment(DeletePolicyAssignmentRequest) returns(google.protobuf.Empty);
  rpc ListPolicyAssignment(ListPolicyAssignmentRequest) returns(stream ListPolicyAssignmentResponse);
  rpc SetPolicyAssignment(SetPolicyAssignmentRequest) returns(google.protobuf.Empty);
}

message StartBgpRequest { Global global = 1; }
message StopBgpRequest {}
message GetBgpRequest {}
message GetBgpResponse { Global global = 1; }

message WatchEventRequest {
  message Peer {}
  Peer peer = 1;
  message Table {
    message Filter {
      enum Type { BEST = 0; ADJIN = 1; POST_POLICY = 2; }
      Type type = 1;
      bool init = 2;
    }
    repeated Filter filters = 1;
  }
  Table table = 2;
}

message WatchEventResponse {
  message PeerEvent {
    enum Type { UNKNOWN = 0; INIT = 1; END_OF_INIT = 2; STATE = 3; }
    Type type = 1;
    Peer peer = 2;
  }
  message TableEvent { repeated Path paths = 2; }
  oneof event {
    PeerEvent peer = 2;
    TableEvent table = 3;
  }
}

message AddPeerRequest { Peer peer = 1; }
message DeletePeerRequest { string address = 1; string interface = 2; }
message ListPeerRequest { string address = 1; bool enableAdvertised = 2; }
message ListPeerResponse { Peer peer = 1; }
message UpdatePeerRequest { Peer peer = 1; bool do_soft_reset_in = 2; }
message UpdatePeerResponse { bool needs_soft_reset_in = 1; }

message AddPathRequest { TableType table_type = 1; string vrf_id = 2; Path path = 3; }
message AddPathResponse { bytes uuid = 1; }
message DeletePathRequest {
  TableType table_type = 1;
  string vrf_id = 2;
  Family family = 3;
  Path path = 4;
  bytes uuid = 5;
}
message TableLookupPrefix {
  enum Type { EXACT = 0; LONGER = 1; SHORTER = 2; }
  string prefix = 1;
  Type type = 2;
}
message ListPathRequest {
  TableType table_type = 1;
  string name = 2;
  Family family = 3;
  repeated TableLookupPrefix prefixes = 4;
  enum SortType { NONE = 0; PREFIX = 1; }
  SortType sort_type = 5;
  bool enable_filtered = 6;
}
message ListPathResponse { Destination destination = 1; }
message AddPathStreamRequest { TableType table_type = 1; string vrf_id = 2; repeated Path paths = 3; }
message GetTableRequest { TableType table_type = 1; Family family = 2; string name = 3; }
message GetTableResponse { uint64 num_destination = 1; uint64 num_path = 2; uint64 num_accepted = 3; }

message AddPolicyRequest { Policy policy = 1; bool refer_existing_statements = 2; }
message DeletePolicyRequest { Policy policy = 1; bool preserve_statements = 2; bool all = 3; }
message ListPolicyRequest { string name = 1; }
message ListPolicyResponse { Policy policy = 1; }
message AddDefinedSetRequest { DefinedSet defined_set = 1; }
message DeleteDefinedSetRequest { DefinedSet defined_set = 1; bool all = 2; }
message ListDefinedSetRequest { DefinedType defined_type = 1; string name = 2; }
message ListDefinedSetResponse { DefinedSet defined_set = 1; }
message AddPolicyAssignmentRequest { PolicyAssignment assignment = 1; }
message DeletePolicyAssignmentRequest { PolicyAssignment assignment = 1; bool all = 2; }
message ListPolicyAssignmentRequest { string name = 1; PolicyDirection direction = 2; }
message ListPolicyAssignmentResponse { PolicyAssignment assignment = 1; }
message SetPolicyAssignmentRequest { PolicyAssignment assignment = 1; }

message Family {
  enum Afi { AFI_UNKNOWN = 0; AFI_IP = 1; AFI_IP6 = 2; AFI_L2VPN = 25; AFI_LS = 16388; AFI_OPAQUE = 16397; }
  enum Safi {
    SAFI_UNKNOWN = 0; SAFI_UNICAST = 1; SAFI_MULTICAST = 2; SAFI_MPLS_LABEL = 4; SAFI_ENCAPSULATION = 7;
    SAFI_VPLS = 65; SAFI_EVPN = 70; SAFI_LS = 71; SAFI_SR_POLICY = 73; SAFI_MUP = 85; SAFI_MPLS_VPN = 128;
    SAFI_MPLS_VPN_MULTICAST = 129; SAFI_ROUTE_TARGET_CONSTRAINTS = 132; SAFI_FLOW_SPEC_UNICAST = 133;
    SAFI_FLOW_SPEC_VPN = 134; SAFI_KEY_VALUE = 241;
  }
  Afi afi = 1;
  Safi safi = 2;
}

enum TableType { GLOBAL = 0; LOCAL = 1; ADJ_IN = 2; ADJ_OUT = 3; VRF = 4; }

message Path {
  google.protobuf.Any nlri = 1;
  repeated google.protobuf.Any pattrs = 2;
  google.protobuf.Timestamp age = 3;
  bool best = 4;
  bool is_withdraw = 5;
  bool no_implicit_withdraw = 8;
  Family family = 9;
  uint32 source_asn = 10;
  string source_id = 11;
  bool filtered = 12;
  bool stale = 13;
  bool is_from_external = 14;
  string neighbor_ip = 15;
  bytes uuid = 16;
  bool is_nexthop_invalid = 17;
  uint32 identifier = 18;
  uint32 local_identifier = 19;
}

message Destination { string prefix = 1; repeated Path paths = 2; }

message Peer {
  ApplyPolicy apply_policy = 1;
  PeerConf conf = 2;
  EbgpMultihop ebgp_multihop = 3;
  RouteReflector route_reflector = 4;
  PeerState state = 5;
  Timers timers = 6;
  Transport transport = 7;
  RouteServer route_server = 8;
  GracefulRestart graceful_restart = 9;
  repeated AfiSafi afi_safis = 10;
  TtlSecurity ttl_security = 11;
}

message ApplyPolicy {
  PolicyAssignment in_policy = 1;
  PolicyAssignment export_policy = 2;
  PolicyAssignment import_policy = 3;
}

enum PeerType { INTERNAL = 0; EXTERNAL = 1; }
enum RemovePrivate { REMOVE_NONE = 0; REMOVE_ALL = 1; REPLACE = 2; }

message PeerConf {
  string auth_password = 1;
  string description = 2;
  uint32 local_asn = 3;
  string neighbor_address = 4;
  uint32 peer_asn = 5;
  string peer_group = 6;
  PeerType type = 7;
  RemovePrivate remove_private = 8;
  bool route_flap_damping = 9;
  uint32 send_community = 10;
  string neighbor_interface = 11;
  string vrf = 12;
  uint32 allow_own_asn = 13;
  bool replace_peer_asn = 14;
  bool admin_down = 15;
}

message TtlSecurity { bool enabled = 1; uint32 ttl_min = 2; }
message EbgpMultihop { bool enabled = 1; uint32 multihop_ttl = 2; }
message RouteReflector { bool route_reflector_client = 1; string route_reflector_cluster_id = 2; }

message PeerState {
  string auth_password = 1;
  string description = 2;
  uint32 local_asn = 3;
  Messages messages = 4;
  string neighbor_address = 5;
  uint32 peer_asn = 6;
  string peer_group = 7;
  PeerType type = 8;
  enum SessionState { UNKNOWN = 0; IDLE = 1; CONNECT = 2; ACTIVE = 3; OPENSENT = 4; OPENCONFIRM = 5; ESTABLISHED = 6; }
  SessionState session_state = 13;
  enum AdminState { UP = 0; DOWN = 1; PFX_CT = 2; }
  AdminState admin_state = 15;
  uint32 out_q = 16;
  uint32 flops = 17;
  string router_id = 20;
}

message Messages { Message received = 1; Message sent = 2; }
message Message {
  uint64 notification = 1;
  uint64 update = 2;
  uint64 open = 3;
  uint64 keepalive = 4;
  uint64 refresh = 5;
  uint64 discarded = 6;
  uint64 total = 7;
  uint64 withdraw_update = 8;
  uint64 withdraw_prefix = 9;
}

message Timers { TimersConfig config = 1; TimersState state = 2; }
message TimersConfig {
  uint64 connect_retry = 1;
  uint64 hold_time = 2;
  uint64 keepalive_interval = 3;
  uint64 minimum_advertisement_interval = 4;
  uint64 idle_hold_time_after_reset = 5;
}
message TimersState {
  uint64 connect_retry = 1;
  uint64 hold_time = 2;
  uint64 keepalive_interval = 3;
  uint64 minimum_advertisement_interval = 4;
  uint64 negotiated_hold_time = 5;
  google.protobuf.Timestamp uptime = 6;
  google.protobuf.Timestamp downtime = 7;
}

message Transport {
  string local_address = 1;
  uint32 local_port = 2;
  bool mtu_discovery = 3;
  bool passive_mode = 4;
  string remote_address = 5;
  uint32 remote_port = 6;
  uint32 tcp_mss = 7;
  string bind_interface = 8;
}

message RouteServer { bool route_server_client = 1; bool secondary_route = 2; }

message GracefulRestart {
  bool enabled = 1;
  uint32 restart_time = 2;
  bool helper_only = 3;
  uint32 deferral_time = 4;
  bool notification_enabled = 5;
  bool longlived_enabled = 6;
  uint32 stale_routes_time = 7;
  uint32 peer_restart_time = 8;
  bool peer_restarting = 9;
  bool local_restarting = 10;
  string mode = 11;
}

message MpGracefulRestartConfig { bool enabled = 1; }
message MpGracefulRestartState {
  bool enabled = 1;
  bool received = 2;
  bool advertised = 3;
  bool end_of_rib_received = 4;
  bool end_of_rib_sent = 5;
}
message MpGracefulRestart { MpGracefulRestartConfig config = 1; MpGracefulRestartState state = 2; }

message AfiSafiConfig { Family family = 1; bool enabled = 2; }
message AfiSafiState {
  Family family = 1;
  bool enabled = 2;
  uint64 received = 3;
  uint64 accepted = 4;
  uint64 advertised = 5;
}

message AfiSafi {
  MpGracefulRestart mp_graceful_restart = 1;
  AfiSafiConfig config = 2;
  AfiSafiState state = 3;
  ApplyPolicy apply_policy = 4;
  AddPaths add_paths = 10;
}

message AddPathsConfig { bool receive = 1; uint32 send_max = 2; }
message AddPathsState { bool receive = 1; uint32 send_max = 2; }
message AddPaths { AddPathsConfig config = 1; AddPathsState state = 2; }

message Prefix { string ip_prefix = 1; uint32 mask_length_min = 2; uint32 mask_length_max = 3; }

enum DefinedType {
  PREFIX = 0; NEIGHBOR = 1; TAG = 2; AS_PATH = 3; COMMUNITY = 4; EXT_COMMUNITY = 5; LARGE_COMMUNITY = 6;
  NEXT_HOP = 7;
}

message DefinedSet {
  DefinedType defined_type = 1;
  string name = 2;
  repeated string list = 3;
  repeated Prefix prefixes = 4;
}

message MatchSet {
  enum Type { ANY = 0; ALL = 1; INVERT = 2; }
  Type type = 1;
  string name = 2;
}

message Conditions {
  MatchSet prefix_set = 1;
  MatchSet neighbor_set = 2;
  enum RouteType { ROUTE_TYPE_NONE = 0; ROUTE_TYPE_INTERNAL = 1; ROUTE_TYPE_EXTERNAL = 2; ROUTE_TYPE_LOCAL = 3; }
  RouteType route_type = 8;
  repeated string next_hop_in_list = 10;
  repeated Family afi_safi_in = 11;
}

enum RouteAction { NONE = 0; ACCEPT = 1; REJECT = 2; }

message NexthopAction { string address = 1; bool self = 2; bool unchanged = 3; }

message Actions {
  RouteAction route_action = 1;
  NexthopAction nexthop = 6;
}

message Statement { string name = 1; Conditions conditions = 2; Actions actions = 3; }
message Policy { string name = 1; repeated Statement statements = 2; }

enum PolicyDirection { UNKNOWN = 0; IMPORT = 1; EXPORT = 2; }

message PolicyAssignment {
  string name = 1;
  PolicyDirection direction = 2;
  repeated Policy policies = 4;
  RouteAction default_action = 5;
}

message RouteSelectionOptionsConfig {
  bool always_compare_med = 1;
  bool ignore_as_path_length = 2;
  bool external_compare_router_id = 3;
  bool advertise_inactive_routes = 4;
  bool enable_aigp = 5;
  bool ignore_next_hop_igp_metric = 6;
  bool disable_best_path_selection = 7;
}

message DefaultRouteDistance { uint32 external_route_distance = 1; uint32 internal_route_distance = 2; }
message Confederation { bool enabled = 1; uint32 identifier = 2; repeated uint32 member_as_list = 3; }

message Global {
  uint32 asn = 1;
  string router_id = 2;
  int32 listen_port = 3;
  repeated string listen_addresses = 4;
  repeated uint32 families = 5;
  bool use_multiple_paths = 6;
  RouteSelectionOptionsConfig route_selection_options = 7;
  DefaultRouteDistance default_route_distance = 8;
  Confederation confederation = 9;
  GracefulRestart graceful_restart = 10;
  ApplyPolicy apply_policy = 11;
  string bind_to_device = 12;
}

// attribute.proto
message OriginAttribute { uint32 origin = 1; }
message AsSegment {
  enum Type { UNKNOWN = 0; AS_SET = 1; AS_SEQUENCE = 2; AS_CONFED_SEQUENCE = 3; AS_CONFED_SET = 4; }
  Type type = 1;
  repeated uint32 numbers = 2;
}
message AsPathAttribute { repeated AsSegment segments = 1; }
message NextHopAttribute { string next_hop = 1; }
message MultiExitDiscAttribute { uint32 med = 1; }
message LocalPrefAttribute { uint32 local_pref = 1; }
message AtomicAggregateAttribute {}
message AggregatorAttribute { uint32 asn = 1; string address = 2; }
message CommunitiesAttribute { repeated uint32 communities = 1; }
message OriginatorIdAttribute { string id = 1; }
message ClusterListAttribute { repeated string ids = 1; }
message IPAddressPrefix { uint32 prefix_len = 1; string prefix = 2; }
message MpReachNLRIAttribute { Family family = 1; repeated string next_hops = 2; repeated google.protobuf.Any nlris = 3; }
message MpUnreachNLRIAttribute { Family family = 1; repeated google.protobuf.Any nlris = 3; }
message LargeCommunity { uint32 global_admin = 1; uint32 local_data1 = 2; uint32 local_data2 = 3; }
message LargeCommunitiesAttribute { repeated LargeCommunity communities = 1; }
message UnknownAttribute { uint32 flags = 1; uint32 type = 2; bytes value = 3; }
`;
