/**
 * The controller's share of the propagation bench, without daemons: N best-path changes as gobgpd
 * sends them (one `WatchEventResponse` per path, the bytes built here in gobgpd's shape) → decoded →
 * the controller (through an injected speaker) → the route programmer → a fake VPP in a child process.
 * Reports this process's CPU per route for each stage, so changes to decode, bookkeeping and the VPP
 * pipeline can be compared in one run on a shared machine. Needs no root.
 *
 *   npx tsx --conditions=@vectorplane/source bench/pipeline.ts [--routes 100000] [--decoder lean|protobufjs] [--batch 64]
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { connectVpp } from '@vectorplane/vpp-binapi';
import { startTestVpp } from '@vectorplane/vpp-binapi/testing';
import { createMemorySource } from '@vectorplane/kube';
import { decodeMessage, encodeMessage, packAny } from '../src/api/codec.js';
import type { ApiPath } from '../src/api/types.js';
import { createBgpController, fromApiPath, type BgpPath, type BgpSpeaker, type BgpWatchEvent } from '../src/index.js';
import { createPathDecoder } from '../src/path-decoder.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const N = Number(arg('routes', '100000'));
const DECODER = arg('decoder', 'lean');
/** Messages per batch the stream hands over (grpc delivers what arrived since the last read). */
const BATCH = Number(arg('batch', '64'));

/** One WatchEventResponse per path, as gobgpd 3.10 builds them (toPathApi: Any NLRI and attributes). */
function watchEvents(n: number, withdraw: boolean): Buffer[] {
  const pattrs = [
    packAny('OriginAttribute', { origin: 0 }),
    packAny('AsPathAttribute', { segments: [{ type: 'AS_SEQUENCE', numbers: [65001] }] }),
    packAny('NextHopAttribute', { next_hop: '10.98.1.2' }),
  ];
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const base = (20 << 24) + i * 256;
    const prefix = `${(base >>> 24) & 255}.${(base >>> 16) & 255}.${(base >>> 8) & 255}.0`;
    const path: ApiPath = {
      nlri: packAny('IPAddressPrefix', { prefix, prefix_len: 24 }),
      pattrs,
      age: { seconds: 1_780_000_000 + i, nanos: 0 },
      best: !withdraw,
      is_withdraw: withdraw,
      family: { afi: 'AFI_IP', safi: 'SAFI_UNICAST' },
      source_asn: 65001,
      source_id: '10.98.1.2',
      neighbor_ip: '10.98.1.2',
      is_from_external: true,
    };
    out.push(Buffer.from(encodeMessage('WatchEventResponse', { table: { paths: [path] } })));
  }
  return out;
}

function decoderOf(kind: string): (b: Buffer) => BgpPath[] {
  if (kind === 'lean') {
    const d = createPathDecoder();
    return (b) => {
      const ev = d.watchEvent(b);
      return ev.kind === 'table' ? ev.paths : [];
    };
  }
  return (b) => {
    const ev = decodeMessage<{ table?: { paths?: ApiPath[] } }>('WatchEventResponse', b);
    return (ev.table?.paths ?? []).map(fromApiPath).filter((p): p is BgpPath => !!p);
  };
}

/** A speaker that only streams: the paths it is fed, decoded from bytes in batches. */
function feedSpeaker(): BgpSpeaker & { feed(msgs: Buffer[]): Promise<void> } {
  const et = new EventTarget();
  const decode = decoderOf(DECODER);
  let push: ((ev: BgpWatchEvent) => void) | undefined;
  const queue: BgpWatchEvent[] = [{ type: 'snapshot', paths: [] }];
  const speaker = Object.assign(et, {
    global: { asn: 64512, routerId: '10.98.1.1', listenAddresses: ['10.98.1.1'] },
    async start() {},
    async stop() {},
    async addPeer() {},
    async updatePeer() {},
    async deletePeer() {},
    async peers() {
      return [];
    },
    async setPolicy() {},
    async deletePolicy() {},
    async announce() {},
    async withdraw() {},
    async bestPaths() {
      return [];
    },
    watch(options: { signal?: AbortSignal } = {}): AsyncIterable<BgpWatchEvent> {
      const { signal } = options;
      return {
        async *[Symbol.asyncIterator]() {
          const onAbort = () => {
            const p = push;
            push = undefined;
            p?.({ type: 'paths', paths: [] });
          };
          signal?.addEventListener('abort', onAbort, { once: true });
          try {
            while (!signal?.aborted) {
              while (queue.length) yield queue.shift()!;
              await new Promise<void>((r) => (push = () => r()));
            }
          } finally {
            signal?.removeEventListener('abort', onAbort);
          }
        },
      };
    },
    async feed(msgs: Buffer[]) {
      // a batch per macrotask, as grpc delivers what arrived between reads
      for (let i = 0; i < msgs.length; i += BATCH) {
        const paths: BgpPath[] = [];
        for (const m of msgs.slice(i, i + BATCH)) for (const p of decode(m)) paths.push(p);
        queue.push({ type: 'paths', paths });
        const p = push;
        push = undefined;
        p?.({ type: 'paths', paths: [] });
        await new Promise((r) => setImmediate(r));
      }
    },
  });
  return speaker as unknown as BgpSpeaker & { feed(msgs: Buffer[]): Promise<void> };
}

async function waitFor(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

async function main(): Promise<void> {
  const announce = watchEvents(N, false);
  const withdraw = watchEvents(N, true);
  const vppProc = await startTestVpp();
  const vpp = await connectVpp({ socket: vppProc.apiSocket, timeoutMs: 60_000 });
  const source = createMemorySource();
  const speaker = feedSpeaker();
  try {
    const uplink = (await vpp.call('create_loopback', { mac_address: '02:00:00:00:0d:01' })).sw_if_index;
    await vpp.call('sw_interface_add_del_address', { sw_if_index: uplink, is_add: true, prefix: '10.98.1.1/24' });
    source.apply({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'us', annotations: { 'projectcalico.org/IPv4Address': '10.98.1.1/24' } },
    });
    const controller = createBgpController(
      { nodeName: 'us', uplinkSwIfIndex: uplink, speaker: () => speaker },
      { vpp, source },
    );
    await controller.start();

    // decode alone, for the split
    const decode = decoderOf(DECODER);
    const d0 = process.cpuUsage();
    for (const m of announce) decode(m);
    const decodeMs = process.cpuUsage(d0);

    const phase = async (msgs: Buffer[], done: () => boolean) => {
      const calls0 = controller.programmer.stats.vppCalls;
      const s0 = controller.stats;
      const cpu0 = process.cpuUsage();
      const vppCpu0 = vppCpu(vppProc.pid);
      const t0 = performance.now();
      await speaker.feed(msgs);
      await waitFor(done);
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const s1 = controller.stats;
      const cpuMs = (cpu.user + cpu.system) / 1000;
      return {
        ms: Math.round(ms),
        cpuMs: Math.round(cpuMs),
        cpuUsPerRoute: Number(((cpuMs * 1000) / N).toFixed(1)),
        fakeVppCpuMs: Math.round(vppCpu(vppProc.pid) - vppCpu0),
        vppCalls: controller.programmer.stats.vppCalls - calls0,
        routeChanges: s1.changes - s0.changes,
        drains: s1.drains - s0.drains,
      };
    };
    const ann = await phase(announce, () => controller.programmer.stats.routes >= N);
    const wd = await phase(withdraw, () => controller.programmer.stats.routes === 0);
    await controller.stop();
    const result = {
      bench: 'bgp-pipeline',
      date: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, loadavg: loadavg() },
      routes: N,
      decoder: DECODER,
      batch: BATCH,
      decodeOnly: {
        cpuMs: Math.round((decodeMs.user + decodeMs.system) / 1000),
        cpuUsPerRoute: Number(((decodeMs.user + decodeMs.system) / N).toFixed(2)),
      },
      announce: ann,
      withdraw: wd,
      notes:
        'No daemons: WatchEventResponse bytes built in gobgpd 3.10 shape (one path each), decoded, fed to the controller through an injected speaker in batches of `batch` messages per macrotask, programmed into the fake VPP (child process). cpuMs: this process only (decode + controller + programmer + VPP client); fakeVppCpuMs: the fake VPP process.',
    };
    const out = join(import.meta.dirname, 'results', `pipeline-${DECODER}.json`);
    await writeFile(out, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(`${JSON.stringify(result, null, 2)}\nwritten to ${out}\n`);
  } finally {
    await source.close();
    await vpp.close().catch(() => {});
    await vppProc.stop();
  }
}

function vppCpu(pid: number): number {
  try {
    // utime + stime of the fake VPP (clock ticks of 10 ms on Linux)
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

await main();
