/**
 * IPv4 / IPv6 / MAC parsing and formatting for the rtnetlink modules: dependency-free, strict
 * (no octal, no zone ids, no shorthand IPv4), and fast enough to encode tens of thousands of routes.
 */
import { InvalidArgumentError } from './validate.js';

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_BRIDGE = 7;
export const AF_INET6 = 10;

/** An IP address family by its iproute2 name. */
export type IpFamily = 'inet' | 'inet6';

/** A parsed IP address: 4 or 16 bytes in network order. */
export interface IpAddr {
  readonly family: IpFamily;
  readonly bytes: Uint8Array;
}

/** A parsed prefix (`10.0.0.0/8`); `prefixLen` defaults to the full length when the input had none. */
export interface IpPrefix extends IpAddr {
  readonly prefixLen: number;
}

export const familyToAf = (f: IpFamily): number => (f === 'inet' ? AF_INET : AF_INET6);
export const afToFamily = (af: number): IpFamily | undefined =>
  af === AF_INET ? 'inet' : af === AF_INET6 ? 'inet6' : undefined;
export const familyBits = (f: IpFamily): number => (f === 'inet' ? 32 : 128);

/** Parses dotted-quad IPv4 (`192.0.2.1`); `undefined` when not valid. */
export function parseIPv4(s: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  let part = 0;
  let val = 0;
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 1 && val === 0) return undefined; // leading zero
      val = val * 10 + (c - 48);
      if (val > 255) return undefined;
      digits++;
    } else if (c === 46) {
      if (digits === 0 || part === 3) return undefined;
      out[part++] = val;
      val = 0;
      digits = 0;
    } else {
      return undefined;
    }
  }
  if (digits === 0 || part !== 3) return undefined;
  out[3] = val;
  return out;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses IPv6 text (RFC 4291 forms, including `::` and a trailing dotted quad); `undefined` when not valid. */
export function parseIPv6(s: string): Uint8Array | undefined {
  if (s.length < 2 || s.length > 45) return undefined;
  const head: number[] = [];
  const tail: number[] = [];
  let cur = head;
  let sawGap = false;
  let i = 0;
  if (s.startsWith('::')) {
    sawGap = true;
    cur = tail;
    i = 2;
    if (i === s.length) return new Uint8Array(16);
  } else if (s.charCodeAt(0) === 58) {
    return undefined;
  }
  while (i < s.length) {
    // one group, or a trailing dotted quad
    let j = i;
    let v = 0;
    while (j < s.length && j - i < 5) {
      const h = hexVal(s.charCodeAt(j));
      if (h < 0) break;
      v = v * 16 + h;
      j++;
    }
    if (j < s.length && s.charCodeAt(j) === 46) {
      const v4 = parseIPv4(s.slice(i));
      if (!v4) return undefined;
      cur.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      break;
    }
    if (j === i || j - i > 4) return undefined;
    cur.push(v);
    i = j;
    if (i === s.length) break;
    if (s.charCodeAt(i) !== 58) return undefined;
    i++;
    if (i < s.length && s.charCodeAt(i) === 58) {
      if (sawGap) return undefined;
      sawGap = true;
      cur = tail;
      i++;
      if (i === s.length) break;
    } else if (i === s.length) {
      return undefined; // trailing single ':'
    }
  }
  const n = head.length + tail.length;
  if (sawGap ? n > 7 : n !== 8) return undefined;
  const out = new Uint8Array(16);
  let k = 0;
  for (const g of head) {
    out[k++] = g >> 8;
    out[k++] = g & 0xff;
  }
  k = 16 - tail.length * 2;
  for (const g of tail) {
    out[k++] = g >> 8;
    out[k++] = g & 0xff;
  }
  return out;
}

/** Parses an IPv4 or IPv6 address; `undefined` when neither. */
export function parseIp(s: string): IpAddr | undefined {
  if (typeof s !== 'string') return undefined;
  if (s.includes(':')) {
    const b = parseIPv6(s);
    return b ? { family: 'inet6', bytes: b } : undefined;
  }
  const b = parseIPv4(s);
  return b ? { family: 'inet', bytes: b } : undefined;
}

/** The family of an address or prefix string, or `undefined` when it is neither. */
export function detectFamily(s: string): IpFamily | undefined {
  const slash = s.indexOf('/');
  return parseIp(slash >= 0 ? s.slice(0, slash) : s)?.family;
}

export function formatIPv4(b: Uint8Array): string {
  return `${b[0] ?? 0}.${b[1] ?? 0}.${b[2] ?? 0}.${b[3] ?? 0}`;
}

/** Formats IPv6 in RFC 5952 canonical form (`::ffff:192.0.2.1` for v4-mapped addresses). */
export function formatIPv6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${formatIPv4(b.subarray(12, 16))}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (x: number): string => x.toString(16);
  if (bestStart < 0) return g.map(hex).join(':');
  return `${g.slice(0, bestStart).map(hex).join(':')}::${g
    .slice(bestStart + bestLen)
    .map(hex)
    .join(':')}`;
}

/** Formats 4 or 16 address bytes; other lengths come back as hex. */
export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return formatIPv4(b);
  if (b.length === 16) return formatIPv6(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Parses `aa:bb:cc:dd:ee:ff` (or with '-'); `undefined` when not 6 two-digit hex bytes. */
export function parseMac(s: string): Uint8Array | undefined {
  if (typeof s !== 'string' || s.length !== 17) return undefined;
  const sep = s.charCodeAt(2);
  if (sep !== 58 && sep !== 45) return undefined;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const o = i * 3;
    if (i > 0 && s.charCodeAt(o - 1) !== sep) return undefined;
    const hi = hexVal(s.charCodeAt(o));
    const lo = hexVal(s.charCodeAt(o + 1));
    if (hi < 0 || lo < 0) return undefined;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Formats link-layer address bytes as lower-case colon-separated hex. */
export function formatMac(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (i ? ':' : '') + (b[i] ?? 0).toString(16).padStart(2, '0');
  return s;
}

/** True when bits beyond `prefixLen` are zero. */
export function isNetworkAddress(bytes: Uint8Array, prefixLen: number): boolean {
  for (let bit = prefixLen; bit < bytes.length * 8; bit++) {
    if (bit % 8 === 0 && bytes[bit >> 3] === 0) {
      bit += 7;
      continue;
    }
    if (((bytes[bit >> 3] ?? 0) >> (7 - (bit % 8))) & 1) return false;
  }
  return true;
}

// ---- throwing variants used by the family modules ----

/** Checks an optional family field or filter: absent, 'inet' or 'inet6'. @throws InvalidArgumentError naming `field` */
export function checkFamily(field: string, v: unknown): void {
  if (v !== undefined && v !== 'inet' && v !== 'inet6')
    throw new InvalidArgumentError(field, v, "must be 'inet' or 'inet6'");
}

/** @throws InvalidArgumentError naming `field` */
export function requireIp(field: string, s: unknown, family?: IpFamily): IpAddr {
  if (typeof s !== 'string') throw new InvalidArgumentError(field, s, 'must be an IP address string');
  const a = parseIp(s);
  if (!a) throw new InvalidArgumentError(field, s, 'is not a valid IPv4 or IPv6 address');
  if (family && a.family !== family) {
    throw new InvalidArgumentError(field, s, `must be an ${family === 'inet' ? 'IPv4' : 'IPv6'} address`);
  }
  return a;
}

/**
 * Parses `addr/len` (or a bare address, meaning the full length). With `network: true` the host bits
 * must be zero, as the kernel requires of route and rule prefixes.
 * @throws InvalidArgumentError naming `field`
 */
export function requirePrefix(
  field: string,
  s: unknown,
  opts: { readonly family?: IpFamily | undefined; readonly network?: boolean } = {},
): IpPrefix {
  if (typeof s !== 'string') throw new InvalidArgumentError(field, s, 'must be a prefix string like 10.0.0.0/24');
  const slash = s.indexOf('/');
  const a = parseIp(slash >= 0 ? s.slice(0, slash) : s);
  if (!a) throw new InvalidArgumentError(field, s, 'is not a valid IPv4 or IPv6 prefix');
  if (opts.family && a.family !== opts.family) {
    throw new InvalidArgumentError(field, s, `must be an ${opts.family === 'inet' ? 'IPv4' : 'IPv6'} prefix`);
  }
  const max = familyBits(a.family);
  let prefixLen = max;
  if (slash >= 0) {
    const t = s.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/u.test(t) || Number(t) > max) {
      throw new InvalidArgumentError(field, s, `prefix length must be an integer 0..${max}`);
    }
    prefixLen = Number(t);
  }
  if (opts.network && !isNetworkAddress(a.bytes, prefixLen)) {
    throw new InvalidArgumentError(field, s, 'has host bits set beyond the prefix length');
  }
  return { family: a.family, bytes: a.bytes, prefixLen };
}

/** @throws InvalidArgumentError naming `field` */
export function requireMac(field: string, s: unknown): Uint8Array {
  const m = typeof s === 'string' ? parseMac(s) : undefined;
  if (!m) throw new InvalidArgumentError(field, s, 'is not a MAC address like 02:00:00:00:00:01');
  return m;
}

/** Address and route scopes (rt_scope_t), by iproute2 name. */
export const SCOPES = { universe: 0, site: 200, link: 253, host: 254, nowhere: 255 } as const;
/** A scope by name, or its number 0..255. */
export type Scope = keyof typeof SCOPES | number;
