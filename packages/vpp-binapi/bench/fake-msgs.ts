/**
 * CPU the fake VPP spends per API message, on the message mix of the CNI server's pod Add and Del (veth
 * mode, one IPv4 address): per pod 25 requests on Add (pod VRFs and their default routes, the uRPF table,
 * a loopback with its tag/tables/address/up, the af_packet with tag/tables/MTU/GSO/cnat/up/rx-mode, then
 * unnumbered, neighbour, routes and uRPF) and 6 on Del (route, af_packet, loopback, tables), issued as the
 * CNI server issues them: every pod at once, each pod's later requests as soon as the answers they need
 * came back (the client pipelines; maxInFlight 2048).
 *
 * The fake runs in a child process, so its CPU time is its own:
 *  - `FAKE_PEER=child` (default): a child process running `startFakeVpp()` from src/ (bench/fake-peer.ts,
 *    bundled like `vpp-fake`). `FAKE_CPU_PROF=<dir>`
 *    writes a V8 CPU profile of it there. `FAKE_KEEP_BUNDLE=<file.mjs>` keeps the bundle there;
 *    `FAKE_PEER_MODULE=<file.mjs>` runs such a bundle, kept from another commit, instead (to compare old and
 *    new in alternation). `FAKE_NODE_ARGS`:
 *    node options for it (`--trace-gc`, `--max-semi-space-size=…`).
 *  - `FAKE_PEER=test-vpp`: `startTestVpp()`, the bundled `vpp-fake` process the CNI bench uses.
 * The fake's CPU time is that of all its threads (GC helpers included), read from /proc/<pid>/task/<tid>/schedstat.
 * Each round is one burst of Adds then one of Dels; figures are medians over the measured rounds.
 * A benchmark, not a test.
 *
 *   npx tsx bench/fake-msgs.ts            # FAKE_PODS=100 FAKE_ROUNDS=15 FAKE_WARM=5
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectVpp } from '../src/client/connect.js';
import { create_fib_path, type fib_path } from '../src/generated/index.js';
import { startTestVpp } from '../src/testing/index.js';
import { FAKE_PEER_ENTRY, bundleFakePeer, forkFakePeer } from './fake-peer-process.js';

const here = fileURLToPath(import.meta.url);
const PODS = Number(process.env['FAKE_PODS'] ?? 100);
const ROUNDS = Number(process.env['FAKE_ROUNDS'] ?? 15);
const WARM = Number(process.env['FAKE_WARM'] ?? 5);
const PEER = process.env['FAKE_PEER'] ?? 'child';
/** `pods` (default): the pod Add/Del mix; `ping`: as many `control_ping`s instead (the fake's floor per message). */
const MIX = process.env['FAKE_MIX'] ?? 'pods';
const INDEX_INVALID = 0xffffffff;

interface Peer {
  socket: string;
  /** CPU µs (user + system) of the fake so far. */
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

await main();

/**
 * bench/fake-peer.ts bundled with esbuild as `vpp-fake` is by startTestVpp() (same code, and a profile
 * with the sources' names and lines); run with tsx when esbuild is not there.
 */
function peerEntry(): { module: string; execArgv: string[]; cleanup(): void } {
  const given = process.env['FAKE_PEER_MODULE'];
  if (given) return { module: given, execArgv: [], cleanup: () => undefined };
  try {
    const keep = process.env['FAKE_KEEP_BUNDLE'];
    const dir = keep ? undefined : mkdtempSync(join(tmpdir(), 'fake-msgs-'));
    const out = bundleFakePeer(keep ?? join(dir!, 'fake-peer.mjs'));
    if (keep) console.log(`fake-msgs: peer bundle kept at ${out}`);
    return { module: out, execArgv: [], cleanup: () => dir && rmSync(dir, { recursive: true, force: true }) };
  } catch {
    return { module: FAKE_PEER_ENTRY, execArgv: ['--import', 'tsx'], cleanup: () => undefined };
  }
}

async function childPeer(): Promise<Peer> {
  const prof = process.env['FAKE_CPU_PROF'];
  const { module, execArgv, cleanup } = peerEntry();
  const { socket, child } = await forkFakePeer(module, [
    ...execArgv,
    ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
    ...(process.env['FAKE_NODE_ARGS']?.split(' ').filter(Boolean) ?? []),
  ]);
  return {
    socket,
    cpu: async () => taskCpu(child.pid!),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => {
          cleanup();
          resolve();
        });
        child.send('stop');
      }),
  };
}

async function testVppPeer(): Promise<Peer> {
  const vpp = await startTestVpp();
  return {
    socket: vpp.apiSocket,
    cpu: async () => taskCpu(vpp.pid),
    stop: () => vpp.stop(),
  };
}

/**
 * CPU time (µs) of every thread of a process so far, from /proc/<pid>/task/<tid>/schedstat (ns on CPU):
 * precise, and asking costs the process nothing.
 */
function taskCpu(pid: number): number {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1000;
}

function path(init: Partial<fib_path>): fib_path {
  return { ...create_fib_path(), sw_if_index: INDEX_INVALID, ...init };
}

async function main(): Promise<void> {
  const peer = PEER === 'test-vpp' ? await testVppPeer() : await childPeer();
  const vpp = await connectVpp({ socket: peer.socket, maxInFlight: 2048 });
  let messages = 0;
  const call = (name: string, fields: Record<string, unknown>): Promise<Record<string, unknown>> => {
    messages++;
    return (vpp.call as (n: string, f: Record<string, unknown>) => Promise<Record<string, unknown>>)(name, fields);
  };

  /** One pod's Add, wired as the CNI server's pod builder wires it; returns what Del needs. */
  const addPod = async (
    round: number,
    i: number,
  ): Promise<{ lo: number; host: string; vrfs: number[]; ip: string }> => {
    if (MIX === 'ping') {
      await Promise.all(Array.from({ length: 25 }, () => call('control_ping', {})));
      return { lo: 0, host: '', vrfs: [], ip: '' };
    }
    const id = `bench${i}`;
    const base = 1000 + i * 4;
    const vrfs = [base, base + 1, base + 2];
    const ip = `10.${100 + (round % 100)}.${i >> 8}.${(i & 255) + 1}`;
    const host = `vpf9h${i}`;
    const mac = `02:fe:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
    const steps: Promise<unknown>[] = [
      call('ip_table_add_del', { is_add: true, table: { table_id: vrfs[0], is_ip6: false, name: `vp:${id}:pod4` } }),
      call('ip_route_add_del', {
        is_add: true,
        route: { table_id: vrfs[0], stats_index: 0, prefix: '0.0.0.0/0', paths: [path({ table_id: 0, proto: 0 })] },
      }),
      call('ip_table_add_del', { is_add: true, table: { table_id: vrfs[1], is_ip6: true, name: `vp:${id}:pod6` } }),
      call('ip_route_add_del', {
        is_add: true,
        route: { table_id: vrfs[1], stats_index: 0, prefix: '::/0', paths: [path({ table_id: 0, proto: 1 })] },
      }),
      call('ip_table_add_del', { is_add: true, table: { table_id: vrfs[2], is_ip6: false, name: `vp:${id}:rpf4` } }),
    ];
    const loMade = call('create_loopback_instance', {
      mac_address: '00:00:00:00:00:00',
      is_specified: true,
      user_instance: 1000 + i,
    }).then((r) => r['sw_if_index'] as number);
    const itfMade = call('af_packet_create_v3', {
      mode: 1, // AF_PACKET_API_MODE_ETHERNET
      hw_addr: mac,
      use_random_hw_addr: false,
      host_if_name: host,
      flags: 3,
      num_rx_queues: 1,
      num_tx_queues: 1,
    }).then((r) => r['sw_if_index'] as number);
    const setTables = (sw: number): Promise<unknown>[] => [
      call('sw_interface_set_table', { sw_if_index: sw, is_ipv6: false, vrf_id: vrfs[0] }),
      call('sw_interface_set_table', { sw_if_index: sw, is_ipv6: true, vrf_id: vrfs[1] }),
    ];
    const loDone = loMade.then((sw) =>
      Promise.all([
        call('sw_interface_tag_add_del', { is_add: true, sw_if_index: sw, tag: `vp:${id}:lo` }),
        ...setTables(sw),
        call('sw_interface_add_del_address', { sw_if_index: sw, is_add: true, del_all: false, prefix: `${ip}/32` }),
        call('sw_interface_set_flags', { sw_if_index: sw, flags: 1 }),
      ]),
    );
    const itfDone = itfMade.then((sw) =>
      Promise.all([
        call('sw_interface_tag_add_del', { is_add: true, sw_if_index: sw, tag: `vp:${id}` }),
        ...setTables(sw),
        call('sw_interface_set_mtu', { sw_if_index: sw, mtu: [1450, 0, 0, 0] }),
        call('feature_gso_enable_disable', { sw_if_index: sw, enable_disable: true }),
        call('feature_cnat_enable_disable', { sw_if_index: sw, enable_disable: true }),
        call('sw_interface_set_flags', { sw_if_index: sw, flags: 1 }),
        call('sw_interface_set_rx_mode', { sw_if_index: sw, queue_id_valid: false, queue_id: 0, mode: 2 }),
      ]),
    );
    const [lo, sw] = await Promise.all([loMade, itfMade]);
    const podDone = Promise.all([
      call('sw_interface_set_unnumbered', { sw_if_index: lo, unnumbered_sw_if_index: sw, is_add: true }),
      call('ip_neighbor_add_del', {
        is_add: true,
        neighbor: { sw_if_index: sw, flags: 1, mac_address: '02:fe:aa:bb:cc:dd', ip_address: ip },
      }),
      call('ip_route_add_del', {
        is_add: true,
        is_multipath: false,
        route: {
          table_id: 0,
          stats_index: 0,
          prefix: `${ip}/32`,
          paths: [path({ sw_if_index: sw, proto: 0, nh: { ...create_fib_path().nh, address: { ip4: ip } } })],
        },
      }),
      call('ip_route_add_del', {
        is_add: true,
        is_multipath: false,
        route: { table_id: vrfs[2], stats_index: 0, prefix: `${ip}/32`, paths: [path({ sw_if_index: sw, proto: 0 })] },
      }),
      call('urpf_update_v2', { is_input: true, mode: 2, af: 0, sw_if_index: sw, table_id: vrfs[2] }),
    ]);
    await Promise.all([...steps, loDone, itfDone, podDone]);
    return { lo, host, vrfs, ip };
  };

  const delPod = async (p: { lo: number; host: string; vrfs: number[]; ip: string }): Promise<void> => {
    if (MIX === 'ping') {
      await Promise.all(Array.from({ length: 6 }, () => call('control_ping', {})));
      return;
    }
    await Promise.all([
      call('ip_route_add_del', {
        is_add: false,
        is_multipath: false,
        route: { table_id: 0, stats_index: 0, prefix: `${p.ip}/32`, paths: [] },
      }),
      call('af_packet_delete', { host_if_name: p.host }),
      call('delete_loopback', { sw_if_index: p.lo }),
      ...p.vrfs.map((id, k) =>
        call('ip_table_add_del', { is_add: false, table: { table_id: id, is_ip6: k === 1, name: '' } }),
      ),
    ]);
  };

  const add: { us: number; wall: number }[] = [];
  const del: { us: number; wall: number }[] = [];
  let addMsgs = 0;
  let delMsgs = 0;
  for (let r = 0; r < WARM + ROUNDS; r++) {
    messages = 0;
    let c0 = await peer.cpu();
    let t0 = performance.now();
    const pods = await Promise.all(Array.from({ length: PODS }, (_, i) => addPod(r, i)));
    let wall = performance.now() - t0;
    let c1 = await peer.cpu();
    addMsgs = messages;
    if (r >= WARM) add.push({ us: (c1 - c0) / messages, wall });
    messages = 0;
    c0 = await peer.cpu();
    t0 = performance.now();
    await Promise.all(pods.map(delPod));
    wall = performance.now() - t0;
    c1 = await peer.cpu();
    delMsgs = messages;
    if (r >= WARM) del.push({ us: (c1 - c0) / messages, wall });
  }
  await vpp.close();
  await peer.stop();

  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const f = (x: number): string => x.toFixed(2);
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  // the mean counts GC pauses where they fall; the median of rounds leaves most of them out
  const line = (what: string, xs: { us: number; wall: number }[], n: number): string =>
    `${what}: ${n} msgs/burst, fake CPU mean ${f(sum(xs.map((x) => x.us)) / xs.length)} µs/msg, median ${f(med(xs.map((x) => x.us)))} (min ${f(Math.min(...xs.map((x) => x.us)))}, max ${f(Math.max(...xs.map((x) => x.us)))}), wall median ${f(med(xs.map((x) => x.wall)))} ms`;
  console.log(
    `fake-msgs: peer ${PEER}, ${PODS} pods, ${ROUNDS} rounds (+${WARM} warm), load ${loadavg()[0]!.toFixed(2)}`,
  );
  console.log(line('add', add, addMsgs));
  console.log(line('del', del, delMsgs));
  const total =
    (sum(add.map((a) => a.us)) * addMsgs + sum(del.map((d) => d.us)) * delMsgs) / ((addMsgs + delMsgs) * add.length);
  console.log(`add+del: fake CPU mean ${f(total)} µs/msg`);
  const round2 = (x: number): number => Number(x.toFixed(2));
  const resultsDir = join(dirname(here), 'results');
  const summary = (xs: { us: number; wall: number }[], n: number) => ({
    messagesPerBurst: n,
    fakeCpuUsPerMessage: {
      median: round2(med(xs.map((x) => x.us))),
      mean: round2(sum(xs.map((x) => x.us)) / xs.length),
    },
    wallMsMedian: round2(med(xs.map((x) => x.wall))),
  });
  const cpu = cpus();
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    join(resultsDir, 'fake-msgs.json'),
    `${JSON.stringify(
      {
        benchmark: "fake VPP: CPU per API message on the CNI server's pod Add/Del mix (fake in its own process)",
        date: new Date().toISOString(),
        machine: {
          cpu: cpu[0]?.model ?? 'unknown',
          cores: cpu.length,
          node: process.version,
          loadavgAtEnd: loadavg().map((x) => round2(x)),
        },
        peer: PEER,
        pods: PODS,
        rounds: ROUNDS,
        warmRounds: WARM,
        add: summary(add, addMsgs),
        del: summary(del, delMsgs),
        addDelMeanUsPerMessage: round2(total),
      },
      null,
      2,
    )}\n`,
  );
}
