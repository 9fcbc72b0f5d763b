/**
 * Capture of the uplink as Linux has it, and the state file that lets any later start undo what the
 * manager did: written atomically (temporary file, fsync, rename, fsync of the directory) before anything
 * changes, updated as the take-over advances, removed once the uplink is restored.
 */
import { existsSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { InterfaceSnapshot, Link, NetlinkHandle } from '@vectorplane/netlink';
import { SNAPSHOT_VERSION, snapshot } from '@vectorplane/netlink';
import { StateFileError, UplinkNoAddressError, UplinkNotFoundError } from './errors.js';

/** What kind of link the uplink is. */
export type UplinkKind = 'physical' | 'veth' | 'tun' | 'macvlan' | 'other';

type SnapshotRoute = InterfaceSnapshot['routes'][number];

/** The uplink as captured, with everything needed to put it back. */
export interface UplinkCapture {
  readonly name: string;
  readonly kind: UplinkKind;
  /** `link.kind` as the kernel reports it (`veth`, `macvlan`, undefined for a NIC). */
  readonly linkKind: string | undefined;
  /** Kernel driver from sysfs (`virtio_net`, `mlx5_core`), when visible from here. */
  readonly driver: string | undefined;
  /** PCI address from sysfs (`0000:00:04.0`), for PCI devices. */
  readonly pciAddress: string | undefined;
  readonly mac: string | undefined;
  readonly mtu: number;
  readonly up: boolean;
  readonly promisc: boolean;
  readonly numRxQueues: number;
  readonly numTxQueues: number;
  /** Addresses, routes (every table, both families) and link settings: what `restore` puts back. */
  readonly snapshot: InterfaceSnapshot;
}

/** Whether an address (`a/len`) is IPv6 link-local. */
export const isLinkLocal = (address: string): boolean => /^fe[89ab][0-9a-f]?:/i.test(address);

/** Routes in the order they can be added again: direct (connected) first, via a gateway next, default last. */
export function orderRoutes<
  R extends Pick<SnapshotRoute, 'dst' | 'gateway'> & { readonly multipath?: unknown; readonly nhid?: number },
>(routes: readonly R[]): R[] {
  const rank = (r: R): number => {
    if (r.dst === 'default' || r.dst === '0.0.0.0/0' || r.dst === '::/0') return 2;
    return r.gateway !== undefined || r.multipath !== undefined || r.nhid !== undefined ? 1 : 0;
  };
  return routes
    .map((r, i) => ({ r, i }))
    .sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i)
    .map((x) => x.r);
}

function classify(link: Link, pci: string | undefined): UplinkKind {
  if (link.kind === 'veth') return 'veth';
  if (link.kind === 'tun') return 'tun';
  if (link.kind === 'macvlan') return 'macvlan';
  if (link.kind === undefined && (pci !== undefined || existsSyncSafe(`/sys/class/net/${link.name}/device`)))
    return 'physical';
  return link.kind === undefined ? 'physical' : 'other';
}

function existsSyncSafe(p: string): boolean {
  try {
    return existsSync(p);
  } catch {
    return false;
  }
}

/** Driver and PCI address from sysfs; only meaningful for the namespace sysfs was mounted in. */
export function readSysfs(
  name: string,
  sysfsVisible: boolean,
): { driver: string | undefined; pciAddress: string | undefined } {
  if (!sysfsVisible) return { driver: undefined, pciAddress: undefined };
  let driver: string | undefined;
  let pciAddress: string | undefined;
  try {
    driver = basename(readlinkSync(`/sys/class/net/${name}/device/driver`));
  } catch {
    driver = undefined;
  }
  try {
    const dev = basename(realpathSync(`/sys/class/net/${name}/device`));
    if (/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i.test(dev)) pciAddress = dev;
  } catch {
    pciAddress = undefined;
  }
  return { driver, pciAddress };
}

/**
 * Reads the uplink from Linux: link state, addresses (v4, v6, link-local), every route through it with
 * gateways, metrics and tables (ordered so that they can be re-added), kind, queues, driver and PCI address.
 * @throws UplinkNotFoundError, UplinkNoAddressError (no IPv4 and no global IPv6 address)
 */
export async function captureUplink(
  nl: NetlinkHandle,
  name: string,
  opts: { netns?: string | undefined; signal?: AbortSignal; requireAddress?: boolean } = {},
): Promise<UplinkCapture> {
  const link = await nl.link.find(name, opts.signal ? { signal: opts.signal } : {});
  if (!link) throw new UplinkNotFoundError(name, opts.netns);
  const snap = await snapshot(nl, name, opts.signal ? { signal: opts.signal } : {});
  if ((opts.requireAddress ?? true) && !snap.addresses.some((a) => !isLinkLocal(a.address)))
    throw new UplinkNoAddressError(name);
  const { driver, pciAddress } = readSysfs(name, opts.netns === undefined);
  return {
    name,
    kind: classify(link, pciAddress),
    linkKind: link.kind,
    driver,
    pciAddress,
    mac: link.mac,
    mtu: link.mtu,
    up: link.up,
    promisc: link.promisc,
    numRxQueues: link.numRxQueues ?? 1,
    numTxQueues: link.numTxQueues ?? 1,
    snapshot: { ...snap, routes: orderRoutes(snap.routes) },
  };
}

/**
 * How far the take-over went: what a restore must undo. `creating-macvlan` is the intent written before the
 * manager creates a macvlan uplink: its `uplink` holds only the name (the macvlan is deleted, not restored).
 */
export type TakeoverPhase = 'creating-macvlan' | 'captured' | 'uplink-moved' | 'host-interface' | 'ready';

/** The capture recorded with the intent to create a macvlan uplink: its name and MAC, nothing to restore. */
export function plannedMacvlanCapture(name: string, mac: string | undefined): UplinkCapture {
  return {
    name,
    kind: 'macvlan',
    linkKind: 'macvlan',
    driver: undefined,
    pciAddress: undefined,
    mac,
    mtu: 0,
    up: true,
    promisc: false,
    numRxQueues: 1,
    numTxQueues: 1,
    snapshot: {
      version: SNAPSHOT_VERSION,
      ifname: name,
      capturedAt: new Date().toISOString(),
      link: { mtu: 0, up: true, promisc: false, txqueuelen: 0, ...(mac && { mac }) },
      addresses: [],
      routes: [],
    },
  };
}

/** The state file's content. */
export interface ManagerState {
  readonly version: 1;
  readonly pid: number;
  readonly startedAt: string;
  phase: TakeoverPhase;
  /** Namespace of the uplink and the host (undefined: the manager's own). */
  readonly hostNetns: string | undefined;
  readonly vppNetns: string;
  /** The manager created VPP's namespace (remove it on restore). */
  readonly createdVppNetns: boolean;
  readonly uplink: UplinkCapture;
  /** A macvlan the manager created as the uplink (deleted on restore instead of being restored). */
  readonly createdMacvlan?: { readonly parent: string };
  hostInterface?: { readonly mode: 'tap' | 'veth'; readonly vppSideName: string };
  vppPid?: number;
}

/**
 * Writes `data` as JSON to `path` atomically: a temporary file in the same directory, fsync, rename over
 * `path`, fsync of the directory. A reader sees the old file or the new one, never a torn one.
 * @throws StateFileError
 */
export async function writeJsonAtomic(path: string, data: unknown): Promise<void> {
  const dir = dirname(path);
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    await mkdir(dir, { recursive: true });
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(data, null, 2)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new StateFileError(path, `cannot write: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Reads the state file; undefined when there is none.
 * @throws StateFileError for a file that cannot be read or is not a state of this version.
 */
export async function readState(path: string): Promise<ManagerState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return undefined;
    throw new StateFileError(path, `cannot read: ${(e as Error).message}`, { cause: e });
  }
  let s: ManagerState;
  try {
    s = JSON.parse(text) as ManagerState;
  } catch (e) {
    throw new StateFileError(path, `not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (
    s === null ||
    typeof s !== 'object' ||
    s.version !== 1 ||
    typeof s.uplink?.name !== 'string' ||
    typeof s.uplink?.snapshot !== 'object'
  ) {
    throw new StateFileError(path, 'not a vpp-manager state (version 1 with an uplink snapshot)');
  }
  return s;
}

/** Removes the state file (after a complete restore). */
export async function removeState(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** Synchronous read for exit handlers. */
export function readStateSync(path: string): ManagerState | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ManagerState;
  } catch {
    return undefined;
  }
}
