import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    shims: true,
  },
  {
    // The CNI plugin: one self-contained file (grpc-js and protobufjs inside) so a runtime's exec starts fast.
    entry: { 'bin/vectorplane-cni': 'src/bin/vectorplane-cni.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: false,
    clean: false,
    target: 'node20',
    platform: 'node',
    noExternal: [/.*/],
    splitting: false,
    minify: true,
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  },
  {
    // The same plugin as one CommonJS file (bin/vectorplane-cni.cjs): what an extensionless copy in
    // /opt/cni/bin is loaded as, and what a Node single executable application embeds (deploy/Dockerfile).
    entry: { 'bin/vectorplane-cni': 'src/bin/vectorplane-cni.ts' },
    format: ['cjs'],
    dts: false,
    sourcemap: false,
    clean: false,
    target: 'node20',
    platform: 'node',
    noExternal: [/.*/],
    splitting: false,
    minify: true,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
