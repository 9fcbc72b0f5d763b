import { describe, expect, it } from 'vitest';
import {
  detectFamily,
  formatIPv4,
  formatIPv6,
  formatMac,
  isNetworkAddress,
  parseIPv4,
  parseIPv6,
  parseIp,
  parseMac,
  requireIp,
  requireMac,
  requirePrefix,
} from '../src/addr.js';
import { invalid, toHex } from './addr-helpers.js';

describe('IPv4', () => {
  it('parses dotted quads', () => {
    expect(toHex(parseIPv4('192.0.2.1')!)).toBe('c0000201');
    expect(toHex(parseIPv4('0.0.0.0')!)).toBe('00000000');
    expect(toHex(parseIPv4('255.255.255.255')!)).toBe('ffffffff');
  });
  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.0.0.1',
    '01.2.3.4',
    '1..2.3',
    '1.2.3.4 ',
    ' 1.2.3.4',
    '1.2.3.-4',
    '1.2.3.4/24',
    'a.b.c.d',
    '1.2.3.',
  ])('refuses %j', (s) => expect(parseIPv4(s)).toBeUndefined());
  it('formats', () => expect(formatIPv4(Uint8Array.of(10, 0, 0, 255))).toBe('10.0.0.255'));
});

describe('IPv6', () => {
  const cases: [string, string, string][] = [
    ['::', '00000000000000000000000000000000', '::'],
    ['::1', '00000000000000000000000000000001', '::1'],
    ['1::', '00010000000000000000000000000000', '1::'],
    ['2001:db8::1', '20010db8000000000000000000000001', '2001:db8::1'],
    ['2001:DB8:0:0:1:0:0:1', '20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'],
    ['fe80::9027:66ff:fe5a:4e56', 'fe80000000000000902766fffe5a4e56', 'fe80::9027:66ff:fe5a:4e56'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201', '::ffff:192.0.2.1'],
    ['64:ff9b::192.0.2.1', '0064ff9b0000000000000000c0000201', '64:ff9b::c000:201'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008', '1:2:3:4:5:6:7:8'],
    ['1:0:0:2:0:0:0:3', '00010000000000020000000000000003', '1:0:0:2::3'],
  ];
  it.each(cases)('parses %s and formats it canonically (RFC 5952)', (text, bytes, canonical) => {
    const b = parseIPv6(text)!;
    expect(toHex(b)).toBe(bytes);
    expect(formatIPv6(b)).toBe(canonical);
  });
  it.each([
    ':',
    ':::',
    '1:::2',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '12345::',
    'g::',
    ':1::',
    '1:',
    'fe80::1%eth0',
    '::1.2.3',
    '1.2.3.4::',
  ])('refuses %j', (s) => expect(parseIPv6(s)).toBeUndefined());
});

describe('families, prefixes, MACs', () => {
  it('detects the family', () => {
    expect(parseIp('10.0.0.1')?.family).toBe('inet');
    expect(parseIp('fe80::1')?.family).toBe('inet6');
    expect(detectFamily('10.0.0.0/8')).toBe('inet');
    expect(detectFamily('2001:db8::/32')).toBe('inet6');
    expect(detectFamily('nope')).toBeUndefined();
  });
  it('parses prefixes with and without a length', () => {
    expect(requirePrefix('dst', '10.1.0.0/16')).toMatchObject({ family: 'inet', prefixLen: 16 });
    expect(requirePrefix('dst', '10.1.2.3')).toMatchObject({ family: 'inet', prefixLen: 32 });
    expect(requirePrefix('dst', '2001:db8::/32')).toMatchObject({ family: 'inet6', prefixLen: 32 });
    expect(requirePrefix('dst', '::/0').prefixLen).toBe(0);
  });
  it('refuses bad prefixes naming the field', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/08', '10.0.0.0/-1', '::/129', '10.0.0/8', 'x/8', 42]) {
      expect(invalid(() => requirePrefix('routes[2].dst', bad))).toEqual({
        name: 'InvalidArgumentError',
        field: 'routes[2].dst',
      });
    }
    expect(invalid(() => requirePrefix('dst', '10.0.0.1/24', { network: true })).field).toBe('dst');
    expect(invalid(() => requirePrefix('dst', '10.0.0.0/24', { family: 'inet6' })).field).toBe('dst');
    expect(invalid(() => requireIp('gateway', '2001:db8::1', 'inet')).field).toBe('gateway');
  });
  it('checks host bits', () => {
    expect(isNetworkAddress(parseIPv4('10.0.0.0')!, 8)).toBe(true);
    expect(isNetworkAddress(parseIPv4('10.0.0.1')!, 24)).toBe(false);
    expect(isNetworkAddress(parseIPv4('10.128.0.0')!, 9)).toBe(true);
    expect(isNetworkAddress(parseIPv4('10.128.0.0')!, 8)).toBe(false);
    expect(isNetworkAddress(parseIPv6('2001:db8::')!, 32)).toBe(true);
    expect(isNetworkAddress(parseIPv6('2001:db8::1')!, 127)).toBe(false);
  });
  it('parses and formats MACs', () => {
    expect(toHex(parseMac('02:00:00:00:00:AA')!)).toBe('0200000000aa');
    expect(toHex(parseMac('02-00-00-00-00-aa')!)).toBe('0200000000aa');
    expect(formatMac(Uint8Array.of(2, 0, 0, 0, 0, 0xaa))).toBe('02:00:00:00:00:aa');
    for (const bad of [
      '02:00:00:00:00',
      '02:00:00:00:00:0g',
      '0200.0000.00aa',
      '02:00-00:00:00:aa',
      '02:00:00:00:00:aa:bb',
      '',
    ]) {
      expect(parseMac(bad)).toBeUndefined();
    }
    expect(invalid(() => requireMac('lladdr', 'zz'))).toEqual({ name: 'InvalidArgumentError', field: 'lladdr' });
  });
  it('round-trips many addresses quickly', () => {
    const t0 = performance.now();
    for (let i = 0; i < 20000; i++) {
      const s = `10.${(i >> 8) & 255}.${i & 255}.0`;
      expect(formatIPv4(parseIPv4(s)!)).toBe(s);
    }
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
