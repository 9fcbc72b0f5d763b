import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetlinkHandle } from '../../src/handle.js';
import { createNetns, type TestNetns, kernelSkipReason } from '../../src/testing/index.js';
import { diffSnapshots, restore, snapshot, type InterfaceSnapshot } from '../../src/snapshot.js';
import { Sysctl } from '../../src/sysctl.js';

const reason = await kernelSkipReason();
if (reason) console.log(`skip snapshot interop: ${reason}`);

let ns = '';
const ip = (...args: string[]): string => execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8' });

/** Finite lifetimes tick down between two snapshots; equality holds up to that. */
function comparable(s: InterfaceSnapshot): unknown {
  return {
    ...s,
    capturedAt: '',
    addresses: s.addresses.map((a) =>
      a.validLifetime === undefined ? a : { ...a, validLifetime: 'finite', preferredLifetime: 'finite' },
    ),
  };
}

/**
 * Snapshot once the kernel has settled: IPv6 local routes follow the carrier, which veth reports through
 * the kernel's link-watch work (up to a second later), so poll until equal or 5 s passed.
 */
async function settledSnapshot(nl: NetlinkHandle, want: InterfaceSnapshot): Promise<InterfaceSnapshot> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const s = await snapshot(nl, 'vp0');
    if (diffSnapshots(want, s).length === 0 || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** vp0 (the interface under test) and its veth peer vp1, which carries the second path of a multipath route. */
function createPair(): void {
  ip('link', 'add', 'vp0', 'type', 'veth', 'peer', 'name', 'vp1');
  ip('link', 'set', 'vp1', 'up');
  ip('addr', 'add', '10.1.0.1/24', 'dev', 'vp1');
  ip('-6', 'addr', 'add', '2001:db8:1::1/64', 'dev', 'vp1', 'nodad');
}

function configureRich(): void {
  ip(
    'link',
    'set',
    'vp0',
    'mtu',
    '1400',
    'address',
    '02:00:00:aa:bb:01',
    'promisc',
    'on',
    'txqueuelen',
    '500',
    'alias',
    'uplink',
  );
  ip('link', 'set', 'vp0', 'up');
  ip('addr', 'add', '10.0.0.1/24', 'dev', 'vp0');
  ip('addr', 'add', '10.0.0.5/24', 'dev', 'vp0');
  ip('addr', 'add', '192.168.50.1', 'peer', '192.168.50.2/32', 'dev', 'vp0');
  ip('-6', 'addr', 'add', '2001:db8::1/64', 'dev', 'vp0', 'nodad');
  ip('-6', 'addr', 'add', '2001:db8:2::1/64', 'dev', 'vp0', 'nodad', 'valid_lft', '3600', 'preferred_lft', '1800');
  ip('route', 'add', '10.10.0.0/16', 'dev', 'vp0');
  ip('route', 'add', '10.20.0.0/16', 'via', '10.0.0.2', 'metric', '50', 'mtu', 'lock', '1300');
  ip('route', 'add', 'default', 'via', '10.0.0.254');
  ip('route', 'add', '10.30.0.0/16', 'via', '10.0.0.3', 'table', '100');
  ip('route', 'add', '10.31.0.0/16', 'dev', 'vp0', 'table', '100', 'proto', 'static');
  ip('route', 'add', 'default', 'via', '10.0.0.254', 'table', '100');
  ip(
    'route',
    'add',
    '10.40.0.0/16',
    'nexthop',
    'via',
    '10.0.0.2',
    'dev',
    'vp0',
    'weight',
    '2',
    'nexthop',
    'via',
    '10.1.0.2',
    'dev',
    'vp1',
  );
  ip('-6', 'route', 'add', 'default', 'via', '2001:db8::ff');
  ip('-6', 'route', 'add', '2001:db8:99::/48', 'via', '2001:db8::2', 'table', '100', 'metric', '10');
  ip(
    '-6',
    'route',
    'add',
    '2001:db8:77::/48',
    'nexthop',
    'via',
    '2001:db8::2',
    'dev',
    'vp0',
    'nexthop',
    'via',
    '2001:db8:1::2',
    'dev',
    'vp1',
  );
}

function wreck(): void {
  ip('route', 'flush', 'table', 'all', 'dev', 'vp0');
  ip('route', 'del', '10.40.0.0/16');
  ip('addr', 'flush', 'dev', 'vp0');
  ip('link', 'set', 'vp0', 'down');
  ip(
    'link',
    'set',
    'vp0',
    'mtu',
    '1280',
    'address',
    '02:00:00:cc:dd:02',
    'promisc',
    'off',
    'txqueuelen',
    '1000',
    'alias',
    'wrecked',
  );
  ip('addr', 'add', '172.16.9.9/24', 'dev', 'vp0');
}

describe.skipIf(reason !== undefined)('snapshot / restore against the kernel', () => {
  let netns: TestNetns | undefined;
  let nl: NetlinkHandle;
  let before: InterfaceSnapshot;

  beforeAll(async () => {
    netns = await createNetns('vp-snap');
    ns = netns.name;
    nl = netns.nl;
    // No DAD: addresses and their routes exist at once, so two snapshots can be compared without waiting.
    const sysctl = new Sysctl({ netns: ns });
    await sysctl.set('net/ipv6/conf/all/accept_dad', 0);
    await sysctl.set('net/ipv6/conf/default/accept_dad', 0);
    createPair();
    configureRich();
  });
  afterAll(async () => {
    await netns?.remove();
  });

  it('captures link state, addresses and routes in every table', async () => {
    before = await snapshot(nl, 'vp0');
    expect(JSON.parse(JSON.stringify(before))).toEqual(before);
    expect(before.link).toEqual({
      mtu: 1400,
      mac: '02:00:00:aa:bb:01',
      up: true,
      promisc: true,
      alias: 'uplink',
      txqueuelen: 500,
    });
    const addrs = before.addresses.map((a) => (a.peer ? `${a.address} peer ${a.peer}` : a.address));
    expect(addrs).toEqual(
      expect.arrayContaining([
        '10.0.0.1/24',
        '10.0.0.5/24',
        '192.168.50.1 peer 192.168.50.2/32',
        '2001:db8::1/64',
        '2001:db8:2::1/64',
      ]),
    );
    expect(addrs.indexOf('10.0.0.1/24')).toBeLessThan(addrs.indexOf('10.0.0.5/24'));
    const finite = before.addresses.find((a) => a.address === '2001:db8:2::1/64');
    expect(finite?.validLifetime).toBeGreaterThan(3500);
    expect(finite?.preferredLifetime).toBeGreaterThan(1700);
    const r = (dst: string, table: number): unknown => before.routes.find((x) => x.dst === dst && x.table === table);
    expect(r('10.10.0.0/16', 254)).toMatchObject({ oif: 'vp0', scope: 'link', protocol: 'boot' });
    expect(r('10.20.0.0/16', 254)).toMatchObject({
      gateway: '10.0.0.2',
      oif: 'vp0',
      metric: 50,
      metrics: { mtu: 1300, lock: ['mtu'] },
    });
    expect(r('0.0.0.0/0', 254)).toMatchObject({ gateway: '10.0.0.254', oif: 'vp0' });
    expect(r('0.0.0.0/0', 100)).toMatchObject({ gateway: '10.0.0.254', oif: 'vp0' });
    expect(r('10.30.0.0/16', 100)).toMatchObject({ gateway: '10.0.0.3' });
    expect(r('10.31.0.0/16', 100)).toMatchObject({ protocol: 'static' });
    expect(r('10.40.0.0/16', 254)).toMatchObject({
      multipath: [
        { gateway: '10.0.0.2', oif: 'vp0', weight: 2 },
        { gateway: '10.1.0.2', oif: 'vp1', weight: 1 },
      ],
    });
    expect(r('2001:db8:77::/48', 254)).toMatchObject({
      multipath: [
        { gateway: '2001:db8::2', oif: 'vp0', weight: 1 },
        { gateway: '2001:db8:1::2', oif: 'vp1', weight: 1 },
      ],
    });
    expect(r('::/0', 254)).toMatchObject({ gateway: '2001:db8::ff', oif: 'vp0' });
    expect(r('2001:db8:99::/48', 100)).toMatchObject({ gateway: '2001:db8::2', metric: 10 });
    expect(before.routes.some((x) => x.protocol === 'kernel' && x.table === 255)).toBe(true);
  });

  it('restores a wrecked interface to an equal snapshot', async () => {
    wreck();
    const wrecked = await snapshot(nl, 'vp0');
    expect(diffSnapshots(before, wrecked).length).toBeGreaterThan(5);

    const report = await restore(nl, before);
    expect(report.failed).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.applied.map((i) => `${i.kind} ${i.action} ${i.what}`)).toEqual(
      expect.arrayContaining([
        'link set mac 02:00:00:aa:bb:01',
        'link set mtu 1400',
        'link set up',
        'address delete 172.16.9.9/24',
        'address add 10.0.0.1/24',
      ]),
    );

    const after = await settledSnapshot(nl, before);
    expect(diffSnapshots(before, after)).toEqual([]);
    expect(comparable(after)).toEqual(comparable(before));
    // A second restore has nothing left to do.
    const again = await restore(nl, before);
    expect(again.failed).toEqual([]);
    expect(again.applied).toEqual([]);
  });

  it('restores onto a link deleted and recreated with a new index (keyed by name)', async () => {
    const oldIndex = await nl.linkIndex('vp0');
    ip('link', 'del', 'vp0');
    createPair();
    const newIndex = await nl.linkIndex('vp0');
    expect(newIndex).not.toBe(oldIndex);

    const report = await restore(nl, JSON.parse(JSON.stringify(before)) as InterfaceSnapshot);
    expect(report.failed).toEqual([]);
    expect(report.ifindex).toBe(newIndex);
    const after = await settledSnapshot(nl, before);
    expect(diffSnapshots(before, after)).toEqual([]);
    expect(comparable(after)).toEqual(comparable(before));
  });

  it('replaces a route that holds the slot without going through the interface', async () => {
    ip('route', 'replace', '10.40.0.0/16', 'via', '10.1.0.2', 'dev', 'vp1');
    ip('-6', 'route', 'replace', '2001:db8:77::/48', 'via', '2001:db8:1::2', 'dev', 'vp1');
    const report = await restore(nl, before);
    expect(report.failed).toEqual([]);
    expect(report.applied.filter((i) => i.action === 'replace').map((i) => i.what)).toEqual([
      expect.stringContaining('10.40.0.0/16'),
      expect.stringContaining('2001:db8:77::/48'),
    ]);
    expect(diffSnapshots(before, await settledSnapshot(nl, before))).toEqual([]);
  });

  it('shortens finite lifetimes by the time since the snapshot, and skips addresses that expired', async () => {
    const finite = before.addresses.find((a) => a.address === '2001:db8:2::1/64');
    const valid = finite?.validLifetime as number;
    ip('-6', 'addr', 'del', '2001:db8:2::1/64', 'dev', 'vp0');
    const later = Date.parse(before.capturedAt) + 600_000;
    const report = await restore(nl, before, { now: () => later });
    expect(report.failed).toEqual([]);
    const now = (await snapshot(nl, 'vp0')).addresses.find((a) => a.address === '2001:db8:2::1/64');
    expect(now?.validLifetime).toBeGreaterThan(valid - 600 - 10);
    expect(now?.validLifetime).toBeLessThanOrEqual(valid - 600);

    ip('-6', 'addr', 'del', '2001:db8:2::1/64', 'dev', 'vp0');
    const expired = await restore(nl, before, { now: () => Date.parse(before.capturedAt) + (valid + 1) * 1000 });
    expect(expired.failed).toEqual([]);
    expect(expired.skipped).toContainEqual(
      expect.objectContaining({
        kind: 'address',
        what: '2001:db8:2::1/64',
        reason: expect.stringContaining('lifetime'),
      }),
    );
    await restore(nl, before); // put it back for the tests after this one
  });

  it('reports a missing interface and refuses a malformed snapshot', async () => {
    await expect(restore(nl, { ...before, ifname: 'nosuch0' })).rejects.toMatchObject({ name: 'LinkNotFoundError' });
    await expect(restore(nl, { ...before, version: 2 } as unknown as InterfaceSnapshot)).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      field: 'snapshot.version',
    });
    await expect(snapshot(nl, 'bad/name')).rejects.toMatchObject({ name: 'InvalidArgumentError', field: 'ifname' });
  });

  it('reports item by item what the kernel refused', async () => {
    const bad: InterfaceSnapshot = {
      ...before,
      routes: [
        ...before.routes,
        {
          dst: '10.77.0.0/16',
          family: 'inet',
          table: 254,
          gateway: '10.99.0.1',
          oif: 'vp0',
          protocol: 'boot',
          scope: 'universe',
          type: 'unicast',
        },
      ],
    };
    const report = await restore(nl, bad);
    expect(report.ok).toBe(false);
    expect(report.failed).toHaveLength(1);
    expect(report.failed[0]).toMatchObject({
      kind: 'route',
      action: 'add',
      what: expect.stringContaining('10.77.0.0/16'),
    });
    expect(report.failed[0]?.error).toMatchObject({ name: 'NetlinkError' });
  });
});

describe.skipIf(reason !== undefined)('snapshot / restore of nexthop, kernel, expiring and realm routes', () => {
  let netns: TestNetns | undefined;
  let nl: NetlinkHandle;

  beforeAll(async () => {
    netns = await createNetns('vp-snap2');
    ns = netns.name;
    nl = netns.nl;
    const sysctl = new Sysctl({ netns: ns });
    await sysctl.set('net/ipv6/conf/all/accept_dad', 0);
    await sysctl.set('net/ipv6/conf/default/accept_dad', 0);
    ip('link', 'add', 'vp0', 'type', 'veth', 'peer', 'name', 'vp1');
    ip('link', 'set', 'vp0', 'up');
    ip('link', 'set', 'vp1', 'up');
    ip('addr', 'add', '10.0.0.1/24', 'dev', 'vp0');
    ip('-6', 'addr', 'add', '2001:db8::1/64', 'dev', 'vp0', 'nodad');
  });
  afterAll(async () => {
    await netns?.remove();
  });

  it('restores a route through a nexthop object, and the object itself', async () => {
    ns = netns!.name;
    ip('nexthop', 'add', 'id', '5', 'via', '10.0.0.2', 'dev', 'vp0');
    ip('nexthop', 'add', 'id', '6', 'via', '10.0.0.3', 'dev', 'vp0');
    ip('nexthop', 'add', 'id', '7', 'group', '5,2/6');
    ip('route', 'add', '10.50.0.0/16', 'nhid', '5');
    ip('route', 'add', '10.51.0.0/16', 'nhid', '7');
    try {
      const before = await settledSnapshot(nl, await snapshot(nl, 'vp0'));
      expect(before.routes.find((r) => r.dst === '10.50.0.0/16')).toMatchObject({ nhid: 5 });
      expect(before.routes.find((r) => r.dst === '10.50.0.0/16')).not.toHaveProperty('gateway');
      expect(before.nexthops).toEqual([
        { id: 5, family: 'inet', gateway: '10.0.0.2', oif: 'vp0', protocol: 'unspec' },
        { id: 6, family: 'inet', gateway: '10.0.0.3', oif: 'vp0', protocol: 'unspec' },
        {
          id: 7,
          group: [
            { id: 5, weight: 2 },
            { id: 6, weight: 1 },
          ],
          groupType: 'mpath',
          protocol: 'unspec',
        },
      ]);
      // Only the routes go: restore re-adds them (it threw InvalidArgumentError routes[i].nhid before).
      ip('route', 'del', '10.50.0.0/16');
      ip('route', 'del', '10.51.0.0/16');
      const r1 = await restore(nl, before);
      expect(r1.failed).toEqual([]);
      expect(diffSnapshots(before, await snapshot(nl, 'vp0'))).toEqual([]);
      // The objects go too (taking their routes): restore adds them back before the routes.
      ip('nexthop', 'del', 'id', '7');
      ip('nexthop', 'del', 'id', '5');
      ip('nexthop', 'del', 'id', '6');
      const r2 = await restore(nl, before);
      expect(r2.failed).toEqual([]);
      expect(r2.applied.map((i) => `${i.kind} ${i.action}`)).toEqual([
        'nexthop add',
        'nexthop add',
        'nexthop add',
        'route add',
        'route add',
      ]);
      expect(diffSnapshots(before, await snapshot(nl, 'vp0'))).toEqual([]);
      expect(ip('route', 'show', '10.51.0.0/16')).toMatch(/^10\.51\.0\.0\/16 nhid 7 /);
      // A snapshot without the objects (or with a route the kernel refuses) reports the route, never throws.
      ip('nexthop', 'del', 'id', '7');
      const r3 = await restore(nl, { ...before, nexthops: before.nexthops!.filter((n) => n.id !== 7) });
      expect(r3.ok).toBe(false);
      expect(r3.failed.map((i) => `${i.kind} ${i.action} ${i.what}`)).toEqual([
        'route add 10.51.0.0/16 table 254 nhid 7',
      ]);
      const r4 = await restore(nl, {
        ...before,
        routes: [...before.routes, { ...before.routes[0]!, dst: '10.52.0.0/16', nhid: 5, gateway: '10.0.0.2' }],
      });
      expect(r4.failed.map((i) => [i.what, (i.error as { field?: string }).field])).toContainEqual([
        '10.52.0.0/16 table 254 via 10.0.0.2 dev vp0 nhid 5',
        'nhid',
      ]);
    } finally {
      ip('nexthop', 'flush'); // routes through them go too
    }
  });

  it('adds back kernel prefix routes deleted while their addresses stayed (IPv4 and IPv6)', async () => {
    ns = netns!.name;
    const before = await snapshot(nl, 'vp0');
    const kernelRoutes = before.routes.filter((r) => r.protocol === 'kernel' && r.table === 254).map((r) => r.dst);
    expect(kernelRoutes).toEqual(expect.arrayContaining(['10.0.0.0/24', '2001:db8::/64']));
    ip('route', 'del', '10.0.0.0/24', 'dev', 'vp0', 'proto', 'kernel');
    ip('-6', 'route', 'del', '2001:db8::/64', 'dev', 'vp0', 'proto', 'kernel');
    expect(diffSnapshots(before, await snapshot(nl, 'vp0')).map((d) => d.path)).toHaveLength(2);
    const report = await restore(nl, before);
    expect(report.failed).toEqual([]);
    expect(report.applied.map((i) => i.what)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^10\.0\.0\.0\/24 table 254 dev vp0/),
        expect.stringMatching(/^2001:db8::\/64 table 254 dev vp0/),
      ]),
    );
    expect(diffSnapshots(before, await snapshot(nl, 'vp0'))).toEqual([]);
    expect(ip('route', 'show', '10.0.0.0/24').trim()).toBe('10.0.0.0/24 dev vp0 proto kernel scope link src 10.0.0.1');
    // They are the kernel's again: deleting the address takes them away.
    ip('addr', 'del', '10.0.0.1/24', 'dev', 'vp0');
    expect(ip('route', 'show', '10.0.0.0/24').trim()).toBe('');
    ip('addr', 'add', '10.0.0.1/24', 'dev', 'vp0');
  });

  it('keeps route expiry and realm, restores the lifetime left, and sees permanent vs expiring', async () => {
    ns = netns!.name;
    ip(
      '-6',
      'route',
      'add',
      'default',
      'via',
      'fe80::1',
      'dev',
      'vp0',
      'proto',
      'ra',
      'metric',
      '1024',
      'expires',
      '300',
    );
    ip('route', 'add', '10.61.0.0/16', 'dev', 'vp0', 'realm', '3');
    try {
      const before = await snapshot(nl, 'vp0');
      const ra = before.routes.find((r) => r.dst === '::/0');
      expect(ra?.expires).toBeGreaterThan(290);
      expect(ra?.expires).toBeLessThanOrEqual(300);
      expect(before.routes.find((r) => r.dst === '10.61.0.0/16')).toMatchObject({ realm: 3 });
      ip('-6', 'route', 'del', 'default', 'dev', 'vp0');
      ip('route', 'del', '10.61.0.0/16');
      // Restored 100 s "later": the route gets the ~200 s it had left.
      const report = await restore(nl, before, { now: () => Date.parse(before.capturedAt) + 100_000 });
      expect(report.failed).toEqual([]);
      const after = await snapshot(nl, 'vp0');
      const left = after.routes.find((r) => r.dst === '::/0')?.expires ?? 0;
      expect(left).toBeGreaterThan(190);
      expect(left).toBeLessThanOrEqual(200);
      expect(after.routes.find((r) => r.dst === '10.61.0.0/16')).toMatchObject({ realm: 3 });
      expect(ip('route', 'show', '10.61.0.0/16').trim()).toContain('realm 3');
      // 100 s apart: a difference in the seconds left, beyond the slack.
      expect(diffSnapshots(before, after).map((d) => d.path)).toEqual([
        'routes[::/0 table 254 via fe80::1 dev vp0 metric 1024].expires',
      ]);
      // Permanent vs expiring is a difference; restore makes it expiring again.
      ip('-6', 'route', 'replace', 'default', 'via', 'fe80::1', 'dev', 'vp0', 'proto', 'ra', 'metric', '1024');
      const permanent = await snapshot(nl, 'vp0');
      expect(permanent.routes.find((r) => r.dst === '::/0')).not.toHaveProperty('expires');
      expect(diffSnapshots(before, permanent).length).toBe(2);
      expect((await restore(nl, before)).failed).toEqual([]);
      expect(diffSnapshots(before, await snapshot(nl, 'vp0'))).toEqual([]);
      // An expired route is skipped, not added as permanent.
      ip('-6', 'route', 'del', 'default', 'dev', 'vp0');
      const late = await restore(nl, before, { now: () => Date.parse(before.capturedAt) + 400_000 });
      expect(late.skipped.map((i) => i.reason)).toContain('it expired since the snapshot');
      expect(ip('-6', 'route', 'show', 'default').trim()).toBe('');
    } finally {
      for (const args of [
        ['-6', 'route', 'del', 'default', 'dev', 'vp0'],
        ['route', 'del', '10.61.0.0/16'],
      ]) {
        try {
          ip(...args);
        } catch {
          // already gone
        }
      }
    }
  });
});
