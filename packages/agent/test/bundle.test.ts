// The `vectorplane` bundle: one file that runs with plain `node` (no TypeScript, no node_modules lookups for our
// packages), with the netlink addon where the bundled @vectorplane/netlink looks for it. Builds it when missing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { buildBundle } from './interop/helpers.js';

const pkg = join(import.meta.dirname, '..');
const bundle = join(pkg, 'dist', 'bin', 'vectorplane.js');

beforeAll(() => {
  buildBundle(); // as the current sources make it: a stale bundle would pass the size check wrongly
}, 120_000);

it('is one file that imports none of our packages at run time, with the addon beside it', () => {
  const text = readFileSync(bundle, 'utf8');
  expect(text.startsWith('#!/usr/bin/env -S MALLOC_TRIM_THRESHOLD_=131072 MALLOC_ARENA_MAX=2 node\n')).toBe(true);
  const imports = [...text.matchAll(/(?:from|import\()\s*["'](@vectorplane\/[^"']+)["']/g)].map((m) => m[1]);
  expect(imports).toEqual(['@vectorplane/vpp-binapi/testing']); // the fake VPP, only when no VPP binary is set
  expect(existsSync(join(pkg, 'dist', 'build', 'Release', 'vectorplane_netlink.node'))).toBe(true);
  expect(statSync(bundle).size).toBeGreaterThan(100_000);
});

it('stays under the 3 MiB budget (scripts/check-bundle.mjs, which names the top contributors when it fails)', () => {
  const r = spawnSync(process.execPath, [join(pkg, 'scripts', 'check-bundle.mjs')], { encoding: 'utf8' });
  expect(r.stderr).toMatch(/budget 3145728/);
  expect(r.status, r.stderr).toBe(0);
});

it('holds one YAML parser, English zod messages only, and none of client-node exec/cp/port-forward dependencies', () => {
  const meta = JSON.parse(readFileSync(join(pkg, 'dist', 'metafile-esm.json'), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
  };
  const inputs = Object.entries(meta.outputs)
    .filter(([p]) => p.endsWith('bin/vectorplane.js'))
    .flatMap(([, o]) => Object.keys(o.inputs));
  const from = (re: RegExp) => inputs.filter((f) => re.test(f));
  expect(from(/node_modules\/js-yaml\//).length).toBeGreaterThan(0); // client-node's, and ours
  expect(from(/node_modules\/yaml\//)).toEqual([]);
  expect(from(/node_modules\/(tr46|whatwg-url|tar-fs|tar-stream|streamx|ws|isomorphic-ws)\//)).toEqual([]);
  expect(from(/^(?!zod-locales-en:).*zod\/v4\/locales\/(?!en\.js)/)).toEqual([]);
  expect(from(/zod\/v4\/locales\/en\.js/)).toHaveLength(1);
});

it('runs with plain node: --help, config --print --json, and a configuration error exits 2 naming the variable', () => {
  const help = spawnSync(process.execPath, [bundle, '--help'], { encoding: 'utf8' });
  expect(help.status).toBe(0);
  expect(help.stdout).toContain('Usage: vectorplane <command>');
  const env = { PATH: process.env.PATH ?? '', NODENAME: 'node-x', SERVICE_PREFIX: '10.96.0.0/12' };
  const cfg = spawnSync(process.execPath, [bundle, 'config', '--print', '--json'], { encoding: 'utf8', env });
  expect(cfg.status).toBe(0);
  expect(JSON.parse(cfg.stdout)).toMatchObject({ nodeName: 'node-x', serviceCidrs: ['10.96.0.0/12'] });
  const bad = spawnSync(process.execPath, [bundle, 'config', '--print'], {
    encoding: 'utf8',
    env: { ...env, SERVICE_PREFIX: '10.96.0.0/33' },
  });
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain('SERVICE_PREFIX');
});

it('loads the netlink addon from beside the bundle', () => {
  // load the addon the way the bundled netlink does: relative to dist/bin/vectorplane.js
  const r = spawnSync(
    process.execPath,
    [
      '-e',
      `const {createRequire}=require('node:module');const req=createRequire(${JSON.stringify(bundle)});const a=req('../build/Release/vectorplane_netlink.node');process.stdout.write(typeof a.closeFd)`,
    ],
    { encoding: 'utf8' },
  );
  expect(r.stdout).toBe('function');
});
