import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@vectorplane/source'] },
  ssr: { resolve: { conditions: ['@vectorplane/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // interop files share the kernel and start processes: one at a time
    fileParallelism: false,
    // one module graph for every file: the generated VPP bindings are transformed once, not per file
    isolate: false,
  },
});
