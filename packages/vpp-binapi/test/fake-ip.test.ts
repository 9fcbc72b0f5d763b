import { describe, expect, it } from 'vitest';
import {
  canonicalAddress,
  canonicalPrefix,
  linkLocalFromMac,
  parsePrefix,
  prefixContains,
  prefixesOverlap,
} from '../src/testing/ip.js';
import { IndexPool, InstanceSet } from '../src/testing/pool.js';

describe('fake VPP address helpers', () => {
  it.each([
    ['fd00:0:0::1', 'fd00::1'],
    ['FD00::1', 'fd00::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::', '::'],
    ['::ffff:10.0.0.1', '::ffff:a00:1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['10.0.0.1', '10.0.0.1'],
  ])('canonical form of %s is %s', (input, want) => {
    expect(canonicalAddress(input)).toBe(want);
  });

  it('rejects what is not an address', () => {
    for (const bad of ['10.0.0', '10.0.0.256', '1::2::3', 'fd00::g', '1:2:3:4:5:6:7:8:9'])
      expect(() => canonicalAddress(bad), bad).toThrow(RangeError);
    expect(() => parsePrefix('10.0.0.0/33')).toThrow(RangeError);
  });

  it('clears host bits and tests containment', () => {
    expect(canonicalPrefix('10.1.2.3/16')).toBe('10.1.0.0/16');
    expect(canonicalPrefix('fd00::1/64')).toBe('fd00::/64');
    expect(prefixContains(parsePrefix('10.0.0.0/8'), parsePrefix('10.9.9.9/32'))).toBe(true);
    expect(prefixContains(parsePrefix('10.0.0.0/8'), parsePrefix('11.0.0.0/32'))).toBe(false);
    expect(prefixContains(parsePrefix('0.0.0.0/0'), parsePrefix('fd00::/64'))).toBe(false);
    expect(prefixesOverlap(parsePrefix('10.1.0.0/16'), parsePrefix('10.0.0.0/8'))).toBe(true);
  });

  it('derives the modified EUI-64 link-local address', () => {
    expect(linkLocalFromMac('02:00:00:00:00:01')).toBe('fe80::ff:fe00:1');
    expect(linkLocalFromMac('de:ad:00:00:00:00')).toBe('fe80::dcad:ff:fe00:0');
  });
});

describe('fake VPP index allocation', () => {
  it('reuses the most recently freed index first, like a VPP pool', () => {
    const p = new IndexPool();
    expect([p.alloc(), p.alloc(), p.alloc()]).toEqual([0, 1, 2]);
    p.release(0);
    p.release(2);
    expect([p.alloc(), p.alloc(), p.alloc()]).toEqual([2, 0, 3]);
  });

  it('gives the lowest free instance, or the requested one when free', () => {
    const s = new InstanceSet();
    expect([s.alloc(), s.alloc(5), s.alloc(), s.alloc(5)]).toEqual([0, 5, 1, undefined]);
    s.release(0);
    expect(s.alloc()).toBe(0);
  });
});
