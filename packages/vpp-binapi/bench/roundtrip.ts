/**
 * Round trips per second of VppClient, sequential (one request at a time) and pipelined (64 in flight),
 * for `control_ping` and `sw_interface_set_flags`, against three peers: the minimal echo peer
 * (bench/echo-peer.ts) and the fake VPP, each in a child process (own core, own CPU time), and the fake in
 * this process. Beside our client, in the same run and the same alternating rounds:
 *  - the baseline client: the package's `src/` at `BASELINE_REF` (`--baseline <ref>|none`,
 *    `VPP_RT_BASELINE`), taken with `git archive` and loaded as ESM, on the same peer;
 *  - against the echo peer, a raw Node unix-socket client that writes pre-encoded frames (context
 *    patched in) and matches replies by context, awaiting a promise per round trip like our callers do.
 * The machine may be shared, so every round records wall time and this process's CPU time
 * (process.cpuUsage); figures are the median over rounds, with the spread. Writes
 * bench/results/roundtrip.json. A benchmark, not a test.
 *
 *   npx tsx bench/roundtrip.ts [--baseline <ref>|none]
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { connectVpp } from '../src/client/connect.js';
import { FRAME_HEADER_SIZE, frame } from '../src/codec/frame.js';
import { messagesByName, releases } from '../src/generated/index.js';
import { startFakeVpp } from '../src/testing/index.js';
import { ECHO_IDS, startEchoPeer } from './echo-peer.js';

const here = fileURLToPath(import.meta.url);
/** Seconds per round, and rounds per case and variant. */
const ROUND_SECONDS = Number(process.env['BENCH_ROUND_SECONDS'] ?? 1);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
/** The client as it was before the round-trip work of issue 10 item 7. */
export const BASELINE_REF = '93fdf3c';

interface Cpu {
  user: number;
  system: number;
}

interface Peer {
  socket: string;
  cpu(): Promise<Cpu | undefined>;
  stop(): Promise<void>;
}

type PeerKind = 'echo-peer-child-process' | 'fake-child-process' | 'fake-same-process';
/** The peers to run (`BENCH_PEERS`, comma-separated; all three by default). */
const PEERS = (process.env['BENCH_PEERS'] ?? 'echo-peer-child-process,fake-child-process,fake-same-process').split(
  ',',
) as PeerKind[];

async function childPeer(kind: 'fake' | 'echo'): Promise<Peer> {
  const child: ChildProcess = fork(here, ['--peer-child', kind], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const socket = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { socket: string }).socket));
    child.once('exit', (code) => reject(new Error(`peer child exited with ${code}`)));
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

async function startPeer(kind: PeerKind): Promise<Peer> {
  if (kind === 'fake-same-process') {
    const fake = await startFakeVpp();
    return { socket: fake.socketPath, cpu: async () => undefined, stop: () => fake.stop() };
  }
  return childPeer(kind === 'fake-child-process' ? 'fake' : 'echo');
}

/** What a variant needs to run a case: one round trip of `message`, and a way to close. */
interface Driver {
  op(message: string): () => Promise<unknown>;
  close(): Promise<void>;
}

interface ClientLike {
  call(name: string, init?: object): Promise<unknown>;
  close(): Promise<void>;
}

type Connect = (init: { socket: string; maxInFlight: number }) => Promise<ClientLike>;

async function clientDriver(connect: Connect, socket: string): Promise<Driver> {
  const vpp = await connect({ socket, maxInFlight: 256 });
  await vpp.call('create_loopback', {}); // sw_if_index 1 for sw_interface_set_flags
  return {
    op: (message) =>
      message === 'control_ping'
        ? () => vpp.call('control_ping')
        : () => vpp.call('sw_interface_set_flags', { sw_if_index: 1, flags: 1 }),
    close: () => vpp.close(),
  };
}

/**
 * The reference: a raw unix-socket client. Frames are encoded once; per request it copies the frame,
 * patches the context, writes it, and resolves the caller's promise when a reply with that context
 * arrives (frames split by header length, context read at the reply's offset). No handshake (the echo
 * peer answers by the ids it announces), no timers, no checks.
 */
async function rawDriver(socket: string): Promise<Driver> {
  const sock: Socket = netConnect(socket);
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  const pending = new Map<number, () => void>();
  let ctx = 0;
  let buf: Buffer | undefined;
  const replyCtx = FRAME_HEADER_SIZE + messagesByName.get('control_ping_reply')!.contextOffset;
  sock.on('data', (chunk: Buffer) => {
    const data = buf ? Buffer.concat([buf, chunk]) : chunk;
    let off = 0;
    while (data.length - off >= FRAME_HEADER_SIZE) {
      const len = data.readUInt32BE(off + 8);
      if (data.length - off - FRAME_HEADER_SIZE < len) break;
      const c = data.readUInt32BE(off + replyCtx);
      const done = pending.get(c);
      if (done) {
        pending.delete(c);
        done();
      }
      off += FRAME_HEADER_SIZE + len;
    }
    buf = off < data.length ? data.subarray(off) : undefined;
  });
  const encoded = (name: string, init: object): Buffer => {
    const def = messagesByName.get(name)!;
    return Buffer.from(frame(def.encode(def.create({ ...init, _vl_msg_id: ECHO_IDS.get(name) } as never))));
  };
  const frames = {
    control_ping: encoded('control_ping', {}),
    sw_interface_set_flags: encoded('sw_interface_set_flags', { sw_if_index: 1, flags: 1 }),
  };
  const reqCtx = FRAME_HEADER_SIZE + 6;
  return {
    op: (message) => {
      const f = frames[message as keyof typeof frames];
      return () =>
        new Promise<void>((resolve) => {
          ctx = (ctx + 1) >>> 0 || 1;
          const b = Buffer.from(f);
          b.writeUInt32BE(ctx, reqCtx);
          pending.set(ctx, resolve);
          sock.write(b);
        });
    },
    close: () => new Promise<void>((resolve) => sock.end(resolve)),
  };
}

interface Round {
  roundTrips: number;
  wallSeconds: number;
  clientCpuUs: number;
  peerCpuUs?: number;
}

async function round(op: () => Promise<unknown>, inFlight: number, peer: Peer, seconds: number): Promise<Round> {
  const p0 = await peer.cpu();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const end = Date.now() + seconds * 1000;
  let n = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < end) {
      await op();
      n++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const p1 = await peer.cpu();
  const r: Round = { roundTrips: n, wallSeconds, clientCpuUs: c.user + c.system };
  if (p0 && p1) r.peerCpuUs = p1.user + p1.system - p0.user - p0.system;
  return r;
}

interface Figures {
  /** Median over rounds of round trips per wall second; min and max show the noise. */
  roundTripsPerSec: number;
  roundTripsPerSecMin: number;
  roundTripsPerSecMax: number;
  /** Median over rounds of wall microseconds per round trip (per caller: inFlight / rate). */
  wallUsPerRoundTrip: number;
  /** Median over rounds of this process's CPU microseconds per round trip (robust when the machine is shared). */
  clientCpuUsPerRoundTrip: number;
  /** Round trips per second of this process's CPU time (1e6 / clientCpuUsPerRoundTrip). */
  roundTripsPerCpuSec: number;
  clientCpuUsPerRoundTripMin: number;
  clientCpuUsPerRoundTripMax: number;
  peerCpuUsPerRoundTrip?: number;
  rounds: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function figures(rs: Round[], inFlight: number): Figures {
  const rate = rs.map((r) => r.roundTrips / r.wallSeconds);
  const cpu = rs.map((r) => r.clientCpuUs / r.roundTrips);
  const f: Figures = {
    roundTripsPerSec: Math.round(median(rate)),
    roundTripsPerSecMin: Math.round(Math.min(...rate)),
    roundTripsPerSecMax: Math.round(Math.max(...rate)),
    wallUsPerRoundTrip: round2((1e6 * inFlight) / median(rate)),
    clientCpuUsPerRoundTrip: round2(median(cpu)),
    roundTripsPerCpuSec: Math.round(1e6 / median(cpu)),
    clientCpuUsPerRoundTripMin: round2(Math.min(...cpu)),
    clientCpuUsPerRoundTripMax: round2(Math.max(...cpu)),
    rounds: rs.length,
  };
  const peer = rs.filter((r) => r.peerCpuUs !== undefined).map((r) => r.peerCpuUs! / r.roundTrips);
  if (peer.length) f.peerCpuUsPerRoundTrip = round2(median(peer));
  return f;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

interface CaseResult {
  peer: PeerKind;
  message: string;
  inFlight: number;
  current: Figures;
  baseline?: Figures;
  raw?: Figures;
  /** current vs baseline, in percent of round trips per CPU second and per wall second (negative: slower). */
  changePercent?: { cpu: number; wall: number };
  /** The same from each variant's best round (least disturbed by other load on a shared machine). */
  changePercentBest?: { cpu: number; wall: number };
  /** Sequential only: our wall µs per round trip minus the raw client's (goal: ≤ 10). */
  overRawUs?: number;
  /** The same from each variant's best round. */
  overRawUsBest?: number;
}

/** Runs every case on one peer: the variants take turns, round by round, in rotating order. */
async function runPeer(kind: PeerKind, baseConnect: Connect | undefined): Promise<CaseResult[]> {
  const peer = await startPeer(kind);
  const variants: { name: 'current' | 'baseline' | 'raw'; driver: Driver }[] = [
    { name: 'current', driver: await clientDriver(connectVpp as unknown as Connect, peer.socket) },
  ];
  if (baseConnect) variants.push({ name: 'baseline', driver: await clientDriver(baseConnect, peer.socket) });
  if (kind === 'echo-peer-child-process') variants.push({ name: 'raw', driver: await rawDriver(peer.socket) });
  const out: CaseResult[] = [];
  try {
    for (const message of ['control_ping', 'sw_interface_set_flags']) {
      for (const inFlight of [1, 64]) {
        const ops = variants.map((v) => ({ name: v.name, op: v.driver.op(message), rounds: [] as Round[] }));
        for (const v of ops) await round(v.op, inFlight, peer, 0.3); // warm-up
        for (let r = 0; r < ROUNDS; r++) {
          for (let i = 0; i < ops.length; i++) {
            const v = ops[(i + r) % ops.length]!;
            v.rounds.push(await round(v.op, inFlight, peer, ROUND_SECONDS));
          }
        }
        const res: CaseResult = { peer: kind, message, inFlight, current: figures(ops[0]!.rounds, inFlight) };
        const base = ops.find((v) => v.name === 'baseline');
        const raw = ops.find((v) => v.name === 'raw');
        if (base) {
          res.baseline = figures(base.rounds, inFlight);
          res.changePercent = {
            cpu: Math.round((res.current.roundTripsPerCpuSec / res.baseline.roundTripsPerCpuSec - 1) * 1000) / 10,
            wall: Math.round((res.current.roundTripsPerSec / res.baseline.roundTripsPerSec - 1) * 1000) / 10,
          };
          res.changePercentBest = {
            cpu:
              Math.round(
                (res.baseline.clientCpuUsPerRoundTripMin / res.current.clientCpuUsPerRoundTripMin - 1) * 1000,
              ) / 10,
            wall: Math.round((res.current.roundTripsPerSecMax / res.baseline.roundTripsPerSecMax - 1) * 1000) / 10,
          };
        }
        if (raw) {
          res.raw = figures(raw.rounds, inFlight);
          if (inFlight === 1) {
            res.overRawUs = round2(res.current.wallUsPerRoundTrip - res.raw.wallUsPerRoundTrip);
            res.overRawUsBest = round2(1e6 / res.current.roundTripsPerSecMax - 1e6 / res.raw.roundTripsPerSecMax);
          }
        }
        out.push(res);
        const fmt = (n: string, f: Figures | undefined): string =>
          f ? ` ${n} ${f.roundTripsPerSec} rt/s ${f.clientCpuUsPerRoundTrip} µs cpu/rt;` : '';
        process.stderr.write(
          `${kind} ${message} x${inFlight}:${fmt('current', res.current)}${fmt('baseline', res.baseline)}${fmt('raw', res.raw)}${res.changePercent ? ` change cpu ${res.changePercent.cpu}% wall ${res.changePercent.wall}%` : ''}\n`,
        );
      }
    }
  } finally {
    for (const v of variants) await v.driver.close();
    await peer.stop();
  }
  return out;
}

/** Where this process's CPU went while our client did `control_ping` x64 on the echo peer (V8 sampling profile, % of non-idle self time). */
async function profileCurrent(): Promise<{ categories: Record<string, number>; functions: Record<string, number> }> {
  const peer = await startPeer('echo-peer-child-process');
  const d = await clientDriver(connectVpp as unknown as Connect, peer.socket);
  const op = d.op('control_ping');
  await round(op, 64, peer, 0.3);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  await round(op, 64, peer, 2);
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  await d.close();
  await peer.stop();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const deltas = profile.timeDeltas ?? [];
  (profile.samples ?? []).forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0)));
  const cats = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  for (const [id, t] of self) {
    const { url, functionName } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') continue;
    let cat: string;
    if (url.includes('/src/client/')) cat = 'client (src/client)';
    else if (url.includes('/src/codec/') || url.includes('/src/generated/')) cat = 'codec (encode/decode, framing)';
    else if (
      ['writev', 'writeBuffer', 'writeUtf8String', 'onStreamRead'].includes(functionName) ||
      url.includes('stream_base_commons')
    )
      cat = 'socket I/O (native writes/reads)';
    else if (functionName === '(garbage collector)') cat = 'garbage collection';
    else if (url.includes('/bench/')) cat = 'benchmark loop';
    else if (url.startsWith('node:')) cat = 'node internals (streams, timers, buffers, promises)';
    else cat = 'other (microtasks, program)';
    cats.set(cat, (cats.get(cat) ?? 0) + t);
    const fn = `${functionName || '(anonymous)'} ${url.replace(/^.*\//, '')}`;
    fns.set(fn, (fns.get(fn) ?? 0) + t);
    total += t;
  }
  const pct = (m: Map<string, number>, top: number): Record<string, number> =>
    Object.fromEntries(
      [...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([k, v]) => [k, Math.round((v / total) * 1000) / 10]),
    );
  return { categories: pct(cats, 20), functions: pct(fns, 15) };
}

/** The baseline's connectVpp, from `git archive <ref>` of the package's src/; undefined for `none`. */
async function loadBaseline(ref: string): Promise<{ connect: Connect; commit: string; cleanup(): void } | undefined> {
  if (ref === 'none') return undefined;
  const pkg = resolve(dirname(here), '..');
  const root = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: pkg, encoding: 'utf8' }).trim();
  const prefix = execFileSync('git', ['rev-parse', '--show-prefix'], { cwd: pkg, encoding: 'utf8' }).trim();
  const commit = execFileSync('git', ['rev-parse', `${ref}^{commit}`], { cwd: root, encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'vpp-binapi-rt-baseline-'));
  const tar = execFileSync('git', ['archive', commit, `${prefix}src`], { cwd: root, maxBuffer: 256 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  // an ES module package like ours, so tsx loads the copy as ESM (as CommonJS it would measure the loader)
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  const mod = (await import(pathToFileURL(join(dir, prefix, 'src', 'client', 'connect.ts')).href)) as {
    connectVpp: Connect;
  };
  return { connect: mod.connectVpp, commit, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const ref = argValue('--baseline') ?? process.env['VPP_RT_BASELINE'] ?? BASELINE_REF;
  const load0 = loadavg();
  const base = await loadBaseline(ref);
  const results: CaseResult[] = [];
  let profile: Awaited<ReturnType<typeof profileCurrent>>;
  try {
    for (const kind of PEERS) results.push(...(await runPeer(kind, base?.connect)));
    profile = await profileCurrent();
  } finally {
    base?.cleanup();
  }
  const cpu = cpus();
  const echo = (m: string, k: number): CaseResult | undefined =>
    results.find((r) => r.peer === 'echo-peer-child-process' && r.message === m && r.inFlight === k);
  const seq = echo('control_ping', 1);
  const pipe = echo('control_ping', 64);
  const worst = results
    .filter((r) => r.changePercent)
    .reduce<CaseResult | undefined>((w, r) => (!w || r.changePercent!.cpu < w.changePercent!.cpu ? r : w), undefined);
  const out = {
    benchmark: 'vpp-binapi round trips: our client, the baseline client and a raw socket client',
    date: new Date().toISOString(),
    machine: {
      cpu: cpu[0]?.model ?? 'unknown',
      cores: cpu.length,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadavgAtStart: load0.map((x) => round2(x)),
      loadavgAtEnd: loadavg().map((x) => round2(x)),
    },
    releasesBound: releases,
    baseline: base ? { ref, commit: base.commit } : null,
    roundSeconds: ROUND_SECONDS,
    rounds: ROUNDS,
    goals: {
      sequentialControlPingOverRawUs: {
        goal: 10,
        measured: seq?.overRawUs,
        measuredBestRounds: seq?.overRawUsBest,
        met: seq?.overRawUs !== undefined && seq.overRawUs <= 10,
      },
      pipelinedControlPingPerSec: {
        goal: 250_000,
        measured: pipe?.current.roundTripsPerSec,
        perCpuSecond: pipe?.current.roundTripsPerCpuSec,
        met: (pipe?.current.roundTripsPerSec ?? 0) >= 250_000,
      },
      worstChangePercent: worst
        ? { case: `${worst.peer} ${worst.message} x${worst.inFlight}`, ...worst.changePercent }
        : undefined,
    },
    notes: [
      'round trip = one request written to the unix socket and its reply decoded and matched by context',
      'inFlight 1: one caller awaiting each reply; inFlight 64: 64 concurrent callers (client maxInFlight 256)',
      'current, baseline and raw run against the same peer in alternating rounds; figures are medians over the rounds, min/max show the noise',
      'clientCpuUsPerRoundTrip: CPU of this (client) process per round trip, process.cpuUsage; peerCpuUsPerRoundTrip: the child peer process',
      'fake-same-process: the fake VPP shares the client process, so client CPU includes the fake',
      'raw: pre-encoded frames, context patched in, replies matched by context, one promise per round trip; no handshake, timers or checks',
    ],
    /** What the V8 CPU profile of the client (node --cpu-prof, control_ping x64 on the echo peer) showed before the change at BASELINE_REF. */
    profileFindingsAtBaseline: [
      'writev ~26% of client CPU: cork/uncork per tick handed 64 small Buffers to writev (per-chunk JS bookkeeping, iovec building)',
      'garbage collection ~7-10%: a Buffer (pool slice) and a Timeout object per request, a DataView per frame header',
      '__name + "set natives" ~12-15% (tsx keepNames): a closure created per call in #method (the `wrong` error helper), plus the promise executor and the per-op timer closure',
      'writeFrameHeader ~3% (fill() + new DataView per frame), encodeFrame ~2%, timers (#arm, insert, unenroll, getLibuvNow) ~3%',
      'sequential: writeBuffer (the syscall that wakes the peer) ~50%; the rest spread thin, no single client hot spot',
    ],
    changes: [
      'frames of one tick are encoded back to back into a 64 kB slab and written with one socket.write (one syscall, no Buffer or writev per frame); a region handed to the socket is never reused',
      'back-pressure kept: a batch reaching the socket high-water mark holds new requests until its write, and a write that returns false holds them until drain',
      'one sweep timer (unref, due at the earliest deadline) replaces a Timeout per request; details still extend a stream deadline; paused reading still freezes deadlines',
      'one shared promise executor and no closure per call in #method; #request returns the exchange promise without an async wrapper',
      'writeFrameHeader writes its 16 bytes directly (with a bounds check) instead of fill() + DataView',
    ],
    results,
    clientProfileEchoControlPingX64: profile,
  };
  const file = join(dirname(here), 'results', 'roundtrip.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  process.stderr.write(`${JSON.stringify(out.goals)}\nwrote ${file}\n`);
}

// child mode runs a peer and reports its CPU time on request; otherwise run the benchmark
if (process.argv[2] === '--peer-child') {
  const peer = process.argv[3] === 'echo' ? await startEchoPeer() : await startFakeVpp();
  process.on('message', (m: unknown) => {
    if (m === 'cpu') process.send!({ cpu: process.cpuUsage() });
    if (m === 'stop') void peer.stop().then(() => process.exit(0));
  });
  process.send!({ socket: peer.socketPath });
} else {
  await main();
}
