import { isIP } from 'node:net';

/** Address family of a prefix or address. */
export type IpFamily = 'ipv4' | 'ipv6';

/** A parsed CIDR prefix. */
export interface Cidr {
  family: IpFamily;
  /** The network address, host bits cleared, in canonical text form. */
  address: string;
  length: number;
}

/**
 * The 32-bit value of a dotted-quad IPv4 address in the form Node's `isIPv4` accepts (no leading zeros),
 * or -1. A loop over char codes: the hot paths (every learned route) parse many of these.
 */
function ipv4Value(text: string, start = 0, end = text.length): number {
  let value = 0;
  let octets = 0;
  let i = start;
  while (i < end) {
    const first = text.charCodeAt(i);
    if (first < 48 || first > 57) return -1;
    let n = first - 48;
    i++;
    let digits = 1;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      if (first === 48 || ++digits > 3) return -1; // leading zero, or too long
      n = n * 10 + (c - 48);
      i++;
    }
    if (n > 255) return -1;
    value = value * 256 + n;
    octets++;
    if (i === end) break;
    if (text.charCodeAt(i) !== 46 || octets === 4) return -1;
    i++;
    if (i === end) return -1; // trailing dot
  }
  return octets === 4 ? value : -1;
}

function ipv4Text(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** Canonical v6 texts already computed (learned routes repeat next hops); bounded. */
const v6Canonical = new Map<string, string>();
const V6_CACHE_MAX = 4096;

/** Parse `a.b.c.d/len` or `x::/len` (host bits are cleared); undefined if malformed. */
export function parseCidr(text: string): Cidr | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return undefined;
  const length = Number(lenText);
  const v4 = ipv4Value(text, 0, slash);
  if (v4 >= 0) {
    if (length > 32) return undefined;
    const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
    const net = (v4 & mask) >>> 0;
    return { family: 'ipv4', address: net === v4 ? text.slice(0, slash) : ipv4Text(net), length };
  }
  const addr = text.slice(0, slash);
  if (isIP(addr) !== 6 || length > 128) return undefined;
  const bytes = addressBytes(addr);
  const masked = maskBytes(bytes, length);
  return { family: 'ipv6', address: bytesToAddress(masked), length };
}

/** The canonical `address/len` text of a CIDR. */
export function formatCidr(c: Cidr): string {
  return `${c.address}/${c.length}`;
}

/** Canonical CIDR text, or undefined when malformed. */
export function canonicalCidr(text: string): string | undefined {
  const c = parseCidr(text);
  return c ? formatCidr(c) : undefined;
}

/** The family of an address, or undefined when it is not one. */
export function addressFamily(addr: string): IpFamily | undefined {
  if (typeof addr !== 'string') return undefined;
  if (ipv4Value(addr) >= 0) return 'ipv4';
  return isIP(addr) === 6 ? 'ipv6' : undefined;
}

/** Canonical text of an address (`::ffff:0:1` style compression for v6). */
export function canonicalAddress(addr: string): string {
  // a valid dotted quad (no leading zeros) is already canonical
  if (ipv4Value(addr) >= 0) return addr;
  let c = v6Canonical.get(addr);
  if (c === undefined) {
    c = bytesToAddress(addressBytes(addr));
    if (v6Canonical.size >= V6_CACHE_MAX) v6Canonical.clear();
    v6Canonical.set(addr, c);
  }
  return c;
}

/** The 4 or 16 bytes of an address. */
export function addressBytes(addr: string): Uint8Array {
  const v4 = ipv4Value(addr);
  if (v4 >= 0) return Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255);
  const out = new Uint8Array(16);
  let text = addr;
  // embedded v4 tail
  const tailV4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tail: number[] = [];
  if (tailV4) {
    const b = tailV4[1]!.split('.').map(Number);
    tail = [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!];
    text = text.slice(0, -tailV4[1]!.length) + '0:0';
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const hs = head ? head.split(':') : [];
  const rs = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = new Array<number>(8).fill(0);
  hs.forEach((g, i) => (groups[i] = parseInt(g, 16)));
  rs.forEach((g, i) => (groups[8 - rs.length + i] = parseInt(g, 16)));
  if (tail.length) {
    groups[6] = tail[0]!;
    groups[7] = tail[1]!;
  }
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** Text form of 4 or 16 address bytes (RFC 5952 for v6). */
export function bytesToAddress(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join('.');
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function maskBytes(b: Uint8Array, len: number): Uint8Array {
  const out = Uint8Array.from(b);
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, len - i * 8));
    out[i] = out[i]! & (bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** Whether `inner` (address or prefix) lies inside the prefix `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr | string): boolean {
  const i =
    typeof inner === 'string'
      ? (parseCidr(inner.includes('/') ? inner : `${inner}/${addressFamily(inner) === 'ipv6' ? 128 : 32}`) ?? undefined)
      : inner;
  if (!i || i.family !== outer.family || i.length < outer.length) return false;
  const a = maskBytes(addressBytes(i.address), outer.length);
  const b = addressBytes(outer.address);
  return a.every((x, k) => x === b[k]);
}

/** Whether two addresses are in the same prefix of length `len`. */
export function sameSubnet(a: string, b: string, len: number): boolean {
  const fa = addressFamily(a);
  if (!fa || fa !== addressFamily(b)) return false;
  const ma = maskBytes(addressBytes(a), len);
  const mb = maskBytes(addressBytes(b), len);
  return ma.every((x, k) => x === mb[k]);
}
