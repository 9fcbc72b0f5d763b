import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@vectorplane/source'] },
  ssr: { resolve: { conditions: ['@vectorplane/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // test/interop starts kubectl and the bin as child processes: run files one at a time.
    fileParallelism: false,
  },
});
