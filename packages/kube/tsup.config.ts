import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    apiserver: 'src/apiserver.ts',
    'testing/index': 'src/testing/index.ts',
    'bin/kube-test-apiserver': 'src/bin/kube-test-apiserver.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  shims: true,
});
