import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RouteApi, type RouteSpec } from '../../src/route.js';
import { collect, createEnv, skipReason, vethPair, type NsEnv } from './rtnl-env.js';

const reason = await skipReason();
if (reason) console.log(`skip route interop: ${reason}`);

describe.skipIf(reason !== undefined)('RouteApi against the kernel', () => {
  let env: NsEnv;
  let api: RouteApi;
  const show = (...args: string[]): string =>
    env
      .ip('route', 'show', ...args)
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n')
      .trim();

  beforeAll(async () => {
    env = await createEnv('route', [
      ...vethPair('va0', 'vb0'),
      ['addr', 'add', '192.0.2.1/24', 'dev', 'va0'],
      ['addr', 'add', '198.51.100.1/24', 'dev', 'vb0'],
      ['-6', 'addr', 'add', '2001:db8::1/64', 'dev', 'va0', 'nodad'],
    ]);
    api = new RouteApi(env.nl);
  });
  afterAll(async () => env?.close());

  it('adds a gateway route in a big table with protocol and metric', async () => {
    await api.add({
      dst: '10.1.0.0/16',
      gateway: '192.0.2.254',
      oif: 'va0',
      table: 1000,
      protocol: 'static',
      metric: 100,
    });
    expect(show('table', '1000')).toBe('10.1.0.0/16 via 192.0.2.254 dev va0 proto static metric 100');
    const got = await collect(api.list({ table: 1000 }));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      dst: '10.1.0.0/16',
      table: 1000,
      protocol: 'static',
      metric: 100,
      gateway: '192.0.2.254',
      scope: 'universe',
    });
  });

  it('adds blackhole, unreachable, prohibit, throw and local routes', async () => {
    await api.add({ dst: '10.5.0.0/16', type: 'blackhole' });
    await api.add({ dst: '10.6.0.0/16', type: 'unreachable', table: 100 });
    await api.add({ dst: '10.7.0.0/16', type: 'prohibit' });
    await api.add({ dst: '10.8.0.0/16', type: 'throw', table: 100 });
    await api.add({ dst: '10.9.9.9', type: 'local', oif: 'va0', table: 'local' });
    expect(show()).toContain('blackhole 10.5.0.0/16');
    expect(show('table', '100')).toBe('unreachable 10.6.0.0/16\nthrow 10.8.0.0/16');
    expect(show('table', 'local')).toContain('local 10.9.9.9 dev va0 scope host');
    const types = (await collect(api.list({ table: 'all', family: 'inet' })))
      .filter((r) => r.dst.startsWith('10.'))
      .map((r) => [r.dst, r.type, r.table]);
    expect(types).toEqual(
      expect.arrayContaining([
        ['10.5.0.0/16', 'blackhole', 254],
        ['10.6.0.0/16', 'unreachable', 100],
        ['10.7.0.0/16', 'prohibit', 254],
        ['10.8.0.0/16', 'throw', 100],
        ['10.9.9.9/32', 'local', 255],
      ]),
    );
    expect((await collect(api.list({ type: 'blackhole' }))).map((r) => r.dst)).toEqual(['10.5.0.0/16']);
  });

  it('adds routes with a preferred source, onlink, link scope and a v6 gateway for v4 (RTA_VIA)', async () => {
    await api.add({ dst: '10.10.0.0/16', gateway: '192.0.2.254', oif: 'va0', prefsrc: '192.0.2.1' });
    await api.add({ dst: '10.11.0.0/16', gateway: '203.0.113.1', oif: 'va0', onlink: true });
    await api.add({ dst: '10.12.0.0/16', oif: 'vb0' });
    await api.add({ dst: '10.14.0.0/16', gateway: '2001:db8::2', oif: 'va0' });
    const text = show();
    expect(text).toContain('10.10.0.0/16 via 192.0.2.254 dev va0 src 192.0.2.1');
    expect(text).toContain('10.11.0.0/16 via 203.0.113.1 dev va0 onlink');
    expect(text).toContain('10.12.0.0/16 dev vb0 scope link');
    expect(text).toContain('10.14.0.0/16 via inet6 2001:db8::2 dev va0');
    const byDst = new Map((await collect(api.list())).map((r) => [r.dst, r]));
    expect(byDst.get('10.10.0.0/16')).toMatchObject({ prefsrc: '192.0.2.1' });
    expect(byDst.get('10.11.0.0/16')?.flags).toContain('onlink');
    expect(byDst.get('10.12.0.0/16')).toMatchObject({ scope: 'link' });
    expect(byDst.get('10.14.0.0/16')).toMatchObject({ gateway: '2001:db8::2', viaFamily: 'inet6' });
  });

  it('adds multipath routes with weights (v4 and v6)', async () => {
    await api.add({
      dst: '10.20.0.0/16',
      multipath: [
        { gateway: '192.0.2.253', oif: 'va0', weight: 3 },
        { gateway: '198.51.100.2', oif: 'vb0' },
      ],
    });
    await api.add({
      dst: '2001:db8:20::/64',
      multipath: [
        { gateway: '2001:db8::2', oif: 'va0', weight: 5 },
        { gateway: '2001:db8::3', oif: 'va0' },
      ],
    });
    expect(show('10.20.0.0/16')).toMatch(
      /nexthop via 192\.0\.2\.253 dev va0 weight 3\s+nexthop via 198\.51\.100\.2 dev vb0 weight 1/,
    );
    const [r] = await collect(api.list({ family: 'inet' })).then((l) => l.filter((x) => x.dst === '10.20.0.0/16'));
    expect(r?.multipath?.map((h) => [h.gateway, h.weight])).toEqual([
      ['192.0.2.253', 3],
      ['198.51.100.2', 1],
    ]);
    const [r6] = await collect(api.list({ family: 'inet6' })).then((l) =>
      l.filter((x) => x.dst === '2001:db8:20::/64'),
    );
    expect(r6?.multipath?.map((h) => [h.gateway, h.weight])).toEqual([
      ['2001:db8::2', 5],
      ['2001:db8::3', 1],
    ]);
    // an IPv4 route with one IPv6 next hop (RTA_VIA inside rtnexthop)
    await api.add({
      dst: '10.21.0.0/16',
      multipath: [
        { gateway: '2001:db8::2', oif: 'va0', weight: 2 },
        { gateway: '198.51.100.2', oif: 'vb0' },
      ],
    });
    expect(show('10.21.0.0/16')).toMatch(
      /nexthop via inet6 2001:db8::2 dev va0 weight 2\s+nexthop via 198\.51\.100\.2 dev vb0 weight 1/,
    );
    const [rv] = (await collect(api.list({ oif: 'vb0' }))).filter((x) => x.dst === '10.21.0.0/16');
    expect(rv?.multipath?.[0]).toMatchObject({ gateway: '2001:db8::2', viaFamily: 'inet6', weight: 2 });
    expect(
      (await collect(api.list({ oif: 'vb0' }))).every(
        (x) => x.oif === rv?.multipath?.[1]?.oif || x.multipath?.some((h) => h.oif === rv?.multipath?.[1]?.oif),
      ),
    ).toBe(true);
  });

  it('sets metrics: mtu with its lock, advmss, hoplimit', async () => {
    await api.add({
      dst: '10.13.0.0/16',
      gateway: '192.0.2.254',
      oif: 'va0',
      metrics: { mtu: 1400, advmss: 1360, hoplimit: 32, lock: ['mtu'] },
    });
    expect(show('10.13.0.0/16')).toBe('10.13.0.0/16 via 192.0.2.254 dev va0 mtu lock 1400 advmss 1360 hoplimit 32');
    const [r] = (await collect(api.list())).filter((x) => x.dst === '10.13.0.0/16');
    expect(r?.metrics).toEqual({ lock: ['mtu'], mtu: 1400, advmss: 1360, hoplimit: 32 });
  });

  it('adds IPv6 routes with metric and preference', async () => {
    await api.add({ dst: '2001:db8:5::/64', gateway: '2001:db8::2', oif: 'va0', metric: 2048, pref: 'high' });
    expect(env.ip('-6', 'route', 'show', '2001:db8:5::/64').trim()).toBe(
      '2001:db8:5::/64 via 2001:db8::2 dev va0 metric 2048 pref high',
    );
    const [r] = (await collect(api.list({ family: 'inet6' }))).filter((x) => x.dst === '2001:db8:5::/64');
    expect(r).toMatchObject({ metric: 2048, pref: 'high', gateway: '2001:db8::2', family: 'inet6' });
  });

  it('adds an IPv6 source-specific route (RTA_SRC) and deletes it by source', async () => {
    await api.add({ dst: '2001:db8:9::/48', src: '2001:db8::/64', gateway: 'fe80::2', oif: 'va0' });
    await api.add({ dst: '2001:db8:9::/48', src: '2001:db8:1::/64', gateway: 'fe80::3', oif: 'va0' });
    expect(
      env
        .ip('-6', 'route', 'show', '2001:db8:9::/48')
        .trim()
        .split('\n')
        .map((l) => l.trim()),
    ).toEqual([
      '2001:db8:9::/48 from 2001:db8::/64 via fe80::2 dev va0 metric 1024 pref medium',
      '2001:db8:9::/48 from 2001:db8:1::/64 via fe80::3 dev va0 metric 1024 pref medium',
    ]);
    const got = (await collect(api.list({ family: 'inet6' }))).filter((r) => r.dst === '2001:db8:9::/48');
    expect(got.map((r) => [r.src, r.gateway])).toEqual([
      ['2001:db8::/64', 'fe80::2'],
      ['2001:db8:1::/64', 'fe80::3'],
    ]);
    // The lookup honours the source: the same destination goes to a different gateway.
    expect((await api.get('2001:db8:9::1', { src: '2001:db8:1::5' })).gateway).toBe('fe80::3');
    await api.delete({ dst: '2001:db8:9::/48', src: '2001:db8:1::/64' });
    expect(env.ip('-6', 'route', 'show', '2001:db8:9::/48').trim()).toBe(
      '2001:db8:9::/48 from 2001:db8::/64 via fe80::2 dev va0 metric 1024 pref medium',
    );
    await api.delete({ dst: '2001:db8:9::/48', src: '2001:db8::/64' });
    expect(env.ip('-6', 'route', 'show', '2001:db8:9::/48').trim()).toBe('');
  });

  it('adds routes with an explicit scope, and lists it back', async () => {
    await api.add({ dst: '10.70.0.0/16', oif: 'va0', scope: 'host' });
    await api.add({ dst: '10.71.0.0/16', gateway: '192.0.2.254', oif: 'va0', scope: 'site' });
    expect(show('10.70.0.0/16')).toBe('10.70.0.0/16 dev va0 scope host');
    expect(show('10.71.0.0/16')).toBe('10.71.0.0/16 via 192.0.2.254 dev va0 scope site');
    const got = (await collect(api.list())).filter((r) => r.dst === '10.70.0.0/16' || r.dst === '10.71.0.0/16');
    expect(got.map((r) => [r.dst, r.scope])).toEqual([
      ['10.70.0.0/16', 'host'],
      ['10.71.0.0/16', 'site'],
    ]);
    // A scope the kernel does not allow for a gateway route is its refusal, typed.
    await expect(
      api.add({ dst: '10.72.0.0/16', gateway: '192.0.2.254', oif: 'va0', scope: 'host' }),
    ).rejects.toMatchObject({
      name: 'NetlinkError',
      code: 'EINVAL',
      extack: 'Route with host scope can not have a gateway',
    });
    await api.delete({ dst: '10.70.0.0/16', scope: 'host' });
    await api.delete({ dst: '10.71.0.0/16' });
    expect(show('10.70.0.0/16')).toBe('');
  });

  it('replaces and appends', async () => {
    await api.add({ dst: '10.30.0.0/16', gateway: '192.0.2.254', oif: 'va0' });
    await expect(api.add({ dst: '10.30.0.0/16', gateway: '192.0.2.253', oif: 'va0' })).rejects.toMatchObject({
      name: 'NetlinkError',
      code: 'EEXIST',
    });
    await api.replace({ dst: '10.30.0.0/16', gateway: '192.0.2.253', oif: 'va0' });
    expect(show('10.30.0.0/16')).toBe('10.30.0.0/16 via 192.0.2.253 dev va0');
    await api.append({ dst: '10.30.0.0/16', gateway: '192.0.2.252', oif: 'va0', metric: 5 });
    expect(show('10.30.0.0/16').split('\n')).toHaveLength(2);
    await api.add({ dst: '2001:db8:30::/64', gateway: '2001:db8::2', oif: 'va0' });
    await api.append({ dst: '2001:db8:30::/64', gateway: '2001:db8::3', oif: 'va0' });
    const [r6] = (await collect(api.list({ family: 'inet6' }))).filter((x) => x.dst === '2001:db8:30::/64');
    expect(r6?.multipath?.map((h) => h.gateway)).toEqual(['2001:db8::2', '2001:db8::3']);
  });

  it('looks routes up like ip route get', async () => {
    const r = await api.get('192.0.2.77', { mark: 0 });
    expect(r).toMatchObject({ family: 'inet', dst: '192.0.2.77/32', prefsrc: '192.0.2.1' });
    const viaMain = await api.get('10.30.1.1');
    expect(viaMain).toMatchObject({ gateway: '192.0.2.253', oif: expect.any(Number), prefsrc: '192.0.2.1' });
    const fib = await api.get('10.30.1.1', { fibMatch: true });
    expect(fib.dst).toBe('10.30.0.0/16');
    await expect(api.get('2001:db8:ffff::1', { oif: 'vb0' })).rejects.toMatchObject({ name: 'NetlinkError' });
  });

  it('deletes, and reports a missing route as ESRCH', async () => {
    await api.delete({ dst: '10.30.0.0/16', gateway: '192.0.2.252', oif: 'va0', metric: 5 });
    expect(show('10.30.0.0/16')).toBe('10.30.0.0/16 via 192.0.2.253 dev va0');
    await api.delete({ dst: '10.5.0.0/16', type: 'blackhole' });
    await expect(api.delete({ dst: '10.5.0.0/16' })).rejects.toMatchObject({ name: 'NetlinkError', code: 'ESRCH' });
    await api.delete({ dst: '10.1.0.0/16', table: 1000 });
    expect(show('table', '1000')).toBe('');
  });

  it('installs and removes many routes in one batch, reporting a half-applied batch item by item', async () => {
    const n = 2000;
    const routes: RouteSpec[] = Array.from({ length: n }, (_, i) => ({
      dst: `10.${100 + (i >> 8)}.${i & 255}.0/24`,
      gateway: '192.0.2.254',
      oif: 'va0',
      table: 2000,
      protocol: 'static',
    }));
    await api.add(routes[7]!);
    const bad: RouteSpec = { dst: '10.99.0.0/24', oif: 9999, table: 2000 };
    const res = await api.addMany([...routes, bad]);
    expect(res).toHaveLength(n + 1);
    const failed = res.filter((r) => !r.ok);
    expect(failed.map((r) => [r.index, r.ok ? '' : (r.error as { code?: string }).code])).toEqual([
      [7, 'EEXIST'],
      [n, 'ENODEV'],
    ]);
    expect(await collect(api.list({ table: 2000 }))).toHaveLength(n);
    const del = await api.deleteMany(routes.filter((_, i) => i % 2 === 0));
    expect(del.every((r) => r.ok)).toBe(true);
    const again = await api.deleteMany(routes);
    expect(again.filter((r) => r.ok)).toHaveLength(n / 2);
    expect(again.filter((r) => !r.ok).every((r) => !r.ok && (r.error as { code?: string }).code === 'ESRCH')).toBe(
      true,
    );
    expect(show('table', '2000')).toBe('');
  });

  it('refuses bad input before sending', async () => {
    await expect(api.add({ dst: '10.1.1.0/16', oif: 'va0' })).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      field: 'dst',
    });
    await expect(
      api.addMany([
        { dst: '10.1.0.0/16', oif: 'va0' },
        { dst: '10.2.0.0/16', oif: 'va0', metrics: { mtu: 20 } },
      ]),
    ).rejects.toMatchObject({ field: 'routes[1].metrics.mtu' });
    await expect(api.add({ dst: '10.1.0.0/16', oif: 'nope0' })).rejects.toMatchObject({ name: 'LinkNotFoundError' });
    expect(show('10.1.0.0/16')).toBe('');
  });
});
