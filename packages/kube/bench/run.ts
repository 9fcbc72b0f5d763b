/**
 * `npm run bench`: 10,000 Services + 10,000 EndpointSlices from the test API server (a child process, so the
 * heap measured is the client's) into two API-server-source streams. Records the time to `synced` for both,
 * the heap after sync, and events/s for a burst of 10,000 modifications; writes bench/results/sync-10k.json.
 * A benchmark, not a test: it never fails on time. Run with --expose-gc for a settled heap figure.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { createApiServerSource, type ResourceEvent } from '../src/index.js';
import { kubeconfigFor } from '../src/testing/index.js';

const N = Number(process.env['KUBE_BENCH_N'] ?? 10_000);
const here = dirname(fileURLToPath(import.meta.url));

function objects(): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < N; i++) {
    const ns = `ns-${i % 50}`;
    const name = `svc-${i}`;
    const ip = `10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: ns, labels: { app: name } },
      spec: {
        type: 'ClusterIP',
        clusterIP: ip,
        clusterIPs: [ip],
        selector: { app: name },
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
      },
    });
    out.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-abcde`, namespace: ns, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints: [0, 1, 2].map((k) => ({
        addresses: [`10.244.${k}.${i & 255}`],
        conditions: { ready: true, serving: true, terminating: false },
        nodeName: `node-${k}`,
      })),
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
  }
  return out;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kub-bench-'));
  const load = join(dir, 'load');
  mkdirSync(load);
  writeFileSync(join(load, 'objects.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects() }));
  const bin = join(here, '..', 'bin', 'kube-test-apiserver.js'); // the package's bin (dist when built, else source)
  const child = spawn(process.execPath, [bin, '--port', '0', '--load', load], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    while (!/loaded \d+/.test(out)) {
      if (child.exitCode !== null) throw new Error(`kube-test-apiserver exited: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const url = /listening on (\S+)/.exec(out)?.[1] as string;
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigFor(url));

    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const source = createApiServerSource({ kubeConfig: kc });
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const counts = { Service: 0, EndpointSlice: 0 };
    const syncedAt: Record<string, number> = {};
    const modified = { n: 0 };
    let burstDone: (() => void) | undefined;
    const consume = async (kind: 'Service' | 'EndpointSlice'): Promise<void> => {
      for await (const ev of source.stream(kind) as AsyncIterable<ResourceEvent<unknown>>) {
        if (ev.type === 'added') counts[kind]++;
        else if (ev.type === 'synced') syncedAt[kind] = performance.now() - t0;
        else if (ev.type === 'modified' && kind === 'Service') {
          if (++modified.n === N) burstDone?.();
        } else if (ev.type === 'error') throw ev.error;
      }
    };
    const running = Promise.all([consume('Service'), consume('EndpointSlice')]);
    while (syncedAt['Service'] === undefined || syncedAt['EndpointSlice'] === undefined)
      await new Promise((r) => setTimeout(r, 1));
    const syncMs = performance.now() - t0;
    const syncCpu = process.cpuUsage(cpu0);
    const heapAfterSyncNoGc = process.memoryUsage().heapUsed;
    gc?.();
    const mem = process.memoryUsage();

    // Burst: the server modifies N Services at once; measure until the stream has delivered all N.
    while (source.stats.watches < 2) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 200));
    const burst = new Promise<void>((resolve) => (burstDone = resolve));
    const t1 = performance.now();
    const cpu1 = process.cpuUsage();
    const res = await fetch(`${url}/_vectorplane/touch?apiVersion=v1&kind=Service&count=${N}`, { method: 'POST' });
    if (!res.ok) throw new Error(`touch: ${res.status}`);
    await burst;
    const burstMs = performance.now() - t1;
    const burstCpu = process.cpuUsage(cpu1);
    const cpuMs = (u: NodeJS.CpuUsage): number => Math.round((u.user + u.system) / 1000);
    await source.close();
    await running;

    const cpu = cpus();
    const result = {
      date: new Date().toISOString(),
      machine: {
        cpu: cpu[0]?.model ?? 'unknown',
        cpus: cpu.length,
        node: process.version,
        totalMemMB: Math.round(totalmem() / 2 ** 20),
        loadavg: loadavg(),
      },
      objects: { services: counts.Service, endpointSlices: counts.EndpointSlice },
      sync: {
        ms: Math.round(syncMs),
        serviceSyncedMs: Math.round(syncedAt['Service'] ?? 0),
        endpointSliceSyncedMs: Math.round(syncedAt['EndpointSlice'] ?? 0),
        goalMs: 2000,
        /** CPU time of this (client) process during the sync: less sensitive to a loaded machine than wall time. */
        clientCpuMs: cpuMs(syncCpu),
      },
      heap: {
        gcExposed: gc !== undefined,
        heapUsedMB: +(mem.heapUsed / 2 ** 20).toFixed(1),
        heapUsedBeforeMB: +(heapBefore / 2 ** 20).toFixed(1),
        heapUsedAfterSyncNoGcMB: +(heapAfterSyncNoGc / 2 ** 20).toFixed(1),
        rssMB: +(mem.rss / 2 ** 20).toFixed(1),
        goalMB: 200,
      },
      burst: {
        modifications: N,
        ms: Math.round(burstMs),
        eventsPerSecond: Math.round(N / (burstMs / 1000)),
        clientCpuMs: cpuMs(burstCpu),
      },
      setup:
        'server: kube-test-apiserver child process on loopback; client: createApiServerSource (client-node 1.4.0 list + Watch), zod validation of every object',
    };
    mkdirSync(join(here, 'results'), { recursive: true });
    writeFileSync(join(here, 'results', 'sync-10k.json'), JSON.stringify(result, null, 2) + '\n');
    console.log(JSON.stringify(result, null, 2));
  } finally {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
