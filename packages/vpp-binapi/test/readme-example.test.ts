/**
 * The README's example, type-checked by tsc and run against the fake VPP. The code between the
 * README:begin/end markers must equal the README's example block (checked below).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { connectVpp, type VppApiError } from '../src/index.js';
import { startFakeVpp, type FakeVpp } from '../src/testing/index.js';

async function example(): Promise<void> {
  // README:begin
  const vpp = await connectVpp({ reconnect: true }); // socket: $VPP_API_SOCKET or /run/vpp/api.sock
  try {
    const { sw_if_index } = await vpp.call('create_loopback', { mac_address: '02:00:00:00:00:01' });
    await vpp.call('sw_interface_add_del_address', { sw_if_index, is_add: true, prefix: '10.10.0.1/24' });
    await vpp.call('sw_interface_set_flags', { sw_if_index, flags: 1 }); // admin up

    for await (const itf of vpp.dump('sw_interface_dump', { sw_if_index: 0xffffffff })) {
      console.log(itf.sw_if_index, itf.interface_name, itf.l2_address);
    }

    try {
      await vpp.call('delete_loopback', { sw_if_index: 9999 });
    } catch (err) {
      if ((err as Error).name !== 'VppApiError') throw err;
      console.log((err as VppApiError).errorName); // VNET_API_ERROR_INVALID_SW_IF_INDEX
    }
  } finally {
    await vpp.close();
  }
  // README:end
}

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

it('runs the README example against the fake VPP', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await example();
    expect(log.mock.calls).toEqual([
      [0, 'local0', '00:00:00:00:00:00'],
      [1, 'loop0', '02:00:00:00:00:01'],
      ['VNET_API_ERROR_INVALID_SW_IF_INDEX'],
    ]);
  } finally {
    log.mockRestore();
  }
});

it('the README shows exactly this example', () => {
  const strip = (s: string): string[] =>
    s
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  const self = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  const code = self.slice(self.indexOf('// README:begin') + '// README:begin'.length, self.indexOf('  // README:end'));
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const block = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  expect(strip(block)).toEqual([
    "import { connectVpp, type VppApiError } from '@vectorplane/vpp-binapi';",
    ...strip(code),
  ]);
});
