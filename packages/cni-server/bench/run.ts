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
import { createCniServer, StateStore, type CniServer } from '../src/index.js';
import { configurePodNetns, createVeth, VethReaper } from '../src/kernel.js';
import { toPodSpec } from '../src/spec.js';
import { normaliseAddRequest } from '../src/proto.js';
import { cniVppObjects } from '../src/testing/index.js';

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
const vpp = await connectVpp({ socket: testVpp?.apiSocket ?? fake!.socketPath });
const vppNs = await createNetns('cnhb');
const dir = mkdtempSync(join(tmpdir(), 'cni-bench-'));
const serverWith = (maxParallel: number): CniServer =>
  createCniServer(
    {
      stateFile: join(dir, 'state.json'),
      socket: false,
      vppNetns: testVpp?.netns ?? vppNs.name,
      interfaceMode: 'veth',
      maxParallel,
    },
    { vpp },
  );
const server = serverWith(16);
try {
  await server.start();
  const nss = await Promise.all(Array.from({ length: PODS }, () => createNetns('cnhb')));

  // warm-up (code paths, handles)
  await server.add(req(nss[0]!, '10.90.255.1'));
  await server.del({ netns: nss[0]!.path, interface_name: 'eth0' });

  // 1. PODS Adds at once, then their Dels at once
  const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
    const t = performance.now();
    const r = await fn();
    return [r, performance.now() - t];
  };
  const procCpu = (pid: number | undefined): number => {
    if (!pid) return NaN;
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, ms (USER_HZ 100)
    } catch {
      return NaN;
    }
  };
  const cpu0 = process.cpuUsage();
  const vppCpu0 = procCpu(testVpp?.pid);
  let t0 = performance.now();
  const adds = await Promise.all(
    nss.map((ns, i) => timed(() => server.add(req(ns, `10.90.${i >> 8}.${(i & 255) + 1}`)))),
  );
  const addWall = performance.now() - t0;
  const cpu1 = process.cpuUsage(cpu0);
  const addCpu = {
    serverUserMs: Math.round(cpu1.user / 1000),
    serverSystemMs: Math.round(cpu1.system / 1000),
    vppProcessMs: Math.round(procCpu(testVpp?.pid) - vppCpu0),
  };
  const failedAdds = adds.filter(([r]) => !r.successful).map(([r]) => r.error_message);
  t0 = performance.now();
  const dels = await Promise.all(nss.map((ns) => timed(() => server.del({ netns: ns.path, interface_name: 'eth0' }))));
  const delWall = performance.now() - t0;

  // 1b. admission: the same burst with every Add admitted at once (no FIFO bound)
  await server.stop();
  const allAtOnce = serverWith(PODS);
  await allAtOnce.start();
  t0 = performance.now();
  const adds2 = await Promise.all(
    nss.map((ns, i) => timed(() => allAtOnce.add(req(ns, `10.93.${i >> 8}.${(i & 255) + 1}`)))),
  );
  const addWall2 = performance.now() - t0;
  t0 = performance.now();
  const dels2 = await Promise.all(
    nss.map((ns) => timed(() => allAtOnce.del({ netns: ns.path, interface_name: 'eth0' }))),
  );
  const delWall2 = performance.now() - t0;
  await allAtOnce.stop();
  await server.start();

  // 1c. the kernel's share, without VPP or the server: per pod a veth into its netns and the netns batch (one
  // at a time), then deleting the veths one by one against one group delete
  const floorNl = await openNetlink({ netns: vppNs.name });
  const floorSpecs = nss.map((ns, i) =>
    toPodSpec(normaliseAddRequest({ ...req(ns, `10.94.0.${i + 1}`), desired_host_interface_name: `cnhf${i}` }), {
      mode: 'veth',
      mtu: 1500,
      encapsulation: 'none',
      rxMode: 'adaptive',
      hostIfPrefix: 'cnhf',
      memif: false,
    }),
  );
  const createMs: number[] = [];
  t0 = performance.now();
  for (const spec of floorSpecs) {
    const t = performance.now();
    await createVeth(floorNl, spec, '02:00:00:00:00:01');
    const podNl = await openNetlink({ netns: { path: spec.netns } });
    await configurePodNetns(podNl, spec, '02:00:00:00:00:02');
    podNl.close();
    createMs.push(performance.now() - t);
  }
  const half = Math.floor(PODS / 2);
  t0 = performance.now();
  for (const spec of floorSpecs.slice(0, half)) await floorNl.link.delete(spec.hostIfName);
  const oneByOneMs = performance.now() - t0;
  const reaper = new VethReaper(async () => floorNl);
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

  // 2. one at a time
  const seqAdd: number[] = [];
  const seqDel: number[] = [];
  for (const [i, ns] of nss.slice(0, 50).entries()) {
    seqAdd.push((await timed(() => server.add(req(ns, `10.91.0.${i + 1}`))))[1]);
    seqDel.push((await timed(() => server.del({ netns: ns.path, interface_name: 'eth0' })))[1]);
  }

  // 3. churn: CYCLES Add+Del cycles, CHURN_PODS at a time
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
  const after = { ...mem(), fds: fds(), vpp: await cniVppObjects(vpp), netns: (await vppNs.nl.link.list()).length };
  const stateEntries = (await new StateStore(join(dir, 'state.json')).load()).length;

  const result = {
    benchmark: 'cni-server',
    date: new Date().toISOString(),
    vpp: testVpp ? testVpp.kind : 'fake (in-process)',
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
      wallMs: Number(addWall.toFixed(1)),
      ...stats(adds.map(([, ms]) => ms)),
      cpu: addCpu,
      failures: failedAdds.length,
      firstFailure: failedAdds[0],
    },
    concurrentDel: { pods: PODS, wallMs: Number(delWall.toFixed(1)), ...stats(dels.map(([, ms]) => ms)) },
    admission: {
      note: 'the same burst: FIFO with at most 16 pods built at once (the default, above) vs every Add admitted at once',
      fifo16: {
        addWallMs: Number(addWall.toFixed(1)),
        addP50: pct(
          adds.map(([, ms]) => ms),
          50,
        ),
      },
      allAtOnce: {
        addWallMs: Number(addWall2.toFixed(1)),
        ...stats(adds2.map(([, ms]) => ms)),
        failures: adds2.filter(([r]) => !r.successful).length,
        delWallMs: Number(delWall2.toFixed(1)),
        delP50: pct(
          dels2.map(([, ms]) => ms),
          50,
        ),
      },
    },
    kernelFloor,
    sequentialAdd: stats(seqAdd),
    sequentialDel: stats(seqDel),
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
  await vpp.close();
  await testVpp?.stop();
  await fake?.stop();
  await vppNs.remove();
  await removeAllNetns();
  rmSync(dir, { recursive: true, force: true });
}
