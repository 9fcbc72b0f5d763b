import { isIP, isIPv4 } from 'node:net';

/** Address family of a prefix or address. */
export type IpFamily = 'ipv4' | 'ipv6';

/** A parsed CIDR prefix. */
export interface Cidr {
  family: IpFamily;
  /** The network address, host bits cleared, in canonical text form. */
  address: string;
  length: number;
}

/** Parse `a.b.c.d/len` or `x::/len` (host bits are cleared); undefined if malformed. */
export function parseCidr(text: string): Cidr | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addr = text.slice(0, slash);
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return undefined;
  const length = Number(lenText);
  const v = isIP(addr);
  if (v === 0) return undefined;
  const family: IpFamily = v === 4 ? 'ipv4' : 'ipv6';
  if (length > (v === 4 ? 32 : 128)) return undefined;
  const bytes = addressBytes(addr);
  const masked = maskBytes(bytes, length);
  return { family, address: bytesToAddress(masked), length };
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
  const v = isIP(addr);
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : undefined;
}

/** Canonical text of an address (`::ffff:0:1` style compression for v6). */
export function canonicalAddress(addr: string): string {
  return bytesToAddress(addressBytes(addr));
}

/** The 4 or 16 bytes of an address. */
export function addressBytes(addr: string): Uint8Array {
  if (isIPv4(addr)) return Uint8Array.from(addr.split('.').map(Number));
  const out = new Uint8Array(16);
  let text = addr;
  // embedded v4 tail
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tail: number[] = [];
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    tail = [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!];
    text = text.slice(0, -v4[1]!.length) + '0:0';
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
