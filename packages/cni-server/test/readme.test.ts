import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PKG = fileURLToPath(new URL('..', import.meta.url));

describe('README', () => {
  it('shows test/readme-example.ts verbatim (that file is type-checked with the package: tsconfig includes test/)', () => {
    const readme = readFileSync(`${PKG}/README.md`, 'utf8');
    const example = readFileSync(`${PKG}/test/readme-example.ts`, 'utf8');
    const block = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(example);
  });
});
