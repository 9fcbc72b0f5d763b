// `npm test`: set-up, then every check and every test of every package, then one closing line
// "N passed, N failed, N skipped" summed over the packages' vitest JSON reports.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { NX_ENV, isRoot, log, root, setup } from './setup.mjs';

setup();

const env = { ...NX_ENV, FORCE_COLOR: '0' };
// As root on Linux the kernel tests must run: a probe failure (addon not built, netns refused) fails them
// instead of passing as skipped. Elsewhere they skip with one line saying why.
if (process.platform === 'linux' && isRoot()) env.VECTORPLANE_REQUIRE_KERNEL ??= '1';
const packages = readdirSync(join(root, 'packages')).filter((p) =>
  existsSync(join(root, 'packages', p, 'package.json')),
);
for (const p of packages) rmSync(join(root, 'packages', p, 'test-results'), { recursive: true, force: true });

const steps = [
  [
    'generated bindings match the vendored schemas',
    'npm',
    ['run', 'generate', '-w', '@vectorplane/vpp-binapi', '--', '--check'],
  ],
  ['dependency direction and library hygiene', 'node', ['scripts/check-boundaries.mjs']],
  ['typecheck', 'npx', ['nx', 'run-many', '-t', 'typecheck', '--outputStyle=static']],
  ['workspace bins linked and answering --help', 'node', ['scripts/check-bins.mjs']],
  ['lint (eslint, type-aware)', 'npx', ['eslint', '.']],
  ['format (prettier --check)', 'npx', ['prettier', '--check', '.', '--log-level', 'warn']],
  [
    'tests',
    'npx',
    [
      'nx',
      'run-many',
      '-t',
      'test',
      '--parallel=1',
      '--outputStyle=static',
      '--',
      '--reporter=default',
      '--reporter=json',
      '--outputFile.json=test-results/vitest.json',
    ],
  ],
  [
    'packaging (build, publint, attw)',
    'npx',
    ['nx', 'run-many', '-t', 'test:build', '--parallel=1', '--outputStyle=static'],
  ],
];

const failedSteps = [];
for (const [name, cmd, args] of steps) {
  log(`== ${name}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, env });
  if (r.status !== 0) {
    failedSteps.push(name);
    log(`FAILED: ${name}`);
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const p of packages) {
  const file = join(root, 'packages', p, 'test-results', 'vitest.json');
  if (!existsSync(file)) {
    log(`${p}: no test report`);
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const counts = {
    passed: report.numPassedTests ?? 0,
    failed: report.numFailedTests ?? 0,
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
  };
  passed += counts.passed;
  failed += counts.failed;
  skipped += counts.skipped;
  log(`${p}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
}
if (failedSteps.length) log(`failed steps: ${failedSteps.join(', ')}`);
if (passed + failed === 0) {
  log('no test ran');
  process.exitCode = 1;
}
// One count per step that failed outside vitest (typecheck, generator check, packaging).
const stepFailures = failedSteps.filter((s) => s !== 'tests').length;
console.log(`${passed} passed, ${failed + stepFailures} failed, ${skipped} skipped`);
if (failed > 0 || failedSteps.length > 0) process.exitCode = 1;
