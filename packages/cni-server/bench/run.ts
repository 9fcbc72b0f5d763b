/**
 * Benchmark of the CNI server (fake VPP as a child process via startTestVpp, or a real one with VPP_BIN; real
 * pod netns): p50/p99 of Add with 100 pods at once and of their Del, Add one at a time, and 1,000 Add+Del
 * cycles with memory and fd counts before and after. Writes bench/results/cni-server.json.
 *
 *   node --conditions=@vectorplane/source --import tsx bench/run.ts   (root; `npm run bench` in this package)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectVpp } from '@vectorplane/vpp-binapi';
import { startFakeVpp, startTestVpp } from '@vectorplane/vpp-binapi/testing';
import { createNetns, removeAllNetns, type TestNetns } from '@vectorplane/netlink/testing';
import { openNetlink } from '@vectorplane/netlink';
import { createCniServer, StateStore, type CniServer, type CniVpp } from '../src/index.js';
import { configurePodNetns, createVeth, VethReaper } from '../src/kernel.js';
import { toPodSpec } from '../src/spec.js';
import { normaliseAddRequest } from '../src/proto.js';
import { cniVppObjects } from '../src/testing/index.js';
import { vethsGone } from './env.js';

const ADMISSION_NOTE =
  'the same burst per admission (maxParallel: pods built at once, the rest wait first-come first-served); after the warm-up (see warmup) one round of every other variant first (not reported), then the variants alternate, each round in a rotated order; medians over the rounds. cpuPerPodMs: server user and system time and the fake VPP process, per pod; wakeupsPerPod: voluntary context switches of the server main thread and the VPP process per pod';
const ADMISSION_WHY = [
  'Why FIFO-16 took longer than admitting all at once: a pod costs less CPU the more pods are in flight, because the VPP requests and replies of many pods travel in one socket write and one read each (see wakeupsPerPod of the VPP process and cpuPerPodMs). With 16 in flight each pod waits on its round trips to VPP (about 9 deep before its requests were pipelined, 2 now) with little to batch, so the two cores are not kept busy and the burst ends later.',
  "Two more effects made it worse before: a pod released its slot before its state write, so the next pods kernel work (then on our thread: a netlink request runs its kernel work inside the sending thread) held that write up on the event loop (bench/timeline.ts: first pods built at about 135 ms, durable only at about 181 ms); and a pods kernel work ran before its own VPP requests were written, leaving VPP idle meanwhile. Both are gone: a pod holds its slot until durable, and its kernel work now runs on the netlink addon's namespace thread. The earlier single run also measured fifo16 first, cold (JIT).",
  'Default auto: one more than half of the most Adds in the server at one time since it was last idle (building + waiting), 16..128, admitted in waves once saturated (freed slots refilled when the whole wave is done, so the next wave does not slow the end of this one), so a burst of N runs as two waves, the median pod in the first: each wave is large enough to batch like all-at-once (similar wall), and the first half is acknowledged at about half the burst time (p50 about wall/2) instead of at its end.',
].join(' ');

const PODS = Number(process.env['CNI_BENCH_PODS'] ?? 100);
const CYCLES = Number(process.env['CNI_BENCH_CYCLES'] ?? 1000);
const CHURN_PODS = 10;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Number((s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN).toFixed(2));
}
const stats = (xs: number[]) => ({
  n: xs.length,
  p50: pct(xs, 50),
  p99: pct(xs, 99),
  max: pct(xs, 100),
  mean: Number((xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2)),
});
const fds = (): number => readdirSync('/proc/self/fd').length;
const mem = () => {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rssMiB: Number((m.rss / 2 ** 20).toFixed(1)), heapUsedMiB: Number((m.heapUsed / 2 ** 20).toFixed(1)) };
};
const req = (ns: TestNetns, ip: string) => ({
  interface_name: 'eth0',
  netns: ns.path,
  container_ips: [{ address: `${ip}/32` }],
  workload: {
    name: 'bench',
    namespace: 'default',
    labels: { app: 'bench' },
    ports: [{ protocol: 'TCP', port: 80, host_port: 0 }],
  },
});

const inProcess = process.env['CNI_BENCH_FAKE'] === 'inprocess';
const testVpp = inProcess ? undefined : await startTestVpp();
const fake = inProcess ? await startFakeVpp() : undefined;
/**
 * A burst sends about 15 requests per pod at once (its requests are pipelined): past the client's in-flight
 * bound (default 128) every further request waits in the client's queue, with a timer and a promise each, on
 * the main thread that bounds the burst (2048 against 128, alternating: burst wall 0.87, p50 0.97, main-thread CPU
 * 0.89).
 */
const MAX_IN_FLIGHT = 2048;
const vpp = await connectVpp({ socket: testVpp?.apiSocket ?? fake!.socketPath, maxInFlight: MAX_IN_FLIGHT });
const vppNs = await createNetns('vpc7b');
const dir = mkdtempSync(join(tmpdir(), 'cni-bench-'));
/**
 * The client with its calls counted, and the writes they go out in (the client writes the calls of one tick
 * together): a pod's writes, one pod at a time, are how many times it waits on VPP plus the kernel's turns.
 */
const counted = { calls: 0, writes: 0 };
let writeOpen = false;
const countingVpp: CniVpp = {
  call: ((name: string, fields: object, o?: object) => {
    counted.calls++;
    if (!writeOpen) {
      writeOpen = true;
      counted.writes++;
      process.nextTick(() => (writeOpen = false));
    }
    return (vpp.call as (n: string, f: object, o?: object) => Promise<unknown>)(name, fields, o);
  }) as CniVpp['call'],
  dump: vpp.dump.bind(vpp),
};
const serverWith = (maxParallel?: number | 'auto', client: CniVpp = vpp): CniServer =>
  createCniServer(
    {
      stateFile: join(dir, 'state.json'),
      socket: false,
      vppNetns: testVpp?.netns ?? vppNs.name,
      interfaceMode: 'veth',
      hostIfPrefix: 'vpc7h',
      ...(maxParallel === undefined ? {} : { maxParallel }),
    },
    { vpp: client },
  );
let server = serverWith();
const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
};
/**
 * utime + stime in ms (USER_HZ 100) and voluntary context switches (wake-ups) of a process (all its threads),
 * or with `thread` of its main thread alone.
 */
const procStat = (pid: number | undefined, thread = false): { cpuMs: number; wakeups: number } => {
  if (!pid) return { cpuMs: NaN, wakeups: NaN };
  const dir = thread ? `/proc/${pid}/task/${pid}` : `/proc/${pid}`;
  try {
    const f = readFileSync(`${dir}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const st = readFileSync(`${dir}/status`, 'utf8');
    return {
      cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / 100,
      wakeups: Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(st)?.[1]),
    };
  } catch {
    return { cpuMs: NaN, wakeups: NaN };
  }
};
const median = (xs: number[]): number => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return Number((s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2).toFixed(2));
};
const round2 = (x: number): number => Number(x.toFixed(2));

/** Admission variants compared (maxParallel); DEFAULT_VARIANT is the server's default. */
const VARIANTS: Record<string, number | 'auto'> = {
  auto: 'auto',
  fifo16: 16,
  fifo32: 32,
  fifo50: 50,
  allAtOnce: PODS,
};
const DEFAULT_VARIANT = 'auto';
const ROUNDS = Number(process.env['CNI_BENCH_ROUNDS'] ?? 7);
/** Bursts of the default admission before the measured rounds (see 1. below). */
const WARMUP = Number(process.env['CNI_BENCH_WARMUP'] ?? 40);
interface Burst {
  wallMs: number;
  p50: number;
  p99: number;
  failures: number;
  firstFailure: string | undefined;
  serverUserMs: number;
  serverSysMs: number;
  vppMs: number;
  serverWakeups: number;
  serverMainThreadMs: number;
  vppWakeups: number;
  delWallMs: number;
  delP50: number;
  delP99: number;
}
let burstNo = 0;
const vppNsNl = await openNetlink({ netns: testVpp?.netns ?? vppNs.name });
/** Each burst starts once the last one's veths are gone (see vethsGone). */
const settle = (): Promise<void> => vethsGone(vppNsNl, 'vpc7h');
/** One burst of PODS Adds at once on a fresh server with `maxParallel`, then their Dels at once. */
async function burst(nss: TestNetns[], maxParallel: number | 'auto'): Promise<Burst> {
  await server.stop();
  server = serverWith(maxParallel);
  await server.start();
  const net = 100 + (burstNo++ % 100);
  // no forced full GC before a burst: V8 then shrinks the young generation and a burst pays for it in scavenges on
  // its helper threads (server CPU per pod up by half, measured), which a server that is just running does not
  const cpu0 = process.cpuUsage();
  const me0 = procStat(process.pid, true);
  const vpp0 = procStat(testVpp?.pid);
  const t0 = performance.now();
  const adds = await Promise.all(
    nss.map((ns, i) => timed(() => server.add(req(ns, `10.${net}.${i >> 8}.${(i & 255) + 1}`)))),
  );
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const me1 = procStat(process.pid, true);
  const vpp1 = procStat(testVpp?.pid);
  const failed = adds.filter(([r]) => !r.successful).map(([r]) => r.error_message);
  const t1 = performance.now();
  const dels = await Promise.all(nss.map((ns) => timed(() => server.del({ netns: ns.path, interface_name: 'eth0' }))));
  const delWallMs = performance.now() - t1;
  await settle();
  const lat = adds.map(([, ms]) => ms);
  const dlat = dels.map(([, ms]) => ms);
  return {
    wallMs: round2(wallMs),
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    failures: failed.length,
    firstFailure: failed[0],
    serverUserMs: cpu.user / 1000,
    serverSysMs: cpu.system / 1000,
    vppMs: vpp1.cpuMs - vpp0.cpuMs,
    serverWakeups: me1.wakeups - me0.wakeups,
    serverMainThreadMs: me1.cpuMs - me0.cpuMs,
    vppWakeups: vpp1.wakeups - vpp0.wakeups,
    delWallMs: round2(delWallMs),
    delP50: pct(dlat, 50),
    delP99: pct(dlat, 99),
  };
}
/** Medians over the rounds, CPU per pod. */
function summary(runs: Burst[]) {
  const m = (f: (b: Burst) => number) => median(runs.map(f));
  const perPod = (f: (b: Burst) => number) => round2(m(f) / PODS);
  const serverUser = perPod((b) => b.serverUserMs);
  const serverSys = perPod((b) => b.serverSysMs);
  const vppCpu = perPod((b) => b.vppMs);
  return {
    rounds: runs.length,
    wallMs: m((b) => b.wallMs),
    p50: m((b) => b.p50),
    p99: m((b) => b.p99),
    failures: runs.reduce((a, b) => a + b.failures, 0),
    firstFailure: runs.find((b) => b.firstFailure)?.firstFailure,
    cpuPerPodMs: {
      serverUser,
      serverSys,
      serverMainThread: perPod((b) => b.serverMainThreadMs),
      vppProcess: vppCpu,
      total: round2(serverUser + serverSys + vppCpu),
    },
    wakeupsPerPod: { server: perPod((b) => b.serverWakeups), vpp: perPod((b) => b.vppWakeups) },
    delWallMs: m((b) => b.delWallMs),
    delP50: m((b) => b.delP50),
    delP99: m((b) => b.delP99),
    runs: runs.map((b) => ({ wallMs: b.wallMs, p50: b.p50, p99: b.p99 })),
  };
}
try {
  await server.start();
  const nss = await Promise.all(Array.from({ length: PODS }, () => createNetns('vpc7b')));

  // 1. PODS Adds at once, then their Dels at once, per admission variant. First the cold start: the first burst
  // of a fresh process (nothing compiled by the JIT yet), reported apart. Then WARMUP bursts of the default until
  // the JIT has settled, as in a server that has been up for a while (V8 optimises a function only once it ran
  // often enough, on helper threads that take the same cores: after one burst they still compile most of the
  // next), and one of every other variant; then ROUNDS rounds, the variants in a different order each round
  const names = Object.keys(VARIANTS);
  const cold = await burst(nss, VARIANTS[DEFAULT_VARIANT]!);
  const warmup: { p50: number; wallMs: number; serverCpuPerPodMs: number; vppCpuPerPodMs: number }[] = [];
  for (let w = 0; w < WARMUP; w++) {
    const b = await burst(nss, VARIANTS[DEFAULT_VARIANT]!);
    warmup.push({
      p50: b.p50,
      wallMs: b.wallMs,
      serverCpuPerPodMs: round2((b.serverUserMs + b.serverSysMs) / PODS),
      vppCpuPerPodMs: round2(b.vppMs / PODS),
    });
  }
  for (const name of names) if (name !== DEFAULT_VARIANT) await burst(nss, VARIANTS[name]!);
  const runs = new Map<string, Burst[]>(names.map((n) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]!);
    for (const name of order) runs.get(name)!.push(await burst(nss, VARIANTS[name]!));
  }
  const admission = Object.fromEntries(names.map((n) => [n, summary(runs.get(n)!)]));
  const def = admission[DEFAULT_VARIANT]!;
  await server.stop();
  server = serverWith();
  await server.start();

  // 1c. the kernel's share, without VPP or the server: per pod a veth into its netns and the netns batch (one
  // at a time), then deleting the veths one by one against one group delete
  const floorNl = await openNetlink({ netns: vppNs.name });
  const floorSpecs = nss.map((ns, i) =>
    toPodSpec(normaliseAddRequest({ ...req(ns, `10.94.0.${i + 1}`), desired_host_interface_name: `vpc7f${i}` }), {
      mode: 'veth',
      mtu: 1500,
      encapsulation: 'none',
      rxMode: 'adaptive',
      hostIfPrefix: 'vpc7f',
      memif: false,
    }),
  );
  const createMs: number[] = [];
  let t0 = performance.now();
  for (const spec of floorSpecs) {
    const t = performance.now();
    const index = await createVeth(vppNs.name, spec, '02:00:00:00:00:01');
    await configurePodNetns(spec, '02:00:00:00:00:02', index);
    createMs.push(performance.now() - t);
  }
  const half = Math.floor(PODS / 2);
  t0 = performance.now();
  for (const spec of floorSpecs.slice(0, half)) await floorNl.link.delete(spec.hostIfName);
  const oneByOneMs = performance.now() - t0;
  const reaper = new VethReaper((msgs) => floorNl.batch(msgs));
  t0 = performance.now();
  await Promise.all(floorSpecs.slice(half).map((spec) => reaper.delete(spec.hostIfName)));
  const groupMs = performance.now() - t0;
  floorNl.close();
  const kernelFloor = {
    note: 'kernel work alone, one pod at a time: veth with its peer in the pod netns + the pod netns batch (up, address, routes)',
    perPodCreate: stats(createMs),
    deleteOneByOne: {
      veths: half,
      ms: Number(oneByOneMs.toFixed(1)),
      perVethMs: Number((oneByOneMs / half).toFixed(2)),
    },
    deleteAsOneGroup: {
      veths: PODS - half,
      ms: Number(groupMs.toFixed(1)),
      perVethMs: Number((groupMs / (PODS - half)).toFixed(2)),
      batches: reaper.batches,
    },
  };

  // 2. one at a time, with the VPP calls and writes of each counted
  await server.stop();
  server = serverWith(undefined, countingVpp);
  await server.start();
  const seqAdd: number[] = [];
  const seqDel: number[] = [];
  const vppPerAdd = { calls: [] as number[], writes: [] as number[] };
  const vppPerDel = { calls: [] as number[], writes: [] as number[] };
  const sample = (into: { calls: number[]; writes: number[] }) => {
    into.calls.push(counted.calls);
    into.writes.push(counted.writes);
    counted.calls = 0;
    counted.writes = 0;
  };
  for (const [i, ns] of nss.slice(0, 50).entries()) {
    sample({ calls: [], writes: [] });
    seqAdd.push((await timed(() => server.add(req(ns, `10.91.0.${i + 1}`))))[1]);
    sample(vppPerAdd);
    seqDel.push((await timed(() => server.del({ netns: ns.path, interface_name: 'eth0' })))[1]);
    sample(vppPerDel);
  }

  // 3. churn: CYCLES Add+Del cycles, CHURN_PODS at a time
  const pause = () => new Promise((r) => setTimeout(r, 500)); // the veths of the last Dels are gone
  await pause();
  const before = { ...mem(), fds: fds(), vpp: await cniVppObjects(vpp), netns: (await vppNs.nl.link.list()).length };
  const churn = nss.slice(0, CHURN_PODS);
  t0 = performance.now();
  let churnFailures = 0;
  for (let c = 0; c < CYCLES; c += CHURN_PODS) {
    const r = await Promise.all(churn.map((ns, i) => server.add(req(ns, `10.92.${(c / CHURN_PODS) % 250}.${i + 1}`))));
    churnFailures += r.filter((x) => !x.successful).length;
    await Promise.all(churn.map((ns) => server.del({ netns: ns.path, interface_name: 'eth0' })));
  }
  const churnMs = performance.now() - t0;
  await pause();
  const after = { ...mem(), fds: fds(), vpp: await cniVppObjects(vpp), netns: (await vppNs.nl.link.list()).length };
  const stateEntries = (await new StateStore(join(dir, 'state.json')).load()).length;

  const floorWall = round2(
    Math.max(def.cpuPerPodMs.serverMainThread * PODS, (def.cpuPerPodMs.total * PODS) / cpus().length),
  );
  const result = {
    benchmark: 'cni-server',
    date: new Date().toISOString(),
    vpp: testVpp ? testVpp.kind : 'fake (in-process)',
    vppClientMaxInFlight: MAX_IN_FLIGHT,
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      memGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
      kernel: release(),
      node: process.version,
      loadavg: loadavg().map((x) => Number(x.toFixed(2))),
    },
    concurrentAdd: {
      pods: PODS,
      maxParallel: VARIANTS[DEFAULT_VARIANT],
      note: 'medians over the rounds of the default admission (see admission), after the warm-up (see coldStart and warmup)',
      wallMs: def.wallMs,
      p50: def.p50,
      p99: def.p99,
      failures: def.failures,
      cpuPerPodMs: def.cpuPerPodMs,
      floor: {
        note: "what no admission can beat with this CPU per pod: the server does its JavaScript on its main thread, the kernel work of its netlink requests on the netlink addon's namespace thread (batchIn), VPP runs in its own process; a burst cannot end before the busier of (main thread time x pods) and (all CPU x pods / cores), and in arrival order its first half at best at half of that (CPU times in 10 ms ticks, medians over the rounds: a rough floor)",
        serverMainThreadPerPodMs: def.cpuPerPodMs.serverMainThread,
        kernelPerPodMs: kernelFloor.perPodCreate.p50,
        vppPerPodMs: def.cpuPerPodMs.vppProcess,
        wallMs: floorWall,
        p50Ms: round2(floorWall / 2),
      },
    },
    coldStart: {
      note: 'the first burst of a fresh process, default admission: what a node sees right after the server started (JIT cold); one sample',
      wallMs: cold.wallMs,
      p50: cold.p50,
      p99: cold.p99,
      cpuPerPodMs: {
        server: round2((cold.serverUserMs + cold.serverSysMs) / PODS),
        serverMainThread: round2(cold.serverMainThreadMs / PODS),
        vppProcess: round2(cold.vppMs / PODS),
      },
    },
    warmup: {
      note: 'the bursts after the cold one, before the measured rounds: latency and CPU per pod fall as the JIT of the server and of the fake VPP (a Node process too) settles',
      bursts: warmup.length,
      p50: warmup.map((w) => w.p50),
      wallMs: warmup.map((w) => w.wallMs),
      serverCpuPerPodMs: warmup.map((w) => w.serverCpuPerPodMs),
      vppCpuPerPodMs: warmup.map((w) => w.vppCpuPerPodMs),
    },
    concurrentDel: { pods: PODS, wallMs: def.delWallMs, p50: def.delP50, p99: def.delP99 },
    admission: {
      note: ADMISSION_NOTE,
      why: ADMISSION_WHY,
      default: DEFAULT_VARIANT,
      ...admission,
    },
    kernelFloor,
    sequentialAdd: {
      ...stats(seqAdd),
      vppCalls: median(vppPerAdd.calls),
      vppWrites: median(vppPerAdd.writes),
      note: 'vppWrites: the writes its VPP calls went out in (calls of one tick go together): one of what needs no answer, the af_packet once the kernel made the veth, then the settings of the loopback and of the pod interface once each sw_if_index came back (10 before requests were pipelined)',
    },
    sequentialDel: { ...stats(seqDel), vppCalls: median(vppPerDel.calls), vppWrites: median(vppPerDel.writes) },
    churn: {
      cycles: CYCLES,
      concurrency: CHURN_PODS,
      ms: Number(churnMs.toFixed(0)),
      cyclesPerSecond: Number(((CYCLES / churnMs) * 1000).toFixed(1)),
      failures: churnFailures,
      before: {
        rssMiB: before.rssMiB,
        heapUsedMiB: before.heapUsedMiB,
        fds: before.fds,
        vppObjects: before.vpp.interfaces.length + before.vpp.tables.length,
        vppNetnsLinks: before.netns,
      },
      after: {
        rssMiB: after.rssMiB,
        heapUsedMiB: after.heapUsedMiB,
        fds: after.fds,
        vppObjects: after.vpp.interfaces.length + after.vpp.tables.length,
        vppNetnsLinks: after.netns,
        stateEntries,
      },
      leaked: {
        fds: after.fds - before.fds,
        vppObjects:
          after.vpp.interfaces.length +
          after.vpp.tables.length -
          (before.vpp.interfaces.length + before.vpp.tables.length),
        netnsLinks: after.netns - before.netns,
        stateEntries,
      },
    },
    goal: { addP50Ms: 50, addP99Ms: 200 },
  };
  const out = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'cni-server.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await server.stop();
  vppNsNl.close();
  await vpp.close();
  await testVpp?.stop();
  await fake?.stop();
  await vppNs.remove();
  await removeAllNetns();
  rmSync(dir, { recursive: true, force: true });
}
