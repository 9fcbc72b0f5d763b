/**
 * Round trips per second of VppClient against the fake VPP, sequential (one request at a time) and
 * pipelined (64 in flight), for `control_ping` and `sw_interface_set_flags`. The fake runs in a child
 * process so client and fake each have their own core and their CPU time can be told apart; a second
 * run with the fake in the same process shows what sharing one thread costs. Writes
 * bench/results/roundtrip.json with the machine and the bottleneck. A benchmark, not a test.
 *
 *   npx tsx bench/roundtrip.ts
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectVpp, type VppApi } from '../src/client/connect.js';
import { SOCKCLNT_CREATE_ID, SOCKCLNT_CREATE_REPLY_ID, type VppClient } from '../src/client/client.js';
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { FRAME_HEADER_SIZE, FrameDecoder, frame } from '../src/codec/frame.js';
import { messagesByName } from '../src/generated/index.js';
import { startFakeVpp } from '../src/testing/index.js';

const here = fileURLToPath(import.meta.url);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 2);

interface Cpu {
  user: number;
  system: number;
}

interface FakeHandle {
  socket: string;
  cpu(): Promise<Cpu | undefined>;
  stop(): Promise<void>;
}

/**
 * The cheapest possible peer: answers the handshake, then every request with a pre-encoded reply whose
 * context is patched in. Shows the client's own ceiling, whatever the fake costs.
 */
async function startEchoPeer(): Promise<{ socketPath: string; stop(): Promise<void> }> {
  const socketPath = join(mkdtempSync(join(tmpdir(), 'echo-vpp-')), 'api.sock');
  const names = ['sockclnt_create', 'sockclnt_create_reply', 'sockclnt_delete', 'sockclnt_delete_reply', 'control_ping', 'control_ping_reply', 'sw_interface_set_flags', 'sw_interface_set_flags_reply', 'create_loopback', 'create_loopback_reply'];
  const ids = new Map(names.map((n, i) => [n, n === 'sockclnt_create' ? SOCKCLNT_CREATE_ID : n === 'sockclnt_create_reply' ? SOCKCLNT_CREATE_REPLY_ID : 100 + i]));
  const table = names.map((n) => ({ index: ids.get(n)!, name: messagesByName.get(n)!.nameCrc }));
  const replyFor = new Map<number, { bytes: Uint8Array; ctx: number }>();
  for (const [req, rep] of [['sockclnt_delete', 'sockclnt_delete_reply'], ['control_ping', 'control_ping_reply'], ['sw_interface_set_flags', 'sw_interface_set_flags_reply'], ['create_loopback', 'create_loopback_reply']] as const) {
    const def = messagesByName.get(rep)!;
    replyFor.set(ids.get(req)!, { bytes: frame(def.encode(def.create({ _vl_msg_id: ids.get(rep), sw_if_index: 1 } as never))), ctx: FRAME_HEADER_SIZE + def.contextOffset });
  }
  const handshake = messagesByName.get('sockclnt_create_reply')!;
  const server = createServer((sock) => {
    const dec = new FrameDecoder();
    sock.on('error', () => {});
    sock.on('data', (chunk) => {
      const out: Uint8Array[] = [];
      for (const p of dec.push(chunk).payloads) {
        const id = (p[0]! << 8) | p[1]!;
        if (id === SOCKCLNT_CREATE_ID) {
          const ctx = new DataView(p.buffer, p.byteOffset).getUint32(2);
          out.push(frame(handshake.encode(handshake.create({ _vl_msg_id: SOCKCLNT_CREATE_REPLY_ID, context: ctx, index: 1, count: table.length, message_table: table } as never))));
          continue;
        }
        const r = replyFor.get(id);
        if (!r) continue;
        const b = Buffer.from(r.bytes);
        b.set(p.subarray(6, 10), r.ctx); // requests carry context at payload offset 6
        out.push(b);
      }
      if (out.length) sock.write(Buffer.concat(out));
    });
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  return { socketPath, stop: () => new Promise<void>((r) => server.close(() => r())) };
}

async function childFake(kind: 'fake' | 'echo'): Promise<FakeHandle> {
  const child: ChildProcess = fork(here, ['--fake-child', kind], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const socket = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { socket: string }).socket));
    child.once('exit', (code) => reject(new Error(`fake child exited with ${code}`)));
  });
  return {
    socket,
    cpu: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve((m as { cpu: Cpu }).cpu));
        child.send('cpu');
      }),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.send('stop');
      }),
  };
}

async function inProcessFake(): Promise<FakeHandle> {
  const fake = await startFakeVpp();
  return { socket: fake.socketPath, cpu: async () => undefined, stop: () => fake.stop() };
}

type Op = (vpp: VppClient<VppApi>) => Promise<unknown>;
const OPS: Record<string, Op> = {
  control_ping: (vpp) => vpp.call('control_ping'),
  sw_interface_set_flags: (vpp) => vpp.call('sw_interface_set_flags', { sw_if_index: 1, flags: 1 }),
};

interface Result {
  message: string;
  inFlight: number;
  fake: 'child-process' | 'same-process' | 'echo-peer-child-process';
  roundTrips: number;
  seconds: number;
  roundTripsPerSec: number;
  /** CPU of the client process as a share of one core over the run (with the fake inside, for same-process). */
  clientCpuPct: number;
  /** CPU of the fake's process as a share of one core; absent when it shares the client's process. */
  fakeCpuPct?: number;
  /** Client CPU microseconds per round trip. */
  clientCpuUsPerRoundTrip: number;
  fakeCpuUsPerRoundTrip?: number;
  /** Where the client process's CPU samples went (V8 sampling profile of this case), % of non-idle samples. */
  clientProfile?: Record<string, number>;
}

/** Runs `fn` under V8's sampling profiler and splits the non-idle self time into categories. */
async function profiled<T>(fn: () => Promise<T>): Promise<{ value: T; profile: Record<string, number> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const value = await fn();
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const deltas = profile.timeDeltas ?? [];
  (profile.samples ?? []).forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0)));
  const cats = new Map<string, number>();
  let total = 0;
  for (const [id, t] of self) {
    const { url, functionName } = byId.get(id)!.callFrame;
    let cat: string;
    if (functionName === '(idle)') continue;
    if (url.includes('/src/client/')) cat = 'client (src/client)';
    else if (url.includes('/src/codec/') || url.includes('/src/generated/')) cat = 'codec (encode/decode, framing)';
    else if (['writev', 'writeBuffer', 'writeUtf8String', 'onStreamRead'].includes(functionName) || url.includes('stream_base_commons')) cat = 'socket I/O (native writes/reads)';
    else if (functionName === '(garbage collector)') cat = 'garbage collection';
    else if (url.includes('/bench/')) cat = 'benchmark loop';
    else if (url.startsWith('node:')) cat = 'node internals (streams, timers, buffers, promises)';
    else cat = 'other (microtasks, program)';
    cats.set(cat, (cats.get(cat) ?? 0) + t);
    total += t;
  }
  const out: Record<string, number> = {};
  for (const [k, v] of [...cats].sort((a, b) => b[1] - a[1])) out[k] = round((v / total) * 100, 1);
  return { value, profile: out };
}

async function measure(vpp: VppClient<VppApi>, fake: FakeHandle, message: string, inFlight: number, mode: Result['fake']): Promise<Result> {
  const op = OPS[message]!;
  // warm-up
  const warmEnd = Date.now() + 300;
  while (Date.now() < warmEnd) await Promise.all(Array.from({ length: inFlight }, () => op(vpp)));
  const c0 = process.cpuUsage();
  const f0 = await fake.cpu();
  const t0 = process.hrtime.bigint();
  const end = Date.now() + SECONDS * 1000;
  let n = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < end) {
      await op(vpp);
      n++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const f1 = await fake.cpu();
  const clientUs = c.user + c.system;
  const fakeUs = f0 && f1 ? f1.user + f1.system - f0.user - f0.system : undefined;
  const r: Result = {
    message,
    inFlight,
    fake: mode,
    roundTrips: n,
    seconds: round(seconds, 3),
    roundTripsPerSec: Math.round(n / seconds),
    clientCpuPct: round((clientUs / 1e6 / seconds) * 100, 1),
    clientCpuUsPerRoundTrip: round(clientUs / n, 2),
  };
  if (fakeUs !== undefined) {
    r.fakeCpuPct = round((fakeUs / 1e6 / seconds) * 100, 1);
    r.fakeCpuUsPerRoundTrip = round(fakeUs / n, 2);
  }
  return r;
}

function round(x: number, d: number): number {
  const p = 10 ** d;
  return Math.round(x * p) / p;
}

async function runAll(mode: Result['fake']): Promise<Result[]> {
  const fake = mode === 'same-process' ? await inProcessFake() : await childFake(mode === 'child-process' ? 'fake' : 'echo');
  const vpp = await connectVpp({ socket: fake.socket, maxInFlight: 256 });
  await vpp.call('create_loopback', {}); // sw_if_index 1 for sw_interface_set_flags
  const out: Result[] = [];
  try {
    for (const message of Object.keys(OPS)) {
      for (const inFlight of [1, 64]) {
        let r: Result;
        if (mode === 'child-process' && inFlight === 64) {
          const p = await profiled(() => measure(vpp, fake, message, inFlight, mode));
          r = { ...p.value, clientProfile: p.profile };
        } else {
          r = await measure(vpp, fake, message, inFlight, mode);
        }
        out.push(r);
        process.stderr.write(`${mode} ${message} x${inFlight}: ${r.roundTripsPerSec} rt/s (client ${r.clientCpuPct}% cpu${r.fakeCpuPct !== undefined ? `, fake ${r.fakeCpuPct}%` : ''})\n`);
      }
    }
  } finally {
    await vpp.close();
    await fake.stop();
  }
  return out;
}

/**
 * Who limits each figure. CPU microseconds per round trip are compared rather than CPU %, because the
 * machine may be shared (see loadavg): the side that needs more CPU per round trip saturates its core
 * first. Sequential runs are latency-bound: most of the wall time per round trip is neither side's CPU.
 */
function bottleneck(results: Result[]): Record<string, string> {
  const verdict: Record<string, string> = {};
  const echo = (m: string, k: number): Result | undefined =>
    results.find((x) => x.fake === 'echo-peer-child-process' && x.message === m && x.inFlight === k);
  for (const r of results.filter((x) => x.fake === 'child-process')) {
    const key = `${r.message} x${r.inFlight}`;
    const c = r.clientCpuUsPerRoundTrip;
    const f = r.fakeCpuUsPerRoundTrip ?? 0;
    const wall = round(1e6 / r.roundTripsPerSec, 1);
    const e = echo(r.message, r.inFlight);
    const prof = r.clientProfile
      ? `; client CPU split: ${Object.entries(r.clientProfile)
          .slice(0, 4)
          .map(([k, v]) => `${k} ${v}%`)
          .join(', ')}`
      : '';
    const alone = e ? `; against a minimal echo peer the client reaches ${e.roundTripsPerSec} rt/s at ${e.clientCpuUsPerRoundTrip} µs CPU per round trip` : '';
    if (r.inFlight === 1) {
      verdict[key] = `latency: ${wall} µs wall per round trip, of which client ${c} µs and fake ${f} µs CPU; the rest is waiting for cross-process socket wake-ups${alone}`;
    } else if (f > c) {
      verdict[key] = `fake: ${f} µs CPU per round trip vs client ${c} µs, so the fake saturates its core first (≈ ${Math.round(1e6 / f)} rt/s at 100%)${prof}${alone}`;
    } else {
      verdict[key] = `client: ${c} µs CPU per round trip vs fake ${f} µs, so the client saturates its core first (≈ ${Math.round(1e6 / c)} rt/s at 100%)${prof}${alone}`;
    }
  }
  return verdict;
}

async function main(): Promise<void> {
  const results = [
    ...(await runAll('child-process')),
    ...(await runAll('echo-peer-child-process')),
    ...(await runAll('same-process')),
  ];
  const cpu = cpus();
  const out = {
    benchmark: 'vpp-binapi round trips against the fake VPP',
    date: new Date().toISOString(),
    machine: {
      cpu: cpu[0]?.model ?? 'unknown',
      cores: cpu.length,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadavg1m: round(loadavg()[0] ?? 0, 2),
    },
    secondsPerCase: SECONDS,
    notes: [
      'round trip = one request written to the unix socket and its reply decoded and matched by context',
      'inFlight 1: sequential awaits; inFlight 64: 64 concurrent callers (client maxInFlight 256)',
      'child-process: fake VPP in its own Node process (own core); same-process: fake and client share one event loop',
      'echo-peer-child-process: a minimal peer in its own process answering with pre-encoded replies (no decode, no state): the client alone',
      'CPU % is of one core over the measured seconds (process.cpuUsage)',
    ],
    results,
    bottleneck: bottleneck(results),
  };
  const file = join(dirname(here), 'results', 'roundtrip.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  process.stderr.write(`wrote ${file}\n`);
}

// child mode runs the fake and reports its CPU time on request; otherwise run the benchmark
if (process.argv[2] === '--fake-child') {
  const fake = process.argv[3] === 'echo' ? await startEchoPeer() : await startFakeVpp();
  process.on('message', (m: unknown) => {
    if (m === 'cpu') process.send!({ cpu: process.cpuUsage() });
    if (m === 'stop') void fake.stop().then(() => process.exit(0));
  });
  process.send!({ socket: fake.socketPath });
} else {
  await main();
}
