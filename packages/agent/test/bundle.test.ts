// The `vectorplane` bundle: one file that runs with plain `node` (no TypeScript, no node_modules lookups for our
// packages), with the netlink addon where the bundled @vectorplane/netlink looks for it. Builds it when missing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';

const pkg = join(import.meta.dirname, '..');
const bundle = join(pkg, 'dist', 'bin', 'vectorplane.js');

beforeAll(() => {
  if (!existsSync(bundle)) spawnSync('npx', ['tsup'], { cwd: pkg, stdio: 'ignore' });
}, 120_000);

it('is one file that imports none of our packages at run time, with the addon beside it', () => {
  const text = readFileSync(bundle, 'utf8');
  expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
  const imports = [...text.matchAll(/(?:from|import\()\s*["'](@vectorplane\/[^"']+)["']/g)].map((m) => m[1]);
  expect(imports).toEqual(['@vectorplane/vpp-binapi/testing']); // the fake VPP, only when no VPP binary is set
  expect(existsSync(join(pkg, 'dist', 'build', 'Release', 'vectorplane_netlink.node'))).toBe(true);
  expect(statSync(bundle).size).toBeGreaterThan(100_000);
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
