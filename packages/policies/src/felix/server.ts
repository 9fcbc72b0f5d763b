/**
 * Felix's external dataplane protocol over a unix socket: length-framed `felix.ToDataplane` in,
 * `felix.FromDataplane` out. Calico's state machine: while syncing, updates build a pending state; at
 * InSync the pending state replaces what is programmed (only differences reach VPP); after that,
 * updates apply directly. Beyond Calico/VPP, status goes back to Felix (process heartbeats and
 * workload endpoint status) so that it can report endpoints as up.
 */
import { mkdir, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import protobuf from 'protobufjs';
import type { PolicyDataplane } from '../dataplane.js';
import { FelixDecodeError, FelixUnknownPayloadError, type PolicyError } from '../errors.js';
import type { HostConfig, HostEndpoint, IpSet, Policy, WorkloadEndpoint } from '../model.js';
import type { PolicyChange, PolicyLogger } from '../types.js';
import { felixHostConfig, felixPolicy, felixPolicyKey, felixTiers, felixWorkloadKey, IPSET_TYPES } from './convert.js';
import { FelixFrameDecoder, frameFelix, DEFAULT_FELIX_MAX_FRAME } from './framing.js';
import {
  FromDataplane,
  TO_DATAPLANE_PAYLOAD_FIELDS,
  TO_OBJECT,
  ToDataplane,
  type FelixHostMetadata,
  type FelixToDataplane,
  type FelixWorkloadEndpointId,
} from './proto.js';

/** Where Felix's endpoints are in VPP (the CNI server and the uplink setup know). */
export interface FelixEndpointResolver {
  /** VPP interfaces of a workload endpoint (`orchestrator:workload:endpoint`), or undefined while unknown. */
  workload(key: string): readonly number[] | undefined;
  /** VPP interfaces of a host endpoint by its interface name (`*` = all host interfaces). */
  hostEndpoint(
    name: string,
  ): { uplinks: readonly number[]; tunnels: readonly number[]; taps: readonly number[] } | undefined;
}

export interface FelixServerComponents {
  readonly dataplane: PolicyDataplane;
  readonly endpoints: FelixEndpointResolver;
  readonly logger?: PolicyLogger;
}

export interface FelixServerInit {
  /** Unix socket path Felix's dataplane driver connects to. */
  readonly socketPath: string;
  /** Largest frame accepted. Default 64 MiB. */
  readonly maxFrameSize?: number;
  /** This node's name (its HostMetadata gives the host addresses of the built-in policies). */
  readonly nodeName?: string;
  /** Period of `ProcessStatusUpdate` heartbeats after InSync; 0 disables. Default 10000 ms. */
  readonly statusIntervalMs?: number;
}

export interface FelixHostMetadataEvent {
  readonly type: 'update' | 'remove';
  readonly hostname: string;
  readonly ipv4Address?: string;
  readonly ipv6Address?: string;
  readonly asNumber?: string;
  readonly labels?: Readonly<Record<string, string>>;
}
export interface FelixIpamPoolEvent {
  readonly type: 'update' | 'remove';
  readonly id: string;
  readonly cidr?: string;
  readonly masquerade?: boolean;
  readonly ipipMode?: string;
  readonly vxlanMode?: string;
}

/** Events of the Felix server (for the agent). */
export interface FelixServerEvents {
  'felix:config': CustomEvent<Readonly<Record<string, string>>>;
  'felix:host-metadata': CustomEvent<FelixHostMetadataEvent>;
  'felix:ipam-pool': CustomEvent<FelixIpamPoolEvent>;
  'felix:in-sync': CustomEvent<{ readonly vppCalls: number }>;
  /** A bad frame or message; the detail is a typed error (`.name`, `.code`). */
  'felix:error': CustomEvent<PolicyError>;
}

export interface FelixServer extends EventTarget {
  /** `syncing` until Felix's InSync has been applied, then `in-sync`. */
  readonly state: 'syncing' | 'in-sync';
  start(options?: { signal?: AbortSignal }): Promise<void>;
  stop(): Promise<void>;
  /** Re-binds a workload whose interfaces changed (call after the CNI server added it). */
  refreshWorkload(key: string): Promise<void>;
}

type FelixWep = NonNullable<FelixToDataplane['workload_endpoint_update']>['endpoint'];
type FelixHep = NonNullable<FelixToDataplane['host_endpoint_update']>['endpoint'];
interface Pending {
  ipsets: Map<string, IpSet>;
  policies: Map<string, Policy>;
  profiles: Map<string, Policy>;
  workloads: Map<string, { id: FelixWorkloadEndpointId; ep: FelixWep }>;
  hosts: Map<string, FelixHep>;
}
const emptyPending = (): Pending => ({
  ipsets: new Map(),
  policies: new Map(),
  profiles: new Map(),
  workloads: new Map(),
  hosts: new Map(),
});

/** Top-level field numbers in a protobuf message (to name an unknown oneof case). */
function fieldNumbers(buf: Uint8Array): number[] {
  const out: number[] = [];
  try {
    const r = protobuf.Reader.create(buf);
    while (r.pos < r.len) {
      const tag = r.uint32();
      out.push(tag >>> 3);
      r.skipType(tag & 7);
    }
  } catch {
    // the decode error is reported by the caller
  }
  return out;
}

export function createFelixServer(components: FelixServerComponents, init: FelixServerInit): FelixServer {
  const { dataplane, endpoints, logger } = components;
  const target = new EventTarget();
  let state: 'syncing' | 'in-sync' = 'syncing';
  let pending = emptyPending();
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  let config: Record<string, string> = {};
  const hostAddrs = new Map<string, string[]>();
  const workloadIds = new Map<string, FelixWorkloadEndpointId>();
  const workloadRaw = new Map<string, { id: FelixWorkloadEndpointId; ep: FelixWep }>();
  let seq = 0;
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<unknown> = Promise.resolve();

  const emit = <K extends keyof FelixServerEvents>(type: K, detail: FelixServerEvents[K]['detail']) =>
    target.dispatchEvent(new CustomEvent(type, { detail }));
  const fail = (e: PolicyError) => {
    logger?.error({ code: e.code }, e.message);
    emit('felix:error', e);
  };

  const send = (payload: Record<string, unknown>) => {
    const msg = FromDataplane.fromObject({ sequence_number: ++seq, ...payload });
    const frame = frameFelix(FromDataplane.encode(msg).finish());
    for (const s of sockets) if (!s.destroyed) s.write(frame);
  };
  const sendStatus = () =>
    send({ process_status_update: { iso_timestamp: new Date().toISOString(), uptime: (Date.now() - started) / 1000 } });

  const hostConfig = (): HostConfig =>
    felixHostConfig(config, init.nodeName ? (hostAddrs.get(init.nodeName) ?? []) : []);

  function workloadModel(key: string, ep: FelixWep): WorkloadEndpoint | undefined {
    const sws = endpoints.workload(key);
    if (!sws) return undefined;
    return {
      swIfIndexes: [...sws],
      tiers: felixTiers(ep?.tiers),
      profiles: ep?.profile_ids ?? [],
      addresses: [...(ep?.ipv4_nets ?? []), ...(ep?.ipv6_nets ?? [])],
    };
  }
  function hostModel(ep: FelixHep): HostEndpoint | undefined {
    const itfs = endpoints.hostEndpoint(ep?.name || '*');
    if (!itfs) return undefined;
    return {
      uplinks: [...itfs.uplinks],
      tunnels: [...itfs.tunnels],
      taps: [...itfs.taps],
      tiers: felixTiers(ep?.tiers),
      forwardTiers: felixTiers(ep?.forward_tiers),
      profiles: ep?.profile_ids ?? [],
      untrackedTiers: felixTiers(ep?.untracked_tiers),
      preDnatTiers: felixTiers(ep?.pre_dnat_tiers),
    };
  }

  const report = (errors: readonly PolicyError[]) => errors.forEach(fail);

  async function statusUp(keys: Iterable<string>) {
    for (const k of keys) {
      const id = workloadIds.get(k);
      if (id)
        send({ workload_endpoint_status_update: { id, status: { status: endpoints.workload(k) ? 'up' : 'down' } } });
    }
  }

  function metadata(type: 'update' | 'remove', m: FelixHostMetadata | undefined) {
    const hostname = m?.hostname ?? '';
    if (type === 'update')
      hostAddrs.set(
        hostname,
        [m?.ipv4_addr, m?.ipv6_addr].filter((x): x is string => !!x).map((a) => a.replace(/\/\d+$/, '')),
      );
    else hostAddrs.delete(hostname);
    emit('felix:host-metadata', {
      type,
      hostname,
      ...(m?.ipv4_addr ? { ipv4Address: m.ipv4_addr } : {}),
      ...(m?.ipv6_addr ? { ipv6Address: m.ipv6_addr } : {}),
      ...(m?.asnumber ? { asNumber: m.asnumber } : {}),
      ...(m?.labels ? { labels: m.labels } : {}),
    });
    return hostname === init.nodeName;
  }

  /** One decoded message: in syncing state it updates pending, afterwards it applies. */
  async function handle(msg: FelixToDataplane): Promise<void> {
    const live = state === 'in-sync';
    const changes: PolicyChange[] = [];
    const p = pending;
    const key = msg.payload;
    switch (key) {
      case 'in_sync': {
        if (live) return;
        const snapshot = {
          ipsets: p.ipsets,
          policies: p.policies,
          profiles: p.profiles,
          workloads: new Map(
            [...p.workloads].flatMap(([k, w]) => {
              const m = workloadModel(k, w.ep);
              return m ? [[k, m] as const] : [];
            }),
          ),
          hostEndpoints: new Map(
            [...p.hosts].flatMap(([k, h]) => {
              const m = hostModel(h);
              return m ? [[k, m] as const] : [];
            }),
          ),
          host: hostConfig(),
        };
        const r = await dataplane.replace(snapshot);
        report(r.errors);
        for (const [k, w] of p.workloads) workloadRaw.set(k, w);
        pending = emptyPending();
        state = 'in-sync';
        logger?.info({ vppCalls: r.vppCalls }, 'felix in sync');
        send({ dataplane_in_sync: {} });
        await statusUp(workloadRaw.keys());
        sendStatus();
        if (init.statusIntervalMs !== 0) {
          timer = setInterval(sendStatus, init.statusIntervalMs ?? 10_000);
          timer.unref();
        }
        emit('felix:in-sync', { vppCalls: r.vppCalls });
        return;
      }
      case 'config_update':
        config = { ...(msg.config_update?.config ?? {}) };
        emit('felix:config', config);
        changes.push({ kind: 'host-config', config: hostConfig() });
        break;
      case 'host_metadata_update':
      case 'host_metadata_v4v6_update':
        if (metadata('update', msg[key])) changes.push({ kind: 'host-config', config: hostConfig() });
        break;
      case 'host_metadata_remove':
      case 'host_metadata_v4v6_remove':
        if (metadata('remove', msg[key])) changes.push({ kind: 'host-config', config: hostConfig() });
        break;
      case 'ipam_pool_update': {
        const u = msg.ipam_pool_update!;
        emit('felix:ipam-pool', {
          type: 'update',
          id: u.id ?? '',
          ...(u.pool?.cidr ? { cidr: u.pool.cidr } : {}),
          masquerade: !!u.pool?.masquerade,
          ...(u.pool?.ipip_mode ? { ipipMode: u.pool.ipip_mode } : {}),
          ...(u.pool?.vxlan_mode ? { vxlanMode: u.pool.vxlan_mode } : {}),
        });
        return;
      }
      case 'ipam_pool_remove':
        emit('felix:ipam-pool', { type: 'remove', id: msg.ipam_pool_remove?.id ?? '' });
        return;
      case 'ipset_update': {
        const u = msg.ipset_update!;
        const set: IpSet = {
          type: IPSET_TYPES[u.type ?? 0] ?? (String(u.type) as IpSet['type']),
          members: u.members ?? [],
        };
        if (live) changes.push({ kind: 'ipset', id: u.id ?? '', set });
        else p.ipsets.set(u.id ?? '', set);
        break;
      }
      case 'ipset_delta_update': {
        const u = msg.ipset_delta_update!;
        if (live)
          changes.push({
            kind: 'ipset-delta',
            id: u.id ?? '',
            added: u.added_members ?? [],
            removed: u.removed_members ?? [],
          });
        else {
          const s = p.ipsets.get(u.id ?? '');
          if (!s) {
            report([new FelixDecodeError(`IPSetDeltaUpdate for unknown ipset "${u.id ?? ''}"`)]);
            return;
          }
          const m = new Set(s.members);
          for (const x of u.removed_members ?? []) m.delete(x);
          for (const x of u.added_members ?? []) m.add(x);
          p.ipsets.set(u.id ?? '', { type: s.type, members: [...m] });
        }
        break;
      }
      case 'ipset_remove':
        if (live) changes.push({ kind: 'ipset-remove', id: msg.ipset_remove?.id ?? '' });
        else p.ipsets.delete(msg.ipset_remove?.id ?? '');
        break;
      case 'active_policy_update': {
        const id = felixPolicyKey(msg.active_policy_update?.id);
        const policy = felixPolicy(msg.active_policy_update?.policy);
        if (live) changes.push({ kind: 'policy', id, policy });
        else p.policies.set(id, policy);
        break;
      }
      case 'active_policy_remove': {
        const id = felixPolicyKey(msg.active_policy_remove?.id);
        if (live) changes.push({ kind: 'policy-remove', id });
        else p.policies.delete(id);
        break;
      }
      case 'active_profile_update': {
        const id = msg.active_profile_update?.id?.name ?? '';
        const profile = felixPolicy(msg.active_profile_update?.profile);
        if (live) changes.push({ kind: 'profile', id, profile });
        else p.profiles.set(id, profile);
        break;
      }
      case 'active_profile_remove': {
        const id = msg.active_profile_remove?.id?.name ?? '';
        if (live) changes.push({ kind: 'profile-remove', id });
        else p.profiles.delete(id);
        break;
      }
      case 'workload_endpoint_update': {
        const u = msg.workload_endpoint_update!;
        const k = felixWorkloadKey(u.id);
        workloadIds.set(k, u.id ?? {});
        if (live) {
          workloadRaw.set(k, { id: u.id ?? {}, ep: u.endpoint });
          const m = workloadModel(k, u.endpoint);
          if (m) changes.push({ kind: 'workload', id: k, endpoint: m });
        } else p.workloads.set(k, { id: u.id ?? {}, ep: u.endpoint });
        break;
      }
      case 'workload_endpoint_remove': {
        const k = felixWorkloadKey(msg.workload_endpoint_remove?.id);
        if (live) {
          workloadRaw.delete(k);
          changes.push({ kind: 'workload-remove', id: k });
          send({ workload_endpoint_status_remove: { id: msg.workload_endpoint_remove?.id ?? {} } });
        } else p.workloads.delete(k);
        workloadIds.delete(k);
        break;
      }
      case 'host_endpoint_update': {
        const u = msg.host_endpoint_update!;
        const k = u.id?.endpoint_id ?? '';
        if (live) {
          const m = hostModel(u.endpoint);
          if (m) changes.push({ kind: 'host-endpoint', id: k, endpoint: m });
        } else p.hosts.set(k, u.endpoint);
        break;
      }
      case 'host_endpoint_remove': {
        const k = msg.host_endpoint_remove?.id?.endpoint_id ?? '';
        if (live) changes.push({ kind: 'host-endpoint-remove', id: k });
        else p.hosts.delete(k);
        break;
      }
      default:
        logger?.debug({ payload: key }, 'felix message ignored');
        return;
    }
    if (live && changes.length) {
      const r = await dataplane.apply(changes);
      report(r.errors);
      for (const c of changes) if (c.kind === 'workload') await statusUp([c.id]);
    }
  }

  function onConnection(sock: Socket) {
    sockets.add(sock);
    // a (re)connected Felix starts a new sync: build a new pending state until its InSync
    chain = chain.then(() => {
      state = 'syncing';
      pending = emptyPending();
      if (timer) clearInterval(timer);
      timer = undefined;
    });
    const decoder = new FelixFrameDecoder(init.maxFrameSize ?? DEFAULT_FELIX_MAX_FRAME);
    logger?.info({}, 'felix connected');
    const close = (e: PolicyError) => {
      fail(e);
      sock.destroy();
    };
    sock.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch (e) {
        close(e as PolicyError);
        return;
      }
      for (const f of frames) {
        let msg: FelixToDataplane;
        try {
          msg = ToDataplane.toObject(ToDataplane.decode(f), TO_OBJECT) as FelixToDataplane;
        } catch (e) {
          close(new FelixDecodeError((e as Error).message, { cause: e }));
          return;
        }
        if (!msg.payload) {
          fail(
            new FelixUnknownPayloadError(
              fieldNumbers(f).filter((n) => n !== 15 && !TO_DATAPLANE_PAYLOAD_FIELDS.has(n)),
            ),
          );
          continue;
        }
        chain = chain.then(() =>
          handle(msg).catch((e: unknown) => {
            logger?.error({ err: e }, 'felix update failed');
            emit('felix:error', e as PolicyError);
          }),
        );
      }
    });
    sock.on('end', () => {
      try {
        decoder.end();
      } catch (e) {
        fail(e as PolicyError);
      }
    });
    sock.on('error', (e) => logger?.warn({ err: e }, 'felix connection error'));
    sock.on('close', () => sockets.delete(sock));
  }

  Object.defineProperty(target, 'state', { get: () => state, enumerable: true });
  return Object.assign(target, {
    async start() {
      await mkdir(dirname(init.socketPath), { recursive: true });
      await rm(init.socketPath, { force: true });
      server = createServer(onConnection);
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(init.socketPath, () => resolve());
      });
    },
    async stop() {
      if (timer) clearInterval(timer);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await chain;
      await rm(init.socketPath, { force: true });
    },
    async refreshWorkload(key: string) {
      const w = workloadRaw.get(key);
      if (!w || state !== 'in-sync') return;
      const m = workloadModel(key, w.ep);
      const r = await dataplane.apply([
        m ? { kind: 'workload', id: key, endpoint: m } : { kind: 'workload-remove', id: key },
      ]);
      report(r.errors);
      await statusUp([key]);
    },
  }) as FelixServer;
}
