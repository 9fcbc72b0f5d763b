// Dependency direction and library hygiene, checked on the sources (no build needed):
// - each package's `nx.tags` names its layer: `layer:leaf`, `layer:middle` or `layer:agent`;
// - leaves import nothing of ours, middles only leaves, the agent anything; nothing imports "up";
// - no relative import leaves its package; no cycle between packages;
// - library sources never call `console` (CLIs, bins, benches and doc comments excepted).
// Exits non-zero listing every violation.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { root } from './setup.mjs';

const ALLOWED = { 'layer:leaf': [], 'layer:middle': ['layer:leaf'], 'layer:agent': ['layer:leaf', 'layer:middle'] };
const CONSOLE_OK = [/\/src\/cli\.ts$/, /\/src\/bin\//];

const pkgsDir = join(root, 'packages');
const packages = new Map();
for (const dir of readdirSync(pkgsDir)) {
  const file = join(pkgsDir, dir, 'package.json');
  if (!existsSync(file)) continue;
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  const layer = (pkg.nx?.tags ?? []).find((t) => t.startsWith('layer:'));
  packages.set(pkg.name, { dir: join(pkgsDir, dir), layer, deps: new Set() });
}

const problems = [];
function* sources(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sources(p);
    else if (/\.(ts|mts|cts)$/.test(name) && !name.endsWith('.d.ts')) yield p;
  }
}

const importRe = /(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
for (const [name, info] of packages) {
  if (!info.layer || !(info.layer in ALLOWED))
    problems.push(`${name}: package.json nx.tags needs one of ${Object.keys(ALLOWED).join(', ')}`);
  const src = join(info.dir, 'src');
  if (!existsSync(src)) continue;
  for (const file of sources(src)) {
    const text = readFileSync(file, 'utf8');
    const rel = relative(root, file);
    for (const m of text.matchAll(importRe)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (!target.startsWith(info.dir + '/')) problems.push(`${rel}: relative import '${spec}' leaves the package`);
        continue;
      }
      const dep = [...packages.keys()].find((p) => spec === p || spec.startsWith(p + '/'));
      if (!dep || dep === name) continue;
      info.deps.add(dep);
      const allowed = ALLOWED[info.layer] ?? [];
      if (!allowed.includes(packages.get(dep).layer)) {
        problems.push(`${rel}: ${info.layer} package imports ${dep} (${packages.get(dep).layer})`);
      }
    }
    if (!CONSOLE_OK.some((r) => r.test(file))) {
      const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      if (/\bconsole\.(log|error|warn|info|debug)\(/.test(code)) problems.push(`${rel}: library code calls console`);
    }
  }
}

// cycles between packages
const state = new Map();
function visit(name, path) {
  if (state.get(name) === 'done') return;
  if (state.get(name) === 'active') {
    problems.push(`dependency cycle: ${[...path.slice(path.indexOf(name)), name].join(' -> ')}`);
    return;
  }
  state.set(name, 'active');
  for (const d of packages.get(name).deps) visit(d, [...path, name]);
  state.set(name, 'done');
}
for (const name of packages.keys()) visit(name, []);

if (problems.length) {
  for (const p of problems) process.stderr.write(`boundaries: ${p}\n`);
  process.exitCode = 1;
} else {
  process.stderr.write(`boundaries: ${packages.size} packages, dependency direction and library hygiene ok\n`);
}
