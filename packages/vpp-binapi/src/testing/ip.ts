/**
 * Small IP helpers for the fake VPP: addresses as text (the codec's convention) to integers and back,
 * prefix containment, canonical forms. IPv4 as 32-bit values, IPv6 as 128-bit bigints.
 */

export type Family = 4 | 6;

export interface ParsedPrefix {
  readonly family: Family;
  /** Address bits as a bigint (IPv4 in the low 32 bits). */
  readonly value: bigint;
  readonly len: number;
}

export function familyOf(addr: string): Family {
  return addr.includes(':') ? 6 : 4;
}

/**
 * Texts → values the fake computes again and again (the same prefixes and next hops in every request):
 * pure functions of the text, so their results are kept, up to `max` texts (then forgotten all at once).
 * Only results are kept: a text that throws throws again each time. Values must be immutable.
 */
class Memo<V> {
  readonly #map = new Map<string, V>();
  constructor(
    private readonly fn: (text: string) => V,
    private readonly max = 4096,
  ) {}

  get(text: string): V {
    let v = this.#map.get(text);
    if (v === undefined) {
      v = this.fn(text);
      if (this.#map.size >= this.max) this.#map.clear();
      this.#map.set(text, v);
    }
    return v;
  }
}

/** The value of a dotted quad of 1-3 digit decimal parts, or -1 for anything else (parsed the long way). */
function dottedQuad(text: string): number {
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return -1;
      part = part * 10 + (c - 48);
    } else if (c === 46 && digits > 0 && dots < 3) {
      if (part > 255) return -1;
      v = v * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else return -1;
  }
  if (dots !== 3 || digits === 0 || part > 255) return -1;
  return v * 256 + part;
}

export function parseIp4(text: string): bigint {
  const quad = dottedQuad(text);
  if (quad >= 0) return BigInt(quad);
  const parts = text.split('.');
  if (parts.length !== 4) throw new RangeError(`not an IPv4 address: ${text}`);
  let v = 0n;
  for (const p of parts) {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 0 || n > 255 || p === '') throw new RangeError(`not an IPv4 address: ${text}`);
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

export function parseIp6(text: string): bigint {
  let s = text;
  let tail4: bigint | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    tail4 = parseIp4(s.slice(lastColon + 1));
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split('::');
  if (halves.length > 2) throw new RangeError(`not an IPv6 address: ${text}`);
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) throw new RangeError(`not an IPv6 address: ${text}`);
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new RangeError(`not an IPv6 address: ${text}`);
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail4 !== undefined) v = (v & ~0xffffffffn) | tail4;
  return v;
}

export function parseAddress(text: string): { family: Family; value: bigint } {
  const family = familyOf(text);
  return { family, value: family === 4 ? parseIp4(text) : parseIp6(text) };
}

export function formatIp4(v: bigint): string {
  // the low 32 bits, as the byte-by-byte shifts of the bigint read them
  const n = Number(BigInt.asUintN(32, v));
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

/** RFC 5952 text: lower case, longest run of zero groups (length ≥ 2) as `::`. */
export function formatIp6(v: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function formatAddress(family: Family, v: bigint): string {
  return family === 4 ? formatIp4(v) : formatIp6(v);
}

const canonicalAddresses = new Memo((text) => {
  const a = parseAddress(text);
  return formatAddress(a.family, a.value);
});

/** Canonical text of an address (`'fd00:0::1'` → `'fd00::1'`). */
export function canonicalAddress(text: string): string {
  return canonicalAddresses.get(text);
}

export function bits(family: Family): number {
  return family === 4 ? 32 : 128;
}

function computeMask(family: Family, len: number): bigint {
  const b = BigInt(bits(family));
  const all = (1n << b) - 1n;
  return len === 0 ? 0n : (all >> (b - BigInt(len))) << (b - BigInt(len));
}

/** Masks by prefix length, per family (indexes 0..32 and 0..128). */
const MASKS4 = Array.from({ length: 33 }, (_, len) => computeMask(4, len));
const MASKS6 = Array.from({ length: 129 }, (_, len) => computeMask(6, len));

function mask(family: Family, len: number): bigint {
  return (family === 4 ? MASKS4[len] : MASKS6[len]) ?? computeMask(family, len);
}

/** What the fake wants of a prefix text: as parsed, its network, and the network's canonical text. */
interface PrefixInfo {
  readonly parsed: ParsedPrefix;
  readonly network: ParsedPrefix;
  readonly canonical: string;
}

const prefixInfos = new Memo<PrefixInfo>((text) => {
  const parsed = parsePrefixText(text);
  const network = networkOf(parsed);
  return { parsed, network, canonical: formatPrefix(network) };
}, 8192);

/** Parses `'10.0.0.1/24'` keeping the host bits. */
export function parsePrefix(text: string): ParsedPrefix {
  return prefixInfos.get(text).parsed;
}

function parsePrefixText(text: string): ParsedPrefix {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const a = parseAddress(addr);
  const len = slash < 0 ? bits(a.family) : Number(text.slice(slash + 1));
  if (!Number.isInteger(len) || len < 0 || len > bits(a.family)) throw new RangeError(`bad prefix length: ${text}`);
  return { family: a.family, value: a.value, len };
}

export function networkOf(p: ParsedPrefix): ParsedPrefix {
  return { family: p.family, value: p.value & mask(p.family, p.len), len: p.len };
}

export function broadcastOf(p: ParsedPrefix): bigint {
  const all = (1n << BigInt(bits(p.family))) - 1n;
  return (p.value & mask(p.family, p.len)) | (all & ~mask(p.family, p.len));
}

export function formatPrefix(p: ParsedPrefix): string {
  return `${formatAddress(p.family, p.value)}/${p.len}`;
}

/** Canonical network prefix text: host bits cleared (`'10.0.0.1/24'` → `'10.0.0.0/24'`). */
export function canonicalPrefix(text: string): string {
  return prefixInfos.get(text).canonical;
}

/** `networkOf(parsePrefix(text))`, kept per text like {@link canonicalPrefix}. */
export function networkPrefix(text: string): ParsedPrefix {
  return prefixInfos.get(text).network;
}

/** True when `inner` (an address or prefix) lies within `outer`. */
export function prefixContains(outer: ParsedPrefix, inner: ParsedPrefix): boolean {
  if (outer.family !== inner.family || inner.len < outer.len) return false;
  const m = mask(outer.family, outer.len);
  return (outer.value & m) === (inner.value & m);
}

/** Two prefixes overlap when either contains the other. */
export function prefixesOverlap(a: ParsedPrefix, b: ParsedPrefix): boolean {
  return prefixContains(a, b) || prefixContains(b, a);
}

/** Modified EUI-64 link-local address from a MAC, as VPP derives it when IPv6 is enabled. */
export function linkLocalFromMac(mac: string): string {
  const b = mac.split(':').map((h) => parseInt(h, 16));
  const eui = [(b[0] ?? 0) ^ 0x02, b[1] ?? 0, b[2] ?? 0, 0xff, 0xfe, b[3] ?? 0, b[4] ?? 0, b[5] ?? 0];
  let v = 0xfe80n << 112n;
  for (let i = 0; i < 8; i++) v |= BigInt(eui[i] ?? 0) << BigInt((7 - i) * 8);
  return formatIp6(v);
}
