import { createGobgpClient, type GobgpClient } from './api/client.js';
import {
  BgpAbortError,
  BgpInvalidConfigError,
  BgpPathRefusedError,
  BgpPeerRefusedError,
  BgpPolicyRefusedError,
  BgpSpeakerDownError,
} from './errors.js';
import {
  fromApiPeer,
  keepNextHopPolicy,
  KEEP_NEXT_HOP_POLICY,
  toApiGlobal,
  toApiPeer,
  toApiPolicy,
} from './gobgp-mapping.js';
import { spawnGobgpd, type GobgpdInit, type GobgpdProcess } from './gobgpd.js';
import { NOOP_LOGGER, type BgpLogger } from './logger.js';
import { canonicalAddress, canonicalCidr, type IpFamily } from './net.js';
import { createPathDecoder } from './path-decoder.js';
import { apiFamily, fromApiPath, toApiPath, type BgpAnnouncement, type BgpPath } from './paths.js';
import type {
  BgpCallOptions,
  BgpGlobalConfig,
  BgpPeerConfig,
  BgpPeerStatus,
  BgpPolicy,
  BgpSpeaker,
  BgpWatchEvent,
} from './speaker.js';

/** Options of {@link createGobgpSpeaker}. */
export interface GobgpSpeakerInit {
  global: BgpGlobalConfig;
  /** Spawn and supervise our own gobgpd with these options (default), or connect to a running one. */
  daemon?: { spawn: GobgpdInit } | { connect: string };
  /** Restart a spawned gobgpd that dies, with this back-off in ms (default 200, doubling to 5000). */
  restartDelayMs?: number;
  /** Deadline of each API call, ms (default 10000). */
  timeoutMs?: number;
}

/** Collaborators of the speaker. */
export interface GobgpSpeakerComponents {
  logger?: BgpLogger;
}

/** `WatchEventResponse.PeerEvent.Type.STATE`. */
const PEER_EVENT_STATE = 3;

interface PathEntry {
  announcement: BgpAnnouncement;
  uuid: Uint8Array | undefined;
}

/**
 * A {@link BgpSpeaker} backed by gobgpd 3.x over its gRPC API. It keeps what it was told (global
 * settings, policies, peers, announcements) and, when the gobgpd it spawned dies, restarts it and
 * applies everything again.
 */
export function createGobgpSpeaker(init: GobgpSpeakerInit, components: GobgpSpeakerComponents = {}): BgpSpeaker {
  return new GobgpSpeaker(init, components);
}

class GobgpSpeaker extends EventTarget implements BgpSpeaker {
  readonly global: BgpGlobalConfig;
  readonly #init: GobgpSpeakerInit;
  readonly #log: BgpLogger;
  #client: GobgpClient | undefined;
  #proc: GobgpdProcess | undefined;
  #running = false;
  #up = false;
  #generation = 0;
  #upWaiters: (() => void)[] = [];
  readonly #peers = new Map<string, BgpPeerConfig>();
  readonly #policies = new Map<string, BgpPolicy>();
  readonly #paths = new Map<string, PathEntry>();
  #restartTimer: NodeJS.Timeout | undefined;

  constructor(init: GobgpSpeakerInit, components: GobgpSpeakerComponents) {
    super();
    toApiGlobal(init.global); // validate early: a bad global is the caller's error, reported now
    this.global = init.global;
    this.#init = init;
    this.#log = components.logger ?? NOOP_LOGGER;
  }

  async start(options: BgpCallOptions = {}): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      await this.#bringUp(false, options.signal);
    } catch (err) {
      this.#running = false;
      await this.#teardown();
      throw err;
    }
  }

  async #bringUp(restarted: boolean, signal?: AbortSignal): Promise<void> {
    const daemon = this.#init.daemon ?? { spawn: {} };
    let target: string;
    if ('spawn' in daemon) {
      const proc = await spawnGobgpd({ ...daemon.spawn, ...(signal ? { signal } : {}), logger: this.#log });
      this.#proc = proc;
      target = proc.target;
      const gen = ++this.#generation;
      void proc.exited.then((ex) => this.#onExit(gen, ex));
    } else {
      target = daemon.connect;
      ++this.#generation;
    }
    this.#client?.close();
    this.#client = createGobgpClient({ target, timeoutMs: this.#init.timeoutMs ?? 10_000 });
    const o = signal ? { signal } : {};
    const got = await this.#client.call('GetBgp', {}, o);
    if (!got.global?.asn) await this.#client.call('StartBgp', { global: toApiGlobal(this.global) }, o);
    // re-apply everything we were told, in dependency order
    await this.#applyPolicy(keepNextHopPolicy(), o);
    for (const p of this.#policies.values()) await this.#applyPolicy(p, o).catch((error: Error) => this.#report(error));
    for (const p of this.#peers.values())
      await this.#client
        .call('AddPeer', { peer: toApiPeer(p, this.global) }, o)
        .catch((error: Error) => this.#report(new BgpPeerRefusedError(p.address, 'add', error)));
    for (const [prefix, e] of this.#paths) {
      try {
        e.uuid = (
          await this.#client.call('AddPath', { table_type: 'GLOBAL', path: toApiPath(e.announcement) }, o)
        ).uuid;
      } catch (err) {
        this.#report(new BgpPathRefusedError(prefix, 'announce', err));
      }
    }
    this.#up = true;
    for (const w of this.#upWaiters.splice(0)) w();
    this.dispatchEvent(new CustomEvent('speaker:up', { detail: { restarted } }));
  }

  #report(error: Error): void {
    this.#log.warn({ err: error }, error.message);
    this.dispatchEvent(new CustomEvent('speaker:error', { detail: { error } }));
  }

  #onExit(gen: number, ex: { code: number | null; signal: NodeJS.Signals | null }): void {
    if (gen !== this.#generation || !this.#running) return;
    this.#up = false;
    const error = new BgpSpeakerDownError(`gobgpd exited (code ${ex.code}, signal ${ex.signal})`);
    this.#log.warn({ code: ex.code, signal: ex.signal }, 'gobgpd exited; restarting');
    this.dispatchEvent(new CustomEvent('speaker:down', { detail: { error } }));
    this.#scheduleRestart(this.#init.restartDelayMs ?? 200);
  }

  #scheduleRestart(delay: number): void {
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (!this.#running) return;
      void (async () => {
        try {
          await this.#proc?.stop();
          await this.#bringUp(true);
        } catch (err) {
          this.#report(err as Error);
          if (this.#running && !this.#up) {
            await this.#proc?.stop().catch(() => {});
            this.#scheduleRestart(Math.min(delay * 2, 5000));
          }
        }
      })();
    }, delay);
  }

  async #teardown(): Promise<void> {
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#client?.close();
    this.#client = undefined;
    ++this.#generation;
    await this.#proc?.stop();
    this.#proc = undefined;
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#up = false;
    for (const w of this.#upWaiters.splice(0)) w();
    if (this.#client && !this.#proc) {
      // a daemon we did not spawn: take our peers and paths back out of it
      await this.#client.call('StopBgp', {}).catch(() => {});
    }
    await this.#teardown();
  }

  /** Wait until the daemon is up (after a restart), or throw when stopped/aborted. */
  async #ready(signal?: AbortSignal): Promise<GobgpClient> {
    while (this.#running && !this.#up) {
      if (signal?.aborted) throw new BgpAbortError('speaker call', { cause: signal.reason });
      await new Promise<void>((resolve) => {
        const done = () => {
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.#upWaiters.push(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
    if (!this.#running || !this.#client) throw new BgpSpeakerDownError('the speaker is not started');
    return this.#client;
  }

  #opts(o: BgpCallOptions): { signal?: AbortSignal } {
    return o.signal ? { signal: o.signal } : {};
  }

  async addPeer(peer: BgpPeerConfig, options: BgpCallOptions = {}): Promise<void> {
    const api = toApiPeer(peer, this.global);
    const key = canonicalAddress(peer.address);
    this.#checkPolicies(peer);
    const c = await this.#ready(options.signal);
    try {
      await c.call('AddPeer', { peer: api }, this.#opts(options));
    } catch (err) {
      throw new BgpPeerRefusedError(key, 'add', err);
    }
    this.#peers.set(key, peer);
  }

  async updatePeer(peer: BgpPeerConfig, options: BgpCallOptions = {}): Promise<void> {
    const api = toApiPeer(peer, this.global);
    const key = canonicalAddress(peer.address);
    this.#checkPolicies(peer);
    const c = await this.#ready(options.signal);
    const old = this.#peers.get(key);
    // gobgpd's UpdatePeer leaves transport, password, ttl and AS settings as they were; those need
    // the session rebuilt (delete + add of this one neighbor only)
    const needsReset =
      old !== undefined &&
      (old.asn !== peer.asn ||
        old.localAsn !== peer.localAsn ||
        old.password !== peer.password ||
        old.port !== peer.port ||
        old.sourceAddress !== peer.sourceAddress ||
        old.ttlSecurityHops !== peer.ttlSecurityHops ||
        old.passive !== peer.passive ||
        old.ebgpMultihopTtl !== peer.ebgpMultihopTtl ||
        JSON.stringify(old.gracefulRestart) !== JSON.stringify(peer.gracefulRestart) ||
        JSON.stringify(old.families) !== JSON.stringify(peer.families));
    try {
      if (old === undefined || needsReset) {
        if (old !== undefined) await c.call('DeletePeer', { address: key }, this.#opts(options));
        await c.call('AddPeer', { peer: api }, this.#opts(options));
      } else {
        const r = await c.call('UpdatePeer', { peer: api, do_soft_reset_in: true }, this.#opts(options));
        void r;
      }
    } catch (err) {
      throw new BgpPeerRefusedError(key, 'update', err);
    }
    this.#peers.set(key, peer);
  }

  async deletePeer(address: string, options: BgpCallOptions = {}): Promise<void> {
    const key = canonicalAddress(address);
    const c = await this.#ready(options.signal);
    if (!this.#peers.has(key)) return;
    try {
      await c.call('DeletePeer', { address: key }, this.#opts(options));
    } catch (err) {
      throw new BgpPeerRefusedError(key, 'delete', err);
    }
    this.#peers.delete(key);
  }

  async peers(options: BgpCallOptions = {}): Promise<BgpPeerStatus[]> {
    const c = await this.#ready(options.signal);
    const out: BgpPeerStatus[] = [];
    // gobgpd counts afi_safis[].state.advertised only when asked (enableAdvertised); it is 0 otherwise
    for await (const r of c.stream('ListPeer', { enableAdvertised: true }, this.#opts(options)))
      if (r.peer) out.push(fromApiPeer(r.peer));
    return out;
  }

  #checkPolicies(peer: BgpPeerConfig): void {
    for (const [field, names] of [
      ['importPolicies', peer.importPolicies],
      ['exportPolicies', peer.exportPolicies],
    ] as const) {
      for (const [i, n] of (names ?? []).entries()) {
        if (!this.#policies.has(n) && n !== KEEP_NEXT_HOP_POLICY)
          throw new BgpInvalidConfigError(
            `peer ${peer.address}`,
            `${field}[${i}]`,
            n,
            'names no policy set with setPolicy()',
          );
      }
    }
  }

  async #applyPolicy(p: BgpPolicy, o: { signal?: AbortSignal }): Promise<void> {
    const { sets, policy } = toApiPolicy(p);
    const c = this.#client!;
    try {
      // replace: statements and sets of an older version go first (DeletePolicy fails when absent)
      await c
        .call('DeletePolicy', { policy: { name: p.name }, preserve_statements: false, all: true }, o)
        .catch(() => {});
      for (const s of sets) {
        await c
          .call('DeleteDefinedSet', { defined_set: { defined_type: 'PREFIX', name: s.name! }, all: true }, o)
          .catch(() => {});
        await c.call('AddDefinedSet', { defined_set: s }, o);
      }
      await c.call('AddPolicy', { policy, refer_existing_statements: false }, o);
    } catch (err) {
      throw new BgpPolicyRefusedError(p.name, err);
    }
  }

  async setPolicy(policy: BgpPolicy, options: BgpCallOptions = {}): Promise<void> {
    toApiPolicy(policy); // validate before waiting
    await this.#ready(options.signal);
    const inUse = [...this.#peers.values()].filter(
      (p) => p.importPolicies?.includes(policy.name) || p.exportPolicies?.includes(policy.name),
    );
    if (inUse.length && this.#policies.has(policy.name)) {
      // gobgpd refuses to delete a policy in use: replace its prefix sets in place
      const { sets, policy: api } = toApiPolicy(policy);
      const c = this.#client!;
      try {
        for (const s of sets) {
          await c
            .call(
              'DeleteDefinedSet',
              { defined_set: { defined_type: 'PREFIX', name: s.name! }, all: true },
              this.#opts(options),
            )
            .catch(() => {});
          await c.call('AddDefinedSet', { defined_set: s }, this.#opts(options));
        }
        void api;
      } catch (err) {
        throw new BgpPolicyRefusedError(policy.name, err);
      }
    } else {
      await this.#applyPolicy(policy, this.#opts(options));
    }
    this.#policies.set(policy.name, policy);
  }

  async deletePolicy(name: string, options: BgpCallOptions = {}): Promise<void> {
    const p = this.#policies.get(name);
    if (!p) return;
    const c = await this.#ready(options.signal);
    const { sets } = toApiPolicy(p);
    try {
      await c.call('DeletePolicy', { policy: { name }, preserve_statements: false, all: true }, this.#opts(options));
      for (const s of sets)
        await c.call(
          'DeleteDefinedSet',
          { defined_set: { defined_type: 'PREFIX', name: s.name! }, all: true },
          this.#opts(options),
        );
    } catch (err) {
      throw new BgpPolicyRefusedError(name, err);
    }
    this.#policies.delete(name);
  }

  async announce(route: BgpAnnouncement, options: BgpCallOptions = {}): Promise<void> {
    const path = toApiPath(route);
    const prefix = canonicalCidr(route.prefix)!;
    const c = await this.#ready(options.signal);
    let uuid: Uint8Array | undefined;
    try {
      uuid = (await c.call('AddPath', { table_type: 'GLOBAL', path }, this.#opts(options))).uuid;
    } catch (err) {
      throw new BgpPathRefusedError(prefix, 'announce', err);
    }
    this.#paths.set(prefix, { announcement: { ...route, prefix }, uuid });
  }

  async withdraw(prefix: string, options: BgpCallOptions = {}): Promise<void> {
    const key = canonicalCidr(prefix);
    if (!key) throw new BgpInvalidConfigError(`route ${prefix}`, 'prefix', prefix, 'is not a CIDR prefix');
    const e = this.#paths.get(key);
    if (!e) return;
    const c = await this.#ready(options.signal);
    const family = key.includes(':') ? 'ipv6' : 'ipv4';
    try {
      if (e.uuid?.length)
        await c.call(
          'DeletePath',
          { table_type: 'GLOBAL', family: apiFamily(family), uuid: e.uuid },
          this.#opts(options),
        );
      else
        await c.call(
          'DeletePath',
          { table_type: 'GLOBAL', family: apiFamily(family), path: toApiPath(e.announcement) },
          this.#opts(options),
        );
    } catch (err) {
      throw new BgpPathRefusedError(key, 'withdraw', err);
    }
    this.#paths.delete(key);
  }

  async bestPaths(family: IpFamily, options: BgpCallOptions = {}): Promise<BgpPath[]> {
    const c = await this.#ready(options.signal);
    const out: BgpPath[] = [];
    for await (const r of c.stream(
      'ListPath',
      { table_type: 'GLOBAL', family: apiFamily(family), name: '', sort_type: 'PREFIX' },
      this.#opts(options),
    )) {
      for (const p of r.destination?.paths ?? []) {
        if (!p.best) continue;
        const bp = fromApiPath(p);
        if (bp) out.push(bp);
      }
    }
    return out;
  }

  watch(options: BgpCallOptions = {}): AsyncIterable<BgpWatchEvent> {
    return { [Symbol.asyncIterator]: () => this.#watchEvents(options.signal) };
  }

  async *#watchEvents(signal: AbortSignal | undefined): AsyncGenerator<BgpWatchEvent> {
    // one decoder per watch: its attribute cache lives as long as the watch
    const decoder = createPathDecoder();
    while (this.#running) {
      const c = await this.#ready(signal);
      const gen = this.#generation;
      let first = true;
      try {
        const stream = c.streamBatches(
          'WatchEvent',
          { peer: {}, table: { filters: [{ type: 'BEST', init: true }] } },
          (bytes) => decoder.watchEvent(bytes),
          signal ? { signal } : {},
        );
        for await (const batch of stream) {
          // consecutive table events become one `paths` event; peer events keep their place
          let paths: BgpPath[] = [];
          for (const ev of batch) {
            if (ev.kind === 'table') {
              if (first) {
                // gobgpd sends the whole best table as the first table event of an `init` watch
                first = false;
                yield { type: 'snapshot', paths: ev.paths };
              } else for (const p of ev.paths) paths.push(p);
            } else if (ev.kind === 'peer' && ev.peer && ev.type === PEER_EVENT_STATE) {
              if (paths.length) yield { type: 'paths', paths };
              paths = [];
              const peer = fromApiPeer(ev.peer);
              this.dispatchEvent(new CustomEvent('peer:state', { detail: peer }));
              yield { type: 'peer', peer };
            }
          }
          if (paths.length) yield { type: 'paths', paths };
        }
      } catch (err) {
        if (signal?.aborted || !this.#running) return;
        this.#log.debug({ err }, 'watch stream ended; resubscribing');
      }
      if (signal?.aborted) return;
      // the stream ended: the daemon went away; wait a little for it to come back (a new generation)
      if (this.#generation === gen && this.#running) await new Promise((r) => setTimeout(r, 100));
    }
  }
}
