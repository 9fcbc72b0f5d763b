import { describe, expect, it } from 'vitest';
import { RuleApi, decodeRule, encodeRule, encodeRuleDump, type RuleOp, type RuleSpec } from '../src/rule.js';
import { FakeTransport, canon, collect, hex, invalid, msg, toHex, type Loose } from './addr-helpers.js';

// What iproute2 6.1 sent (strace capture, seq zeroed).
const golden: [string, RuleOp, RuleSpec, string][] = [
  [
    'ip rule add from 10.20.0.0/16 table 100 priority 1000',
    'add',
    { src: '10.20.0.0/16', table: 100, priority: 1000 },
    '2c000000200005060000000000000000020010006400000100000000080002000a14000008000600e8030000',
  ],
  [
    'ip rule add to 10.21.0.0/16 fwmark 0x10/0xff iif va oif lo table 2000 priority 1001',
    'add',
    { dst: '10.21.0.0/16', fwmark: 0x10, fwmask: 0xff, iif: 'va', oif: 'lo', table: 2000, priority: 1001 },
    '54000000200005060000000000000000021000000000000100000000080001000a15000008000a001000000008001000ff0000000700030076610000070011006c6f000008000f00d007000008000600e9030000',
  ],
  [
    'ip rule add not from 10.22.0.0/16 lookup main suppress_prefixlength 0 priority 1002',
    'add',
    { invert: true, src: '10.22.0.0/16', table: 'main', suppressPrefixLength: 0, priority: 1002 },
    '3400000020000506000000000000000002001000fe00000102000000080002000a16000008000e000000000008000600ea030000',
  ],
  [
    'ip rule add priority 1003 goto 1005',
    'add',
    { priority: 1003, goto: 1005 },
    '2c00000020000506000000000000000002000000000000020000000008000600eb03000008000400ed030000',
  ],
  [
    'ip rule add priority 1004 blackhole',
    'add',
    { priority: 1004, action: 'blackhole' },
    '2400000020000506000000000000000002000000000000060000000008000600ec030000',
  ],
  [
    'ip rule add priority 1006 ipproto 6 sport 1000-2000 dport 80 uidrange 1000-2000 table 5 protocol 4',
    'add',
    {
      priority: 1006,
      ipProto: 6,
      sport: [1000, 2000],
      dport: 80,
      uidRange: { start: 1000, end: 2000 },
      table: 5,
      protocol: 4,
    },
    '5000000020000506000000000000000002000000050000010000000008000600ee030000050016000600000008001700e803d00708001800500050000c001400e8030000d00700000500150004000000',
  ],
  [
    'ip -6 rule add from 2001:db8::/32 table 100 priority 1007',
    'add',
    { src: '2001:db8::/32', table: 100, priority: 1007 },
    '380000002000050600000000000000000a00200064000001000000001400020020010db800000000000000000000000008000600ef030000',
  ],
  [
    'ip rule del priority 1000',
    'delete',
    { priority: 1000 },
    '2400000021000500000000000000000002000000000000000000000008000600e8030000',
  ],
  [
    'ip rule del from 10.21.0.0/16 priority 1001 table 2000',
    'delete',
    { src: '10.21.0.0/16', priority: 1001, table: 2000 },
    '34000000210005000000000000000000020010000000000000000000080002000a15000008000600e903000008000f00d0070000',
  ],
];

describe('encodeRule', () => {
  it.each(golden)('matches iproute2: %s', (_cmd, op, spec, theirs) => {
    expect(canon(encodeRule(op, spec), 12)).toEqual(canon(hex(theirs), 12));
  });
  it('lays out fib_rule_hdr exactly (fib_rules.h)', () => {
    expect(toHex(encodeRule('add', { src: '10.20.0.0/16', table: 100, priority: 1000, invert: true }))).toBe(
      '2c000000' +
        '2000' +
        '0106' +
        '0000000000000000' +
        '02' +
        '00' +
        '10' +
        '00' +
        '64' +
        '00' +
        '00' +
        '01' +
        '02000000' + // family dst_len src_len tos table res1 res2 action flags
        '0800' +
        '0600' +
        'e8030000' +
        '0800' +
        '0200' +
        '0a140000',
    );
  });
  it('refuses bad input naming the field', () => {
    const f = (s: Loose<RuleSpec>): string =>
      invalid(() => encodeRule('add', { priority: 10, table: 100, ...s } as RuleSpec)).field;
    expect(f({ src: '10.0.0.1/8' })).toBe('src');
    expect(f({ src: '10.0.0.0/8', dst: '2001:db8::/32' })).toBe('dst');
    expect(f({ table: 0 })).toBe('table');
    expect(f({ priority: -5 })).toBe('priority');
    expect(f({ action: 'jump' as never })).toBe('action');
    expect(f({ action: 'table', goto: 5 })).toBe('goto');
    expect(f({ table: undefined, action: 'goto' })).toBe('goto');
    expect(f({ fwmask: 0xff })).toBe('fwmask');
    expect(f({ iif: 'way-too-long-name0' })).toBe('iif');
    expect(f({ suppressPrefixLength: 33 })).toBe('suppressPrefixLength');
    expect(f({ sport: [2000, 1000] })).toBe('sport');
    expect(f({ dport: 70000 })).toBe('dport');
    expect(f({ uidRange: { start: 5, end: 1 } })).toBe('uidRange');
    expect(f({ family: 'inet6', flow: 1 })).toBe('flow');
  });
});

// RTM_NEWRULE replies the kernel (6.18) sent to `ip rule show`.
const replies = {
  local: '34000000200002001008046be32d000002000000ff0000010000000008000f00ff00000008000e00ffffffff0500150002000000',
  marks:
    '64000000200002001008046be32d000002100000fc0000010000000008000f00d007000008000e00ffffffff05001500000000000700030076610000070011006c6f000008000600e903000008000a001000000008001000ff000000080001000a150000',
  not: '44000000200002001008046be32d000002001000fe0000010200000008000f00fe00000008000e0000000000050015000000000008000600ea030000080002000a160000',
  goto: '44000000200002001008046be32d000002000000000000020400000008000f000000000008000e00ffffffff050015000000000008000600eb03000008000400ed030000',
  ports:
    '68000000200002001008046be32d000002000000050000010000000008000f000500000008000e00ffffffff050015000400000008000600ee0300000c001400e8030000d007000008001700e803d007080018005000500006001d00ffff00000500160006000000',
  v6: '50000000200002001108046b132e00000a002000640000010000000008000f006400000008000e00ffffffff050015000000000008000600ef0300001400020020010db8000000000000000000000000',
};

describe('decodeRule', () => {
  it('decodes the rules iproute2 installed', () => {
    expect(decodeRule(msg(replies.local))).toEqual({
      family: 'inet',
      priority: 0,
      tos: 0,
      table: 255,
      action: 'table',
      invert: false,
      flagBits: 0,
      protocol: 2,
    });
    expect(decodeRule(msg(replies.marks))).toMatchObject({
      dst: '10.21.0.0/16',
      fwmark: 0x10,
      fwmask: 0xff,
      iif: 'va',
      oif: 'lo',
      table: 2000,
      priority: 1001,
    });
    expect(decodeRule(msg(replies.not))).toMatchObject({
      src: '10.22.0.0/16',
      invert: true,
      suppressPrefixLength: 0,
      table: 254,
    });
    expect(decodeRule(msg(replies.goto))).toMatchObject({ action: 'goto', goto: 1005, flagBits: 4 });
    expect(decodeRule(msg(replies.ports))).toMatchObject({
      ipProto: 6,
      sport: [1000, 2000],
      dport: [80, 80],
      uidRange: { start: 1000, end: 2000 },
      table: 5,
      protocol: 4,
    });
    expect(decodeRule(msg(replies.v6))).toMatchObject({
      family: 'inet6',
      src: '2001:db8::/32',
      table: 100,
      priority: 1007,
    });
  });
});

describe('RuleApi', () => {
  it('dumps with only the family set, as strict checking requires', async () => {
    const t = new FakeTransport();
    t.dumpReplies.push(Object.values(replies).map(msg));
    const got = await collect(new RuleApi(t).list({ family: 'inet' }));
    expect(got.map((r) => r.priority)).toEqual([0, 1001, 1002, 1003, 1006]);
    expect(toHex(t.dumps[0]!)).toBe(toHex(encodeRuleDump('inet')));
    expect(toHex(encodeRuleDump('inet'))).toBe('1c000000220001000000000000000000020000000000000000000000');
  });
  it('validates before sending', async () => {
    const t = new FakeTransport();
    await expect(new RuleApi(t).add({ src: 'x' })).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      field: 'src',
    });
    expect(t.requests).toEqual([]);
    await new RuleApi(t).delete({ priority: 1000 });
    expect(canon(t.requests[0]!, 12)).toEqual(canon(hex(golden[7]![3]), 12));
  });
});
