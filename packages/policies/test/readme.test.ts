import { readFile } from 'node:fs/promises';
import { connectVpp } from '@vectorplane/vpp-binapi';
import { startFakeVpp } from '@vectorplane/vpp-binapi/testing';
import { expect, test } from 'vitest';
import { example } from '../examples/basic.js';
import { AclView } from './helpers/verdict.js';
import { tcp } from './helpers/env.js';

test('pol README example: the code in the README is examples/basic.ts, and it works', async () => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const code = await readFile(new URL('../examples/basic.ts', import.meta.url), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBe(code.split('\n').slice(1).join('\n'));
  const fake = await startFakeVpp();
  const vpp = await connectVpp({ socket: fake.socketPath });
  try {
    const { sw_if_index } = await vpp.call('create_loopback', {});
    const r = await example(fake.socketPath, sw_if_index);
    expect(r.errors).toEqual([]);
    const view = await new AclView(vpp).load();
    expect(view.hop(sw_if_index, 'output', tcp('10.0.0.3', '10.0.0.2', 80))).toBe(true);
    expect(view.hop(sw_if_index, 'output', tcp('10.0.0.4', '10.0.0.2', 80))).toBe(false);
  } finally {
    await vpp.close();
    await fake.stop();
  }
});
