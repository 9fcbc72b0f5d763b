import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NexthopApi } from '../../src/nexthop.js';
import { RouteApi } from '../../src/route.js';
import { unlessFeatureMissing } from '../../src/testing/index.js';
import { collect, createEnv, skipReason, vethPair, type NsEnv } from './rtnl-env.js';

const reason = await skipReason();
if (reason) console.log(`skip nexthop interop: ${reason}`);

describe.skipIf(reason !== undefined)('NexthopApi against the kernel', () => {
  let env: NsEnv;
  let api: NexthopApi;
  let routes: RouteApi;
  let supported = true;
  const show = (...args: string[]): string =>
    env
      .ip('nexthop', 'show', ...args)
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n')
      .trim();

  beforeAll(async () => {
    env = await createEnv('nh', [
      ...vethPair('va0', 'vb0'),
      ['addr', 'add', '192.0.2.1/24', 'dev', 'va0'],
      ['-6', 'addr', 'add', '2001:db8::1/64', 'dev', 'va0', 'nodad'],
    ]);
    api = new NexthopApi(env.nl);
    routes = new RouteApi(env.nl);
    // Only the kernel refusing RTM_GETNEXTHOP as a whole skips (as a missing link kind does); a decode
    // error or anything else fails the suite, with or without VECTORPLANE_REQUIRE_KERNEL.
    const missing = await unlessFeatureMissing('nexthop objects (RTM_GETNEXTHOP)', () => collect(api.list()));
    if (missing !== undefined) {
      supported = false;
      console.log(`skip nexthop objects: ${missing}`);
    }
  });
  afterAll(async () => env?.close());

  it('adds gateway, IPv6, blackhole and fdb nexthops', async (ctx) => {
    if (!supported) ctx.skip();
    await api.add({ id: 1, gateway: '192.0.2.254', oif: 'va0' });
    await api.add({ id: 2, gateway: '192.0.2.253', oif: 'va0', protocol: 'static' });
    await api.add({ id: 3, blackhole: true });
    await api.add({ id: 4, gateway: '2001:db8::2', oif: 'va0' });
    await api.add({ id: 5, gateway: '192.0.2.9', fdb: true });
    expect(show('id', '1')).toBe('id 1 via 192.0.2.254 dev va0 scope link');
    expect(show('id', '3')).toBe('id 3 blackhole');
    expect(show('id', '5')).toBe('id 5 via 192.0.2.9 scope link fdb');
    const byId = new Map((await collect(api.list())).map((n) => [n.id, n]));
    expect(byId.get(2)).toMatchObject({ family: 'inet', gateway: '192.0.2.253', protocol: 'static' });
    expect(byId.get(3)).toMatchObject({ blackhole: true });
    expect(byId.get(4)).toMatchObject({ family: 'inet6', gateway: '2001:db8::2' });
    expect(byId.get(5)).toMatchObject({ fdb: true });
    expect(await api.get(1)).toMatchObject({ id: 1, gateway: '192.0.2.254', oif: expect.any(Number) });
  });

  it('adds weighted and resilient groups, and routes through them', async (ctx) => {
    if (!supported) ctx.skip();
    await api.add({ id: 10, group: [{ id: 1, weight: 3 }, { id: 2 }] });
    expect(show('id', '10')).toBe('id 10 group 1,3/2');
    await api.add({
      id: 11,
      group: [{ id: 1 }, { id: 2 }],
      groupType: 'resilient',
      resilient: { buckets: 32, idleTimer: 10 },
    });
    expect(show('id', '11')).toContain('type resilient buckets 32 idle_timer 10');
    const groups = await collect(api.list({ groups: true }));
    expect(groups.map((g) => [g.id, g.groupType, g.group])).toEqual([
      [
        10,
        'mpath',
        [
          { id: 1, weight: 3 },
          { id: 2, weight: 1 },
        ],
      ],
      [
        11,
        'resilient',
        [
          { id: 1, weight: 1 },
          { id: 2, weight: 1 },
        ],
      ],
    ]);
    await routes.add({ dst: '10.15.0.0/16', nhid: 10 });
    const [r] = (await collect(routes.list())).filter((x) => x.dst === '10.15.0.0/16');
    expect(r?.nhid).toBe(10);
    expect(r?.multipath?.map((h) => [h.gateway, h.weight])).toEqual([
      ['192.0.2.254', 3],
      ['192.0.2.253', 1],
    ]);
  });

  it('replaces a nexthop (routes follow) and lists by device', async (ctx) => {
    if (!supported) ctx.skip();
    await expect(api.add({ id: 2, gateway: '192.0.2.252', oif: 'va0' })).rejects.toMatchObject({
      name: 'NetlinkError',
      code: 'EEXIST',
    });
    await api.replace({ id: 2, gateway: '192.0.2.252', oif: 'va0', onlink: true });
    expect(show('id', '2')).toBe('id 2 via 192.0.2.252 dev va0 scope link onlink');
    const onVa = await collect(api.list({ oif: 'va0' }));
    expect(onVa.map((n) => n.id).sort()).toEqual([1, 2, 4]);
  });

  it('deletes nexthops and refuses bad input', async (ctx) => {
    if (!supported) ctx.skip();
    await api.delete(11);
    await api.delete(10);
    expect(env.ip('route', 'show', '10.15.0.0/16').trim()).toBe('');
    await expect(api.delete(10)).rejects.toMatchObject({ name: 'NetlinkError', code: 'ENOENT' });
    await expect(api.get(10)).rejects.toMatchObject({ name: 'NetlinkError' });
    await expect(api.add({ id: 20, group: [{ id: 1, weight: 0 }] })).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      field: 'group[0].weight',
    });
    await expect(api.add({ id: 21, group: [{ id: 999 }] })).rejects.toMatchObject({ name: 'NetlinkError' });
  });
});
