import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuleApi } from '../../src/rule.js';
import { collect, createEnv, skipReason, vethPair, type NsEnv } from './rtnl-env.js';

const reason = await skipReason();
if (reason) console.log(`skip rule interop: ${reason}`);

describe.skipIf(reason !== undefined)('RuleApi against the kernel', () => {
  let env: NsEnv;
  let api: RuleApi;
  const rules = (...args: string[]): string[] =>
    env
      .ip(...args, 'rule', 'show')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);

  beforeAll(async () => {
    env = await createEnv('rule', vethPair('va0', 'vb0'));
    api = new RuleApi(env.nl);
  });
  afterAll(async () => env?.close());

  it('adds rules with selectors and actions', async () => {
    await api.add({ src: '10.20.0.0/16', table: 100, priority: 1000 });
    await api.add({
      dst: '10.21.0.0/16',
      fwmark: 0x10,
      fwmask: 0xff,
      iif: 'va0',
      oif: 'lo',
      table: 2000,
      priority: 1001,
    });
    await api.add({ invert: true, src: '10.22.0.0/16', table: 'main', suppressPrefixLength: 0, priority: 1002 });
    await api.add({ priority: 1003, goto: 1005 });
    await api.add({ priority: 1004, action: 'blackhole' });
    await api.add({ priority: 1005, action: 'unreachable' });
    await api.add({
      priority: 1006,
      ipProto: 6,
      sport: [1000, 2000],
      dport: 80,
      uidRange: { start: 1000, end: 2000 },
      table: 5,
      protocol: 4,
    });
    await api.add({ family: 'inet6', src: '2001:db8::/32', table: 100, priority: 1007 });
    const text = rules('-4').join('\n');
    expect(text).toMatch(/1000:\s+from 10\.20\.0\.0\/16 lookup 100/);
    expect(text).toMatch(/1001:\s+from all to 10\.21\.0\.0\/16 fwmark 0x10\/0xff iif va0 oif lo lookup 2000/);
    expect(text).toMatch(/1002:\s+not from 10\.22\.0\.0\/16 lookup main suppress_prefixlength 0/);
    expect(text).toMatch(/1003:\s+from all goto 1005/);
    expect(text).toMatch(/1004:\s+from all blackhole/);
    expect(text).toMatch(/1005:\s+from all unreachable/);
    expect(text).toMatch(
      /1006:\s+from all uidrange 1000-2000 ipproto tcp sport 1000-2000 dport 80 lookup 5 proto static/,
    );
    expect(rules('-6').join('\n')).toMatch(/1007:\s+from 2001:db8::\/32 lookup 100/);
  });

  it('lists rules per family with their attributes', async () => {
    const v4 = new Map((await collect(api.list({ family: 'inet' }))).map((r) => [r.priority, r]));
    expect(v4.get(0)).toMatchObject({ table: 255, action: 'table' });
    expect(v4.get(1001)).toMatchObject({
      dst: '10.21.0.0/16',
      fwmark: 0x10,
      fwmask: 0xff,
      iif: 'va0',
      oif: 'lo',
      table: 2000,
    });
    expect(v4.get(1002)).toMatchObject({ invert: true, suppressPrefixLength: 0, table: 254 });
    expect(v4.get(1003)).toMatchObject({ action: 'goto', goto: 1005 });
    expect(v4.get(1006)).toMatchObject({
      ipProto: 6,
      sport: [1000, 2000],
      dport: [80, 80],
      uidRange: { start: 1000, end: 2000 },
      protocol: 4,
    });
    const v6 = await collect(api.list({ family: 'inet6' }));
    expect(v6.find((r) => r.priority === 1007)).toMatchObject({ src: '2001:db8::/32', table: 100 });
    const all = await collect(api.list());
    expect(all.length).toBe(v4.size + v6.length);
  });

  it('refuses duplicates, deletes by selector, and reports a missing rule', async () => {
    await expect(api.add({ src: '10.20.0.0/16', table: 100, priority: 1000 })).rejects.toMatchObject({
      name: 'NetlinkError',
      code: 'EEXIST',
    });
    await api.delete({ priority: 1000 });
    await api.delete({ dst: '10.21.0.0/16', priority: 1001, table: 2000 });
    await api.delete({ family: 'inet6', priority: 1007 });
    expect(rules('-4').join('\n')).not.toMatch(/^100[01]:/m);
    await expect(api.delete({ priority: 1000 })).rejects.toMatchObject({ name: 'NetlinkError', code: 'ENOENT' });
    await expect(api.add({ src: '10.20.0.1/16' })).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      field: 'src',
    });
  });
});
