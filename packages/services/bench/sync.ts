/**
 * Full sync of 10,000 Services × 10 endpoints and single
 * endpoint changes against the fake VPP, compared with what a full resync sends. The fake runs in a child
 * process (its own event loop and heap), so time and heap are the services side's plus the socket.
 * Writes bench/results/sync.json. A benchmark, not a test: nothing fails on time.
 *
 *   node --expose-gc --import tsx bench/sync.ts   (SERVICES=2000 ENDPOINTS=10 CHANGES=200 to change the sizes)
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectVpp } from '@vectorplane/vpp-binapi';
import { startFakeVpp } from '@vectorplane/vpp-binapi/testing';
import { CnatProgrammer, createServices, type EndpointSliceInput, type ServiceInput } from '../src/index.js';

const here = fileURLToPath(import.meta.url);

if (process.argv[2] === 'fake') {
  const fake = await startFakeVpp();
  process.send?.({ socket: fake.socketPath });
  process.on('disconnect', () => process.exit(0));
  process.on('message', (m) => {
    if (m === 'count') process.send?.({ translations: fake.state.cnatTranslations.size });
    if (m === 'stop') void fake.stop().then(() => process.exit(0));
  });
} else {
  await main();
}

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

function gc(): void {
  // run with --expose-gc (bench/run.ts does); without it heap figures include garbage
  (globalThis as { gc?: () => void }).gc?.();
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

function service(i: number): ServiceInput {
  const ip = `10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
  return {
    metadata: { name: `svc-${i}`, namespace: `ns-${i % 50}` },
    spec: {
      type: 'ClusterIP',
      clusterIP: ip,
      clusterIPs: [ip],
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }],
    },
  };
}

function slice(i: number, endpoints: number, extra = 0): EndpointSliceInput {
  const eps = [];
  for (let e = 0; e < endpoints + extra; e++) {
    const n = i * 16 + e;
    eps.push({
      addresses: [`10.${128 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`],
      nodeName: `node-${e % 4}`,
      conditions: { ready: true },
    });
  }
  return {
    metadata: {
      name: `svc-${i}-abcde`,
      namespace: `ns-${i % 50}`,
      labels: { 'kubernetes.io/service-name': `svc-${i}` },
    },
    addressType: 'IPv4',
    endpoints: eps,
    ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
  };
}

async function main(): Promise<void> {
  const SERVICES = Number(process.env['SERVICES'] ?? 10_000);
  const ENDPOINTS = Number(process.env['ENDPOINTS'] ?? 10);
  const CHANGES = Number(process.env['CHANGES'] ?? 200);
  const child = fork(here, ['fake'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const { socket } = await new Promise<{ socket: string }>((r) =>
    child.once('message', (m) => r(m as { socket: string })),
  );
  const vpp = await connectVpp({ socket, name: 'services-bench', timeoutMs: 60_000 });
  const ask = <T>(m: string): Promise<T> =>
    new Promise((r) => {
      child.once('message', (x) => r(x as T));
      child.send(m);
    });

  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const services = createServices(
    { node: { name: 'node-0', addresses: ['192.168.0.10'] }, serviceCidrs: ['10.96.0.0/12'] },
    { vpp },
  );

  // ---- full sync: objects in, start, first reconcile done ----
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < SERVICES; i++) {
    services.upsertService(service(i));
    services.upsertEndpointSlice(slice(i, ENDPOINTS));
  }
  const tFed = performance.now();
  log(`fed ${SERVICES} services in ${(tFed - t0).toFixed(0)} ms`);
  services.addEventListener(
    'sync:done',
    (e) => log(`sync ${e.detail.mode}: ${e.detail.durationMs.toFixed(0)} ms, ${e.detail.updates} updates`),
    { once: true },
  );
  await services.start();
  log(`started (SNAT set up) at ${(performance.now() - tFed).toFixed(0)} ms`);
  await services.ready();
  const tSynced = performance.now();
  const fullCpu = process.cpuUsage(cpu0);
  log(`programmed in ${(tSynced - tFed).toFixed(0)} ms`);
  const fullCalls = { ...services.vppCalls };
  const heapPeakish = process.memoryUsage().heapUsed;
  gc();
  const heap1 = process.memoryUsage().heapUsed;
  const inVpp = (await ask<{ translations: number }>('count')).translations;

  // ---- single endpoint changes: add one endpoint, then take it away again ----
  const latencies: number[] = [];
  const callsPerChange: number[] = [];
  for (let c = 0; c < CHANGES; c++) {
    // pairs: add one endpoint to a Service, then take it away again
    const i = (Math.floor(c / 2) * 7919) % SERVICES;
    const before = services.vppCalls.cnat_translation_update ?? 0;
    const beforeAll = Object.values(services.vppCalls).reduce((a, b) => a + b, 0);
    const t = performance.now();
    services.upsertEndpointSlice(slice(i, ENDPOINTS, c % 2 === 0 ? 1 : 0));
    const r = await services.sync();
    latencies.push(performance.now() - t);
    callsPerChange.push(Object.values(services.vppCalls).reduce((a, b) => a + b, 0) - beforeAll);
    if (r.updates !== 1 || (services.vppCalls.cnat_translation_update ?? 0) - before !== 1)
      throw new Error(`change ${c}: ${JSON.stringify(r)}`);
  }
  latencies.sort((a, b) => a - b);
  log(`${CHANGES} single changes done`);

  // ---- a restart of ours against the same VPP: reconcile from the dump ----
  await services.stop();
  const again = createServices(
    { node: { name: 'node-0', addresses: ['192.168.0.10'] }, serviceCidrs: ['10.96.0.0/12'] },
    { vpp },
  );
  for (let i = 0; i < SERVICES; i++) {
    again.upsertService(service(i));
    again.upsertEndpointSlice(slice(i, ENDPOINTS, 0));
  }
  const tr = performance.now();
  await again.start();
  const reconcile = await again.sync();
  const reconcileMs = performance.now() - tr;
  const reconcileCalls = { ...again.vppCalls };
  await again.stop();

  // ---- what a full resync sends (every translation again, as a resync-per-change design would) ----
  const resync = new CnatProgrammer(vpp);
  const all = again.programmed();
  const tf = performance.now();
  const byKey = new Map(all.map((t) => [t.key, t]));
  const rs = await resync.apply(byKey.keys(), (k) => byKey.get(k));
  const resyncMs = performance.now() - tf;

  // close our client first, then stop the fake: VPP going away is not what this measures
  await vpp.close();
  child.send('stop');

  // ---- the services side alone: a VPP stub that answers at once (no socket, no fake) ----
  let stubId = 0;
  const stubCalls = { n: 0 };
  const stub = {
    call: async () => {
      stubCalls.n++;
      return { retval: 0, id: stubId++, snat_ip4: '192.168.0.10', snat_ip6: '::' };
    },
    dump: async function* () {},
  } as never;
  gc();
  const sh0 = process.memoryUsage().heapUsed;
  const alone = createServices(
    { node: { name: 'node-0', addresses: ['192.168.0.10'] }, serviceCidrs: ['10.96.0.0/12'] },
    { vpp: stub },
  );
  const ts0 = performance.now();
  const scpu0 = process.cpuUsage();
  for (let i = 0; i < SERVICES; i++) {
    alone.upsertService(service(i));
    alone.upsertEndpointSlice(slice(i, ENDPOINTS));
  }
  await alone.start();
  await alone.ready();
  const aloneMs = performance.now() - ts0;
  const aloneCpu = process.cpuUsage(scpu0);
  const changeCpu0 = process.cpuUsage();
  gc();
  const sh1 = process.memoryUsage().heapUsed;
  const aloneLat: number[] = [];
  for (let c = 0; c < CHANGES; c++) {
    const i = (Math.floor(c / 2) * 7919) % SERVICES;
    const t = performance.now();
    alone.upsertEndpointSlice(slice(i, ENDPOINTS, c % 2 === 0 ? 1 : 0));
    await alone.sync();
    aloneLat.push(performance.now() - t);
  }
  const changeCpu = process.cpuUsage(changeCpu0);
  aloneLat.sort((a, b) => a - b);
  await alone.stop();
  log('services-only run done');

  const result = {
    benchmark: 'services: Services × endpoints → cnat translations against the fake VPP (child process)',
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memGiB: +(totalmem() / 2 ** 30).toFixed(1),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadavg1m: +loadavg()[0]!.toFixed(2),
    },
    sizes: { services: SERVICES, endpointsPerService: ENDPOINTS, translations: inVpp, singleChanges: CHANGES },
    fullSync: {
      totalMs: +(tSynced - t0).toFixed(1),
      feedMs: +(tFed - t0).toFixed(1),
      startToProgrammedMs: +(tSynced - tFed).toFixed(1),
      servicesProcessCpuMs: +((fullCpu.user + fullCpu.system) / 1000).toFixed(1),
      note: 'totalMs is from the first upsert to every translation answered by the fake VPP (a child process, one cnat_translation_update each); servicesProcessCpuMs is this process (services + client) and servicesSideOnly the services alone',
      vppCalls: fullCalls,
      heapUsedMiB: {
        before: +(heap0 / 2 ** 20).toFixed(1),
        afterSyncBeforeGc: +(heapPeakish / 2 ** 20).toFixed(1),
        retainedAfterGc: +(heap1 / 2 ** 20).toFixed(1),
        retainedDelta: +((heap1 - heap0) / 2 ** 20).toFixed(1),
      },
      goal: 'under 2000 ms',
    },
    singleEndpointChange: {
      latencyMs: {
        p50: +percentile(latencies, 50).toFixed(3),
        p90: +percentile(latencies, 90).toFixed(3),
        p99: +percentile(latencies, 99).toFixed(3),
        max: +latencies[latencies.length - 1]!.toFixed(3),
      },
      vppCallsPerChange: { min: Math.min(...callsPerChange), max: Math.max(...callsPerChange) },
      note: 'from upsertEndpointSlice() to sync() resolved, i.e. VPP answered the cnat_translation_update; goal under 5 ms and O(1) calls',
    },
    servicesSideOnly: {
      note: 'the same full sync and changes with a VPP stub answering at once: the cost of translation, tracking and diffing without socket or fake',
      fullSyncMs: +aloneMs.toFixed(1),
      fullSyncCpuMs: +((aloneCpu.user + aloneCpu.system) / 1000).toFixed(1),
      cpuMsPerSingleChange: +((changeCpu.user + changeCpu.system) / 1000 / CHANGES).toFixed(3),
      retainedHeapMiB: +((sh1 - sh0) / 2 ** 20).toFixed(1),
      singleChangeLatencyMs: {
        p50: +percentile(aloneLat, 50).toFixed(3),
        p90: +percentile(aloneLat, 90).toFixed(3),
        p99: +percentile(aloneLat, 99).toFixed(3),
      },
      vppCalls: stubCalls.n,
    },
    restartReconcile: {
      ms: +reconcileMs.toFixed(1),
      vppCalls: reconcileCalls,
      unchanged: reconcile.unchanged,
      updates: reconcile.updates,
      deletes: reconcile.deletes,
    },
    fullResyncComparison: {
      callsOfOneFullResync: rs.updates,
      msOfOneFullResync: +resyncMs.toFixed(1),
      callsOfOneIncrementalChange: Math.max(...callsPerChange),
      ratio: `${rs.updates}:${Math.max(...callsPerChange)}`,
      note: 'a design that resyncs on every change (re-sending every translation) would send this many cnat_translation_update per endpoint change',
    },
  };
  mkdirSync(join(dirname(here), 'results'), { recursive: true });
  writeFileSync(join(dirname(here), 'results', 'sync.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
