import { defineConfig } from 'tsup';
import { binBundle } from './tsup.bin.config.js';

export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    shims: true,
  },
  binBundle,
]);
