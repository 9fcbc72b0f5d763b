// The agent's benchmark: bundle size, start-to-ready against the fake VPP, idle RSS of the running agent, and (as
// root) the lab's total time. Writes bench/results/agent-<date>.json with the machine's facts. Never fails on time.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestVpp } from '@vectorplane/vpp-binapi/testing';
import { runLab } from '../src/lab/lab.js';
import { DAEMON_ENV, daemonEnv } from '../src/tuning.js';
import { idleMemory } from './idle-memory.js';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(pkg, 'dist', 'bin', 'vectorplane.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (!existsSync(bundle)) {
  process.stderr.write('bench: building the bundle (npx tsup)\n');
  spawnSync('npx', ['tsup'], { cwd: pkg, stdio: 'inherit' });
}
const bundleBytes = statSync(bundle).size;
const addon = join(pkg, 'dist', 'build', 'Release', 'vectorplane_netlink.node');
const addonBytes = existsSync(addon) ? statSync(addon).size : undefined;

function rssKiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function startToReady(runs: number) {
  const samples: number[] = [];
  let idleRssKiB: number | undefined;
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'vp-bench-'));
    const vpp = await startTestVpp({ runtimeDir: join(dir, 'vpp') });
    const port = 20000 + Math.floor(Math.random() * 20000);
    const config = {
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
    };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const env = daemonEnv({ ...process.env, VECTORPLANE_CONFIG: join(dir, 'config.json') });
    delete env.VPP_BIN;
    const t0 = performance.now();
    const child = spawn(process.execPath, [bundle, 'run'], { env, stdio: 'ignore' });
    try {
      for (;;) {
        const ok = await fetch(`http://127.0.0.1:${port}/readiness`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ok) break;
        if (performance.now() - t0 > 30_000) throw new Error('bench: agent not ready in 30 s');
        await sleep(5);
      }
      samples.push(performance.now() - t0);
      if (i === runs - 1) {
        await sleep(3_000);
        idleRssKiB = rssKiB(child.pid!);
      }
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await vpp.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  samples.sort((a, b) => a - b);
  return {
    runs,
    medianMs: Math.round(samples[Math.floor(samples.length / 2)]!),
    samplesMs: samples.map(Math.round),
    idleRssKiB,
  };
}

const ready = await startToReady(5);
// where the idle RSS goes, with the daemon's malloc settings (as deployed) and without them
const memory = { tuned: await idleMemory([], 3000, DAEMON_ENV), untuned: await idleMemory([], 3000, {}) };
let lab: { totalMs: number; timings: Record<string, number> } | { skipped: string };
if (process.getuid?.() !== 0) lab = { skipped: 'not root' };
else if (process.env.BENCH_LAB === '0') lab = { skipped: 'BENCH_LAB=0' };
else {
  const r = await runLab({ log: (l) => process.stderr.write(`${l}\n`) });
  lab = { totalMs: r.timings.total ?? 0, timings: r.timings };
}
const result = {
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    totalMemMiB: Math.round(totalmem() / 2 ** 20),
    kernel: release(),
    node: process.version,
    note: 'a machine shared with other jobs; timings are indicative',
  },
  bundle: { bytes: bundleBytes, addonBytes, goalBytes: 3 * 2 ** 20 },
  startToReadyFakeVpp: { ...ready, goalMs: 1000 },
  idleRssMiB: ready.idleRssKiB !== undefined ? +(ready.idleRssKiB / 1024).toFixed(1) : undefined,
  idleRssGoalMiB: 80,
  idleMemoryKiB: memory,
  lab,
};
mkdirSync(join(pkg, 'bench', 'results'), { recursive: true });
const out = join(pkg, 'bench', 'results', `agent-${result.date.slice(0, 10)}.json`);
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n${out}\n`);
