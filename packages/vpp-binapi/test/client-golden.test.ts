/**
 * The recorded VPP 26.06 sessions (../shared/vpp-golden/session-main.jsonl and session-dataplane.jsonl)
 * replayed through the client: a peer answers with VPP's real frames (its real message table, real
 * replies, error replies and an event), and every request the client writes must equal the recorded
 * bytes, context aside. The client holds the bindings of three releases and must pick 26.06's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameDecoder, frame } from '../src/codec/frame.js';
import { connectVpp } from '../src/client/connect.js';
import type { AnyVppApi } from '../src/client/types.js';
import type { VppClient } from '../src/client/client.js';
import { messages, messagesByNameCrc } from '../src/generated/index.js';
import { releasesOf } from '../src/client/releases.js';

const GOLDEN_DIR = fileURLToPath(new URL('../../../../shared/vpp-golden/', import.meta.url));

interface Frame {
  seq: number;
  dir: 'c2s' | 's2c';
  msg: string;
  hex: string;
  json: Record<string, unknown>;
}

function load(file: string): Frame[] {
  const path = join(GOLDEN_DIR, file);
  return existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Frame & { kind: string })
        .filter((f) => f.kind === 'frame')
    : [];
}

/** What each session must show beyond the byte-exact requests. */
interface Expect {
  tableSize: number;
  /** Modules whose plugin that VPP had not loaded: all their messages are missing. */
  unloaded: string[];
  outcomes: string[];
}

const SESSIONS: { file: string; expect: Expect }[] = [
  {
    file: 'session-main.jsonl',
    expect: {
      tableSize: 1157,
      // policer (ip_punt_police's module in 26.06) is a plugin that VPP had not loaded
      unloaded: ['af_xdp', 'http_static', 'ip_session_redirect', 'policer', 'rdma', 'vmxnet3'],
      outcomes: [
        'sw_interface_dump: 5',
        'ip_route_dump: 11',
        'delete_loopback: VNET_API_ERROR_INVALID_SW_IF_INDEX',
        'tap_create_v3: VNET_API_ERROR_SYSCALL_ERROR_1',
      ],
    },
  },
  {
    file: 'session-dataplane.jsonl',
    expect: {
      tableSize: 2030,
      unloaded: ['af_xdp', 'rdma'],
      outcomes: [
        'get_f64_endian_value: ok',
        'get_f64_increment_by_one: ok',
        'sw_interface_set_promisc: VNET_API_ERROR_UNSPECIFIED',
        'set_punt: ok',
        'cnat_set_snat_policy: ok',
        'npol_rule_create: ok',
        'af_packet_dump: 1',
        'wireguard_peers_dump: 1',
      ],
    },
  },
];

const bytes = (hex: string): Buffer => Buffer.from(hex, 'hex');

describe.each(SESSIONS)('golden $file replayed through the client', ({ file, expect: want_ }) => {
  const frames = load(file);
  let server: Server;
  let dir: string;
  const mismatches: string[] = [];
  let received = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'golden-vpp-'));
    const handshake = frames[1]!;
    const requests = frames.filter((f) => f.dir === 'c2s' && f.seq > 0);
    // VPP's answers by the context of the request they answer; events go with the answer before them
    const answers = new Map<number, Frame[]>();
    let last: Frame[] | undefined;
    for (const f of frames.filter((x) => x.dir === 's2c' && x.seq > 1)) {
      const ctx = f.json['context'];
      if (typeof ctx === 'number') {
        if (!answers.has(ctx)) answers.set(ctx, []);
        last = answers.get(ctx)!;
      }
      last!.push(f);
    }
    server = createServer((sock) => {
      const dec = new FrameDecoder();
      let next = 0;
      const ctxMap = new Map<number, number>(); // recorded context -> client's context
      sock.on('error', () => {});
      sock.on('data', (chunk) => {
        for (const raw of dec.push(chunk).payloads) {
          const p = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
          const id = p.readUInt16BE(0);
          if (id === 15) {
            const reply = bytes(handshake.hex);
            reply.writeUInt32BE(p.readUInt32BE(2), 6);
            sock.write(frame(reply));
            continue;
          }
          const want = requests[next++];
          received++;
          if (!want) {
            mismatches.push(`unexpected extra request with id ${id}`);
            continue;
          }
          const def = messagesByNameCrc.get(want.msg)!;
          const expected = bytes(want.hex);
          const ctx = p.readUInt32BE(def.contextOffset);
          const recordedCtx = expected.readUInt32BE(def.contextOffset);
          ctxMap.set(recordedCtx, ctx);
          const got = Buffer.from(p);
          got.writeUInt32BE(recordedCtx, def.contextOffset);
          if (!got.equals(expected)) mismatches.push(`${want.seq} ${want.msg}: sent ${got.toString('hex')}`);
          // a dump is answered once its control_ping (same context) has arrived
          const following = requests[next];
          if (following && bytes(following.hex).readUInt32BE(6) === recordedCtx) continue;
          for (const a of answers.get(recordedCtx) ?? []) {
            const out = bytes(a.hex);
            const adef = messagesByNameCrc.get(a.msg)!;
            if (adef.contextOffset >= 0)
              out.writeUInt32BE(ctxMap.get(out.readUInt32BE(adef.contextOffset)) ?? 0, adef.contextOffset);
            sock.write(frame(out));
          }
        }
      });
    });
    await new Promise<void>((r) => server.listen(join(dir, 'api.sock'), r));
  });

  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(frames.length === 0)('speaks the recorded session byte for byte', async () => {
    const vpp = await connectVpp({ socket: join(dir, 'api.sock'), name: 'golden-capture' });
    // the real table: every message our bindings know is there with the same CRC
    expect(vpp.compat.mismatched).toEqual([]);
    // missing: only messages of the plugins that VPP had not loaded (all their messages are absent)
    const of = (n: string): { module: string; releases: readonly string[] } => {
      const def = vpp.bindings.messages.get(n)!;
      return { module: def.module, releases: releasesOf(def) };
    };
    const missing26 = vpp.compat.missing.filter((n) => of(n).releases.includes('26.06'));
    const missingModules = [...new Set(missing26.map((n) => of(n).module))].sort();
    expect(missingModules).toEqual(want_.unloaded);
    for (const m of missingModules) {
      expect(missing26.filter((n) => of(n).module === m).length).toBe(messages.filter((d) => d.module === m).length);
    }
    expect(vpp.compat.missing.filter((n) => !of(n).releases.includes('26.06'))).toEqual([]);
    // the table is 26.06's: where releases differ, VPP announced 26.06's definition
    expect(vpp.compat.releases).toEqual(['26.06']);
    expect(vpp.releasesOf('cnat_set_snat_policy')).toEqual(['26.06']);
    expect(vpp.releasesOf('sw_interface_dump')).toEqual(['25.10', '26.02', '26.06']);
    expect(vpp.table.size).toBe(want_.tableSize);
    expect(vpp.clientIndex).toBe(2147483649);
    const any = vpp as unknown as VppClient<AnyVppApi>;

    const requests = frames.filter((f) => f.dir === 'c2s' && f.seq > 0 && f.msg !== frames[0]!.msg);
    let sub: ReturnType<VppClient<AnyVppApi>['events']> | undefined;
    const outcomes: string[] = [];
    for (let i = 0; i < requests.length; i++) {
      const f = requests[i]!;
      const def = messagesByNameCrc.get(f.msg)!;
      const msg = def.decode(bytes(f.hex)) as Record<string, unknown>;
      const name = def.name;
      if (name === 'control_ping' && requests[i - 1]?.msg.includes('_dump_')) continue; // sent by dump()
      if (name === 'sockclnt_delete') {
        await vpp.close();
        continue;
      }
      if (name === 'want_interface_events') {
        if (msg['enable_disable']) {
          sub = any.events(name, msg);
          await sub.ready;
        } else {
          const it = sub![Symbol.asyncIterator]();
          const ev = await it.next();
          expect(ev.value).toMatchObject({ sw_if_index: 1, flags: 0, deleted: false, pid: 31692 });
          await sub!.close();
        }
        continue;
      }
      if (name.endsWith('_dump')) {
        let n = 0;
        for await (const _ of any.dump(name, msg)) n++;
        outcomes.push(`${name}: ${n}`);
        continue;
      }
      try {
        await any.call(name, msg);
        outcomes.push(`${name}: ok`);
      } catch (err) {
        const e = err as { name: string; errorName?: string };
        outcomes.push(`${name}: ${e.errorName ?? e.name}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(received).toBe(frames.filter((f) => f.dir === 'c2s').length - 1);
    for (const o of want_.outcomes) expect(outcomes).toContain(o);
  });
});
