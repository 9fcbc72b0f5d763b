// Idle memory of the bundled agent (fake VPP, in-memory Kubernetes, no BGP): RSS and where it goes
// (process.memoryUsage, V8 heap spaces, code), for each set of node flags given as arguments
// (`tsx bench/idle-memory.ts '' '--max-semi-space-size=1'`). Prints JSON; never fails on size.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestVpp } from '@vectorplane/vpp-binapi/testing';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(pkg, 'dist', 'bin', 'vectorplane.js');
const probe = join(pkg, 'bench', 'memory-probe.cjs');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One run: start, wait until ready, idle `idleMs`, then the probe's figures. `env` adds to a bare PATH. */
export async function idleMemory(flags: string[], idleMs = 3000, env: NodeJS.ProcessEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'vp-mem-'));
  const vpp = await startTestVpp({ runtimeDir: join(dir, 'vpp') });
  const port = 20000 + Math.floor(Math.random() * 20000);
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      nodeName: 'bench',
      kube: { mode: 'memory' },
      stateDir: join(dir, 'state'),
      vpp: { runtimeDir: join(dir, 'vpp') },
      cni: { socket: join(dir, 'cni.sock') },
      bgp: { enabled: false },
      policies: { backend: 'acl' },
      health: { listen: `127.0.0.1:${port}` },
      metrics: { listen: `127.0.0.1:${port + 1}` },
      log: { level: 'warn' },
    }),
  );
  const out = join(dir, 'mem.json');
  const t0 = performance.now();
  const child = spawn(process.execPath, [...flags, '--require', probe, bundle, 'run'], {
    env: {
      PATH: process.env.PATH ?? '',
      ...env,
      VECTORPLANE_CONFIG: join(dir, 'config.json'),
      MEM_OUT: out,
      MEM_DELAY: String(60_000_000),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/readiness`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (performance.now() - t0 > 30_000) throw new Error('not ready in 30 s');
      await sleep(5);
    }
    const readyMs = Math.round(performance.now() - t0);
    await sleep(idleMs);
    child.kill('SIGUSR2'); // the probe writes its figures on SIGUSR2
    for (let i = 0; i < 100; i++) {
      try {
        return { flags: flags.join(' '), readyMs, ...(JSON.parse(readFileSync(out, 'utf8')) as object) };
      } catch {
        await sleep(20);
      }
    }
    throw new Error('no figures from the probe');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await vpp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sets = process.argv.slice(2).map((s) => s.split(' ').filter(Boolean));
  for (const flags of sets.length ? sets : [[]]) process.stdout.write(`${JSON.stringify(await idleMemory(flags))}\n`);
}
