import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cniVppObjects, hostRoutes } from '../../src/testing/index.js';
import { podId, StateStore, type CniServer, type PodEvent, type PodInfo } from '../../src/index.js';
import { addReq, collectUntil, skipReason, startBed, type Bed } from './helpers.js';

const skip = await skipReason();
if (skip) console.log(`skip: ${skip}`);
const targets: ('fake' | 'real')[] = process.env['VPP_API_SOCKET'] ? ['fake', 'real'] : ['fake'];

async function afPacketHosts(bed: Bed): Promise<string[]> {
  const out: string[] = [];
  for await (const d of bed.vpp.dump('af_packet_dump', {})) out.push(d.host_if_name);
  return out;
}

describe.skipIf(!!skip).each(targets)('pods whose netns is gone, against the %s VPP', (target) => {
  let bed: Bed;
  let server: CniServer;
  beforeAll(async () => {
    bed = await startBed({ real: target === 'real', server: { socket: false, netnsSweepIntervalMs: 0 } });
    server = bed.server;
    await server.start();
  });
  afterAll(async () => {
    for (const p of server?.pods() ?? []) await server.del({ netns: p.netns, interface_name: p.interfaceName });
    await server?.stop();
    await bed?.close();
  });

  /** What VPP holds of a pod: its tagged interfaces and tables, its af_packet, its route in the main VRF. */
  async function inVpp(pod: PodInfo) {
    const id = podId(pod.key);
    const objs = await cniVppObjects(bed.vpp);
    return {
      interfaces: objs.interfaces.filter((i) => i.tag.startsWith(`vpcni:${id}`)).map((i) => i.sw_if_index),
      tables: objs.tables.filter((t) => t.name.startsWith(`vpcni:${id}:`)).length,
      afPacket: (await afPacketHosts(bed)).includes(pod.hostInterfaceName),
      route: (await hostRoutes(bed.vpp)).includes(`${pod.ips[0]}/32`),
    };
  }

  it("sweep() removes a pod whose netns was deleted behind the server's back, and only that pod", async () => {
    const a = await bed.pod();
    const b = await bed.pod();
    expect((await server.add(addReq(a, '10.61.0.1/32'))).successful).toBe(true);
    expect((await server.add(addReq(b, '10.61.0.2/32'))).successful).toBe(true);
    const pa = server.pods().find((p) => p.netns === a.path)!;
    const pb = server.pods().find((p) => p.netns === b.path)!;
    const bBefore = await inVpp(pb);
    expect(await inVpp(pa)).toEqual({
      interfaces: [pa.swIfIndex, pa.loopbackSwIfIndex].sort((x, y) => x - y),
      tables: 3,
      afPacket: true,
      route: true,
    });

    // the runtime removes the netns without a Del (ip netns del: unmount + unlink)
    await a.remove();
    expect(existsSync(a.path)).toBe(false);
    // netnsSweepIntervalMs 0: nothing sweeps on its own
    await new Promise((r) => setTimeout(r, 250));
    expect(server.pods().map((p) => p.key)).toContain(pa.key);

    const events = collectUntil<PodEvent>(server.events(), 1, 3000);
    const report = await server.sweep();
    expect(report).toEqual({ removed: [pa.key], failed: [] });
    expect(await events).toEqual([
      expect.objectContaining({
        type: 'podDeleted',
        reason: 'orphaned',
        pod: expect.objectContaining({ key: pa.key }),
      }),
    ]);
    // VPP: nothing of A is left; B is exactly as it was
    expect(await inVpp(pa)).toEqual({ interfaces: [], tables: 0, afPacket: false, route: false });
    expect(await inVpp(pb)).toEqual(bBefore);
    expect(bBefore).toMatchObject({ afPacket: true, route: true, tables: 3 });
    // state: only B, in memory and on disk
    expect(server.pods().map((p) => p.key)).toEqual([pb.key]);
    expect((await new StateStore(bed.stateFile).load()).map((p) => p.key)).toEqual([pb.key]);
    // the veth host end went with its netns (the kernel frees a deleted netns' devices a moment later); B's stays
    for (let waited = 0; waited < 5000 && (await bed.hostNl.link.find(pa.hostInterfaceName)); waited += 50)
      await new Promise((r) => setTimeout(r, 50));
    expect(await bed.hostNl.link.find(pa.hostInterfaceName)).toBeUndefined();
    expect(await bed.hostNl.link.find(pb.hostInterfaceName)).toBeDefined();
    // B still answers as held (same reply, nothing made), and a second sweep finds nothing
    const again = await server.add(addReq(b, '10.61.0.2/32'));
    expect(again).toMatchObject({ successful: true, host_interface_name: pb.hostInterfaceName });
    expect(await server.sweep()).toEqual({ removed: [], failed: [] });
  });

  it('runs by itself every netnsSweepIntervalMs', async () => {
    await server.stop();
    server = bed.newServer({ netnsSweepIntervalMs: 100 });
    const start = await server.start();
    expect(start.removed).toEqual([]);
    const c = await bed.pod();
    expect((await server.add(addReq(c, '10.61.0.3/32'))).successful).toBe(true);
    const pc = server.pods().find((p) => p.netns === c.path)!;
    const events = collectUntil<PodEvent>(server.events(), 1, 3000);
    await c.remove();
    expect(await events).toEqual([
      expect.objectContaining({
        type: 'podDeleted',
        reason: 'orphaned',
        pod: expect.objectContaining({ key: pc.key }),
      }),
    ]);
    expect(server.pods().map((p) => p.key)).not.toContain(pc.key);
    expect(await inVpp(pc)).toEqual({ interfaces: [], tables: 0, afPacket: false, route: false });
    expect(server.pods()).toHaveLength(1); // B
  });

  it('a netns deleted while the server was down is removed by start()', async () => {
    const d = await bed.pod();
    expect((await server.add(addReq(d, '10.61.0.4/32'))).successful).toBe(true);
    const pd = server.pods().find((p) => p.netns === d.path)!;
    await server.stop();
    await d.remove();
    server = bed.newServer({ netnsSweepIntervalMs: 0 });
    const events = collectUntil<PodEvent>(server.events(), 2, 3000);
    const report = await server.start();
    expect(report.removed).toEqual([pd.key]);
    expect(report.kept).toHaveLength(1);
    const evs = await events;
    expect(evs).toContainEqual(
      expect.objectContaining({
        type: 'podDeleted',
        reason: 'orphaned',
        pod: expect.objectContaining({ key: pd.key }),
      }),
    );
    expect(await inVpp(pd)).toEqual({ interfaces: [], tables: 0, afPacket: false, route: false });
    expect((await new StateStore(bed.stateFile).load()).map((p) => p.key)).not.toContain(pd.key);
  });
});
