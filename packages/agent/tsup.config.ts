import { defineConfig } from 'tsup';

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
  {
    // The `vectorplane` binary: one self-contained file (every @vectorplane package, grpc-js, protobufjs, zod,
    // pino, prom-client inside). The netlink addon is copied next to it by scripts/bundle-addon.mjs, where
    // @vectorplane/netlink looks for it (../build/Release relative to the bundle). The fake VPP (testing only) is
    // left out: with VPP_BIN unset the agent imports it from node_modules.
    entry: { 'bin/vectorplane': 'src/bin/vectorplane.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: false,
    clean: false,
    target: 'node20',
    platform: 'node',
    noExternal: [/.*/],
    external: ['@vectorplane/vpp-binapi/testing'],
    splitting: false,
    minify: true,
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    // bundle the other packages from their sources: no need to build them first
    esbuildOptions(options) {
      options.conditions = ['@vectorplane/source', 'import', 'node', 'default'];
      options.external = [...(options.external ?? []), '@vectorplane/vpp-binapi/testing'];
    },
    onSuccess: 'node scripts/bundle-addon.mjs',
  },
]);
