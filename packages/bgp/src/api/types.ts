/**
 * Plain-object shapes of the GoBGP v3 API messages this package uses (`apipb`), with GoBGP's field
 * names (snake_case as in the .proto). Every field is optional, as in proto3; enums travel as their
 * names (`'ESTABLISHED'`), 64-bit integers as numbers.
 */

export interface ApiAny {
  type_url: string;
  value: Uint8Array;
}

export type AfiName = 'AFI_UNKNOWN' | 'AFI_IP' | 'AFI_IP6' | 'AFI_L2VPN' | 'AFI_LS' | 'AFI_OPAQUE';
export type SafiName = 'SAFI_UNKNOWN' | 'SAFI_UNICAST' | 'SAFI_MULTICAST' | (string & {});

export interface ApiFamily {
  afi?: AfiName;
  safi?: SafiName;
}

export type TableType = 'GLOBAL' | 'LOCAL' | 'ADJ_IN' | 'ADJ_OUT' | 'VRF';

export interface ApiPath {
  nlri?: ApiAny;
  pattrs?: ApiAny[];
  age?: { seconds?: number; nanos?: number };
  best?: boolean;
  is_withdraw?: boolean;
  no_implicit_withdraw?: boolean;
  family?: ApiFamily;
  source_asn?: number;
  source_id?: string;
  filtered?: boolean;
  stale?: boolean;
  is_from_external?: boolean;
  neighbor_ip?: string;
  uuid?: Uint8Array;
  is_nexthop_invalid?: boolean;
  identifier?: number;
  local_identifier?: number;
}

export interface ApiDestination {
  prefix?: string;
  paths?: ApiPath[];
}

export interface ApiGracefulRestart {
  enabled?: boolean;
  restart_time?: number;
  helper_only?: boolean;
  deferral_time?: number;
  notification_enabled?: boolean;
  longlived_enabled?: boolean;
  stale_routes_time?: number;
  peer_restart_time?: number;
  peer_restarting?: boolean;
  local_restarting?: boolean;
  mode?: string;
}

export interface ApiGlobal {
  asn?: number;
  router_id?: string;
  listen_port?: number;
  listen_addresses?: string[];
  families?: number[];
  use_multiple_paths?: boolean;
  graceful_restart?: ApiGracefulRestart;
  apply_policy?: ApiApplyPolicy;
  bind_to_device?: string;
}

export type RouteAction = 'NONE' | 'ACCEPT' | 'REJECT';
export type PolicyDirection = 'UNKNOWN' | 'IMPORT' | 'EXPORT';

export interface ApiPolicyAssignment {
  name?: string;
  direction?: PolicyDirection;
  policies?: ApiPolicy[];
  default_action?: RouteAction;
}

export interface ApiApplyPolicy {
  in_policy?: ApiPolicyAssignment;
  export_policy?: ApiPolicyAssignment;
  import_policy?: ApiPolicyAssignment;
}

export interface ApiPeerConf {
  auth_password?: string;
  description?: string;
  local_asn?: number;
  neighbor_address?: string;
  peer_asn?: number;
  peer_group?: string;
  type?: 'INTERNAL' | 'EXTERNAL';
  send_community?: number;
  neighbor_interface?: string;
  vrf?: string;
  allow_own_asn?: number;
  admin_down?: boolean;
}

export type SessionState = 'UNKNOWN' | 'IDLE' | 'CONNECT' | 'ACTIVE' | 'OPENSENT' | 'OPENCONFIRM' | 'ESTABLISHED';

export interface ApiPeerState {
  local_asn?: number;
  neighbor_address?: string;
  peer_asn?: number;
  type?: 'INTERNAL' | 'EXTERNAL';
  session_state?: SessionState;
  admin_state?: 'UP' | 'DOWN' | 'PFX_CT';
  flops?: number;
  router_id?: string;
  messages?: { received?: Record<string, number>; sent?: Record<string, number> };
}

export interface ApiAfiSafi {
  mp_graceful_restart?: { config?: { enabled?: boolean } };
  config?: { family?: ApiFamily; enabled?: boolean };
  state?: { family?: ApiFamily; enabled?: boolean; received?: number; accepted?: number; advertised?: number };
  apply_policy?: ApiApplyPolicy;
  add_paths?: { config?: { receive?: boolean; send_max?: number } };
}

export interface ApiPeer {
  apply_policy?: ApiApplyPolicy;
  conf?: ApiPeerConf;
  ebgp_multihop?: { enabled?: boolean; multihop_ttl?: number };
  route_reflector?: { route_reflector_client?: boolean; route_reflector_cluster_id?: string };
  state?: ApiPeerState;
  timers?: {
    config?: {
      connect_retry?: number;
      hold_time?: number;
      keepalive_interval?: number;
      minimum_advertisement_interval?: number;
      idle_hold_time_after_reset?: number;
    };
    state?: { negotiated_hold_time?: number; uptime?: { seconds?: number } };
  };
  transport?: {
    local_address?: string;
    local_port?: number;
    passive_mode?: boolean;
    remote_address?: string;
    remote_port?: number;
    bind_interface?: string;
  };
  route_server?: { route_server_client?: boolean };
  graceful_restart?: ApiGracefulRestart;
  afi_safis?: ApiAfiSafi[];
  ttl_security?: { enabled?: boolean; ttl_min?: number };
}

export type DefinedType =
  'PREFIX' | 'NEIGHBOR' | 'TAG' | 'AS_PATH' | 'COMMUNITY' | 'EXT_COMMUNITY' | 'LARGE_COMMUNITY' | 'NEXT_HOP';

export interface ApiDefinedSet {
  defined_type?: DefinedType;
  name?: string;
  list?: string[];
  prefixes?: { ip_prefix?: string; mask_length_min?: number; mask_length_max?: number }[];
}

export interface ApiMatchSet {
  type?: 'ANY' | 'ALL' | 'INVERT';
  name?: string;
}

export interface ApiStatement {
  name?: string;
  conditions?: {
    prefix_set?: ApiMatchSet;
    neighbor_set?: ApiMatchSet;
    route_type?: 'ROUTE_TYPE_NONE' | 'ROUTE_TYPE_INTERNAL' | 'ROUTE_TYPE_EXTERNAL' | 'ROUTE_TYPE_LOCAL';
    next_hop_in_list?: string[];
    afi_safi_in?: ApiFamily[];
  };
  actions?: {
    route_action?: RouteAction;
    nexthop?: { address?: string; self?: boolean; unchanged?: boolean };
  };
}

export interface ApiPolicy {
  name?: string;
  statements?: ApiStatement[];
}

export interface WatchEventFilter {
  type?: 'BEST' | 'ADJIN' | 'POST_POLICY';
  init?: boolean;
}

export interface ApiWatchEventResponse {
  peer?: { type?: 'UNKNOWN' | 'INIT' | 'END_OF_INIT' | 'STATE'; peer?: ApiPeer };
  table?: { paths?: ApiPath[] };
}

/** Request and response shapes of each GobgpApi method this package calls. */
export interface GobgpMethods {
  StartBgp: { req: { global?: ApiGlobal }; res: Record<string, never> };
  StopBgp: { req: Record<string, never>; res: Record<string, never> };
  GetBgp: { req: Record<string, never>; res: { global?: ApiGlobal } };
  AddPeer: { req: { peer?: ApiPeer }; res: Record<string, never> };
  DeletePeer: { req: { address?: string; interface?: string }; res: Record<string, never> };
  UpdatePeer: { req: { peer?: ApiPeer; do_soft_reset_in?: boolean }; res: { needs_soft_reset_in?: boolean } };
  AddPath: { req: { table_type?: TableType; vrf_id?: string; path?: ApiPath }; res: { uuid?: Uint8Array } };
  DeletePath: {
    req: { table_type?: TableType; vrf_id?: string; family?: ApiFamily; path?: ApiPath; uuid?: Uint8Array };
    res: Record<string, never>;
  };
  GetTable: {
    req: { table_type?: TableType; family?: ApiFamily; name?: string };
    res: { num_destination?: number; num_path?: number; num_accepted?: number };
  };
  AddPolicy: { req: { policy?: ApiPolicy; refer_existing_statements?: boolean }; res: Record<string, never> };
  DeletePolicy: {
    req: { policy?: ApiPolicy; preserve_statements?: boolean; all?: boolean };
    res: Record<string, never>;
  };
  AddDefinedSet: { req: { defined_set?: ApiDefinedSet }; res: Record<string, never> };
  DeleteDefinedSet: { req: { defined_set?: ApiDefinedSet; all?: boolean }; res: Record<string, never> };
  AddPolicyAssignment: { req: { assignment?: ApiPolicyAssignment }; res: Record<string, never> };
  DeletePolicyAssignment: { req: { assignment?: ApiPolicyAssignment; all?: boolean }; res: Record<string, never> };
  SetPolicyAssignment: { req: { assignment?: ApiPolicyAssignment }; res: Record<string, never> };
}

/** Server-streaming methods. */
export interface GobgpStreamMethods {
  WatchEvent: {
    req: { peer?: Record<string, never>; table?: { filters?: WatchEventFilter[] } };
    res: ApiWatchEventResponse;
  };
  ListPeer: { req: { address?: string; enableAdvertised?: boolean }; res: { peer?: ApiPeer } };
  ListPath: {
    req: {
      table_type?: TableType;
      name?: string;
      family?: ApiFamily;
      prefixes?: { prefix?: string; type?: 'EXACT' | 'LONGER' | 'SHORTER' }[];
      sort_type?: 'NONE' | 'PREFIX';
      enable_filtered?: boolean;
    };
    res: { destination?: ApiDestination };
  };
  ListDefinedSet: { req: { defined_type?: DefinedType; name?: string }; res: { defined_set?: ApiDefinedSet } };
  ListPolicy: { req: { name?: string }; res: { policy?: ApiPolicy } };
  ListPolicyAssignment: {
    req: { name?: string; direction?: PolicyDirection };
    res: { assignment?: ApiPolicyAssignment };
  };
}

/** Client-streaming methods. */
export interface GobgpClientStreamMethods {
  AddPathStream: { req: { table_type?: TableType; vrf_id?: string; paths?: ApiPath[] }; res: Record<string, never> };
}
