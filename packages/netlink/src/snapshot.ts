/**
 * Snapshot and restore of one interface's Linux configuration: link state (MTU, MAC, up, promisc, alias,
 * txqueuelen), addresses, and every route through it in every table. A snapshot names interfaces, never
 * indexes, so it restores onto a link that was deleted and recreated; it is plain JSON (no bigint).
 */
import { AddressApi, addressToSpec, type Address, type AddressSpec } from './address.js';
import { LinkNotFoundError } from './errors.js';
import { LinkApi, type LinkSetInit } from './link.js';
import { NexthopApi, type Nexthop, type NexthopSpec } from './nexthop.js';
import { RouteApi, encodeRoute, routeToSpec, type Route, type RouteNexthopSpec, type RouteSpec } from './route.js';
import type { BatchItemResult, CallOptions, RtnlTransport } from './transport.js';
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

/** A nexthop object a route of the interface uses (`nhid`), its interface by name. */
export type SnapshotNexthopObject = Omit<NexthopSpec, 'oif' | 'resilient'> & { readonly oif?: string };

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
  /** The nexthop objects the routes use (`nhid`), group members before their groups; absent when none. */
  readonly nexthops?: readonly SnapshotNexthopObject[];
}

/** One step of `restore`: what it changed or tried to. */
export interface RestoreItem {
  readonly kind: 'link' | 'address' | 'nexthop' | 'route';
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
  const { validLifetime, preferredLifetime: _preferred, ...rest } = a;
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
      ? Object.fromEntries(
          Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : val,
  );
}

/** A route's identity: everything but the seconds left before it expires (expiring or not still counts). */
function routeKey(r: SnapshotRoute): string {
  if (r.expires === undefined) return canonical(r);
  const { expires: _expires, ...rest } = r;
  return canonical({ ...rest, expiring: true });
}

function toSnapshotNexthop(n: Nexthop, names: ReadonlyMap<number, string>): SnapshotNexthopObject | undefined {
  const out: Record<string, unknown> = { id: n.id };
  if (n.group) {
    out['group'] = n.group.map((g) => ({ id: g.id, weight: g.weight }));
    if (typeof n.groupType === 'string') out['groupType'] = n.groupType;
  } else {
    if (n.family !== undefined) out['family'] = n.family;
    if (n.blackhole) out['blackhole'] = true;
    else {
      if (n.gateway !== undefined) out['gateway'] = n.gateway;
      if (n.oif !== undefined && n.oif > 0 && !n.fdb) {
        const name = names.get(n.oif);
        if (name === undefined) return undefined;
        out['oif'] = name;
      }
      if (n.flags.includes('onlink')) out['onlink'] = true;
    }
    if (n.fdb) out['fdb'] = true;
  }
  out['protocol'] = n.protocol;
  return out as SnapshotNexthopObject;
}

/** The nexthop objects `routes` use, members before their groups; ids the kernel no longer has are left out. */
async function listNexthops(
  nl: RtnlTransport,
  routes: readonly Route[],
  names: ReadonlyMap<number, string>,
  opts: CallOptions,
): Promise<SnapshotNexthopObject[]> {
  const api = new NexthopApi(nl);
  const out = new Map<number, SnapshotNexthopObject>();
  const visit = async (id: number, depth: number): Promise<void> => {
    if (out.has(id) || depth > 2) return;
    let n: Nexthop;
    try {
      n = await api.get(id, opts);
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ENOENT' || (e as { code?: unknown }).code === 'ENODEV') return;
      throw e;
    }
    for (const g of n.group ?? []) await visit(g.id, depth + 1);
    const s = toSnapshotNexthop(n, names);
    if (s) out.set(id, s);
  };
  for (const r of routes) if (r.nhid !== undefined) await visit(r.nhid, 0);
  return [...out.values()];
}

function describeNexthop(n: SnapshotNexthopObject): string {
  if (n.group) return `id ${n.id} group ${n.group.map((g) => `${g.id},${g.weight ?? 1}`).join('/')}`;
  if (n.blackhole) return `id ${n.id} blackhole`;
  return `id ${n.id}${n.gateway !== undefined ? ` via ${n.gateway}` : ''}${n.oif !== undefined ? ` dev ${n.oif}` : ''}`;
}

function describeRoute(r: SnapshotRoute): string {
  let s = `${r.dst} table ${String(r.table ?? 'main')}`;
  if (r.type !== undefined && r.type !== 'unicast') s = `${String(r.type)} ${s}`;
  if (r.gateway !== undefined) s += ` via ${r.gateway}`;
  if (r.oif !== undefined) s += ` dev ${r.oif}`;
  if (r.multipath) s += ` multipath ${r.multipath.map((h) => `${h.gateway ?? ''}@${h.oif ?? ''}`).join(',')}`;
  if (r.nhid !== undefined) s += ` nhid ${r.nhid}`;
  if (r.src !== undefined) s += ` from ${r.src}`;
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
  const raw = await listRoutes(nl, link.index, o);
  for (const r of raw) {
    const s = toSnapshotRoute(r, names);
    if (s) routes.push(s);
  }
  routes.sort(routeOrder);
  const nexthops = await listNexthops(nl, raw, names, o);
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
    ...(nexthops.length > 0 && { nexthops }),
  };
}

function checkSnapshot(s: unknown): InterfaceSnapshot {
  const snap = s as InterfaceSnapshot;
  if (snap === null || typeof snap !== 'object') throw new InvalidArgumentError('snapshot', s, 'must be an object');
  if (snap.version !== SNAPSHOT_VERSION) {
    throw new InvalidArgumentError('snapshot.version', snap.version, `must be ${SNAPSHOT_VERSION}`);
  }
  checkLinkName('snapshot.ifname', snap.ifname);
  if (snap.link === null || typeof snap.link !== 'object')
    throw new InvalidArgumentError('snapshot.link', snap.link, 'must be an object');
  if (!Array.isArray(snap.addresses))
    throw new InvalidArgumentError('snapshot.addresses', snap.addresses, 'must be an array');
  if (!Array.isArray(snap.routes)) throw new InvalidArgumentError('snapshot.routes', snap.routes, 'must be an array');
  if (snap.nexthops !== undefined && !Array.isArray(snap.nexthops)) {
    throw new InvalidArgumentError('snapshot.nexthops', snap.nexthops, 'must be an array');
  }
  return snap;
}

/** Shortens finite lifetimes by the seconds elapsed since capture; `undefined` when the address expired. */
function ageAddress(a: SnapshotAddress, elapsed: number): SnapshotAddress | undefined {
  if (a.validLifetime === undefined || a.validLifetime === 'forever' || elapsed <= 0) return a;
  const valid = a.validLifetime - elapsed;
  if (valid <= 0) return undefined;
  const pref =
    a.preferredLifetime === undefined || a.preferredLifetime === 'forever'
      ? valid
      : Math.max(0, a.preferredLifetime - elapsed);
  return { ...a, validLifetime: valid, preferredLifetime: Math.min(pref, valid) };
}

/** Shortens a route's expiry by the seconds elapsed since capture; `undefined` when it ran out. */
function ageRoute(r: SnapshotRoute, elapsed: number): SnapshotRoute | undefined {
  if (r.expires === undefined || elapsed <= 0) return r;
  const left = r.expires - elapsed;
  return left > 0 ? { ...r, expires: left } : undefined;
}

const hasGateway = (r: SnapshotRoute): boolean =>
  r.gateway !== undefined || r.multipath !== undefined || r.nhid !== undefined;

/** A snapshot route with its interface names turned into indexes; a name the namespace lacks throws. */
function routeByIndex(r: SnapshotRoute, index: ReadonlyMap<string, number>): RouteSpec {
  const idx = (n: string): number => {
    const i = index.get(n);
    if (i === undefined) throw new LinkNotFoundError(n);
    return i;
  };
  const { oif, multipath, ...rest } = r;
  return {
    ...rest,
    ...(oif !== undefined && { oif: idx(oif) }),
    ...(multipath !== undefined && {
      multipath: multipath.map(({ oif: h, ...hop }) => (h === undefined ? hop : { ...hop, oif: idx(h) })),
    }),
  };
}

/**
 * Makes the interface named in the snapshot match it again, in order: link settings (MTU, MAC,
 * txqueuelen, alias, promisc), up/down, addresses (removing those the snapshot lacks, then adding the
 * missing ones), the nexthop objects its routes use, then routes (removing routes through the interface
 * the snapshot lacks, then adding direct routes before gateway, nexthop and multipath routes, retrying while
 * any succeed). The kernel's own routes (protocol `kernel`) that are missing once the addresses are in
 * place are added back as they were; expiring routes get the lifetime left. Never throws for a refused
 * or unsendable item: every step is reported.
 * @throws InvalidArgumentError for a malformed snapshot, LinkNotFoundError when the interface does not exist
 */
export async function restore(
  nl: RtnlTransport,
  snap: InterfaceSnapshot,
  opts: RestoreOptions = {},
): Promise<RestoreReport> {
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
  if (want.txqueuelen !== (link.txqlen ?? 0))
    await setLink(`txqueuelen ${want.txqueuelen}`, { txqlen: want.txqueuelen });
  if ((want.alias ?? '') !== (link.alias ?? ''))
    await setLink(`alias '${want.alias ?? ''}'`, { alias: want.alias ?? '' });
  if (want.promisc !== link.promisc) await setLink(`promisc ${want.promisc ? 'on' : 'off'}`, { promisc: want.promisc });
  if (want.up !== up) await setLink(want.up ? 'up' : 'down', { up: want.up });
  const index = link.index;
  const addressApi = new AddressApi(nl);
  const routeApi = new RouteApi(nl);

  // 2. Addresses: remove what the snapshot lacks, then add what is missing (in snapshot order).
  const wantAddr = new Map(s.addresses.map((a) => [addressKey(a), a]));
  const current = async (): Promise<Map<string, SnapshotAddress>> =>
    new Map(
      (await listAddresses(nl, index, o)).map((a) => {
        const sa = toSnapshotAddress(a, s.ifname);
        return [addressKey(sa), sa];
      }),
    );
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

  // 3. Nexthop objects the routes use (members before groups), then routes through the interface.
  const names = await linkNames(links, o);
  names.set(index, s.ifname);
  const indexOf = new Map([...names].map(([i, n]) => [n, i] as const));
  const nexthopApi = new NexthopApi(nl);
  for (const n of s.nexthops ?? []) {
    const what = describeNexthop(n);
    let cur: SnapshotNexthopObject | undefined;
    let present = false;
    try {
      const got = await nexthopApi.get(n.id, o);
      present = true;
      cur = toSnapshotNexthop(got, names);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code !== 'ENOENT' && code !== 'ENODEV') {
        failed.push({ kind: 'nexthop', action: 'add', what, error: e as Error });
        continue;
      }
    }
    if (cur !== undefined && canonical(cur) === canonical(n)) continue;
    await step({ kind: 'nexthop', action: present ? 'replace' : 'add', what }, () =>
      present ? nexthopApi.replace(n, o) : nexthopApi.add(n, o),
    );
  }

  const wantRoutes = new Map(s.routes.map((r) => [routeKey(r), r]));
  const haveRoutes = new Map<string, { r: Route; sr: SnapshotRoute }>();
  for (const r of await listRoutes(nl, index, o)) {
    const sr = toSnapshotRoute(r, names);
    if (sr) haveRoutes.set(routeKey(sr), { r, sr });
  }
  if (prune) {
    for (const [key, { r, sr }] of haveRoutes) {
      if (wantRoutes.has(key) || r.protocol === 'kernel') continue;
      await step({ kind: 'route', action: 'delete', what: describeRoute(sr) }, () =>
        routeApi.delete(routeToSpec(r), o),
      );
      haveRoutes.delete(key);
    }
  }
  let todo: { r: SnapshotRoute; spec: RouteSpec }[] = [];
  for (const [key, want] of wantRoutes) {
    if (haveRoutes.has(key)) continue;
    // IPv6 local, anycast and multicast routes of the local table are the kernel's per-address routes: it
    // installs them once the address is usable (DAD done, carrier up), with metric 0, which a request cannot
    // set (0 means 1024 there). Adding them here would race it and leave a duplicate.
    if (want.protocol === 'kernel' && want.family === 'inet6' && want.type !== 'unicast') {
      skipped.push({
        kind: 'route',
        action: 'skip',
        what: describeRoute(want),
        reason: 'kernel route: the kernel adds it once the address is usable',
      });
      continue;
    }
    const r = ageRoute(want, Number.isFinite(elapsed) ? elapsed : 0);
    if (!r) {
      skipped.push({
        kind: 'route',
        action: 'skip',
        what: describeRoute(want),
        reason: 'it expired since the snapshot',
      });
      continue;
    }
    // A route that cannot be sent (bad field, interface gone) is one failed item, never the whole restore.
    try {
      const spec = routeByIndex(r, indexOf);
      encodeRoute('add', spec);
      todo.push({ r, spec });
    } catch (e) {
      failed.push({ kind: 'route', action: 'add', what: describeRoute(r), error: e as Error });
    }
  }
  const sendAll = async (op: 'add' | 'replace', items: readonly { spec: RouteSpec }[]): Promise<BatchItemResult[]> => {
    try {
      return await routeApi.batch(
        op,
        items.map((t) => t.spec),
        o,
      );
    } catch (e) {
      if ((e as { name?: unknown }).name === 'AbortError' || o.signal?.aborted) throw e;
      return items.map((_t, i) => ({ ok: false, index: i, error: e as Error }) as BatchItemResult);
    }
  };
  // Direct routes first (the kernel's prefix routes among them), so that gateways resolve; then retry
  // what failed while anything succeeds.
  todo.sort((a, b) => Number(hasGateway(a.r)) - Number(hasGateway(b.r)));
  let lastErrors = new Map<SnapshotRoute, Error>();
  while (todo.length > 0) {
    const results = await sendAll('add', todo);
    const next: typeof todo = [];
    const errors = new Map<SnapshotRoute, Error>();
    const clashes: typeof todo = [];
    results.forEach((res, i) => {
      const t = todo[i]!;
      if (res.ok) applied.push({ kind: 'route', action: 'add', what: describeRoute(t.r) });
      else if ((res.error as { code?: unknown }).code === 'EEXIST') clashes.push(t);
      else {
        next.push(t);
        errors.set(t.r, res.error);
      }
    });
    // EEXIST: a route with the same key that does not go through this interface (e.g. the surviving path
    // of a multipath route) holds the slot; the snapshot's route replaces it.
    if (clashes.length > 0) {
      const replaced = await sendAll('replace', clashes);
      replaced.forEach((res, i) => {
        const r = clashes[i]!.r;
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
export function diffSnapshots(
  a: InterfaceSnapshot,
  b: InterfaceSnapshot,
  o: { lifetimeSlack?: number } = {},
): SnapshotDifference[] {
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
    else if (
      addressShape(x) !== addressShape(y) ||
      !life(x.validLifetime, y.validLifetime) ||
      !life(x.preferredLifetime, y.preferredLifetime)
    ) {
      out.push({ path: `addresses[${k}]`, a: x, b: y });
    }
  }
  for (const [k, y] of bm) if (!am.has(k)) out.push({ path: `addresses[${k}]`, a: undefined, b: y });
  const arm = new Map(a.routes.map((r) => [routeKey(r), r]));
  const brm = new Map(b.routes.map((r) => [routeKey(r), r]));
  for (const [k, r] of arm) {
    const y = brm.get(k);
    if (!y) out.push({ path: `routes[${describeRoute(r)}]`, a: r, b: undefined });
    else if (!life(r.expires, y.expires))
      out.push({ path: `routes[${describeRoute(r)}].expires`, a: r.expires, b: y.expires });
  }
  for (const [k, r] of brm) if (!arm.has(k)) out.push({ path: `routes[${describeRoute(r)}]`, a: undefined, b: r });
  const an = new Map((a.nexthops ?? []).map((n) => [n.id, n]));
  const bn = new Map((b.nexthops ?? []).map((n) => [n.id, n]));
  for (const [id, n] of an) {
    const y = bn.get(id);
    if (!y || canonical(n) !== canonical(y)) out.push({ path: `nexthops[${id}]`, a: n, b: y });
  }
  for (const [id, y] of bn) if (!an.has(id)) out.push({ path: `nexthops[${id}]`, a: undefined, b: y });
  return out;
}
