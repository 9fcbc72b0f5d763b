import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    'codec/index': 'src/codec/support.ts',
    cli: 'src/cli.ts',
    'bin/vpp-binapi': 'src/bin/vpp-binapi.ts',
    'bin/vpp-fake': 'src/bin/vpp-fake.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  shims: true,
});
