/**
 * `npm run bench -w @vectorplane/vpp-binapi`: every benchmark of this package, each in its own process
 * so one does not warm or load the other. Results: bench/results/*.json.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
let failed = 0;
for (const bench of ['codec.ts', 'roundtrip.ts', 'fake-msgs.ts']) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, bench)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
