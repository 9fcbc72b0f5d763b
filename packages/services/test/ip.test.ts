import { describe, expect, it } from 'vitest';
import { parseCidr, parseIp } from '../src/index.js';

describe('addresses are read the way VPP writes them back', () => {
  it.each([
    ['10.96.0.1', '10.96.0.1'],
    ['FD00:0:0:0::A', 'fd00::a'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['::', '::'],
    ['::ffff:1.2.3.4', '::ffff:102:304'],
    ['fd00:1::', 'fd00:1::'],
    ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0'],
  ])('%s → %s', (input, text) => {
    expect(parseIp(input)?.text).toBe(text);
  });

  it.each(['10.96.0.256', '10.96.0', '1.2.3.4/32', 'fe80::1%eth0', ':::', '1::2::3', '', 42, undefined])(
    '%s is not an address',
    (v) => {
      expect(parseIp(v)).toBeUndefined();
    },
  );

  it.each([
    ['10.96.0.0/12', '10.96.0.0/12'],
    ['10.100.3.4/12', '10.96.0.0/12'],
    ['fd00:96::1/108', 'fd00:96::/108'],
    ['0.0.0.0/0', '0.0.0.0/0'],
  ])('prefix %s → %s', (input, text) => {
    expect(parseCidr(input)?.text).toBe(text);
  });

  it.each(['10.96.0.0/33', '10.96.0.0', 'fd00::/129', '10.96.0.0/-1', '10.96.0.0/1a'])('%s is not a prefix', (v) => {
    expect(parseCidr(v)).toBeUndefined();
  });
});
