/**
 * The manager: capture the uplink, save it, start VPP in its namespace, hand it the uplink, give Linux a
 * host interface that looks like the old uplink, supervise VPP, and restore the uplink on any exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  createNamedNetns,
  deleteNamedNetns,
  namedNetnsExists,
  openNetlink,
  restore,
  type NetlinkHandle,
  type NetnsRef,
  type InterfaceSnapshot,
  type RestoreReport,
} from '@vectorplane/netlink';
import { af_packet_flags, af_packet_mode, connectVpp } from '@vectorplane/vpp-binapi';
import { checkCapabilities } from './caps.js';
import {
  captureUplink,
  isLinkLocal,
  plannedMacvlanCapture,
  readState,
  removeState,
  writeJsonAtomic,
  type ManagerState,
  type UplinkCapture,
} from './capture.js';
import { parseConfig, type ManagerConfig, type ManagerConfigInput } from './config.js';
import { driverCandidates, probeHostFacts, type UplinkDriver } from './drivers.js';
import { CapabilityError, DriverUnsupportedError, RestoreError, VppExitedError, VppStartError } from './errors.js';
import { renderStartupConf, vppPaths } from './startup-conf.js';
import {
  INDEX_INVALID,
  Steps,
  VPP_SIDE_MAC,
  configureHostInterface,
  configureUplink,
  createUplinkInterface,
  createVlans,
  enableHostStack,
  interfaceNames,
  removeDriverLeftovers,
  setupGlobal,
  type Vpp,
} from './vpp-setup.js';

/** A pino-compatible logger; nothing is logged without one. */
export interface VppManagerLogger {
  debug?(fields: Record<string, unknown>, msg?: string): void;
  info?(fields: Record<string, unknown>, msg?: string): void;
  warn?(fields: Record<string, unknown>, msg?: string): void;
  error?(fields: Record<string, unknown>, msg?: string): void;
}

/** Named points of the take-over where {@link VppManagerComponents.checkpoint} is called. */
export type ManagerCheckpoint =
  /** The manager created the macvlan uplink (`uplink.macvlan`); the uplink is not captured yet. */
  | 'macvlan-created'
  /** VPP was spawned and its pid saved in the state file; its API does not answer yet. */
  | 'vpp-spawned'
  /** The uplink netdev was moved into VPP's namespace. */
  | 'uplink-parked'
  /** VPP's uplink interface exists; `detail` names the driver. */
  | 'uplink-created'
  /** The host interface (veth or tap) exists in Linux. */
  | 'host-interface-created';

/** Collaborators of the manager. */
export interface VppManagerComponents {
  readonly logger?: VppManagerLogger;
  /**
   * Awaited at each {@link ManagerCheckpoint}: for fault-injection tests (a test process that kills itself
   * there stands for a crash of the manager at that point). Default: none.
   */
  readonly checkpoint?: (name: ManagerCheckpoint, detail?: string) => void | Promise<void>;
}

/** A driver VPP refused in auto mode, before the manager fell back to the next one. */
export interface DriverRefusal {
  readonly driver: string;
  /** The refusal as VPP or the step put it (`af_xdp_create_v3 failed: VNET_API_ERROR_INVALID_VALUE (retval -7)`). */
  readonly reason: string;
  /** VPP's retval, when VPP answered with one. */
  readonly retval?: number;
  /** Interfaces the refused attempt left in VPP that the manager deleted (by name). */
  readonly removed: readonly string[];
  /** The driver tried next; undefined when none was left. */
  readonly next?: string;
}

/** Options of {@link createVppManager}. */
export interface VppManagerInit {
  /** Validated here (defaults filled in); a ConfigError names every refused field. */
  readonly config: ManagerConfigInput | ManagerConfig;
}

export type ManagerStatus = 'idle' | 'starting' | 'ready' | 'restoring' | 'restored' | 'failed';

/** One phase of a start or a restore and how long it took. */
export interface PhaseTiming {
  readonly phase: string;
  readonly ms: number;
}

/** What the status file holds and `status` events carry. */
export interface StatusRecord {
  readonly status: ManagerStatus;
  readonly at: string;
  readonly pid: number;
  readonly vppPid?: number;
  readonly uplink?: string;
  readonly driver?: string;
  readonly uplinkSwIfIndex?: number;
  readonly hostSwIfIndex?: number;
  readonly hostMode?: 'tap' | 'veth' | 'none';
  /** Drivers VPP refused before `driver` (auto mode), each as `name: reason`. */
  readonly refusedDrivers?: readonly string[];
  readonly error?: { readonly name: string; readonly code?: string; readonly message: string };
}

/** The manager once VPP holds the uplink. */
export interface ReadyInfo {
  readonly vppPid: number;
  readonly driver: string;
  /** Drivers VPP refused before `driver` was taken (auto mode), in the order they were tried. */
  readonly refusedDrivers: readonly DriverRefusal[];
  readonly uplinkSwIfIndex: number;
  /** `~0` without a host interface (`hostInterface.mode: 'none'`, macvlan uplinks). */
  readonly hostSwIfIndex: number;
  readonly hostMode: 'tap' | 'veth' | 'none';
  readonly vlans: readonly { readonly id: number; readonly sw_if_index: number }[];
  /** Next hops chosen for the pod/service routes on Linux. */
  readonly nextHops: { readonly ip4?: string; readonly ip6?: string };
  /** A state file left by an earlier run was found and the uplink restored from it first. */
  readonly recovered: boolean;
  readonly timings: readonly PhaseTiming[];
  /** Every VPP set-up step with its time. */
  readonly steps: readonly PhaseTiming[];
}

/** What a restore did. */
export interface RestoreSummary {
  readonly ok: boolean;
  readonly failed: readonly string[];
  readonly timings: readonly PhaseTiming[];
  /** How VPP ended, when the manager saw it. */
  readonly vppExit?: { readonly code: number | null; readonly signal: string | null };
  readonly report?: RestoreReport;
}

/**
 * A running manager; `status` events carry a {@link StatusRecord}, `driver:fallback` events (auto mode) a
 * {@link DriverRefusal}.
 */
export interface VppManager extends EventTarget {
  readonly config: ManagerConfig;
  readonly status: ManagerStatus;
  readonly vppPid: number | undefined;
  readonly ready: ReadyInfo | undefined;
  /** Settles once the uplink was restored after VPP's exit (or a failed start); never rejects. */
  readonly done: Promise<RestoreSummary>;
  /**
   * Restores a state left by an earlier run, checks capabilities, captures and saves the uplink, starts VPP
   * and sets everything up. On failure the uplink is restored before the error is thrown.
   * @throws ConfigError, CapabilityError, UplinkNotFoundError, UplinkNoAddressError, VppStartError,
   *   VppExitedError, DriverUnsupportedError, SetupError
   */
  start(opts?: { signal?: AbortSignal }): Promise<ReadyInfo>;
  /** SIGINT to VPP, SIGKILL after `vpp.stopGraceMs`, then the restore; resolves with its summary. */
  stop(opts?: { signal?: AbortSignal }): Promise<RestoreSummary>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The manager's own namespace, as a reference another thread can open. */
const selfNetns = (): { path: string } => ({ path: `/proc/${process.pid}/ns/net` });
const hostRef = (netns: string | undefined): NetnsRef => netns ?? selfNetns();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

/** Picks the next hop Calico/VPP picks for cluster routes: the last usable address of the uplink's subnet, else the first. */
export function pickNextHop(prefix: string): string | undefined {
  const [addr, lenText] = prefix.split('/');
  if (addr === undefined || lenText === undefined) return undefined;
  const v6 = addr.includes(':');
  const bits = v6 ? 128 : 32;
  const len = Number(lenText);
  if (len >= bits - 1) return undefined;
  const toBig = (a: string): bigint => {
    if (!v6) return a.split('.').reduce((n, o) => (n << 8n) | BigInt(o), 0n);
    const [h, t] = a.split('::');
    const hp = h ? h.split(':') : [];
    const tp = t !== undefined && t !== '' ? t.split(':') : [];
    const parts: string[] =
      t === undefined ? hp : [...hp, ...Array<string>(8 - hp.length - tp.length).fill('0'), ...tp];
    return parts.reduce((n, p) => (n << 16n) | BigInt(parseInt(p, 16)), 0n);
  };
  const fromBig = (n: bigint): string => {
    if (!v6) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
    const parts: string[] = [];
    for (let i = 7; i >= 0; i--) parts.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
    return parts
      .join(':')
      .replace(/(^|:)0(:0)+(:|$)/, '::')
      .replace(/:{3,}/, '::');
  };
  const a = toBig(addr);
  const host = (1n << BigInt(bits - len)) - 1n;
  const net = a & ~host & ((1n << BigInt(bits)) - 1n);
  let nh = (net | host) - 1n;
  if (nh === a) nh = net + 1n;
  return fromBig(nh);
}

/** Waits until `name` has its carrier (linkwatch reports it up to a second late), at most `ms`. */
async function waitCarrier(nl: NetlinkHandle, name: string, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const l = await nl.link.find(name);
    if (!l || l.lowerUp) return;
    await sleep(10);
  }
}

/**
 * Applies a snapshot to the link of its name: up first and, once the carrier is there, everything else
 * (IPv6 addresses added before the carrier get no local route from the kernel); then checks the result
 * and re-adds the IPv6 addresses whose local routes the kernel still did not install.
 * @throws RestoreError listing what could not be restored
 */
export async function applySnapshot(nl: NetlinkHandle, snap: InterfaceSnapshot): Promise<RestoreReport> {
  if (snap.link.up) {
    await nl.link.set(snap.ifname, { up: true }).catch(() => undefined);
    await waitCarrier(nl, snap.ifname);
  }
  let r = await restore(nl, snap);
  for (let i = 0; i < 20 && !r.ok; i++) {
    await sleep(50);
    r = await restore(nl, snap);
  }
  if (!r.ok) throw new RestoreError(r.failed.map((f) => `${f.kind} ${f.action} ${f.what}: ${f.error?.message ?? ''}`));
  // the kernel adds IPv6 local routes itself once an address is usable; give it a moment, then nudge it
  for (let i = 0; i < 3; i++) {
    const missing = await missingLocalRoutes(nl, snap, 1000);
    if (missing.length === 0) break;
    for (const a of snap.addresses.filter((x) => missing.includes(x.address.split('/')[0]!))) {
      await nl.address.delete({ ...a, link: snap.ifname }).catch(() => undefined);
      await nl.address.add({ ...a, link: snap.ifname }).catch(() => undefined);
    }
    r = await restore(nl, snap);
  }
  return r;
}

/** IPv6 addresses whose `local` route (table 255) is in the snapshot but not in the kernel after `ms`. */
async function missingLocalRoutes(nl: NetlinkHandle, snap: InterfaceSnapshot, ms: number): Promise<string[]> {
  const want = snap.routes
    .filter((r) => r.family === 'inet6' && r.type === 'local' && r.protocol === 'kernel')
    .map((r) => r.dst.split('/')[0]!);
  if (want.length === 0) return [];
  const end = Date.now() + ms;
  for (;;) {
    const have = new Set<string>();
    for await (const r of nl.route.list({ family: 'inet6', table: 'all', type: 'local' }))
      have.add(r.dst.split('/')[0]!);
    const missing = want.filter((w) => !have.has(w));
    if (missing.length === 0 || Date.now() > end) return missing;
    await sleep(20);
  }
}

/**
 * Undoes what a state records, on every path (VPP killed, manager stopped, a crashed manager found on the
 * next start): kills a VPP still running from it, removes the host interface, moves the uplink back from
 * VPP's namespace, restores its name, MAC, MTU, addresses, routes and link state from the snapshot,
 * removes VPP's namespace if the manager made it, and deletes the state file.
 */
export async function restoreUplink(
  state: ManagerState,
  opts: { stateFile?: string; logger?: VppManagerLogger; signal?: AbortSignal; vppCommandMatch?: string } = {},
): Promise<RestoreSummary> {
  const timings: PhaseTiming[] = [];
  const failed: string[] = [];
  const log = opts.logger;
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
    const t0 = performance.now();
    try {
      return await fn();
    } catch (e) {
      failed.push(`${name}: ${(e as Error).message}`);
      log?.warn?.({ phase: name, err: e }, 'vpp-manager: restore step failed');
      return undefined;
    } finally {
      timings.push({ phase: name, ms: performance.now() - t0 });
    }
  };

  await phase('kill-vpp', async () => {
    const pid = state.vppPid;
    if (pid === undefined || pid === process.pid || !processAlive(pid)) return;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return;
    }
    if (opts.vppCommandMatch && !cmd.includes(opts.vppCommandMatch)) return; // the pid was reused
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 200 && processAlive(pid); i++) await sleep(10);
  });

  const name = state.uplink.name;
  const host = await phase('open-netlink', () => openNetlink({ netns: hostRef(state.hostNetns) }));
  const vppNsExists = namedNetnsExists(state.vppNetns);
  const vppNl = vppNsExists ? await phase('open-netlink-vpp', () => openNetlink({ netns: state.vppNetns })) : undefined;
  let report: RestoreReport | undefined;
  try {
    if (host) {
      const parked = vppNl ? await vppNl.link.find(name) : undefined;
      await phase('remove-host-interface', async () => {
        // the link of the uplink's name in the host namespace is ours only while the uplink is parked
        if (parked && (await host.link.find(name))) await host.link.delete(name);
        const side = state.hostInterface?.vppSideName;
        if (vppNl && side && (await vppNl.link.find(side))) await vppNl.link.delete(side);
      });
      if (state.createdMacvlan) {
        // only a macvlan of that name is ours (a crash right after the intent was written leaves none)
        await phase('remove-macvlan', async () => {
          if (parked?.kind === 'macvlan') await vppNl!.link.delete(name);
          else if ((await host.link.find(name))?.kind === 'macvlan') await host.link.delete(name);
        });
      } else {
        if (parked && vppNl)
          await phase('move-uplink-back', () =>
            vppNl.link.moveTo(name, hostRef(state.hostNetns) as NonNullable<NetnsRef>),
          );
        report = await phase('restore-linux', () => applySnapshot(host, state.uplink.snapshot));
      }
    }
  } finally {
    vppNl?.close();
    host?.close();
  }
  if (state.createdVppNetns && namedNetnsExists(state.vppNetns)) {
    await phase('remove-vpp-netns', () => deleteNamedNetns(state.vppNetns));
  }
  if (failed.length === 0 && opts.stateFile) await phase('remove-state', () => removeState(opts.stateFile!));
  return { ok: failed.length === 0, failed, timings, ...(report && { report }) };
}

/**
 * Restores the uplink from a state file left by an earlier run (a crashed manager); does nothing when
 * there is none. The file is removed once the restore is complete.
 * @throws StateFileError for an unreadable file
 */
export async function restoreFromStateFile(
  stateFile: string,
  opts: { logger?: VppManagerLogger; signal?: AbortSignal; vppCommandMatch?: string } = {},
): Promise<RestoreSummary | undefined> {
  const state = await readState(stateFile);
  if (!state) return undefined;
  return restoreUplink(state, { ...opts, stateFile });
}

class Manager extends EventTarget implements VppManager {
  readonly config: ManagerConfig;
  readonly #log: VppManagerLogger | undefined;
  readonly #checkpoint: NonNullable<VppManagerComponents['checkpoint']>;
  #status: ManagerStatus = 'idle';
  #child: ChildProcess | undefined;
  #exit: { code: number | null; signal: string | null } | undefined;
  #exited: Promise<{ code: number | null; signal: string | null }> | undefined;
  #state: ManagerState | undefined;
  #ready: ReadyInfo | undefined;
  #vpp: Vpp | undefined;
  #watch: AbortController | undefined;
  #restoring: Promise<RestoreSummary> | undefined;
  #resolveDone!: (s: RestoreSummary) => void;
  readonly done: Promise<RestoreSummary>;
  #stderr = '';
  #record: Omit<StatusRecord, 'status' | 'at' | 'pid'> = {};

  constructor(init: VppManagerInit, components: VppManagerComponents) {
    super();
    this.config = parseConfig(init.config);
    this.#log = components.logger;
    this.#checkpoint = components.checkpoint ?? (() => undefined);
    this.done = new Promise((r) => (this.#resolveDone = r));
  }

  get status(): ManagerStatus {
    return this.#status;
  }
  get vppPid(): number | undefined {
    return this.#child?.pid;
  }
  get ready(): ReadyInfo | undefined {
    return this.#ready;
  }

  async #setStatus(status: ManagerStatus, extra: Partial<StatusRecord> = {}): Promise<void> {
    this.#status = status;
    this.#record = { ...this.#record, ...extra };
    const rec: StatusRecord = { status, at: new Date().toISOString(), pid: process.pid, ...this.#record };
    this.#log?.info?.({ status, ...extra }, `vpp-manager: ${status}`);
    await writeJsonAtomic(this.config.statusFile, rec).catch((e: unknown) =>
      this.#log?.warn?.({ err: e }, 'vpp-manager: status file not written'),
    );
    this.dispatchEvent(new CustomEvent<StatusRecord>('status', { detail: rec }));
  }

  async #saveState(): Promise<void> {
    if (this.#state) await writeJsonAtomic(this.config.stateFile, this.#state);
  }

  async start(opts: { signal?: AbortSignal } = {}): Promise<ReadyInfo> {
    if (this.#status !== 'idle') throw new Error(`start() called while ${this.#status}`);
    const c = this.config;
    const timings: PhaseTiming[] = [];
    const steps = new Steps(opts.signal);
    const timed = async <T>(phase: string, fn: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      try {
        return await fn();
      } finally {
        timings.push({ phase, ms: performance.now() - t0 });
      }
    };
    await this.#setStatus('starting', { uplink: c.uplink.interfaceName });

    // Before anything is touched: capabilities and what an earlier run left behind.
    if (c.checkCapabilities) {
      const missing = checkCapabilities();
      const all = [...new Set([...missing.manager, ...missing.vpp])];
      if (all.length) {
        const err = new CapabilityError(all);
        await this.#fail(err);
        throw err;
      }
    }
    let host: NetlinkHandle | undefined;
    let vppNl: NetlinkHandle | undefined;
    try {
      // an unreadable state file is reported (status failed) and left as it is: nothing is touched
      const recovered = await timed('recover-previous', () =>
        restoreFromStateFile(c.stateFile, {
          ...(this.#log && { logger: this.#log }),
          vppCommandMatch: vppPaths(c).configFile,
        }),
      );
      if (recovered && !recovered.ok) throw new RestoreError(recovered.failed);
      host = await openNetlink({ netns: hostRef(c.netns) });
      if (c.uplink.macvlan) {
        const mv = c.uplink.macvlan;
        const m = c.uplink.mac;
        const name = c.uplink.interfaceName;
        await timed('create-macvlan', () =>
          steps.run('create macvlan', async () => {
            // a link of that name is not ours: refuse before the intent below could make a restore delete it
            if (await host!.link.find(name))
              throw new Error(`a link named ${name} already exists${c.netns ? ` in netns ${c.netns}` : ''}`);
            // the intent goes to the state file first: a crash between the create and the capture leaves a
            // state whose restore deletes the macvlan (the next start or `vpp-manager restore` runs it)
            this.#state = {
              version: 1,
              pid: process.pid,
              startedAt: new Date().toISOString(),
              phase: 'creating-macvlan',
              hostNetns: c.netns,
              vppNetns: c.vpp.netns,
              createdVppNetns: false,
              uplink: plannedMacvlanCapture(name, m),
              createdMacvlan: { parent: mv.parent },
            };
            await this.#saveState();
            await host!.link.add({
              kind: 'macvlan',
              name,
              parent: mv.parent,
              mode: mv.mode,
              up: true,
              ...(m && { mac: m }),
            });
            await this.#checkpoint('macvlan-created');
          }),
        );
      }
      const uplink = await timed('capture', () =>
        captureUplink(host!, c.uplink.interfaceName, {
          netns: c.netns,
          requireAddress: !c.uplink.macvlan,
          ...(opts.signal && { signal: opts.signal }),
        }),
      );
      const createdVppNetns = !namedNetnsExists(c.vpp.netns);
      this.#state = {
        version: 1,
        pid: process.pid,
        startedAt: new Date().toISOString(),
        phase: 'captured',
        hostNetns: c.netns,
        vppNetns: c.vpp.netns,
        createdVppNetns,
        uplink,
        ...(c.uplink.macvlan && { createdMacvlan: { parent: c.uplink.macvlan.parent } }),
      };
      await timed('state-file', () => this.#saveState());

      // Which drivers can run here, before VPP starts (they decide startup.conf).
      const mtu = c.uplink.mtu ?? uplink.mtu;
      const facts = probeHostFacts(uplink, mtu, c.vpp.hugepages ?? false);
      const cands = driverCandidates(c, facts);
      const usable = cands.filter((x) => x.reasons.length === 0).map((x) => x.driver);
      if (usable.length === 0) {
        throw new DriverUnsupportedError(
          c.uplink.driver,
          cands.flatMap((x) => x.reasons.map((r) => `${x.driver.name}: ${r}`)),
        );
      }
      for (const x of cands)
        if (x.reasons.length)
          this.#log?.info?.({ driver: x.driver.name, reasons: x.reasons }, 'vpp-manager: driver not supported here');
      const hostless = c.hostInterface.mode === 'none' || c.uplink.macvlan !== undefined;
      const hostMode: 'tap' | 'veth' =
        c.hostInterface.mode === 'tap' || (c.hostInterface.mode === 'auto' && existsSync('/dev/vhost-net'))
          ? 'tap'
          : 'veth';

      if (createdVppNetns) await timed('vpp-netns', () => createNamedNetns(c.vpp.netns));
      vppNl = await openNetlink({ netns: c.vpp.netns });
      await vppNl.link.up('lo');

      // #spawnVpp records VPP's pid in the state file as soon as VPP is spawned
      const vpp = await timed('vpp-start', () => this.#spawnVpp(usable, uplink, hostMode === 'tap', opts.signal));

      await timed('vpp-global', () => setupGlobal(vpp, c, steps));

      // The uplink: park the netdev in VPP's namespace for the drivers that open it there, then create.
      // In auto mode a driver VPP refuses is cleaned up after (whatever the attempt left in VPP is deleted)
      // and the next one is tried; the drivers that park the netdev come last, so parking happens once.
      let chosen: { driver: UplinkDriver; sw: number } | undefined;
      const refused: DriverRefusal[] = [];
      const auto = c.uplink.driver === 'auto';
      await timed('uplink', async () => {
        for (const [i, driver] of usable.entries()) {
          if (driver.movesNetdev && this.#state!.phase === 'captured') {
            await steps.run('park uplink', async () => {
              // af_packet and af_xdp take only frames for the netdev's MAC unless it is promiscuous
              await host!.link.set(uplink.name, { promisc: true });
              this.#state!.phase = 'uplink-moved';
              await this.#saveState();
              await host!.link.moveTo(uplink.name, c.vpp.netns);
              await vppNl!.link.set(uplink.name, { up: true, ...(uplink.mac && { mac: uplink.mac }) });
            });
            await this.#checkpoint('uplink-parked');
          }
          const known = auto ? await interfaceNames(vpp) : undefined;
          try {
            const sw = await steps.run(`create uplink (${driver.name})`, () =>
              createUplinkInterface(vpp, driver, c, uplink),
            );
            chosen = { driver, sw };
            break;
          } catch (e) {
            this.#throwIfVppGone('uplink creation', e);
            if (!auto) throw e;
            const removed = await removeDriverLeftovers(vpp, driver, uplink, known!, steps, this.#log);
            const cause = (e as { cause?: { retval?: unknown; message?: string } }).cause;
            const next = usable[i + 1]?.name;
            const refusal: DriverRefusal = {
              driver: driver.name,
              reason: cause?.message ?? (e as Error).message,
              ...(typeof cause?.retval === 'number' && { retval: cause.retval }),
              removed,
              ...(next && { next }),
            };
            refused.push(refusal);
            this.#log?.warn?.(
              { driver: driver.name, next, retval: refusal.retval, removed, err: e },
              `vpp-manager: VPP refused driver ${driver.name}; ${next ? `falling back to ${next}` : 'no driver left'}`,
            );
            this.dispatchEvent(new CustomEvent<DriverRefusal>('driver:fallback', { detail: refusal }));
          }
        }
        if (!chosen)
          throw new DriverUnsupportedError(
            'auto',
            refused.map((r) => `${r.driver}: ${r.reason}`),
          );
        await this.#checkpoint('uplink-created', chosen.driver.name);
        await configureUplink(vpp, chosen.sw, chosen.driver, c, uplink, steps);
      });
      const vlans = await timed('vlans', () => createVlans(vpp, chosen!.sw, c, steps));

      // The host interface: Linux gets the uplink's name, MAC, MTU, addresses and routes back.
      let hostSw = INDEX_INVALID;
      let nextHops: { ip4?: string; ip6?: string } = {};
      if (!hostless) {
        this.#state.phase = 'host-interface';
        this.#state.hostInterface = { mode: hostMode, vppSideName: c.hostInterface.vppSideName };
        await this.#saveState();
        hostSw = await timed('host-interface', async () => {
          const sw = await this.#createHostInterface(vpp, host!, vppNl!, hostMode, uplink, mtu, steps);
          await this.#checkpoint('host-interface-created');
          await configureHostInterface(vpp, sw, chosen!.sw, c, uplink, steps);
          return sw;
        });
        nextHops = await timed('linux-host', async () => {
          await steps.run('linux host interface', () => applySnapshot(host!, uplink.snapshot));
          return this.#addClusterRoutes(host!, uplink, mtu, steps);
        });
      }
      await timed('host-stack', () => enableHostStack(vpp, c, steps));

      this.#state.phase = 'ready';
      await this.#saveState();
      this.#ready = {
        vppPid: this.#child!.pid!,
        driver: chosen!.driver.name,
        refusedDrivers: refused,
        uplinkSwIfIndex: chosen!.sw,
        hostSwIfIndex: hostSw,
        hostMode: hostless ? 'none' : hostMode,
        vlans,
        nextHops,
        recovered: recovered !== undefined,
        timings,
        steps: steps.timings.map((s) => ({ phase: s.step, ms: s.ms })),
      };
      await this.#setStatus('ready', {
        vppPid: this.#child!.pid!,
        driver: chosen!.driver.name,
        ...(refused.length && { refusedDrivers: refused.map((r) => `${r.driver}: ${r.reason}`) }),
        uplinkSwIfIndex: chosen!.sw,
        hostSwIfIndex: hostSw,
        hostMode: hostless ? 'none' : hostMode,
      });
      if (!hostless) this.#watchRoutes(uplink, mtu, nextHops);
      return this.#ready;
    } catch (e) {
      // a VPP that died mid-call shows first as a refused or cut call; its exit follows a moment later
      if (!this.#exit && this.#exited && (e as { name?: string }).name !== 'VppStartError')
        await Promise.race([this.#exited, sleep(1000)]);
      const err =
        this.#exit &&
        (e as { name?: string }).name !== 'VppStartError' &&
        (e as { name?: string }).name !== 'VppExitedError'
          ? new VppExitedError('set-up', this.#exit.code, this.#exit.signal, { cause: e })
          : e;
      // VPP's last words (a binary that cannot run, a startup.conf it refuses, a crash)
      const errName = (err as { name?: string }).name;
      if (err instanceof Error && this.#stderr && (errName === 'VppStartError' || errName === 'VppExitedError'))
        err.message += `\n${this.#stderr.trim()}`;
      await this.#fail(err);
      throw err;
    } finally {
      vppNl?.close();
      host?.close();
    }
  }

  #throwIfVppGone(phase: string, cause: unknown): void {
    if (this.#exit) throw new VppExitedError(phase, this.#exit.code, this.#exit.signal, { cause });
  }

  async #createHostInterface(
    vpp: Vpp,
    host: NetlinkHandle,
    vppNl: NetlinkHandle,
    mode: 'tap' | 'veth',
    uplink: UplinkCapture,
    mtu: number,
    steps: Steps,
  ): Promise<number> {
    const c = this.config;
    const h = c.hostInterface;
    if (mode === 'tap') {
      const { sw_if_index } = await steps.run('host tap', () =>
        vpp.call('tap_create_v3', {
          use_random_mac: false,
          mac_address: VPP_SIDE_MAC,
          num_rx_queues: h.rxQueues,
          num_tx_queues: h.txQueues,
          rx_ring_sz: h.rxQueueSize,
          tx_ring_sz: h.txQueueSize,
          host_mtu_set: true,
          host_mtu_size: mtu,
          host_mac_addr_set: uplink.mac !== undefined,
          host_mac_addr: uplink.mac ?? '00:00:00:00:00:00',
          host_namespace_set: true,
          host_namespace: c.netns ?? `pid:${process.pid}`,
          host_if_name_set: true,
          host_if_name: uplink.name,
          tag: `host-${uplink.name}`,
        }),
      );
      return sw_if_index;
    }
    await steps.run('host veth', async () => {
      await host.link.add({
        kind: 'veth',
        name: uplink.name,
        mtu,
        ...(uplink.mac && { mac: uplink.mac }),
        peer: { name: h.vppSideName, netns: c.vpp.netns, mac: VPP_SIDE_MAC, mtu },
      });
      await vppNl.link.up(h.vppSideName);
    });
    const { sw_if_index } = await steps.run('host veth af_packet', () =>
      vpp.call('af_packet_create_v3', {
        mode: af_packet_mode.AF_PACKET_API_MODE_ETHERNET,
        hw_addr: VPP_SIDE_MAC,
        use_random_hw_addr: false,
        host_if_name: h.vppSideName,
        rx_frame_size: 0,
        tx_frame_size: 0,
        rx_frames_per_block: h.rxQueueSize,
        tx_frames_per_block: h.txQueueSize,
        flags: af_packet_flags.AF_PACKET_API_FLAG_VERSION_2,
        num_rx_queues: h.rxQueues,
        num_tx_queues: h.txQueues,
      }),
    );
    await steps.run('host veth mtu', () => vpp.call('sw_interface_set_mtu', { sw_if_index, mtu: [mtu, 0, 0, 0] }));
    return sw_if_index;
  }

  /** Routes to the pod CIDRs and service prefixes through the host interface, at MTU − encapsulation room. */
  async #addClusterRoutes(
    host: NetlinkHandle,
    uplink: UplinkCapture,
    mtu: number,
    steps: Steps,
  ): Promise<{ ip4?: string; ip6?: string }> {
    const c = this.config;
    const nh: { ip4?: string; ip6?: string } = {};
    for (const a of uplink.snapshot.addresses) {
      if (isLinkLocal(a.address)) continue;
      const v6 = a.address.includes(':');
      if ((v6 ? nh.ip6 : nh.ip4) !== undefined) continue;
      const hop = pickNextHop(a.address);
      if (hop) nh[v6 ? 'ip6' : 'ip4'] = hop;
    }
    for (const dst of [...c.podCidrs, ...c.servicePrefixes]) {
      const gw = dst.includes(':') ? nh.ip6 : nh.ip4;
      if (!gw) {
        this.#log?.warn?.({ dst }, 'vpp-manager: no address of that family on the uplink; no host route');
        continue;
      }
      await steps.run(`linux route ${dst}`, () =>
        host.route.replace({
          dst,
          gateway: gw,
          oif: uplink.name,
          protocol: 'static',
          metrics: { mtu: mtu - c.encapOverhead },
        }),
      );
    }
    return nh;
  }

  /** Re-adds the cluster routes when something deletes them, until the restore. */
  #watchRoutes(uplink: UplinkCapture, mtu: number, nh: { ip4?: string; ip6?: string }): void {
    const c = this.config;
    const want = new Set([...c.podCidrs, ...c.servicePrefixes]);
    if (want.size === 0) return;
    const ac = new AbortController();
    this.#watch = ac;
    void (async () => {
      let nl: NetlinkHandle | undefined;
      try {
        nl = await openNetlink({ netns: hostRef(c.netns) });
        for await (const ev of nl.subscribe({ route: true, snapshot: false, signal: ac.signal })) {
          if (ev.type !== 'route:del' || !want.has(ev.route.dst)) continue;
          const gw = ev.route.dst.includes(':') ? nh.ip6 : nh.ip4;
          if (!gw) continue;
          this.#log?.info?.({ dst: ev.route.dst }, 'vpp-manager: cluster route deleted, re-adding');
          await nl.route
            .replace({
              dst: ev.route.dst,
              gateway: gw,
              oif: uplink.name,
              protocol: 'static',
              metrics: { mtu: mtu - c.encapOverhead },
            })
            .catch((e: unknown) =>
              this.#log?.warn?.({ err: e, dst: ev.route.dst }, 'vpp-manager: cannot re-add cluster route'),
            );
        }
      } catch (e) {
        if (!ac.signal.aborted) this.#log?.warn?.({ err: e }, 'vpp-manager: route watch ended');
      } finally {
        nl?.close();
      }
    })();
  }

  async #spawnVpp(
    drivers: readonly UplinkDriver[],
    uplink: UplinkCapture,
    tap: boolean,
    signal?: AbortSignal,
  ): Promise<Vpp> {
    const c = this.config;
    const paths = vppPaths(c);
    await mkdir(paths.runtimeDir, { recursive: true });
    await mkdir(dirname(paths.apiSocket), { recursive: true });
    for (const f of [paths.apiSocket, paths.cliSocket, paths.statsSocket]) await unlink(f).catch(() => undefined);
    const conf = renderStartupConf(c, {
      drivers: drivers.map((d) => d.name),
      uplink,
      tap,
      ...(c.vpp.hugepages !== undefined && { hugepages: c.vpp.hugepages }),
    });
    await writeFile(paths.configFile, conf);
    const bin = c.vpp.bin ?? process.env.VPP_BIN ?? '/usr/bin/vpp';
    const child = spawn('ip', ['netns', 'exec', c.vpp.netns, bin, ...c.vpp.args, '-c', paths.configFile], {
      env: { ...process.env, ...c.vpp.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.#child = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      this.#stderr = (this.#stderr + d).slice(-4096);
    });
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, sig) => {
        this.#exit = { code, signal: sig };
        resolve(this.#exit);
        void this.#onVppExit();
      });
      child.once('error', (err) => {
        this.#exit ??= { code: null, signal: null };
        this.#stderr += `\n${err.message}`;
        resolve(this.#exit);
      });
    });
    // the pid goes to the state file at once: a manager that crashes while VPP boots leaves no orphan VPP
    if (this.#state && child.pid !== undefined) {
      this.#state.vppPid = child.pid;
      await this.#saveState().catch((e: unknown) =>
        this.#log?.warn?.({ err: e }, 'vpp-manager: state file not updated with the VPP pid'),
      );
    }
    await this.#checkpoint('vpp-spawned');
    // Wait for a connect that answers, not for the socket file (a killed VPP leaves it behind).
    const deadline = Date.now() + c.vpp.readyTimeoutMs;
    let last: unknown;
    for (;;) {
      signal?.throwIfAborted();
      if (this.#exit) throw new VppExitedError('start', this.#exit.code, this.#exit.signal, { cause: last });
      if (existsSync(paths.apiSocket)) {
        try {
          const vpp = await connectVpp({ socket: paths.apiSocket, timeoutMs: 5000, name: 'vpp-manager' });
          try {
            await vpp.call('control_ping', {});
            this.#vpp = vpp;
            return vpp;
          } catch (e) {
            await vpp.close().catch(() => undefined);
            throw e;
          }
        } catch (e) {
          last = e;
        }
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new VppStartError(
          `VPP's API at ${paths.apiSocket} did not answer within ${c.vpp.readyTimeoutMs} ms`,
          paths.apiSocket,
          c.vpp.readyTimeoutMs,
          { cause: last },
        );
      }
      await sleep(20);
    }
  }

  async #onVppExit(): Promise<void> {
    // VPP is gone: whatever the status, the uplink goes back (start() reports its own failure).
    if (this.#status === 'ready') {
      this.#log?.warn?.({ ...this.#exit }, 'vpp-manager: VPP exited');
      await this.#restore();
    }
  }

  async #fail(err: unknown): Promise<void> {
    const e = err as { name?: string; code?: string; message?: string };
    await this.#killVpp(0);
    await this.#restore();
    await this.#setStatus('failed', {
      error: { name: e.name ?? 'Error', ...(e.code && { code: e.code }), message: e.message ?? String(err) },
    });
  }

  async #killVpp(graceMs: number): Promise<void> {
    const child = this.#child;
    if (!child || this.#exit || !this.#exited) return;
    if (graceMs > 0) {
      child.kill('SIGINT');
      const done = await Promise.race([this.#exited, sleep(graceMs).then(() => undefined)]);
      if (done) return;
    }
    child.kill('SIGKILL');
    await this.#exited;
  }

  #restore(): Promise<RestoreSummary> {
    this.#restoring ??= (async () => {
      const pre: PhaseTiming[] = [];
      const t = async (phase: string, fn: () => Promise<unknown>): Promise<void> => {
        const t0 = performance.now();
        await fn();
        pre.push({ phase, ms: performance.now() - t0 });
      };
      this.#watch?.abort();
      const client = this.#vpp;
      this.#vpp = undefined;
      // the API client closes in the background: VPP is gone or going, nothing waits on its answer
      void client?.close().catch(() => undefined);
      await t('status-restoring', () => this.#setStatus('restoring'));
      // a VPP still running (stop() on a failed start) must not hold the uplink while it is moved back
      await t('stop-vpp', () => this.#killVpp(0));
      let summary: RestoreSummary = { ok: true, failed: [], timings: [] };
      if (this.#state) {
        summary = await restoreUplink(this.#state, {
          stateFile: this.config.stateFile,
          ...(this.#log && { logger: this.#log }),
        });
      }
      summary = { ...summary, timings: [...pre, ...summary.timings], ...(this.#exit && { vppExit: this.#exit }) };
      if (this.#status !== 'failed')
        await this.#setStatus(
          summary.ok ? 'restored' : 'failed',
          summary.ok ? {} : { error: { name: 'RestoreError', code: 'ERESTORE', message: summary.failed.join('; ') } },
        );
      this.#resolveDone(summary);
      return summary;
    })();
    return this.#restoring;
  }

  async stop(): Promise<RestoreSummary> {
    if (this.#status === 'idle') {
      const s: RestoreSummary = { ok: true, failed: [], timings: [] };
      this.#resolveDone(s);
      return s;
    }
    await this.#killVpp(this.config.vpp.stopGraceMs);
    return this.#restore();
  }
}

/**
 * Creates a manager for one uplink; nothing is touched until `start()`.
 * @throws ConfigError naming every refused field
 */
export function createVppManager(init: VppManagerInit, components: VppManagerComponents = {}): VppManager {
  return new Manager(init, components);
}
