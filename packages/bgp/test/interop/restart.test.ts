import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/until.js';
import { fibOf, interopSkipReason, Lab, nodeObject, type TestNode } from './env.js';

const skip = interopSkipReason();
if (skip) console.log(`bgp interop restart: skipped (${skip})`);

describe.skipIf(!!skip)('bgp interop: gobgpd killed → restarted → everything back', () => {
  const lab = new Lab();
  let a: TestNode;
  let b: TestNode;

  beforeAll(async () => {
    const nsA = await lab.addNetns();
    const nsB = await lab.addNetns();
    await lab.link(nsA, ['10.99.5.1/24'], nsB, ['10.99.5.2/24']);
    lab.source.apply(nodeObject('ra', '10.99.5.1', undefined));
    lab.source.apply(nodeObject('rb', '10.99.5.2', undefined));
    a = await lab.node('ra', nsA, '10.99.5.1', '', { ipamBlocks: ['10.244.51.0/26'] });
    b = await lab.node('rb', nsB, '10.99.5.2', '', { ipamBlocks: ['10.244.52.0/26'] });
    await Promise.all([a.controller.start(), b.controller.start()]);
    await until('routes exchanged', () => fibOf(a.fake)['10.244.52.0/26'] && fibOf(b.fake)['10.244.51.0/26']);
  });
  afterAll(async () => {
    await lab.cleanup();
  });

  it('bgp: after SIGKILL the speaker restarts gobgpd, re-applies peer and announcements, and routes stay/come back without duplicates', async () => {
    const downs: unknown[] = [];
    const ups: unknown[] = [];
    a.controller.speaker!.addEventListener('speaker:down', (e) => downs.push((e as CustomEvent).detail));
    a.controller.speaker!.addEventListener('speaker:up', (e) => ups.push((e as CustomEvent).detail));
    const [pid] = await a.netns.pids();
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    await until('speaker down reported', () => downs.length === 1);
    await until('speaker up again', () => ups.length === 1);
    expect(ups[0]).toEqual({ restarted: true });
    const newPid = (await a.netns.pids())[0];
    expect(newPid).not.toBe(pid);
    await until('session re-established', async () =>
      (await a.controller.speaker!.peers()).some((p) => p.state === 'ESTABLISHED'),
    );
    await until('rb learned ra block again', async () =>
      (await b.controller.speaker!.bestPaths('ipv4')).some((p) => p.prefix === '10.244.51.0/26' && !p.local),
    );
    await until('ra learned rb block again', async () =>
      (await a.controller.speaker!.bestPaths('ipv4')).some((p) => p.prefix === '10.244.52.0/26' && !p.local),
    );
    await a.controller.idle();
    expect(fibOf(a.fake)['10.244.52.0/26']).toEqual(['via 10.99.5.2']);
    expect(fibOf(b.fake)['10.244.51.0/26']).toEqual(['via 10.99.5.1']);
    // announcements were re-applied once each: one local path per prefix
    expect((await a.controller.speaker!.bestPaths('ipv4')).filter((p) => p.local).map((p) => p.prefix)).toEqual([
      '10.244.51.0/26',
    ]);
  });
});
