// `npm run lab`: the project's set-up (node_modules, Debian packages, the netlink addon), the `vectorplane`
// bundle when it is missing or older than the sources (the agents start from it: one file, no TypeScript to
// compile in each of them), then the two-node lab from packages/agent/src/lab. See packages/agent/README.md.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { log, root, setup } from './setup.mjs';

setup();

function newestSource(dir, newest = 0) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = newestSource(p, newest);
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

const agent = join(root, 'packages', 'agent');
const bundle = join(agent, 'dist', 'bin', 'vectorplane.js');
const sources = Math.max(
  ...readdirSync(join(root, 'packages'))
    .map((p) => join(root, 'packages', p, 'src'))
    .filter((d) => existsSync(d))
    .map((d) => newestSource(d)),
);
if (!existsSync(bundle) || statSync(bundle).mtimeMs < sources) {
  log('building the vectorplane bundle (packages/agent: tsup)');
  const r = spawnSync('npx', ['tsup'], { cwd: agent, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) log('bundle build failed: the agents run from the sources instead (slower)');
}
const { runSource } = await import('./dev-bin.mjs');
await runSource(new URL('../packages/agent/src/lab/main.ts', import.meta.url));
