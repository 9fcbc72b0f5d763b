/**
 * Codec throughput: encode and decode ops/s for `ip_route_add_del` with 2 paths and for
 * `sw_interface_details`, on messages taken from the golden captures, with the bindings of all three
 * VPP releases loaded (25.10, 26.02, 26.06), plus the per-message lookups the client does with three
 * releases bound. The same cases run in the same process on a baseline: the package's `src/` at
 * `BASELINE_REF` (before the three releases; `--baseline <git ref>` or `VPP_BENCH_BASELINE` to change,
 * `--baseline none` to skip), taken with `git archive` into a temporary directory; the rounds of
 * baseline and current alternate, so both see the same machine load. Writes bench/results/codec.json.
 * A benchmark, not a test: it never fails on time.
 *
 *   npx tsx bench/codec.ts [--baseline <ref>|none]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fromHex, toHex, type AnyMessageDef } from '../src/codec/index.js';
import * as current from '../src/generated/index.js';
import { allReleasesBindings, releaseBindings } from '../src/client/releases.js';

/** The last commit before the bindings spoke three releases (and before the f64 byte-order fix). */
export const BASELINE_REF = '0851708';

// ip_route_add_del, 10.30.0.0/24 via 10.10.0.2 and 10.10.0.3 (golden frame 32)
const ROUTE_2_PATHS =
  '025c800000010000000d01010000000000000000000a1e0000000000000000000000000000180200000001000000000000000001000000000000000000000000000a0a0002000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001000000000000000001000000000000000000000000000a0a00030000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000';
// sw_interface_details for loop0 (golden frame 90)
const SW_IF_DETAILS =
  '017f00000020000000010000000102000000000100000000000000000000000000000000232800002328000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000006c6f6f703000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004c6f6f706261636b00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000006d61696e2d6574683000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000';

export interface CaseResult {
  name: string;
  /** Operations per wall-clock second, best of the rounds. */
  opsPerSec: number;
  /** Operations per second of this process's CPU time, best of the rounds (robust when the machine is shared). */
  opsPerCpuSec: number;
  iterations: number;
  rounds: number;
  /** `opsPerSec >= target.opsPerSec` (informational: a benchmark never fails on time). */
  meetsTarget: boolean;
  /** The same case on the baseline, measured in alternating rounds with this one. */
  baseline?: { opsPerSec: number; opsPerCpuSec: number; iterations: number };
  /** `opsPerCpuSec / baseline.opsPerCpuSec - 1`, in percent (negative: slower than the baseline). */
  changePercent?: number;
}

export interface CodecBenchResult {
  bench: 'codec';
  date: string;
  machine: { cpu: string; cores: number; node: string; platform: string; loadavg: number[] };
  /** The goal from issue 2: at least this many encode and decode ops/s per case, on this machine. */
  target: { opsPerSec: number };
  /** The releases bound in the current code, and the baseline it is compared with. */
  releases: readonly string[];
  baseline: { ref: string; commit: string } | null;
  cases: CaseResult[];
}

/** Issue 2: ≥ 2 M/s encode and decode each, for ip_route_add_del (2 paths) and sw_interface_details. */
export const TARGET_OPS_PER_SEC = 2_000_000;

const ROUNDS = 7;
const ROUND_MS = 300;

/**
 * A fresh loop per case: a shared loop would collect type feedback from every case and time the
 * later ones with code optimised for the earlier ones.
 */
function loopFor(fn: () => unknown): (n: number) => unknown {
  return new Function('fn', 'return function loop(n) { let s; for (let i = 0; i < n; i++) s = fn(); return s; };')(
    fn,
  ) as (n: number) => unknown;
}

interface Best {
  wall: number;
  cpu: number;
  iterations: number;
}

function round(loop: (n: number) => unknown, best: Best): unknown {
  let iterations = 0;
  let sink: unknown;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let wall = 0;
  while (wall < ROUND_MS) {
    sink = loop(20_000);
    iterations += 20_000;
    wall = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  best.wall = Math.max(best.wall, (iterations / wall) * 1000);
  best.cpu = Math.max(best.cpu, (iterations / cpuMs) * 1000);
  best.iterations += iterations;
  return sink;
}

/** Measures `fn`, and `base` (the baseline's same case) in alternating rounds when given. */
function measure(name: string, fn: () => unknown, base?: () => unknown): CaseResult {
  const loop = loopFor(fn);
  const baseLoop = base ? loopFor(base) : undefined;
  // warm-up so the optimising compiler has seen the code
  loop(50_000);
  baseLoop?.(50_000);
  const cur: Best = { wall: 0, cpu: 0, iterations: 0 };
  const old: Best = { wall: 0, cpu: 0, iterations: 0 };
  const sinks: unknown[] = [];
  // alternate which goes first, so neither always runs right after the other's garbage
  for (let r = 0; r < ROUNDS; r++) {
    if (baseLoop && r % 2 === 1) sinks.push(round(baseLoop, old));
    sinks.push(round(loop, cur));
    if (baseLoop && r % 2 === 0) sinks.push(round(baseLoop, old));
  }
  if (sinks.includes(Symbol.for('never'))) console.log(sinks);
  const opsPerSec = Math.round(cur.wall);
  const out: CaseResult = {
    name,
    opsPerSec,
    opsPerCpuSec: Math.round(cur.cpu),
    iterations: cur.iterations,
    rounds: ROUNDS,
    meetsTarget: opsPerSec >= TARGET_OPS_PER_SEC,
  };
  if (baseLoop) {
    out.baseline = { opsPerSec: Math.round(old.wall), opsPerCpuSec: Math.round(old.cpu), iterations: old.iterations };
    out.changePercent = Math.round((cur.cpu / old.cpu - 1) * 1000) / 10;
  }
  return out;
}

/** What a case needs from a set of bindings (the current ones or the baseline's). */
interface Bindings {
  messagesByName: ReadonlyMap<string, AnyMessageDef>;
  messagesByNameCrc: ReadonlyMap<string, AnyMessageDef>;
  create_fib_path: () => Record<string, unknown> & { nh: object };
}

/** The cases, as functions of the bindings they run on. */
function caseFns(b: Bindings): { name: string; fn: () => unknown }[] {
  const route = b.messagesByName.get('ip_route_add_del')!;
  const details = b.messagesByName.get('sw_interface_details')!;
  const built = callerRoute(route, b.create_fib_path);
  // the caller-built route is the captured one, byte for byte
  if (toHex(route.encode(built)) !== ROUTE_2_PATHS) throw new Error('caller-built route differs from the capture');
  const out: { name: string; fn: () => unknown }[] = [
    { name: 'ip_route_add_del (2 paths) encode (caller-built message)', fn: () => route.encode(built) },
  ];
  for (const [label, def, hex] of [
    ['ip_route_add_del (2 paths)', route, ROUTE_2_PATHS],
    ['sw_interface_details', details, SW_IF_DETAILS],
  ] as const) {
    const bytes = fromHex(hex);
    const msg = def.decode(bytes) as object;
    const buf = new Uint8Array(def.size(msg) + 64);
    out.push(
      { name: `${label} encode (decoded message)`, fn: () => def.encode(msg) },
      { name: `${label} encodeInto (reused buffer)`, fn: () => def.encodeInto(msg, buf, 16) },
      { name: `${label} decode`, fn: () => def.decode(bytes) },
    );
  }
  // the other hot messages: a service with two backends (what the services package programs) and
  // control_ping (every dump ends with one), built with create() so every binding set encodes the same
  const cnat = b.messagesByName.get('cnat_translation_update')!;
  const ep = (addr: string, port: number): object => ({ addr, sw_if_index: 0xffffffff, if_af: 0, port });
  const cnatMsg = cnat.create({
    context: 7,
    translation: {
      vip: ep('10.96.0.10', 53),
      id: 0,
      ip_proto: 17,
      is_real_ip: 0,
      flags: 0,
      lb_type: 0,
      flow_hash_config: 0,
      paths: [
        { dst_ep: ep('10.1.0.5', 53), src_ep: ep('0.0.0.0', 0), flags: 0 },
        { dst_ep: ep('10.1.1.7', 53), src_ep: ep('0.0.0.0', 0), flags: 0 },
      ],
    },
  } as never) as object;
  const ping = b.messagesByName.get('control_ping')!;
  const pingMsg = ping.create({ _vl_msg_id: 0x10, client_index: 1, context: 9 } as never) as object;
  const pingReply = b.messagesByName.get('control_ping_reply')!;
  const pingReplyBytes = pingReply.encode(pingReply.create({ _vl_msg_id: 0x11, context: 9, vpe_pid: 42 } as never));
  const cnatBytes = cnat.encode(cnatMsg);
  out.push(
    { name: 'cnat_translation_update (2 backends) encode', fn: () => cnat.encode(cnatMsg) },
    { name: 'cnat_translation_update (2 backends) decode', fn: () => cnat.decode(cnatBytes) },
    { name: 'control_ping encode', fn: () => ping.encode(pingMsg) },
    { name: 'control_ping_reply decode', fn: () => pingReply.decode(pingReplyBytes) },
  );
  // what the client does per message: find the definition by wire name (at connect, per table entry)
  // and by name (per request), then build and encode the request
  const wire = route.nameCrc;
  const init = { is_add: true, is_multipath: true, route: built['route'] };
  out.push(
    { name: 'wire name → definition (message table entry)', fn: () => b.messagesByNameCrc.get(wire) },
    {
      name: 'ip_route_add_del by name: create + encode (client request)',
      fn: () =>
        b.messagesByName.get('ip_route_add_del')!.encode(b.messagesByName.get('ip_route_add_del')!.create(init)),
    },
  );
  return out;
}

/** The same route as a caller builds it: create() defaults, next hops given as ip4 only. */
function callerRoute(def: AnyMessageDef, createPath: Bindings['create_fib_path']): Record<string, unknown> {
  const path = (ip4: string): object => ({
    ...createPath(),
    sw_if_index: 1,
    weight: 1,
    nh: { ...createPath().nh, address: { ip4 } },
  });
  return def.create({
    _vl_msg_id: 0x025c,
    client_index: 0x80000001,
    context: 13,
    is_add: true,
    is_multipath: true,
    route: { table_id: 0, stats_index: 0, prefix: '10.30.0.0/24', paths: [path('10.10.0.2'), path('10.10.0.3')] },
  }) as Record<string, unknown>;
}

/** The baseline's generated bindings, from `git archive <ref>` of the package's src/; undefined for `none`. */
async function loadBaseline(ref: string): Promise<{ bindings: Bindings; commit: string; cleanup(): void } | undefined> {
  if (ref === 'none') return undefined;
  const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const root = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: pkg, encoding: 'utf8' }).trim();
  const prefix = execFileSync('git', ['rev-parse', '--show-prefix'], { cwd: pkg, encoding: 'utf8' }).trim();
  const commit = execFileSync('git', ['rev-parse', `${ref}^{commit}`], { cwd: root, encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'vpp-binapi-baseline-'));
  const tar = execFileSync('git', ['archive', commit, `${prefix}src`], { cwd: root, maxBuffer: 256 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  // an ES module package like ours: without it tsx would load the copy as CommonJS, whose imports go
  // through getters (2-3x slower, which would measure the loader and not the code)
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  const mod = (await import(pathToFileURL(join(dir, prefix, 'src', 'generated', 'index.ts')).href)) as Bindings;
  return { bindings: mod, commit, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs every case (beside the baseline's) and writes bench/results/codec.json; returns the results. */
export async function run(
  out = resolve(dirname(fileURLToPath(import.meta.url)), 'results', 'codec.json'),
  baselineRef = BASELINE_REF,
): Promise<CodecBenchResult> {
  // three releases bound: the client's default bindings hold every release's definitions
  if (allReleasesBindings.releases?.length !== 3) throw new Error('expected three releases bound');
  for (const r of current.releases) releaseBindings(r);
  const cur = caseFns(current as unknown as Bindings);
  const base = await loadBaseline(baselineRef);
  try {
    const old = base ? new Map(caseFns(base.bindings).map((c) => [c.name, c.fn])) : undefined;
    const result: CodecBenchResult = {
      bench: 'codec',
      date: new Date().toISOString(),
      machine: {
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
      },
      target: { opsPerSec: TARGET_OPS_PER_SEC },
      releases: current.releases,
      baseline: base ? { ref: baselineRef, commit: base.commit } : null,
      cases: cur.map((c) => measure(c.name, c.fn, old?.get(c.name))),
    };
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
    return result;
  } finally {
    base?.cleanup();
  }
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await run(undefined, argValue('--baseline') ?? process.env['VPP_BENCH_BASELINE'] ?? BASELINE_REF);
  const fmt = (n: number): string => n.toLocaleString('en-US').padStart(12);
  console.log(
    `releases bound: ${r.releases.join(', ')}; baseline: ${r.baseline ? `${r.baseline.ref} (${r.baseline.commit.slice(0, 12)})` : 'none'}`,
  );
  for (const c of r.cases) {
    const base = c.baseline
      ? `  baseline ${fmt(c.baseline.opsPerSec)} ops/s ${fmt(c.baseline.opsPerCpuSec)} ops/cpu-s  ${(c.changePercent! >= 0 ? '+' : '') + c.changePercent!.toFixed(1)}%`
      : '';
    console.log(`${c.name.padEnd(60)} ${fmt(c.opsPerSec)} ops/s  ${fmt(c.opsPerCpuSec)} ops/cpu-s${base}`);
  }
  console.log(`wrote ${join('bench', 'results', 'codec.json')}`);
}
