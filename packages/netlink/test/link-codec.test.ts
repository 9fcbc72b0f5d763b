/**
 * Link messages byte for byte, built here by hand from the UAPI layouts (linux/if_link.h, rtnetlink.h,
 * veth.h), so the kinds this kernel lacks (dummy, vlan, ipvlan, ipip, gre, vrf) are still checked exactly.
 */
import { describe, expect, it } from 'vitest';
import { NLM_F_CREATE, NLM_F_EXCL, parseMessages } from '../src/codec/nlmsg.js';
import {
  decodeLink,
  encodeLinkAdd,
  encodeLinkDel,
  encodeLinkDump,
  encodeLinkGet,
  encodeLinkSet,
  validateLinkAdd,
  validateLinkSet,
  type LinkAddSpec,
  type ResolvedLinkAdd,
} from '../src/link.js';

// ---- an independent little encoder: numbers straight from the headers ----
const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_GETLINK = 18;
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_LINK = 5;
const IFLA_MASTER = 10;
const IFLA_TXQLEN = 13;
const IFLA_OPERSTATE = 16;
const IFLA_LINKINFO = 18;
const IFLA_IFALIAS = 20;
const IFLA_STATS64 = 23;
const IFLA_NET_NS_FD = 28;
const IFLA_PROMISCUITY = 30;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const NESTED = 0x8000;

const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const u16le = (n: number) => Uint8Array.of(n & 0xff, n >> 8);
const u16be = (n: number) => Uint8Array.of(n >> 8, n & 0xff);
const u32le = (n: number) => Uint8Array.of(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
const u32be = (n: number) => Uint8Array.of(n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
const str = (s: string) => cat(new TextEncoder().encode(s), Uint8Array.of(0));
const nla = (type: number, value: Uint8Array): Uint8Array => {
  const len = 4 + value.length;
  const pad = (4 - (len % 4)) % 4;
  return cat(u16le(len), u16le(type), value, new Uint8Array(pad));
};
const nest = (type: number, ...children: Uint8Array[]): Uint8Array => nla(type | NESTED, cat(...children));
const ifinfomsg = (index = 0, flags = 0, change = 0) =>
  cat(Uint8Array.of(0, 0), u16le(0), u32le(index), u32le(flags), u32le(change));
const nlmsg = (type: number, flags: number, body: Uint8Array): Uint8Array =>
  cat(u32le(16 + body.length), u16le(type), u16le(flags), u32le(0), u32le(0), body);
const CREATE = NLM_F_CREATE | NLM_F_EXCL;
const kindInfo = (kind: string, data?: Uint8Array) =>
  nest(IFLA_LINKINFO, nla(IFLA_INFO_KIND, str(kind)), ...(data ? [nest(IFLA_INFO_DATA, data)] : []));

function add(spec: LinkAddSpec & Partial<ResolvedLinkAdd>): Uint8Array {
  validateLinkAdd(spec);
  return encodeLinkAdd(spec as ResolvedLinkAdd);
}

describe('link add encoding (byte for byte)', () => {
  it('dummy', () => {
    expect(add({ kind: 'dummy', name: 'dummy0' })).toEqual(
      nlmsg(RTM_NEWLINK, CREATE, cat(ifinfomsg(), nla(IFLA_IFNAME, str('dummy0')), kindInfo('dummy'))),
    );
  });

  it('dummy with mtu, mac, txqlen, master, up', () => {
    const mac = Uint8Array.of(2, 0, 0, 0, 0, 1);
    expect(
      add({
        kind: 'dummy',
        name: 'd',
        mtu: 9000,
        mac: '02:00:00:00:00:01',
        txqlen: 10,
        up: true,
        master: 7,
        masterIndex: 7,
      }),
    ).toEqual(
      nlmsg(
        RTM_NEWLINK,
        CREATE,
        cat(
          ifinfomsg(0, 1, 1),
          nla(IFLA_IFNAME, str('d')),
          nla(IFLA_MTU, u32le(9000)),
          nla(IFLA_ADDRESS, mac),
          nla(IFLA_TXQLEN, u32le(10)),
          nla(IFLA_MASTER, u32le(7)),
          kindInfo('dummy'),
        ),
      ),
    );
  });

  it('veth: VETH_INFO_PEER holds a struct ifinfomsg, then the peer attributes (netns by fd)', () => {
    const peer = cat(
      ifinfomsg(),
      nla(IFLA_IFNAME, str('vp')),
      nla(IFLA_MTU, u32le(1400)),
      nla(IFLA_NET_NS_FD, u32le(42)),
    );
    expect(add({ kind: 'veth', name: 'v', peer: { name: 'vp', mtu: 1400 }, peerNetnsFd: 42 })).toEqual(
      nlmsg(RTM_NEWLINK, CREATE, cat(ifinfomsg(), nla(IFLA_IFNAME, str('v')), kindInfo('veth', nest(1, peer)))),
    );
  });

  it('queue counts: IFLA_NUM_TX_QUEUES (31) and IFLA_NUM_RX_QUEUES (32) u32, for the link and inside the peer', () => {
    const peer = cat(ifinfomsg(), nla(IFLA_IFNAME, str('vp')), nla(31, u32le(1)), nla(32, u32le(2)));
    expect(
      add({
        kind: 'veth',
        name: 'v',
        numTxQueues: 4,
        numRxQueues: 1,
        peer: { name: 'vp', numTxQueues: 1, numRxQueues: 2 },
      }),
    ).toEqual(
      nlmsg(
        RTM_NEWLINK,
        CREATE,
        cat(
          ifinfomsg(),
          nla(IFLA_IFNAME, str('v')),
          nla(31, u32le(4)),
          nla(32, u32le(1)),
          kindInfo('veth', nest(1, peer)),
        ),
      ),
    );
  });

  it('queue counts outside 1..4096, or on tun/tap, are refused before sending', () => {
    const veth = (q: object, peer: object = {}) =>
      validateLinkAdd({ kind: 'veth', name: 'v', peer: { name: 'p', ...peer }, ...q } as LinkAddSpec);
    expect(() => veth({ numTxQueues: 0 })).toThrow(expect.objectContaining({ field: 'numTxQueues' }));
    expect(() => veth({ numRxQueues: 4097 })).toThrow(expect.objectContaining({ field: 'numRxQueues' }));
    expect(() => veth({ numTxQueues: 1.5 })).toThrow(expect.objectContaining({ field: 'numTxQueues' }));
    expect(() => veth({}, { numRxQueues: 0 })).toThrow(expect.objectContaining({ field: 'peer.numRxQueues' }));
    expect(() => veth({ numTxQueues: 4096, numRxQueues: 1 }, { numTxQueues: 1 })).not.toThrow();
    expect(() => validateLinkAdd({ kind: 'tun', name: 't', numTxQueues: 2 })).toThrow(
      expect.objectContaining({ field: 'numTxQueues' }),
    );
  });

  it('vlan: parent in IFLA_LINK, id u16, protocol big endian', () => {
    expect(add({ kind: 'vlan', name: 'eth0.10', parent: 'eth0', parentIndex: 2, id: 10, protocol: '802.1ad' })).toEqual(
      nlmsg(
        RTM_NEWLINK,
        CREATE,
        cat(
          ifinfomsg(),
          nla(IFLA_IFNAME, str('eth0.10')),
          nla(IFLA_LINK, u32le(2)),
          kindInfo('vlan', cat(nla(1, u16le(10)), nla(5, u16be(0x88a8)))),
        ),
      ),
    );
  });

  it('macvlan: mode u32 (bridge = 4 by default)', () => {
    expect(add({ kind: 'macvlan', name: 'mv', parent: 3, parentIndex: 3 })).toEqual(
      nlmsg(
        RTM_NEWLINK,
        CREATE,
        cat(ifinfomsg(), nla(IFLA_IFNAME, str('mv')), nla(IFLA_LINK, u32le(3)), kindInfo('macvlan', nla(1, u32le(4)))),
      ),
    );
  });

  it('ipvlan: mode u16 (l3 = 1 by default), flags u16', () => {
    expect(add({ kind: 'ipvlan', name: 'iv', parent: 3, parentIndex: 3, mode: 'l2', flags: 'vepa' })).toEqual(
      nlmsg(
        RTM_NEWLINK,
        CREATE,
        cat(
          ifinfomsg(),
          nla(IFLA_IFNAME, str('iv')),
          nla(IFLA_LINK, u32le(3)),
          kindInfo('ipvlan', cat(nla(1, u16le(0)), nla(2, u16le(2)))),
        ),
      ),
    );
    expect(add({ kind: 'ipvlan', name: 'iv', parent: 3, parentIndex: 3 })).toEqual(
      nlmsg(
        RTM_NEWLINK,
        CREATE,
        cat(ifinfomsg(), nla(IFLA_IFNAME, str('iv')), nla(IFLA_LINK, u32le(3)), kindInfo('ipvlan', nla(1, u16le(1)))),
      ),
    );
  });

  it('vxlan: id, group, local, link, ttl, learning, port (big endian, default 4789)', () => {
    const data = cat(
      nla(1, u32le(42)),
      nla(2, Uint8Array.of(10, 0, 0, 2)),
      nla(4, Uint8Array.of(10, 0, 0, 1)),
      nla(3, u32le(5)),
      nla(5, Uint8Array.of(64)),
      nla(7, Uint8Array.of(0)),
      nla(15, u16be(4789)),
    );
    expect(
      add({
        kind: 'vxlan',
        name: 'vx',
        vni: 42,
        group: '10.0.0.2',
        local: '10.0.0.1',
        parent: 5,
        parentIndex: 5,
        ttl: 64,
        learning: false,
      }),
    ).toEqual(nlmsg(RTM_NEWLINK, CREATE, cat(ifinfomsg(), nla(IFLA_IFNAME, str('vx')), kindInfo('vxlan', data))));
  });

  it('vxlan over IPv6 uses GROUP6/LOCAL6', () => {
    const ip6 = (last: number) => cat(Uint8Array.of(0xfd, 0), new Uint8Array(13), Uint8Array.of(last));
    const data = cat(nla(1, u32le(7)), nla(16, ip6(2)), nla(17, ip6(1)), nla(15, u16be(8472)));
    expect(add({ kind: 'vxlan', name: 'vx6', vni: 7, group: 'fd00::2', local: 'fd00::1', port: 8472 })).toEqual(
      nlmsg(RTM_NEWLINK, CREATE, cat(ifinfomsg(), nla(IFLA_IFNAME, str('vx6')), kindInfo('vxlan', data))),
    );
  });

  it('ipip: IFLA_IPTUN_LINK, LOCAL, REMOTE, TTL', () => {
    const data = cat(
      nla(1, u32le(2)),
      nla(2, Uint8Array.of(192, 0, 2, 1)),
      nla(3, Uint8Array.of(192, 0, 2, 2)),
      nla(4, Uint8Array.of(64)),
    );
    expect(
      add({ kind: 'ipip', name: 'tun1', local: '192.0.2.1', remote: '192.0.2.2', ttl: 64, parent: 2, parentIndex: 2 }),
    ).toEqual(nlmsg(RTM_NEWLINK, CREATE, cat(ifinfomsg(), nla(IFLA_IFNAME, str('tun1')), kindInfo('ipip', data))));
  });

  it('gre: keys set GRE_KEY in IFLAGS/OFLAGS (big endian) and IKEY/OKEY big endian', () => {
    const data = cat(
      nla(2, u16be(0x2000)),
      nla(4, u32be(100)),
      nla(3, u16be(0x2000)),
      nla(5, u32be(200)),
      nla(6, Uint8Array.of(192, 0, 2, 1)),
      nla(7, Uint8Array.of(192, 0, 2, 2)),
      nla(8, Uint8Array.of(255)),
    );
    expect(
      add({ kind: 'gre', name: 'gre1', local: '192.0.2.1', remote: '192.0.2.2', ttl: 255, ikey: 100, okey: 200 }),
    ).toEqual(nlmsg(RTM_NEWLINK, CREATE, cat(ifinfomsg(), nla(IFLA_IFNAME, str('gre1')), kindInfo('gre', data))));
  });

  it('vrf: IFLA_VRF_TABLE u32', () => {
    expect(add({ kind: 'vrf', name: 'vrf-blue', table: 10 })).toEqual(
      nlmsg(
        RTM_NEWLINK,
        CREATE,
        cat(ifinfomsg(), nla(IFLA_IFNAME, str('vrf-blue')), kindInfo('vrf', nla(1, u32le(10)))),
      ),
    );
  });

  it('bridge: no data unless asked; STP, ageing, forward delay, vlan filtering', () => {
    expect(add({ kind: 'bridge', name: 'br0' })).toEqual(
      nlmsg(RTM_NEWLINK, CREATE, cat(ifinfomsg(), nla(IFLA_IFNAME, str('br0')), kindInfo('bridge'))),
    );
    const data = cat(nla(1, u32le(1500)), nla(4, u32le(30000)), nla(5, u32le(1)), nla(7, Uint8Array.of(1)));
    expect(
      add({ kind: 'bridge', name: 'br0', stpState: 1, ageingTime: 30000, forwardDelay: 1500, vlanFiltering: true }),
    ).toEqual(nlmsg(RTM_NEWLINK, CREATE, cat(ifinfomsg(), nla(IFLA_IFNAME, str('br0')), kindInfo('bridge', data))));
  });
});

describe('link set / delete / get / dump encoding', () => {
  it('set: up and promisc through ifi_flags/ifi_change, attributes for the rest', () => {
    validateLinkSet({ up: true, promisc: false, mtu: 1400, name: 'x', alias: 'a', txqlen: 5 });
    expect(
      encodeLinkSet(4, {
        up: true,
        promisc: false,
        mtu: 1400,
        name: 'x',
        alias: 'a',
        txqlen: 5,
        masterIndex: 0,
        netnsFd: 9,
      }),
    ).toEqual(
      nlmsg(
        RTM_NEWLINK,
        0,
        cat(
          ifinfomsg(4, 0x1, 0x1 | 0x100),
          nla(IFLA_IFNAME, str('x')),
          nla(IFLA_MTU, u32le(1400)),
          nla(IFLA_TXQLEN, u32le(5)),
          nla(IFLA_IFALIAS, new TextEncoder().encode('a')),
          nla(IFLA_MASTER, u32le(0)),
          nla(IFLA_NET_NS_FD, u32le(9)),
        ),
      ),
    );
  });

  it('delete, get by index and by name, dump with filters', () => {
    expect(encodeLinkDel(12)).toEqual(nlmsg(RTM_DELLINK, 0, ifinfomsg(12)));
    expect(encodeLinkGet(3)).toEqual(nlmsg(RTM_GETLINK, 0, ifinfomsg(3)));
    expect(encodeLinkGet('eth0')).toEqual(nlmsg(RTM_GETLINK, 0, cat(ifinfomsg(), nla(IFLA_IFNAME, str('eth0')))));
    expect(encodeLinkDump()).toEqual(nlmsg(RTM_GETLINK, 0, ifinfomsg()));
    expect(encodeLinkDump({ masterIndex: 5, kind: 'veth' })).toEqual(
      nlmsg(RTM_GETLINK, 0, cat(ifinfomsg(), nla(IFLA_MASTER, u32le(5)), kindInfo('veth'))),
    );
  });
});

describe('link decoding', () => {
  it('decodes a kernel-shaped RTM_NEWLINK (veth in a bridge, with stats)', () => {
    const stats = new Uint8Array(200);
    const sv = new DataView(stats.buffer);
    [1, 2, 300, 400, 5, 6, 7, 8].forEach((v, i) => sv.setBigUint64(i * 8, BigInt(v), true));
    const body = cat(
      ifinfomsg(7, 0x1 | 0x2 | 0x100 | 0x1000 | 0x10000, 0),
      nla(IFLA_IFNAME, str('veth0')),
      nla(IFLA_TXQLEN, u32le(1000)),
      nla(IFLA_OPERSTATE, Uint8Array.of(6)),
      nla(IFLA_MTU, u32le(1450)),
      nla(IFLA_MASTER, u32le(3)),
      nla(IFLA_LINK, u32le(8)),
      nla(IFLA_PROMISCUITY, u32le(1)),
      nla(IFLA_IFALIAS, str('uplink')),
      nla(IFLA_ADDRESS, Uint8Array.of(0x02, 0xaa, 0, 0, 0, 1)),
      nla(IFLA_STATS64, stats),
      nest(IFLA_LINKINFO, nla(IFLA_INFO_KIND, str('veth')), nla(4, str('bridge'))),
    );
    const { messages } = parseMessages(nlmsg(RTM_NEWLINK, 0, body));
    const l = decodeLink(messages[0]!);
    expect(l).toMatchObject({
      index: 7,
      name: 'veth0',
      kind: 'veth',
      up: true,
      lowerUp: true,
      promisc: true,
      promiscuity: 1,
      operstate: 'up',
      mtu: 1450,
      mac: '02:aa:00:00:00:01',
      master: 3,
      parent: 8,
      alias: 'uplink',
      txqlen: 1000,
      slaveKind: 'bridge',
      stats: {
        rxPackets: 1,
        txPackets: 2,
        rxBytes: 300,
        txBytes: 400,
        rxErrors: 5,
        txErrors: 6,
        rxDropped: 7,
        txDropped: 8,
      },
    });
  });

  it('decodes kind data: vlan, vxlan, tun (tap)', () => {
    const link = (kind: string, data: Uint8Array) =>
      decodeLink(
        parseMessages(nlmsg(RTM_NEWLINK, 0, cat(ifinfomsg(2), nla(IFLA_IFNAME, str('x')), kindInfo(kind, data))))
          .messages[0]!,
      );
    expect(link('vlan', cat(nla(1, u16le(100)), nla(5, u16be(0x8100)))).data).toEqual({
      kind: 'vlan',
      id: 100,
      protocol: '802.1Q',
    });
    expect(
      link('vxlan', cat(nla(1, u32le(9)), nla(2, Uint8Array.of(239, 1, 1, 1)), nla(15, u16be(4789)))).data,
    ).toEqual({
      kind: 'vxlan',
      vni: 9,
      group: '239.1.1.1',
      port: 4789,
    });
    const tap = link(
      'tun',
      cat(nla(3, Uint8Array.of(2)), nla(6, Uint8Array.of(1)), nla(7, Uint8Array.of(1)), nla(1, u32le(1000))),
    );
    expect(tap.kind).toBe('tap');
    expect(tap.data).toMatchObject({ kind: 'tun', type: 'tap', persist: true, multiQueue: true, owner: 1000 });
  });
});

describe('link validation (nothing is sent)', () => {
  const bad = (spec: unknown, field: string) => {
    let err: unknown;
    try {
      validateLinkAdd(spec as LinkAddSpec);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ name: 'InvalidArgumentError', code: 'EINVAL', field });
  };

  it('refuses bad names', () => {
    bad({ kind: 'dummy', name: '' }, 'name');
    bad({ kind: 'dummy', name: 'a-name-longer-than-15' }, 'name');
    bad({ kind: 'dummy', name: 'a/b' }, 'name');
    bad({ kind: 'dummy', name: 'a b' }, 'name');
    bad({ kind: 'dummy', name: 'a\tb' }, 'name');
    bad({ kind: 'dummy', name: '..' }, 'name');
    bad({ kind: 'veth', name: 'ok', peer: { name: 'bad/peer' } }, 'peer.name');
  });

  it('refuses bad MACs', () => {
    bad({ kind: 'dummy', name: 'd', mac: '02:00:00:00:00' }, 'mac');
    bad({ kind: 'dummy', name: 'd', mac: 'zz:00:00:00:00:01' }, 'mac');
    bad({ kind: 'dummy', name: 'd', mac: '01:00:5e:00:00:01' }, 'mac'); // multicast
    bad({ kind: 'dummy', name: 'd', mac: '00:00:00:00:00:00' }, 'mac');
    bad({ kind: 'veth', name: 'd', peer: { name: 'p', mac: 'nope' } }, 'peer.mac');
  });

  it('refuses bad MTUs and kind settings', () => {
    bad({ kind: 'dummy', name: 'd', mtu: 67 }, 'mtu');
    bad({ kind: 'dummy', name: 'd', mtu: 1500.5 }, 'mtu');
    bad({ kind: 'dummy', name: 'd', mtu: -1 }, 'mtu');
    bad({ kind: 'dummy', name: 'd', mtu: 70000 }, 'mtu');
    bad({ kind: 'vlan', name: 'v', parent: 'eth0', id: 4095 }, 'id');
    bad({ kind: 'vxlan', name: 'v', vni: 1 << 24 }, 'vni');
    bad({ kind: 'vxlan', name: 'v', vni: 1, local: '10.0.0.1', group: 'fd00::1' }, 'group');
    bad({ kind: 'ipip', name: 'i', remote: 'fd00::1' }, 'remote');
    bad({ kind: 'macvlan', name: 'm', parent: 'eth0', mode: 'weird' }, 'mode');
    bad({ kind: 'vrf', name: 'v', table: 0 }, 'table');
    bad({ kind: 'bogus', name: 'x' }, 'kind');
  });

  it('set: refuses bad fields', () => {
    expect(() => validateLinkSet({ mtu: 10 })).toThrow(
      expect.objectContaining({ name: 'InvalidArgumentError', field: 'mtu' }),
    );
    expect(() => validateLinkSet({ name: 'x/y' })).toThrow(expect.objectContaining({ field: 'name' }));
    expect(() => validateLinkSet({ mac: 'ff:ff:ff:ff:ff:ff' })).toThrow(expect.objectContaining({ field: 'mac' }));
    expect(() => validateLinkSet({ netns: 'a/b' })).toThrow(expect.objectContaining({ field: 'netns' }));
  });
});
