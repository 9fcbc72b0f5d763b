import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressApi } from '../../src/address.js';
import { collect, createEnv, skipReason, vethPair, type NsEnv } from './rtnl-env.js';

const reason = await skipReason();
if (reason) console.log(`skip address interop: ${reason}`);

interface IpAddrJson {
  ifname: string;
  addr_info: {
    family: string;
    local: string;
    prefixlen: number;
    address?: string;
    broadcast?: string;
    label?: string;
    scope: string;
    valid_life_time: number;
    preferred_life_time: number;
    nodad?: boolean;
    noprefixroute?: boolean;
    metric?: number;
  }[];
}

describe.skipIf(reason !== undefined)('AddressApi against the kernel', () => {
  let env: NsEnv;
  let api: AddressApi;
  const show = (dev: string): IpAddrJson['addr_info'] =>
    env.ipJson<IpAddrJson[]>('addr', 'show', 'dev', dev)[0]!.addr_info;

  beforeAll(async () => {
    env = await createEnv('addr', vethPair('va0', 'vb0'));
    api = new AddressApi(env.nl);
  });
  afterAll(async () => env?.close());

  it('adds IPv4 with scope, label, broadcast and metric, and lists it back', async () => {
    await api.add({
      link: 'va0',
      address: '10.1.0.1/24',
      broadcast: '10.1.0.255',
      label: 'va0:web',
      scope: 'link',
      metric: 77,
    });
    const k = show('va0').find((a) => a.local === '10.1.0.1')!;
    expect(k).toMatchObject({ prefixlen: 24, broadcast: '10.1.0.255', label: 'va0:web', scope: 'link', metric: 77 });
    const mine = (await collect(api.list({ link: 'va0', family: 'inet' }))).find((a) => a.address === '10.1.0.1');
    expect(mine).toMatchObject({ prefixLen: 24, broadcast: '10.1.0.255', label: 'va0:web', scope: 'link', metric: 77 });
  });

  it('adds IPv6 with nodad, noprefixroute and lifetimes', async () => {
    await api.add({ link: 'va0', address: '2001:db8:1::1/64', flags: ['nodad', 'noprefixroute'] });
    await api.add({
      link: 'va0',
      address: '2001:db8:2::1/64',
      flags: ['nodad'],
      validLifetime: 300,
      preferredLifetime: 100,
    });
    const k = show('va0');
    expect(k.find((a) => a.local === '2001:db8:1::1')).toMatchObject({ nodad: true, noprefixroute: true });
    const life = k.find((a) => a.local === '2001:db8:2::1')!;
    expect(life.valid_life_time).toBeGreaterThan(290);
    expect(life.preferred_life_time).toBeLessThanOrEqual(100);
    const mine = await collect(api.list({ link: 'va0', family: 'inet6' }));
    expect(mine.find((a) => a.address === '2001:db8:1::1')?.flags).toEqual(
      expect.arrayContaining(['nodad', 'noprefixroute']),
    );
    const l = mine.find((a) => a.address === '2001:db8:2::1')!;
    expect(l.validLifetime).toBeGreaterThan(290);
    expect(l.preferredLifetime).toBeLessThanOrEqual(100);
    expect(mine.every((a) => a.family === 'inet6' && a.index === mine[0]!.index)).toBe(true);
  });

  it('adds a point-to-point peer (IFA_LOCAL vs IFA_ADDRESS)', async () => {
    await api.add({ link: 'vb0', address: '10.9.2.1', peer: '10.9.2.2/32' });
    expect(show('vb0').find((a) => a.local === '10.9.2.1')).toMatchObject({ address: '10.9.2.2', prefixlen: 32 });
    const mine = (await collect(api.list({ link: 'vb0' }))).find((a) => a.address === '10.9.2.1');
    expect(mine).toMatchObject({ peer: '10.9.2.2', prefixLen: 32 });
    await api.delete({ link: 'vb0', address: '10.9.2.1', peer: '10.9.2.2/32' });
    expect(show('vb0').find((a) => a.local === '10.9.2.1')).toBeUndefined();
  });

  it('replaces an existing address and refuses a duplicate add with EEXIST', async () => {
    await expect(api.add({ link: 'va0', address: '10.1.0.1/24' })).rejects.toMatchObject({
      name: 'NetlinkError',
      code: 'EEXIST',
    });
    await api.replace({ link: 'va0', address: '2001:db8:2::1/64', flags: ['nodad'], validLifetime: 'forever' });
    expect(show('va0').find((a) => a.local === '2001:db8:2::1')?.valid_life_time).toBe(4294967295);
  });

  it('deletes, and reports a missing address as a kernel error', async () => {
    await api.delete({ link: 'va0', address: '10.1.0.1/24' });
    expect(show('va0').find((a) => a.local === '10.1.0.1')).toBeUndefined();
    await expect(api.delete({ link: 'va0', address: '10.1.0.1/24' })).rejects.toMatchObject({
      name: 'NetlinkError',
      code: 'EADDRNOTAVAIL',
    });
  });

  it('refuses bad input with a typed error and an unknown link with LinkNotFoundError', async () => {
    await expect(api.add({ link: 'va0', address: '10.1.0.1/33' })).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      field: 'address',
    });
    await expect(api.add({ link: 'nope0', address: '10.1.0.1/24' })).rejects.toMatchObject({
      name: 'LinkNotFoundError',
    });
  });
});
