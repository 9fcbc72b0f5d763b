import { describe, expect, it } from 'vitest';
import { NeighApi, decodeNeigh, encodeNeigh, encodeNeighDump, type NeighOp, type NeighSpec } from '../src/neigh.js';
import { FakeTransport, canon, collect, hex, invalid, msg, toHex, type Loose } from './addr-helpers.js';

// What iproute2 6.1 sent (strace capture, seq zeroed); vb 2, va 3, vx0 5.
const golden: [string, NeighOp, NeighSpec, number, number | undefined, string][] = [
  [
    'ip neigh add 192.0.2.77 lladdr 02:00:00:00:00:77 dev va',
    'add',
    { link: 'va', dst: '192.0.2.77', lladdr: '02:00:00:00:00:77' },
    3,
    undefined,
    '300000001c000506000000000000000002000000030000008000000008000100c000024d0a0002000200000000770000',
  ],
  [
    'ip neigh add 192.0.2.78 lladdr 02:00:00:00:00:78 dev va nud noarp',
    'add',
    { link: 'va', dst: '192.0.2.78', lladdr: '02:00:00:00:00:78', state: 'noarp' },
    3,
    undefined,
    '300000001c000506000000000000000002000000030000004000000008000100c000024e0a0002000200000000780000',
  ],
  [
    'ip neigh replace 2001:db8::77 lladdr 02:00:00:00:00:77 dev va nud reachable router',
    'replace',
    { link: 'va', dst: '2001:db8::77', lladdr: '02:00:00:00:00:77', state: 'reachable', flags: ['router'] },
    3,
    undefined,
    '3c0000001c00050500000000000000000a00000003000000020080001400010020010db80000000000000000000000770a0002000200000000770000',
  ],
  [
    'ip neigh add proxy 192.0.2.79 dev va',
    'add',
    { link: 'va', dst: '192.0.2.79', flags: ['proxy'] },
    3,
    undefined,
    '240000001c000506000000000000000002000000030000008000080008000100c000024f',
  ],
  [
    'ip neigh del 192.0.2.78 dev va',
    'delete',
    { link: 'va', dst: '192.0.2.78' },
    3,
    undefined,
    '240000001d000500000000000000000002000000030000008000000008000100c000024e',
  ],
  [
    'bridge fdb add 02:00:00:00:00:aa dev vb master static',
    'add',
    { link: 'vb', lladdr: '02:00:00:00:00:aa', flags: ['master'] },
    2,
    undefined,
    '280000001c00050600000000000000000700000002000000420004000a0002000200000000aa0000',
  ],
  [
    'bridge fdb add 02:00:00:00:00:ab dev vb master static vlan 10',
    'add',
    { link: 'vb', lladdr: '02:00:00:00:00:ab', flags: ['master'], vlan: 10 },
    2,
    undefined,
    '300000001c00050600000000000000000700000002000000420004000a0002000200000000ab0000060005000a000000',
  ],
  [
    'bridge fdb add 02:00:00:00:00:bb dev vx0 dst 192.0.2.2 self permanent',
    'add',
    { link: 'vx0', family: 'bridge', lladdr: '02:00:00:00:00:bb', dst: '192.0.2.2' },
    5,
    undefined,
    '300000001c00050600000000000000000700000005000000c00002000a0002000200000000bb000008000100c0000202',
  ],
  [
    'bridge fdb append 00:00:00:00:00:00 dev vx0 dst 192.0.2.3 port 4790 vni 43 via va',
    'append',
    {
      link: 'vx0',
      family: 'bridge',
      lladdr: '00:00:00:00:00:00',
      dst: '192.0.2.3',
      port: 4790,
      vni: 43,
      via: 'va',
      state: 'noarp',
    },
    5,
    3,
    '480000001c00050c00000000000000000700000005000000400002000a000200000000000000000008000100c00002030600060012b60000080007002b0000000800080003000000',
  ],
  [
    'bridge fdb del 02:00:00:00:00:bb dev vx0 dst 192.0.2.2 self',
    'delete',
    { link: 'vx0', family: 'bridge', lladdr: '02:00:00:00:00:bb', dst: '192.0.2.2', flags: ['self'] },
    5,
    undefined,
    '300000001d00050000000000000000000700000005000000c00002000a0002000200000000bb000008000100c0000202',
  ],
];

describe('encodeNeigh', () => {
  it.each(golden)('matches iproute2: %s', (_cmd, op, spec, ifindex, via, theirs) => {
    expect(canon(encodeNeigh(op, spec, ifindex, via), 12)).toEqual(canon(hex(theirs), 12));
  });
  it('lays out ndmsg exactly (neighbour.h)', () => {
    expect(toHex(encodeNeigh('add', { link: 3, dst: '192.0.2.77', lladdr: '02:00:00:00:00:77' }, 3))).toBe(
      '30000000' +
        '1c00' +
        '0106' +
        '0000000000000000' +
        '02' +
        '00' +
        '0000' +
        '03000000' +
        '8000' +
        '00' +
        '00' + // family, pads, ifindex, NUD_PERMANENT, flags, type
        '0800' +
        '0100' +
        'c000024d' +
        '0a00' +
        '0200' +
        '020000000077' +
        '0000',
    );
  });
  it('refuses bad input naming the field', () => {
    const f = (s: Loose<NeighSpec>): string =>
      invalid(() =>
        encodeNeigh('add', { link: 3, dst: '192.0.2.1', lladdr: '02:00:00:00:00:01', ...s } as NeighSpec, 3),
      ).field;
    expect(f({ lladdr: '02:00:00:00:00' })).toBe('lladdr');
    expect(f({ lladdr: undefined })).toBe('lladdr');
    expect(f({ dst: '192.0.2.300' })).toBe('dst');
    expect(f({ family: 'inet6' })).toBe('dst');
    expect(f({ family: 'ipx' as never })).toBe('family');
    expect(f({ state: 'sleepy' as never })).toBe('state');
    expect(f({ flags: ['loud' as never] })).toBe('flags');
    expect(f({ vlan: 10 })).toBe('vlan');
    expect(f({ family: 'bridge', vlan: 4095 })).toBe('vlan');
    expect(f({ family: 'bridge', vni: 1 << 24 })).toBe('vni');
    expect(f({ family: 'bridge', port: 65536 })).toBe('port');
    expect(f({ family: 'bridge', lladdr: undefined })).toBe('lladdr');
    expect(invalid(() => encodeNeigh('add', { link: 3, dst: '192.0.2.1', lladdr: '02:00:00:00:00:01' }, 0)).field).toBe(
      'link',
    );
  });
});

// RTM_NEWNEIGH replies the kernel (6.18) sent to `ip neigh show`, `ip neigh show proxy`, `bridge fdb show`.
const replies = {
  permanent:
    '4c0000001c0022001108046bf32c000002000000030000008000000108000100c000024d0a0002000200000000770000080004000000000014000300ff170000ff170000ff17000000000000',
  incomplete:
    '400000001c0022001108046bf32c000002000000030000000100000108000100c0000203080004000500000014000300bc2e0000b3000000b300000001000000',
  v6router:
    '580000001c0022001108046bf32c00000a000000030000000400800114000100' +
    '20010db8000000000000000000000077' +
    '0a0002000200000000770000080004000000000014000300e8170000e81700001907000000000000',
  proxy: '240000001c0002001108046b232d000002000000030000000000080108000100c000024f',
  vxlan:
    '5c0000001c0002001108046b832d00000700000005000000c00002010a000200000000000000000008000100c00002030600060012b60000080007002b00000008000800030000001400030000000000de000000cb17000000000000',
  bridgeStatic:
    '4c0000001c0002001108046bb32d00000700000002000000400000000a0002000200000000aa0000080009000400000008000f00000000001400030000000000001800000018000000000000',
  bridgeSelf: '280000001c0002001108046bb32d00000700000002000000800002000a0002003333000000010000',
};

describe('decodeNeigh', () => {
  it('decodes neighbours', () => {
    expect(decodeNeigh(msg(replies.permanent))).toEqual({
      family: 'inet',
      index: 3,
      state: ['permanent'],
      stateBits: 0x80,
      flags: [],
      flagBits: 0,
      type: 1,
      dst: '192.0.2.77',
      lladdr: '02:00:00:00:00:77',
      probes: 0,
    });
    expect(decodeNeigh(msg(replies.incomplete))).toMatchObject({ dst: '192.0.2.3', state: ['incomplete'], probes: 5 });
    expect(decodeNeigh(msg(replies.v6router))).toMatchObject({
      family: 'inet6',
      dst: '2001:db8::77',
      state: ['stale'],
      flags: ['router'],
    });
    expect(decodeNeigh(msg(replies.proxy))).toMatchObject({ dst: '192.0.2.79', flags: ['proxy'], state: [] });
  });
  it('decodes FDB entries', () => {
    expect(decodeNeigh(msg(replies.vxlan))).toMatchObject({
      family: 'bridge',
      index: 5,
      lladdr: '00:00:00:00:00:00',
      dst: '192.0.2.3',
      port: 4790,
      vni: 43,
      via: 3,
      flags: ['self'],
      state: ['noarp', 'permanent'],
    });
    expect(decodeNeigh(msg(replies.bridgeStatic))).toMatchObject({
      family: 'bridge',
      index: 2,
      lladdr: '02:00:00:00:00:aa',
      master: 4,
      state: ['noarp'],
    });
    expect(decodeNeigh(msg(replies.bridgeSelf))).toMatchObject({
      lladdr: '33:33:00:00:00:01',
      flags: ['self'],
      state: ['permanent'],
    });
  });
});

describe('NeighApi', () => {
  it('lists IP neighbours of a link with NDA_IFINDEX, leaving FDB entries out', async () => {
    const t = new FakeTransport();
    t.dumpReplies.push([msg(replies.permanent), msg(replies.v6router), msg(replies.bridgeSelf)]);
    const got = await collect(new NeighApi(t).list({ link: 'va' }));
    expect(got.map((n) => n.dst)).toEqual(['192.0.2.77', '2001:db8::77']);
    expect(toHex(t.dumps[0]!)).toBe('240000001e000100000000000000000000000000000000000000000008000800' + '03000000');
  });
  it('lists proxy entries per family and the FDB of a bridge', async () => {
    const t = new FakeTransport();
    t.dumpReplies.push([msg(replies.proxy)], []);
    expect((await collect(new NeighApi(t).list({ proxy: true }))).map((n) => n.dst)).toEqual(['192.0.2.79']);
    expect(t.dumps.map((d) => toHex(d.subarray(16, 28)))).toEqual([
      '020000000000000000000800',
      '0a0000000000000000000800',
    ]);
    t.dumpReplies.push([msg(replies.bridgeStatic), msg(replies.vxlan)]);
    const fdb = await collect(new NeighApi(t).list({ family: 'bridge', master: 'br0' }));
    expect(fdb).toHaveLength(2);
    expect(toHex(t.dumps[2]!)).toBe(toHex(encodeNeighDump({ family: 'bridge', master: 4 })));
  });
  it('resolves link and via, and validates first', async () => {
    const t = new FakeTransport();
    const api = new NeighApi(t);
    await api.append({ link: 'vx0', family: 'bridge', lladdr: '00:00:00:00:00:00', dst: '192.0.2.3', via: 'va' });
    expect(t.lookups).toEqual(['vx0', 'va']);
    await expect(api.add({ link: 'va', dst: '192.0.2.9', lladdr: 'nope' })).rejects.toMatchObject({ field: 'lladdr' });
    await expect(
      api.add({ link: 'va', dst: '192.0.2.9', lladdr: '02:00:00:00:00:01', via: 'bad/name' }),
    ).rejects.toMatchObject({ field: 'via' });
    expect(t.lookups).toHaveLength(2);
    expect(t.requests).toHaveLength(1);
  });
});
