/**
 * Timeline of one burst: when each pod was admitted, built and saved (ms from the burst's start), for one
 * admission (`CNI_BENCH_PARALLEL`: a number or auto). Prints a few quantiles of each. Not part of the results file.
 *
 *   node --conditions=@vectorplane/source --import tsx bench/timeline.ts
 */
import { join } from 'node:path';
import { createNetns } from '@vectorplane/netlink/testing';
import { startBenchEnv } from './env.js';
import { benchRequest } from './request.js';
import { createCniServer, type CniServer } from '../src/index.js';

const PODS = Number(process.env['CNI_BENCH_PODS'] ?? 100);
const par = process.env['CNI_BENCH_PARALLEL'] ?? 'auto';
const maxParallel = par === 'auto' ? ('auto' as const) : Number(par);
const env = await startBenchEnv('vpc7t');
const { vpp, vppNs, dir } = env;
let t0 = 0;
const built = new Map<string, { start: number; end: number }>();
const saved = new Map<string, number>();
const logger = {
  debug: (o: object, msg?: string) => {
    const now = performance.now() - t0;
    const r = o as { pod: string; ms: number };
    if (msg === 'pod built') built.set(r.pod, { start: now - r.ms, end: now });
    if (msg === 'pod saved') saved.set(r.pod, now);
  },
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
const mk = (): CniServer =>
  createCniServer(
    { stateFile: join(dir, 's.json'), socket: false, vppNetns: vppNs.name, interfaceMode: 'veth', maxParallel },
    { vpp, logger },
  );
const req = benchRequest;
const server = mk();
try {
  await server.start();
  const nss = await Promise.all(Array.from({ length: PODS }, () => createNetns('vpc7t')));
  for (let round = 0; round < 4; round++) {
    built.clear();
    saved.clear();
    t0 = performance.now();
    const doneAt = new Map<string, number>();
    const done = await Promise.all(
      nss.map(async (ns, i) => {
        await server.add(req(ns, `10.77.${round}.${i + 1}`));
        doneAt.set(`${ns.path}\u0000eth0`, performance.now() - t0);
        return performance.now() - t0;
      }),
    );
    if (process.env['CNI_TL_PODS'])
      for (const [k, b] of [...built.entries()].sort((x, y) => x[1].start - y[1].start))
        process.stdout.write(
          `    ${b.start.toFixed(0)} ${b.end.toFixed(0)} ${saved.get(k)?.toFixed(0)} ${doneAt.get(k)?.toFixed(0)}\n`,
        );
    const wall = performance.now() - t0;
    await Promise.all(nss.map((ns) => server.del({ netns: ns.path, interface_name: 'eth0' })));
    await new Promise((r) => setTimeout(r, 400)); // the veths of the Dels are gone before the next round
    const q = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return [0, 10, 25, 50, 75, 90, 99]
        .map((p) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(0))
        .join(' ');
    };
    const b = [...built.values()];
    process.stdout.write(
      `round ${round} (${par}): wall ${wall.toFixed(0)}\n  admitted  ${q(b.map((x) => x.start))}\n  built     ${q(b.map((x) => x.end))}\n  build ms  ${q(b.map((x) => x.end - x.start))}\n  save wait ${q([...saved.entries()].map(([k, t]) => t - built.get(k)!.end))}\n  done      ${q(done)}\n`,
    );
  }
} finally {
  await server.stop();
  await env.close();
}
