// `npm run bench`: every package's benchmarks; each writes JSON under packages/<name>/bench/results/.
import { spawnSync } from 'node:child_process';
import { log, root, setup } from './setup.mjs';

setup();
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const r = spawnSync('npx', ['nx', 'run-many', '-t', 'bench', '--parallel=1', '--outputStyle=static'], { stdio: 'inherit', cwd: root, env });
if (r.status !== 0) log('a benchmark failed');
process.exitCode = r.status ?? 1;
