/**
 * The fake VPP encodes its replies straight into per-connection buffers and writes what one turn of the
 * event loop produced in one socket write. Whatever the chunking of requests and however large the burst,
 * replies must come out whole, byte for byte as encoded one by one, and in request order; a reply whose
 * encoding fails half-way must leave nothing of itself behind.
 */
import { createConnection, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyMessageDef } from '../src/codec/registry.js';
import { FRAME_HEADER_SIZE, FrameDecoder, frame } from '../src/codec/frame.js';
import { messagesByName } from '../src/generated/index.js';
import { defaultBindings } from '../src/testing/registry.js';
import { type FakeVpp, type FakeVppInit, seededRandom, startFakeVpp } from '../src/testing/index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const def = (name: string): AnyMessageDef => messagesByName.get(name)!;

/** A bare socket to the fake: writes bytes as told, decodes every frame that comes back. */
async function rawClient(fake: FakeVpp): Promise<{
  socket: Socket;
  request: (name: string, fields: Record<string, unknown>) => Uint8Array;
  frames: Uint8Array[];
  bytes: () => Buffer;
  until: (n: number) => Promise<void>;
}> {
  const socket = createConnection(fake.socketPath);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  cleanups.push(() => socket.destroy());
  const decoder = new FrameDecoder();
  const frames: Uint8Array[] = [];
  const chunks: Buffer[] = [];
  let wake: (() => void) | undefined;
  socket.on('data', (c: Buffer) => {
    chunks.push(c);
    frames.push(...decoder.push(c).payloads);
    wake?.();
  });
  const request = (name: string, fields: Record<string, unknown>): Uint8Array =>
    frame(def(name).encode(def(name).create({ ...fields, _vl_msg_id: fake.messageId(name)! })));
  const until = async (n: number): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (frames.length < n) {
      if (Date.now() > deadline) throw new Error(`${frames.length} frames of ${n} after 10 s`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 100);
      });
    }
  };
  socket.write(request('sockclnt_create', { context: 1, name: 'outbox-test' }));
  await until(1);
  frames.length = 0;
  chunks.length = 0;
  return { socket, request, frames, bytes: () => Buffer.concat(chunks), until };
}

async function fake(init: FakeVppInit = {}): Promise<FakeVpp> {
  const f = await startFakeVpp(init);
  cleanups.push(() => f.stop());
  return f;
}

/** The frame VPP (and the fake before) sends for `fields`: encoded alone. */
function expected(f: FakeVpp, name: string, fields: Record<string, unknown>): Buffer {
  return Buffer.from(frame(def(name).encode(def(name).create({ ...fields, _vl_msg_id: f.messageId(name)! }))));
}

describe('fake VPP outbox: replies whole, in order, byte for byte', () => {
  it('pipelined requests written in random pieces (headers split too) get every reply, in order', async () => {
    const f = await fake();
    const c = await rawClient(f);
    const n = 3000;
    const reqs: Uint8Array[] = [];
    const want: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const context = 100 + i;
      if (i % 3 === 0) {
        reqs.push(c.request('sw_interface_get_table', { context, sw_if_index: 0, is_ipv6: i % 2 === 0 }));
        want.push(expected(f, 'sw_interface_get_table_reply', { context, retval: 0, vrf_id: 0 }));
      } else if (i % 3 === 1) {
        reqs.push(c.request('sw_interface_set_flags', { context, sw_if_index: 4242, flags: 1 }));
        want.push(expected(f, 'sw_interface_set_flags_reply', { context, retval: -2 }));
      } else {
        reqs.push(c.request('sw_interface_set_mtu', { context, sw_if_index: 0, mtu: [9000, 0, 0, 0] }));
        want.push(expected(f, 'sw_interface_set_mtu_reply', { context, retval: 0 }));
      }
    }
    const all = Buffer.concat(reqs);
    const random = seededRandom(7);
    for (let off = 0; off < all.length;) {
      // mostly small pieces, some of 1-20 bytes (a header split in two), some large
      const r = random();
      const len = r < 0.3 ? 1 + Math.floor(random() * 20) : r < 0.9 ? 1 + Math.floor(random() * 400) : 5000;
      c.socket.write(all.subarray(off, off + len));
      off += len;
      if (random() < 0.05) await new Promise((res) => setImmediate(res));
    }
    await c.until(n);
    expect(c.frames.length).toBe(n);
    expect(c.bytes().equals(Buffer.concat(want))).toBe(true);
  });

  it('a request split across two chunks is answered once, whole', async () => {
    const f = await fake();
    const c = await rawClient(f);
    const req = c.request('sw_interface_get_table', { context: 77, sw_if_index: 0, is_ipv6: false });
    for (const cut of [3, FRAME_HEADER_SIZE - 1, FRAME_HEADER_SIZE + 5]) {
      c.frames.length = 0;
      c.socket.write(req.subarray(0, cut));
      await new Promise((r) => setTimeout(r, 20));
      expect(c.frames.length).toBe(0);
      c.socket.write(req.subarray(cut));
      await c.until(1);
      expect(
        Buffer.from(frame(c.frames[0]!)).equals(
          expected(f, 'sw_interface_get_table_reply', { context: 77, retval: 0, vrf_id: 0 }),
        ),
      ).toBe(true);
    }
  });

  it('a burst of 20000 requests in one write: replies span several buffers and stay in order', async () => {
    const f = await fake();
    const c = await rawClient(f);
    const n = 20_000;
    const reqs: Uint8Array[] = [];
    for (let i = 0; i < n; i++)
      reqs.push(c.request('sw_interface_get_table', { context: i + 1, sw_if_index: 0, is_ipv6: true }));
    c.socket.write(Buffer.concat(reqs));
    await c.until(n);
    const one = expected(f, 'sw_interface_get_table_reply', { context: 1, retval: 0, vrf_id: 0 }).length;
    expect(one * n).toBeGreaterThan(4 * 64 * 1024);
    const got = c.bytes();
    expect(got.length).toBe(one * n);
    for (let i = 0; i < n; i++) {
      const ctx = def('sw_interface_get_table_reply').decode(c.frames[i]!) as { context: number; retval: number };
      if (ctx.context !== i + 1 || ctx.retval !== 0) throw new Error(`reply ${i}: ${JSON.stringify(ctx)}`);
    }
  });

  it('frames that do not fit the buffer left (the handshake reply, a CLI reply above 64 KiB) go out whole, in place', async () => {
    const f = await fake();
    const c = await rawClient(f);
    // 1500 small replies fill most of a 64 KiB buffer; the handshake reply (the message table, ~50 KB) needs
    // the next one, and the reply after it follows
    const reqs: Uint8Array[] = [];
    for (let i = 0; i < 1500; i++)
      reqs.push(c.request('sw_interface_get_table', { context: 10 + i, sw_if_index: 0, is_ipv6: false }));
    reqs.push(c.request('sockclnt_create', { context: 2, name: 'again' }));
    reqs.push(c.request('sw_interface_get_table', { context: 3, sw_if_index: 0, is_ipv6: false }));
    c.socket.write(Buffer.concat(reqs));
    await c.until(1502);
    const small = expected(f, 'sw_interface_get_table_reply', { context: 1, retval: 0, vrf_id: 0 }).length;
    const table = def('sockclnt_create_reply').decode(c.frames[1500]!) as { context: number; count: number };
    expect(small * 1500 + c.frames[1500]!.length).toBeGreaterThan(64 * 1024);
    expect(table.context).toBe(2);
    expect(table.count).toBeGreaterThan(500);
    for (let i = 0; i < 1500; i++)
      expect((def('sw_interface_get_table_reply').decode(c.frames[i]!) as { context: number }).context).toBe(10 + i);
    expect((def('sw_interface_get_table_reply').decode(c.frames[1501]!) as { context: number }).context).toBe(3);

    // 1200 loopbacks, then `show interface` (a reply of more than 64 KiB) between two other requests
    c.frames.length = 0;
    const more: Uint8Array[] = [];
    for (let i = 0; i < 1200; i++) more.push(c.request('create_loopback', { context: 5000 + i }));
    more.push(c.request('sw_interface_get_table', { context: 6000, sw_if_index: 0, is_ipv6: false }));
    more.push(c.request('cli_inband', { context: 6001, cmd: 'show interface' }));
    more.push(c.request('sw_interface_get_table', { context: 6002, sw_if_index: 0, is_ipv6: false }));
    c.socket.write(Buffer.concat(more));
    await c.until(1203);
    expect(f.state.interfaces.size).toBe(1201);
    const cli = def('cli_inband_reply').decode(c.frames[1201]!) as { context: number; retval: number; reply: string };
    expect(c.frames[1201]!.length).toBeGreaterThan(64 * 1024);
    expect(cli).toMatchObject({ context: 6001, retval: 0 });
    expect(cli.reply.split('\n').filter((l) => l.startsWith('loop'))).toHaveLength(1200);
    expect((def('sw_interface_get_table_reply').decode(c.frames[1200]!) as { context: number }).context).toBe(6000);
    expect((def('sw_interface_get_table_reply').decode(c.frames[1202]!) as { context: number }).context).toBe(6002);
  });

  it('interface events follow the reply of the request that raised them, on the subscriber, in order', async () => {
    const f = await fake();
    const sub = await rawClient(f);
    sub.socket.write(sub.request('want_interface_events', { context: 5, enable_disable: 1, pid: 99 }));
    await sub.until(1);
    sub.frames.length = 0;
    const c = await rawClient(f);
    c.socket.write(c.request('create_loopback', { context: 1 }));
    await c.until(1);
    const sw = (def('create_loopback_reply').decode(c.frames[0]!) as { sw_if_index: number }).sw_if_index;
    c.frames.length = 0;
    const reqs: Uint8Array[] = [];
    for (let i = 0; i < 200; i++)
      reqs.push(c.request('sw_interface_set_flags', { context: 10 + i, sw_if_index: sw, flags: i % 2 ? 0 : 1 }));
    c.socket.write(Buffer.concat(reqs));
    await c.until(200);
    await sub.until(200);
    const flags = sub.frames.map(
      (p) => def('sw_interface_event').decode(p) as { flags: number; pid: number; sw_if_index: number },
    );
    expect(flags.every((e) => e.pid === 99 && e.sw_if_index === sw)).toBe(true);
    expect(flags.map((e) => e.flags)).toEqual(Array.from({ length: 200 }, (_, i) => (i % 2 ? 0 : 3)));
  });

  it('a reply whose encoding fails half-way leaves no byte behind: the retval-only reply is sent clean', async () => {
    // bindings whose show_version_reply scribbles over the buffer, then throws, for any reply with a program
    const base = defaultBindings();
    const real = base.messages.get('show_version_reply')!;
    const broken: AnyMessageDef = {
      ...real,
      encodeInto(msg: Record<string, unknown>, buf: Uint8Array, offset: number): number {
        if (msg['program']) {
          buf.fill(0xaa, offset, Math.min(buf.length, offset + real.size(msg)));
          throw new Error('encoder bug');
        }
        return real.encodeInto(msg, buf, offset);
      },
    } as AnyMessageDef;
    const messages = new Map(base.messages);
    messages.set('show_version_reply', broken);
    const f = await fake({ bindings: { messages, services: base.services } });
    const c = await rawClient(f);
    c.socket.write(
      Buffer.concat([
        c.request('show_version', { context: 1 }),
        c.request('sw_interface_get_table', { context: 2, sw_if_index: 0, is_ipv6: false }),
        c.request('show_version', { context: 3 }),
      ]),
    );
    await c.until(3);
    const want = Buffer.concat([
      expected(f, 'show_version_reply', { context: 1, retval: 0 }),
      expected(f, 'sw_interface_get_table_reply', { context: 2, retval: 0, vrf_id: 0 }),
      expected(f, 'show_version_reply', { context: 3, retval: 0 }),
    ]);
    expect(c.bytes().equals(want)).toBe(true);
  });

  it('corruptNextFrame spoils only the first frame of a pipelined batch; the others follow intact', async () => {
    const f = await fake();
    const c = await rawClient(f);
    const reqs = [1, 2, 3].map((context) =>
      c.request('sw_interface_get_table', { context, sw_if_index: 0, is_ipv6: false }),
    );
    f.faults.corruptNextFrame('garbage');
    c.socket.write(Buffer.concat(reqs));
    await c.until(3);
    const ok = (context: number): Buffer =>
      expected(f, 'sw_interface_get_table_reply', { context, retval: 0, vrf_id: 0 });
    const got = c.bytes();
    const one = ok(1).length;
    expect(got.length).toBe(3 * one);
    // the header stands, the payload is random
    expect(got.subarray(0, FRAME_HEADER_SIZE).equals(ok(1).subarray(0, FRAME_HEADER_SIZE))).toBe(true);
    expect(got.subarray(one).equals(Buffer.concat([ok(2), ok(3)]))).toBe(true);
  });
});
