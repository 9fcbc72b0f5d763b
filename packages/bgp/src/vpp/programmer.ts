import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import {
  DEFAULT_VXLAN_PORT,
  DEFAULT_VXLAN_VNI,
  DEFAULT_WIREGUARD_PORT,
  DEFAULT_WIREGUARD_PORT_V6,
  SW_IF_INDEX_NONE,
} from '../constants.js';
import { BgpAbortError, BgpInvalidConfigError, BgpRouteProgramError } from '../errors.js';
import { NOOP_LOGGER, type BgpLogger } from '../logger.js';
import {
  addressFamily,
  canonicalAddress,
  canonicalCidr,
  cidrContains,
  parseCidr,
  type Cidr,
  type IpFamily,
} from '../net.js';
import type { BgpVpp, ProviderKind, RouteTarget } from './types.js';

/**
 * What the programmer needs to know about a WireGuard peer node, for one family: Calico gives a node one key
 * (and device) per family, and VPP accepts a public key on one peer only.
 */
export interface WireguardPeerInfo {
  /**
   * The peer's public key for the family of the address asked about, base64 (Calico: `WireguardPublicKey` for
   * IPv4, `WireguardPublicKeyV6` for IPv6).
   */
  publicKey: string;
  /**
   * The peer's address on its wireguard device in that family, if it has one (Calico:
   * `IPv4WireguardInterfaceAddr` / `IPv6WireguardInterfaceAddr`). It is added to the peer's allowed IPs, so that
   * what the node's host sends from it is accepted; routes never go via it.
   */
  innerAddress?: string;
  /** Its UDP port (default 51820 for IPv4, 51821 for IPv6). */
  port?: number;
}

/** Options of {@link createRouteProgrammer}. */
export interface RouteProgrammerInit {
  /** The uplink: tunnels are unnumbered to it. */
  uplinkSwIfIndex: number;
  /** This node's underlay addresses, the tunnels' source (one per family used). */
  sourceAddress4?: string;
  sourceAddress6?: string;
  /** Prefixes (IP pools) whose next-hop routes in table 0 count as ours when found again by dumps. */
  ownedPrefixes?: string[];
  /** VXLAN VNI and UDP port (defaults 4096, 4789). */
  vxlanVni?: number;
  vxlanPort?: number;
  /**
   * WireGuard: this node's keys, and how to find a peer node's key. One wireguard interface per family (source:
   * our underlay address of that family), unnumbered to the uplink as Calico/VPP makes it; IPv4 routes go through
   * the IPv4 one to peers at their IPv4 address, IPv6 routes likewise.
   */
  wireguard?: {
    /** Private key of the IPv4 interface, base64 (see {@link generateWireguardKeyPair}). */
    privateKey: string;
    /** UDP port of the IPv4 interface (default 51820). */
    port?: number;
    /** Private key of the IPv6 interface; without it, IPv6 WireGuard routes are refused (a typed error). */
    privateKey6?: string;
    /** UDP port of the IPv6 interface (default 51821, Calico's `wireguardListeningPortV6`). */
    port6?: number;
    /** The wireguard info of the node with this underlay address (its family's key); undefined when not known. */
    peer(nodeAddress: string): WireguardPeerInfo | undefined;
  };
}

/** Collaborators of the programmer. */
export interface RouteProgrammerComponents {
  vpp: BgpVpp;
  logger?: BgpLogger;
}

/** Counters of the programmer. */
export interface RouteProgrammerStats {
  /** VPP requests sent (calls and dumps). */
  vppCalls: number;
  routes: number;
  tunnels: number;
}

/**
 * Programs learned routes into VPP through a provider each: FLAT (a route via the next hop), IPIP (a
 * tunnel per remote node), VXLAN (L3 tunnel per remote node, decap to ip4-input/ip6-input, route via the
 * peer's underlay address through the tunnel) or WireGuard (one interface, a peer per remote node with
 * its inner address and routed prefixes in its allowed IPs, route via the peer's inner address).
 * Tunnels are unnumbered to the uplink, admin-up, shared by all routes to the same node, and removed
 * with their last route.
 */
export interface RouteProgrammer {
  /**
   * Make VPP hold exactly `desired` (of the routes this programmer owns). The first call (and any after
   * {@link RouteProgrammer.forget}) reads VPP's tunnels and routes first and adopts what is already there,
   * so an agent restart creates no duplicates.
   */
  sync(
    desired: Iterable<RouteTarget>,
    options?: { signal?: AbortSignal },
  ): Promise<{ added: number; removed: number; kept: number; errors: BgpRouteProgramError[] }>;
  /** Add a route, or replace it when its next hop or provider changed (delete, then add). @throws BgpRouteProgramError */
  add(route: RouteTarget, options?: { signal?: AbortSignal }): Promise<void>;
  /** Remove a route (no-op when absent); its tunnel goes with its last route. @throws BgpRouteProgramError */
  remove(prefix: string, options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Apply many changes at once (`target` undefined: remove the prefix), up to `concurrency` VPP requests
   * in flight (default 64). Changes that share a prefix or a tunnel are applied in order; a failed change
   * is reported in `errors` and the others go on.
   */
  apply(
    changes: Iterable<{ prefix: string; target: RouteTarget | undefined }>,
    options?: { signal?: AbortSignal; concurrency?: number },
  ): Promise<{ added: number; removed: number; errors: Error[] }>;
  /** The routes programmed now. */
  routes(): RouteTarget[];
  /** Forget what was read from VPP (e.g. VPP restarted); the next sync dumps again. */
  forget(): void;
  readonly stats: RouteProgrammerStats;
}

/** Generate an X25519 key pair for WireGuard, both keys base64 as `wg genkey`/`wg pubkey` print them. */
export function generateWireguardKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const d = privateKey.export({ format: 'jwk' }).d!;
  const x = publicKey.export({ format: 'jwk' }).x!;
  return {
    privateKey: Buffer.from(d, 'base64url').toString('base64'),
    publicKey: Buffer.from(x, 'base64url').toString('base64'),
  };
}

/** The public key (base64) of a WireGuard private key (base64). */
export function wireguardPublicKey(privateKey: string): string {
  const d = Buffer.from(privateKey, 'base64');
  if (d.length !== 32)
    throw new BgpInvalidConfigError('wireguard', 'privateKey', privateKey, 'is not a base64 32-byte WireGuard key');
  // PKCS#8 DER of an X25519 private key: a fixed 16-byte prefix, then the 32 key bytes
  const der = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), d]);
  const pub = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
  return Buffer.from(pub.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
}

/** The Node field that carries a node's WireGuard public key for a family (Calico keeps one per family). */
const wgKeyField = (f: IpFamily): string => (f === 'ipv4' ? 'wireguardPublicKey' : 'wireguardPublicKeyV6');

function key32(b64: string, object: string, field: string): Uint8Array {
  const b = Buffer.from(b64 ?? '', 'base64');
  if (b.length !== 32) throw new BgpInvalidConfigError(object, field, b64, 'is not a base64 32-byte WireGuard key');
  return new Uint8Array(b);
}

const FIB_PATH_NH_PROTO = { ipv4: 0, ipv6: 1 } as const;
const PROVIDERS = new Set<string>(['flat', 'ipip', 'vxlan', 'wireguard']);

interface Tunnel {
  provider: Exclude<ProviderKind, 'flat'>;
  remote: string;
  swIfIndex: number;
  /** wireguard: the peer's index, its public key and the allowed IPs it was added with */
  wgPeerIndex?: number;
  wgKey?: string;
  wgAllowed?: string[];
  refs: Set<string>;
}

interface Programmed extends RouteTarget {
  /** The path as sent: via address, through interface (~0 for FLAT). */
  via: string;
  swIfIndex: number;
}

/** The family of a prefix already checked (canonical). */
function familyOf(prefix: string): IpFamily {
  return prefix.includes(':') ? 'ipv6' : 'ipv4';
}

function tunnelKey(provider: string, remote: string): string {
  return `${provider}|${remote}`;
}

/** Create a route programmer. @throws BgpInvalidConfigError for bad settings */
export function createRouteProgrammer(
  init: RouteProgrammerInit,
  components: RouteProgrammerComponents,
): RouteProgrammer {
  const log = components.logger ?? NOOP_LOGGER;
  const stats: RouteProgrammerStats = { vppCalls: 0, routes: 0, tunnels: 0 };
  const object = 'route programmer';
  if (init.sourceAddress4 !== undefined && addressFamily(init.sourceAddress4) !== 'ipv4')
    throw new BgpInvalidConfigError(object, 'sourceAddress4', init.sourceAddress4, 'is not an IPv4 address');
  if (init.sourceAddress6 !== undefined && addressFamily(init.sourceAddress6) !== 'ipv6')
    throw new BgpInvalidConfigError(object, 'sourceAddress6', init.sourceAddress6, 'is not an IPv6 address');
  const owned: Cidr[] = (init.ownedPrefixes ?? []).map((p, i) => {
    const c = parseCidr(p);
    if (!c) throw new BgpInvalidConfigError(object, `ownedPrefixes[${i}]`, p, 'is not a CIDR prefix');
    return c;
  });
  const vni = init.vxlanVni ?? DEFAULT_VXLAN_VNI;
  const vxPort = init.vxlanPort ?? DEFAULT_VXLAN_PORT;
  const wg = init.wireguard;
  const wgPrivate = new Map<IpFamily, Uint8Array>();
  if (wg) wgPrivate.set('ipv4', key32(wg.privateKey, object, 'wireguard.privateKey'));
  if (wg?.privateKey6 !== undefined) wgPrivate.set('ipv6', key32(wg.privateKey6, object, 'wireguard.privateKey6'));
  const wgPort = (f: IpFamily): number =>
    f === 'ipv4' ? (wg?.port ?? DEFAULT_WIREGUARD_PORT) : (wg?.port6 ?? DEFAULT_WIREGUARD_PORT_V6);
  const vpp = components.vpp;

  const routes = new Map<string, Programmed>();
  // keyed locks: operations on the same prefix or tunnel run in order, others run side by side. A
  // route's key is its (canonical) prefix; tunnel keys start with `t|` and cannot be mistaken for one.
  const locks = new Map<string, Promise<unknown>>();
  const settled = (): void => {};
  function withLocks<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    let prev: Promise<unknown>[] | undefined;
    for (const k of keys) {
      const p = locks.get(k);
      if (p) (prev ??= []).push(p);
    }
    // nothing ahead of us (the common case): start now, no extra promise or tick
    const run = prev ? Promise.all(prev).then(fn) : fn();
    const mine = run.then(settled, settled);
    for (const k of keys) locks.set(k, mine);
    void mine.then(() => {
      for (const k of keys) if (locks.get(k) === mine) locks.delete(k);
    });
    return run;
  }
  const lockKeys = (prefix: string, target: RouteTarget | undefined): string[] => {
    const cur = routes.get(prefix);
    if ((!cur || cur.provider === 'flat') && (!target || target.provider === 'flat')) return [prefix];
    const keys = [prefix];
    for (const x of [cur, target]) {
      if (!x || x.provider === 'flat') continue;
      keys.push(`t|${x.provider}|${x.nextHop}`);
      if (x.provider === 'wireguard') keys.push('t|wg-interface');
    }
    return keys;
  };
  let adopting: Promise<void> | undefined;
  const ensureAdopted = async (o: { signal?: AbortSignal }): Promise<void> => {
    if (adopted) return;
    adopting ??= adopt(o).finally(() => (adopting = undefined));
    await adopting;
  };
  const tunnels = new Map<string, Tunnel>();
  const wgSw = new Map<IpFamily, number>();
  const decapNext = new Map<IpFamily, number>();
  let adopted = false;

  const call: BgpVpp['call'] = ((name: string, req: unknown, o: unknown) => {
    stats.vppCalls++;
    return (vpp.call as (n: string, r: unknown, o: unknown) => Promise<unknown>)(name, req, o);
  }) as BgpVpp['call'];
  async function* dump(
    name: string,
    req: unknown,
    o: { signal?: AbortSignal },
  ): AsyncGenerator<Record<string, unknown>> {
    stats.vppCalls++;
    yield* (vpp.dump as (n: string, r: unknown, o: unknown) => AsyncIterable<Record<string, unknown>>)(name, req, o);
  }

  const sourceFor = (f: IpFamily): string => {
    const s = f === 'ipv4' ? init.sourceAddress4 : init.sourceAddress6;
    if (!s)
      throw new BgpInvalidConfigError(
        object,
        f === 'ipv4' ? 'sourceAddress4' : 'sourceAddress6',
        undefined,
        `is needed for ${f} tunnels`,
      );
    return s;
  };

  function path(family: IpFamily, via: string, swIfIndex: number) {
    return {
      sw_if_index: swIfIndex,
      table_id: 0,
      rpf_id: 0,
      weight: 1,
      preference: 0,
      type: 0,
      flags: 0,
      proto: FIB_PATH_NH_PROTO[family],
      nh: {
        address: family === 'ipv4' ? { ip4: via } : { ip6: via },
        via_label: 0,
        obj_id: 0,
        classify_table_index: SW_IF_INDEX_NONE,
      },
      n_labels: 0,
      label_stack: [],
    };
  }

  function routeAddDel(
    isAdd: boolean,
    prefix: string,
    family: IpFamily,
    via: string,
    swIfIndex: number,
    o: { signal?: AbortSignal },
  ): Promise<unknown> {
    return call(
      'ip_route_add_del',
      {
        is_add: isAdd,
        is_multipath: false,
        route: { table_id: 0, prefix, n_paths: 1, paths: [path(family, via, swIfIndex)] },
      } as never,
      o,
    );
  }

  /** VPP answered that the route is not there (e.g. removed by hand): nothing to remove. */
  const isNoSuchEntry = (err: Error & { errorName?: string }): boolean =>
    err.name === 'VppApiError' && err.errorName === 'VNET_API_ERROR_NO_SUCH_ENTRY';

  /**
   * A tunnel as Calico/VPP sets one up: unnumbered to the uplink, GSO (where VPP has it), cnat's per-interface
   * features (the return traffic of a translated Service flow comes back through the tunnel), admin up.
   */
  async function upUnnumbered(sw: number, o: { signal?: AbortSignal }) {
    await call(
      'sw_interface_set_unnumbered',
      { sw_if_index: init.uplinkSwIfIndex, unnumbered_sw_if_index: sw, is_add: true },
      o,
    );
    await call('feature_gso_enable_disable', { sw_if_index: sw, enable_disable: true }, o).catch((err: Error) => {
      if (err.name !== 'VppUnsupportedMessageError') throw err;
    });
    await call('feature_cnat_enable_disable', { sw_if_index: sw, enable_disable: true }, o).catch((err: Error) => {
      // a VPP without the cnat plugin has no Services to return through the tunnel either
      if (err.name !== 'VppUnsupportedMessageError') throw err;
      log.warn({ sw_if_index: sw }, 'VPP has no cnat plugin: the tunnel gets no cnat features');
    });
    await call('sw_interface_set_flags', { sw_if_index: sw, flags: 1 }, o);
  }

  async function vxlanDecapNext(f: IpFamily, o: { signal?: AbortSignal }): Promise<number> {
    let n = decapNext.get(f);
    if (n === undefined) {
      const r = await call(
        'add_node_next',
        f === 'ipv4'
          ? { node_name: 'vxlan4-input', next_name: 'ip4-input' }
          : { node_name: 'vxlan6-input', next_name: 'ip6-input' },
        o,
      );
      n = r.next_index;
      decapNext.set(f, n);
    }
    return n;
  }

  async function ensureWgInterface(f: IpFamily, o: { signal?: AbortSignal }): Promise<number> {
    const have = wgSw.get(f);
    if (have !== undefined) return have;
    const key = wgPrivate.get(f);
    if (!wg || !key)
      throw new BgpInvalidConfigError(
        object,
        f === 'ipv4' ? 'wireguard' : 'wireguard.privateKey6',
        undefined,
        `is needed for ${f} WireGuard routes`,
      );
    const r = await call(
      'wireguard_interface_create',
      {
        interface: {
          user_instance: SW_IF_INDEX_NONE,
          sw_if_index: SW_IF_INDEX_NONE,
          private_key: key,
          public_key: new Uint8Array(32),
          port: wgPort(f),
          src_ip: sourceFor(f),
        },
        generate_key: false,
      },
      o,
    );
    const sw = r.sw_if_index;
    wgSw.set(f, sw);
    await upUnnumbered(sw, o);
    return sw;
  }

  /** The peer's allowed IPs: its underlay and inner addresses (host prefixes), then the routes through it. */
  function wgAllowedFor(t: Tunnel, info: WireguardPeerInfo): string[] {
    const host = (a: string) => `${canonicalAddress(a)}/${addressFamily(a) === 'ipv6' ? 128 : 32}`;
    const hosts = [host(t.remote)];
    if (info.innerAddress && addressFamily(info.innerAddress)) hosts.push(host(info.innerAddress));
    return [...new Set([...hosts, ...[...t.refs].sort()])];
  }

  async function wgPeerSet(t: Tunnel, o: { signal?: AbortSignal }) {
    // VPP has no peer update: remove and add with the new allowed IPs
    const info = wg!.peer(t.remote)!;
    const allowed = wgAllowedFor(t, info);
    if (
      t.wgPeerIndex !== undefined &&
      t.wgKey === info.publicKey &&
      JSON.stringify(allowed) === JSON.stringify(t.wgAllowed)
    )
      return;
    if (t.wgPeerIndex !== undefined) await call('wireguard_peer_remove', { peer_index: t.wgPeerIndex }, o);
    delete t.wgPeerIndex;
    const r = await call(
      'wireguard_peer_add',
      {
        peer: {
          peer_index: 0,
          public_key: key32(info.publicKey, `node ${t.remote}`, wgKeyField(addressFamily(t.remote)!)),
          port: info.port ?? wgPort(addressFamily(t.remote)!),
          persistent_keepalive: 0,
          table_id: 0,
          endpoint: t.remote,
          sw_if_index: t.swIfIndex,
          flags: 0,
          n_allowed_ips: allowed.length,
          allowed_ips: allowed,
        },
      },
      o,
    );
    t.wgPeerIndex = r.peer_index;
    t.wgKey = info.publicKey;
    t.wgAllowed = allowed;
  }

  async function ensureTunnel(
    provider: Exclude<ProviderKind, 'flat'>,
    remote: string,
    o: { signal?: AbortSignal },
  ): Promise<Tunnel> {
    const key = tunnelKey(provider, remote);
    const existing = tunnels.get(key);
    if (existing) return existing;
    const f = addressFamily(remote)!;
    let sw: number;
    const t: Tunnel = { provider, remote, swIfIndex: 0, refs: new Set() };
    if (provider === 'ipip') {
      const r = await call(
        'ipip_add_tunnel',
        {
          tunnel: {
            instance: SW_IF_INDEX_NONE,
            src: sourceFor(f),
            dst: remote,
            sw_if_index: 0,
            table_id: 0,
            flags: 0,
            mode: 0,
            dscp: 0,
          },
        },
        o,
      );
      sw = r.sw_if_index;
      await upUnnumbered(sw, o);
    } else if (provider === 'vxlan') {
      const next = await vxlanDecapNext(f, o);
      const r = await call(
        'vxlan_add_del_tunnel_v3',
        {
          is_add: true,
          instance: SW_IF_INDEX_NONE,
          src_address: sourceFor(f),
          dst_address: remote,
          src_port: vxPort,
          dst_port: vxPort,
          mcast_sw_if_index: SW_IF_INDEX_NONE,
          encap_vrf_id: 0,
          decap_next_index: next,
          vni,
          is_l3: true,
        },
        o,
      );
      sw = r.sw_if_index;
      await upUnnumbered(sw, o);
    } else {
      const info = wg?.peer(remote);
      if (!info)
        throw new BgpInvalidConfigError(
          `node ${remote}`,
          wgKeyField(f),
          undefined,
          'is not known (no WireGuard key published for this node yet)',
        );
      key32(info.publicKey, `node ${remote}`, wgKeyField(f));
      if (info.innerAddress !== undefined && !addressFamily(info.innerAddress))
        throw new BgpInvalidConfigError(
          `node ${remote}`,
          f === 'ipv4' ? 'wireguard.interfaceIPv4Address' : 'wireguard.interfaceIPv6Address',
          info.innerAddress,
          'is not an address',
        );
      sw = await ensureWgInterface(f, o);
    }
    t.swIfIndex = sw;
    tunnels.set(key, t);
    stats.tunnels = tunnels.size;
    return t;
  }

  async function releaseTunnel(t: Tunnel, o: { signal?: AbortSignal }) {
    if (t.refs.size > 0) return;
    if (t.provider === 'ipip') await call('ipip_del_tunnel', { sw_if_index: t.swIfIndex }, o);
    else if (t.provider === 'vxlan') {
      const f = addressFamily(t.remote)!;
      await call(
        'vxlan_add_del_tunnel_v3',
        {
          is_add: false,
          instance: SW_IF_INDEX_NONE,
          src_address: sourceFor(f),
          dst_address: t.remote,
          src_port: vxPort,
          dst_port: vxPort,
          mcast_sw_if_index: SW_IF_INDEX_NONE,
          encap_vrf_id: 0,
          decap_next_index: decapNext.get(f) ?? SW_IF_INDEX_NONE,
          vni,
          is_l3: true,
        },
        o,
      );
    } else if (t.wgPeerIndex !== undefined) await call('wireguard_peer_remove', { peer_index: t.wgPeerIndex }, o);
    tunnels.delete(tunnelKey(t.provider, t.remote));
    stats.tunnels = tunnels.size;
    if (t.provider === 'wireguard') await dropUnusedWgInterfaces(o);
  }

  /** A wireguard interface goes with its last peer, as every other tunnel goes with its last route. */
  async function dropUnusedWgInterfaces(o: { signal?: AbortSignal }) {
    for (const [f, sw] of [...wgSw]) {
      if ([...tunnels.values()].some((x) => x.provider === 'wireguard' && x.swIfIndex === sw)) continue;
      await call('wireguard_interface_delete', { sw_if_index: sw }, o);
      wgSw.delete(f);
    }
  }

  function check(route: RouteTarget): RouteTarget {
    const object2 = `route ${String(route.prefix)}`;
    const prefix = canonicalCidr(route.prefix);
    if (!prefix) throw new BgpInvalidConfigError(object2, 'prefix', route.prefix, 'is not a CIDR prefix');
    const nh = addressFamily(route.nextHop);
    if (!nh) throw new BgpInvalidConfigError(object2, 'nextHop', route.nextHop, 'is not an address');
    if (!PROVIDERS.has(route.provider))
      throw new BgpInvalidConfigError(object2, 'provider', route.provider, 'is not flat, ipip, vxlan or wireguard');
    return { prefix, nextHop: canonicalAddress(route.nextHop), provider: route.provider };
  }

  /** A WireGuard route whose peer node has since published another key: its peer must be made again. */
  function wgStale(cur: Programmed): boolean {
    if (cur.provider !== 'wireguard') return false;
    const t = tunnels.get(tunnelKey('wireguard', cur.nextHop));
    return !t || t.wgKey !== wg?.peer(cur.nextHop)?.publicKey;
  }

  /** True when what VPP holds for the prefix is `r` already (add and sync keep it as it is). */
  function isProgrammed(cur: Programmed | undefined, r: RouteTarget): boolean {
    return !!cur && cur.provider === r.provider && cur.nextHop === r.nextHop && !wgStale(cur);
  }

  async function addChecked(r: RouteTarget, o: { signal?: AbortSignal }): Promise<void> {
    const cur = routes.get(r.prefix);
    if (isProgrammed(cur, r)) return;
    if (cur) await removeChecked(r.prefix, o);
    const family = familyOf(r.prefix);
    try {
      if (r.provider === 'flat') {
        await routeAddDel(true, r.prefix, family, r.nextHop, SW_IF_INDEX_NONE, o);
        routes.set(r.prefix, { ...r, via: r.nextHop, swIfIndex: SW_IF_INDEX_NONE });
      } else {
        if (r.provider === 'wireguard' && addressFamily(r.nextHop) !== family)
          throw new BgpInvalidConfigError(
            `route ${r.prefix}`,
            'nextHop',
            r.nextHop,
            `is not ${family}: WireGuard carries a family to peers of the same family`,
          );
        const t = await ensureTunnel(r.provider, r.nextHop, o);
        try {
          t.refs.add(r.prefix);
          let via: string;
          if (r.provider === 'ipip') via = family === 'ipv4' ? '0.0.0.0' : '::';
          else if (r.provider === 'vxlan')
            via = r.nextHop; // never a glean route through the tunnel
          else {
            await wgPeerSet(t, o);
            via = r.nextHop; // covered by the peer's allowed IPs: VPP picks the peer by the next hop
          }
          await routeAddDel(true, r.prefix, family, via, t.swIfIndex, o);
          routes.set(r.prefix, { ...r, via, swIfIndex: t.swIfIndex });
        } catch (err) {
          t.refs.delete(r.prefix);
          await releaseTunnel(t, o).catch(() => {});
          throw err;
        }
      }
    } catch (err) {
      if ((err as Error).name === 'BgpInvalidConfigError') throw err;
      throw new BgpRouteProgramError(r.prefix, r.provider, 'add', err);
    }
    stats.routes = routes.size;
  }

  async function removeChecked(prefix: string, o: { signal?: AbortSignal }): Promise<void> {
    const cur = routes.get(prefix);
    if (!cur) return;
    const family = familyOf(prefix);
    try {
      await routeAddDel(false, prefix, family, cur.via, cur.swIfIndex, o).catch((err: Error) => {
        if (!isNoSuchEntry(err)) throw err;
      });
      routes.delete(prefix);
      stats.routes = routes.size;
      if (cur.provider !== 'flat') {
        const t = tunnels.get(tunnelKey(cur.provider, cur.nextHop));
        if (t) {
          t.refs.delete(prefix);
          if (t.refs.size === 0) await releaseTunnel(t, o);
          else if (t.provider === 'wireguard') await wgPeerSet(t, o);
        }
      }
    } catch (err) {
      throw new BgpRouteProgramError(prefix, cur.provider, 'delete', err);
    }
  }

  /** Read tunnels and routes from VPP and rebuild our view of them. */
  async function adopt(o: { signal?: AbortSignal }): Promise<void> {
    routes.clear();
    tunnels.clear();
    wgSw.clear();
    const bySw = new Map<number, Tunnel>();
    const sources = new Set(
      [init.sourceAddress4, init.sourceAddress6].filter((x): x is string => !!x).map(canonicalAddress),
    );
    for await (const d of dump('ipip_tunnel_dump', { sw_if_index: SW_IF_INDEX_NONE }, o)) {
      const t = d['tunnel'] as { src: string; dst: string; sw_if_index: number };
      if (!sources.has(canonicalAddress(t.src))) continue;
      const tun: Tunnel = {
        provider: 'ipip',
        remote: canonicalAddress(t.dst),
        swIfIndex: t.sw_if_index,
        refs: new Set(),
      };
      tunnels.set(tunnelKey('ipip', tun.remote), tun);
      bySw.set(tun.swIfIndex, tun);
    }
    for await (const d of dump('vxlan_tunnel_v2_dump', { sw_if_index: SW_IF_INDEX_NONE }, o)) {
      if (d['vni'] !== vni || !sources.has(canonicalAddress(d['src_address'] as string))) continue;
      const tun: Tunnel = {
        provider: 'vxlan',
        remote: canonicalAddress(d['dst_address'] as string),
        swIfIndex: d['sw_if_index'] as number,
        refs: new Set(),
      };
      tunnels.set(tunnelKey('vxlan', tun.remote), tun);
      bySw.set(tun.swIfIndex, tun);
    }
    if (wg) {
      try {
        // ours: the port and the source address we create them with, one per family
        for await (const d of dump(
          'wireguard_interface_dump',
          { show_private_key: false, sw_if_index: SW_IF_INDEX_NONE },
          o,
        )) {
          const itf = d['interface'] as { sw_if_index: number; port: number; src_ip: string };
          const f = addressFamily(itf.src_ip);
          if (!f || !sources.has(canonicalAddress(itf.src_ip)) || itf.port !== wgPort(f)) continue;
          if (!wgSw.has(f)) wgSw.set(f, itf.sw_if_index);
        }
        const ours = new Set(wgSw.values());
        if (ours.size) {
          for await (const d of dump('wireguard_peers_dump', { peer_index: SW_IF_INDEX_NONE }, o)) {
            const p = d['peer'] as {
              peer_index: number;
              endpoint: string;
              sw_if_index: number;
              allowed_ips: string[];
              public_key: Uint8Array;
            };
            if (!ours.has(p.sw_if_index)) continue;
            const tun: Tunnel = {
              provider: 'wireguard',
              remote: canonicalAddress(p.endpoint),
              swIfIndex: p.sw_if_index,
              wgPeerIndex: p.peer_index,
              wgKey: Buffer.from(p.public_key).toString('base64'),
              wgAllowed: [...p.allowed_ips].map((x) => canonicalCidr(x) ?? x),
              refs: new Set(),
            };
            tunnels.set(tunnelKey('wireguard', tun.remote), tun);
          }
        }
      } catch (err) {
        log.warn({ err }, 'wireguard dumps failed; WireGuard state not adopted');
      }
    }
    for (const isIp6 of [false, true]) {
      for await (const d of dump('ip_route_v2_dump', { src: 0, table: { table_id: 0, is_ip6: isIp6, name: '' } }, o)) {
        const r = d['route'] as {
          prefix: string;
          paths: { sw_if_index: number; nh: { address: { ip4?: string; ip6?: string } } }[];
        };
        if (r.paths.length !== 1) continue;
        const p = r.paths[0]!;
        const prefix = canonicalCidr(r.prefix);
        if (!prefix) continue;
        const via = canonicalAddress((isIp6 ? p.nh.address.ip6 : p.nh.address.ip4) ?? (isIp6 ? '::' : '0.0.0.0'));
        const tun = bySw.get(p.sw_if_index);
        if (tun) {
          tun.refs.add(prefix);
          routes.set(prefix, { prefix, nextHop: tun.remote, provider: tun.provider, via, swIfIndex: p.sw_if_index });
        } else if (wgSw.get(isIp6 ? 'ipv6' : 'ipv4') === p.sw_if_index) {
          // routes go via the peer's underlay address (see addChecked)
          const t = tunnels.get(tunnelKey('wireguard', via));
          if (!t || t.swIfIndex !== p.sw_if_index) continue;
          t.refs.add(prefix);
          routes.set(prefix, { prefix, nextHop: t.remote, provider: 'wireguard', via, swIfIndex: p.sw_if_index });
        } else if (
          (p.sw_if_index === SW_IF_INDEX_NONE || p.sw_if_index === init.uplinkSwIfIndex) &&
          owned.some((c) => cidrContains(c, prefix)) &&
          via !== '0.0.0.0' &&
          via !== '::'
        ) {
          routes.set(prefix, { prefix, nextHop: via, provider: 'flat', via, swIfIndex: p.sw_if_index });
        }
      }
    }
    stats.routes = routes.size;
    stats.tunnels = tunnels.size;
    adopted = true;
    log.info({ routes: routes.size, tunnels: tunnels.size }, 'adopted routes and tunnels found in VPP');
  }

  return {
    stats,
    routes: () => [...routes.values()].map(({ prefix, nextHop, provider }) => ({ prefix, nextHop, provider })),
    forget() {
      adopted = false;
      decapNext.clear();
    },
    async add(route, options = {}) {
      const r = check(route);
      await ensureAdopted(options);
      await withLocks(lockKeys(r.prefix, r), () => addChecked(r, options));
    },
    async remove(prefix, options = {}) {
      const p = canonicalCidr(prefix);
      if (!p) throw new BgpInvalidConfigError(`route ${prefix}`, 'prefix', prefix, 'is not a CIDR prefix');
      await ensureAdopted(options);
      await withLocks(lockKeys(p, undefined), () => removeChecked(p, options));
    },
    async apply(changes, options = {}) {
      await ensureAdopted(options);
      const errors: Error[] = [];
      let added = 0;
      let removed = 0;
      const limit = Math.max(1, options.concurrency ?? 64);
      // refill in rounds: once the pipeline is full, wait until half of it has answered, then send the
      // next half in one go (one socket write, not one per answer)
      const refillAt = limit >> 1;
      // one abort listener for the whole batch rather than one per VPP request; on abort no new
      // request is sent and apply returns without waiting for those on the wire
      const signal = options.signal;
      const perCall = {};
      let aborted = signal?.aborted ?? false;
      // a counter and one waiter instead of racing every running promise for each free slot
      let running = 0;
      let wake: (() => void) | undefined;
      const wakeUp = (): void => {
        const w = wake;
        wake = undefined;
        w?.();
      };
      const onAbort = (): void => {
        aborted = true;
        wakeUp();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (): void => {
        running--;
        if (running <= refillAt) wakeUp();
      };
      const onAdded = (): void => {
        added++;
        settle();
      };
      const onRemoved = (): void => {
        removed++;
        settle();
      };
      const onError = (err: Error): void => {
        errors.push(err);
        settle();
      };
      try {
        for (const ch of changes) {
          if (aborted) break;
          try {
            if (ch.target) {
              const r = check(ch.target);
              const cur = routes.get(r.prefix);
              if (r.provider === 'flat' && !cur && !locks.has(r.prefix)) {
                // the common case of a burst: a new FLAT route, nothing else in flight for it.
                // One VPP request and one continuation; the prefix stays locked until it settles.
                running++;
                const prefix = r.prefix;
                const op: Promise<void> = routeAddDel(
                  true,
                  prefix,
                  familyOf(prefix),
                  r.nextHop,
                  SW_IF_INDEX_NONE,
                  perCall,
                ).then(
                  () => {
                    if (locks.get(prefix) === op) locks.delete(prefix);
                    routes.set(prefix, { ...r, via: r.nextHop, swIfIndex: SW_IF_INDEX_NONE });
                    stats.routes = routes.size;
                    onAdded();
                  },
                  (err: unknown) => {
                    if (locks.get(prefix) === op) locks.delete(prefix);
                    onError(new BgpRouteProgramError(prefix, 'flat', 'add', err));
                  },
                );
                locks.set(prefix, op);
              } else {
                running++;
                withLocks(lockKeys(r.prefix, r), () => addChecked(r, perCall)).then(onAdded, onError);
              }
            } else {
              const p = canonicalCidr(ch.prefix);
              if (!p)
                throw new BgpInvalidConfigError(`route ${ch.prefix}`, 'prefix', ch.prefix, 'is not a CIDR prefix');
              const cur = routes.get(p);
              if (!cur) continue;
              running++;
              if (cur.provider === 'flat' && !locks.has(p)) {
                // a FLAT route going away: the same single request
                const op: Promise<void> = routeAddDel(false, p, familyOf(p), cur.via, cur.swIfIndex, perCall).then(
                  () => {
                    if (locks.get(p) === op) locks.delete(p);
                    if (routes.get(p) === cur) routes.delete(p);
                    stats.routes = routes.size;
                    onRemoved();
                  },
                  (err: Error) => {
                    if (locks.get(p) === op) locks.delete(p);
                    if (isNoSuchEntry(err)) {
                      if (routes.get(p) === cur) routes.delete(p);
                      stats.routes = routes.size;
                      onRemoved();
                    } else onError(new BgpRouteProgramError(p, 'flat', 'delete', err));
                  },
                );
                locks.set(p, op);
              } else withLocks(lockKeys(p, undefined), () => removeChecked(p, perCall)).then(onRemoved, onError);
            }
          } catch (err) {
            errors.push(err as Error);
            continue;
          }
          if (running >= limit) while (running > refillAt && !aborted) await new Promise<void>((r) => (wake = r));
        }
        while (running > 0 && !aborted) await new Promise<void>((r) => (wake = r));
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
      if (aborted) errors.push(new BgpAbortError('route programming', { cause: signal?.reason }));
      return { added, removed, errors };
    },
    async sync(desired, options = {}) {
      const want = new Map<string, RouteTarget>();
      for (const d of desired) {
        const r = check(d);
        want.set(r.prefix, r);
      }
      await ensureAdopted(options);
      const errors: BgpRouteProgramError[] = [];
      const asProgramError = (err: Error, prefix: string, provider: string): BgpRouteProgramError =>
        err.name === 'BgpRouteProgramError'
          ? (err as BgpRouteProgramError)
          : new BgpRouteProgramError(prefix, provider, 'add', err);
      const removals = [...routes.keys()].filter((p) => !want.has(p)).map((prefix) => ({ prefix, target: undefined }));
      const rem = await this.apply(removals, options);
      rem.errors.forEach((e) => errors.push(asProgramError(e, '', 'unknown')));
      // tunnels found in VPP that carry no route any more (and wireguard interfaces without a peer)
      for (const t of [...tunnels.values()])
        if (t.refs.size === 0)
          await releaseTunnel(t, options).catch((err: unknown) =>
            errors.push(new BgpRouteProgramError(t.remote, t.provider, 'delete', err)),
          );
      await withLocks(['t|wg-interface'], () => dropUnusedWgInterfaces(options)).catch((err: unknown) =>
        errors.push(new BgpRouteProgramError('wireguard', 'wireguard', 'delete', err)),
      );
      let kept = 0;
      const adds: { prefix: string; target: RouteTarget }[] = [];
      for (const r of want.values()) {
        const cur = routes.get(r.prefix);
        if (isProgrammed(cur, r)) kept++;
        else adds.push({ prefix: r.prefix, target: r });
      }
      const add = await this.apply(adds, options);
      add.errors.forEach((e) => errors.push(asProgramError(e, '', 'unknown')));
      return { added: add.added, removed: rem.removed, kept, errors };
    },
  };
}
