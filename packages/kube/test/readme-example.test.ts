/**
 * The README's example, type-checked by tsc and run against the test API server. The code between the
 * README:begin/end markers must equal the README's example block (checked below).
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it, vi } from 'vitest';
import { createApiServerSource } from '../src/index.js';
import { startTestApiServer, writeKubeconfig } from '../src/testing/index.js';

async function example(): Promise<void> {
  // README:begin
  const server = await startTestApiServer({
    objects: [
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'default' },
        spec: { clusterIP: '10.96.0.10', ports: [{ port: 80 }] },
      },
    ],
  });
  const kubeconfig = join(tmpdir(), `kube-example-${process.pid}.yaml`);
  await writeKubeconfig(kubeconfig, server.url); // or the path of a real cluster's kubeconfig

  const source = createApiServerSource({ kubeConfig: kubeconfig });
  const ac = new AbortController();
  for await (const ev of source.stream('Service', { signal: ac.signal, namespace: 'default' })) {
    if (ev.type === 'synced') {
      console.log('synced');
      server.put({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'bad', namespace: 'default' },
        spec: { ports: [{ port: 'x' }] },
      });
      server.remove('v1', 'Service', 'web');
    } else if (ev.type === 'error') {
      console.log(ev.error.name, ev.error.message); // the bad object is reported; the stream goes on
    } else {
      console.log(ev.type, ev.object.metadata.name, ev.object.spec?.clusterIP);
      if (ev.type === 'deleted') ac.abort(); // ends the loop
    }
  }
  await source.close();
  await server.close();
  // README:end
}

it('runs the README example against the test API server', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await example();
    expect(log.mock.calls).toEqual([
      ['added', 'web', '10.96.0.10'],
      ['synced'],
      [
        'KubeInvalidObjectError',
        'invalid Service default/bad (/api/v1/namespaces/default/services): spec.ports.0.port: Invalid input: expected number, received string',
      ],
      ['deleted', 'web', '10.96.0.10'],
    ]);
  } finally {
    log.mockRestore();
    rmSync(join(tmpdir(), `kube-example-${process.pid}.yaml`), { force: true });
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
    "import { tmpdir } from 'node:os';",
    "import { join } from 'node:path';",
    "import { createApiServerSource } from '@vectorplane/kube';",
    "import { startTestApiServer, writeKubeconfig } from '@vectorplane/kube/testing';",
    ...strip(code),
  ]);
});
