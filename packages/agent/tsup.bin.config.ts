import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import { defineConfig, type Options } from 'tsup';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * What the `vectorplane` bundle leaves out or replaces, each unreachable from the agent's code paths (see
 * bundle/*.cjs and test/interop/bundle-kube.test.ts, which runs the bundle against the test API server):
 * - whatwg-url (+ tr46): node-fetch v2 takes Node's own URL first (`Url.URL || whatwgUrl.URL`);
 * - zod's locales other than `en`: only `z.config(z.locales.xx())` reaches them, and nothing calls it;
 * - tar-fs and isomorphic-ws (ws): only client-node's cp, exec, attach and port-forward use them.
 */
export const bundleOmissions: Plugin = {
  name: 'vectorplane-bundle-omissions',
  setup(build) {
    build.onResolve({ filter: /^whatwg-url$/ }, () => ({ path: join(here, 'bundle', 'whatwg-url.cjs') }));
    build.onResolve({ filter: /^(tar-fs|isomorphic-ws)$/ }, () => ({ path: join(here, 'bundle', 'unused.cjs') }));
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-locales-en' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales-en' }, (args) => ({
      contents: "export { default as en } from './en.js';\n",
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/** The `vectorplane` bundle alone (`tsup --config tsup.bin.config.ts`, as the tests build it). */
export const binBundle: Options = {
  // The `vectorplane` binary: one self-contained file (every @vectorplane package, grpc-js, protobufjs, zod,
  // pino, prom-client inside). The netlink addon is copied next to it by scripts/bundle-addon.mjs, where
  // @vectorplane/netlink looks for it (../build/Release relative to the bundle). The fake VPP (testing only) is
  // left out: with VPP_BIN unset the agent imports it from node_modules. dist/metafile-esm.json records what
  // each input contributes; scripts/check-bundle.mjs holds it to the size budget.
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
  metafile: true,
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  esbuildPlugins: [bundleOmissions],
  // bundle the other packages from their sources: no need to build them first
  esbuildOptions(options) {
    options.conditions = ['@vectorplane/source', 'import', 'node', 'default'];
    options.external = [...(options.external ?? []), '@vectorplane/vpp-binapi/testing'];
  },
  onSuccess: 'node scripts/bundle-addon.mjs && node scripts/check-bundle.mjs --report',
};

export default defineConfig(binBundle);
