/**
 * Snapshot and restore of one interface's Linux configuration: link state (MTU, MAC, up, promisc, alias,
 * txqueuelen), addresses, and every route through it in every table. A snapshot names interfaces, never
 * indexes, so it restores onto a link that was deleted and recreated; it is plain JSON (no bigint).
 */
import { AddressApi, addressToSpec, type Address, type AddressSpec } from './address.js';
import { LinkApi, type LinkSetInit } from './link.js';
import { RouteApi, routeToSpec, type Route, type RouteNexthopSpec, type RouteSpec } from './route.js';
import type { CallOptions, RtnlTransport } from './transport.js';
import { InvalidArgumentError, checkLinkName, sig } from './validate.js';

/** Format version written into every snapshot. */
export const SNAPSHOT_VERSION = 1;

/** Link-level state of the interface. */
export interface LinkSnapshot {
  readonly mtu: number;
  /** Hardware address, lower-case hex with colons; absent for links without one (tun). */
  readonly mac?: string;
  /** Administrative state (IFF_UP). */
  readonly up: boolean;
  /** Promiscuous mode as set by users (IFF_PROMISC). */
  readonly promisc: boolean;
  readonly alias?: string;
  readonly txqueuelen: number;
}

/** An address of the interface (an `AddressSpec` without `link`); finite lifetimes are as seen at capture. */
export type SnapshotAddress = Omit<AddressSpec, 'link'>;

/** One path of a multipath route, its interface by name. */
export type SnapshotNexthop = Omit<RouteNexthopSpec, 'oif'> & { readonly oif?: string };

/** A route through the interface (a `RouteSpec` whose interfaces are names). */
export type SnapshotRoute = Omit<RouteSpec, 'oif' | 'multipath'> & {
  readonly oif?: string;
  readonly multipath?: readonly SnapshotNexthop[];
};

/** One interface's configuration, serialisable with `JSON.stringify`. */
export interface InterfaceSnapshot {
  readonly version: typeof SNAPSHOT_VERSION;
  readonly ifname: string;
  /** ISO time of capture: finite address lifetimes are shortened by the time elapsed since. */
  readonly capturedAt: string;
  readonly link: LinkSnapshot;
  /** IPv4 in kernel order (primaries before their secondaries), then IPv6 sorted. */
  readonly addresses: readonly SnapshotAddress[];
  /** Sorted by family, table, destination, metric. `protocol: 'kernel'` routes are the kernel's own. */
  readonly routes: readonly SnapshotRoute[];
}

/** One step of `restore`: what it changed or tried to. */
export interface RestoreItem {
  readonly kind: 'link' | 'address' | 'route';
  readonly action: 'set' | 'add' | 'replace' | 'delete' | 'skip';
  /** Human-readable target: `mtu 1400`, `10.0.0.1/24`, `10.2.0.0/16 table 254 via 10.0.0.2`. */
  readonly what: string;
  /** The refusal, for failed items. */
  readonly error?: Error;
  /** Why an item was skipped. */
  readonly reason?: string;
}

/** What `restore` did, item by item. `ok` when nothing failed. */
export interface RestoreReport {
  readonly ok: boolean;
  /** Index of the interface the snapshot was restored onto. */
  readonly ifindex: number;
  readonly applied: readonly RestoreItem[];
  readonly failed: readonly RestoreItem[];
  readonly skipped: readonly RestoreItem[];
}

/** Options of {@link restore}. */
export interface RestoreOptions extends CallOptions {
  /** Delete addresses and (non-kernel) routes through the interface that the snapshot lacks. Default true. */
  readonly prune?: boolean;
  /** Clock for lifetime adjustment (ms since the epoch); default `Date.now`. */
  readonly now?: () => number;
}

/** Index → name of every link of the namespace (routes name their interfaces in a snapshot). */
async function linkNames(links: LinkApi, opts: CallOptions): Promise<Map<number, string>> {
  return new Map((await links.list({}, opts)).map((l) => [l.index, l.name]));
}

/** `addr/len`, with the peer when there is one: the identity of an address on its link. */
function addressKey(a: SnapshotAddress): string {
  return a.peer === undefined ? a.address : `${a.address} peer ${a.peer}`;
}

/** Everything of an address except lifetime values (finite or not still counts). */
function addressShape(a: SnapshotAddress): string {
  const { validLifetime, preferredLifetime, ...rest } = a;
  return canonical({ ...rest, finite: validLifetime !== undefined && validLifetime !== 'forever' });
}

function toSnapshotAddress(a: Address, ifname: string): SnapshotAddress {
  const { link: _link, ...spec } = addressToSpec(a);
  if (spec.label === ifname) {
    const { label: _label, ...rest } = spec;
    return rest;
  }
  return spec;
}

function toSnapshotRoute(r: Route, names: ReadonlyMap<number, string>): SnapshotRoute | undefined {
  const spec = routeToSpec(r);
  const name = (i: string | number | undefined): string | undefined | null =>
    i === undefined ? undefined : typeof i === 'string' ? i : (names.get(i) ?? null);
  const oif = name(spec.oif);
  if (oif === null) return undefined;
  const { oif: _oif, multipath, ...rest } = spec;
  const out: Record<string, unknown> = { ...rest };
  if (oif !== undefined) out['oif'] = oif;
  if (multipath !== undefined) {
    const hops: SnapshotNexthop[] = [];
    for (const h of multipath) {
      const { oif: hopOif, ...hop } = h;
      const n = name(hopOif);
      if (n === null) return undefined;
      hops.push(n === undefined ? hop : { ...hop, oif: n });
    }
    out['multipath'] = hops;
  }
  if (rest.metrics !== undefined && Object.keys(rest.metrics).length === 0) delete out['metrics'];
  return out as SnapshotRoute;
}

/** JSON with sorted keys, for identity and comparison. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val !== null && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : val,
  );
}

function describeRoute(r: SnapshotRoute): string {
  let s = `${r.dst} table ${String(r.table ?? 'main')}`;
  if (r.type !== undefined && r.type !== 'unicast') s = `${String(r.type)} ${s}`;
  if (r.gateway !== undefined) s += ` via ${r.gateway}`;
  if (r.oif !== undefined) s += ` dev ${r.oif}`;
  if (r.multipath) s += ` multipath ${r.multipath.map((h) => `${h.gateway ?? ''}@${h.oif ?? ''}`).join(',')}`;
  if (r.metric !== undefined) s += ` metric ${r.metric}`;
  return s;
}

const familyOrder = (f: string | undefined): number => (f === 'inet6' ? 1 : 0);

function routeOrder(a: SnapshotRoute, b: SnapshotRoute): number {
  return (
    familyOrder(a.family) - familyOrder(b.family) ||
    Number(a.table ?? 254) - Number(b.table ?? 254) ||
    (a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : 0) ||
    (a.metric ?? 0) - (b.metric ?? 0) ||
    (canonical(a) < canonical(b) ? -1 : 1)
  );
}

async function listRoutes(nl: RtnlTransport, ifindex: number, opts: CallOptions): Promise<Route[]> {
  const routes = new RouteApi(nl);
  const out: Route[] = [];
  for (const family of ['inet', 'inet6'] as const) {
    for await (const r of routes.list({ family, table: 'all', oif: ifindex }, opts)) out.push(r);
  }
  return out;
}

async function listAddresses(nl: RtnlTransport, ifindex: number, opts: CallOptions): Promise<Address[]> {
  const out: Address[] = [];
  for await (const a of new AddressApi(nl).list({ link: ifindex }, opts)) out.push(a);
  return out;
}

function sortAddresses(list: SnapshotAddress[]): SnapshotAddress[] {
  const v4 = list.filter((a) => !a.address.includes(':'));
  const v6 = list
    .filter((a) => a.address.includes(':'))
    .sort((a, b) => (addressKey(a) < addressKey(b) ? -1 : addressKey(a) > addressKey(b) ? 1 : 0));
  return [...v4, ...v6];
}

/**
 * Captures one interface's configuration: link state, addresses, and every route through it (as `oif`
 * or as a path of a multipath route) in every table of both families.
 * @throws InvalidArgumentError (field `ifname`), LinkNotFoundError, NetlinkError
 */
export async function snapshot(nl: RtnlTransport, ifname: string, opts: CallOptions = {}): Promise<InterfaceSnapshot> {
  checkLinkName('ifname', ifname);
  const o = sig(opts);
  const links = new LinkApi(nl);
  const link = await links.get(ifname, o);
  const names = await linkNames(links, o);
  names.set(link.index, ifname);
  const addresses = sortAddresses((await listAddresses(nl, link.index, o)).map((a) => toSnapshotAddress(a, ifname)));
  const routes: SnapshotRoute[] = [];
  for (const r of await listRoutes(nl, link.index, o)) {
    const s = toSnapshotRoute(r, names);
    if (s) routes.push(s);
  }
  routes.sort(routeOrder);
  return {
    version: SNAPSHOT_VERSION,
    ifname,
    capturedAt: new Date().toISOString(),
    link: {
      mtu: link.mtu,
      ...(link.mac !== undefined && { mac: link.mac }),
      up: link.up,
      promisc: link.promisc,
      ...(link.alias !== undefined && link.alias !== '' && { alias: link.alias }),
      txqueuelen: link.txqlen ?? 0,
    },
    addresses,
    routes,
  };
}

function checkSnapshot(s: unknown): InterfaceSnapshot {
  const snap = s as InterfaceSnapshot;
  if (snap === null || typeof snap !== 'object') throw new InvalidArgumentError('snapshot', s, 'must be an object');
  if (snap.version !== SNAPSHOT_VERSION) {
    throw new InvalidArgumentError('snapshot.version', snap.version, `must be ${SNAPSHOT_VERSION}`);
  }
  checkLinkName('snapshot.ifname', snap.ifname);
  if (snap.link === null || typeof snap.link !== 'object') throw new InvalidArgumentError('snapshot.link', snap.link, 'must be an object');
  if (!Array.isArray(snap.addresses)) throw new InvalidArgumentError('snapshot.addresses', snap.addresses, 'must be an array');
  if (!Array.isArray(snap.routes)) throw new InvalidArgumentError('snapshot.routes', snap.routes, 'must be an array');
  return snap;
}

/** Shortens finite lifetimes by the seconds elapsed since capture; `undefined` when the address expired. */
function ageAddress(a: SnapshotAddress, elapsed: number): SnapshotAddress | undefined {
  if (a.validLifetime === undefined || a.validLifetime === 'forever' || elapsed <= 0) return a;
  const valid = a.validLifetime - elapsed;
  if (valid <= 0) return undefined;
  const pref = a.preferredLifetime === undefined || a.preferredLifetime === 'forever' ? valid : Math.max(0, a.preferredLifetime - elapsed);
  return { ...a, validLifetime: valid, preferredLifetime: Math.min(pref, valid) };
}

const hasGateway = (r: SnapshotRoute): boolean => r.gateway !== undefined || r.multipath !== undefined;

/**
 * Makes the interface named in the snapshot match it again, in order: link settings (MTU, MAC,
 * txqueuelen, alias, promisc), up/down, addresses (removing those the snapshot lacks, then adding the
 * missing ones), then routes (removing routes through the interface the snapshot lacks, then adding
 * direct routes before gateway and multipath routes, retrying while any succeed). Routes with protocol
 * `kernel` are the kernel's own (they follow addresses and link state) and are not added. Never throws
 * for a refused item: every step is reported.
 * @throws InvalidArgumentError for a malformed snapshot, LinkNotFoundError when the interface does not exist
 */
export async function restore(nl: RtnlTransport, snap: InterfaceSnapshot, opts: RestoreOptions = {}): Promise<RestoreReport> {
  const s = checkSnapshot(snap);
  const o = sig(opts);
  const prune = opts.prune ?? true;
  const applied: RestoreItem[] = [];
  const failed: RestoreItem[] = [];
  const skipped: RestoreItem[] = [];
  const step = async (item: Omit<RestoreItem, 'error'>, run: () => Promise<unknown>): Promise<boolean> => {
    try {
      await run();
      applied.push(item);
      return true;
    } catch (e) {
      if ((e as { name?: unknown }).name === 'AbortError' || o.signal?.aborted) throw e;
      failed.push({ ...item, error: e as Error });
      return false;
    }
  };

  // 1. Link settings, then state.
  const links = new LinkApi(nl);
  const link = await links.get(s.ifname, o);
  const want = s.link;
  const setLink = (what: string, changes: LinkSetInit): Promise<boolean> =>
    step({ kind: 'link', action: 'set', what }, () => links.set(link.index, changes, o));
  let up = link.up;
  if (want.mac !== undefined && want.mac !== link.mac) {
    if (up && (await setLink('down (to change the MAC)', { up: false }))) up = false;
    await setLink(`mac ${want.mac}`, { mac: want.mac });
  }
  if (want.mtu !== link.mtu) await setLink(`mtu ${want.mtu}`, { mtu: want.mtu });
  if (want.txqueuelen !== (link.txqlen ?? 0)) await setLink(`txqueuelen ${want.txqueuelen}`, { txqlen: want.txqueuelen });
  if ((want.alias ?? '') !== (link.alias ?? '')) await setLink(`alias '${want.alias ?? ''}'`, { alias: want.alias ?? '' });
  if (want.promisc !== link.promisc) await setLink(`promisc ${want.promisc ? 'on' : 'off'}`, { promisc: want.promisc });
  if (want.up !== up) await setLink(want.up ? 'up' : 'down', { up: want.up });
  const index = link.index;
  const addressApi = new AddressApi(nl);
  const routeApi = new RouteApi(nl);

  // 2. Addresses: remove what the snapshot lacks, then add what is missing (in snapshot order).
  const wantAddr = new Map(s.addresses.map((a) => [addressKey(a), a]));
  const current = async (): Promise<Map<string, SnapshotAddress>> =>
    new Map((await listAddresses(nl, index, o)).map((a) => {
      const sa = toSnapshotAddress(a, s.ifname);
      return [addressKey(sa), sa];
    }));
  let have = await current();
  if (prune) {
    let removed = false;
    for (const [key, a] of have) {
      if (wantAddr.has(key)) continue;
      removed = true;
      await step({ kind: 'address', action: 'delete', what: key }, () => addressApi.delete({ ...a, link: index }, o));
    }
    if (removed) have = await current();
  }
  const elapsed = Math.floor(((opts.now ?? Date.now)() - Date.parse(s.capturedAt)) / 1000);
  for (const a of s.addresses) {
    const key = addressKey(a);
    const cur = have.get(key);
    if (cur && addressShape(cur) === addressShape(a)) continue;
    const aged = ageAddress(a, Number.isFinite(elapsed) ? elapsed : 0);
    if (!aged) {
      skipped.push({ kind: 'address', action: 'skip', what: key, reason: 'its lifetime ran out since the snapshot' });
      continue;
    }
    const action = cur ? 'replace' : 'add';
    // EEXIST on add: the kernel made it meanwhile (an IPv6 link-local address appears once the carrier is up).
    await step({ kind: 'address', action, what: key }, () =>
      cur
        ? addressApi.replace({ ...aged, link: index }, o)
        : addressApi.add({ ...aged, link: index }, o).catch((e: unknown) => {
            if ((e as { code?: unknown }).code !== 'EEXIST') throw e;
          }),
    );
  }

  // 3. Routes through the interface.
  const names = await linkNames(links, o);
  names.set(index, s.ifname);
  const wantRoutes = new Map(s.routes.map((r) => [canonical(r), r]));
  const haveRoutes = new Map<string, Route>();
  for (const r of await listRoutes(nl, index, o)) {
    const sr = toSnapshotRoute(r, names);
    if (sr) haveRoutes.set(canonical(sr), r);
  }
  if (prune) {
    for (const [key, r] of haveRoutes) {
      if (wantRoutes.has(key) || r.protocol === 'kernel') continue;
      const sr = toSnapshotRoute(r, names) as SnapshotRoute;
      await step({ kind: 'route', action: 'delete', what: describeRoute(sr) }, () => routeApi.delete(routeToSpec(r), o));
      haveRoutes.delete(key);
    }
  }
  let todo: SnapshotRoute[] = [];
  for (const [key, r] of wantRoutes) {
    if (haveRoutes.has(key)) continue;
    if (r.protocol === 'kernel') {
      skipped.push({ kind: 'route', action: 'skip', what: describeRoute(r), reason: 'kernel route: follows addresses and link state' });
      continue;
    }
    todo.push(r);
  }
  // Direct routes first, so that gateways resolve; then retry what failed while anything succeeds.
  todo.sort((a, b) => Number(hasGateway(a)) - Number(hasGateway(b)));
  let lastErrors = new Map<SnapshotRoute, Error>();
  while (todo.length > 0) {
    const results = await routeApi.batch('add', todo as RouteSpec[], o);
    const next: SnapshotRoute[] = [];
    const errors = new Map<SnapshotRoute, Error>();
    const clashes: SnapshotRoute[] = [];
    results.forEach((res, i) => {
      const r = todo[i] as SnapshotRoute;
      if (res.ok) applied.push({ kind: 'route', action: 'add', what: describeRoute(r) });
      else if ((res.error as { code?: unknown }).code === 'EEXIST') clashes.push(r);
      else {
        next.push(r);
        errors.set(r, res.error);
      }
    });
    // EEXIST: a route with the same key that does not go through this interface (e.g. the surviving path
    // of a multipath route) holds the slot; the snapshot's route replaces it.
    if (clashes.length > 0) {
      const replaced = await routeApi.batch('replace', clashes as RouteSpec[], o);
      replaced.forEach((res, i) => {
        const r = clashes[i] as SnapshotRoute;
        if (res.ok) applied.push({ kind: 'route', action: 'replace', what: describeRoute(r) });
        else failed.push({ kind: 'route', action: 'replace', what: describeRoute(r), error: res.error });
      });
    }
    lastErrors = errors;
    if (next.length === todo.length) break; // no progress
    todo = next;
  }
  for (const [r, error] of lastErrors) failed.push({ kind: 'route', action: 'add', what: describeRoute(r), error });
  return { ok: failed.length === 0, ifindex: index, applied, failed, skipped };
}

/** One difference between two snapshots: the JSON path and both values. */
export interface SnapshotDifference {
  readonly path: string;
  readonly a: unknown;
  readonly b: unknown;
}

/**
 * Compares two snapshots of the same interface: link state, addresses (finite lifetimes equal within
 * `lifetimeSlack` seconds, default 10) and routes; `capturedAt` is ignored. Empty when they match.
 */
export function diffSnapshots(a: InterfaceSnapshot, b: InterfaceSnapshot, o: { lifetimeSlack?: number } = {}): SnapshotDifference[] {
  const slack = o.lifetimeSlack ?? 10;
  const out: SnapshotDifference[] = [];
  if (a.ifname !== b.ifname) out.push({ path: 'ifname', a: a.ifname, b: b.ifname });
  for (const k of new Set([...Object.keys(a.link), ...Object.keys(b.link)])) {
    const va = (a.link as unknown as Record<string, unknown>)[k];
    const vb = (b.link as unknown as Record<string, unknown>)[k];
    if (va !== vb) out.push({ path: `link.${k}`, a: va, b: vb });
  }
  const life = (x: number | 'forever' | undefined, y: number | 'forever' | undefined): boolean =>
    typeof x === 'number' && typeof y === 'number' ? Math.abs(x - y) <= slack : x === y;
  const am = new Map(a.addresses.map((x) => [addressKey(x), x]));
  const bm = new Map(b.addresses.map((x) => [addressKey(x), x]));
  for (const [k, x] of am) {
    const y = bm.get(k);
    if (!y) out.push({ path: `addresses[${k}]`, a: x, b: undefined });
    else if (addressShape(x) !== addressShape(y) || !life(x.validLifetime, y.validLifetime) || !life(x.preferredLifetime, y.preferredLifetime)) {
      out.push({ path: `addresses[${k}]`, a: x, b: y });
    }
  }
  for (const [k, y] of bm) if (!am.has(k)) out.push({ path: `addresses[${k}]`, a: undefined, b: y });
  const ar = new Set(a.routes.map(canonical));
  const br = new Set(b.routes.map(canonical));
  for (const r of a.routes) if (!br.has(canonical(r))) out.push({ path: `routes[${describeRoute(r)}]`, a: r, b: undefined });
  for (const r of b.routes) if (!ar.has(canonical(r))) out.push({ path: `routes[${describeRoute(r)}]`, a: undefined, b: r });
  return out;
}
