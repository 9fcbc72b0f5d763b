/**
 * Steady-state bursts for A/B comparisons (not part of the results file): one long-lived server, AB_WARM warm-up
 * bursts of 100 Adds (default admission) then AB_N measured ones, each burst's Dels and their veths gone before the
 * next; prints medians of wall, p50, p99, the Dels' wall, and CPU per pod by thread (main, the others by name, or
 * by tid with AB_TID=1) and of the fake VPP. Run it from two trees in alternation to compare code (the
 * old-against-new figures in the README came from it). AB_RESTART=1: a new server per burst; AB_GC=1: a forced
 * full GC before each burst (what made the results bench pay half as much again in scavenges);
 * PERF_CTL=<fifo>: sends enable/disable to `perf record --control=fifo:<fifo> -D -1` around each measured Add burst.
 *
 *   node --expose-gc --conditions=@vectorplane/source --import tsx bench/ab.ts
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNetns } from '@vectorplane/netlink/testing';
import { startBenchEnv, vethsGone } from './env.js';
import { benchRequest } from './request.js';
import { createCniServer } from '../src/index.js';

const PODS = Number(process.env['CNI_BENCH_PODS'] ?? 100);
const WARM = Number(process.env['AB_WARM'] ?? 6);
const N = Number(process.env['AB_N'] ?? 12);
const ctl = process.env['PERF_CTL'];
const perf = (cmd: string) => ctl && writeFileSync(ctl, `${cmd}\n`);
const env = await startBenchEnv('vpc7a', { maxInFlight: 2048 });
const { testVpp, vpp, vppNs, dir } = env;
const mk = () =>
  createCniServer(
    {
      stateFile: join(dir, 'state.json'),
      socket: false,
      vppNetns: vppNs.name,
      interfaceMode: 'veth',
      hostIfPrefix: 'vpc7h',
    },
    { vpp },
  );
let server = mk();
const threads = (): Map<string, number> => {
  const m = new Map<string, number>();
  for (const t of readdirSync(`/proc/${process.pid}/task`)) {
    try {
      const f = readFileSync(`/proc/${process.pid}/task/${t}/stat`, 'utf8').split(') ')[1]!.split(' ');
      const name = readFileSync(`/proc/${process.pid}/task/${t}/comm`, 'utf8').trim();
      const k = t === String(process.pid) ? 'main' : process.env['AB_TID'] ? `${name}:${t}` : name;
      m.set(k, (m.get(k) ?? 0) + (Number(f[11]) + Number(f[12])) * 10);
    } catch {
      // a thread that ended meanwhile
    }
  }
  const v = readFileSync(`/proc/${testVpp.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  m.set('VPP', (Number(v[11]) + Number(v[12])) * 10);
  return m;
};
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
try {
  await server.start();
  const nss = await Promise.all(Array.from({ length: PODS }, () => createNetns('vpc7a')));
  const res: { wall: number; p50: number; p99: number; del: number }[] = [];
  const cpu = new Map<string, number>();
  for (let r = 0; r < WARM + N; r++) {
    const measured = r >= WARM;
    if (process.env['AB_RESTART']) {
      await server.stop();
      server = mk();
      await server.start();
    }
    if (process.env['AB_GC']) (globalThis as { gc?: () => void }).gc?.();
    const c0 = threads();
    if (measured) perf('enable');
    const t0 = performance.now();
    const lat = await Promise.all(
      nss.map(async (ns, i) => {
        const t = performance.now();
        const x = await server.add(benchRequest(ns, `10.${100 + (r % 100)}.${i >> 8}.${(i & 255) + 1}`));
        if (!x.successful) throw new Error(x.error_message);
        return performance.now() - t;
      }),
    );
    const wall = performance.now() - t0;
    if (measured) perf('disable');
    const c1 = threads();
    const t1 = performance.now();
    await Promise.all(nss.map((ns) => server.del({ netns: ns.path, interface_name: 'eth0' })));
    const del = performance.now() - t1;
    lat.sort((a, b) => a - b);
    if (measured) {
      res.push({ wall, p50: lat[PODS / 2 - 1]!, p99: lat[PODS - 1]!, del });
      for (const [k, v] of c1) cpu.set(k, (cpu.get(k) ?? 0) + v - (c0.get(k) ?? 0));
    }
    await vethsGone(vppNs.nl, 'vpc7h');
  }
  const f = (x: number) => x.toFixed(1);
  console.log(
    `median of ${N}: wall ${f(med(res.map((r) => r.wall)))} p50 ${f(med(res.map((r) => r.p50)))} p99 ${f(med(res.map((r) => r.p99)))} del ${f(med(res.map((r) => r.del)))}`,
  );
  console.log('p50s', res.map((r) => f(r.p50)).join(' '));
  console.log(
    'cpu ms/pod',
    [...cpu.entries()]
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k}=${(v / N / PODS).toFixed(3)}`)
      .join(' '),
  );
} finally {
  await server.stop();
  await env.close();
}
