/**
 * Runs the README's example as written (its lines must appear here in the same order, checked below), so
 * that it stays true, type-checks and works against the kernel and the fake VPP started as VPP.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { vppFakeCommand } from '@vectorplane/vpp-binapi/testing';
import { describe, expect, it } from 'vitest';
import { createVppManager, type StatusRecord } from '../../src/index.js';
import { createUplinkTopology, pingUntil } from '../../src/testing/index.js';
import { root } from './helpers.js';

const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('import '));

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

  it.skipIf(!root)('the example runs', async () => {
    const log: unknown[][] = [];
    const console = { log: (...a: unknown[]) => log.push(a) };
    try {
      // ---- README example (body) ----
      const topo = await createUplinkTopology('vpm-readme'); // node ⟷ switch; eth0 is the node's uplink
      const fake = vppFakeCommand(); // the fake VPP, started as VPP; in production: bin: '/usr/bin/vpp'
      const manager = createVppManager({
        config: {
          netns: topo.nodeNs.name,
          uplink: { interfaceName: 'eth0', driver: 'af_packet' },
          vpp: { bin: fake.command, args: fake.args, netns: 'vpm-readme-vpp', runtimeDir: '/tmp/vpm-readme-vpp' },
          podCidrs: ['10.244.0.0/16'],
          servicePrefixes: ['10.96.0.0/12'],
          stateFile: '/tmp/vpm-readme-vpp/state.json',
          statusFile: '/tmp/vpm-readme-vpp/status.json',
        },
      });
      try {
        manager.addEventListener('status', (ev) => console.log((ev as CustomEvent<StatusRecord>).detail.status));
        const ready = await manager.start(); // VPP holds eth0; Linux has an eth0 twin
        console.log(ready.driver, ready.hostMode);
        await manager.stop(); // SIGINT to VPP, then eth0 comes back exactly as it was
        console.log(await pingUntil(topo.switchNs.name, topo.nodeIp4));
      } finally {
        await topo.remove();
      }
      // ---- end ----
      expect(log).toEqual([['starting'], ['ready'], ['af_packet', 'veth'], ['restoring'], ['restored'], [true]]);
    } finally {
      await rm('/tmp/vpm-readme-vpp', { recursive: true, force: true });
    }
  });
});
