// The README's example is test/readme-example.ts, word for word: type-checked with the package (tsc -p) and run here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';

const pkg = join(import.meta.dirname, '..');

it('the README shows test/readme-example.ts exactly', () => {
  const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
  const example = readFileSync(join(pkg, 'test', 'readme-example.ts'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBe(example);
});

it('the example runs: the node becomes ready with the components it prints, and stops', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    await import('./readme-example.js');
    expect(log).toHaveBeenCalledWith(['vpp-manager', 'kube', 'cni-server', 'services', 'policies']);
  } finally {
    log.mockRestore();
  }
}, 60_000);
