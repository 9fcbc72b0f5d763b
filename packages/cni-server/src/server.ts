import { existsSync } from 'node:fs';
import { batchIn, openNetlink, type NetlinkHandle, type NetnsRef } from '@vectorplane/netlink';
import {
  DEFAULT_CNI_SERVER_SOCKET,
  DEFAULT_MAX_MESSAGE_BYTES,
  AUTO_PARALLEL_MAX,
  AUTO_PARALLEL_MIN,
  AUTO_WAVE_MAX_WAIT_MS,
  DEFAULT_MAX_PARALLEL_DEL,
  DEFAULT_NETNS_SWEEP_INTERVAL_MS,
  DEFAULT_VRF_BASE,
  LOOPBACK_INSTANCE_MAX,
  LOOPBACK_INSTANCE_MIN,
  TAG_PREFIX,
} from './constants.js';
import { DuplicateIpError, NetnsNotFoundError, ServerNotRunningError } from './errors.js';
import { EventFanout, KeyedMutex, Semaphore } from './event-stream.js';
import { listenGrpc, type GrpcListener } from './grpc.js';
import { VethReaper } from './kernel.js';
import {
  buildPod,
  idOfTag,
  recordObjects,
  tagOf,
  teardownPod,
  VrfAllocator,
  type BuilderContext,
  type PodVppObjects,
} from './pod-builder.js';
import { normaliseAddRequest, type AddReply, type AddRequestInit, type DelReply, type DelRequest } from './proto.js';
import { podKey, toPodSpec, type Encapsulation, type InterfaceMode, type RxMode } from './spec.js';
import { StateStore } from './state-store.js';
import {
  debugEnabled,
  podInfo,
  type CniLogger,
  type CniVpp,
  type PodEvent,
  type PodInfo,
  type PodIntent,
  type PodRecord,
  type ReconcileReport,
  type SweepReport,
} from './types.js';

/** Options of {@link createCniServer}. */
export interface CniServerInit {
  /** Unix socket of the gRPC API (mode 0600). Default `/var/run/calico/cni-server.sock`; `false`: no gRPC. */
  readonly socket?: string | false;
  /** State file path (required). */
  readonly stateFile: string;
  /** `auto` (default): `veth` where `/dev/vhost-net` is missing, else `tun`. */
  readonly interfaceMode?: InterfaceMode | 'auto';
  /** Uplink MTU the pods derive theirs from. Default 1500. */
  readonly mtu?: number;
  /** Encapsulation between nodes (its overhead comes off the MTU). Default `none`. */
  readonly encapsulation?: Encapsulation;
  /** Default rx mode of pod interfaces. Default `adaptive`. */
  readonly rxMode?: RxMode;
  /** Netns VPP runs in (where veth host ends go): a name, `{ path }`, or undefined for ours. */
  readonly vppNetns?: NetnsRef;
  /** VRF the pods' default routes look up. Default 0. */
  readonly podsVrfId?: number;
  /** VRF holding the /32 and /128 routes to pods. Default 0. */
  readonly mainVrfId?: number;
  /** First table id for per-pod VRFs. Default 1000000. */
  readonly vrfBase?: number;
  /** Node addresses hostPorts listen on when a port names no host IP. */
  readonly nodeIps?: { readonly ip4?: string; readonly ip6?: string };
  /** Prefix of generated veth host names. Default `vpcni`. */
  readonly hostIfPrefix?: string;
  /** Honour `vppExtraMemifPorts`. Default false. */
  readonly memif?: boolean;
  /**
   * Pods built at the same time (different keys); more wait in arrival order, so under a burst the first pods
   * finish first instead of all sharing VPP and the kernel until the end. `auto` (default): one more than half of
   * the most Adds in the server at one time (building + waiting) since it was last idle, at least 16 and at most
   * 128, admitted in waves once saturated (freed slots are refilled when the whole wave is done, or after 500 ms),
   * so a burst of N runs as two waves, the first holding the median pod: it is acknowledged at about half the
   * burst's time, and each wave is large enough for its VPP requests and replies to travel many per socket write
   * (fewer wake-ups per pod than 16 at a time). A number: at most that many, freed slots refilled at once.
   */
  readonly maxParallel?: number | 'auto';
  /**
   * Pods torn down at the same time (their own bound, so Dels never queue behind Adds); more wait in arrival
   * order. Their veths are deleted after the reply, in kernel batches of whatever is pending. Default 16.
   */
  readonly maxParallelDel?: number;
  /**
   * Veths of deleted pods are removed together once Dels stop arriving for this long (ms), and at the latest
   * after ten times as long. Default 20.
   */
  readonly vethBatchQuietMs?: number;
  /** Largest gRPC request accepted. Default 1 MiB. */
  readonly maxMessageBytes?: number;
  /**
   * Every this many ms, pods whose netns path no longer exists (the runtime removed it without a Del, or
   * crashed) are removed as a Del would (reason `orphaned`); `start()` and every reconcile do it too.
   * Default 60000; 0: no periodic sweep.
   */
  readonly netnsSweepIntervalMs?: number;
}

/** Collaborators of the server. */
export interface CniServerComponents {
  /**
   * A connected VPP client; with `reconnect`, the server replays every pod when VPP comes back. An Add sends
   * most of its 25 requests at once: give the client room for a burst (`maxInFlight` about 15 per pod added at
   * once, e.g. 2048), or the queued requests cost the main thread what the pipelining saves.
   */
  readonly vpp: CniVpp;
  readonly logger?: CniLogger;
}

/** Options of every async call. */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

/**
 * The CNI server: Calico's `CniDataplane` API over gRPC plus the same calls in-process, pods in VPP, a state
 * file and a stream of pod events.
 */
export interface CniServer {
  /** Loads the state file, reconciles it with VPP and the netns, then listens. */
  start(opts?: CallOptions): Promise<ReconcileReport>;
  /** Stops listening and ends event streams; VPP and pods are left as they are. */
  stop(): Promise<void>;
  /** Stops at once as a crash would: steps in flight stop without unwinding, nothing more is written. */
  crash(): Promise<void>;
  /** Calico's Add: errors in-band. Idempotent per (netns, interface_name). */
  add(req: AddRequestInit, opts?: CallOptions): Promise<AddReply>;
  /** Calico's Del: unknown keys and an empty netns succeed. */
  del(req: Partial<DelRequest>, opts?: CallOptions): Promise<DelReply>;
  /** The pods held now. */
  pods(): PodInfo[];
  /** podAdded / podDeleted events from now on. */
  events(opts?: CallOptions): AsyncIterable<PodEvent>;
  /** Brings VPP and the netns back in line with the state (also run on start and after VPP reconnects). */
  reconcile(opts?: CallOptions): Promise<ReconcileReport>;
  /**
   * Removes the pods whose netns path no longer exists, as a Del would: VPP objects, veth, state entry, a
   * `podDeleted` event (reason `orphaned`). Runs every `netnsSweepIntervalMs`; other pods are not touched.
   */
  sweep(opts?: CallOptions): Promise<SweepReport>;
  /** The gRPC socket path, when listening. */
  readonly socketPath: string | undefined;
  readonly stateFile: string;
}

function errorMessage(e: unknown): string {
  const err = e as Error & { field?: string; step?: string };
  return `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`;
}

/** Creates a CNI server; call `start()`. */
export function createCniServer(init: CniServerInit, components: CniServerComponents): CniServer {
  const { vpp, logger } = components;
  const store = new StateStore(init.stateFile);
  const pods = new Map<string, PodRecord>();
  const intents = new Map<string, PodIntent>(); // pod id → intent, for pods being added (and, after a crash, were)
  store.source(
    () => [...pods.values()],
    () => [...intents.values()],
  );
  const vrfs = new VrfAllocator(init.vrfBase ?? DEFAULT_VRF_BASE);
  const loopInstances = new VrfAllocator(LOOPBACK_INSTANCE_MIN, LOOPBACK_INSTANCE_MAX);
  const locks = new KeyedMutex();
  const maxParallel = init.maxParallel ?? 'auto';
  const slots =
    maxParallel === 'auto'
      ? new Semaphore(
          (demand) => Math.min(AUTO_PARALLEL_MAX, Math.max(AUTO_PARALLEL_MIN, Math.floor(demand / 2) + 1)),
          { waves: { maxWaitMs: AUTO_WAVE_MAX_WAIT_MS } },
        )
      : new Semaphore(maxParallel);
  const delSlots = new Semaphore(init.maxParallelDel ?? DEFAULT_MAX_PARALLEL_DEL);
  const fanout = new EventFanout<PodEvent>();
  // veths of deleted pods the kernel is still removing (host name → done): an Add of the same pod waits for it
  const vethsGoing = new Map<string, Promise<void>>();
  const building = new Map<string, string>(); // pod id → host interface name, for pods being added (orphan sweeps leave them alone)
  const ipOwners = new Map<string, string>(); // address → key, for pods held and pods being added
  const crash = new AbortController();
  let epoch = 0;
  let running = false;
  let grpc: GrpcListener | undefined;
  let reconciling: Promise<unknown> | undefined;
  const mode: InterfaceMode =
    !init.interfaceMode || init.interfaceMode === 'auto'
      ? existsSync('/dev/vhost-net')
        ? 'tun'
        : 'veth'
      : init.interfaceMode;
  const defaults = {
    mode,
    mtu: init.mtu ?? 1500,
    encapsulation: init.encapsulation ?? 'none',
    rxMode: init.rxMode ?? 'adaptive',
    hostIfPrefix: init.hostIfPrefix ?? 'vpcni',
    memif: init.memif ?? false,
  } as const;

  let vppNlHandle: Promise<NetlinkHandle> | undefined;
  const vppNl = (): Promise<NetlinkHandle> => {
    vppNlHandle ??= openNetlink({ netns: init.vppNetns });
    vppNlHandle.catch(() => (vppNlHandle = undefined));
    return vppNlHandle;
  };
  const closeVppNl = async (): Promise<void> => {
    const h = vppNlHandle;
    vppNlHandle = undefined;
    if (h) (await h.catch(() => undefined))?.close();
  };
  const quiet = init.vethBatchQuietMs ?? 20;
  // deletions go through batchIn: their kernel work runs on the netlink addon's namespace thread, not ours
  const reaper = new VethReaper((msgs) => batchIn(init.vppNetns, msgs), quiet, quiet * 10);
  const ctx = (signal?: AbortSignal): BuilderContext => ({
    vpp,
    vrfs,
    loopInstances,
    intend: async (intent) => {
      intents.set(intent.id, intent);
      await store.save();
    },
    vppNetns: init.vppNetns,
    reaper,
    podsVrfId: init.podsVrfId ?? 0,
    mainVrfId: init.mainVrfId ?? 0,
    nodeIps: init.nodeIps ?? {},
    logger,
    epoch,
    crash: crash.signal,
    signal,
  });

  const hold = (rec: PodRecord): void => {
    pods.set(rec.key, rec);
    for (const ip of rec.spec.ips) ipOwners.set(ip.address, rec.key);
  };
  const drop = (rec: PodRecord): void => {
    pods.delete(rec.key);
    for (const ip of rec.spec.ips) if (ipOwners.get(ip.address) === rec.key) ipOwners.delete(ip.address);
  };

  async function addLocked(req: AddRequestInit, signal: AbortSignal | undefined): Promise<AddReply> {
    const full = normaliseAddRequest(req);
    const spec = toPodSpec(full, defaults);
    const existing = pods.get(spec.key);
    if (existing)
      return {
        successful: true,
        error_message: '',
        host_interface_name: existing.spec.hostIfName,
        container_mac: existing.containerMac,
      };
    if (!existsSync(spec.netns)) throw new NetnsNotFoundError(spec.netns);
    const going = vethsGoing.get(spec.hostIfName); // the same pod deleted a moment ago: its old veth goes first
    if (going) {
      reaper.hurry();
      await going;
    }
    spec.ips.forEach((ip, i) => {
      const owner = ipOwners.get(ip.address);
      if (owner !== undefined && owner !== spec.key)
        throw new DuplicateIpError(`container_ips[${i}].address`, ip.address, owner.replace('\u0000', ' '));
    });
    for (const ip of spec.ips) ipOwners.set(ip.address, spec.key);
    building.set(spec.id, spec.hostIfName);
    try {
      // the slot is held until the pod is durable: the next pods' kernel and VPP work would otherwise hold up
      // this pod's (short) state write on the event loop, and a burst's first wave would finish late
      const rec = await slots.run(async () => {
        const built = await buildPod(spec, full, ctx(signal));
        hold(built);
        intents.delete(spec.id); // the record names the translations from now on
        const t = performance.now();
        await store.save();
        if (debugEnabled(logger))
          logger.debug(
            { pod: spec.key, ms: Number((performance.now() - t).toFixed(2)), writes: store.writes },
            'pod saved',
          );
        return built;
      });
      fanout.push({ type: 'podAdded', reason: 'add', pod: podInfo(rec) });
      return {
        successful: true,
        error_message: '',
        host_interface_name: rec.spec.hostIfName,
        container_mac: rec.containerMac,
      };
    } catch (e) {
      if (!pods.has(spec.key)) {
        for (const ip of spec.ips) if (ipOwners.get(ip.address) === spec.key) ipOwners.delete(ip.address);
        if (!crash.signal.aborted) intents.delete(spec.id); // unwound: nothing of it is left
      }
      throw e;
    } finally {
      building.delete(spec.id);
    }
  }

  async function currentObjects(
    rec: PodRecord,
    byTag?: Map<string, number>,
    tables?: Map<string, { id: number; ip6: boolean }>,
  ): Promise<PodVppObjects> {
    if (rec.epoch === epoch && !byTag) return recordObjects(rec);
    const snap = byTag && tables ? { byTag, tables } : await vppSnapshot();
    const out: { id: number; ip6: boolean }[] = [];
    for (const which of ['pod4', 'pod6', 'rpf4', 'rpf6'] as const) {
      const t = snap.tables.get(tagOf.table(rec.id, which));
      if (t) out.push(t);
    }
    return {
      swIfIndex: snap.byTag.get(tagOf.itf(rec.id)),
      loopbackSwIfIndex: snap.byTag.get(tagOf.loop(rec.id)),
      tables: out,
    };
  }

  /** Removes a held pod (its key locked): VPP side, then the veth after the reply, the state entry, the event. */
  async function removeLocked(rec: PodRecord, reason: 'del' | 'orphaned'): Promise<string[]> {
    // the reply does not wait for the kernel to free the veth (RCU grace periods): with its af_packet gone the
    // pod is cut off; a crash before the veth is gone leaves one nobody owns, which the next start sweeps
    const errors = await delSlots.run(async () =>
      teardownPod(rec, await currentObjects(rec), ctx(), {
        deferVeth: (name, done) => {
          const settled = done
            .catch((e: unknown) =>
              logger?.warn({ pod: rec.key, veth: name, err: errorMessage(e) }, 'veth delete failed'),
            )
            .finally(() => {
              if (vethsGoing.get(name) === settled) vethsGoing.delete(name);
            });
          vethsGoing.set(name, settled);
        },
      }),
    );
    drop(rec);
    await store.save();
    fanout.push({ type: 'podDeleted', reason, pod: podInfo(rec) });
    if (errors.length > 0) logger?.warn({ pod: rec.key, errors }, 'pod removed with errors');
    return errors;
  }

  async function delLocked(key: string): Promise<void> {
    const rec = pods.get(key);
    if (rec) await removeLocked(rec, 'del');
  }

  /** Pods whose netns is gone: removed one by one under their key's lock (an Add or Del of it goes first). */
  async function sweepOnce(signal?: AbortSignal): Promise<SweepReport> {
    const report: SweepReport = { removed: [], failed: [] };
    const gone = [...pods.values()].filter((rec) => !existsSync(rec.spec.netns));
    await Promise.all(
      gone.map((rec) =>
        locks.run(rec.key, async () => {
          signal?.throwIfAborted();
          if (pods.get(rec.key) !== rec || existsSync(rec.spec.netns)) return;
          const errors = await removeLocked(rec, 'orphaned');
          report.removed.push(rec.key);
          if (errors.length > 0) report.failed.push({ key: rec.key, error: errors.join('; ') });
        }),
      ),
    );
    if (report.removed.length > 0) logger?.info({ removed: report.removed }, 'pods whose netns is gone removed');
    return report;
  }

  async function vppSnapshot(): Promise<{
    byTag: Map<string, number>;
    tables: Map<string, { id: number; ip6: boolean }>;
    itfs: Map<number, { tag: string; dev: string; name: string }>;
    afp: Map<number, string>;
  }> {
    const byTag = new Map<string, number>();
    const itfs = new Map<number, { tag: string; dev: string; name: string }>();
    for await (const d of vpp.dump('sw_interface_dump', { sw_if_index: 0xffffffff })) {
      itfs.set(d.sw_if_index, { tag: d.tag, dev: d.interface_dev_type, name: d.interface_name });
      if (d.tag.startsWith(TAG_PREFIX)) byTag.set(d.tag, d.sw_if_index);
    }
    const tables = new Map<string, { id: number; ip6: boolean }>();
    for await (const d of vpp.dump('ip_table_dump', {})) {
      if (d.table.name.startsWith(TAG_PREFIX)) tables.set(d.table.name, { id: d.table.table_id, ip6: d.table.is_ip6 });
      if (d.table.table_id >= vrfs.base) vrfs.reserve(d.table.table_id);
    }
    const afp = new Map<number, string>();
    for await (const d of vpp.dump('af_packet_dump', {})) afp.set(d.sw_if_index, d.host_if_name);
    return { byTag, tables, itfs, afp };
  }

  async function podIntact(rec: PodRecord, snap: Awaited<ReturnType<typeof vppSnapshot>>): Promise<boolean> {
    if (snap.byTag.get(tagOf.itf(rec.id)) !== rec.swIfIndex) return false;
    if (snap.byTag.get(tagOf.loop(rec.id)) !== rec.loopbackSwIfIndex) return false;
    if (rec.memif && snap.byTag.get(tagOf.memif(rec.id)) !== rec.memif.swIfIndex) return false;
    const wanted: [keyof PodRecord['vrfs'], number | undefined][] = [
      ['pod4', rec.vrfs.pod4],
      ['pod6', rec.vrfs.pod6],
      ['rpf4', rec.vrfs.rpf4],
      ['rpf6', rec.vrfs.rpf6],
    ];
    for (const [which, id] of wanted)
      if (id !== undefined && snap.tables.get(tagOf.table(rec.id, which))?.id !== id) return false;
    try {
      const nl = await openNetlink({ netns: { path: rec.spec.netns } });
      try {
        if (!(await nl.link.find(rec.spec.ifname))) return false;
      } finally {
        nl.close();
      }
      if (rec.spec.mode === 'veth' && !(await (await vppNl()).link.find(rec.spec.hostIfName))) return false;
    } catch {
      return false;
    }
    return true;
  }

  async function reconcileOnce(restored: boolean, signal?: AbortSignal): Promise<ReconcileReport> {
    const report: ReconcileReport = { kept: [], rebuilt: [], removed: [], orphansRemoved: [], failed: [] };
    const snap = await vppSnapshot();
    for (const rec of [...pods.values()]) {
      vrfs.reserve(rec.vrfs.pod4);
      vrfs.reserve(rec.vrfs.pod6);
      if (rec.vrfs.rpf4 !== undefined) vrfs.reserve(rec.vrfs.rpf4);
      if (rec.vrfs.rpf6 !== undefined) vrfs.reserve(rec.vrfs.rpf6);
      if (rec.loopInstance !== undefined) loopInstances.reserve(rec.loopInstance);
    }
    for (const rec of [...pods.values()]) {
      signal?.throwIfAborted();
      await locks.run(rec.key, async () => {
        if (pods.get(rec.key) !== rec) return;
        const where = await currentObjects(rec, snap.byTag, snap.tables);
        if (!existsSync(rec.spec.netns)) {
          await teardownPod(rec, where, ctx());
          drop(rec);
          report.removed.push(rec.key);
          fanout.push({ type: 'podDeleted', reason: 'orphaned', pod: podInfo(rec) });
          return;
        }
        if (await podIntact(rec, snap)) {
          report.kept.push(rec.key);
          if (rec.epoch !== epoch) hold({ ...rec, epoch });
          if (restored) fanout.push({ type: 'podAdded', reason: 'restored', pod: podInfo(rec) });
          return;
        }
        // broken (e.g. VPP restarted): remove what is left and build it again from the stored request
        await teardownPod(rec, where, ctx());
        drop(rec);
        try {
          const spec = toPodSpec(normaliseAddRequest(rec.request), defaults);
          for (const ip of spec.ips) ipOwners.set(ip.address, spec.key);
          building.set(spec.id, spec.hostIfName);
          try {
            const fresh = await buildPod(spec, rec.request, ctx(signal));
            hold(fresh);
            intents.delete(spec.id);
            report.rebuilt.push(rec.key);
            fanout.push({ type: 'podAdded', reason: 'replayed', pod: podInfo(fresh) });
          } finally {
            building.delete(spec.id);
          }
        } catch (e) {
          for (const ip of rec.spec.ips) if (ipOwners.get(ip.address) === rec.key) ipOwners.delete(ip.address);
          report.failed.push({ key: rec.key, error: errorMessage(e) });
          fanout.push({ type: 'podDeleted', reason: 'orphaned', pod: podInfo(rec) });
        }
      });
    }
    // orphans: tagged VPP objects and generated veths no pod owns
    const owned = new Set([...pods.values()].map((r) => r.id));
    const isOrphan = (id: string | undefined): id is string => id !== undefined && !owned.has(id) && !building.has(id);
    const orphanIds = new Set<string>();
    const after = await vppSnapshot();
    // pod routes in the main VRF through interfaces about to go (VPP keeps API routes via deleted interfaces)
    const ownedHostsEarly = new Set([...[...pods.values()].map((r) => r.spec.hostIfName), ...building.values()]);
    const doomed = new Set<number>();
    for (const [sw, itf] of after.itfs) if (isOrphan(idOfTag(itf.tag)) && !itf.tag.endsWith(':lo')) doomed.add(sw);
    for (const [sw, host] of after.afp)
      if (host.startsWith(defaults.hostIfPrefix) && !ownedHostsEarly.has(host) && !after.itfs.get(sw)?.tag)
        doomed.add(sw);
    if (doomed.size > 0) {
      const mainVrf = init.mainVrfId ?? 0;
      for (const ip6 of [false, true]) {
        const stale: Parameters<typeof vpp.call<'ip_route_add_del'>>[1][] = [];
        for await (const d of vpp.dump('ip_route_dump', { table: { table_id: mainVrf, is_ip6: ip6, name: '' } })) {
          if (d.route.paths.some((p) => doomed.has(p.sw_if_index)))
            stale.push({ is_add: false, is_multipath: false, route: { ...d.route, paths: [] } });
        }
        for (const r of stale)
          await vpp
            .call('ip_route_add_del', r)
            .catch((e: unknown) => report.failed.push({ key: 'route', error: errorMessage(e) }));
      }
    }
    for (const [sw, itf] of after.itfs) {
      const id = idOfTag(itf.tag);
      if (!isOrphan(id)) continue;
      orphanIds.add(id);
      try {
        if (itf.tag.endsWith(':lo')) await vpp.call('delete_loopback', { sw_if_index: sw });
        else if (itf.tag.endsWith(':memif')) await vpp.call('memif_delete', { sw_if_index: sw });
        else if (after.afp.has(sw)) await vpp.call('af_packet_delete', { host_if_name: after.afp.get(sw) ?? '' });
        else await vpp.call('tap_delete_v2', { sw_if_index: sw });
      } catch (e) {
        report.failed.push({ key: itf.tag, error: errorMessage(e) });
      }
    }
    // a loopback made just before a crash carries no tag yet: known by its instance (ours: LOOPBACK_INSTANCE_MIN…)
    for (const [sw, itf] of after.itfs) {
      const m = /^loop(\d+)$/.exec(itf.name);
      const inst = Number(m?.[1]);
      if (!m || itf.tag || inst < LOOPBACK_INSTANCE_MIN || inst > LOOPBACK_INSTANCE_MAX || loopInstances.has(inst))
        continue;
      orphanIds.add(itf.name);
      await vpp
        .call('delete_loopback', { sw_if_index: sw })
        .catch((e: unknown) => report.failed.push({ key: itf.name, error: errorMessage(e) }));
    }
    // cnat translations of pods that were being added when the last run stopped (their intents survived it)
    const stale = [...intents.values()].filter((i) => !owned.has(i.id) && !building.has(i.id));
    if (stale.length > 0) {
      try {
        for await (const d of vpp.dump('cnat_translation_dump', {})) {
          const t = d.translation;
          const of = stale.find(
            (i) =>
              i.cnat.some((c) => c.addr === t.vip.addr && c.port === t.vip.port && c.proto === t.ip_proto) &&
              t.paths.some((p) => i.ips.includes(p.dst_ep.addr)),
          );
          if (!of) continue;
          orphanIds.add(of.id);
          await vpp
            .call('cnat_translation_del', { id: t.id })
            .catch((e: unknown) => report.failed.push({ key: `cnat ${t.id}`, error: errorMessage(e) }));
        }
        for (const i of stale) intents.delete(i.id);
      } catch (e) {
        report.failed.push({ key: 'cnat translations', error: errorMessage(e) });
      }
    }
    for (const id of [...intents.keys()]) if (owned.has(id)) intents.delete(id);
    // memif sockets of pods we no longer hold (their memif is gone with the sweep above)
    try {
      const heldNetns = new Set([...pods.values()].filter((r) => r.memif).map((r) => r.spec.netns));
      for await (const sock of vpp.dump('memif_socket_filename_dump', {})) {
        const m = /abstract:vpp\/memif-[^,]+,netns_name=(.+)$/.exec(sock.socket_filename);
        if (!m || heldNetns.has(m[1] ?? '') || building.size > 0) continue;
        await vpp
          .call('memif_socket_filename_add_del_v2', { is_add: false, socket_id: sock.socket_id, socket_filename: '' })
          .catch(() => undefined);
      }
    } catch (e) {
      if ((e as { name?: string }).name !== 'VppUnsupportedMessageError')
        report.failed.push({ key: 'memif sockets', error: errorMessage(e) });
    }
    // an af_packet made just before a crash carries no tag yet: known by its host interface name
    const ownedHosts = new Set([...[...pods.values()].map((r) => r.spec.hostIfName), ...building.values()]);
    for (const [sw, host] of after.afp) {
      if (!host.startsWith(defaults.hostIfPrefix) || ownedHosts.has(host) || after.itfs.get(sw)?.tag) continue;
      orphanIds.add(host);
      try {
        await vpp.call('af_packet_delete', { host_if_name: host });
      } catch (e) {
        report.failed.push({ key: host, error: errorMessage(e) });
      }
    }
    for (const [name, t] of after.tables) {
      const id = idOfTag(name);
      if (!isOrphan(id)) continue;
      orphanIds.add(id);
      try {
        await vpp.call('ip_table_add_del', { is_add: false, table: { table_id: t.id, is_ip6: t.ip6, name: '' } });
        vrfs.release(t.id);
      } catch (e) {
        report.failed.push({ key: name, error: errorMessage(e) });
      }
    }
    try {
      const nl = await vppNl();
      {
        const prefix = defaults.hostIfPrefix;
        const ownedNames = new Set([...[...pods.values()].map((r) => r.spec.hostIfName), ...building.values()]);
        const doomedVeths = (await nl.link.list({ kind: 'veth' }))
          .map((l) => l.name)
          .filter((n) => n.startsWith(prefix) && !ownedNames.has(n));
        for (const n of doomedVeths) orphanIds.add(n);
        await Promise.all(doomedVeths.map((n) => reaper.delete(n).catch(() => undefined)));
      }
    } catch (e) {
      report.failed.push({ key: 'veth sweep', error: errorMessage(e) });
    }
    report.orphansRemoved.push(...orphanIds);
    await store.save();
    logger?.info({ ...report, kept: report.kept.length }, 'reconciled');
    return report;
  }

  /** Reconciles and sweeps run one after another (a sweep must not remove a pod under a reconcile's feet). */
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = (reconciling ?? Promise.resolve()).catch(() => undefined).then(fn);
    reconciling = run;
    return run;
  }
  const reconcile = (restored: boolean, signal?: AbortSignal): Promise<ReconcileReport> =>
    serial(() => reconcileOnce(restored, signal));
  const sweep = (signal?: AbortSignal): Promise<SweepReport> => {
    if (!running) return Promise.reject(new ServerNotRunningError('sweep'));
    return serial(() => sweepOnce(signal));
  };
  const sweepEvery = init.netnsSweepIntervalMs ?? DEFAULT_NETNS_SWEEP_INTERVAL_MS;
  let sweepTimer: ReturnType<typeof setInterval> | undefined;
  const stopSweeps = (): void => {
    if (sweepTimer) clearInterval(sweepTimer);
    sweepTimer = undefined;
  };

  const onVppUp = (ev: Event): void => {
    const detail = (ev as CustomEvent<{ reconnected?: boolean }>).detail;
    if (!running || !detail?.reconnected) return;
    epoch++;
    logger?.info({ epoch }, 'VPP reconnected: replaying pods');
    reconcile(false).catch((e) => logger?.error({ err: errorMessage(e) }, 'reconcile after VPP reconnect failed'));
  };

  const server: CniServer = {
    get socketPath() {
      return grpc?.socketPath;
    },
    stateFile: init.stateFile,

    async start(opts = {}) {
      if (running) throw new Error('already started');
      const loaded = await store.loadAll();
      for (const rec of loaded.pods) hold({ ...rec, epoch: -1 });
      for (const intent of loaded.intents) intents.set(intent.id, intent);
      running = true;
      // records from the file carry the last run's epoch; compare with VPP by tag
      const report = await reconcile(true, opts.signal); // removes pods whose netns is gone, too
      vpp.addEventListener?.('vpp:up', onVppUp);
      if (sweepEvery > 0) {
        let sweeping = false; // one periodic sweep at a time
        sweepTimer = setInterval(() => {
          if (pods.size === 0 || sweeping) return;
          sweeping = true;
          sweep()
            .catch((e: unknown) => logger?.warn({ err: errorMessage(e) }, 'netns sweep failed'))
            .finally(() => (sweeping = false));
        }, sweepEvery);
        sweepTimer.unref();
      }
      if (init.socket !== false) {
        grpc = await listenGrpc(init.socket ?? DEFAULT_CNI_SERVER_SOCKET, server, {
          maxMessageBytes: init.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
          logger,
        });
      }
      return report;
    },

    async stop() {
      running = false;
      stopSweeps();
      vpp.removeEventListener?.('vpp:up', onVppUp);
      await grpc?.close();
      grpc = undefined;
      await reconciling?.catch(() => undefined);
      reaper.hurry();
      await Promise.all(vethsGoing.values());
      await store.close();
      await closeVppNl();
      fanout.close();
    },

    async crash() {
      running = false;
      stopSweeps();
      store.freeze();
      void store.close();
      reaper.abandon(); // a crashed process deletes nothing more
      crash.abort(new Error('crashed'));
      vpp.removeEventListener?.('vpp:up', onVppUp);
      grpc?.kill();
      grpc = undefined;
      void closeVppNl();
      fanout.close();
    },

    async add(req, opts = {}) {
      if (!running)
        return {
          successful: false,
          error_message: errorMessage(new ServerNotRunningError('Add')),
          host_interface_name: '',
          container_mac: '',
        };
      if (!req.netns) return { successful: true, error_message: '', host_interface_name: '', container_mac: '' };
      try {
        const key = podKey(req.netns, req.interface_name ?? '');
        return await locks.run(key, () => addLocked(req, opts.signal));
      } catch (e) {
        logger?.warn({ netns: req.netns, ifname: req.interface_name, err: errorMessage(e) }, 'Add failed');
        return { successful: false, error_message: errorMessage(e), host_interface_name: '', container_mac: '' };
      }
    },

    async del(req) {
      if (!running) return { successful: false, error_message: errorMessage(new ServerNotRunningError('Del')) };
      if (!req.netns) return { successful: true, error_message: '' };
      try {
        const key = podKey(req.netns, req.interface_name ?? '');
        await locks.run(key, () => delLocked(key));
        return { successful: true, error_message: '' };
      } catch (e) {
        return { successful: false, error_message: errorMessage(e) };
      }
    },

    pods: () => [...pods.values()].map(podInfo),
    events: (opts = {}) => fanout.stream(opts.signal),
    reconcile: (opts = {}) => reconcile(false, opts.signal),
    sweep: (opts = {}) => sweep(opts.signal),
  };
  return server;
}
