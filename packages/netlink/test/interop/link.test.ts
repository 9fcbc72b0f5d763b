/**
 * Links against the real kernel, in namespaces made here. Kinds the running kernel lacks are detected at
 * run time (EOPNOTSUPP / "Unknown device type") and skipped with one line naming the kind; their bytes are
 * checked in test/link-codec.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LinkAddSpec } from '../../src/link.js';
import {
  createNetns,
  kernelSkipReason,
  removeAllNetns,
  unlessKindMissing,
  type TestNetns,
} from '../../src/testing/index.js';

const reason = await kernelSkipReason();
if (reason) console.log(`skip link interop: ${reason}`);

const ipJson = (ns: string, ...args: string[]): Array<Record<string, unknown>> =>
  JSON.parse(execFileSync('ip', ['-j', '-d', '-n', ns, ...args], { encoding: 'utf8' }) || '[]') as Array<
    Record<string, unknown>
  >;

describe.skipIf(reason !== undefined)('links (kernel)', () => {
  let a: TestNetns;
  let b: TestNetns;
  beforeEach(async () => {
    a = await createNetns('vpt-link');
    b = await createNetns('vpt-link');
  });
  afterEach(async () => {
    await a.remove();
    await b.remove();
  });
  afterAll(removeAllNetns);

  it('lists the loopback of a fresh namespace', async () => {
    const links = await a.nl.link.list();
    expect(links).toHaveLength(1);
    expect(links[0]).toMatchObject({ index: 1, name: 'lo', kind: undefined, up: true, type: 772, mtu: 65536 });
  });

  it('veth with its peer in another namespace, with MTU, MAC, alias, up', async () => {
    const v = await a.nl.link.add({
      kind: 'veth',
      name: 'v0',
      mtu: 1400,
      mac: '02:00:00:00:00:01',
      alias: 'to b',
      up: true,
      peer: { name: 'v0p', netns: b.name, mtu: 1400, mac: '02:00:00:00:00:02' },
    });
    expect(v).toMatchObject({ name: 'v0', kind: 'veth', mtu: 1400, mac: '02:00:00:00:00:01', alias: 'to b', up: true });
    expect(v.linkNetnsId).toBeGreaterThanOrEqual(0);
    const p = await b.nl.link.get('v0p');
    expect(p).toMatchObject({ kind: 'veth', mtu: 1400, mac: '02:00:00:00:00:02', up: false });
    expect(await a.nl.link.find('v0p')).toBeUndefined();
    // iproute2 agrees
    expect(ipJson(b.name, 'link', 'show', 'v0p')[0]).toMatchObject({
      ifname: 'v0p',
      mtu: 1400,
      address: '02:00:00:00:00:02',
    });
  });

  it('veth with its queue counts fixed at creation, for each end; more than one stays possible', async () => {
    const v = await a.nl.link.add({
      kind: 'veth',
      name: 'q0',
      numTxQueues: 1,
      numRxQueues: 1,
      peer: { name: 'q0p', netns: b.name, numTxQueues: 3, numRxQueues: 2 },
    });
    expect(v).toMatchObject({ numTxQueues: 1, numRxQueues: 1 });
    expect(await b.nl.link.get('q0p')).toMatchObject({ numTxQueues: 3, numRxQueues: 2 });
    // iproute2 reads the same counts back
    expect(ipJson(a.name, 'link', 'show', 'q0')[0]).toMatchObject({ num_tx_queues: 1, num_rx_queues: 1 });
    expect(ipJson(b.name, 'link', 'show', 'q0p')[0]).toMatchObject({ num_tx_queues: 3, num_rx_queues: 2 });
  });

  it('set: up/down, MTU, MAC, name, alias, txqueuelen, promisc', async () => {
    await a.nl.link.add({ kind: 'veth', name: 's0', peer: { name: 's0p' } });
    await a.nl.link.set('s0', {
      up: true,
      mtu: 1300,
      mac: '02:11:22:33:44:55',
      alias: 'hello',
      txqlen: 123,
      promisc: true,
    });
    let l = await a.nl.link.get('s0');
    expect(l).toMatchObject({
      up: true,
      mtu: 1300,
      mac: '02:11:22:33:44:55',
      alias: 'hello',
      txqlen: 123,
      promisc: true,
    });
    await a.nl.link.down('s0');
    await a.nl.link.set(l.index, { name: 's0-renamed', promisc: false, alias: '' });
    l = await a.nl.link.get(l.index);
    expect(l).toMatchObject({ name: 's0-renamed', up: false, promisc: false, alias: undefined });
    expect(ipJson(a.name, 'link', 'show', 's0-renamed')[0]).toMatchObject({ mtu: 1300, txqlen: 123 });
  });

  it('bridge with ports via master, filtered listing, nomaster', async () => {
    const br = await a.nl.link.add({ kind: 'bridge', name: 'br0', up: true, stpState: 0, forwardDelay: 0 });
    expect(br).toMatchObject({ kind: 'bridge', data: { kind: 'bridge', stpState: 0 } });
    await a.nl.link.add({ kind: 'veth', name: 'p0', master: 'br0', peer: { name: 'p0x' } });
    await a.nl.link.add({ kind: 'veth', name: 'p1', peer: { name: 'p1x' } });
    await a.nl.link.set('p1', { master: br.index });
    const ports = await a.nl.link.list({ master: 'br0' });
    expect(ports.map((l) => l.name).sort()).toEqual(['p0', 'p1']);
    expect(ports.every((p) => p.slaveKind === 'bridge' && p.master === br.index)).toBe(true);
    await a.nl.link.set('p0', { master: null });
    expect((await a.nl.link.get('p0')).master).toBeUndefined();
    expect((await a.nl.link.list({ kind: 'bridge' })).map((l) => l.name)).toEqual(['br0']);
  });

  it('macvlan on a veth', async () => {
    await a.nl.link.add({ kind: 'veth', name: 'u0', peer: { name: 'u0p' } });
    const mv = await a.nl.link.add({ kind: 'macvlan', name: 'mv0', parent: 'u0', mode: 'private' });
    expect(mv).toMatchObject({
      kind: 'macvlan',
      data: { kind: 'macvlan', mode: 'private' },
      parent: (await a.nl.link.get('u0')).index,
    });
  });

  it('vxlan with VNI, local, remote group and port', async () => {
    await a.nl.link.add({ kind: 'veth', name: 'u0', peer: { name: 'u0p' } });
    const vx = await a.nl.link.add({
      kind: 'vxlan',
      name: 'vx0',
      vni: 4242,
      local: '192.0.2.1',
      group: '192.0.2.2',
      port: 4790,
      parent: 'u0',
      ttl: 8,
      learning: false,
    });
    expect(vx.data).toMatchObject({
      kind: 'vxlan',
      vni: 4242,
      local: '192.0.2.1',
      group: '192.0.2.2',
      port: 4790,
      ttl: 8,
      learning: false,
    });
    expect(ipJson(a.name, 'link', 'show', 'vx0')[0]).toMatchObject({
      linkinfo: { info_kind: 'vxlan', info_data: { id: 4242, port: 4790 } },
    });
  });

  it('macvlan and vxlan: set, list by kind, delete', async () => {
    await a.nl.link.add({ kind: 'veth', name: 'u0', peer: { name: 'u0p' }, mtu: 9000 });
    await a.nl.link.add({ kind: 'macvlan', name: 'mv0', parent: 'u0', mode: 'bridge' });
    await a.nl.link.add({ kind: 'macvlan', name: 'mv1', parent: 'u0', mode: 'vepa' });
    await a.nl.link.add({ kind: 'vxlan', name: 'vx0', vni: 10, local: '192.0.2.1', port: 4789, parent: 'u0' });
    await a.nl.link.set('mv0', { mtu: 1400, mac: '02:00:00:00:0a:01', alias: 'pod-a', up: true });
    await a.nl.link.set('vx0', { mtu: 1450, mac: '02:00:00:00:0b:01', name: 'vx10', up: true });
    expect(await a.nl.link.get('mv0')).toMatchObject({
      mtu: 1400,
      mac: '02:00:00:00:0a:01',
      alias: 'pod-a',
      up: true,
      data: { kind: 'macvlan', mode: 'bridge' },
    });
    expect(await a.nl.link.get('vx10')).toMatchObject({
      mtu: 1450,
      mac: '02:00:00:00:0b:01',
      up: true,
      data: { kind: 'vxlan', vni: 10, port: 4789 },
    });
    expect(ipJson(a.name, 'link', 'show', 'mv0')[0]).toMatchObject({
      mtu: 1400,
      address: '02:00:00:00:0a:01',
      ifalias: 'pod-a',
    });
    expect(
      (await a.nl.link.list({ kind: 'macvlan' })).map((l) => [l.name, l.data?.kind === 'macvlan' && l.data.mode]),
    ).toEqual([
      ['mv0', 'bridge'],
      ['mv1', 'vepa'],
    ]);
    expect((await a.nl.link.list({ kind: 'vxlan' })).map((l) => l.name)).toEqual(['vx10']);
    await a.nl.link.delete('mv1');
    await a.nl.link.delete('vx10');
    expect((await a.nl.link.list({ kind: 'macvlan' })).map((l) => l.name)).toEqual(['mv0']);
    expect(await a.nl.link.list({ kind: 'vxlan' })).toEqual([]);
    await expect(a.nl.link.delete('vx10')).rejects.toMatchObject({ name: 'LinkNotFoundError' });
    // Deleting the parent takes its macvlans with it.
    await a.nl.link.delete('u0');
    expect(await a.nl.link.list({ kind: 'macvlan' })).toEqual([]);
  });

  it('moves a link to another namespace by name, by path and by fd', async () => {
    await a.nl.link.add({ kind: 'veth', name: 'm0', peer: { name: 'm0p' } });
    await a.nl.link.moveTo('m0', b.name);
    expect(await a.nl.link.find('m0')).toBeUndefined();
    expect((await b.nl.link.get('m0')).kind).toBe('veth');
    await b.nl.link.moveTo('m0', { path: a.path });
    expect((await a.nl.link.get('m0')).name).toBe('m0');
    const fd = openSync(b.path, 'r');
    try {
      await a.nl.link.moveTo('m0p', { fd });
    } finally {
      closeSync(fd);
    }
    expect((await b.nl.link.get('m0p')).kind).toBe('veth');
  });

  it('delete removes both ends of a veth; errors are typed', async () => {
    await a.nl.link.add({ kind: 'veth', name: 'd0', peer: { name: 'd0p' } });
    await expect(a.nl.link.add({ kind: 'veth', name: 'd0', peer: { name: 'zz' } })).rejects.toMatchObject({
      name: 'NetlinkError',
      code: 'EEXIST',
    });
    await a.nl.link.delete('d0');
    expect(await a.nl.link.find('d0p')).toBeUndefined();
    await expect(a.nl.link.delete('d0')).rejects.toMatchObject({ name: 'LinkNotFoundError', link: 'd0' });
    await expect(a.nl.link.get(9999)).rejects.toMatchObject({ name: 'LinkNotFoundError', link: 9999 });
    await expect(a.nl.link.add({ kind: 'macvlan', name: 'mvx', parent: 'nothere' })).rejects.toMatchObject({
      name: 'LinkNotFoundError',
    });
  });

  it('refuses bad input before sending', async () => {
    await expect(a.nl.link.add({ kind: 'veth', name: 'bad name', peer: { name: 'x' } })).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      field: 'name',
    });
    await expect(a.nl.link.set('lo', { mtu: 20 })).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      field: 'mtu',
    });
    await expect(a.nl.link.set('lo', { mac: '01:00:00:00:00:00' })).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      field: 'mac',
    });
    expect(await a.nl.link.list()).toHaveLength(1);
  });

  // Kinds that not every kernel has: created when present, else one skip line naming the kind.
  const optional: Array<
    [string, (parent: string) => LinkAddSpec, (l: Awaited<ReturnType<TestNetns['nl']['link']['get']>>) => void]
  > = [
    [
      'dummy',
      () => ({ kind: 'dummy', name: 'dm0', mtu: 9000 }),
      (l) => expect(l).toMatchObject({ kind: 'dummy', mtu: 9000 }),
    ],
    [
      'vlan',
      (p) => ({ kind: 'vlan', name: 'vl0', parent: p, id: 42 }),
      (l) => expect(l.data).toMatchObject({ kind: 'vlan', id: 42, protocol: '802.1Q' }),
    ],
    [
      'ipvlan',
      (p) => ({ kind: 'ipvlan', name: 'iv0', parent: p, mode: 'l2' }),
      (l) => expect(l.data).toMatchObject({ kind: 'ipvlan', mode: 'l2' }),
    ],
    [
      'ipip',
      () => ({ kind: 'ipip', name: 'ipip1', local: '192.0.2.1', remote: '192.0.2.2', ttl: 64 }),
      (l) => expect(l.data).toMatchObject({ kind: 'ipip', remote: '192.0.2.2' }),
    ],
    [
      'gre',
      () => ({ kind: 'gre', name: 'gre1', local: '192.0.2.1', remote: '192.0.2.2', ikey: 7, okey: 7 }),
      (l) => expect(l.data).toMatchObject({ kind: 'gre', ikey: 7, okey: 7 }),
    ],
    [
      'vrf',
      () => ({ kind: 'vrf', name: 'vrf1', table: 100 }),
      (l) => expect(l.data).toEqual({ kind: 'vrf', table: 100 }),
    ],
  ];
  for (const [kind, spec, check] of optional) {
    it(`${kind} (when the kernel has it)`, async (ctx) => {
      await a.nl.link.add({ kind: 'veth', name: 'par0', peer: { name: 'par0p' } });
      const s = spec('par0');
      const skip = await unlessKindMissing(kind, async () => {
        await a.nl.link.add(s);
      });
      if (skip) {
        console.log(`skip ${kind}: ${skip}`);
        ctx.skip(skip);
        return;
      }
      check(await a.nl.link.get(s.name));
      await a.nl.link.delete(s.name);
    });
  }
});
