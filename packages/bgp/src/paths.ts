import { packAny, unpackAny } from './api/codec.js';
import type { ApiAny, ApiFamily, ApiPath } from './api/types.js';
import { BgpInvalidConfigError } from './errors.js';
import { addressFamily, canonicalAddress, parseCidr, type IpFamily } from './net.js';

/** The unicast family of v4 or v6 in GoBGP's API. */
export function apiFamily(family: IpFamily): ApiFamily {
  return { afi: family === 'ipv4' ? 'AFI_IP' : 'AFI_IP6', safi: 'SAFI_UNICAST' };
}

/** A route we originate. */
export interface BgpAnnouncement {
  /** CIDR, v4 or v6. */
  prefix: string;
  /** Next hop (default: `0.0.0.0` / `::`, which gobgpd replaces by the session's local address). */
  nextHop?: string;
  /** Standard communities as `AS:value` strings or 32-bit numbers. */
  communities?: (string | number)[];
  /** ORIGIN (default IGP). */
  origin?: 'igp' | 'egp' | 'incomplete';
  /** LOCAL_PREF for iBGP peers. */
  localPref?: number;
}

/** A best path gobgpd holds (learned or ours), decoded. */
export interface BgpPath {
  prefix: string;
  family: IpFamily;
  nextHop: string;
  /** True for a withdrawal event. */
  withdrawn: boolean;
  /** Address of the neighbor it was learned from; undefined for our own paths. */
  neighbor: string | undefined;
  /** True for paths we originated (AddPath), which are never programmed. */
  local: boolean;
  sourceAsn: number;
  /** Router id of the originating peer. */
  sourceId: string;
  /** AS numbers of the AS_PATH, segments flattened (shared by paths with the same attributes: do not modify). */
  asPath: readonly number[];
  /** Standard communities as 32-bit values (shared, like `asPath`). */
  communities: readonly number[];
  originatorId: string | undefined;
  /** CLUSTER_LIST (shared, like `asPath`). */
  clusterList: readonly string[];
}

const ORIGIN = { igp: 0, egp: 1, incomplete: 2 } as const;

/** Parse a community `AS:value` or a number into the 32-bit value. */
export function parseCommunity(c: string | number, object: string): number {
  if (typeof c === 'number') {
    if (!Number.isInteger(c) || c < 0 || c > 0xffffffff)
      throw new BgpInvalidConfigError(object, 'communities', c, 'is not a 32-bit community');
    return c;
  }
  const m = /^(\d+):(\d+)$/.exec(c);
  const hi = m ? Number(m[1]) : NaN;
  const lo = m ? Number(m[2]) : NaN;
  if (!m || hi > 0xffff || lo > 0xffff)
    throw new BgpInvalidConfigError(object, 'communities', c, 'is not a community (AS:value, each ≤ 65535)');
  return hi * 65536 + lo;
}

/** Build the GoBGP path of an announcement. @throws BgpInvalidConfigError */
export function toApiPath(a: BgpAnnouncement): ApiPath {
  const object = `route ${a.prefix}`;
  const c = parseCidr(a.prefix);
  if (!c) throw new BgpInvalidConfigError(object, 'prefix', a.prefix, 'is not a CIDR prefix');
  const nh = a.nextHop ?? (c.family === 'ipv4' ? '0.0.0.0' : '::');
  if (addressFamily(nh) !== c.family)
    throw new BgpInvalidConfigError(object, 'nextHop', nh, `is not an ${c.family} address`);
  const nlri = packAny('IPAddressPrefix', { prefix: c.address, prefix_len: c.length });
  const pattrs: ApiAny[] = [packAny('OriginAttribute', { origin: ORIGIN[a.origin ?? 'igp'] })];
  if (c.family === 'ipv4') pattrs.push(packAny('NextHopAttribute', { next_hop: nh }));
  else pattrs.push(packAny('MpReachNLRIAttribute', { family: apiFamily('ipv6'), next_hops: [nh], nlris: [nlri] }));
  if (a.communities?.length)
    pattrs.push(packAny('CommunitiesAttribute', { communities: a.communities.map((x) => parseCommunity(x, object)) }));
  if (a.localPref !== undefined) pattrs.push(packAny('LocalPrefAttribute', { local_pref: a.localPref }));
  return { nlri, pattrs, family: apiFamily(c.family) };
}

/** Decode a GoBGP path (as in WatchEvent and ListPath); undefined for families other than v4/v6 unicast. */
export function fromApiPath(p: ApiPath): BgpPath | undefined {
  if (!p.nlri) return undefined;
  const n = unpackAny(p.nlri);
  if (n.type !== 'IPAddressPrefix') return undefined;
  const addr = String(n.value['prefix'] ?? '');
  const len = Number(n.value['prefix_len'] ?? 0);
  const family = addressFamily(addr);
  if (!family) return undefined;
  let nextHop = '';
  let asPath: number[] = [];
  let communities: number[] = [];
  let originatorId: string | undefined;
  let clusterList: string[] = [];
  for (const a of p.pattrs ?? []) {
    const u = unpackAny(a);
    switch (u.type) {
      case 'NextHopAttribute':
        nextHop = String(u.value['next_hop'] ?? '');
        break;
      case 'MpReachNLRIAttribute': {
        const hops = (u.value['next_hops'] as string[] | undefined) ?? [];
        if (hops[0]) nextHop = hops[0];
        break;
      }
      case 'AsPathAttribute': {
        const segs = (u.value['segments'] as { numbers?: number[] }[] | undefined) ?? [];
        asPath = segs.flatMap((s) => s.numbers ?? []);
        break;
      }
      case 'CommunitiesAttribute':
        communities = (u.value['communities'] as number[] | undefined) ?? [];
        break;
      case 'OriginatorIdAttribute':
        originatorId = u.value['id'] as string | undefined;
        break;
      case 'ClusterListAttribute':
        clusterList = (u.value['ids'] as string[] | undefined) ?? [];
        break;
    }
  }
  const neighborRaw = p.neighbor_ip ?? '';
  // gobgpd reports our own (AddPath) paths with neighbor "<nil>" (no source address)
  const local = neighborRaw === '' || neighborRaw === '<nil>' || addressFamily(neighborRaw) === undefined;
  return {
    prefix: `${canonicalAddress(addr)}/${len}`,
    family,
    nextHop: nextHop && addressFamily(nextHop) ? canonicalAddress(nextHop) : nextHop,
    withdrawn: p.is_withdraw ?? false,
    neighbor: local ? undefined : canonicalAddress(neighborRaw),
    local,
    sourceAsn: p.source_asn ?? 0,
    sourceId: p.source_id ?? '',
    asPath,
    communities,
    originatorId,
    clusterList,
  };
}
