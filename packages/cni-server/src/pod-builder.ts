import { randomBytes } from 'node:crypto';
import { create_fib_path, type fib_path } from '@vectorplane/vpp-binapi';
import { type NetnsRef } from '@vectorplane/netlink';
import { configurePodNetns, createVeth, podEndIndex, podLinkIndex, type VethReaper } from './kernel.js';
import { INDEX_INVALID, TAG_PREFIX, VPP_INSTANCE_IN_USE } from './constants.js';
import { InterfaceExistsError, PodSetupError } from './errors.js';
import type { PodSpec, RxMode } from './spec.js';
import { debugEnabled, type CniLogger, type CniVpp, type PodIntent, type PodRecord, type PodVrfs } from './types.js';
import type { AddRequest } from './proto.js';

const AF_PACKET_MODE_ETHERNET = 1;
const AF_PACKET_FLAGS = 1 | 2; // QDISC_BYPASS | CKSUM_GSO, as VPP's `create host-interface`
const TAP_FLAG_GSO = 1;
const TAP_FLAG_TUN = 16;
const URPF_STRICT = 2;
const NEIGHBOR_STATIC = 1;
const RX_MODES: Record<RxMode, number> = { polling: 1, interrupt: 2, adaptive: 3, default: 4 };
const PROTO: Record<'TCP' | 'UDP' | 'SCTP', number> = { TCP: 6, UDP: 17, SCTP: 132 };

/** VPP tag of a pod's interface, loopback and table names. */
export const tagOf = {
  itf: (id: string): string => `${TAG_PREFIX}${id}`,
  loop: (id: string): string => `${TAG_PREFIX}${id}:lo`,
  memif: (id: string): string => `${TAG_PREFIX}${id}:memif`,
  table: (id: string, which: keyof PodVrfs): string => `${TAG_PREFIX}${id}:${which}`,
};

/** Reads the pod id out of one of our tags, or undefined for foreign tags. */
export function idOfTag(tag: string): string | undefined {
  if (!tag.startsWith(TAG_PREFIX)) return undefined;
  return tag.slice(TAG_PREFIX.length).split(':')[0];
}

/** Hands out ids (VRF ids, loopback instances) from `base` up to `max`, never two alike. */
export class VrfAllocator {
  readonly #used = new Set<number>();
  #next: number;
  constructor(
    readonly base: number,
    readonly max = 0xfffffffe,
  ) {
    this.#next = base;
  }
  reserve(id: number): void {
    this.#used.add(id);
  }
  has(id: number): boolean {
    return this.#used.has(id);
  }
  /** @throws RangeError when every id up to `max` is taken. */
  alloc(): number {
    while (this.#used.has(this.#next)) this.#next++;
    if (this.#next > this.max) {
      this.#next = this.base;
      while (this.#used.has(this.#next) && this.#next <= this.max) this.#next++;
      if (this.#next > this.max) throw new RangeError(`no free id in ${this.base}..${this.max}`);
    }
    const id = this.#next++;
    this.#used.add(id);
    return id;
  }
  release(id: number | undefined): void {
    if (id === undefined) return;
    this.#used.delete(id);
    if (id < this.#next) this.#next = Math.max(this.base, id);
  }
  get size(): number {
    return this.#used.size;
  }
}

export interface BuilderContext {
  readonly vpp: CniVpp;
  readonly vrfs: VrfAllocator;
  /** Loopback instances of pod loopbacks (LOOPBACK_INSTANCE_MIN..MAX). */
  readonly loopInstances: VrfAllocator;
  /** Makes `intent` durable before the untaggable objects it names are created. */
  readonly intend: (intent: PodIntent) => Promise<void>;
  readonly vppNetns: NetnsRef;
  /** Deletes veths in VPP's netns, batching concurrent deletions. */
  readonly reaper: VethReaper;
  readonly podsVrfId: number;
  readonly mainVrfId: number;
  readonly nodeIps: { readonly ip4?: string; readonly ip6?: string };
  readonly logger: CniLogger | undefined;
  readonly epoch: number;
  /** Aborted when the server stops abruptly: no further step and no unwinding (a crash). */
  readonly crash: AbortSignal;
  readonly signal?: AbortSignal | undefined;
}

function randomMac(): string {
  const b = randomBytes(6);
  b[0] = 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

function path(init: Partial<fib_path>): fib_path {
  return { ...create_fib_path(), sw_if_index: INDEX_INVALID, ...init };
}

/** True when the error is VPP saying the feature is not there (plugin missing, unsupported on this interface). */
function isUnsupported(e: unknown): boolean {
  const err = e as { name?: string; code?: string };
  return (
    err?.name === 'VppUnsupportedMessageError' || err?.code === 'UNSUPPORTED' || err?.code === 'VPP_MESSAGE_UNSUPPORTED'
  );
}

/**
 * Builds one pod: VRFs, loopback, the pod interface (veth + af_packet, tun or tap), its VPP settings,
 * routes, uRPF, hostPorts and the pod netns. Any failure unwinds what was made, in reverse.
 *
 * A request goes out as soon as the values it carries are known; it does not wait for the answers of the
 * requests it must merely come after. VPP handles one client's messages one at a time in the order they were
 * written (socket_api.c hands each message to the API process in turn) and the client writes them in call
 * order, so a table and the routes and bindings that need it can go in one write. Only what needs a value
 * from an answer waits for it: the loopback's and the pod interface's sw_if_index (and a memif's socket id),
 * two round trips per pod instead of about nine. The order of the calls keeps VPP's rules: a table before the
 * routes in it and the interfaces bound to it; an interface's tables before its addresses, unnumbered and
 * IPv6 (VPP refuses a table change on an interface with addresses, borrowed ones included); both the
 * loopback's and the interface's tables before unnumbered (VPP wants the two in the same table).
 * @throws InterfaceExistsError, PodSetupError (with the failing `step`: the first one that failed).
 */
export async function buildPod(spec: PodSpec, request: AddRequest, ctx: BuilderContext): Promise<PodRecord> {
  const undo: { step: string; fn: () => Promise<unknown> }[] = [];
  const { vpp } = ctx;
  const t0 = performance.now();
  // per-step timings only for a debug log (they cost a clock read and a property per VPP call)
  const timings: Record<string, number> | undefined = debugEnabled(ctx.logger) ? {} : undefined;
  /** The first step that failed: no step starts after it; those in flight settle, then everything is unwound. */
  let failed: Error | undefined;
  /**
   * One step: its undo is recorded once it succeeded (answers come in the order VPP handled the requests,
   * so the undo list is in an order VPP can take backwards). `optional`: VPP not supporting it is no failure.
   */
  const step = async <T>(
    name: string,
    fn: () => Promise<T>,
    rollback?: (v: T) => Promise<unknown>,
    optional = false,
  ): Promise<T> => {
    ctx.crash.throwIfAborted();
    ctx.signal?.throwIfAborted();
    if (failed) throw failed;
    let v: T;
    const t = timings ? performance.now() : 0;
    try {
      v = await fn();
      if (timings) timings[name] = performance.now() - t;
    } catch (e) {
      if (optional && isUnsupported(e)) {
        ctx.logger?.warn({ step: name, pod: spec.key }, 'VPP does not support this step here; skipped');
        return undefined as T;
      }
      const err = (e as Error)?.name === 'InterfaceExistsError' ? (e as Error) : new PodSetupError(name, e);
      failed ??= err;
      throw err;
    }
    if (rollback) undo.push({ step: name, fn: () => rollback(v) });
    return v;
  };
  const optional = (name: string, fn: () => Promise<unknown>): Promise<unknown> => step(name, fn, undefined, true);
  /** Waits for all (so each one's undo is recorded), then throws the first failure. */
  const all = async (ps: readonly Promise<unknown>[]): Promise<void> => {
    const results = await Promise.allSettled(ps);
    const bad = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (bad) throw failed ?? bad.reason;
  };
  // no signal on the calls themselves: an aborted Add stops before its next step, and what is in flight
  // settles and is recorded, so the unwinding knows every object that VPP made
  const call: CniVpp['call'] = (name, fields) => vpp.call(name, fields);

  const families = new Set(spec.ips.map((i) => i.family));
  const vrfs: PodVrfs = { pod4: -1, pod6: -1 };
  const vppMac = randomMac();
  const containerMac = randomMac();
  let swIfIndex = INDEX_INVALID;
  let lo = INDEX_INVALID;
  let loopInstance: number | undefined;
  const cnatIds: number[] = [];
  const l2 = spec.mode !== 'tun';
  let memif: PodRecord['memif'];

  try {
    // 0. names must be free: the pod's ifname in its netns (veth: the kernel says EEXIST when creating, below)
    if (spec.mode !== 'veth' && (await podLinkIndex(spec.netns, spec.ifname)) !== undefined)
      throw new InterfaceExistsError('interface_name', spec.ifname, `netns ${spec.netns}`);

    // From here on every call is made before the first await of this function that could let an answer in,
    // and every promise is handed on at once (no rejection goes unhandled): the wiring is synchronous.

    // 1. what needs no answer: the pod VRFs with their default routes, the uRPF tables, the loopback, the
    // memif socket, the tap (veth: the kernel makes the pair first, then the af_packet)
    const table = (which: keyof PodVrfs, ip6: boolean): Promise<unknown> => {
      const id = ctx.vrfs.alloc();
      vrfs[which] = id;
      return step(
        `ip_table_add_del ${which}`,
        () =>
          call('ip_table_add_del', {
            is_add: true,
            table: { table_id: id, is_ip6: ip6, name: tagOf.table(spec.id, which) },
          }),
        () => vpp.call('ip_table_add_del', { is_add: false, table: { table_id: id, is_ip6: ip6, name: '' } }),
      );
    };
    const tables: Promise<unknown>[] = [];
    for (const af of [4, 6] as const) {
      tables.push(table(af === 4 ? 'pod4' : 'pod6', af === 6));
      const t = af === 4 ? vrfs.pod4 : vrfs.pod6;
      tables.push(
        step(`ip_route_add_del default pod${af}`, () =>
          call('ip_route_add_del', {
            is_add: true,
            route: {
              table_id: t,
              stats_index: 0,
              prefix: af === 4 ? '0.0.0.0/0' : '::/0',
              paths: [path({ table_id: ctx.podsVrfId, proto: af === 4 ? 0 : 1 })],
            },
          }),
        ),
      );
    }
    // strict uRPF looks up a per-pod table: the pod's own IPs and its AllowedSourcePrefixes (routes: step 3)
    for (const af of [4, 6] as const) if (families.has(af)) tables.push(table(af === 4 ? 'rpf4' : 'rpf6', af === 6));

    // a loopback holding the container IPs, of an instance in our range: if a crash comes before its tag, the
    // next start still knows it as ours
    const loMade = step(
      'create_loopback_instance',
      async () => {
        for (let tries = 0; ; tries++) {
          const inst = ctx.loopInstances.alloc();
          loopInstance = inst;
          try {
            const r = await call('create_loopback_instance', {
              mac_address: '00:00:00:00:00:00',
              is_specified: true,
              user_instance: inst,
            });
            return r.sw_if_index;
          } catch (e) {
            // taken by someone else: it stays reserved, try the next one
            if ((e as { retval?: number }).retval !== VPP_INSTANCE_IN_USE || tries >= 16) throw e;
          }
        }
      },
      (sw) => vpp.call('delete_loopback', { sw_if_index: sw }),
    );

    const memifSocket =
      spec.memifPorts.length > 0
        ? step(
            'memif_socket_filename_add_del_v2',
            async () =>
              (
                await call('memif_socket_filename_add_del_v2', {
                  is_add: true,
                  socket_id: INDEX_INVALID,
                  socket_filename: `abstract:vpp/memif-${spec.ifname},netns_name=${spec.netns}`,
                })
              ).socket_id,
            (id) => vpp.call('memif_socket_filename_add_del_v2', { is_add: false, socket_id: id, socket_filename: '' }),
          )
        : undefined;

    // the pod interface: tap_create_v3 now; veth: the pair (kernel work, on the netlink addon's namespace
    // thread in VPP's netns, while VPP works on the requests above), then af_packet_create_v3
    /** The pod end's interface index in the pod netns (veth: echoed by its creation; tun/tap: looked up). */
    let podIndex: number | undefined;
    const vethMade = spec.mode === 'veth' ? vethCreate() : undefined;
    const itfMade: Promise<number> = vethMade ? vethMade.then(afPacketCreate) : tapCreate();

    // 2. the loopback's settings once its sw_if_index is known: tag, tables, then addresses, up
    let loSteps: Promise<unknown>[] = [];
    const loIssued = loMade.then((sw) => {
      lo = sw;
      loSteps = [
        step('sw_interface_tag_add_del loopback', () =>
          call('sw_interface_tag_add_del', { is_add: true, sw_if_index: sw, tag: tagOf.loop(spec.id) }),
        ),
        ...setTables('loopback ', sw),
        ...spec.ips.map((ip) =>
          step(`sw_interface_add_del_address loopback ${ip.address}`, () =>
            call('sw_interface_add_del_address', {
              sw_if_index: sw,
              is_add: true,
              del_all: false,
              prefix: `${ip.address}/${ip.family === 4 ? 32 : 128}`,
            }),
          ),
        ),
        step('sw_interface_set_flags loopback', () => call('sw_interface_set_flags', { sw_if_index: sw, flags: 1 })),
      ];
    });
    const loDone = loIssued.then(() => all(loSteps));

    // 2. the pod interface's own settings once its sw_if_index is known (and the af_packet's tag: an untagged
    // one is still known by its host name)
    let itfSteps: Promise<unknown>[] = [];
    const itfIssued = itfMade.then((sw) => {
      swIfIndex = sw;
      itfSteps = [
        spec.mode === 'veth'
          ? step('sw_interface_tag_add_del', () =>
              call('sw_interface_tag_add_del', { is_add: true, sw_if_index: sw, tag: tagOf.itf(spec.id) }),
            )
          : Promise.resolve(),
        ...setTables('', sw),
        step('sw_interface_set_mtu', () => call('sw_interface_set_mtu', { sw_if_index: sw, mtu: [spec.mtu, 0, 0, 0] })),
        optional('feature_gso_enable_disable', () =>
          call('feature_gso_enable_disable', { sw_if_index: sw, enable_disable: true }),
        ),
        step('feature_cnat_enable_disable', () =>
          call('feature_cnat_enable_disable', { sw_if_index: sw, enable_disable: true }),
        ),
        step('sw_interface_set_flags', () => call('sw_interface_set_flags', { sw_if_index: sw, flags: 1 })),
        optional('sw_interface_set_rx_mode', () =>
          call('sw_interface_set_rx_mode', {
            sw_if_index: sw,
            queue_id_valid: false,
            queue_id: 0,
            mode: RX_MODES[spec.rxMode],
          }),
        ),
      ];
    });
    const itfDone = itfIssued.then(() => all(itfSteps));

    // 3. once both are known (and the tables of both are set): unnumbered, IPv6, neighbours, the routes to the
    // pod in the main VRF, the uRPF routes and uRPF
    let podSteps: Promise<unknown>[] = [];
    const podDone = Promise.all([loIssued, itfIssued])
      .then(() => {
        podSteps = podRouting();
      })
      .then(() => all(podSteps));

    // 3b. memif (vppExtraMemifPorts): a memif master on a socket inside the pod netns, in the pod VRFs
    const memifDone = memifSocket ? memifSocket.then((socketId) => memifCreate(socketId)) : undefined;

    // hostPorts → cnat translations; VPP gives them no tag, so the intent is made durable first
    const hostPortsDone = hostPorts();

    // 4. inside the pod netns (the veth's pod end, or the tap VPP made there), once the pod interface exists in
    // VPP: the kernel work runs on the netlink addon's namespace thread, not on ours, while VPP works on the
    // interface's settings
    const netnsDone = itfIssued.then(async () => {
      await step('pod netns', async () => configurePodNetns(spec, vppMac, podIndex ?? (await podEndIndex(spec))));
    });

    await all([
      ...tables,
      loMade,
      loDone,
      itfMade,
      itfDone,
      podDone,
      ...(memifDone ? [memifDone] : []),
      hostPortsDone,
      netnsDone,
    ]);

    /** sw_interface_set_table ip4 and ip6 of `sw` into the pod VRFs. */
    function setTables(what: string, sw: number): Promise<unknown>[] {
      return [
        step(`sw_interface_set_table ${what}ip4`, () =>
          call('sw_interface_set_table', { sw_if_index: sw, is_ipv6: false, vrf_id: vrfs.pod4 }),
        ),
        step(`sw_interface_set_table ${what}ip6`, () =>
          call('sw_interface_set_table', { sw_if_index: sw, is_ipv6: true, vrf_id: vrfs.pod6 }),
        ),
      ];
    }

    async function vethCreate(): Promise<void> {
      try {
        podIndex = await step(
          'veth create',
          () => createVeth(ctx.vppNetns, spec, containerMac),
          () => ctx.reaper.delete(spec.hostIfName),
        );
      } catch (e) {
        if ((e as PodSetupError).cause && ((e as PodSetupError).cause as { code?: string }).code === 'EEXIST') {
          // which name is taken: the pod's in its netns, or the host end's in VPP's
          const taken =
            (await podLinkIndex(spec.netns, spec.ifname).catch(() => undefined)) !== undefined
              ? new InterfaceExistsError('interface_name', spec.ifname, `netns ${spec.netns}`)
              : new InterfaceExistsError('desired_host_interface_name', spec.hostIfName, "VPP's netns");
          if (failed === e) failed = taken;
          throw taken;
        }
        throw e;
      }
    }

    function afPacketCreate(): Promise<number> {
      return step(
        'af_packet_create_v3',
        async () =>
          (
            await call('af_packet_create_v3', {
              mode: AF_PACKET_MODE_ETHERNET,
              hw_addr: vppMac,
              use_random_hw_addr: false,
              host_if_name: spec.hostIfName,
              flags: AF_PACKET_FLAGS,
              num_rx_queues: spec.rxQueues,
              num_tx_queues: spec.txQueues,
            })
          ).sw_if_index,
        () => vpp.call('af_packet_delete', { host_if_name: spec.hostIfName }),
      );
    }

    function tapCreate(): Promise<number> {
      return step(
        'tap_create_v3',
        async () =>
          (
            await call('tap_create_v3', {
              id: INDEX_INVALID,
              use_random_mac: false,
              mac_address: vppMac,
              num_rx_queues: spec.rxQueues,
              num_tx_queues: spec.txQueues,
              rx_ring_sz: spec.rxQueueSize,
              tx_ring_sz: spec.txQueueSize,
              host_mtu_set: true,
              host_mtu_size: spec.mtu,
              host_mac_addr_set: l2,
              host_mac_addr: l2 ? containerMac : '00:00:00:00:00:00',
              tap_flags: TAP_FLAG_GSO | (spec.mode === 'tun' ? TAP_FLAG_TUN : 0),
              host_namespace_set: true,
              host_namespace: spec.netns,
              host_if_name_set: true,
              host_if_name: spec.ifname,
              tag: tagOf.itf(spec.id),
            })
          ).sw_if_index,
        (sw) => vpp.call('tap_delete_v2', { sw_if_index: sw }),
      );
    }

    function podRouting(): Promise<unknown>[] {
      const sw = swIfIndex;
      const out: Promise<unknown>[] = [
        step(
          'sw_interface_set_unnumbered',
          () => call('sw_interface_set_unnumbered', { sw_if_index: lo, unnumbered_sw_if_index: sw, is_add: true }),
          () => vpp.call('sw_interface_set_unnumbered', { sw_if_index: lo, unnumbered_sw_if_index: sw, is_add: false }),
        ),
      ];
      if (families.has(6))
        out.push(
          optional('sw_interface_ip6_enable_disable', () =>
            call('sw_interface_ip6_enable_disable', { sw_if_index: sw, enable: true }),
          ),
        );
      if (l2)
        for (const ip of spec.ips)
          out.push(
            step(`ip_neighbor_add_del ${ip.address}`, () =>
              call('ip_neighbor_add_del', {
                is_add: true,
                neighbor: {
                  sw_if_index: sw,
                  flags: NEIGHBOR_STATIC,
                  mac_address: containerMac,
                  ip_address: ip.address,
                },
              }),
            ),
          );
      // routes to the pod in the main VRF
      for (const ip of spec.ips) {
        const route = {
          table_id: ctx.mainVrfId,
          stats_index: 0,
          prefix: `${ip.address}/${ip.family === 4 ? 32 : 128}`,
          paths: [
            path({
              sw_if_index: sw,
              proto: ip.family === 4 ? 0 : 1,
              nh: { ...create_fib_path().nh, address: ip.family === 4 ? { ip4: ip.address } : { ip6: ip.address } },
            }),
          ],
        };
        out.push(
          step(
            `ip_route_add_del ${route.prefix}`,
            () => call('ip_route_add_del', { is_add: true, is_multipath: false, route }),
            () => vpp.call('ip_route_add_del', { is_add: false, is_multipath: false, route }),
          ),
        );
      }
      // strict uRPF against the per-pod table: the pod's own IPs and its AllowedSourcePrefixes
      for (const af of [4, 6] as const) {
        const rpf = af === 4 ? vrfs.rpf4 : vrfs.rpf6;
        if (!families.has(af) || rpf === undefined) continue;
        const prefixes = [
          ...spec.ips.filter((i) => i.family === af).map((i) => `${i.address}/${af === 4 ? 32 : 128}`),
          ...spec.allowedSourcePrefixes.filter((p) => p.includes(':') === (af === 6)),
        ];
        for (const prefix of prefixes)
          out.push(
            step(`ip_route_add_del rpf ${prefix}`, () =>
              call('ip_route_add_del', {
                is_add: true,
                is_multipath: false,
                route: {
                  table_id: rpf,
                  stats_index: 0,
                  prefix,
                  paths: [path({ sw_if_index: sw, proto: af === 4 ? 0 : 1 })],
                },
              }),
            ),
          );
        out.push(
          optional(`urpf_update_v2 ip${af}`, () =>
            call('urpf_update_v2', {
              is_input: true,
              mode: URPF_STRICT,
              af: af === 4 ? 0 : 1,
              sw_if_index: sw,
              table_id: rpf,
            }),
          ),
        );
      }
      return out;
    }

    async function memifCreate(socketId: number): Promise<void> {
      const msw = await step(
        'memif_create_v2',
        async () =>
          (
            await call('memif_create_v2', {
              role: 0, // master: the pod's application connects
              mode: spec.mode === 'tun' ? 1 : 0,
              rx_queues: spec.rxQueues,
              tx_queues: spec.txQueues,
              id: 0,
              socket_id: socketId,
              ring_size: spec.rxQueueSize,
              buffer_size: 2048,
              no_zero_copy: false,
              use_dma: false,
              hw_addr: randomMac(),
              secret: '',
            })
          ).sw_if_index,
        (sw) => vpp.call('memif_delete', { sw_if_index: sw }),
      );
      // unnumbered to the loopback wants the loopback's tables set (sent) first
      await loIssued;
      await all([
        step('sw_interface_tag_add_del memif', () =>
          call('sw_interface_tag_add_del', { is_add: true, sw_if_index: msw, tag: tagOf.memif(spec.id) }),
        ),
        ...setTables('memif ', msw),
        step('sw_interface_set_unnumbered memif', () =>
          call('sw_interface_set_unnumbered', { sw_if_index: lo, unnumbered_sw_if_index: msw, is_add: true }),
        ),
        step('feature_cnat_enable_disable memif', () =>
          call('feature_cnat_enable_disable', { sw_if_index: msw, enable_disable: true }),
        ),
        step('sw_interface_set_flags memif', () => call('sw_interface_set_flags', { sw_if_index: msw, flags: 1 })),
      ]);
      memif = { swIfIndex: msw, socketId };
    }

    async function hostPorts(): Promise<void> {
      const wanted: { hp: PodSpec['hostPorts'][number]; ip: PodSpec['ips'][number]; hostIp: string }[] = [];
      for (const hp of spec.hostPorts) {
        for (const ip of spec.ips) {
          const hostIp = hp.hostIp || (ip.family === 4 ? ctx.nodeIps.ip4 : ctx.nodeIps.ip6);
          if (!hostIp || hostIp.includes(':') !== (ip.family === 6)) continue;
          wanted.push({ hp, ip, hostIp });
        }
      }
      if (wanted.length === 0) return;
      await step('persist intent', () =>
        ctx.intend({
          key: spec.key,
          id: spec.id,
          ips: spec.ips.map((i) => i.address),
          cnat: wanted.map((w) => ({ addr: w.hostIp, port: w.hp.hostPort, proto: PROTO[w.hp.protocol] })),
        }),
      );
      const ids: number[] = [];
      await all(
        wanted.map(({ hp, ip, hostIp }, i) => {
          const ep = (addr: string, port: number) => ({
            addr,
            sw_if_index: INDEX_INVALID,
            if_af: ip.family === 4 ? 0 : 1,
            port,
          });
          return step(
            `cnat_translation_update ${hostIp}:${hp.hostPort}`,
            async () =>
              (ids[i] = (
                await call('cnat_translation_update', {
                  translation: {
                    vip: ep(hostIp, hp.hostPort),
                    id: 0,
                    ip_proto: PROTO[hp.protocol],
                    is_real_ip: 1,
                    flags: 0,
                    lb_type: 0,
                    flow_hash_config: 0,
                    paths: [
                      {
                        dst_ep: ep(ip.address, hp.port),
                        src_ep: ep(ip.family === 4 ? '0.0.0.0' : '::', 0),
                        flags: 0,
                      },
                    ],
                  },
                })
              ).id),
            (tid) => vpp.call('cnat_translation_del', { id: tid }),
          );
        }),
      );
      cnatIds.push(...ids);
    }
    if (timings) {
      const steps: Record<string, number> = {};
      for (const [name, ms] of Object.entries(timings))
        steps[name.replace(/ [0-9a-f.:/]+$/, '')] = Number(ms.toFixed(2));
      ctx.logger?.debug({ pod: spec.key, ms: Number((performance.now() - t0).toFixed(2)), steps }, 'pod built');
    }

    return {
      key: spec.key,
      id: spec.id,
      request,
      spec,
      swIfIndex,
      loopbackSwIfIndex: lo,
      loopInstance,
      vrfs,
      vppMac,
      containerMac: l2 ? containerMac : '',
      cnatIds,
      memif,
      epoch: ctx.epoch,
      createdAt: new Date().toISOString(),
    };
  } catch (e) {
    if (!ctx.crash.aborted) {
      for (const u of undo.reverse()) {
        try {
          await u.fn();
        } catch (ue) {
          ctx.logger?.warn({ step: u.step, pod: spec.key, err: (ue as Error).message }, 'unwind step failed');
        }
      }
      for (const id of [vrfs.pod4, vrfs.pod6, vrfs.rpf4, vrfs.rpf6])
        if (id !== undefined && id >= 0) ctx.vrfs.release(id);
      ctx.loopInstances.release(loopInstance);
    }
    throw failed ?? e;
  }
}

/** Where the VPP objects of a pod are now (ids may be stale after a VPP restart, so they are looked up by tag). */
export interface PodVppObjects {
  readonly swIfIndex?: number | undefined;
  readonly memifSwIfIndex?: number | undefined;
  readonly loopbackSwIfIndex?: number | undefined;
  readonly tables: readonly { id: number; ip6: boolean }[];
}

/**
 * Removes a pod: cnat translations, routes, the pod interface (and veth), the loopback, the VRFs.
 * Best effort: every step runs; the errors are returned.
 */
export async function teardownPod(
  rec: PodRecord,
  where: PodVppObjects,
  ctx: Omit<BuilderContext, 'crash'>,
  opts: {
    /**
     * Finish the veth deletion after returning: `done` settles once the kernel removed it (a deletion waits
     * for RCU grace periods). The pod is cut off already: its af_packet, routes and everything else in VPP
     * are gone, and its host end sits in VPP's netns where nothing but that af_packet read it. (Taking the
     * link down first is no cheaper: closing a device waits for a grace period too.)
     */
    deferVeth?: (hostIfName: string, done: Promise<void>) => void;
  } = {},
): Promise<string[]> {
  const errors: string[] = [];
  const { vpp, mainVrfId } = ctx;
  const run = async (name: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      const err = e as { code?: string; name?: string };
      // already gone is fine
      if (['INVALID_SW_IF_INDEX', 'NO_SUCH_ENTRY', 'NO_SUCH_FIB', 'ENODEV', 'NO_SUCH_TABLE'].includes(err.code ?? ''))
        return;
      errors.push(`${name}: ${(e as Error).message}`);
    }
  };
  // cnat ids are only meaningful in the VPP that gave them out
  const sameVpp = rec.epoch === ctx.epoch || (where.swIfIndex !== undefined && where.swIfIndex === rec.swIfIndex);
  // every VPP request at once, in an order VPP can take as written (it handles them in turn): what points at
  // an interface before it, the memif before its socket, the interfaces unnumbered to the loopback before it,
  // interfaces before their tables. Only the veth waits: for its af_packet's answer (VPP closes its socket).
  const sw = where.swIfIndex;
  const msw = where.memifSwIfIndex;
  const lo = where.loopbackSwIfIndex;
  const socketId = rec.memif?.socketId;
  const calls: Promise<void>[] = [
    ...(sameVpp ? rec.cnatIds : []).map((id) =>
      run('cnat_translation_del', () => vpp.call('cnat_translation_del', { id })),
    ),
    ...rec.spec.ips.map((ip) => {
      const route = {
        table_id: mainVrfId,
        stats_index: 0,
        prefix: `${ip.address}/${ip.family === 4 ? 32 : 128}`,
        paths: [],
      };
      return run('ip_route_add_del', () => vpp.call('ip_route_add_del', { is_add: false, is_multipath: false, route }));
    }),
  ];
  const itfGone =
    sw === undefined
      ? Promise.resolve()
      : rec.spec.mode === 'veth'
        ? run('af_packet_delete', () => vpp.call('af_packet_delete', { host_if_name: rec.spec.hostIfName }))
        : run('tap_delete_v2', () => vpp.call('tap_delete_v2', { sw_if_index: sw }));
  calls.push(itfGone);
  if (msw !== undefined) calls.push(run('memif_delete', () => vpp.call('memif_delete', { sw_if_index: msw })));
  if (socketId !== undefined && sameVpp)
    calls.push(
      run('memif_socket_filename_add_del_v2', () =>
        vpp.call('memif_socket_filename_add_del_v2', { is_add: false, socket_id: socketId, socket_filename: '' }),
      ),
    );
  if (lo !== undefined) calls.push(run('delete_loopback', () => vpp.call('delete_loopback', { sw_if_index: lo })));
  for (const t of where.tables)
    calls.push(
      run('ip_table_add_del', () =>
        vpp.call('ip_table_add_del', { is_add: false, table: { table_id: t.id, is_ip6: t.ip6, name: '' } }),
      ),
    );
  // the veth goes after its af_packet; the pod end goes with it
  if (rec.spec.mode === 'veth')
    calls.push(
      itfGone.then(() =>
        run('veth delete', async () => {
          const defer = opts.deferVeth;
          if (!defer) return ctx.reaper.delete(rec.spec.hostIfName);
          defer(rec.spec.hostIfName, ctx.reaper.delete(rec.spec.hostIfName));
        }),
      ),
    );
  await Promise.all(calls);
  for (const id of [rec.vrfs.pod4, rec.vrfs.pod6, rec.vrfs.rpf4, rec.vrfs.rpf6]) ctx.vrfs.release(id);
  ctx.loopInstances.release(rec.loopInstance);
  return errors;
}

/** The VPP objects of a record as the record says (valid while VPP was not restarted). */
export function recordObjects(rec: PodRecord): PodVppObjects {
  const tables: { id: number; ip6: boolean }[] = [
    { id: rec.vrfs.pod4, ip6: false },
    { id: rec.vrfs.pod6, ip6: true },
  ];
  if (rec.vrfs.rpf4 !== undefined) tables.push({ id: rec.vrfs.rpf4, ip6: false });
  if (rec.vrfs.rpf6 !== undefined) tables.push({ id: rec.vrfs.rpf6, ip6: true });
  return {
    swIfIndex: rec.swIfIndex,
    loopbackSwIfIndex: rec.loopbackSwIfIndex,
    memifSwIfIndex: rec.memif?.swIfIndex,
    tables,
  };
}
