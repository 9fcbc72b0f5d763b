import { describe, expect, it } from 'vitest';
import { SNAPSHOT_VERSION, diffSnapshots, restore, snapshot, type InterfaceSnapshot } from '../src/snapshot.js';
import type { RtnlTransport } from '../src/transport.js';

/** A transport that fails the test if anything reaches it. */
const untouchable: RtnlTransport = {
  request: () => Promise.reject(new Error('no request expected')),
  dump: () => {
    throw new Error('no dump expected');
  },
  batch: () => Promise.reject(new Error('no batch expected')),
  linkIndex: () => Promise.reject(new Error('no lookup expected')),
};

const base: InterfaceSnapshot = {
  version: SNAPSHOT_VERSION,
  ifname: 'eth0',
  capturedAt: '2026-01-01T00:00:00.000Z',
  link: { mtu: 1500, mac: '02:00:00:00:00:01', up: true, promisc: false, txqueuelen: 1000 },
  addresses: [
    { address: '10.0.0.1/24', scope: 'universe' },
    { address: '2001:db8::1/64', scope: 'universe', flags: ['nodad'], validLifetime: 3600, preferredLifetime: 1800 },
  ],
  routes: [
    {
      dst: '0.0.0.0/0',
      family: 'inet',
      table: 254,
      protocol: 'boot',
      scope: 'universe',
      type: 'unicast',
      gateway: '10.0.0.254',
      oif: 'eth0',
    },
    {
      dst: '10.9.0.0/16',
      family: 'inet',
      table: 100,
      protocol: 'static',
      scope: 'universe',
      type: 'unicast',
      multipath: [
        { gateway: '10.0.0.2', oif: 'eth0', weight: 2 },
        { gateway: '10.1.0.2', oif: 'eth1', weight: 1 },
      ],
    },
  ],
};

describe('diffSnapshots', () => {
  it('is empty for the same snapshot, whatever the capture time and JSON round trip', () => {
    const copy = JSON.parse(JSON.stringify({ ...base, capturedAt: '2026-01-02T00:00:00.000Z' })) as InterfaceSnapshot;
    expect(diffSnapshots(base, copy)).toEqual([]);
  });

  it('treats finite lifetimes within the slack as equal, and forever vs finite as different', () => {
    const aged = {
      ...base,
      addresses: [base.addresses[0]!, { ...base.addresses[1]!, validLifetime: 3595, preferredLifetime: 1795 }],
    };
    expect(diffSnapshots(base, aged)).toEqual([]);
    expect(diffSnapshots(base, aged, { lifetimeSlack: 2 })).toHaveLength(1);
    const forever = {
      ...base,
      addresses: [
        base.addresses[0]!,
        { ...base.addresses[1]!, validLifetime: 'forever' as const, preferredLifetime: 'forever' as const },
      ],
    };
    expect(diffSnapshots(base, forever)).toEqual([
      { path: 'addresses[2001:db8::1/64]', a: base.addresses[1], b: forever.addresses[1] },
    ]);
  });

  it('names link fields, missing and extra addresses and routes', () => {
    const other: InterfaceSnapshot = {
      ...base,
      link: { ...base.link, mtu: 1400, promisc: true },
      addresses: [{ address: '10.0.0.9/24', scope: 'universe' }, base.addresses[1]!],
      routes: [base.routes[0]!, { ...base.routes[1]!, multipath: [{ gateway: '10.0.0.2', oif: 'eth0', weight: 1 }] }],
    };
    const paths = diffSnapshots(base, other).map((d) => d.path);
    expect(paths).toEqual([
      'link.mtu',
      'link.promisc',
      'addresses[10.0.0.1/24]',
      'addresses[10.0.0.9/24]',
      'routes[10.9.0.0/16 table 100 multipath 10.0.0.2@eth0,10.1.0.2@eth1]',
      'routes[10.9.0.0/16 table 100 multipath 10.0.0.2@eth0]',
    ]);
  });
});

describe('validation before any I/O', () => {
  it('snapshot refuses a bad interface name', async () => {
    await expect(snapshot(untouchable, 'a/b')).rejects.toMatchObject({ name: 'InvalidArgumentError', field: 'ifname' });
    await expect(snapshot(untouchable, 'x'.repeat(16))).rejects.toMatchObject({ field: 'ifname' });
  });

  it.each([
    [null, 'snapshot'],
    [{ ...base, version: 2 }, 'snapshot.version'],
    [{ ...base, ifname: '' }, 'snapshot.ifname'],
    [{ ...base, link: undefined }, 'snapshot.link'],
    [{ ...base, addresses: {} }, 'snapshot.addresses'],
    [{ ...base, routes: 'none' }, 'snapshot.routes'],
  ])('restore refuses a malformed snapshot (%#) naming %s', async (bad, field) => {
    await expect(restore(untouchable, bad as unknown as InterfaceSnapshot)).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      field,
    });
  });
});
