/**
 * Runs the README's example as written (its lines must appear here in the same order, checked below), so
 * that the example stays true, type-checks and works against the kernel.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Sysctl, diffSnapshots, openNetlink, restore, snapshot } from '@vectorplane/netlink';
import { createNetns } from '@vectorplane/netlink/testing';
import { kernelSkipReason } from '../../src/testing/index.js';

const reason = await kernelSkipReason();
if (reason) console.log(`skip README example: ${reason}`);

const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');

describe('README', () => {
  it('the example block is the code this file runs', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /## Example[\s\S]*?```ts\n([\s\S]*?)```/u.exec(readme)?.[1];
    expect(block).toBeDefined();
    const mine = lines(readFileSync(new URL(import.meta.url), 'utf8'));
    let at = 0;
    for (const l of lines(block ?? '')) {
      const found = mine.indexOf(l, at);
      expect(found, `README line not found here (in order): ${l}`).toBeGreaterThanOrEqual(0);
      at = found + 1;
    }
  });

  it.skipIf(reason !== undefined)('the example runs', async () => {
    const log: string[] = [];
    const console = { log: (s: string) => log.push(s) };
    // ---- README example (body) ----
    const ns = await createNetns('readme'); // a fresh namespace, removed in `finally`
    const nl = await openNetlink({ netns: ns.name });
    try {
      const sysctl = new Sysctl({ netns: ns.name });
      await sysctl.setDisableIpv6('default', true); // links made from now on: IPv4 only
      await sysctl.setIpForward(true);
      await nl.link.add({ kind: 'veth', name: 'uplink0', peer: { name: 'uplink1' }, mtu: 1400, up: true });
      await nl.address.add({ link: 'uplink0', address: '192.0.2.10/24' });
      await nl.route.add({ dst: 'default', gateway: '192.0.2.1' });

      const saved = await snapshot(nl, 'uplink0'); // plain JSON: store it anywhere
      await nl.link.set('uplink0', { mtu: 9000 });
      await nl.address.delete({ link: 'uplink0', address: '192.0.2.10/24' }); // takes the default route with it

      const report = await restore(nl, saved);
      const drift = diffSnapshots(saved, await snapshot(nl, 'uplink0'));
      console.log(`restored: ${report.ok}, ${report.applied.length} changes, ${drift.length} differences left`);
    } finally {
      nl.close();
      await ns.remove();
    }
    // ---- end of the README example ----
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/^restored: true, \d+ changes, 0 differences left$/u);
  });
});
