/**
 * The ACL compiler's pieces: prefix normalisation (exact cover, canonical), per-policy compilation
 * (actions, fail closed, ipset references), a flattened group's pass rules, and the cached ipset prefixes.
 */
import { describe, expect, test } from 'vitest';
import {
  compileChain,
  compilePolicy,
  flattenGroup,
  ipSetPrefixes,
  sameEntries,
  type AclEntry,
  type IpSetLookup,
} from '../src/compile-acl.js';
import { parseMember, type Rule } from '../src/model.js';
import { formatPrefix, normalizePrefixes, parsePrefix, prefixContainsAddress, type Prefix } from '../src/prefix.js';
import type { PolicyIssue } from '../src/errors.js';

const sets: Record<string, string[]> = { web: ['10.0.0.1', '10.0.0.0', '10.0.0.2', '10.0.0.3', '10.0.1.7'] };
const lookup: IpSetLookup = {
  members: (id) => sets[id]?.map((m) => parseMember('ip', m)!),
};
const ctx = (issues: PolicyIssue[] = []) => ({
  object: 'test',
  ipsets: lookup,
  issue: (i: PolicyIssue) => issues.push(i),
});

function firstMatch(list: readonly AclEntry[], src: string, dport: number, proto = 6) {
  const s = parsePrefix(src)!;
  for (const e of list) {
    if (e.af !== s.af || !prefixContainsAddress(e.src, s.af, s.addr)) continue;
    if (e.proto && (e.proto !== proto || dport < e.dp[0] || dport > e.dp[1])) continue;
    return e.action;
  }
  return 'none';
}

describe('compile-acl', () => {
  test('normalizePrefixes: the smallest exact cover, in address order, whatever the input order', () => {
    let seed = 11;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let t = 0; t < 300; t++) {
      const ps: Prefix[] = Array.from({ length: rnd(24) }, () => parsePrefix(`10.0.0.${rnd(64)}/${26 + rnd(7)}`)!);
      const norm = normalizePrefixes(ps);
      // the same addresses (exact cover)
      for (let x = 0; x < 64; x++) {
        const addr = (10n << 24n) + BigInt(x);
        expect(norm.some((p) => prefixContainsAddress(p, 4, addr))).toBe(
          ps.some((p) => prefixContainsAddress(p, 4, addr)),
        );
      }
      // canonical: disjoint, no two siblings left to merge, sorted; idempotent and order-free
      for (let i = 1; i < norm.length; i++) {
        expect(norm[i - 1]!.addr + (1n << BigInt(32 - norm[i - 1]!.len))).toBeLessThanOrEqual(norm[i]!.addr);
        const [a, b] = [norm[i - 1]!, norm[i]!];
        const siblings = a.len === b.len && a.addr >> BigInt(33 - a.len) === b.addr >> BigInt(33 - b.len);
        expect(siblings).toBe(false);
      }
      expect(normalizePrefixes(norm)).toEqual(norm);
      expect(normalizePrefixes([...ps].reverse())).toEqual(norm);
    }
    expect(
      normalizePrefixes(['10.0.0.0/25', '10.0.0.128/25', '::/1', '8000::/1'].map((p) => parsePrefix(p)!)).map(
        formatPrefix,
      ),
    ).toEqual(['10.0.0.0/24', '::/0']);
  });

  test('ipSetPrefixes merges the members: 10.0.0.0-3 become one /30', () => {
    expect(ipSetPrefixes(lookup.members('web')!).map(formatPrefix)).toEqual(['10.0.0.0/30', '10.0.1.7/32']);
  });

  test('compilePolicy: allow is permit+reflect, deny deny, log left out; ipsets expanded and remembered', () => {
    const rules: Rule[] = [
      { action: 'log' },
      { action: 'allow', protocol: 6, srcIpSets: ['web'], dstPorts: [{ first: 80, last: 80 }] },
      { action: 'deny', protocol: 6 },
    ];
    const p = compilePolicy('p', rules, ctx());
    expect(p.hasPass).toBe(false);
    expect([...p.ipsets]).toEqual(['web']);
    expect(p.entries.map((e) => `${e.action} ${formatPrefix(e.src)} ${e.proto} ${e.dp.join('-')}`)).toEqual([
      'reflect 10.0.0.0/30 6 80-80',
      'reflect 10.0.1.7/32 6 80-80',
      'deny 0.0.0.0/0 6 0-65535',
      'deny ::/0 6 0-65535',
    ]);
    // the cached-prefixes path gives the same entries
    const cached = compilePolicy('p', rules, {
      ...ctx(),
      ipsets: { ...lookup, prefixes: (id) => ipSetPrefixes(lookup.members(id) ?? []) },
    });
    expect(sameEntries(cached.entries, p.entries)).toBe(true);
    expect(sameEntries(cached.entries, p.entries.slice(1))).toBe(false);
  });

  test('compilePolicy fails closed: an unexpressible allow is left out and reported, an unexpressible deny denies all', () => {
    const issues: PolicyIssue[] = [];
    const p = compilePolicy(
      'q',
      [
        { action: 'allow', protocol: 1, notIcmp: { type: 8, code: 0 } },
        { action: 'deny', ipVersion: 6, protocol: 58, notIcmp: { type: 128, code: 0 } },
      ],
      ctx(issues),
    );
    expect(issues.map((i) => [i.code, i.path])).toEqual([
      ['unsupported-not-icmp-code', 'policy q.rules[0].notIcmp'],
      ['unsupported-not-icmp-code', 'policy q.rules[1].notIcmp'],
    ]);
    expect(p.entries.map((e) => `${e.action} ${formatPrefix(e.src)} ${e.proto}`)).toEqual(['deny ::/0 0']);
  });

  test('flattenGroup: a pass rule is intersected with what follows the group, then the group goes on', () => {
    const sec = compilePolicy(
      'sec',
      [
        { action: 'pass', srcNets: ['10.1.0.0/16'] },
        { action: 'allow', protocol: 6, dstPorts: [{ first: 22, last: 22 }] },
      ],
      ctx(),
    );
    const app = compilePolicy('app', [{ action: 'allow', protocol: 6, dstPorts: [{ first: 80, last: 80 }] }], ctx());
    const deny: AclEntry[] = compileChain({ tiers: [], profiles: [], prefix: [], defaultAction: 'deny' }, ctx());
    const next = flattenGroup([app], deny, []);
    const group = flattenGroup([sec], deny, next);
    expect(sec.hasPass).toBe(true);
    expect(sec.entries).toEqual([]);
    expect(firstMatch(group, '10.1.2.3', 80)).toBe('reflect'); // passed, app allows
    expect(firstMatch(group, '10.1.2.3', 22)).toBe('deny'); // passed: sec's own allow is skipped, app denies
    expect(firstMatch(group, '10.2.2.3', 22)).toBe('reflect'); // not passed: sec allows 22
    expect(firstMatch(group, '10.2.2.3', 80)).toBe('deny'); // sec's end
  });
});
