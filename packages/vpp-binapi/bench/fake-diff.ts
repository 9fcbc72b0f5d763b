/**
 * Differential check of the fake VPP against another build of it: both get the same request stream
 * (written in the same seeded random pieces, so requests are split across socket chunks) and every byte
 * they send back must be the same. For changes to the fake that must not change its behaviour (speed-ups):
 * keep a bundle of the old fake (`FAKE_KEEP_BUNDLE=/tmp/old-fake-peer.mjs npx tsx bench/fake-msgs.ts`), change
 * the code, then
 *
 *   FAKE_DIFF_OLD=/tmp/old-fake-peer.mjs npx tsx bench/fake-diff.ts
 *
 * The stream: an events subscriber, pod Adds (as bench/fake-msgs.ts, plus IPv6 addresses and routes,
 * VLAN sub-interfaces and their parent going up and down), requests that fail (bad indexes, duplicates,
 * overlaps, missing tables), every dump of what was made, Dels of half the pods (parents with their
 * sub-interfaces and unnumbered borrowers), dumps again, Adds again (indexes reused), for several rounds.
 * After each batch a barrier request whose reply marks the batch's end. Exits 1 on the first difference.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FRAME_HEADER_SIZE, FrameDecoder, frame } from '../src/codec/frame.js';
import { create_fib_path, messagesByName } from '../src/generated/index.js';
import { seededRandom } from '../src/testing/random.js';
import { bundleFakePeer, forkFakePeer } from './fake-peer-process.js';

type Fields = Record<string, unknown>;
const PODS = Number(process.env['FAKE_DIFF_PODS'] ?? 40);
const ROUNDS = Number(process.env['FAKE_DIFF_ROUNDS'] ?? 3);
const INDEX_INVALID = 0xffffffff;

/** One raw connection: requests are queued, written as a batch in random pieces, then a barrier. */
class Conn {
  readonly #decoder = new FrameDecoder();
  readonly #frames: Uint8Array[] = [];
  readonly #queued: Uint8Array[] = [];
  readonly #ids = new Map<string, number>();
  readonly #names = new Map<number, string>();
  #waiter: (() => void) | undefined;
  #context = 1;
  readonly received: Uint8Array[] = [];
  /** Messages received by `<name> <retval>`. */
  readonly seen = new Map<string, number>();

  private constructor(
    private readonly s: Socket,
    private readonly random: () => number,
  ) {
    s.on('data', (chunk: Buffer) => {
      this.received.push(Buffer.from(chunk));
      for (const p of this.#decoder.push(chunk).payloads) this.#frames.push(p);
      this.#waiter?.();
    });
  }

  static async open(path: string, seed: number): Promise<Conn> {
    const s = connect(path);
    await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
    const c = new Conn(s, seededRandom(seed));
    const def = messagesByName.get('sockclnt_create')!;
    s.write(frame(def.encode(def.create({ _vl_msg_id: 15, context: 1, name: 'fake-diff' }))));
    const [reply] = await c.#take(1);
    const r = messagesByName.get('sockclnt_create_reply')!.decode(reply!) as {
      message_table: { index: number; name: string }[];
    };
    for (const e of r.message_table) {
      const name = e.name.slice(0, e.name.lastIndexOf('_'));
      c.#ids.set(name, e.index);
      c.#names.set(e.index, name);
    }
    return c;
  }

  async #take(n: number): Promise<Uint8Array[]> {
    while (this.#frames.length < n) await new Promise<void>((r) => (this.#waiter = r));
    this.#waiter = undefined;
    return this.#frames.splice(0, n);
  }

  nameOf(payload: Uint8Array): string {
    return this.#names.get((payload[0]! << 8) | payload[1]!) ?? '?';
  }

  /** Queues a request; returns its context. */
  send(name: string, fields: Fields = {}): number {
    const def = messagesByName.get(name);
    const id = this.#ids.get(name);
    if (!def || id === undefined) throw new Error(`${name}: not in the fake's table`);
    const context = ++this.#context;
    this.#queued.push(frame(def.encode(def.create({ ...fields, _vl_msg_id: id, context }))));
    return context;
  }

  /** Writes the queued requests and a barrier; returns every message received up to the barrier's reply. */
  async batch(): Promise<{ name: string; msg: Fields }[]> {
    const barrier = this.send('sw_interface_get_table', { sw_if_index: 0, is_ipv6: false });
    const bytes = Buffer.concat(this.#queued.splice(0));
    for (let off = 0; off < bytes.length;) {
      const n = 1 + Math.floor(this.random() * (this.random() < 0.2 ? 24 : 3000));
      this.s.write(bytes.subarray(off, off + n));
      off += n;
    }
    const out: { name: string; msg: Fields }[] = [];
    for (;;) {
      const [p] = await this.#take(1);
      const name = this.nameOf(p!);
      const msg = messagesByName.get(name)!.decode(p!) as Fields;
      if (name === 'sw_interface_get_table_reply' && msg['context'] === barrier) return out;
      const key = `${name} ${String(msg['retval'] ?? '')}`.trim();
      this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
      out.push({ name, msg });
    }
  }

  close(): void {
    this.s.destroy();
  }
}

function path(init: Fields): Fields {
  return { ...create_fib_path(), sw_if_index: INDEX_INVALID, ...init };
}

const sw = (r: { msg: Fields } | undefined): number => (r?.msg['sw_if_index'] as number | undefined) ?? INDEX_INVALID;

/** The request stream; `c` is one connection to one fake. */
async function workload(c: Conn, events: Conn): Promise<void> {
  events.send('want_interface_events', { enable_disable: 1, pid: 77 });
  await events.batch();
  type Pod = { lo: number; itf: number; vlan: number; host: string; vrfs: number[]; ip: string; ip6: string };
  let pods: Pod[] = [];
  let nextId = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // wave 1: tables, default routes, loopback, af_packet
    const fresh: Pod[] = [];
    for (let n = pods.length; n < PODS; n++) {
      const i = nextId++;
      const base = 1000 + i * 4;
      const p: Pod = {
        lo: 0,
        itf: 0,
        vlan: 0,
        host: `vpf9d${i}`,
        vrfs: [base, base + 1, base + 2],
        ip: `10.${100 + round}.${(i >> 7) & 255}.${(i & 127) + 1}`,
        ip6: `fd00:${round}::${i.toString(16)}`,
      };
      c.send('ip_table_add_del', { is_add: true, table: { table_id: p.vrfs[0], is_ip6: false, name: `t${i}` } });
      c.send('ip_route_add_del', {
        is_add: true,
        route: { table_id: p.vrfs[0], prefix: '0.0.0.0/0', paths: [path({ table_id: 0, proto: 0 })] },
      });
      c.send('ip_table_add_del', { is_add: true, table: { table_id: p.vrfs[1], is_ip6: true, name: `t6${i}` } });
      c.send('ip_route_add_del', {
        is_add: true,
        route: { table_id: p.vrfs[1], prefix: '::/0', paths: [path({ table_id: 0, proto: 1 })] },
      });
      c.send('ip_table_add_del', { is_add: true, table: { table_id: p.vrfs[2], is_ip6: false, name: '' } });
      c.send('create_loopback_instance', { is_specified: true, user_instance: 1000 + i });
      c.send('af_packet_create_v3', {
        mode: 1,
        hw_addr: `02:fe:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
        host_if_name: p.host,
        flags: 3,
        num_rx_queues: 1 + (i % 2),
        num_tx_queues: 1,
      });
      fresh.push(p);
    }
    // failures
    c.send('ip_route_add_del', { is_add: true, route: { table_id: 4242, prefix: '1.2.3.0/24', paths: [path({})] } });
    c.send('ip_table_add_del', { is_add: false, table: { table_id: 4243, is_ip6: false } });
    if (fresh[0]) c.send('af_packet_create_v3', { mode: 1, hw_addr: '02:00:00:00:00:01', host_if_name: fresh[0].host });
    if (fresh[0]) c.send('create_loopback_instance', { is_specified: true, user_instance: 1000 + nextId - 1 });
    c.send('sw_interface_set_flags', { sw_if_index: 9999, flags: 1 });
    c.send('af_packet_delete', { host_if_name: 'nope' });
    const w1 = await c.batch();
    const created = w1.filter(
      (r) => r.name === 'create_loopback_instance_reply' || r.name === 'af_packet_create_v3_reply',
    );
    fresh.forEach((p, k) => {
      p.lo = sw(created[2 * k]);
      p.itf = sw(created[2 * k + 1]);
    });
    // wave 2: the loopback's and the interface's settings; VLAN sub-interfaces on every third pod
    for (const [k, p] of fresh.entries()) {
      c.send('sw_interface_tag_add_del', { is_add: true, sw_if_index: p.lo, tag: `lo${k}` });
      for (const s of [p.lo, p.itf]) {
        c.send('sw_interface_set_table', { sw_if_index: s, is_ipv6: false, vrf_id: p.vrfs[0] });
        c.send('sw_interface_set_table', { sw_if_index: s, is_ipv6: true, vrf_id: p.vrfs[1] });
      }
      c.send('sw_interface_add_del_address', { sw_if_index: p.lo, is_add: true, prefix: `${p.ip}/32` });
      c.send('sw_interface_add_del_address', { sw_if_index: p.lo, is_add: true, prefix: `${p.ip6}/128` });
      // the same address again: overlap
      c.send('sw_interface_add_del_address', { sw_if_index: p.lo, is_add: true, prefix: `${p.ip}/32` });
      c.send('sw_interface_set_flags', { sw_if_index: p.lo, flags: 1 });
      c.send('sw_interface_tag_add_del', { is_add: true, sw_if_index: p.itf, tag: `itf${k}` });
      c.send('sw_interface_set_mtu', { sw_if_index: p.itf, mtu: [1450, 0, 0, 0] });
      c.send('feature_gso_enable_disable', { sw_if_index: p.itf, enable_disable: true });
      c.send('feature_cnat_enable_disable', { sw_if_index: p.itf, enable_disable: true });
      c.send('sw_interface_set_flags', { sw_if_index: p.itf, flags: 1 });
      c.send('sw_interface_set_rx_mode', { sw_if_index: p.itf, mode: 2 });
      if (k % 3 === 0) {
        c.send('create_vlan_subif', { sw_if_index: p.itf, vlan_id: 100 + k });
        c.send('create_vlan_subif', { sw_if_index: p.itf, vlan_id: 100 + k }); // taken
      }
    }
    const w2 = await c.batch();
    const subs = w2.filter((r) => r.name === 'create_vlan_subif_reply' && r.msg['retval'] === 0);
    fresh.filter((_, k) => k % 3 === 0).forEach((p, j) => (p.vlan = sw(subs[j])));
    // wave 3: unnumbered, neighbours, routes, uRPF; sub-interfaces up, their parents down and up
    for (const p of fresh) {
      c.send('sw_interface_set_unnumbered', { sw_if_index: p.lo, unnumbered_sw_if_index: p.itf, is_add: true });
      c.send('sw_interface_ip6_enable_disable', { sw_if_index: p.itf, enable: true });
      for (const ip of [p.ip, p.ip6]) {
        const v6 = ip.includes(':');
        c.send('ip_neighbor_add_del', {
          is_add: true,
          neighbor: { sw_if_index: p.itf, flags: 1, mac_address: '02:fe:aa:bb:cc:dd', ip_address: ip },
        });
        c.send('ip_route_add_del', {
          is_add: true,
          route: {
            table_id: 0,
            prefix: `${ip}/${v6 ? 128 : 32}`,
            paths: [
              path({
                sw_if_index: p.itf,
                proto: v6 ? 1 : 0,
                nh: { ...create_fib_path().nh, address: v6 ? { ip6: ip } : { ip4: ip } },
              }),
            ],
          },
        });
      }
      c.send('ip_route_add_del', {
        is_add: true,
        route: { table_id: p.vrfs[2], prefix: `${p.ip}/32`, paths: [path({ sw_if_index: p.itf, proto: 0 })] },
      });
      c.send('urpf_update_v2', { is_input: true, mode: 2, af: 0, sw_if_index: p.itf, table_id: p.vrfs[2] });
      if (p.vlan) {
        c.send('sw_interface_set_flags', { sw_if_index: p.vlan, flags: 1 });
        c.send('sw_interface_set_table', { sw_if_index: p.vlan, is_ipv6: false, vrf_id: p.vrfs[0] });
        c.send('sw_interface_set_table', { sw_if_index: p.vlan, is_ipv6: true, vrf_id: p.vrfs[1] });
        c.send('sw_interface_set_unnumbered', { sw_if_index: p.lo, unnumbered_sw_if_index: p.vlan, is_add: true });
        c.send('ip_neighbor_add_del', {
          is_add: true,
          neighbor: { sw_if_index: p.vlan, flags: 1, mac_address: '02:fe:aa:bb:cc:ee', ip_address: '192.0.2.1' },
        });
        c.send('sw_interface_set_flags', { sw_if_index: p.itf, flags: 0 });
        c.send('sw_interface_set_flags', { sw_if_index: p.itf, flags: 1 });
      }
    }
    await c.batch();
    pods = [...pods, ...fresh];
    // dumps
    const dumps = (): void => {
      c.send('sw_interface_dump', {});
      c.send('ip_table_dump', {});
      for (const t of [0, ...pods.slice(0, 5).flatMap((p) => p.vrfs)]) {
        c.send('ip_route_dump', { table: { table_id: t, is_ip6: false } });
        c.send('ip_route_dump', { table: { table_id: t, is_ip6: true } });
      }
      for (const p of pods.slice(0, 8)) {
        c.send('ip_address_dump', { sw_if_index: p.lo, is_ipv6: false });
        c.send('ip_address_dump', { sw_if_index: p.lo, is_ipv6: true });
      }
      c.send('ip_neighbor_dump', { sw_if_index: INDEX_INVALID, af: 0 });
      c.send('ip_neighbor_dump', { sw_if_index: INDEX_INVALID, af: 1 });
      c.send('ip_unnumbered_dump', { sw_if_index: INDEX_INVALID });
      c.send('urpf_interface_dump', { sw_if_index: INDEX_INVALID });
      c.send('af_packet_dump', {});
      c.send('sw_interface_rx_placement_dump', { sw_if_index: INDEX_INVALID });
    };
    dumps();
    await c.batch();
    // Dels of every other pod: route, af_packet (its sub-interface and neighbours go with it), loopback, tables
    const gone = pods.filter((_, k) => k % 2 === round % 2);
    for (const [k, p] of gone.entries()) {
      c.send('ip_route_add_del', { is_add: false, route: { table_id: 0, prefix: `${p.ip}/32`, paths: [] } });
      // the lender first (its borrowers lose their unnumbered) or the interface first
      if (k % 2) c.send('delete_loopback', { sw_if_index: p.lo });
      c.send('af_packet_delete', { host_if_name: p.host });
      if (k % 2 === 0) c.send('delete_loopback', { sw_if_index: p.lo });
      p.vrfs.forEach((id, k) =>
        c.send('ip_table_add_del', { is_add: false, table: { table_id: id, is_ip6: k === 1, name: '' } }),
      );
      c.send('af_packet_delete', { host_if_name: p.host }); // gone already
      c.send('sw_interface_set_flags', { sw_if_index: p.vlan || p.itf, flags: 1 }); // gone already
    }
    await c.batch();
    pods = pods.filter((p) => !gone.includes(p));
    dumps();
    await c.batch();
  }
}

async function main(): Promise<void> {
  const old = process.env['FAKE_DIFF_OLD'];
  if (!old) throw new Error('FAKE_DIFF_OLD=<bundle of the old fake> is required');
  const dir = mkdtempSync(join(tmpdir(), 'fake-diff-'));
  const peers = await Promise.all([forkFakePeer(old), forkFakePeer(bundleFakePeer(join(dir, 'fake-peer.mjs')))]);
  try {
    const streams: Buffer[] = [];
    for (const p of peers) {
      // one after the other: client indexes are given in handshake order
      const c = await Conn.open(p.socket, 1);
      const events = await Conn.open(p.socket, 2);
      await workload(c, events);
      await events.batch();
      streams.push(Buffer.concat(c.received), Buffer.concat(events.received));
      if (process.env['FAKE_DIFF_VERBOSE'])
        console.log([...c.seen, ...events.seen].map(([k, n]) => `  ${n} ${k}`).join('\n'));
      c.close();
      events.close();
    }
    const [a, ea, b, eb] = streams;
    for (const [what, x, y] of [
      ['requests connection', a!, b!],
      ['events connection', ea!, eb!],
    ] as const) {
      if (x.equals(y)) {
        console.log(`fake-diff: ${what}: ${x.length} bytes, ${countFrames(x)} frames, identical`);
        continue;
      }
      let i = 0;
      while (i < x.length && x[i] === y[i]) i++;
      console.log(
        `fake-diff: ${what}: DIFFERENT (old ${x.length} bytes, new ${y.length}); first difference at byte ${i}`,
      );
      process.exitCode = 1;
    }
  } finally {
    for (const p of peers) p.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

function countFrames(b: Buffer): number {
  let n = 0;
  for (let off = 0; off + FRAME_HEADER_SIZE <= b.length; n++) off += FRAME_HEADER_SIZE + b.readUInt32BE(off + 8);
  return n;
}

await main();
