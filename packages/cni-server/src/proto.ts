import protobuf from 'protobufjs';

/**
 * Calico's `cnibackend.proto` (package `cni`, service `CniDataplane`), field for field: the numbers and
 * types Calico's CNI plugin puts on the wire.
 */
export const CNI_BACKEND_PROTO = `syntax = "proto3";
package cni;

service CniDataplane {
  rpc Add (AddRequest) returns (AddReply);
  rpc Del (DelRequest) returns (DelReply);
}

message AddRequest {
  string interface_name = 1;
  string netns = 2;
  string desired_host_interface_name = 3;
  ContainerSettings settings = 4;
  repeated IPConfig container_ips = 5;
  repeated string container_routes = 6;
  WorkloadIDs workload = 7;
  map<string, string> dataplane_options = 8;
}

message ContainerSettings {
  bool allow_ip_forwarding = 1;
  int32 mtu = 2;
}

message IPConfig {
  string address = 1;
  string gateway = 2;
}

message WorkloadIDs {
  string name = 1;
  string namespace = 2;
  map<string, string> labels = 3;
  map<string, string> annotations = 4;
  string endpoint = 5;
  string node = 6;
  string orchestrator = 7;
  string pod = 8;
  repeated Port ports = 9;
}

message Port {
  string name = 1;
  string protocol = 2;
  uint32 port = 3;
  uint32 host_port = 4;
  string host_ip = 5;
}

message AddReply {
  bool successful = 1;
  string error_message = 2;
  string host_interface_name = 3;
  string container_mac = 4;
}

message DelRequest {
  string interface_name = 1;
  string netns = 2;
  map<string, string> dataplane_options = 3;
}

message DelReply {
  bool successful = 1;
  string error_message = 2;
}
`;

/** `cni.Port`. */
export interface Port {
  name: string;
  protocol: string;
  port: number;
  host_port: number;
  host_ip: string;
}
/** `cni.WorkloadIDs`. */
export interface WorkloadIDs {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  endpoint: string;
  node: string;
  orchestrator: string;
  pod: string;
  ports: Port[];
}
/** `cni.IPConfig`. */
export interface IPConfig {
  address: string;
  gateway: string;
}
/** `cni.ContainerSettings`. */
export interface ContainerSettings {
  allow_ip_forwarding: boolean;
  mtu: number;
}
/** `cni.AddRequest`, every field present (proto3 defaults for the absent ones). */
export interface AddRequest {
  interface_name: string;
  netns: string;
  desired_host_interface_name: string;
  settings: ContainerSettings | undefined;
  container_ips: IPConfig[];
  container_routes: string[];
  workload: WorkloadIDs | undefined;
  dataplane_options: Record<string, string>;
}
/** `cni.AddReply`. */
export interface AddReply {
  successful: boolean;
  error_message: string;
  host_interface_name: string;
  container_mac: string;
}
/** `cni.DelRequest`. */
export interface DelRequest {
  interface_name: string;
  netns: string;
  dataplane_options: Record<string, string>;
}
/** `cni.DelReply`. */
export interface DelReply {
  successful: boolean;
  error_message: string;
}

/** Deep-partial input accepted by the encoders (proto3: absent means default). */
export type AddRequestInit = Partial<Omit<AddRequest, 'settings' | 'workload' | 'container_ips'>> & {
  settings?: Partial<ContainerSettings> | undefined;
  container_ips?: Partial<IPConfig>[];
  workload?: (Partial<Omit<WorkloadIDs, 'ports'>> & { ports?: Partial<Port>[] }) | undefined;
};

let root: protobuf.Root | undefined;

/** The parsed proto (field names kept as written: snake_case). */
export function cniProtoRoot(): protobuf.Root {
  root ??= protobuf.parse(CNI_BACKEND_PROTO, { keepCase: true }).root;
  return root;
}

function type(name: string): protobuf.Type {
  return cniProtoRoot().lookupType(`cni.${name}`);
}

const TO_OBJECT: protobuf.IConversionOptions = { defaults: true, arrays: true, objects: true, longs: Number };

/**
 * A plain Uint8Array view: protobufjs reads Node Buffers with a reader that clamps string lengths instead of
 * refusing them, so a truncated message would decode; the plain reader checks every bound.
 */
function plain(b: Uint8Array): Uint8Array {
  return Buffer.isBuffer(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : b;
}

/** Drops proto3 default scalars (as Go's encoder omits them), so our bytes equal Calico's. */
function withoutDefaults(t: protobuf.Type, m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) {
    const f = t.fields[k];
    if (v === undefined || v === null || !f) continue;
    f.resolve();
    if (f.map) {
      if (Object.keys(v as object).length > 0) out[k] = v;
    } else if (f.repeated) {
      const arr = v as unknown[];
      if (arr.length > 0)
        out[k] =
          f.resolvedType instanceof protobuf.Type
            ? arr.map((x) => withoutDefaults(f.resolvedType as protobuf.Type, x as Record<string, unknown>))
            : arr;
    } else if (f.resolvedType instanceof protobuf.Type) {
      out[k] = withoutDefaults(f.resolvedType, v as Record<string, unknown>);
    } else if (v !== '' && v !== 0 && v !== false) {
      out[k] = v;
    }
  }
  return out;
}

function encoder<T>(name: string): (m: T) => Uint8Array {
  return (m) => {
    const t = type(name);
    return t.encode(t.fromObject(withoutDefaults(t, m as Record<string, unknown>))).finish();
  };
}

function decoder<T>(name: string): (b: Uint8Array) => T {
  return (b) => {
    const t = type(name);
    return t.toObject(t.decode(plain(b)), TO_OBJECT) as T;
  };
}

/** Message codecs of the service, by message name. */
export const cniMessages = {
  encodeAddRequest: encoder<AddRequestInit>('AddRequest'),
  decodeAddRequest: decoder<AddRequest>('AddRequest'),
  encodeAddReply: encoder<Partial<AddReply>>('AddReply'),
  decodeAddReply: decoder<AddReply>('AddReply'),
  encodeDelRequest: encoder<Partial<DelRequest>>('DelRequest'),
  decodeDelRequest: decoder<DelRequest>('DelRequest'),
  encodeDelReply: encoder<Partial<DelReply>>('DelReply'),
  decodeDelReply: decoder<DelReply>('DelReply'),
};

/** Normalises a decoded AddRequest: settings/workload objects always present with defaults. */
export function normaliseAddRequest(
  m: AddRequestInit,
): AddRequest & { settings: ContainerSettings; workload: WorkloadIDs } {
  const w = m.workload;
  return {
    interface_name: m.interface_name ?? '',
    netns: m.netns ?? '',
    desired_host_interface_name: m.desired_host_interface_name ?? '',
    settings: { allow_ip_forwarding: m.settings?.allow_ip_forwarding ?? false, mtu: m.settings?.mtu ?? 0 },
    container_ips: (m.container_ips ?? []).map((c) => ({ address: c.address ?? '', gateway: c.gateway ?? '' })),
    container_routes: [...(m.container_routes ?? [])],
    workload: {
      name: w?.name ?? '',
      namespace: w?.namespace ?? '',
      labels: { ...(w?.labels ?? {}) },
      annotations: { ...(w?.annotations ?? {}) },
      endpoint: w?.endpoint ?? '',
      node: w?.node ?? '',
      orchestrator: w?.orchestrator ?? '',
      pod: w?.pod ?? '',
      ports: (w?.ports ?? []).map((p) => ({
        name: p.name ?? '',
        protocol: p.protocol ?? '',
        port: p.port ?? 0,
        host_port: p.host_port ?? 0,
        host_ip: p.host_ip ?? '',
      })),
    },
    dataplane_options: { ...(m.dataplane_options ?? {}) },
  };
}
