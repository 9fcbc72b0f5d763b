/**
 * The README's example, type-checked by tsc (this file is in the package's tsconfig) and run against
 * two real gobgpd on loopback and the fake VPP. The code between the README:begin/end markers must
 * equal the README's example block (checked below).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connectVpp } from '@vectorplane/vpp-binapi';
import { startFakeVpp, type FakeVpp } from '@vectorplane/vpp-binapi/testing';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createGobgpSpeaker, createRouteProgrammer } from '../src/index.js';

async function example(): Promise<void> {
  // README:begin
  // two speakers on loopback addresses, BGP on port 10179 (each spawns and supervises its own gobgpd)
  const a = createGobgpSpeaker({
    global: { asn: 64512, routerId: '127.0.0.1', listenPort: 10179, listenAddresses: ['127.0.0.1'] },
  });
  const b = createGobgpSpeaker({
    global: { asn: 64512, routerId: '127.0.0.2', listenPort: 10179, listenAddresses: ['127.0.0.2'] },
  });
  await a.start();
  await b.start();
  try {
    await a.addPeer({ address: '127.0.0.2', asn: 64512, port: 10179, sourceAddress: '127.0.0.1', families: ['ipv4'] });
    await b.addPeer({ address: '127.0.0.1', asn: 64512, port: 10179, sourceAddress: '127.0.0.2', families: ['ipv4'] });
    await a.announce({ prefix: '10.244.1.0/26', nextHop: '192.0.2.1' }); // gobgpd drops 127/8 next hops

    // program what b learns into VPP: FLAT, a route via the next hop
    const vpp = await connectVpp(); // socket: $VPP_API_SOCKET or /run/vpp/api.sock
    try {
      const { sw_if_index } = await vpp.call('create_loopback', { mac_address: '02:00:00:00:00:02' });
      const programmer = createRouteProgrammer({ uplinkSwIfIndex: sw_if_index, sourceAddress4: '127.0.0.2' }, { vpp });
      for await (const ev of b.watch({ signal: AbortSignal.timeout(30_000) })) {
        const learned = ev.type === 'snapshot' || ev.type === 'paths' ? ev.paths : [];
        const path = learned.find((p) => !p.local && !p.withdrawn);
        if (!path) continue;
        await programmer.add({ prefix: path.prefix, nextHop: path.nextHop, provider: 'flat' });
        console.log(path.prefix, 'via', path.nextHop); // 10.244.1.0/26 via 192.0.2.1
        break;
      }
    } finally {
      await vpp.close();
    }
  } finally {
    await a.stop();
    await b.stop();
  }
  // README:end
}

const root = typeof process.getuid === 'function' && process.getuid() === 0;
const skip = !existsSync('/usr/bin/gobgpd') ? 'gobgpd is not installed' : undefined;
if (skip) console.log(`bgp README example: run skipped (${skip}); still type-checked`);
void root;

let fake: FakeVpp;
const saved = process.env['VPP_API_SOCKET'];
beforeAll(async () => {
  fake = await startFakeVpp();
  process.env['VPP_API_SOCKET'] = fake.socketPath;
});
afterAll(async () => {
  if (saved === undefined) delete process.env['VPP_API_SOCKET'];
  else process.env['VPP_API_SOCKET'] = saved;
  await fake.stop();
});

it.skipIf(!!skip)('bgp: the README example runs (two gobgpd on loopback, fake VPP)', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await example();
    expect(log.mock.calls).toEqual([['10.244.1.0/26', 'via', '192.0.2.1']]);
    expect(fake.state.snapshot().routes['ip4:0']?.['10.244.1.0/26']).toEqual(['via 192.0.2.1']);
  } finally {
    log.mockRestore();
  }
});

it('bgp: the README shows exactly this example', () => {
  // compared without whitespace and trailing commas: prettier wraps the README's block and this file at different widths
  const squash = (x: string): string => x.replace(/\s+/g, '').replace(/,(?=[}\])])/g, '');
  const self = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  const code = self.slice(self.indexOf('// README:begin') + '// README:begin'.length, self.indexOf('  // README:end'));
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const block = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  expect(squash(block)).toBe(
    squash(
      "import { connectVpp } from '@vectorplane/vpp-binapi';\nimport { createGobgpSpeaker, createRouteProgrammer } from '@vectorplane/bgp';\n" +
        code,
    ),
  );
});
