/**
 * `npm run bench -w @vectorplane/vpp-manager` (root): start-to-ready and restore of the manager with the
 * fake VPP started as VPP (the vpp-fake bin), each split by phase, in a fresh node/switch topology per
 * round. Writes bench/results/vpp-manager.json with the machine it ran on. Restores are measured both ways:
 * `stop()` (SIGINT to VPP, its exit, then the restore) and VPP killed with SIGKILL (kill → uplink back).
 * Never fails on time; the goal is under 1 s for each.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deleteNamedNetns, listNamedNetns } from '@vectorplane/netlink';
import { removeAllNetns } from '@vectorplane/netlink/testing';
import { vppFakeCommand } from '@vectorplane/vpp-binapi/testing';
import { createVppManager, type PhaseTiming } from '../src/index.js';
import { createUplinkTopology } from '../src/testing/index.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const WARMUP = Number(process.env.WARMUP ?? 1);

if (process.getuid?.() !== 0) {
  console.error('vpp-manager bench: needs root (network namespaces)');
  process.exit(0);
}

interface Round {
  readonly startMs: number;
  readonly startPhases: readonly PhaseTiming[];
  readonly restoreMs: number;
  readonly restorePhases: readonly PhaseTiming[];
  readonly trigger: 'stop' | 'vpp-sigkill';
}

async function round(trigger: Round['trigger']): Promise<Round> {
  const topo = await createUplinkTopology('vpmb');
  const dir = await mkdtemp(join(tmpdir(), 'vpm-bench-'));
  const vppNs = `vpmb-vpp-${process.pid}`;
  try {
    const fake = vppFakeCommand();
    const m = createVppManager({
      config: {
        netns: topo.nodeNs.name,
        uplink: { interfaceName: 'eth0', driver: 'af_packet' },
        vpp: {
          bin: fake.command,
          args: fake.args,
          netns: vppNs,
          runtimeDir: join(dir, 'run'),
          stopGraceMs: 3000,
          hugepages: false,
        },
        stateFile: join(dir, 'state.json'),
        statusFile: join(dir, 'status.json'),
        podCidrs: ['10.244.0.0/16'],
        servicePrefixes: ['10.96.0.0/12'],
        checkCapabilities: false,
      },
    });
    const t0 = performance.now();
    const ready = await m.start();
    const startMs = performance.now() - t0;
    const t1 = performance.now();
    let summary;
    if (trigger === 'stop') summary = await m.stop();
    else {
      process.kill(ready.vppPid, 'SIGKILL');
      summary = await m.done;
    }
    const restoreMs = performance.now() - t1;
    if (!summary.ok) throw new Error(`restore failed: ${summary.failed.join('; ')}`);
    return { startMs, startPhases: ready.timings, restoreMs, restorePhases: summary.timings, trigger };
  } finally {
    if (listNamedNetns().includes(vppNs)) await deleteNamedNetns(vppNs).catch(() => undefined);
    await topo.remove();
    await rm(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const r1 = (x: number): number => Math.round(x * 10) / 10;

function phaseMedians(list: readonly (readonly PhaseTiming[])[]): Record<string, number> {
  const by = new Map<string, number[]>();
  for (const phases of list) {
    const sums = new Map<string, number>();
    for (const p of phases) sums.set(p.phase, (sums.get(p.phase) ?? 0) + p.ms);
    for (const [k, v] of sums) by.set(k, [...(by.get(k) ?? []), v]);
  }
  return Object.fromEntries([...by].map(([k, v]) => [k, r1(median(v))]));
}

try {
  for (let i = 0; i < WARMUP; i++) await round('stop');
  const results: Record<string, unknown> = {};
  for (const trigger of ['stop', 'vpp-sigkill'] as const) {
    const rounds: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) rounds.push(await round(trigger));
    results[trigger] = {
      startToReadyMs: { median: r1(median(rounds.map((r) => r.startMs))), all: rounds.map((r) => r1(r.startMs)) },
      startPhasesMedianMs: phaseMedians(rounds.map((r) => r.startPhases)),
      restoreMs: { median: r1(median(rounds.map((r) => r.restoreMs))), all: rounds.map((r) => r1(r.restoreMs)) },
      restorePhasesMedianMs: phaseMedians(rounds.map((r) => r.restorePhases)),
    };
  }
  const out = {
    benchmark: 'vpp-manager start-to-ready and restore with the fake VPP started as VPP (vpp-fake bin via tsx)',
    date: new Date().toISOString(),
    rounds: ROUNDS,
    warmup: WARMUP,
    goalMs: 1000,
    notes: [
      "vpp-start is the fake VPP's own boot (a Node process compiling TypeScript through tsx) up to an answered control_ping; a real VPP boots in its own time",
      'restore after stop() includes VPP exiting on SIGINT; after SIGKILL it starts at the kill',
    ],
    machine: {
      cpu: cpus()[0]?.model,
      cores: cpus().length,
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      kernel: release(),
      node: process.version,
      loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
    },
    results,
  };
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'vpp-manager.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(JSON.stringify(out.results, null, 2));
} finally {
  await removeAllNetns().catch(() => undefined);
}
