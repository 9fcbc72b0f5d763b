/**
 * Before/after in one run: bench/run.ts on a baseline copy of the sources and on the current ones,
 * alternated (each in its own process, so heaps do not mix), on the same machine under the same load.
 * Writes bench/results/<backend>-compare-<date>.json with every run, the best of each and the ratios.
 *
 *   git archive <commit> packages/policies | tar -x -C /tmp/polbase --strip-components=2
 *   ln -s "$PWD/node_modules" /tmp/polbase/node_modules      # from the repository root
 *   npx tsx bench/compare.ts --baseline /tmp/polbase/src --commit <commit> [--backend acl] [--rounds 2] [--vpp fake|stub]
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    baseline: { type: 'string' },
    commit: { type: 'string', default: 'unknown' },
    backend: { type: 'string', default: 'acl' },
    rounds: { type: 'string', default: '2' },
    vpp: { type: 'string', default: 'fake' },
  },
});
if (!values.baseline) throw new Error('--baseline <dir with the baseline dataplane.ts> is required');
const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..');

interface Run {
  full: { ms: number; cpuMs: number; vppCalls: number; heapDeltaMB: number; byMessage: Record<string, number> };
  ipsetMemberChange: { ms: number; vppCalls: number };
  policyChange: { ms: number; cpuMs: number; vppCalls: number };
  heapUsedMB: number;
  rssMB: number;
  machine: { loadAverage1m: number };
}

function run(src: string | undefined): Run {
  const args = ['--conditions', '@vectorplane/source', '--import', 'tsx', 'bench/run.ts'];
  args.push('--backend', values.backend!, '--no-write', '--vpp', values.vpp!);
  if (src) args.push('--src', relative(pkg, src));
  const out = execFileSync(process.execPath, args, { cwd: pkg, encoding: 'utf8', maxBuffer: 1 << 26 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Run;
}

// the best of the rounds: on a shared machine, the other processes only ever add time
const best = (xs: number[]) => Math.min(...xs);
const summary = (runs: Run[]) => ({
  fullMs: best(runs.map((r) => r.full.ms)),
  fullCpuMs: best(runs.map((r) => r.full.cpuMs)),
  fullVppCalls: runs[0]!.full.vppCalls,
  fullByMessage: runs[0]!.full.byMessage,
  fullHeapDeltaMB: best(runs.map((r) => r.full.heapDeltaMB)),
  ipsetMemberChangeMs: best(runs.map((r) => r.ipsetMemberChange.ms)),
  ipsetMemberChangeVppCalls: runs[0]!.ipsetMemberChange.vppCalls,
  policyChangeMs: best(runs.map((r) => r.policyChange.ms)),
  policyChangeVppCalls: runs[0]!.policyChange.vppCalls,
  heapUsedMB: best(runs.map((r) => r.heapUsedMB)),
});

const before: Run[] = [];
const after: Run[] = [];
const loadStart = loadavg()[0]!;
for (let i = 0; i < Number(values.rounds); i++) {
  before.push(run(values.baseline));
  process.stdout.write(`baseline ${i}: ${JSON.stringify(summary([before[i]!]))}\n`);
  after.push(run(undefined));
  process.stdout.write(`current  ${i}: ${JSON.stringify(summary([after[i]!]))}\n`);
}
const b = summary(before);
const a = summary(after);
const ratio = (x: number, y: number) => Number((x / y).toFixed(2));
const result = {
  date: new Date().toISOString(),
  backend: values.backend,
  vpp: values.vpp,
  baselineCommit: values.commit,
  loadAverage1m: { start: Number(loadStart.toFixed(1)), end: Number(loadavg()[0]!.toFixed(1)) },
  baseline: b,
  current: a,
  speedup: {
    full: ratio(b.fullMs, a.fullMs),
    fullCpu: ratio(b.fullCpuMs, a.fullCpuMs),
    ipsetMemberChange: ratio(b.ipsetMemberChangeMs, a.ipsetMemberChangeMs),
    policyChange: ratio(b.policyChangeMs, a.policyChangeMs),
  },
  runs: { baseline: before, current: after },
  note: 'best of alternated runs (each a fresh process with the fake VPP in it); ratios are baseline / current; on a loaded machine compare the CPU ratio',
};
const dir = join(here, 'results');
await mkdir(dir, { recursive: true });
const file = join(
  dir,
  `${values.backend}-compare-${values.vpp === 'stub' ? 'stub-' : ''}${result.date.slice(0, 19).replace(/[:T]/g, '-')}.json`,
);
await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${JSON.stringify({ baseline: b, current: a, speedup: result.speedup }, null, 2)}\n${file}\n`);
