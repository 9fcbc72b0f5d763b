/** IP address and prefix arithmetic on bigints (v4 and v6), used by the compilers and the evaluator. */
import { isIPv4, isIPv6 } from 'node:net';

export type Af = 4 | 6;

/** A normalised prefix: host bits are zero. */
export interface Prefix {
  readonly af: Af;
  readonly addr: bigint;
  readonly len: number;
}

const BITS: Record<Af, number> = { 4: 32, 6: 128 };

/** Parses an address into its family and value; undefined when it is not an IP address. */
export function parseAddress(text: string): { af: Af; addr: bigint } | undefined {
  if (isIPv4(text)) {
    const p = text.split('.').map(Number);
    return { af: 4, addr: BigInt(((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!) };
  }
  if (!isIPv6(text)) return undefined;
  let t = text;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  let tail: number[] = [];
  if (v4) {
    const a = parseAddress(v4[1]!)!.addr;
    tail = [Number(a >> 16n), Number(a & 0xffffn)];
    t = t.slice(0, -v4[1]!.length) + '0:0';
  }
  const [head, rest] = t.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array<string>(8 - h.length - r.length).fill('0'), ...r];
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(parseInt(g, 16));
  if (tail.length) v = (v & ~0xffffffffn) | (BigInt(tail[0]!) << 16n) | BigInt(tail[1]!);
  return { af: 6, addr: v };
}

/** Parses `a.b.c.d/n`, `x::/n` or a bare address (a host prefix); undefined when invalid. */
export function parsePrefix(text: string): Prefix | undefined {
  const slash = text.indexOf('/');
  const a = parseAddress(slash < 0 ? text : text.slice(0, slash));
  if (!a) return undefined;
  const bits = BITS[a.af];
  let len = bits;
  if (slash >= 0) {
    const l = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(l)) return undefined;
    len = Number(l);
    if (len > bits) return undefined;
  }
  return { af: a.af, addr: a.addr & mask(a.af, len), len };
}

const MASKS: Record<Af, bigint[]> = { 4: [], 6: [] };
for (const af of [4, 6] as const) {
  const bits = BigInt(BITS[af]);
  const all = (1n << bits) - 1n;
  for (let len = 0; len <= BITS[af]; len++)
    MASKS[af].push(len === 0 ? 0n : (all >> (bits - BigInt(len))) << (bits - BigInt(len)));
}

/** The network mask of a prefix length (precomputed). */
export function mask(af: Af, len: number): bigint {
  return MASKS[af][len]!;
}

export function anyPrefix(af: Af): Prefix {
  return { af, addr: 0n, len: 0 };
}

export function prefixContains(p: Prefix, q: Prefix): boolean {
  return p.af === q.af && p.len <= q.len && (q.addr & mask(p.af, p.len)) === p.addr;
}

export function prefixContainsAddress(p: Prefix, af: Af, addr: bigint): boolean {
  return p.af === af && (addr & mask(af, p.len)) === p.addr;
}

/** The intersection of two prefixes is the more specific one when one contains the other, else empty. */
export function prefixIntersect(p: Prefix, q: Prefix): Prefix | undefined {
  if (prefixContains(p, q)) return q;
  if (prefixContains(q, p)) return p;
  return undefined;
}

/** Formats a prefix as VPP's API takes it (`10.0.0.0/8`, `fd00::/64`). */
export function formatPrefix(p: Prefix): string {
  return `${formatAddress(p.af, p.addr)}/${p.len}`;
}

const FORMATTED = new WeakMap<Prefix, string>();

/** {@link formatPrefix}, remembered per prefix object (ipset prefixes are shared by every rule that uses the set). */
export function formatPrefixCached(p: Prefix): string {
  let s = FORMATTED.get(p);
  if (s === undefined) FORMATTED.set(p, (s = formatPrefix(p)));
  return s;
}

export function formatAddress(af: Af, addr: bigint): string {
  if (af === 4) return [24n, 16n, 8n, 0n].map((s) => Number((addr >> s) & 0xffn)).join('.');
  const g: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) g.push(((addr >> s) & 0xffffn).toString(16));
  // compress the longest run of zero groups
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return g.join(':');
  return `${g.slice(0, best).join(':')}::${g.slice(best + bestLen).join(':')}`;
}

/**
 * Normalises a prefix list: drops prefixes contained in others and merges sibling pairs into their
 * parent, repeatedly, so that ACL rule lists stay small.
 */
export function normalizePrefixes(list: readonly Prefix[]): Prefix[] {
  const out: Prefix[] = [];
  for (const af of [4, 6] as const) {
    const ps = list
      .filter((p) => p.af === af)
      .sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : a.len - b.len));
    // one pass: the kept prefixes are disjoint and sorted, so only the last one can contain the next,
    // and a merge can only make a new sibling pair with the one before it
    const kept: Prefix[] = [];
    for (const p of ps) {
      const last = kept[kept.length - 1];
      if (last && prefixContains(last, p)) continue;
      kept.push(p);
      for (;;) {
        const b = kept[kept.length - 1]!;
        const a = kept[kept.length - 2];
        if (!a || a.len !== b.len || a.len === 0) break;
        const m = mask(af, a.len - 1);
        if ((a.addr & m) !== (b.addr & m)) break;
        kept.length -= 2;
        kept.push({ af, addr: a.addr & m, len: a.len - 1 });
      }
    }
    for (const p of kept) out.push(p);
  }
  return out;
}

/** `p` minus every prefix of `holes`, as a list of prefixes (exact). */
export function prefixSubtract(p: Prefix, holes: readonly Prefix[]): Prefix[] {
  const hs = holes.filter((h) => h.af === p.af);
  const go = (q: Prefix): Prefix[] => {
    if (hs.some((h) => prefixContains(h, q))) return [];
    if (!hs.some((h) => prefixContains(q, h))) return [q];
    const len = q.len + 1;
    const bit = 1n << BigInt(BITS[q.af] - len);
    return [...go({ af: q.af, addr: q.addr, len }), ...go({ af: q.af, addr: q.addr | bit, len })];
  };
  return go(p);
}
