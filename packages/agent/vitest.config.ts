import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@vectorplane/source'] },
  ssr: { resolve: { conditions: ['@vectorplane/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Interop files start fake VPPs and netns: one file at a time.
    fileParallelism: false,
  },
});
