import { describe, expect, it } from 'vitest';
import { encodeMessage, packAny } from '../src/api/codec.js';
import type { ApiAny, ApiPath } from '../src/api/types.js';
import { fromApiPath } from '../src/paths.js';
import { createPathDecoder } from '../src/path-decoder.js';

// Paths in the shape gobgpd 3.10 sends them (toPathApi): Any NLRI and Any attributes.
function v4Path(prefix: string, len: number, extra: Partial<ApiPath> = {}, pattrs?: ApiAny[]): ApiPath {
  return {
    nlri: packAny('IPAddressPrefix', { prefix, prefix_len: len }),
    pattrs: pattrs ?? [
      packAny('OriginAttribute', { origin: 0 }),
      packAny('AsPathAttribute', { segments: [{ type: 'AS_SEQUENCE', numbers: [65001, 65002] }] }),
      packAny('NextHopAttribute', { next_hop: '10.98.1.2' }),
      packAny('CommunitiesAttribute', { communities: [65001 * 65536 + 100] }),
    ],
    age: { seconds: 1_780_000_000, nanos: 5 },
    best: true,
    family: { afi: 'AFI_IP', safi: 'SAFI_UNICAST' },
    source_asn: 65001,
    source_id: '10.98.1.2',
    neighbor_ip: '10.98.1.2',
    is_from_external: true,
    ...extra,
  };
}

function v6Path(prefix: string, len: number, nextHops: string[], extra: Partial<ApiPath> = {}): ApiPath {
  const nlri = packAny('IPAddressPrefix', { prefix, prefix_len: len });
  return {
    nlri,
    pattrs: [
      packAny('OriginAttribute', { origin: 0 }),
      packAny('MpReachNLRIAttribute', {
        family: { afi: 'AFI_IP6', safi: 'SAFI_UNICAST' },
        next_hops: nextHops,
        nlris: [nlri],
      }),
      packAny('OriginatorIdAttribute', { id: '10.0.0.9' }),
      packAny('ClusterListAttribute', { ids: ['10.0.0.1', '10.0.0.2'] }),
    ],
    best: true,
    family: { afi: 'AFI_IP6', safi: 'SAFI_UNICAST' },
    source_asn: 64512,
    source_id: '10.0.0.9',
    neighbor_ip: 'fd98::2',
    ...extra,
  };
}

const tableEvent = (paths: ApiPath[]): Buffer => Buffer.from(encodeMessage('WatchEventResponse', { table: { paths } }));

describe('bgp lean path decoder', () => {
  it('decodes every field a BgpPath carries exactly as fromApiPath does (v4, v6, withdrawn, our own)', () => {
    const paths = [
      v4Path('10.244.1.0', 26),
      v4Path('10.244.2.0', 26, { is_withdraw: true, best: false }),
      v6Path('fd00:244:0:1::', 64, ['fd98::2', 'fe80::1']),
      v6Path('FD00:0244:0000:0002:0000:0000:0000:0000', 64, ['FD98:0:0:0:0:0:0:2']),
      // our own (AddPath) path: neighbor "<nil>"
      v4Path('10.244.9.0', 26, { neighbor_ip: '<nil>', source_asn: 0, source_id: '<nil>' }),
    ];
    const d = createPathDecoder();
    const ev = d.watchEvent(tableEvent(paths));
    expect(ev.kind).toBe('table');
    const got = ev.kind === 'table' ? ev.paths : [];
    expect(got).toEqual(paths.map(fromApiPath));
    expect(got[0]).toMatchObject({
      prefix: '10.244.1.0/26',
      nextHop: '10.98.1.2',
      asPath: [65001, 65002],
      communities: [65001 * 65536 + 100],
      neighbor: '10.98.1.2',
      local: false,
      withdrawn: false,
    });
    expect(got[1]?.withdrawn).toBe(true);
    expect(got[2]).toMatchObject({ prefix: 'fd00:244:0:1::/64', family: 'ipv6', nextHop: 'fd98::2' });
    expect(got[2]).toMatchObject({ originatorId: '10.0.0.9', clusterList: ['10.0.0.1', '10.0.0.2'] });
    // canonical text, as the rest of the package keys routes by it
    expect(got[3]).toMatchObject({ prefix: 'fd00:244:0:2::/64', nextHop: 'fd98::2' });
    expect(got[4]).toMatchObject({ local: true, neighbor: undefined });
  });

  it('decodes an attribute set once: paths that share it share the decoded arrays (frozen)', () => {
    const d = createPathDecoder();
    const a = d.watchEvent(tableEvent([v4Path('10.1.0.0', 24)]));
    const b = d.watchEvent(tableEvent([v4Path('10.2.0.0', 24)]));
    const pa = a.kind === 'table' ? a.paths[0]! : undefined;
    const pb = b.kind === 'table' ? b.paths[0]! : undefined;
    expect(pa?.asPath).toBe(pb?.asPath);
    expect(Object.isFrozen(pa?.asPath)).toBe(true);
    expect(d.cachedAttributeSets).toBe(1);
    // a different next hop is a different set, decoded on its own
    const c = d.watchEvent(
      tableEvent([
        v4Path('10.3.0.0', 24, {}, [
          packAny('OriginAttribute', { origin: 0 }),
          packAny('NextHopAttribute', { next_hop: '10.98.1.3' }),
        ]),
      ]),
    );
    expect(c.kind === 'table' && c.paths[0]?.nextHop).toBe('10.98.1.3');
    expect(c.kind === 'table' && c.paths[0]?.asPath).toEqual([]);
    expect(d.cachedAttributeSets).toBe(2);
  });

  it('keeps v6 prefixes out of the cache key: MP_REACH_NLRI carries the prefix, the rest is shared', () => {
    const d = createPathDecoder();
    for (let i = 0; i < 50; i++) d.watchEvent(tableEvent([v6Path(`fd00:244:0:${i.toString(16)}::`, 64, ['fd98::2'])]));
    expect(d.cachedAttributeSets).toBe(1);
    // the next hop still comes from each path's own MP_REACH_NLRI
    const ev = d.watchEvent(tableEvent([v6Path('fd00:245::', 64, ['fd98::3'])]));
    expect(ev.kind === 'table' && ev.paths[0]?.nextHop).toBe('fd98::3');
  });

  it('skips families other than v4/v6 unicast and yields peer events with their type', () => {
    const d = createPathDecoder();
    const other: ApiPath = { nlri: packAny('OriginAttribute', { origin: 0 }), pattrs: [] };
    const ev = d.watchEvent(tableEvent([other, v4Path('10.5.0.0', 24)]));
    expect(ev.kind === 'table' && ev.paths.map((p) => p.prefix)).toEqual(['10.5.0.0/24']);
    const peer = d.watchEvent(
      Buffer.from(
        encodeMessage('WatchEventResponse', {
          peer: {
            type: 'STATE',
            peer: { state: { neighbor_address: '10.98.1.2', peer_asn: 65001, session_state: 'ESTABLISHED' } },
          },
        }),
      ),
    );
    expect(peer).toMatchObject({ kind: 'peer', type: 3, peer: { state: { neighbor_address: '10.98.1.2' } } });
  });

  it('refuses bytes that are not a message with a typed error (a truncated path)', () => {
    const d = createPathDecoder();
    const bytes = tableEvent([v4Path('10.6.0.0', 24)]);
    expect(() => d.watchEvent(bytes.subarray(0, bytes.length - 7))).toThrow(
      expect.objectContaining({ name: 'PathDecodeError' }),
    );
  });
});
