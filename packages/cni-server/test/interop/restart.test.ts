import { afterEach, describe, expect, it } from 'vitest';
import { openNetlink } from '@vectorplane/netlink';
import { create_fib_path } from '@vectorplane/vpp-binapi';
import { cniVppObjects, hostRoutes } from '../../src/testing/index.js';
import { createCniServer, type PodEvent } from '../../src/index.js';
import { addReq, collectUntil, skipReason, startBed, type Bed } from './helpers.js';

const skip = await skipReason();
if (skip) console.log(`skip: ${skip}`);

async function hasEth0(path: string): Promise<number | undefined> {
  const nl = await openNetlink({ netns: { path } });
  try {
    return (await nl.link.find('eth0'))?.index;
  } finally {
    nl.close();
  }
}

/** Everything the server owns in VPP and the kernel matches its pod list exactly. */
async function expectConsistent(bed: Bed): Promise<void> {
  const pods = bed.server.pods();
  const objs = await cniVppObjects(bed.vpp);
  const expected = pods.flatMap((p) => [p.swIfIndex, p.loopbackSwIfIndex]).sort((a, b) => a - b);
  expect(objs.interfaces.map((i) => i.sw_if_index).sort((a, b) => a - b)).toEqual(expected);
  expect(objs.tables.map((t) => t.table_id).sort()).toEqual(pods.flatMap((p) => Object.values(p.vrfs)).sort());
  const veths = (await bed.vppNs.nl.link.list({ kind: 'veth' }))
    .map((l) => l.name)
    .filter((n) => n.startsWith('vpcni'));
  expect(veths.sort()).toEqual(pods.map((p) => p.hostInterfaceName).sort());
  for (const p of pods) expect(await hasEth0(p.netns)).toBeDefined();
}

describe.skipIf(!!skip)('state file and restarts', () => {
  let bed: Bed | undefined;
  afterEach(async () => {
    for (const p of bed?.server.pods() ?? [])
      await bed!.server.del({ netns: p.netns, interface_name: p.interfaceName });
    await bed?.close();
    bed = undefined;
  });

  it('a restart keeps intact pods untouched, removes pods whose netns is gone and VPP orphans', async () => {
    bed = await startBed({ server: { socket: false } });
    await bed.server.start();
    const nss = await Promise.all([1, 2, 3].map(() => bed!.pod()));
    for (const [i, ns] of nss.entries())
      expect((await bed.server.add(addReq(ns, `10.30.0.${i + 1}`))).successful).toBe(true);
    const before = new Map(bed.server.pods().map((p) => [p.netns, p]));
    const ifindex = await hasEth0(nss[0]!.path);
    await bed.server.stop();

    // while the server is down: a pod's netns goes away, and someone leaves a tagged orphan in VPP
    await nss[2]!.remove();
    const { sw_if_index: orphan } = await bed.vpp.call('create_loopback', {});
    await bed.vpp.call('sw_interface_tag_add_del', { is_add: true, sw_if_index: orphan, tag: 'vpcni:0123456789ab:lo' });
    // …and an untagged af_packet of ours (a crash right after af_packet_create_v3) with a pod route through it
    const { sw_if_index: afp } = await bed.vpp.call('af_packet_create_v3', { host_if_name: 'vpcnideadbeef0', mode: 1 });
    await bed.vpp.call('ip_route_add_del', {
      is_add: true,
      route: {
        table_id: 0,
        stats_index: 0,
        prefix: '10.99.0.1/32',
        paths: [
          { ...create_fib_path(), sw_if_index: afp, nh: { ...create_fib_path().nh, address: { ip4: '10.99.0.1' } } },
        ],
      },
    });

    bed.server = bed.newServer();
    const events = collectUntil(bed.server.events(), 3, 3000);
    const report = await bed.server.start();
    expect(report.kept.sort()).toEqual([before.get(nss[0]!.path)!.key, before.get(nss[1]!.path)!.key].sort());
    expect(report.removed).toEqual([before.get(nss[2]!.path)!.key]);
    expect(report.orphansRemoved).toContain('0123456789ab');
    expect(report.rebuilt).toEqual([]);
    // no flap: same VPP interface, same kernel interface
    const after = bed.server.pods().find((p) => p.netns === nss[0]!.path)!;
    expect(after.swIfIndex).toBe(before.get(nss[0]!.path)!.swIfIndex);
    expect(await hasEth0(nss[0]!.path)).toBe(ifindex);
    await expectConsistent(bed);
    expect((await hostRoutes(bed.vpp)).sort()).toEqual(['10.30.0.1/32', '10.30.0.2/32']);
    const afps: string[] = [];
    for await (const a of bed.vpp.dump('af_packet_dump', {})) afps.push(a.host_if_name);
    expect(afps).not.toContain('vpcnideadbeef0');
    const evs = (await events) as PodEvent[];
    expect(evs.map((e) => `${e.type}:${e.reason}`).sort()).toEqual([
      'podAdded:restored',
      'podAdded:restored',
      'podDeleted:orphaned',
    ]);
  });

  it('a broken pod (its VPP interface deleted behind our back) is rebuilt from the state file', async () => {
    bed = await startBed({ server: { socket: false } });
    await bed.server.start();
    const ns = await bed.pod();
    await bed.server.add(addReq(ns, '10.30.1.1'));
    const pod = bed.server.pods()[0]!;
    await bed.server.stop();
    await bed.vpp.call('af_packet_delete', { host_if_name: pod.hostInterfaceName });
    bed.server = bed.newServer();
    const report = await bed.server.start();
    expect(report.rebuilt).toEqual([pod.key]);
    await expectConsistent(bed);
  });

  it('a crash in the middle of Adds: the next start keeps what was acknowledged and removes the rest', async () => {
    bed = await startBed({ server: { socket: false } });
    // VPP as the crashing server sees it: the first 5 af_packet_create_v3 pass, the others wait at the gate
    let passed = 0;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const call = (async (name: string, fields?: object, opts?: object) => {
      if (name === 'af_packet_create_v3' && ++passed > 5) await gate;
      return (bed!.vpp.call as (n: string, f?: object, o?: object) => Promise<unknown>)(name, fields, opts);
    }) as typeof bed.vpp.call;
    const crashing = createCniServer(
      { stateFile: bed.stateFile, socket: false, vppNetns: bed.vppNs.name, interfaceMode: 'veth' },
      { vpp: { call, dump: bed.vpp.dump.bind(bed.vpp) } },
    );
    await crashing.start();
    const nss = await Promise.all(Array.from({ length: 12 }, () => bed!.pod()));
    const five = collectUntil(crashing.events(), 5, 20_000);
    const adds = nss.map((ns, i) => crashing.add(addReq(ns, `10.30.2.${i + 1}`)));
    await five;
    await crashing.crash(); // 5 acknowledged, 7 half-made (VRFs, loopback, veth; af_packet about to be created)
    open();
    const replies = await Promise.all(adds);
    const acked = new Set(nss.filter((_, i) => replies[i]!.successful).map((n) => n.path));
    expect(acked.size).toBe(5);
    expect((await cniVppObjects(bed.vpp)).interfaces.length).toBeGreaterThan(10); // half-made pods left behind

    const report = await bed.server.start();
    const held = new Set(bed.server.pods().map((p) => p.netns));
    expect(held).toEqual(acked); // nothing acknowledged is lost, nothing unacknowledged is kept
    expect(report.orphansRemoved.length).toBeGreaterThan(0);
    await expectConsistent(bed); // nothing half-made is left, in VPP or in VPP's netns
    const afp: string[] = [];
    for await (const a of bed.vpp.dump('af_packet_dump', {})) afp.push(a.host_if_name);
    expect(afp.sort()).toEqual(
      bed.server
        .pods()
        .map((p) => p.hostInterfaceName)
        .sort(),
    ); // untagged af_packets too
    for (const ns of nss) if (!held.has(ns.path)) expect(await hasEth0(ns.path)).toBeUndefined();
    // the rest can be added now
    for (const [i, ns] of nss.entries())
      if (!held.has(ns.path)) expect((await bed.server.add(addReq(ns, `10.30.2.${i + 1}`))).error_message).toBe('');
    await expectConsistent(bed);
    expect(bed.server.pods()).toHaveLength(12);
  });

  it('after a VPP restart the client reconnects and every pod is replayed', async () => {
    bed = await startBed({ server: { socket: false } });
    if (!bed.fake) return;
    await bed.server.start();
    const nss = await Promise.all([1, 2].map(() => bed!.pod()));
    for (const [i, ns] of nss.entries()) await bed.server.add(addReq(ns, `10.30.3.${i + 1}`));
    const events = collectUntil(bed.server.events(), 2, 10_000);
    await bed.fake.restart();
    const evs = (await events) as PodEvent[];
    expect(evs.map((e) => `${e.type}:${e.reason}`)).toEqual(['podAdded:replayed', 'podAdded:replayed']);
    await expectConsistent(bed);
    for (const ns of nss) expect(await hasEth0(ns.path)).toBeDefined();
    // and the replayed pods delete cleanly
    for (const ns of nss) await bed.server.del({ netns: ns.path, interface_name: 'eth0' });
    expect(await cniVppObjects(bed.vpp)).toEqual({ interfaces: [], tables: [] });
  });

  it('refuses a state file of another version, naming the file', async () => {
    bed = await startBed({ server: { socket: false } });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bed.stateFile, JSON.stringify({ version: 99, pods: [] }));
    await expect(bed.server.start()).rejects.toMatchObject({
      name: 'StateFileError',
      code: 'STATE_FILE_INVALID',
      path: bed.stateFile,
    });
  });
});
