// Every bin a package declares is linked in node_modules/.bin by a plain `npm install` of a fresh clone, points
// at that package's committed shim, and answers `--help` with exit 0 (from source when nothing is built).
// npm links a bin only if its target exists at install time and takes the target from package-lock.json, so a
// bin that points into dist/, or a lockfile not refreshed after a bin changed, fails here.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './setup.mjs';

const problems = [];
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
let checked = 0;
for (const dir of readdirSync(join(root, 'packages'))) {
  const file = join(root, 'packages', dir, 'package.json');
  if (!existsSync(file)) continue;
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  for (const [name, target] of Object.entries(pkg.bin ?? {})) {
    checked++;
    const where = `${pkg.name} bin '${name}'`;
    const abs = join(root, 'packages', dir, target);
    if (!existsSync(abs))
      problems.push(`${where}: target ${target} does not exist in the repository (npm will not link it)`);
    const locked = lock.packages?.[`packages/${dir}`]?.bin?.[name];
    if (locked === undefined || join(root, 'packages', dir, locked) !== abs) {
      problems.push(`${where}: package-lock.json says ${locked ?? 'nothing'}; run npm install and commit the lockfile`);
    }
    const link = join(root, 'node_modules', '.bin', name);
    if (!existsSync(link)) {
      problems.push(`${where}: not linked in node_modules/.bin`);
      continue;
    }
    if (realpathSync(link) !== realpathSync(abs)) problems.push(`${where}: node_modules/.bin/${name} points elsewhere`);
    const r = spawnSync(link, ['--help'], { encoding: 'utf8', timeout: 30_000, cwd: '/' });
    if (r.status !== 0)
      problems.push(`${where}: '${name} --help' exited ${r.status ?? r.signal}: ${(r.stderr ?? '').slice(0, 300)}`);
  }
}
for (const p of problems) process.stderr.write(`bins: ${p}\n`);
if (problems.length) process.exitCode = 1;
else process.stdout.write(`bins: ${checked} workspace bins linked and answering --help\n`);
