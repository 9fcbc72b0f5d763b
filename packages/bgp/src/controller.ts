import { setMaxListeners } from 'node:events';
import {
  calicoNodeInfo,
  isConfirmedBlockAffinity,
  objectKey,
  type BlockAffinity,
  type BGPConfiguration,
  type BGPFilter,
  type BGPPeer,
  type FelixConfiguration,
  type IPPool,
  type Node,
  type ResourceKind,
  type ResourceSource,
  type ResourceTypes,
  type Secret,
} from '@vectorplane/kube';
import {
  DEFAULT_VXLAN_PORT,
  DEFAULT_VXLAN_VNI,
  DEFAULT_WIREGUARD_PORT,
  DEFAULT_WIREGUARD_PORT_V6,
} from './constants.js';
import { createGobgpSpeaker } from './gobgp-speaker.js';
import type { GobgpdInit } from './gobgpd.js';
import { NOOP_LOGGER, type BgpLogger } from './logger.js';
import {
  chooseProvider,
  poolEncaps,
  translateBgp,
  type BgpDesiredState,
  type BgpIssue,
  type PoolEncap,
} from './model/translate.js';
import { addressFamily, canonicalAddress } from './net.js';
import type { BgpAnnouncement, BgpPath } from './paths.js';
import type { BgpGlobalConfig, BgpPeerConfig, BgpPolicy, BgpSpeaker } from './speaker.js';
import { createRouteProgrammer, type RouteProgrammer, type WireguardPeerInfo } from './vpp/programmer.js';
import type { BgpVpp, RouteTarget } from './vpp/types.js';

/** Options of {@link createBgpController}. */
export interface BgpControllerInit {
  /** This node's name (the Node object it runs for). */
  nodeName: string;
  /** Namespace of the password Secrets (default: any). */
  secretsNamespace?: string;
  /**
   * This node's IPAM blocks to announce, besides the ones Calico IPAM confirmed for it (BlockAffinity objects
   * whose `spec.node` is this node, `state: confirmed`, not `deleted`), which are always announced.
   */
  ipamBlocks?: string[];
  /**
   * Announce this Node's `spec.podCIDRs` as blocks too: Calico's `USE_POD_CIDR`, for clusters whose pods get
   * addresses from host-local IPAM (`subnet: usePodCidr`). Default false.
   */
  usePodCIDR?: boolean;
  /** BGP listen addresses (default: the node's addresses). */
  listenAddresses?: string[];
  /** VPP's uplink interface: tunnels are unnumbered to it. */
  uplinkSwIfIndex: number;
  /**
   * This node's WireGuard private key (base64) for IPv4: IPv4 routes to a node that published its key go through
   * WireGuard while FelixConfiguration `default` has `wireguardEnabled`.
   */
  wireguardPrivateKey?: string;
  /** The same for IPv6 (Calico keeps a second key), used while `wireguardEnabledV6`. */
  wireguardPrivateKeyV6?: string;
  /** How the speaker is made for the global settings (default: a supervised gobgpd, see `gobgpd`). */
  speaker?: (global: BgpGlobalConfig) => BgpSpeaker;
  /** Options of the spawned gobgpd when `speaker` is not given. */
  gobgpd?: GobgpdInit;
}

/** Collaborators of the controller. */
export interface BgpControllerComponents {
  vpp: BgpVpp;
  source: ResourceSource;
  logger?: BgpLogger;
}

/** Events of the controller (a typed EventTarget). */
export interface BgpControllerEvents {
  /** The translation found problems (each bad object skipped). */
  'bgp:issues': CustomEvent<{ issues: BgpIssue[] }>;
  /** A learned route was programmed into VPP. */
  'route:add': CustomEvent<RouteTarget>;
  /** A learned route was removed from VPP. */
  'route:delete': CustomEvent<{ prefix: string }>;
  /** A speaker or VPP operation failed (the controller goes on). */
  'bgp:error': CustomEvent<{ error: Error }>;
}

/**
 * Runs BGP for one node: watches the Calico model (Nodes, BGPConfiguration, BGPPeer, BGPFilter, Secrets,
 * IPPools, FelixConfiguration), drives the speaker with the difference each change makes (peers,
 * policies, announcements; never a restart for a peer change), and programs the best paths it learns
 * into VPP through the provider their IPPool asks for.
 */
export interface BgpController extends EventTarget {
  start(options?: { signal?: AbortSignal }): Promise<void>;
  stop(): Promise<void>;
  /** Service IPs to announce (from the services package); replaces the previous set. */
  setServiceIPs(ips: readonly string[]): void;
  /** Addresses of this node's pods (announced when outside the IPAM blocks). */
  setPodAddresses(addrs: readonly string[]): void;
  /** This node's IPAM blocks. */
  setIpamBlocks(blocks: readonly string[]): void;
  /** Problems of the last translation. */
  readonly issues: readonly BgpIssue[];
  readonly speaker: BgpSpeaker | undefined;
  readonly programmer: RouteProgrammer;
  /**
   * Resolves when every change seen so far has been applied (speaker and VPP) and the speaker is up.
   * Rejects while the speaker is down: with the error that kept it from starting (e.g.
   * `GobgpdNotFoundError`, `GobgpdStartError`), or a `BgpSpeakerDownError` while a supervised gobgpd that
   * died is being restarted. `start()` awaits this, so it rejects the same way; the controller stays
   * started and tries the speaker again on the next change (call `stop()` to end it).
   */
  idle(): Promise<void>;
  /** Why the speaker is down now (see {@link idle}), or undefined when it is up or no node settings exist yet. */
  readonly speakerError: Error | undefined;
  /** Counters of the learned-route pipeline (see {@link BgpControllerStats}). */
  readonly stats: Readonly<BgpControllerStats>;
}

/** Counters of the controller's learned-route pipeline since it was created. */
export interface BgpControllerStats {
  /** Best-path changes received from the speaker (learned paths, not our own). */
  paths: number;
  /** Route changes handed to the programmer; `paths - changes` were coalesced away (a later state of the same prefix came first). */
  changes: number;
  /** Drains: runs of the programming pipeline. */
  drains: number;
  /** Snapshots of the whole table applied (a watch (re)started). */
  snapshots: number;
  /** Prefixes with a learned best path now. */
  learned: number;
}

const KINDS = [
  'Node',
  'BGPConfiguration',
  'BGPPeer',
  'BGPFilter',
  'Secret',
  'IPPool',
  'FelixConfiguration',
  'BlockAffinity',
] as const;

/** Create the controller. */
export function createBgpController(init: BgpControllerInit, components: BgpControllerComponents): BgpController {
  return new Controller(init, components);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

class Controller extends EventTarget implements BgpController {
  readonly #init: BgpControllerInit;
  readonly #c: BgpControllerComponents;
  readonly #log: BgpLogger;
  readonly #objects = new Map<ResourceKind, Map<string, unknown>>(KINDS.map((k) => [k, new Map()]));
  readonly #synced = new Set<ResourceKind>();
  #serviceIPs: string[] = [];
  #podAddresses: string[] = [];
  #ipamBlocks: string[];
  #issues: BgpIssue[] = [];
  #speaker: BgpSpeaker | undefined;
  #global: BgpGlobalConfig | undefined;
  readonly #peers = new Map<string, BgpPeerConfig>();
  readonly #policies = new Map<string, BgpPolicy>();
  readonly #announced = new Map<string, BgpAnnouncement>();
  #desired: BgpDesiredState | undefined;
  #pools: PoolEncap[] = [];
  /** Per family: WireGuard on (FelixConfiguration and our key), and what every node published for it. */
  #wireguard = { ipv4: false, ipv6: false };
  #wireguardPeers = '';
  /** {@link #wireguardPeer}'s answers until a Node or the FelixConfiguration changes (asked once per route). */
  readonly #wgPeerCache = new Map<string, WireguardPeerInfo | undefined>();
  /** Best learned paths by prefix (what VPP should hold). */
  readonly #learned = new Map<string, BgpPath>();
  /** Prefixes whose best path changed and are not programmed yet. */
  readonly #dirty = new Set<string>();
  #draining = false;
  /** Some learned routes could not be programmed (e.g. a WireGuard key not published yet): retry on the next change. */
  #routesFailed = false;
  #programmer: RouteProgrammer;
  #abort = new AbortController();
  #chain: Promise<void> = Promise.resolve();
  #pending = 0;
  #scheduled = false;
  #watching: Promise<void> | undefined;
  #started = false;
  /** Why the speaker is down, or undefined while it is up (or not needed yet). */
  #speakerError: Error | undefined;
  readonly #stats = { paths: 0, changes: 0, drains: 0, snapshots: 0 };

  /** VPP came back after a restart (`vpp:up` with reconnected): it is empty, so every learned route goes in again. */
  readonly #onVppUp = (ev: Event): void => {
    if (!(ev as CustomEvent<{ reconnected?: boolean }>).detail?.reconnected || !this.#started) return;
    this.#log.info({}, 'VPP connection is back: programming the learned routes again');
    this.#programmer.forget();
    this.#routesFailed = true;
    this.#schedule();
  };

  constructor(init: BgpControllerInit, components: BgpControllerComponents) {
    super();
    this.#init = init;
    this.#c = components;
    this.#log = components.logger ?? NOOP_LOGGER;
    this.#ipamBlocks = [...(init.ipamBlocks ?? [])];
    this.#programmer = this.#makeProgrammer(undefined);
  }

  get issues(): readonly BgpIssue[] {
    return this.#issues;
  }
  get programmer(): RouteProgrammer {
    return this.#programmer;
  }
  get speaker(): BgpSpeaker | undefined {
    return this.#speaker;
  }
  get speakerError(): Error | undefined {
    return this.#speakerError;
  }
  get stats(): Readonly<BgpControllerStats> {
    return { ...this.#stats, learned: this.#learned.size };
  }

  #makeProgrammer(d: BgpDesiredState | undefined): RouteProgrammer {
    const init: Parameters<typeof createRouteProgrammer>[0] = {
      uplinkSwIfIndex: this.#init.uplinkSwIfIndex,
      ownedPrefixes: (this.#list('IPPool') as IPPool[]).map((p) => p.spec.cidr),
      vxlanVni: this.#felix()?.vxlanVNI ?? DEFAULT_VXLAN_VNI,
      vxlanPort: this.#felix()?.vxlanPort ?? DEFAULT_VXLAN_PORT,
    };
    if (d?.node.ipv4) init.sourceAddress4 = d.node.ipv4.host;
    if (d?.node.ipv6) init.sourceAddress6 = d.node.ipv6.host;
    if (this.#init.wireguardPrivateKey) {
      const felix = this.#felix();
      init.wireguard = {
        privateKey: this.#init.wireguardPrivateKey,
        port: felix?.wireguardListeningPort ?? DEFAULT_WIREGUARD_PORT,
        ...(this.#init.wireguardPrivateKeyV6 && { privateKey6: this.#init.wireguardPrivateKeyV6 }),
        port6: felix?.wireguardListeningPortV6 ?? DEFAULT_WIREGUARD_PORT_V6,
        peer: (addr) => this.#wireguardPeer(addr),
      };
    }
    return createRouteProgrammer(init, { vpp: this.#c.vpp, logger: this.#log });
  }

  /** The WireGuard key, inner address and port the node with this underlay address published for its family. */
  #wireguardPeer(nodeAddress: string): WireguardPeerInfo | undefined {
    if (this.#wgPeerCache.has(nodeAddress)) return this.#wgPeerCache.get(nodeAddress);
    const found = this.#findWireguardPeer(nodeAddress);
    this.#wgPeerCache.set(nodeAddress, found);
    return found;
  }

  #findWireguardPeer(nodeAddress: string): WireguardPeerInfo | undefined {
    const family = addressFamily(nodeAddress);
    if (!family) return undefined;
    const want = canonicalAddress(nodeAddress);
    for (const n of this.#list('Node') as Node[]) {
      const info = calicoNodeInfo(n);
      const host = (family === 'ipv4' ? info.ipv4Address : info.ipv6Address)?.split('/')[0];
      if (!host || addressFamily(host) !== family || canonicalAddress(host) !== want) continue;
      const publicKey = family === 'ipv4' ? info.wireguardPublicKey : info.wireguardPublicKeyV6;
      if (!publicKey) return undefined;
      const inner = (
        family === 'ipv4' ? info.wireguardInterfaceIPv4Address : info.wireguardInterfaceIPv6Address
      )?.split('/')[0];
      const felix = this.#felix();
      return {
        publicKey,
        ...(inner && addressFamily(inner) === family && { innerAddress: inner }),
        port:
          family === 'ipv4'
            ? (felix?.wireguardListeningPort ?? DEFAULT_WIREGUARD_PORT)
            : (felix?.wireguardListeningPortV6 ?? DEFAULT_WIREGUARD_PORT_V6),
      };
    }
    return undefined;
  }

  /** What every other node published for WireGuard, as one comparable string. */
  #wireguardPeersSignature(): string {
    return (this.#list('Node') as Node[])
      .filter((n) => n.metadata.name !== this.#init.nodeName)
      .map((n) => {
        const i = calicoNodeInfo(n);
        return JSON.stringify([
          i.ipv4Address,
          i.ipv6Address,
          i.wireguardPublicKey,
          i.wireguardPublicKeyV6,
          i.wireguardInterfaceIPv4Address,
          i.wireguardInterfaceIPv6Address,
        ]);
      })
      .sort()
      .join('\n');
  }

  /**
   * The blocks to announce: those given (init, setIpamBlocks), those Calico IPAM confirmed for this node and,
   * with `usePodCIDR`, the Node's pod CIDRs.
   */
  #blocks(): string[] {
    const affine = (this.#list('BlockAffinity') as BlockAffinity[])
      .filter((a) => a.spec.node === this.#init.nodeName && isConfirmedBlockAffinity(a))
      .map((a) => a.spec.cidr)
      .sort();
    const self = this.#init.usePodCIDR
      ? (this.#list('Node') as Node[]).find((n) => n.metadata.name === this.#init.nodeName)
      : undefined;
    const podCIDRs = self ? calicoNodeInfo(self).podCIDRs : [];
    return [...new Set([...this.#ipamBlocks, ...affine, ...podCIDRs])];
  }

  #felix(): FelixConfiguration['spec'] | undefined {
    return (this.#list('FelixConfiguration') as FelixConfiguration[]).find((f) => f.metadata.name === 'default')?.spec;
  }

  #list(kind: ResourceKind): unknown[] {
    return [...this.#objects.get(kind)!.values()];
  }

  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#abort = new AbortController();
    const signal = this.#abort.signal;
    // a VPP client (with reconnect) says when VPP is back; a plain { call, dump } has no events
    (this.#c.vpp as Partial<EventTarget>).addEventListener?.('vpp:up', this.#onVppUp);
    // every in-flight VPP request and stream listens on this one signal
    setMaxListeners(0, signal);
    const allSynced = new Promise<void>((resolve) => {
      for (const kind of KINDS) {
        void (async () => {
          try {
            const opts =
              kind === 'Secret' && this.#init.secretsNamespace
                ? { signal, namespace: this.#init.secretsNamespace }
                : { signal };
            for await (const ev of this.#c.source.stream(kind, opts) as AsyncIterable<{
              type: string;
              object?: ResourceTypes[typeof kind];
              error?: Error;
            }>) {
              if (ev.type === 'synced') {
                this.#synced.add(kind);
                if (this.#synced.size === KINDS.length) resolve();
                else continue;
              } else if (ev.type === 'error') {
                this.#log.warn({ err: ev.error, kind }, 'resource stream reported an error');
                continue;
              } else if (ev.object) {
                const key = objectKey(ev.object as never);
                if (ev.type === 'deleted') this.#objects.get(kind)!.delete(key);
                else this.#objects.get(kind)!.set(key, ev.object);
                if (kind === 'Node' || kind === 'FelixConfiguration') this.#wgPeerCache.clear();
              }
              if (this.#synced.size === KINDS.length) this.#schedule();
            }
          } catch (err) {
            if (!signal.aborted) this.#error(err as Error);
          }
        })();
      }
    });
    await Promise.race([
      allSynced,
      new Promise<void>((_, reject) =>
        options.signal?.addEventListener('abort', () => reject(options.signal!.reason as Error), { once: true }),
      ),
    ]);
    this.#schedule();
    await this.idle();
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    (this.#c.vpp as Partial<EventTarget>).removeEventListener?.('vpp:up', this.#onVppUp);
    this.#abort.abort();
    await this.#chain.catch(() => {});
    await this.#speaker?.stop();
    await this.#watching?.catch(() => {});
    this.#speaker = undefined;
    this.#speakerError = undefined;
  }

  setServiceIPs(ips: readonly string[]): void {
    this.#serviceIPs = [...ips];
    if (this.#started) this.#schedule();
  }
  setPodAddresses(addrs: readonly string[]): void {
    this.#podAddresses = [...addrs];
    if (this.#started) this.#schedule();
  }
  setIpamBlocks(blocks: readonly string[]): void {
    this.#ipamBlocks = [...blocks];
    if (this.#started) this.#schedule();
  }

  async idle(): Promise<void> {
    for (;;) {
      await this.#chain;
      if (this.#pending === 0 && !this.#scheduled) {
        if (this.#speakerError) throw this.#speakerError;
        return;
      }
      // a reconcile is scheduled (setImmediate) or queued: let it run
      await new Promise((r) => setImmediate(r));
    }
  }

  #error(error: Error): void {
    this.#log.warn({ err: error }, error.message);
    this.dispatchEvent(new CustomEvent('bgp:error', { detail: { error } }));
  }

  /** Queue one work item; items run one at a time, in order. */
  #enqueue(work: () => Promise<void>): void {
    this.#pending++;
    this.#chain = this.#chain
      .then(work)
      .catch((err: Error) => this.#error(err))
      .finally(() => this.#pending--);
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // coalesce a burst of resource events into one reconcile
    setImmediate(() => {
      this.#scheduled = false;
      this.#enqueue(async () => {
        try {
          await this.#reconcile();
        } finally {
          // a drain that stopped for this reconcile goes on after it
          if (this.#dirty.size && this.#started) this.#kickDrain();
        }
      });
    });
  }

  async #reconcile(): Promise<void> {
    if (!this.#started) return;
    const { result, issues } = translateBgp({
      nodeName: this.#init.nodeName,
      nodes: this.#list('Node') as Node[],
      bgpConfigurations: this.#list('BGPConfiguration') as BGPConfiguration[],
      bgpPeers: this.#list('BGPPeer') as BGPPeer[],
      bgpFilters: this.#list('BGPFilter') as BGPFilter[],
      secrets: this.#list('Secret') as Secret[],
      ...(this.#init.secretsNamespace ? { secretsNamespace: this.#init.secretsNamespace } : {}),
      ipPools: this.#list('IPPool') as IPPool[],
      ipamBlocks: this.#blocks(),
      podAddresses: this.#podAddresses,
      serviceIPs: this.#serviceIPs,
      ...(this.#init.listenAddresses ? { listenAddresses: this.#init.listenAddresses } : {}),
    });
    if (!same(issues, this.#issues)) {
      this.#issues = issues;
      if (issues.length) this.dispatchEvent(new CustomEvent('bgp:issues', { detail: { issues } }));
    }
    if (!result) return;
    const nodeChanged = !same(result.node, this.#desired?.node);
    this.#desired = result;
    const signal = this.#abort.signal;

    // the speaker: (re)made only when the global settings change
    if (!this.#speaker || !same(result.global, this.#global)) {
      if (this.#speaker) {
        this.#log.info({ global: result.global }, 'global BGP settings changed: restarting the speaker');
        await this.#speaker.stop();
        this.#speaker = undefined;
        this.#global = undefined;
        this.#peers.clear();
        this.#policies.clear();
        this.#announced.clear();
      }
      const speaker = this.#init.speaker
        ? this.#init.speaker(result.global)
        : createGobgpSpeaker(
            { global: result.global, daemon: { spawn: this.#init.gobgpd ?? {} } },
            { logger: this.#log },
          );
      speaker.addEventListener('speaker:error', (e) => this.#error((e as CustomEvent<{ error: Error }>).detail.error));
      speaker.addEventListener('speaker:down', (e) => {
        if (this.#speaker === speaker) this.#speakerError = (e as CustomEvent<{ error: Error }>).detail.error;
      });
      speaker.addEventListener('speaker:up', () => {
        if (this.#speaker === speaker) this.#speakerError = undefined;
      });
      try {
        await speaker.start({ signal });
      } catch (err) {
        // idle() rejects with this until a later change starts a speaker
        this.#speakerError = err as Error;
        await speaker.stop().catch(() => {});
        throw err;
      }
      this.#speakerError = undefined;
      this.#speaker = speaker;
      this.#global = result.global;
      this.#watching = this.#watch(speaker);
    }
    const sp = this.#speaker;

    // policies first (peers refer to them), then peers, then announcements
    for (const p of result.policies) {
      if (same(this.#policies.get(p.name), p)) continue;
      try {
        await sp.setPolicy(p, { signal });
        this.#policies.set(p.name, p);
      } catch (err) {
        this.#error(err as Error);
      }
    }
    const wantPeers = new Map(result.peers.map((p) => [canonicalAddress(p.address), p]));
    for (const [addr] of this.#peers) {
      if (wantPeers.has(addr)) continue;
      try {
        await sp.deletePeer(addr, { signal });
        this.#peers.delete(addr);
      } catch (err) {
        this.#error(err as Error);
      }
    }
    for (const [addr, p] of wantPeers) {
      const cur = this.#peers.get(addr);
      if (same(cur, p)) continue;
      try {
        if (cur) await sp.updatePeer(p, { signal });
        else await sp.addPeer(p, { signal });
        this.#peers.set(addr, p);
      } catch (err) {
        this.#error(err as Error);
      }
    }
    const usedPolicies = new Set(result.policies.map((p) => p.name));
    for (const [name] of this.#policies) {
      if (usedPolicies.has(name)) continue;
      try {
        await sp.deletePolicy(name, { signal });
        this.#policies.delete(name);
      } catch (err) {
        this.#error(err as Error);
      }
    }
    const wantAnn = new Map(result.announcements.map((a) => [a.prefix, a]));
    for (const [prefix] of this.#announced) {
      if (wantAnn.has(prefix)) continue;
      try {
        await sp.withdraw(prefix, { signal });
        this.#announced.delete(prefix);
      } catch (err) {
        this.#error(err as Error);
      }
    }
    for (const [prefix, a] of wantAnn) {
      if (same(this.#announced.get(prefix), a)) continue;
      try {
        await sp.announce(a, { signal });
        this.#announced.set(prefix, a);
      } catch (err) {
        this.#error(err as Error);
      }
    }

    // providers depend on pools, our address and WireGuard: recompute learned routes when those change
    const pools = poolEncaps(this.#list('IPPool') as IPPool[]);
    const felix = this.#felix();
    const wireguard = {
      ipv4: !!(felix?.wireguardEnabled && this.#init.wireguardPrivateKey),
      ipv6: !!(felix?.wireguardEnabledV6 && this.#init.wireguardPrivateKeyV6),
    };
    // keys published (or withdrawn, or rotated) by other nodes move their routes onto or off WireGuard
    const wireguardPeers = wireguard.ipv4 || wireguard.ipv6 ? this.#wireguardPeersSignature() : '';
    const peersChanged = wireguardPeers !== this.#wireguardPeers;
    this.#wireguardPeers = wireguardPeers;
    if (nodeChanged || !same(pools, this.#pools) || !same(wireguard, this.#wireguard)) {
      this.#pools = pools;
      this.#wireguard = wireguard;
      // a new programmer for the new settings adopts what the old one made (dumps) on its first sync
      this.#programmer = this.#makeProgrammer(result);
      await this.#syncRoutes();
    } else if (peersChanged || this.#routesFailed) {
      // the programmer asks for peers' keys as it goes: the same one syncs the routes again, no dumps
      await this.#syncRoutes();
    }
  }

  #target(p: BgpPath): RouteTarget | undefined {
    const d = this.#desired;
    if (!d || p.local || p.withdrawn || !p.nextHop) return undefined;
    // families without a node address are not programmed
    const own = p.family === 'ipv4' ? d.node.ipv4 : d.node.ipv6;
    if (!own || addressFamily(p.nextHop) !== p.family) return undefined;
    if (p.nextHop === own.host) return undefined;
    return {
      prefix: p.prefix,
      nextHop: p.nextHop,
      // WireGuard for the family when it is on and the next hop's node published its key (as Calico/VPP)
      provider: chooseProvider(
        p.prefix,
        p.nextHop,
        this.#pools,
        d.node,
        this.#wireguard[p.family] && this.#wireguardPeer(p.nextHop) !== undefined,
      ),
    };
  }

  #kickDrain(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#enqueue(() => this.#drain());
  }

  /**
   * Program the prefixes whose best path changed, many at a time, until none is left. Prefixes are
   * taken from `#dirty` as the pipeline has room, so changes that arrive meanwhile join this drain and
   * only the latest state of a prefix is programmed (announced and withdrawn before its turn: nothing
   * is sent). A reconcile that is waiting stops the drain early; the drain goes on after it.
   */
  async #drain(): Promise<void> {
    const applied: { prefix: string; target: RouteTarget | undefined }[] = [];
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    function* take(): Generator<{ prefix: string; target: RouteTarget | undefined }> {
      // a Set iterates live: prefixes added (or re-added) while we run are visited too
      for (const prefix of self.#dirty) {
        if (self.#scheduled || self.#pending > 1 || !self.#started) return;
        self.#dirty.delete(prefix);
        const p = self.#learned.get(prefix);
        const change = { prefix, target: p ? self.#target(p) : undefined };
        self.#stats.changes++;
        applied.push(change);
        yield change;
      }
    }
    try {
      this.#stats.drains++;
      const res = await this.programmer.apply(take(), { signal: this.#abort.signal, concurrency: 128 });
      const failed = new Set<string>();
      if (res.errors.length) this.#routesFailed = true;
      for (const e of res.errors) {
        this.#error(e);
        const prefix = (e as { prefix?: unknown }).prefix;
        if (typeof prefix === 'string') failed.add(prefix);
      }
      for (const c of applied) {
        if (failed.has(c.prefix)) continue;
        if (c.target) this.dispatchEvent(new CustomEvent('route:add', { detail: c.target }));
        else this.dispatchEvent(new CustomEvent('route:delete', { detail: { prefix: c.prefix } }));
      }
    } finally {
      this.#draining = false;
      // changes left: go on behind the work that stopped us; a reconcile still to be queued
      // (setImmediate) kicks the drain itself when it is done
      if (this.#dirty.size && this.#started && !this.#scheduled) this.#kickDrain();
    }
  }

  async #syncRoutes(): Promise<void> {
    this.#dirty.clear();
    const targets = [...this.#learned.values()].map((p) => this.#target(p)).filter((t): t is RouteTarget => !!t);
    const res = await this.programmer.sync(targets, { signal: this.#abort.signal });
    this.#routesFailed = res.errors.length > 0;
    this.#log.debug(
      { targets: targets.length, added: res.added, removed: res.removed, kept: res.kept, errors: res.errors.length },
      'learned routes synced into VPP',
    );
    for (const e of res.errors) this.#error(e);
  }

  async #watch(speaker: BgpSpeaker): Promise<void> {
    const signal = this.#abort.signal;
    try {
      for await (const ev of speaker.watch({ signal })) {
        if (this.#speaker !== speaker && this.#speaker !== undefined) return;
        if (ev.type === 'snapshot') {
          this.#stats.snapshots++;
          this.#learned.clear();
          for (const p of ev.paths) if (!p.local) this.#learned.set(p.prefix, p);
          this.#enqueue(() => this.#syncRoutes());
        } else if (ev.type === 'paths') {
          const learned = this.#learned;
          const dirty = this.#dirty;
          for (const p of ev.paths) {
            if (p.local) continue;
            if (p.withdrawn) learned.delete(p.prefix);
            else learned.set(p.prefix, p);
            dirty.add(p.prefix);
            this.#stats.paths++;
          }
          if (dirty.size) this.#kickDrain();
        }
      }
    } catch (err) {
      if (!signal.aborted && (err as Error).name !== 'BgpSpeakerDownError') this.#error(err as Error);
    }
  }
}
