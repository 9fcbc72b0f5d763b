/**
 * Benchmark (fake VPP, in-process): compile and program N policies / rules / ipsets in one batch, then
 * one ipset member change and one policy change. Writes bench/results/<backend>-<date>.json with time,
 * VPP calls, heap and machine info. Never fails on time.
 *
 *   npx tsx bench/run.ts [--backend npol|acl] [--policies 10000] [--rules 10] [--ipsets 1000] [--members 20] [--workloads 1000]
 *                        [--src <dir with dataplane.ts>] [--no-write] [--vpp fake|stub]
 *
 * `--vpp stub` answers every request at once without encoding it (no socket, no fake state): what is
 * left is the policy package's own cost.
 *
 * `--src` runs another copy of the sources (e.g. a baseline extracted with `git archive`), for
 * before/after ratios measured in one run (bench/compare.ts does that).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { arch, cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connectVpp } from '@vectorplane/vpp-binapi';
import { startFakeVpp } from '@vectorplane/vpp-binapi/testing';
import type { createPolicyDataplane as CreatePolicyDataplane } from '../src/dataplane.js';
import type { Policy, Rule } from '../src/model.js';
import type { PolicyChange, PolicyVpp } from '../src/types.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'npol' },
    policies: { type: 'string', default: '10000' },
    rules: { type: 'string', default: '10' },
    ipsets: { type: 'string', default: '1000' },
    members: { type: 'string', default: '20' },
    workloads: { type: 'string', default: '1000' },
    src: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    vpp: { type: 'string', default: 'fake' },
  },
});
const { createPolicyDataplane } = (await import(
  values.src ? resolve(values.src, 'dataplane.ts') : '../src/dataplane.js'
)) as { createPolicyDataplane: typeof CreatePolicyDataplane };
const backend = values.backend === 'acl' ? 'acl' : 'npol';
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
const policy = (p: number, salt = 0): Policy => ({
  inbound: Array.from({ length: R }, (_, r) => rule(p, r + salt)).slice(0, R),
  outbound: [],
});

/** Answers at once: ACL indices and interface indices from counters, dumps empty. */
function stubVpp(): PolicyVpp & { close(): Promise<void> } {
  let next = 0;
  const stub = {
    call: (name: string) =>
      Promise.resolve({ retval: 0, acl_index: name === 'acl_add_replace' ? next++ : 0, sw_if_index: next++ }),
    dump: async function* () {
      yield* [];
    },
    close: () => Promise.resolve(),
  };
  return stub as unknown as PolicyVpp & { close(): Promise<void> };
}

async function main() {
  const fake = values.vpp === 'stub' ? undefined : await startFakeVpp();
  const vpp = fake ? await connectVpp({ socket: fake.socketPath, timeoutMs: 120_000 }) : stubVpp();
  const sws: number[] = [];
  for (let i = 0; i < W; i++) sws.push((await vpp.call('create_loopback', {})).sw_if_index);
  // the npol backend's state file as the agent keeps it (in its state dir), here in a temporary one
  const stateDir = await mkdtemp(join(tmpdir(), 'pol-bench-'));
  const dp = createPolicyDataplane({ vpp }, { backend, npolStatePath: join(stateDir, 'policies-npol.json') });
  await dp.start();
  const changes: PolicyChange[] = [];
  for (let s = 0; s < S; s++)
    changes.push({
      kind: 'ipset',
      id: `set-${s}`,
      set: { type: 'ip', members: Array.from({ length: M }, (_, m) => ip(s * M + m)) },
    });
  for (let p = 0; p < P; p++) changes.push({ kind: 'policy', id: `pol-${p}`, policy: policy(p) });
  const perWorkload = Math.max(1, Math.floor(P / W));
  for (let w = 0; w < W; w++)
    changes.push({
      kind: 'workload',
      id: `w-${w}`,
      endpoint: {
        swIfIndexes: [sws[w]!],
        addresses: [`10.200.${w >> 8}.${w & 255}`],
        profiles: [],
        tiers: [
          {
            name: 't',
            ingress: Array.from({ length: perWorkload }, (_, k) => `pol-${(w * perWorkload + k) % P}`),
            egress: [],
          },
        ],
      },
    });
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const byMessage = () => Object.fromEntries(dp.calls);
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  let t = performance.now();
  let c = cpu();
  const full = await dp.apply(changes);
  const fullMs = performance.now() - t;
  const fullCpuMs = cpu() - c;
  const heap1 = process.memoryUsage().heapUsed;
  if (full.errors.length) throw full.errors[0];
  const fullCalls = byMessage();

  // single changes: the median of 5 (each undone by the next), so one GC pause does not decide
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const memberRuns: number[] = [];
  let member = full;
  for (let i = 0; i < 5; i++) {
    t = performance.now();
    member = await dp.apply([
      i % 2
        ? { kind: 'ipset-delta', id: 'set-7', added: [ip(7 * M)], removed: ['10.250.0.1'] }
        : { kind: 'ipset-delta', id: 'set-7', added: ['10.250.0.1'], removed: [ip(7 * M)] },
    ]);
    memberRuns.push(performance.now() - t);
  }
  const memberMs = median(memberRuns);
  // the same for a policy change (one rule's ports changed, then back)
  const policyRuns: number[] = [];
  const policyCpuRuns: number[] = [];
  let pol = full;
  for (let i = 0; i < 5; i++) {
    c = cpu();
    t = performance.now();
    pol = await dp.apply([
      {
        kind: 'policy',
        id: 'pol-42',
        policy:
          i % 2
            ? policy(42)
            : {
                inbound: policy(42).inbound.map((r, j) =>
                  j === 3 ? { ...r, dstPorts: [{ first: 2000, last: 2100 }] } : r,
                ),
                outbound: [],
              },
      },
    ]);
    policyRuns.push(performance.now() - t);
    policyCpuRuns.push(cpu() - c);
  }
  const policyMs = median(policyRuns);
  const policyCpuMs = median(policyCpuRuns);
  await rm(stateDir, { recursive: true, force: true });

  const result = {
    date: new Date().toISOString(),
    backend,
    workload: {
      policies: P,
      rulesPerPolicy: R,
      rules: P * R,
      ipsets: S,
      membersPerIpset: M,
      workloads: W,
      policiesPerWorkload: perWorkload,
    },
    source: values.src ?? 'src',
    full: {
      ms: Math.round(fullMs),
      cpuMs: Math.round(fullCpuMs),
      vppCalls: full.vppCalls,
      byMessage: fullCalls,
      heapDeltaMB: Math.round((heap1 - heap0) / 1048576),
    },
    ipsetMemberChange: {
      ms: Number(memberMs.toFixed(2)),
      runsMs: memberRuns.map((x) => Number(x.toFixed(2))),
      vppCalls: member.vppCalls,
    },
    policyChange: {
      ms: Number(policyMs.toFixed(2)),
      cpuMs: Number(policyCpuMs.toFixed(2)),
      runsMs: policyRuns.map((x) => Number(x.toFixed(2))),
      vppCalls: pol.vppCalls,
    },
    heapUsedMB: Math.round(process.memoryUsage().heapUsed / 1048576),
    rssMB: Math.round(process.memoryUsage().rss / 1048576),
    machine: {
      node: process.version,
      platform: platform(),
      arch: arch(),
      kernel: release(),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGB: Math.round(totalmem() / 2 ** 30),
      loadAverage1m: Number(loadavg()[0]!.toFixed(1)),
    },
    note: 'fake VPP in the same process: times include the fake decoding and answering every message',
  };
  if (values['no-write']) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${backend}-${result.date.slice(0, 19).replace(/[:T]/g, '-')}.json`);
    await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n${file}\n`);
  }
  await vpp.close();
  await fake?.stop();
}

await main();
