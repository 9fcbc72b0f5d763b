import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@vectorplane/source'] },
  ssr: { resolve: { conditions: ['@vectorplane/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // interop files start real daemons in network namespaces; they run one at a time
    fileParallelism: false,
  },
});
