/**
 * 100,000 routes injected by a BIRD peer → learned by gobgpd → programmed into a fake VPP by the
 * controller; then 100,000 withdrawals. BIRD's own propagation of the same routes to a second BIRD,
 * measured in the same run, is the reference. Writes bench/results/propagation.json.
 *
 *   npx tsx bench/run.ts [--routes 100000]
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { connectVpp } from '@vectorplane/vpp-binapi';
import { startTestVpp } from '@vectorplane/vpp-binapi/testing';
import { createMemorySource } from '@vectorplane/kube';
import { createBgpController, createGobgpClient } from '../src/index.js';
import {
  canCreateNetns,
  createTestNetns,
  linkNetns,
  spawnBird,
  type BirdProcess,
  type TestNetns,
} from '../src/testing/index.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('routes', 100_000);

function prefixes(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const base = (20 << 24) + i * 256;
    out.push(`${(base >>> 24) & 255}.${(base >>> 16) & 255}.${(base >>> 8) & 255}.0/24`);
  }
  return out;
}

function sourceConfig(routes: string[]): string {
  return `router id 10.98.1.2;
protocol device {}
protocol static s4 { ipv4; ${routes.map((r) => `route ${r} blackhole;`).join('\n')} }
protocol bgp to_us { local 10.98.1.2 as 65001; neighbor 10.98.1.1 as 64512; connect retry time 1; ipv4 { import none; export where source = RTS_STATIC; next hop self; }; }
protocol bgp to_ref { local 10.98.2.2 as 65001; neighbor 10.98.2.1 as 65002; connect retry time 1; ipv4 { import none; export where source = RTS_STATIC; next hop self; }; }
`;
}

const REF_CONFIG = `router id 10.98.2.1;
protocol device {}
protocol bgp from_src { local 10.98.2.1 as 65002; neighbor 10.98.2.2 as 65001; connect retry time 1; ipv4 { import all; export none; }; }
`;

/**
 * Resolves with the ms until BIRD's route count meets `done` (`>= n` or `=== 0`). The polling runs in a
 * shell loop of its own, so this process (whose CPU time the bench reports) spawns nothing meanwhile.
 */
function birdReaches(b: BirdProcess, done: 'all' | 'none', n: number, t0: number): Promise<number> {
  const test = done === 'all' ? `[ "$c" -ge ${n} ]` : `[ "$c" -eq 0 ]`;
  const script = `while :; do c=$(birdc -s '${b.socket}' show route count | grep -o '[0-9]* of [0-9]* routes' | head -n1 | cut -d' ' -f1); c=\${c:-0}; if ${test}; then exit 0; fi; sleep 0.01; done`;
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill(), 300_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(performance.now() - t0);
      else reject(new Error(`timed out: reference BIRD route count (${done})`));
    });
  });
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (await check()) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime+stime (ms) of every live process, and its parent: to sum a process with its children. */
function procTable(): Map<number, { ppid: number; cpuMs: number; cmd: string }> {
  const out = new Map<number, { ppid: number; cpuMs: number; cmd: string }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ');
      out.set(Number(d), { ppid: Number(f[1]), cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK, cmd });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU ms used so far by `pid` and its live descendants. */
function treeCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const t = procTable();
  let sum = 0;
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop()!;
    sum += t.get(p)?.cpuMs ?? 0;
    for (const [c, e] of t) if (e.ppid === p) todo.push(c);
  }
  return sum;
}

function pidOf(cmdPart: string): number | undefined {
  for (const [pid, e] of procTable()) if (e.cmd.includes(cmdPart) && !e.cmd.startsWith('ip ')) return pid;
  return undefined;
}

function version(cmd: string, args: string[]): string {
  // bird prints its version on stderr
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? '';
}

async function main(): Promise<void> {
  if (!canCreateNetns()) throw new Error('the benchmark needs root (network namespaces)');
  const netns: TestNetns[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const us = await createTestNetns('bgh');
    const src = await createTestNetns('bgh');
    const ref = await createTestNetns('bgh');
    netns.push(us, src, ref);
    await linkNetns(
      { netns: us.name, addresses: ['10.98.1.1/24'] },
      { netns: src.name, addresses: ['10.98.1.2/24'] },
      'bgh',
    );
    await linkNetns(
      { netns: ref.name, addresses: ['10.98.2.1/24'] },
      { netns: src.name, addresses: ['10.98.2.2/24'] },
      'bgh',
    );

    const refBird = await spawnBird({ netns: ref.name, config: REF_CONFIG });
    cleanups.push(() => refBird.stop());
    const srcBird = await spawnBird({ netns: src.name, config: sourceConfig([]) });
    cleanups.push(() => srcBird.stop());

    const vppProc = await startTestVpp();
    cleanups.push(() => vppProc.stop());
    const vpp = await connectVpp({ socket: vppProc.apiSocket, timeoutMs: 60_000 });
    cleanups.push(() => vpp.close());
    const uplink = (await vpp.call('create_loopback', { mac_address: '02:00:00:00:0d:01' })).sw_if_index;
    await vpp.call('sw_interface_add_del_address', { sw_if_index: uplink, is_add: true, prefix: '10.98.1.1/24' });
    await vpp.call('sw_interface_set_flags', { sw_if_index: uplink, flags: 1 });

    const gobgpSocket = join(tmpdir(), `bgp-bench-${process.pid}.sock`);
    const source = createMemorySource();
    cleanups.push(() => source.close());
    source.apply({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'us', annotations: { 'projectcalico.org/IPv4Address': '10.98.1.1/24' } },
    });
    source.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'BGPConfiguration',
      metadata: { name: 'default' },
      spec: { nodeToNodeMeshEnabled: false },
    });
    source.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'BGPPeer',
      metadata: { name: 'bird' },
      spec: { peerIP: '10.98.1.2', asNumber: 65001 },
    });
    const controller = createBgpController(
      { nodeName: 'us', uplinkSwIfIndex: uplink, gobgpd: { netns: us.name, logLevel: 'warn', socket: gobgpSocket } },
      { vpp, source },
    );
    cleanups.push(() => controller.stop());
    await controller.start();
    await waitFor(
      'sessions',
      async () =>
        (await controller.speaker!.peers()).every((p) => p.state === 'ESTABLISHED') &&
        (await srcBird.birdc('show protocols')).split('\n').filter((l) => l.includes('Established')).length === 2,
      60_000,
    );

    const routes = prefixes(N);
    const raw = createGobgpClient({ target: `unix://${gobgpSocket}` });
    cleanups.push(async () => raw.close());
    const gobgpdPid = pidOf(gobgpSocket);
    // CPU of the other processes on the same cores: gobgpd, the fake VPP, the source BIRD
    const others = (): { gobgpdMs: number; vppMs: number; birdMs: number } => ({
      gobgpdMs: Math.round(treeCpuMs(gobgpdPid)),
      vppMs: Math.round(treeCpuMs(vppProc.pid)),
      birdMs: Math.round(treeCpuMs(srcBird.pid)),
    });
    const delta = (a: ReturnType<typeof others>, b: ReturnType<typeof others>) => ({
      gobgpdMs: b.gobgpdMs - a.gobgpdMs,
      fakeVppMs: b.vppMs - a.vppMs,
      sourceBirdMs: b.birdMs - a.birdMs,
    });
    const tableCount = async (): Promise<number> =>
      Number(
        (await raw.call('GetTable', { table_type: 'GLOBAL', family: { afi: 'AFI_IP', safi: 'SAFI_UNICAST' } }))
          .num_destination ?? 0,
      );

    // announce: BIRD's configure starts the propagation to both peers at once
    const calls0 = controller.programmer.stats.vppCalls;
    const stats0 = controller.stats;
    const others0 = others();
    const cpu0 = process.cpuUsage();
    const tAnn = performance.now();
    let gobgpdAllMs = 0;
    void waitFor('gobgpd table full', async () => (await tableCount()) >= N, 600_000).then((ms) => (gobgpdAllMs = ms));
    // when the controller has heard of every best path (the gobgpd → controller part of the pipeline)
    let seenAllMs = 0;
    void waitFor('controller learned all', () => controller.stats.learned >= N, 600_000).then((ms) => (seenAllMs = ms));
    await srcBird.reconfigure(sourceConfig(routes));
    let refAnnMs = 0;
    const refDone = birdReaches(refBird, 'all', N, tAnn).then((ms) => (refAnnMs = ms));
    const vppAnnMs = await waitFor(
      'all routes programmed',
      () => controller.programmer.stats.routes >= N,
      600_000,
    ).then(() => performance.now() - tAnn);
    const cpuAnn = process.cpuUsage(cpu0);
    const othersAnn = delta(others0, others());
    await refDone;
    const callsAnn = controller.programmer.stats.vppCalls - calls0;
    const stats1 = controller.stats;
    let dumped = 0;
    for await (const _ of vpp.dump(
      'ip_route_v2_dump',
      { src: 0, table: { table_id: 0, is_ip6: false, name: '' } },
      { timeoutMs: 60_000 },
    ))
      dumped++;

    // withdraw everything
    const calls1 = controller.programmer.stats.vppCalls;
    const others1 = others();
    const cpu1 = process.cpuUsage();
    const tWd = performance.now();
    let gobgpdNoneMs = 0;
    void waitFor('gobgpd table empty', async () => (await tableCount()) === 0, 600_000).then(
      (ms) => (gobgpdNoneMs = ms),
    );
    let seenNoneMs = 0;
    void waitFor('controller learned none', () => controller.stats.learned === 0, 600_000).then(
      (ms) => (seenNoneMs = ms),
    );
    await srcBird.reconfigure(sourceConfig([]));
    let refWdMs = 0;
    const refWd = birdReaches(refBird, 'none', N, tWd).then((ms) => (refWdMs = ms));
    const vppWdMs = await waitFor('all routes removed', () => controller.programmer.stats.routes === 0, 600_000).then(
      () => performance.now() - tWd,
    );
    const cpuWd = process.cpuUsage(cpu1);
    const othersWd = delta(others1, others());
    await refWd;
    const callsWd = controller.programmer.stats.vppCalls - calls1;
    const stats2 = controller.stats;
    const cpuMs = (c: NodeJS.CpuUsage) => Math.round((c.user + c.system) / 1000);
    const pipeline = (a: typeof stats0, b: typeof stats0) => ({
      pathsReceived: b.paths - a.paths,
      routeChanges: b.changes - a.changes,
      drains: b.drains - a.drains,
      snapshots: b.snapshots - a.snapshots,
    });

    const result = {
      bench: 'bgp-propagation',
      date: new Date().toISOString(),
      machine: {
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        loadavg: loadavg(),
        gobgpd: version('gobgpd', ['--version']),
        bird: version('bird', ['--version']),
        vpp: vppProc.kind,
      },
      routes: N,
      goalMs: 10_000,
      announce: {
        ms: Math.round(vppAnnMs),
        routesPerSec: Math.round((N / vppAnnMs) * 1000),
        vppCalls: callsAnn,
        cpuMs: cpuMs(cpuAnn),
        cpuUsPerRoute: Math.round((cpuMs(cpuAnn) * 1000) / N),
        otherProcessesCpuMs: othersAnn,
        controller: pipeline(stats0, stats1),
        birdReferenceMs: Math.round(refAnnMs),
        bestPathsReceivedMs: Math.round(seenAllMs),
        gobgpdTableFullMs: Math.round(gobgpdAllMs),
        meetsGoal: vppAnnMs < 10_000,
        routesInVppFib: dumped,
      },
      withdraw: {
        ms: Math.round(vppWdMs),
        routesPerSec: Math.round((N / vppWdMs) * 1000),
        vppCalls: callsWd,
        cpuMs: cpuMs(cpuWd),
        cpuUsPerRoute: Math.round((cpuMs(cpuWd) * 1000) / N),
        otherProcessesCpuMs: othersWd,
        controller: pipeline(stats1, stats2),
        birdReferenceMs: Math.round(refWdMs),
        bestPathsReceivedMs: Math.round(seenNoneMs),
        gobgpdTableEmptyMs: Math.round(gobgpdNoneMs),
        meetsGoal: vppWdMs < 10_000,
      },
      notes:
        'Time from BIRD `configure` (static routes appear/disappear) until the controller has programmed/removed every route in VPP (one ip_route_add_del each, FLAT). Reference: the same BIRD propagating the same routes to a second BIRD, in the same run. cpuMs is this process (the controller; the bench only polls counters), otherProcessesCpuMs the processes it shares the cores with. bestPathsReceivedMs: until the controller had learned (announce) or dropped (withdraw) every best path. The fake VPP runs as a child process (startTestVpp); the machine is shared with other jobs (see loadavg).',
    };
    const out = join(import.meta.dirname, 'results', 'propagation.json');
    await writeFile(out, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(`${JSON.stringify(result, null, 2)}\nwritten to ${out}\n`);
  } finally {
    for (const f of cleanups.reverse()) await f().catch(() => {});
    for (const ns of netns) await ns.remove();
  }
}

await main();
