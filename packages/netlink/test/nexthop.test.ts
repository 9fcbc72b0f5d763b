import { describe, expect, it } from 'vitest';
import {
  NexthopApi,
  decodeNexthop,
  encodeNexthop,
  encodeNexthopDump,
  encodeNexthopId,
  type NexthopOp,
  type NexthopSpec,
} from '../src/nexthop.js';
import { FakeTransport, canon, collect, hex, invalid, msg, toHex, type Loose } from './addr-helpers.js';

// What iproute2 6.1 sent (strace capture, seq zeroed); va is ifindex 3.
const golden: [string, NexthopOp, NexthopSpec, number | undefined, string][] = [
  [
    'ip nexthop add id 1 via 192.0.2.254 dev va',
    'add',
    { id: 1, gateway: '192.0.2.254', oif: 'va' },
    3,
    '300000006800050600000000000000000200000000000000080001000100000008000600c00002fe0800050003000000',
  ],
  [
    'ip nexthop add id 3 blackhole',
    'add',
    { id: 3, blackhole: true },
    undefined,
    '240000006800050600000000000000000200000000000000080001000300000004000400',
  ],
  [
    'ip nexthop add id 10 group 1,3/2',
    'add',
    { id: 10, group: [{ id: 1, weight: 3 }, { id: 2 }] },
    undefined,
    '340000006800050600000000000000000000000000000000080001000a0000001400020001000000020000000200000000000000',
  ],
  [
    'ip nexthop add id 11 group 1/2 type resilient buckets 32 idle_timer 10',
    'add',
    { id: 11, group: [{ id: 1 }, { id: 2 }], groupType: 'resilient', resilient: { buckets: 32, idleTimer: 10 } },
    undefined,
    '500000006800050600000000000000000000000000000000080001000b000000140002000100000000000000020000000000000014000c80060001002000000008000200e80300000600030001000000',
  ],
  [
    'ip nexthop add id 4 via 2001:db8::2 dev va',
    'add',
    { id: 4, gateway: '2001:db8::2', oif: 'va' },
    3,
    '3c0000006800050600000000000000000a0000000000000008000100040000001400060020010db80000000000000000000000020800050003000000',
  ],
  [
    'ip nexthop add id 5 via 192.0.2.9 fdb',
    'add',
    { id: 5, gateway: '192.0.2.9', fdb: true },
    undefined,
    '2c0000006800050600000000000000000200000000000000080001000500000008000600c000020904000b00',
  ],
  [
    'ip nexthop replace id 2 via 192.0.2.252 dev va onlink',
    'replace',
    { id: 2, gateway: '192.0.2.252', oif: 'va', onlink: true },
    3,
    '300000006800050500000000000000000200000004000000080001000200000008000600c00002fc0800050003000000',
  ],
];

describe('encodeNexthop', () => {
  it.each(golden)('matches iproute2 byte for byte: %s', (_cmd, op, spec, oif, theirs) => {
    const mine = encodeNexthop(op, spec, oif);
    expect(canon(mine, 8)).toEqual(canon(hex(theirs), 8));
    // same attribute order too: compare exactly once ACK is added
    const m = Uint8Array.from(mine);
    m[6] = (m[6] ?? 0) | 0x04;
    expect(toHex(m)).toBe(theirs);
  });
  it('matches ip nexthop del id 11', () => {
    const m = encodeNexthopId('delete', 11);
    m[6] = (m[6] ?? 0) | 0x04;
    expect(toHex(m)).toBe('200000006900050000000000000000000000000000000000080001000b000000');
  });
  it('refuses bad input naming the field', () => {
    const f = (s: Loose<NexthopSpec>, oif?: number): string =>
      invalid(() => encodeNexthop('add', { id: 1, gateway: '10.0.0.1', oif: 3, ...s } as NexthopSpec, oif ?? 3)).field;
    expect(f({ id: 0 })).toBe('id');
    expect(f({ gateway: '10.0.0.999' })).toBe('gateway');
    expect(f({ family: 'inet6' })).toBe('gateway');
    expect(f({ blackhole: true })).toBe('blackhole');
    expect(f({ oif: undefined, gateway: undefined, group: [{ id: 1, weight: 300 }] })).toBe('group[0].weight');
    expect(f({ oif: undefined, gateway: undefined, group: [{ id: 0 }] })).toBe('group[0].id');
    expect(f({ oif: undefined, gateway: undefined, group: [] })).toBe('group');
    expect(f({ group: [{ id: 2 }] })).toBe('gateway');
    expect(f({ oif: undefined })).toBe('oif');
    expect(f({ fdb: true })).toBe('fdb');
    expect(f({ groupType: 'resilient' })).toBe('groupType');
    expect(invalid(() => encodeNexthopId('get', -1)).field).toBe('id');
  });
});

// RTM_NEWNEXTHOP replies the kernel (6.18) sent to `ip nexthop show`.
const replies = {
  gw: '30000000680002001108046b432e000002fd0000000000000800010001000000080005000300000008000600c00002fe',
  onlink: '30000000680002001108046b432e000002fd0000040000000800010002000000080005000300000008000600c00002fc',
  blackhole: '24000000680002001108046b432e00000200000000000000080001000300000004000400',
  v6: '3c000000680002001108046b432e00000afd000000000000080001000400000008000500030000001400060020010db8000000000000000000000002',
  fdb: '2c000000680002001108046b432e000002fd000000000000080001000500000004000b0008000600c0000209',
  group:
    '44000000680002001108046b432e00000000000000000000080001000a0000000600030000000000140002000100000002000000020000000000000008000e0000000080',
};

describe('decodeNexthop', () => {
  it('decodes objects and groups', () => {
    expect(decodeNexthop(msg(replies.gw))).toEqual({
      id: 1,
      family: 'inet',
      blackhole: false,
      fdb: false,
      protocol: 'unspec',
      scope: 'link',
      flags: [],
      oif: 3,
      gateway: '192.0.2.254',
    });
    expect(decodeNexthop(msg(replies.onlink))).toMatchObject({ id: 2, flags: ['onlink'] });
    expect(decodeNexthop(msg(replies.blackhole))).toMatchObject({ id: 3, blackhole: true });
    expect(decodeNexthop(msg(replies.v6))).toMatchObject({ id: 4, family: 'inet6', gateway: '2001:db8::2' });
    expect(decodeNexthop(msg(replies.fdb))).toMatchObject({ id: 5, fdb: true, gateway: '192.0.2.9' });
    const g = decodeNexthop(msg(replies.group))!;
    expect(g).toMatchObject({
      id: 10,
      groupType: 'mpath',
      group: [
        { id: 1, weight: 3 },
        { id: 2, weight: 1 },
      ],
    });
    expect(g.family).toBeUndefined();
  });
});

describe('NexthopApi', () => {
  it('lists with dump filters and gets by id', async () => {
    const t = new FakeTransport();
    t.dumpReplies.push(Object.values(replies).map(msg));
    const groups = await collect(new NexthopApi(t).list({ groups: true }));
    expect(groups.map((n) => n.id)).toEqual([10]);
    expect(toHex(t.dumps[0]!)).toBe(toHex(encodeNexthopDump({ groups: true })));
    expect(toHex(encodeNexthopDump({ oif: 3, groups: true }))).toBe(
      '240000006a00010000000000000000000000000000000000080005000300000004000900',
    );
    t.requestReplies.push([msg(replies.v6)]);
    expect((await new NexthopApi(t).get(4)).gateway).toBe('2001:db8::2');
    await expect(new NexthopApi(t).get(4)).rejects.toMatchObject({ name: 'ProtocolError' });
  });
  it('resolves oif names and validates first', async () => {
    const t = new FakeTransport();
    const api = new NexthopApi(t);
    await api.add({ id: 1, gateway: '192.0.2.254', oif: 'va' });
    expect(toHex(t.requests[0]!)).toBe(toHex(encodeNexthop('add', { id: 1, gateway: '192.0.2.254', oif: 3 }, 3)));
    await expect(api.add({ id: 1, gateway: '192.0.2.254', oif: 'vb', blackhole: true })).rejects.toMatchObject({
      field: 'blackhole',
    });
    expect(t.lookups).toEqual(['va']);
    await api.delete(9);
    expect(t.requests).toHaveLength(2);
  });
});
