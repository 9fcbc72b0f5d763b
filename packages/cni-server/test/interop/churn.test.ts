import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cniVppObjects, hostRoutes } from '../../src/testing/index.js';
import { StateStore } from '../../src/index.js';
import { addReq, skipReason, startBed, type Bed } from './helpers.js';

const skip = await skipReason();
if (skip) console.log(`skip: ${skip}`);
const CYCLES = Number(process.env['CNI_CHURN_CYCLES'] ?? 100);

describe.skipIf(!!skip)('Add/Del churn leaks nothing', () => {
  let bed: Bed;
  beforeAll(async () => {
    bed = await startBed({ server: { socket: false } });
    await bed.server.start();
  });
  afterAll(async () => bed?.close());

  it(`${CYCLES} cycles over 10 pod netns: VPP objects, kernel links, fds and state entries back to the start`, async () => {
    const nss = await Promise.all(Array.from({ length: 10 }, () => bed.pod()));
    // warm up once so lazily opened handles are not counted as leaks
    await bed.server.add(addReq(nss[0]!, '10.80.0.1'));
    await bed.server.del({ netns: nss[0]!.path, interface_name: 'eth0' });
    await vi.waitFor(async () => expect(await nss[0]!.nl.link.find('eth0')).toBeUndefined(), { timeout: 5000 });
    const fds = readdirSync('/proc/self/fd').length;
    const vppBefore = await cniVppObjects(bed.vpp);
    const routesBefore = await hostRoutes(bed.vpp);
    const linksBefore = (await bed.vppNs.nl.link.list()).length;
    for (let c = 0; c < CYCLES; c += nss.length) {
      const replies = await Promise.all(
        nss.map((ns, i) => bed.server.add(addReq(ns, `10.80.${1 + (c % 200)}.${i + 1}`))),
      );
      expect(replies.every((r) => r.successful)).toBe(true);
      await Promise.all(nss.map((ns) => bed.server.del({ netns: ns.path, interface_name: 'eth0' })));
    }
    expect(await cniVppObjects(bed.vpp)).toEqual(vppBefore);
    expect(await hostRoutes(bed.vpp)).toEqual(routesBefore);
    // Dels reply before the kernel has freed the last veths (grace periods); they go within moments
    await vi.waitFor(async () => expect((await bed.vppNs.nl.link.list()).length).toBe(linksBefore), { timeout: 5000 });
    for (const ns of nss) expect(await ns.nl.link.find('eth0')).toBeUndefined();
    expect(await new StateStore(bed.stateFile).load()).toEqual([]);
    expect(bed.server.pods()).toEqual([]);
    expect(readdirSync('/proc/self/fd').length).toBeLessThanOrEqual(fds + 2);
    const tr: unknown[] = [];
    for await (const t of bed.vpp.dump('cnat_translation_dump', {})) tr.push(t);
    expect(tr).toEqual([]);
  }, 120_000);
});
