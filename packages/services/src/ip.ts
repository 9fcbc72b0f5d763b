import { isIPv4, isIPv6 } from 'node:net';

/** An IP family. */
export type IpFamily = 4 | 6;

/** A parsed address: its family and canonical text (IPv6 compressed the way VPP's API decoder writes it). */
export interface ParsedIp {
  readonly family: IpFamily;
  readonly text: string;
}

/** A parsed prefix, normalised to its network address. */
export interface ParsedCidr {
  readonly family: IpFamily;
  readonly text: string;
  readonly address: string;
  readonly length: number;
}

function ip6Bytes(s: string): Uint8Array | undefined {
  let v = s;
  const out = new Uint8Array(16);
  // a trailing dotted quad (::ffff:1.2.3.4) becomes the last two groups
  const lastColon = v.lastIndexOf(':');
  const tail = v.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIPv4(tail)) return undefined;
    const q = tail.split('.').map(Number);
    v = `${v.slice(0, lastColon + 1)}${((q[0]! << 8) | q[1]!).toString(16)}:${((q[2]! << 8) | q[3]!).toString(16)}`;
  }
  const dbl = v.indexOf('::');
  const head = dbl >= 0 ? v.slice(0, dbl) : v;
  const rest = dbl >= 0 ? v.slice(dbl + 2) : '';
  const h = head === '' ? [] : head.split(':');
  const r = rest === '' ? [] : rest.split(':');
  if (dbl < 0 && h.length !== 8) return undefined;
  if (dbl >= 0 && h.length + r.length > 7) return undefined;
  const groups = [...h, ...new Array<string>(8 - h.length - r.length).fill('0'), ...r];
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const n = parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  }
  return out;
}

function formatIp6(b: Uint8Array): string {
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let k = 0; k < 8; k++) {
    if (b[2 * k] === 0 && b[2 * k + 1] === 0) {
      if (runStart < 0) runStart = k;
      if (k - runStart + 1 > bestLen) {
        bestLen = k - runStart + 1;
        bestStart = runStart;
      }
    } else runStart = -1;
  }
  if (bestLen < 2) bestStart = -1;
  let s = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      s += k === 0 ? '::' : ':';
      k += bestLen - 1;
      continue;
    }
    s += ((b[2 * k]! << 8) | b[2 * k + 1]!).toString(16);
    if (k < 7) s += ':';
  }
  return s;
}

/** Parses an IPv4 or IPv6 address (no zone, no prefix); undefined when it is not one. */
export function parseIp(value: unknown): ParsedIp | undefined {
  if (typeof value !== 'string') return undefined;
  if (isIPv4(value)) return { family: 4, text: value };
  if (value.includes('%') || !isIPv6(value)) return undefined;
  const b = ip6Bytes(value);
  return b ? { family: 6, text: formatIp6(b) } : undefined;
}

/** Parses `addr/len`, normalising the address to the network; undefined when it is not a prefix. */
export function parseCidr(value: unknown): ParsedCidr | undefined {
  if (typeof value !== 'string') return undefined;
  const slash = value.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(value.slice(0, slash));
  const lenText = value.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(lenText)) return undefined;
  const length = Number(lenText);
  const max = ip.family === 4 ? 32 : 128;
  if (length > max) return undefined;
  const bytes = ip.family === 4 ? Uint8Array.from(ip.text.split('.').map(Number)) : ip6Bytes(ip.text)!;
  for (let bit = length; bit < max; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  const address = ip.family === 4 ? [...bytes].join('.') : formatIp6(bytes);
  return { family: ip.family, address, length, text: `${address}/${length}` };
}

/** The host prefix of an address: `/32` or `/128`. */
export function hostPrefix(ip: ParsedIp): string {
  return `${ip.text}/${ip.family === 4 ? 32 : 128}`;
}

/** The unspecified address of a family. */
export function anyAddress(family: IpFamily): string {
  return family === 4 ? '0.0.0.0' : '::';
}
