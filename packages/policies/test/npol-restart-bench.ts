/**
 * What the npol state file costs and what adoption saves, on bench/run.ts's workload (fake VPP, in
 * process): full programming with and without the state file (interleaved rounds, median), the state
 * file's size and write time, and an agent restart (new client + dataplane, the same desired state).
 * Prints JSON; never fails on time.
 *
 *   npx tsx --conditions @vectorplane/source test/npol-restart-bench.ts [--rounds 3] [--policies 10000]
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectVpp } from '@vectorplane/vpp-binapi';
import { startFakeVpp } from '@vectorplane/vpp-binapi/testing';
import { createPolicyDataplane } from '../src/dataplane.js';
import type { Policy, Rule } from '../src/model.js';
import type { PolicyChange } from '../src/types.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    policies: { type: 'string', default: '10000' },
    rules: { type: 'string', default: '10' },
    ipsets: { type: 'string', default: '1000' },
    members: { type: 'string', default: '20' },
    workloads: { type: 'string', default: '1000' },
  },
});
const ROUNDS = Number(values.rounds);
const P = Number(values.policies);
const R = Number(values.rules);
const S = Number(values.ipsets);
const M = Number(values.members);
const W = Number(values.workloads);

const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const rule = (p: number, r: number): Rule => ({
  action: r === R - 1 ? 'deny' : 'allow',
  protocol: r % 2 ? 17 : 6,
  srcIpSets: [`set-${(p * R + r) % S}`],
  dstPorts: [{ first: 1000 + r, last: 1000 + r }],
});
const policy = (p: number): Policy => ({ inbound: Array.from({ length: R }, (_, r) => rule(p, r)), outbound: [] });

function changes(sws: number[]): PolicyChange[] {
  const out: PolicyChange[] = [];
  for (let s = 0; s < S; s++)
    out.push({
      kind: 'ipset',
      id: `set-${s}`,
      set: { type: 'ip', members: Array.from({ length: M }, (_, m) => ip(s * M + m)) },
    });
  for (let p = 0; p < P; p++) out.push({ kind: 'policy', id: `pol-${p}`, policy: policy(p) });
  const per = Math.max(1, Math.floor(P / W));
  for (let w = 0; w < W; w++)
    out.push({
      kind: 'workload',
      id: `w-${w}`,
      endpoint: {
        swIfIndexes: [sws[w]!],
        addresses: [`10.200.${w >> 8}.${w & 255}`],
        profiles: [],
        tiers: [{ name: 't', ingress: Array.from({ length: per }, (_, k) => `pol-${(w * per + k) % P}`), egress: [] }],
      },
    });
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function round(statePath: string | null) {
  const fake = await startFakeVpp();
  const vpp = await connectVpp({ socket: fake.socketPath, timeoutMs: 120_000 });
  const sws: number[] = [];
  for (let i = 0; i < W; i++) sws.push((await vpp.call('create_loopback', {})).sw_if_index);
  const dp = createPolicyDataplane({ vpp }, { backend: 'npol', npolStatePath: statePath });
  await dp.start();
  const list = changes(sws);
  const cpu0 = process.cpuUsage();
  let t = performance.now();
  const full = await dp.apply(list);
  const fullMs = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  t = performance.now();
  await dp.stop(); // the final state file write
  const stopMs = performance.now() - t;
  const out: Record<string, number> = {
    fullMs: Math.round(fullMs),
    fullCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    vppCalls: full.vppCalls,
    stopMs: Math.round(stopMs),
    stateWrites: dp.stateWrites,
  };
  if (statePath) {
    out.stateBytes = (await stat(statePath)).size;
    // agent restart: a new client and dataplane, the same desired state
    const vpp2 = await connectVpp({ socket: fake.socketPath, timeoutMs: 120_000 });
    t = performance.now();
    const dp2 = createPolicyDataplane({ vpp: vpp2 }, { backend: 'npol', npolStatePath: statePath });
    await dp2.start();
    const startMs = performance.now() - t;
    t = performance.now();
    const again = await dp2.apply(list);
    out.restartStartMs = Math.round(startMs);
    out.restartFirstSyncMs = Math.round(performance.now() - t);
    out.restartVppCalls = again.vppCalls;
    await dp2.stop();
    await vpp2.close();
  }
  await vpp.close();
  await fake.stop();
  return out;
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'pol-npol-bench-'));
  const without: Record<string, number>[] = [];
  const withState: Record<string, number>[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      without.push(await round(null));
      withState.push(await round(join(dir, `state-${i}.json`)));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const m = (rs: Record<string, number>[], k: string) => median(rs.map((r) => r[k] ?? 0));
  const result = {
    date: new Date().toISOString(),
    workload: { policies: P, rulesPerPolicy: R, ipsets: S, membersPerIpset: M, workloads: W, rounds: ROUNDS },
    withoutStateFile: {
      fullMs: m(without, 'fullMs'),
      fullCpuMs: m(without, 'fullCpuMs'),
      vppCalls: m(without, 'vppCalls'),
    },
    withStateFile: {
      fullMs: m(withState, 'fullMs'),
      fullCpuMs: m(withState, 'fullCpuMs'),
      vppCalls: m(withState, 'vppCalls'),
      stopMs: m(withState, 'stopMs'),
      stateWrites: m(withState, 'stateWrites'),
      stateBytes: m(withState, 'stateBytes'),
    },
    ratioFullMs: Number((m(withState, 'fullMs') / m(without, 'fullMs')).toFixed(3)),
    ratioFullCpu: Number((m(withState, 'fullCpuMs') / m(without, 'fullCpuMs')).toFixed(3)),
    agentRestart: {
      startMs: m(withState, 'restartStartMs'),
      firstSyncMs: m(withState, 'restartFirstSyncMs'),
      firstSyncVppCalls: m(withState, 'restartVppCalls'),
    },
    rounds: { without, withState },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

await main();
