import { setMaxListeners } from 'node:events';
import {
  InvalidEndpointSliceError,
  InvalidServiceError,
  MissingPortError,
  ServicesConfigError,
  ServicesNotRunningError,
  type TranslationProgramError,
} from './errors.js';
import { type ParsedIp, hostPrefix, parseCidr, parseIp } from './ip.js';
import { CnatProgrammer, type ProgramStats, type ServicesLogger, type ServicesVpp } from './programmer.js';
import { type SnatInterfaceRole, SnatProgrammer } from './snat.js';
import { ServiceChangeTracker, type VipCollision } from './tracker.js';
import { type TranslateContext, hashMask } from './translate.js';
import type {
  DesiredTranslation,
  EndpointSliceInput,
  HashField,
  LbType,
  NodeInfo,
  ServiceInput,
  TranslationIssue,
} from './types.js';

/** An event of a `@vectorplane/kube` resource stream, as services reads it. */
export type SourceEvent =
  { type: 'added' | 'modified' | 'deleted'; object: unknown } | { type: 'synced' } | { type: 'error'; error: Error };

/** Where Services and EndpointSlices come from: a `@vectorplane/kube` `ResourceSource` fits. */
export interface ServicesSource {
  stream(kind: 'Service' | 'EndpointSlice', opts?: { signal?: AbortSignal }): AsyncIterable<SourceEvent>;
}

/** Collaborators of {@link createServices}. */
export interface ServicesComponents {
  /** A connected VPP client (`connectVpp({ reconnect: true })` lets services notice VPP restarts). */
  vpp: ServicesVpp;
  /** Service and EndpointSlice streams; without one, feed objects with `upsert*`/`delete*`. */
  source?: ServicesSource;
  /** Diagnostics; nothing is logged without one. */
  logger?: ServicesLogger;
}

/** SNAT options. */
export interface SnatInit {
  /** Program the SNAT set-up at all. Default true. */
  enabled?: boolean;
  /** Address IPv4 is source-NATed to. Default: the node's first IPv4 address. */
  ip4?: string;
  /** Address IPv6 is source-NATed to. Default: the node's first IPv6 address. */
  ip6?: string;
  /** Pod pools (IPPool CIDRs), never source-NATed. Default none. */
  podCidrs?: readonly string[];
  /** Other nodes' addresses, never source-NATed. Default none. */
  remoteNodeAddresses?: readonly string[];
  /** Interfaces registered in the K8S policy from the start (e.g. the host tap as `pod` and `host`). */
  interfaces?: readonly { swIfIndex: number; role: SnatInterfaceRole }[];
}

/** Options of {@link createServices}. */
export interface ServicesInit {
  /** This node: its name (for traffic policy Local) and its addresses (NodePorts, SNAT). */
  node: NodeInfo;
  /** The cluster's service CIDRs (excluded from SNAT). */
  serviceCidrs: readonly string[];
  /** LB type of Services without the annotation. Default `'ecmp'`. */
  defaultLbType?: LbType;
  /** Flow-hash fields of Services without the annotation; empty is VPP's default. Default empty. */
  defaultHashConfig?: readonly HashField[] | number;
  snat?: SnatInit;
  /** Time to gather changes before a sync, in ms. Default 0 (the next turn of the event loop). */
  minSyncIntervalMs?: number;
  /** First delay before retrying failed translations, doubling up to `maxRetryDelayMs`. Default 200 ms. */
  retryDelayMs?: number;
  /** Ceiling of the retry delay. Default 10000 ms. */
  maxRetryDelayMs?: number;
  /** VPP requests in flight at once. Default 256. */
  concurrency?: number;
  /** Time limit of each VPP request in ms. Default: the client's (`timeoutMs` of `connectVpp`). */
  timeoutMs?: number;
}

/** An address BGP should start or stop announcing for this node. */
export interface VipEvent {
  readonly type: 'announce' | 'withdraw';
  readonly address: string;
  /** `/32` or `/128` host prefix. */
  readonly prefix: string;
  readonly family: 4 | 6;
}

/** What one sync did. */
export interface SyncResult {
  /** `'incremental'` (changed Services only) or `'reconcile'` (against a VPP dump). */
  readonly mode: 'incremental' | 'reconcile';
  /** Services re-translated. */
  readonly services: number;
  readonly updates: number;
  readonly deletes: number;
  readonly recreates: number;
  /** Reconcile only: entries already right in VPP, left untouched. */
  readonly unchanged: number;
  readonly failed: readonly TranslationProgramError[];
  readonly durationMs: number;
}

/** The events of a {@link Services}. */
export interface ServicesEvents {
  'vip:announce': CustomEvent<VipEvent>;
  'vip:withdraw': CustomEvent<VipEvent>;
  'sync:done': CustomEvent<SyncResult>;
  /** A refused object, a failed translation or SNAT step, a source error: the rest goes on. */
  'services:error': CustomEvent<{ error: Error }>;
  /** A translation key wanted by several Services; `winner` has it. */
  'vip:collision': CustomEvent<VipCollision>;
}

type AnyListener = Parameters<EventTarget['addEventListener']>[1];
type AddOptions = Parameters<EventTarget['addEventListener']>[2];
type RemoveOptions = Parameters<EventTarget['removeEventListener']>[2];

/** kube-proxy for VPP: keeps VPP's cnat translations and SNAT set-up in line with Services. */
export interface Services extends EventTarget {
  addEventListener<K extends keyof ServicesEvents>(
    type: K,
    listener: (ev: ServicesEvents[K]) => void,
    options?: AddOptions,
  ): void;
  addEventListener(type: string, listener: AnyListener, options?: AddOptions): void;
  removeEventListener<K extends keyof ServicesEvents>(
    type: K,
    listener: (ev: ServicesEvents[K]) => void,
    options?: RemoveOptions,
  ): void;
  removeEventListener(type: string, listener: AnyListener, options?: RemoveOptions): void;

  /**
   * Programs the SNAT set-up and starts consuming the source. Translations are first programmed once
   * both streams have listed (a reconcile against VPP's dump); without a source, at once.
   */
  start(opts?: { signal?: AbortSignal }): Promise<void>;
  /** Stops consuming and syncing. What is programmed stays in VPP. */
  stop(): Promise<void>;
  /** Resolves after the first reconcile with VPP. */
  ready(opts?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Syncs now and waits until nothing is pending (retries aside); the result sums the syncs that ran
   * meanwhile (none: all zero).
   * @throws ServicesNotRunningError before `start()` or after `stop()`.
   */
  sync(opts?: { signal?: AbortSignal }): Promise<SyncResult>;
  /** Dumps VPP's translations and reconciles (as after a VPP restart). @throws ServicesNotRunningError */
  reconcile(opts?: { signal?: AbortSignal }): Promise<SyncResult>;

  /** Adds or replaces a Service (what a source's `added`/`modified` does). */
  upsertService(svc: ServiceInput): readonly TranslationIssue[];
  deleteService(svc: { metadata: { name: string; namespace?: string | null | undefined } }): void;
  upsertEndpointSlice(slice: EndpointSliceInput): readonly TranslationIssue[];
  deleteEndpointSlice(slice: { metadata: { name: string; namespace?: string | null | undefined } }): void;

  /** Registers an interface in the K8S SNAT policy as `pod`, `host`, `include-v4` or `include-v6`. */
  registerInterface(swIfIndex: number, role: SnatInterfaceRole, opts?: { signal?: AbortSignal }): Promise<void>;
  unregisterInterface(swIfIndex: number, role: SnatInterfaceRole, opts?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Changes this node's addresses (NodePorts move, SNAT addresses and exclusions follow); every Service
   * is re-translated, only the translations that move are sent. @throws ServicesConfigError
   */
  setNode(node: NodeInfo, opts?: { signal?: AbortSignal }): Promise<void>;
  /** Replaces the pod pools and/or remote node addresses excluded from SNAT. @throws ServicesConfigError */
  updateSnat(
    next: { podCidrs?: readonly string[]; remoteNodeAddresses?: readonly string[] },
    opts?: { signal?: AbortSignal },
  ): Promise<void>;

  /**
   * The addresses BGP should announce: first one `announce` per address announced now, then changes,
   * until `signal` aborts or the services stop.
   */
  announcements(opts?: { signal?: AbortSignal }): AsyncIterable<VipEvent>;
  /** The addresses announced now. */
  announced(): string[];
  /** What VPP holds, as last programmed, by key. */
  programmed(): DesiredTranslation[];
  /** VPP messages sent so far, by name. */
  readonly vppCalls: Readonly<Record<string, number>>;
}

function parseNode(node: NodeInfo): ParsedIp[] {
  if (typeof node?.name !== 'string' || node.name === '')
    throw new ServicesConfigError('node.name', node?.name, 'a node name is required');
  return node.addresses.map((a, i) => {
    const ip = parseIp(a);
    if (!ip) throw new ServicesConfigError(`node.addresses[${i}]`, a, 'not an IP address');
    return ip;
  });
}

function cidrs(list: readonly string[] | undefined, field: string): string[] {
  return (list ?? []).map((c, i) => {
    const p = parseCidr(c);
    if (!p) throw new ServicesConfigError(`${field}[${i}]`, c, 'not a CIDR (addr/len)');
    return p.text;
  });
}

function hosts(list: readonly string[] | undefined, field: string): string[] {
  return (list ?? []).map((a, i) => {
    const ip = parseIp(a);
    if (!ip) throw new ServicesConfigError(`${field}[${i}]`, a, 'not an IP address');
    return hostPrefix(ip);
  });
}

function vipEvent(type: VipEvent['type'], address: string): VipEvent {
  const ip = parseIp(address)!;
  return { type, address, prefix: hostPrefix(ip), family: ip.family };
}

class ServicesImpl extends EventTarget implements Services {
  readonly #vpp: ServicesVpp;
  readonly #source: ServicesSource | undefined;
  readonly #log: ServicesLogger | undefined;
  readonly #tracker: ServiceChangeTracker;
  readonly #cnat: CnatProgrammer;
  readonly #snat: SnatProgrammer;
  readonly #snatEnabled: boolean;
  #init: ServicesInit;
  #node: ParsedIp[];
  #serviceCidrs: string[];
  #podCidrs: string[];
  #remoteNodes: string[];
  #running = false;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #wanted = false;
  #needReconcile = true;
  #synced = { Service: false, EndpointSlice: false };
  #ready: { promise: Promise<void>; resolve: () => void };
  readonly #retryKeys = new Set<string>();
  #retryDelay: number;
  #retryTimer: NodeJS.Timeout | undefined;
  /** Results of recent syncs (the last 64), for `sync()` to sum those it waited for. */
  readonly #results: SyncResult[] = [];
  #resultCount = 0;
  readonly #listeners = new Set<{ push: (e: VipEvent) => void; end: () => void }>();
  readonly #onVppUp = (ev: Event): void => {
    const detail = (ev as CustomEvent<{ reconnected?: boolean }>).detail;
    if (!detail?.reconnected) return;
    this.#log?.info({}, 'VPP connection is back: reconciling cnat translations and SNAT');
    this.#needReconcile = true;
    this.#kick();
  };

  constructor(init: ServicesInit, components: ServicesComponents) {
    super();
    this.#init = init;
    this.#vpp = components.vpp;
    this.#source = components.source;
    this.#log = components.logger;
    this.#node = parseNode(init.node);
    this.#serviceCidrs = cidrs(init.serviceCidrs, 'serviceCidrs');
    this.#podCidrs = cidrs(init.snat?.podCidrs, 'snat.podCidrs');
    this.#remoteNodes = hosts(init.snat?.remoteNodeAddresses, 'snat.remoteNodeAddresses');
    if (init.defaultLbType !== undefined && !['ecmp', 'maglev', 'maglevdsr'].includes(init.defaultLbType)) {
      throw new ServicesConfigError('defaultLbType', init.defaultLbType, 'ecmp, maglev or maglevdsr');
    }
    this.#retryDelay = init.retryDelayMs ?? 200;
    this.#cnat = new CnatProgrammer(this.#vpp, {
      concurrency: init.concurrency ?? 256,
      ...(init.timeoutMs !== undefined ? { timeoutMs: init.timeoutMs } : {}),
    });
    this.#snat = new SnatProgrammer(
      this.#vpp,
      (n) => {
        this.#cnat.calls[n] = (this.#cnat.calls[n] ?? 0) + 1;
      },
      init.timeoutMs,
    );
    this.#snatEnabled = init.snat?.enabled !== false;
    const snatIp = (family: 4 | 6, given: string | undefined, field: string): string => {
      if (given !== undefined) {
        const ip = parseIp(given);
        if (!ip || ip.family !== family) throw new ServicesConfigError(field, given, `not an IPv${family} address`);
        return ip.text;
      }
      return this.#node.find((a) => a.family === family)?.text ?? (family === 4 ? '0.0.0.0' : '::');
    };
    this.#snat.want({
      ip4: snatIp(4, init.snat?.ip4, 'snat.ip4'),
      ip6: snatIp(6, init.snat?.ip6, 'snat.ip6'),
      interfaces: new Map((init.snat?.interfaces ?? []).map((i) => [`${i.swIfIndex}/${i.role}`, i])),
    });
    this.#updateExclusions();
    this.#tracker = new ServiceChangeTracker(this.#context(), {
      onCollision: (c) => {
        this.#log?.warn(
          { key: c.key, winner: c.winner, losers: c.losers },
          'VIP wanted by several Services; the lowest namespace/name has it',
        );
        this.dispatchEvent(new CustomEvent('vip:collision', { detail: c }));
      },
    });
    let resolve!: () => void;
    this.#ready = { promise: new Promise<void>((r) => (resolve = r)), resolve };
  }

  get vppCalls(): Readonly<Record<string, number>> {
    return this.#cnat.calls;
  }

  #context(): TranslateContext {
    return {
      node: { name: this.#init.node.name, addresses: this.#node },
      defaultLbType: this.#init.defaultLbType ?? 'ecmp',
      defaultHashConfig: hashMask(this.#init.defaultHashConfig),
    };
  }

  #updateExclusions(): void {
    this.#snat.want({
      exclusions: new Set([
        ...this.#node.map(hostPrefix),
        ...this.#serviceCidrs,
        ...this.#podCidrs,
        ...this.#remoteNodes,
      ]),
    });
  }

  #error(error: Error, fields: Record<string, unknown> = {}): void {
    this.#log?.error(
      { err: error, name: error.name, code: (error as { code?: unknown }).code, ...fields },
      error.message,
    );
    this.dispatchEvent(new CustomEvent('services:error', { detail: { error } }));
  }

  #issues(issues: readonly TranslationIssue[]): void {
    for (const i of issues) {
      if (i.severity !== 'warning') continue;
      this.#log?.warn({ code: i.code, object: i.object, path: i.path }, i.message);
      if (i.code === 'UNKNOWN_SLICE_PORT' || i.code === 'SERVICE_PORT_WITHOUT_SLICE_PORT') {
        this.dispatchEvent(new CustomEvent('services:error', { detail: { error: new MissingPortError(i) } }));
      }
    }
  }

  upsertService(svc: ServiceInput): readonly TranslationIssue[] {
    let r: ReturnType<ServiceChangeTracker['updateService']>;
    try {
      r = this.#tracker.updateService(svc);
    } catch (err) {
      return this.#malformed('Service', svc, err);
    }
    if (r.error) this.#error(r.error, { object: r.error.object });
    this.#kick();
    return r.issues;
  }

  deleteService(svc: { metadata: { name: string; namespace?: string | null | undefined } }): void {
    this.#tracker.deleteService(svc.metadata);
    this.#kick();
  }

  upsertEndpointSlice(slice: EndpointSliceInput): readonly TranslationIssue[] {
    let r: ReturnType<ServiceChangeTracker['updateSlice']>;
    try {
      r = this.#tracker.updateSlice(slice);
    } catch (err) {
      return this.#malformed('EndpointSlice', slice, err);
    }
    if (r.error) this.#error(r.error, { object: r.error.object });
    this.#kick();
    return r.issues;
  }

  deleteEndpointSlice(slice: { metadata: { name: string; namespace?: string | null | undefined } }): void {
    this.#tracker.deleteSlice(slice.metadata);
    this.#kick();
  }

  /** An object too broken to read at all (not a Kubernetes object): refused like an invalid one. */
  #malformed(kind: 'Service' | 'EndpointSlice', obj: unknown, err: unknown): TranslationIssue[] {
    const meta = (obj as { metadata?: { name?: unknown; namespace?: unknown } } | null)?.metadata;
    const object = {
      kind,
      namespace: typeof meta?.namespace === 'string' ? meta.namespace : '',
      name: typeof meta?.name === 'string' ? meta.name : '',
    };
    const issue: TranslationIssue = {
      code: 'MISSING_FIELD',
      severity: 'error',
      object,
      path: [],
      message: `malformed ${kind}: ${err instanceof Error ? err.message : String(err)}`,
    };
    this.#error(
      kind === 'Service' ? new InvalidServiceError(object, [issue]) : new InvalidEndpointSliceError(object, [issue]),
      { object },
    );
    return [issue];
  }

  async start(opts: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#abort = new AbortController();
    // one listener per request in flight (hundreds at once) is expected, not a leak
    setMaxListeners(0, this.#abort.signal);
    this.#vpp.addEventListener?.('vpp:up', this.#onVppUp);
    if (this.#snatEnabled) {
      for (const e of await this.#snat.sync(opts)) this.#error(e);
    }
    if (this.#source) {
      void this.#consume('Service');
      void this.#consume('EndpointSlice');
    } else {
      this.#synced = { Service: true, EndpointSlice: true };
      this.#kick();
    }
  }

  async #consume(kind: 'Service' | 'EndpointSlice'): Promise<void> {
    const signal = this.#abort!.signal;
    // objects this stream has given, to drop those a fresh list no longer has if the stream is opened again
    const known = new Map<string, { name: string; namespace?: string }>();
    const metaOf = (o: unknown): { name: string; namespace?: string } =>
      (o as { metadata: { name: string; namespace?: string } }).metadata;
    const keyOf = (m: { name: string; namespace?: string }): string => `${m.namespace ?? ''}/${m.name}`;
    while (this.#running && !signal.aborted) {
      const listed = new Set<string>();
      let listing = true;
      try {
        for await (const ev of this.#source!.stream(kind, { signal })) {
          if (!this.#running) return;
          switch (ev.type) {
            case 'added':
            case 'modified': {
              const m = metaOf(ev.object);
              known.set(keyOf(m), m);
              if (listing) listed.add(keyOf(m));
              if (kind === 'Service') this.upsertService(ev.object as ServiceInput);
              else this.upsertEndpointSlice(ev.object as EndpointSliceInput);
              break;
            }
            case 'deleted': {
              const m = metaOf(ev.object);
              known.delete(keyOf(m));
              if (kind === 'Service') this.deleteService({ metadata: m });
              else this.deleteEndpointSlice({ metadata: m });
              break;
            }
            case 'synced':
              this.#log?.debug({ kind }, 'listed');
              listing = false;
              for (const [k, m] of [...known]) {
                if (listed.has(k)) continue;
                known.delete(k);
                if (kind === 'Service') this.deleteService({ metadata: m });
                else this.deleteEndpointSlice({ metadata: m });
              }
              this.#synced[kind] = true;
              this.#kick();
              break;
            case 'error':
              this.#error(ev.error, { kind });
              break;
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        this.#error(err instanceof Error ? err : new Error(String(err)), { kind });
      }
      if (signal.aborted || !this.#running) return;
      // the source ended its stream: open it again after a pause
      await new Promise((r) => setTimeout(r, 500).unref());
    }
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#abort?.abort();
    this.#vpp.removeEventListener?.('vpp:up', this.#onVppUp);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    await this.#loop;
    for (const l of [...this.#listeners]) l.end();
    this.#listeners.clear();
  }

  ready(opts: { signal?: AbortSignal } = {}): Promise<void> {
    if (!opts.signal) return this.#ready.promise;
    const signal = opts.signal;
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      void this.#ready.promise.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  #kick(): void {
    this.#wanted = true;
    if (!this.#running || this.#loop) return;
    this.#loop = this.#run().finally(() => {
      this.#loop = undefined;
      if (this.#wanted && this.#running && this.#isSynced()) this.#kick();
    });
  }

  #isSynced(): boolean {
    return this.#synced.Service && this.#synced.EndpointSlice;
  }

  async #run(): Promise<void> {
    const wait = this.#init.minSyncIntervalMs ?? 0;
    await new Promise<void>((r) => (wait > 0 ? setTimeout(r, wait) : setImmediate(r)));
    while (this.#wanted && this.#running && this.#isSynced()) {
      this.#wanted = false;
      await this.#syncOnce();
    }
  }

  async #syncOnce(): Promise<void> {
    const t0 = performance.now();
    const signal = this.#abort?.signal;
    const opts = signal ? { signal } : {};
    let stats: ProgramStats;
    let mode: SyncResult['mode'] = 'incremental';
    const changes = this.#tracker.flush();
    this.#issues(changes.issues);
    if (this.#needReconcile) {
      mode = 'reconcile';
      if (this.#snatEnabled && !(await this.#snat.intact(opts))) this.#snat.forget();
      if (this.#snatEnabled) for (const e of await this.#snat.sync(opts)) this.#error(e);
      try {
        stats = await this.#cnat.reconcile(this.#tracker.allDesired(), opts);
        this.#needReconcile = false;
        this.#retryKeys.clear();
      } catch (err) {
        this.#error(err as Error);
        this.#scheduleRetry();
        return;
      }
    } else {
      const keys = new Set([...changes.keys, ...this.#retryKeys]);
      this.#retryKeys.clear();
      stats = await this.#cnat.apply(keys, (k) => this.#tracker.desired(k), opts);
    }
    for (const f of stats.failed) {
      this.#retryKeys.add(f.key);
      this.#error(f, { service: f.service, key: f.key });
    }
    if (stats.failed.length > 0) this.#scheduleRetry();
    else this.#retryDelay = this.#init.retryDelayMs ?? 200;
    for (const a of changes.withdraw) this.#emitVip(vipEvent('withdraw', a));
    for (const a of changes.announce) this.#emitVip(vipEvent('announce', a));
    const result: SyncResult = {
      mode,
      services: changes.services,
      updates: stats.updates,
      deletes: stats.deletes,
      recreates: stats.recreates,
      unchanged: stats.unchanged,
      failed: stats.failed,
      durationMs: performance.now() - t0,
    };
    this.#results.push(result);
    if (this.#results.length > 64) this.#results.shift();
    this.#resultCount++;
    if (mode === 'reconcile') this.#ready.resolve();
    this.#log?.debug({ ...result, failed: result.failed.length }, 'synced');
    this.dispatchEvent(new CustomEvent('sync:done', { detail: result }));
  }

  #scheduleRetry(): void {
    if (this.#retryTimer || !this.#running) return;
    const delay = this.#retryDelay;
    this.#retryDelay = Math.min(delay * 2, this.#init.maxRetryDelayMs ?? 10_000);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#kick();
    }, delay);
    this.#retryTimer.unref();
  }

  #emitVip(e: VipEvent): void {
    this.#log?.info(
      { address: e.address },
      e.type === 'announce' ? 'announce Service address' : 'withdraw Service address',
    );
    this.dispatchEvent(new CustomEvent(e.type === 'announce' ? 'vip:announce' : 'vip:withdraw', { detail: e }));
    for (const l of this.#listeners) l.push(e);
  }

  async sync(opts: { signal?: AbortSignal } = {}): Promise<SyncResult> {
    if (!this.#running) throw new ServicesNotRunningError('sync');
    opts.signal?.throwIfAborted();
    // a sync already running may have started before the latest changes: wait for the one after it too
    const since = this.#resultCount;
    this.#kick();
    while (this.#loop) await this.#loop;
    const mine = this.#results.slice(Math.max(0, this.#results.length - (this.#resultCount - since)));
    return mine.reduce<SyncResult>(
      (a, r) => ({
        mode: a.mode === 'reconcile' || r.mode === 'reconcile' ? 'reconcile' : 'incremental',
        services: a.services + r.services,
        updates: a.updates + r.updates,
        deletes: a.deletes + r.deletes,
        recreates: a.recreates + r.recreates,
        unchanged: a.unchanged + r.unchanged,
        failed: [...a.failed, ...r.failed],
        durationMs: a.durationMs + r.durationMs,
      }),
      {
        mode: 'incremental',
        services: 0,
        updates: 0,
        deletes: 0,
        recreates: 0,
        unchanged: 0,
        failed: [],
        durationMs: 0,
      },
    );
  }

  async reconcile(opts: { signal?: AbortSignal } = {}): Promise<SyncResult> {
    if (!this.#running) throw new ServicesNotRunningError('reconcile');
    this.#needReconcile = true;
    return this.sync(opts);
  }

  async registerInterface(
    swIfIndex: number,
    role: SnatInterfaceRole,
    opts: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const next = new Map(this.#snat.wanted.interfaces);
    next.set(`${swIfIndex}/${role}`, { swIfIndex, role });
    this.#snat.want({ interfaces: next });
    await this.#snatSync(opts);
  }

  async unregisterInterface(
    swIfIndex: number,
    role: SnatInterfaceRole,
    opts: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const next = new Map(this.#snat.wanted.interfaces);
    next.delete(`${swIfIndex}/${role}`);
    this.#snat.want({ interfaces: next });
    await this.#snatSync(opts);
  }

  async setNode(node: NodeInfo, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const parsed = parseNode(node);
    this.#node = parsed;
    this.#init = { ...this.#init, node };
    // SNAT addresses given explicitly stay; those taken from the node follow it
    const follow = (family: 4 | 6, given: string | undefined): string | undefined =>
      given !== undefined
        ? undefined
        : (parsed.find((a) => a.family === family)?.text ?? (family === 4 ? '0.0.0.0' : '::'));
    const ip4 = follow(4, this.#init.snat?.ip4);
    const ip6 = follow(6, this.#init.snat?.ip6);
    this.#snat.want({ ...(ip4 !== undefined ? { ip4 } : {}), ...(ip6 !== undefined ? { ip6 } : {}) });
    this.#updateExclusions();
    this.#tracker.setContext(this.#context());
    this.#kick();
    await this.#snatSync(opts);
  }

  async updateSnat(
    next: { podCidrs?: readonly string[]; remoteNodeAddresses?: readonly string[] },
    opts: { signal?: AbortSignal } = {},
  ): Promise<void> {
    if (next.podCidrs) this.#podCidrs = cidrs(next.podCidrs, 'podCidrs');
    if (next.remoteNodeAddresses) this.#remoteNodes = hosts(next.remoteNodeAddresses, 'remoteNodeAddresses');
    this.#updateExclusions();
    await this.#snatSync(opts);
  }

  async #snatSync(opts: { signal?: AbortSignal }): Promise<void> {
    if (!this.#running || !this.#snatEnabled) return;
    const errors = await this.#snat.sync(opts);
    for (const e of errors) this.#error(e);
    if (errors.length > 0) throw errors[0];
  }

  announcements(opts: { signal?: AbortSignal } = {}): AsyncIterable<VipEvent> {
    const listeners = this.#listeners;
    const snapshot = (): VipEvent[] => this.#tracker.announced().map((a) => vipEvent('announce', a));
    const running = (): boolean => this.#running;
    return {
      [Symbol.asyncIterator](): AsyncIterator<VipEvent> {
        const queue: VipEvent[] = snapshot();
        let wake: (() => void) | undefined;
        let done = !running();
        const finish = (): void => {
          done = true;
          listeners.delete(listener);
          wake?.();
        };
        const listener = {
          push: (e: VipEvent): void => {
            queue.push(e);
            wake?.();
          },
          end: finish,
        };
        listeners.add(listener);
        opts.signal?.addEventListener('abort', finish, { once: true });
        return {
          async next(): Promise<IteratorResult<VipEvent>> {
            for (;;) {
              const e = queue.shift();
              if (e) return { value: e, done: false };
              if (done || opts.signal?.aborted) {
                finish();
                return { value: undefined, done: true };
              }
              await new Promise<void>((r) => (wake = r));
              wake = undefined;
            }
          },
          async return(): Promise<IteratorResult<VipEvent>> {
            finish();
            return { value: undefined, done: true };
          },
        };
      },
    };
  }

  announced(): string[] {
    return this.#tracker.announced();
  }

  programmed(): DesiredTranslation[] {
    return [...this.#cnat.programmed.values()].map((p) => p.translation);
  }
}

/**
 * Creates the services component: kube-proxy for VPP, turning Services and EndpointSlices into cnat
 * translations incrementally, setting up SNAT, and telling BGP which addresses to announce.
 * @throws ServicesConfigError for a bad node address, CIDR or default.
 */
export function createServices(init: ServicesInit, components: ServicesComponents): Services {
  return new ServicesImpl(init, components);
}
