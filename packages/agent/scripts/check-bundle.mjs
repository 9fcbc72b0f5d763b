// The bundle's size budget: dist/bin/vectorplane.js must stay under BUNDLE_BUDGET_BYTES (3 MiB, the goal).
// Reads the esbuild metafile tsup writes (dist/metafile-esm.json) and prints the top contributors, grouped by npm
// package or by our package's folder. Exit 1 over the budget; `--report` only prints.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BUNDLE_BUDGET_BYTES = 3 * 2 ** 20;

/** Output bytes per contributor, largest first, for the output whose path ends in `bin/vectorplane.js`. */
export function contributors(metafile) {
  const [, output] = Object.entries(metafile.outputs).find(([p]) => p.endsWith('bin/vectorplane.js')) ?? [];
  if (!output) throw new Error('metafile: no bin/vectorplane.js output');
  const by = new Map();
  for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
    const npm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    // our packages, bundled from their sources: src/… (the agent) or ../<package>/src/…
    const ours = /^(?:\.\.\/)*(?:packages\/)?(?:([^/.][^/]*)\/)?src\/(generated\/)?/.exec(file);
    const key = npm ? npm[1] : ours ? `@vectorplane/${ours[1] ?? 'agent'}${ours[2] ? ' (generated)' : ''}` : file;
    by.set(key, (by.get(key) ?? 0) + bytesInOutput);
  }
  return { bytes: output.bytes, top: [...by].sort((a, b) => b[1] - a[1]) };
}

const main = () => {
  const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
  const bytes = statSync(join(dist, 'bin', 'vectorplane.js')).size;
  const { top } = contributors(JSON.parse(readFileSync(join(dist, 'metafile-esm.json'), 'utf8')));
  const kb = (n) => `${(n / 1024).toFixed(0).padStart(6)} KiB`;
  const over = bytes > BUNDLE_BUDGET_BYTES;
  const lines = [
    `bundle: dist/bin/vectorplane.js ${bytes} bytes (${kb(bytes).trim()}), budget ${BUNDLE_BUDGET_BYTES} (3 MiB): ${over ? 'OVER' : 'ok'}`,
    ...top.slice(0, 15).map(([k, v]) => `  ${kb(v)}  ${k}`),
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
  if (over && !process.argv.includes('--report')) process.exitCode = 1;
};
if (process.argv[1] === fileURLToPath(import.meta.url)) main();
