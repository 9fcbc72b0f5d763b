import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@vectorplane/source'] },
  ssr: { resolve: { conditions: ['@vectorplane/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // interop files share netns, VPP fakes and the kernel: one at a time, in one worker that keeps its module
    // cache (each file would otherwise transform vpp-binapi and netlink again, most of the suite's time)
    fileParallelism: false,
    isolate: false,
  },
});
