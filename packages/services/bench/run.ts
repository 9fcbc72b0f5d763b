/**
 * `npm run bench -w @vectorplane/services`: every benchmark of this package, each in its own process
 * (with --expose-gc for heap figures). Results: bench/results/*.json.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
let failed = 0;
for (const bench of ['sync.ts']) {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(here, bench)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
