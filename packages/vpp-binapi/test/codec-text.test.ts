/** Text forms of addresses, prefixes and MACs: parsing, VPP-compatible formatting, errors. */
import { isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  isIp6Text,
  readAddress,
  readIp4,
  readIp6,
  readIp6Prefix,
  readMac,
  readPrefix,
  writeAddress,
  writeIp4,
  writeIp4Prefix,
  writeIp6,
  writeIp6Prefix,
  writeMac,
  writePrefix,
} from '../src/codec/support.js';
import { fromHex, toHex } from '../src/codec/index.js';

function ip6(text: string): string {
  const b = new Uint8Array(16);
  writeIp6(b, 0, text, 'x');
  return toHex(b);
}

describe('IPv6 text', () => {
  it.each([
    ['::', '00000000000000000000000000000000', '::'],
    ['::1', '00000000000000000000000000000001', '::1'],
    ['fd00::1', 'fd000000000000000000000000000001', 'fd00::1'],
    ['FD00:0:0:0:0:0:0:1', 'fd000000000000000000000000000001', 'fd00::1'],
    ['a0a:2::', '0a0a0002000000000000000000000000', 'a0a:2::'],
    ['1:0:0:1:0:0:0:1', '00010000000000010000000000000001', '1:0:0:1::1'],
    ['1:0:0:1:1:0:0:1', '00010000000000010001000000000001', '1::1:1:0:0:1'],
    ['1:0:1:0:1:0:1:0', '00010000000100000001000000010000', '1:0:1:0:1:0:1:0'],
    [
      '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff',
      '20010db8ffffffffffffffffffffffff',
      '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff',
    ],
    ['::ffff:10.0.0.1', '00000000000000000000ffff0a000001', '::ffff:a00:1'],
    ['fe80::', 'fe800000000000000000000000000000', 'fe80::'],
  ])('%s', (text, hex, printed) => {
    expect(ip6(text)).toBe(hex);
    expect(readIp6(fromHex(hex), 0)).toBe(printed);
  });

  it.each([
    '',
    ':',
    ':::',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '12345::',
    'g::',
    '1:',
    ':1',
    '::1.2.3',
    '1.2.3.4',
    '::ffff:1.2.3.4.5',
  ])('rejects %j', (text) => {
    expect(() => ip6(text)).toThrow(
      expect.objectContaining({ name: 'VppEncodeError', code: 'bad_address', path: 'x' }),
    );
  });
});

describe('IPv6 text, randomised against node:net', () => {
  // deterministic xorshift, so a failure reproduces
  let seed = 0x9e3779b9;
  const rnd = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const groups = (b: Uint8Array): string[] =>
    Array.from({ length: 8 }, (_, k) => ((b[2 * k]! << 8) | b[2 * k + 1]!).toString(16));

  it('parses the printed, the expanded and every ::-compressed form of random addresses to the same bytes', () => {
    for (let n = 0; n < 2000; n++) {
      const b = new Uint8Array(16);
      for (let k = 0; k < 8; k++) {
        if (rnd(3) === 0) continue; // zero groups, often in runs
        b[2 * k] = rnd(3) === 0 ? 0 : rnd(256);
        b[2 * k + 1] = rnd(256);
      }
      const hex = toHex(b);
      const g = groups(b);
      const forms = [readIp6(b, 0), g.join(':'), g.map((x) => x.padStart(4, '0').toUpperCase()).join(':')];
      for (let i = 0; i < 8; i++) {
        for (let j = i + 1; j <= 8; j++) {
          if (g.slice(i, j).every((x) => x === '0')) forms.push(`${g.slice(0, i).join(':')}::${g.slice(j).join(':')}`);
        }
      }
      for (const f of forms) {
        expect(isIPv6(f), f).toBe(true);
        expect(ip6(f), f).toBe(hex);
      }
    }
  });

  it('isIp6Text: true only for the canonical text of exactly these bytes', () => {
    for (let n = 0; n < 2000; n++) {
      const b = new Uint8Array(16);
      for (let k = 0; k < 8; k++) {
        if (rnd(3) === 0) continue;
        b[2 * k] = rnd(3) === 0 ? 0 : rnd(256);
        b[2 * k + 1] = rnd(256);
      }
      const text = readIp6(b, 0);
      expect(isIp6Text(text, b, 0), text).toBe(true);
      const g = groups(b);
      const expanded = g.join(':');
      if (expanded !== text) expect(isIp6Text(expanded, b, 0), expanded).toBe(false);
      if (text.toUpperCase() !== text) expect(isIp6Text(text.toUpperCase(), b, 0)).toBe(false);
      expect(isIp6Text(text + '0', b, 0)).toBe(false);
      expect(isIp6Text(text.slice(0, -1), b, 0)).toBe(false);
      const other = b.slice();
      other[rnd(16)]! ^= 1 << rnd(8);
      expect(isIp6Text(text, other, 0), `${text} vs ${readIp6(other, 0)}`).toBe(false);
    }
  });

  it('refuses what node:net refuses', () => {
    const bad = [
      '1:2:3:4:5:6:7:8::',
      '::1:2:3:4:5:6:7:8',
      '1::2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7::8:9',
      ':1::',
      '1:::2',
      '::ffff:1.2.3',
      '1:2:3:4:5:6:7:1.2.3.4',
      '::1.2.3.4:5',
      'fffff::',
    ];
    for (const t of bad) {
      expect(isIPv6(t), t).toBe(false);
      expect(() => ip6(t), t).toThrow(expect.objectContaining({ code: 'bad_address' }));
    }
    for (const t of ['1:2:3:4:5:6:1.2.3.4', '::1.2.3.4', '1::1.2.3.4', '1:2:3:4:5::1.2.3.4']) {
      expect(isIPv6(t), t).toBe(true);
      expect(() => ip6(t), t).not.toThrow();
    }
  });
});

describe('IPv4 text', () => {
  it('parses and prints dotted quads', () => {
    const b = new Uint8Array(4);
    writeIp4(b, 0, '255.0.10.1', 'x');
    expect(toHex(b)).toBe('ff000a01');
    expect(readIp4(b, 0)).toBe('255.0.10.1');
  });
  it.each(['', '1.2.3', '1.2.3.4.5', '256.0.0.0', '1..2.3', 'a.b.c.d', '1.2.3.4 ', '1234.1.1.1', 5])(
    'rejects %j',
    (v) => {
      expect(() => writeIp4(new Uint8Array(4), 0, v, 'x')).toThrow(expect.objectContaining({ code: 'bad_address' }));
    },
  );
});

describe('address, prefixes, MAC', () => {
  it('takes the address family from the text', () => {
    const b = new Uint8Array(17).fill(0xee);
    writeAddress(b, 0, '10.0.0.1', 'a');
    expect(toHex(b)).toBe('00' + '0a000001' + '00'.repeat(12));
    expect(readAddress(b, 0)).toBe('10.0.0.1');
    writeAddress(b, 0, 'fd00::1', 'a');
    expect(toHex(b)).toBe('01' + 'fd000000000000000000000000000001');
    expect(readAddress(b, 0)).toBe('fd00::1');
  });

  it('rejects an unknown address family on decode', () => {
    const b = new Uint8Array(17);
    b[0] = 7;
    expect(() => readAddress(b, 0)).toThrow(expect.objectContaining({ name: 'VppDecodeError', code: 'bad_value' }));
  });

  it('keeps host bits in prefixes', () => {
    const b = new Uint8Array(18);
    writePrefix(b, 0, '10.10.0.1/24', 'p');
    expect(toHex(b)).toBe('00' + '0a0a0001' + '00'.repeat(12) + '18');
    expect(readPrefix(b, 0)).toBe('10.10.0.1/24');
    writePrefix(b, 0, 'fd00::1/64', 'p');
    expect(readPrefix(b, 0)).toBe('fd00::1/64');
    const b4 = new Uint8Array(5);
    writeIp4Prefix(b4, 0, '0.0.0.0/0', 'p');
    expect(toHex(b4)).toBe('0000000000');
    const b6 = new Uint8Array(17);
    writeIp6Prefix(b6, 0, '::/0', 'p');
    expect(readIp6Prefix(b6, 0)).toBe('::/0');
  });

  it.each(['10.0.0.0', '10.0.0.0/33', '10.0.0.0/', '/24', 'fd00::/129', '10.0.0.0/2a', 'fd00::1/-1'])(
    'rejects prefix %j',
    (v) => {
      expect(() => writePrefix(new Uint8Array(18), 0, v, 'p')).toThrow(
        expect.objectContaining({ code: 'bad_address', path: 'p' }),
      );
    },
  );

  it('parses and prints MAC addresses', () => {
    const b = new Uint8Array(6);
    writeMac(b, 0, '02:AB:cd:00:00:01', 'm');
    expect(toHex(b)).toBe('02abcd000001');
    expect(readMac(b, 0)).toBe('02:ab:cd:00:00:01');
    writeMac(b, 0, '02-00-00-00-00-02', 'm');
    expect(readMac(b, 0)).toBe('02:00:00:00:00:02');
    for (const bad of ['02:00:00:00:00', '02:00:00:00:00:0g', '0200.0000.0001', '02:00:00:00:00:001']) {
      expect(() => writeMac(b, 0, bad, 'm')).toThrow(expect.objectContaining({ code: 'bad_address' }));
    }
  });
});
