import { describe, expect, it } from 'vitest';
import {
  AddressApi,
  addressToSpec,
  decodeAddress,
  encodeAddress,
  encodeAddressDump,
  type AddressOp,
  type AddressSpec,
} from '../src/address.js';
import { FakeTransport, canon, collect, hex, invalid, msg, toHex } from './addr-helpers.js';

// What iproute2 6.1 sent for the command in the comment (captured with strace; seq zeroed). Interface
// indexes of that namespace: lo 1, va 3.
const golden: [string, AddressOp, AddressSpec, number, string][] = [
  [
    'ip addr add 10.9.0.1/24 dev va',
    'add',
    { link: 'va', address: '10.9.0.1/24' },
    3,
    '280000001400050600000000000000000218000003000000080002000a090001080001000a090001',
  ],
  [
    'ip addr add 10.9.1.1/24 broadcast 10.9.1.255 label va:1 dev va',
    'add',
    { link: 'va', address: '10.9.1.1/24', broadcast: '10.9.1.255', label: 'va:1' },
    3,
    '3c0000001400050600000000000000000218000003000000080002000a090101080004000a0901ff0900030076613a3100000000080001000a090101',
  ],
  [
    'ip addr add 10.9.2.1 peer 10.9.2.2/32 dev va',
    'add',
    { link: 'va', address: '10.9.2.1', peer: '10.9.2.2/32' },
    3,
    '280000001400050600000000000000000220000003000000080002000a090201080001000a090202',
  ],
  [
    'ip addr add 2001:db8:1::1/64 dev va nodad noprefixroute',
    'add',
    { link: 'va', address: '2001:db8:1::1/64', flags: ['nodad', 'noprefixroute'] },
    3,
    '480000001400050600000000000000000a400000030000001400020020010db800010000000000000000000108000800020200001400010020010db8000100000000000000000001',
  ],
  [
    'ip addr add 2001:db8:2::1/64 dev va valid_lft 300 preferred_lft 100',
    'add',
    { link: 'va', address: '2001:db8:2::1/64', validLifetime: 300, preferredLifetime: 100 },
    3,
    '540000001400050600000000000000000a400000030000001400020020010db80002000000000000000000011400010020010db800020000000000000000000114000600640000002c0100000000000000000000',
  ],
  [
    'ip addr replace 10.9.3.1/24 dev va scope link metric 50',
    'replace',
    { link: 'va', address: '10.9.3.1/24', scope: 'link', metric: 50 },
    3,
    '30000000140005050000000000000000021800fd03000000080002000a0903010800090032000000080001000a090301',
  ],
  [
    'ip addr del 10.9.0.1/24 dev va',
    'delete',
    { link: 'va', address: '10.9.0.1/24' },
    3,
    '280000001500050000000000000000000218000003000000080002000a090001080001000a090001',
  ],
  [
    'ip addr add 127.0.0.2/8 dev lo',
    'add',
    { link: 'lo', address: '127.0.0.2/8' },
    1,
    '28000000140005060000000000000000020800fe01000000080002007f000002080001007f000002',
  ],
];

describe('encodeAddress', () => {
  it.each(golden)('matches iproute2: %s', (_cmd, op, spec, index, theirs) => {
    expect(canon(encodeAddress(op, spec, index), 8)).toEqual(canon(hex(theirs), 8));
  });

  it('lays out ifaddrmsg and IFA_LOCAL/IFA_ADDRESS exactly (if_addr.h)', () => {
    const m = encodeAddress('add', { link: 3, address: '10.9.0.1/24' }, 3);
    expect(toHex(m)).toBe(
      '28000000' +
        '1400' +
        '0106' +
        '00000000' +
        '00000000' + // nlmsghdr: len, RTM_NEWADDR, REQUEST|EXCL|CREATE (the transport adds ACK)
        '02' +
        '18' +
        '00' +
        '00' +
        '03000000' + // ifaddrmsg: AF_INET, /24, flags, scope, index
        '0800' +
        '0200' +
        '0a090001' + // IFA_LOCAL
        '0800' +
        '0100' +
        '0a090001', // IFA_ADDRESS
    );
  });

  it('puts flags above 0xff only in IFA_FLAGS and defaults preferred to valid', () => {
    const m = encodeAddress(
      'add',
      { link: 3, address: '2001:db8::1/64', flags: ['managetempaddr'], validLifetime: 60 },
      3,
    );
    const c = canon(m, 8);
    expect(c.family).toBe('0a40000003000000');
    expect(c.attrs).toContain('0800080000010000');
    expect(c.attrs).toContain('140006003c0000003c0000000000000000000000');
  });

  it('refuses bad input naming the field', () => {
    const e = (s: Partial<AddressSpec>): string =>
      invalid(() => encodeAddress('add', { link: 3, address: '10.0.0.1/24', ...s } as AddressSpec, 3)).field;
    expect(e({ address: '10.0.0.300/24' })).toBe('address');
    expect(e({ address: '10.0.0.1/33' })).toBe('address');
    expect(e({ peer: '2001:db8::1' })).toBe('peer');
    expect(e({ broadcast: 'x' })).toBe('broadcast');
    expect(e({ address: '2001:db8::1/64', broadcast: '10.0.0.255' })).toBe('broadcast');
    expect(e({ label: 'a-very-long-label-name' })).toBe('label');
    expect(e({ scope: 'planet' as never })).toBe('scope');
    expect(e({ flags: ['nodad', 'fast' as never] })).toBe('flags');
    expect(e({ validLifetime: 10, preferredLifetime: 20 })).toBe('preferredLifetime');
    expect(e({ validLifetime: -1 })).toBe('validLifetime');
    expect(e({ metric: 2 ** 32 })).toBe('metric');
    expect(invalid(() => encodeAddress('add', { link: 3, address: '10.0.0.1/24' }, 0)).field).toBe('link');
  });
});

// RTM_NEWADDR replies the kernel (6.18) sent to `ip addr show dev va` (seq/pid kept as captured).
const replies = {
  v4Link:
    '54000000140022001008046b932c0000021880fd03000000080001000a090301080002000a09030107000300766100000800080080000000080009003200000014000600ffffffffffffffffc8c30400c8c30400',
  v4Label:
    '58000000140022001008046b932c00000218800003000000080001000a090101080002000a090101080004000a0901ff0900030076613a3100000000080008008000000014000600ffffffffffffffff8ec304008ec30400',
  v4Peer:
    '4c000000140022001008046b932c00000220800003000000080001000a090202080002000a0902010700030076610000080008008000000014000600ffffffffffffffff9bc304009bc30400',
  v6Dynamic:
    '48000000140022001008046b932c00000a400000030000001400010020010db80002000000000000000000011400060024000000ec000000b7c30400b7c304000800080000000000',
  v6Nodad:
    '48000000140022001008046b932c00000a408200030000001400010020010db800010000000000000000000114000600ffffffffffffffffa8c30400a8c304000800080082020000',
  v6LinkLocal:
    '50000000140022001008046b932c00000a4080fd0300000014000100fe80000000000000902766fffe5a4e5614000600ffffffffffffffff4eb704004eb70400080008008000000005000b0003000000',
};

describe('decodeAddress', () => {
  it('decodes an IPv4 address with scope and metric', () => {
    expect(decodeAddress(msg(replies.v4Link))).toEqual({
      family: 'inet',
      index: 3,
      address: '10.9.3.1',
      prefixLen: 24,
      label: 'va',
      scope: 'link',
      flags: ['permanent'],
      flagBits: 0x80,
      preferredLifetime: 'forever',
      validLifetime: 'forever',
      metric: 50,
    });
  });
  it('decodes broadcast and label', () => {
    expect(decodeAddress(msg(replies.v4Label))).toMatchObject({
      address: '10.9.1.1',
      broadcast: '10.9.1.255',
      label: 'va:1',
      scope: 'universe',
    });
  });
  it('tells the peer (IFA_ADDRESS) from the local address (IFA_LOCAL)', () => {
    const a = decodeAddress(msg(replies.v4Peer))!;
    expect(a).toMatchObject({ address: '10.9.2.1', peer: '10.9.2.2', prefixLen: 32 });
    expect(addressToSpec(a)).toMatchObject({ link: 3, address: '10.9.2.1', peer: '10.9.2.2/32' });
  });
  it('decodes IPv6 lifetimes and IFA_FLAGS', () => {
    expect(decodeAddress(msg(replies.v6Dynamic))).toMatchObject({
      family: 'inet6',
      address: '2001:db8:2::1',
      prefixLen: 64,
      preferredLifetime: 36,
      validLifetime: 236,
      flags: [],
    });
    expect(decodeAddress(msg(replies.v6Nodad))).toMatchObject({
      flags: ['nodad', 'permanent', 'noprefixroute'],
      flagBits: 0x282,
    });
    expect(decodeAddress(msg(replies.v6LinkLocal))).toMatchObject({
      address: 'fe80::9027:66ff:fe5a:4e56',
      scope: 'link',
      protocol: 3,
    });
  });
  it('ignores other message types', () => {
    expect(decodeAddress({ type: 24, flags: 0, seq: 0, pid: 0, payload: new Uint8Array(8) })).toBeUndefined();
  });
  it('re-encodes what it decoded (snapshot / restore)', () => {
    const spec = addressToSpec(decodeAddress(msg(replies.v6Nodad))!);
    expect(spec).toEqual({
      link: 3,
      address: '2001:db8:1::1/64',
      scope: 'universe',
      flags: ['nodad', 'noprefixroute'],
    });
    expect(canon(encodeAddress('add', spec, 3), 8)).toEqual(canon(hex(golden[3]![4]), 8));
  });
});

describe('AddressApi', () => {
  it('lists with a kernel-side filter on index and family, and filters again', async () => {
    const t = new FakeTransport();
    t.dumpReplies.push([msg(replies.v4Link), msg(replies.v6Nodad), msg(replies.v4Peer)]);
    const got = await collect(new AddressApi(t).list({ link: 'va', family: 'inet' }));
    expect(got.map((a) => a.address)).toEqual(['10.9.3.1', '10.9.2.1']);
    expect(toHex(t.dumps[0]!)).toBe(toHex(encodeAddressDump('inet', 3)));
    expect(toHex(t.dumps[0]!)).toBe('180000001600010000000000000000000200000003000000');
  });
  it('resolves the link name and sends one request', async () => {
    const t = new FakeTransport();
    await new AddressApi(t).add({ link: 'va', address: '10.9.0.1/24' });
    expect(t.lookups).toEqual(['va']);
    expect(canon(t.requests[0]!, 8)).toEqual(canon(hex(golden[0]![4]), 8));
  });
  it('refuses bad input before looking anything up or sending', async () => {
    const t = new FakeTransport();
    const api = new AddressApi(t);
    await expect(api.add({ link: 'va', address: '10.0.0.0/99' })).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      field: 'address',
    });
    await expect(api.delete({ link: 'bad/name', address: '10.0.0.1/24' })).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      field: 'link',
    });
    await expect(collect(api.list({ family: 'ipx' as never }))).rejects.toMatchObject({ field: 'family' });
    expect(t.lookups).toEqual([]);
    expect(t.requests).toEqual([]);
  });
});
