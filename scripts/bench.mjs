// `npm run bench`: every package's benchmarks; each writes JSON under packages/<name>/bench/results/.
import { spawnSync } from 'node:child_process';
import { NX_ENV, log, root, setup } from './setup.mjs';

setup();
const r = spawnSync('npx', ['nx', 'run-many', '-t', 'bench', '--parallel=1', '--outputStyle=static'], {
  stdio: 'inherit',
  cwd: root,
  // Benches read the packages' sources (as tests do), never a stale dist/.
  env: { ...NX_ENV, NODE_OPTIONS: `${NX_ENV.NODE_OPTIONS ?? ''} --conditions=@vectorplane/source`.trim() },
});
if (r.status !== 0) log('a benchmark failed');
process.exitCode = r.status ?? 1;
