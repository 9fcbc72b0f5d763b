/**
 * Where the time of a burst goes: 100 concurrent Adds then Dels against the fake VPP (child process) with the
 * CPU profiler on around each burst; prints VPP calls per pod, netlink requests, state writes and the top
 * functions by self time. Not part of the results file. CNI_PROFILE_SEQUENTIAL=1: one pod at a time.
 *
 *   node --conditions=@vectorplane/source --import tsx bench/profile.ts [outDir]
 */
import { Session } from 'node:inspector/promises';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, type TestNetns } from '@vectorplane/netlink/testing';
import { startBenchEnv } from './env.js';
import { benchRequest } from './request.js';
import { NetlinkHandle } from '@vectorplane/netlink';
import { createCniServer, type CniVpp } from '../src/index.js';

const PODS = Number(process.env['CNI_BENCH_PODS'] ?? 100);
const out = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'cni-prof-'));

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
function top(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }, n = 25): string[] {
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byFn = new Map<string, number>();
  for (const node of profile.nodes) {
    const f = node.callFrame;
    const k = `${f.functionName || '(anon)'} ${f.url.replace(/.*\/(packages|node_modules)\//, '$1/')}:${f.lineNumber}`;
    byFn.set(k, (byFn.get(k) ?? 0) + (self.get(node.id) ?? 0));
  }
  const total = [...byFn.values()].reduce((a, b) => a + b, 0);
  return [...byFn.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => `${(us / 1000).toFixed(1).padStart(7)} ms ${((us / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
}

const env = await startBenchEnv('vpc7p');
const { vpp: raw, vppNs, dir } = env;
const calls = new Map<string, number>();
const vpp: CniVpp = {
  call: ((name: string, fields?: object, opts?: object) => {
    calls.set(name, (calls.get(name) ?? 0) + 1);
    return (raw.call as (n: string, f?: object, o?: object) => Promise<unknown>)(name, fields, opts);
  }) as CniVpp['call'],
  dump: ((name: string, fields?: object, opts?: object) => {
    calls.set(`${name} (dump)`, (calls.get(`${name} (dump)`) ?? 0) + 1);
    return (raw.dump as (n: string, f?: object, o?: object) => AsyncIterable<unknown>)(name, fields, opts);
  }) as CniVpp['dump'],
};
let nlRequests = 0;
let nlBatches = 0;
const origRequest = NetlinkHandle.prototype.request;
NetlinkHandle.prototype.request = function (this: NetlinkHandle, ...a: Parameters<typeof origRequest>) {
  nlRequests++;
  return origRequest.apply(this, a);
};
const origBatch = NetlinkHandle.prototype.batch;
NetlinkHandle.prototype.batch = function (this: NetlinkHandle, ...a: Parameters<typeof origBatch>) {
  nlBatches++;
  nlRequests += a[0].length;
  return origBatch.apply(this, a);
};
const origDump = NetlinkHandle.prototype.dump;
let nlDumps = 0;
NetlinkHandle.prototype.dump = function (this: NetlinkHandle, ...a: Parameters<typeof origDump>) {
  nlDumps++;
  return origDump.apply(this, a);
};
// a pod's kernel work goes through batchIn, which is no handle's: count its exchanges at the addon (the same
// module object the netlink package loaded: Node caches a native module by its path)
const addon = createRequire(import.meta.url)('../../netlink/build/Release/vectorplane_netlink.node') as {
  exchangeIn: (netns: string, wire: Uint8Array, acks: number, timeoutMs: number) => Promise<Buffer>;
};
let nlExchanges = 0;
const origExchange = addon.exchangeIn;
addon.exchangeIn = (netns, wire, acks, timeoutMs) => {
  nlExchanges++;
  nlRequests += acks; // one ACK per request
  return origExchange(netns, wire, acks, timeoutMs);
};

const steps = new Map<string, number[]>();
let writes = 0;
const logger = {
  debug: (o: object, msg?: string) => {
    const s = { ...(o as { steps?: Record<string, number> }).steps, total: (o as { ms?: number }).ms ?? 0 };
    if (msg === 'pod saved')
      steps.set('state save wait', [...(steps.get('state save wait') ?? []), (o as { ms: number }).ms]);
    if (msg === 'pod saved') writes = (o as { writes: number }).writes;
    if (msg === 'pod built') for (const [k, v] of Object.entries(s)) steps.set(k, [...(steps.get(k) ?? []), v]);
  },
  info: () => undefined,
  warn: (o: object, m?: string) => process.stderr.write(`warn ${m} ${JSON.stringify(o)}\n`),
  error: (o: object, m?: string) => process.stderr.write(`error ${m} ${JSON.stringify(o)}\n`),
};
const server = createCniServer(
  {
    stateFile: join(dir, 'state.json'),
    socket: false,
    vppNetns: vppNs.name,
    interfaceMode: 'veth',
    ...(process.env['CNI_BENCH_PARALLEL'] ? { maxParallel: Number(process.env['CNI_BENCH_PARALLEL']) } : {}),
    ...(process.env['CNI_BENCH_PARALLEL_DEL'] ? { maxParallelDel: Number(process.env['CNI_BENCH_PARALLEL_DEL']) } : {}),
  },
  { vpp, logger },
);
const req = benchRequest;
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 200 });
try {
  await server.start();
  const nss = await Promise.all(Array.from({ length: PODS }, () => createNetns('vpc7p')));
  await server.add(req(nss[0]!, '10.90.255.1'));
  await server.del({ netns: nss[0]!.path, interface_name: 'eth0' });
  for (const phase of ['add', 'del'] as const) {
    calls.clear();
    steps.clear();
    nlRequests = nlBatches = nlDumps = nlExchanges = 0;
    const cpu0 = process.cpuUsage();
    await session.post('Profiler.start');
    const t0 = performance.now();
    const one = async (ns: TestNetns, i: number): Promise<number> => {
      const t = performance.now();
      const r =
        phase === 'add'
          ? await server.add(req(ns, `10.90.${i >> 8}.${(i & 255) + 1}`))
          : await server.del({ netns: ns.path, interface_name: 'eth0' });
      if (!r.successful) throw new Error(r.error_message);
      return performance.now() - t;
    };
    // CNI_PROFILE_SEQUENTIAL=1: one pod at a time (the CPU of one Add without a burst's batching)
    const lat: number[] = [];
    if (process.env['CNI_PROFILE_SEQUENTIAL']) for (const [i, ns] of nss.entries()) lat.push(await one(ns, i));
    else lat.push(...(await Promise.all(nss.map(one))));
    const wall = performance.now() - t0;
    const { profile } = await session.post('Profiler.stop');
    const cpu = process.cpuUsage(cpu0);
    writeFileSync(join(out, `${phase}.cpuprofile`), JSON.stringify(profile));
    lat.sort((a, b) => a - b);
    process.stdout.write(
      `\n== ${phase} ×${PODS}: wall ${wall.toFixed(0)} ms p50 ${lat[Math.floor(PODS / 2)]!.toFixed(0)} p99 ${lat[PODS - 1]!.toFixed(0)}; cpu user ${(cpu.user / 1000).toFixed(0)} sys ${(cpu.system / 1000).toFixed(0)} ms\n`,
    );
    process.stdout.write(
      `VPP calls per pod: ${[...calls.values()].reduce((a, b) => a + b, 0) / PODS}  ${JSON.stringify(Object.fromEntries(calls))}\n`,
    );
    process.stdout.write(
      `netlink per pod: requests ${nlRequests / PODS}, batchIn exchanges ${nlExchanges / PODS}, handle batches ${nlBatches / PODS}, dumps ${nlDumps / PODS}; state writes so far ${writes}\n`,
    );
    for (const [k, v] of steps) {
      v.sort((a, b) => a - b);
      process.stdout.write(
        `  step ${k.padEnd(40)} p50 ${v[Math.floor(v.length / 2)]!.toFixed(1)} max ${v[v.length - 1]!.toFixed(1)}\n`,
      );
    }
    process.stdout.write(`${top(profile as never).join('\n')}\n`);
  }
} finally {
  await server.stop();
  await env.close();
}
