/**
 * Batched sends: route messages encoded into a shared arena byte-equal to single encodes; the handle's
 * windows (one contiguous datagram, consecutive seqs, unaligned messages padded, per-item results from
 * ACKs packed many per buffer, aborts, close, lost datagrams) against a scripted kernel. No root.
 */
import { describe, expect, it } from 'vitest';
import {
  MessageBuilder,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLM_F_ACK,
  NLM_F_CAPPED,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  parseMessages,
  type NlMessage,
} from '../src/codec/nlmsg.js';
import { NetlinkHandle } from '../src/handle.js';
import type { NativeNetlinkSocket, NativeOnData } from '../src/native.js';
import { RouteApi, decodeRoute, encodeRoute, type RouteSpec } from '../src/route.js';
import { FakeTransport, frame, toHex } from './addr-helpers.js';

function ack(req: NlMessage, errno = 0): Uint8Array {
  const head = new Uint8Array(20);
  const v = new DataView(head.buffer);
  v.setInt32(0, -errno, true);
  v.setUint32(4, 16, true);
  v.setUint16(8, req.type, true);
  return frame(NLMSG_ERROR, NLM_F_CAPPED, req.seq, head);
}
const concat = (parts: Uint8Array[]): Buffer => Buffer.concat(parts);

/** A kernel stand-in that records each send's raw bytes; `respond` returns reply messages per request. */
function scripted(respond: (m: NlMessage) => Uint8Array[] | undefined) {
  const raw: Uint8Array[] = [];
  const sent: NlMessage[] = [];
  let onData!: NativeOnData;
  let refs = 0;
  const socket: NativeNetlinkSocket = {
    portid: () => 1,
    setOption: () => true,
    getOption: () => 1 << 25,
    ref: (on) => void (refs += on ? 1 : -1),
    close: () => undefined,
    send(msgs) {
      const out: Uint8Array[] = [];
      for (const r of msgs) {
        raw.push(r.slice());
        for (const m of parseMessages(r).messages) {
          sent.push(m);
          out.push(...(respond(m) ?? []));
        }
      }
      // Everything the kernel queued, packed into one buffer as the addon delivers it.
      setImmediate(() => out.length && onData([concat(out)], [0]));
      return msgs.reduce((n, m) => n + m.length, 0);
    },
  };
  const nl = new NetlinkHandle(-1, '', 1 << 20, (_fd, cb) => {
    onData = cb;
    return socket;
  });
  return {
    nl,
    raw,
    sent,
    refs: () => refs,
    deliver: (d: Uint8Array) => onData([Buffer.from(d)], [0]),
    error: (e: number) => onData(null, null, e),
  };
}

describe('RouteApi.batch encoding', () => {
  it('packs thousands of routes (v4, v6, metrics nests, multipath) byte-equal to single encodes', async () => {
    const t = new FakeTransport();
    const specs: RouteSpec[] = [];
    for (let i = 0; i < 3000; i++) {
      if (i % 7 === 0)
        specs.push({ dst: `2001:db8:${i.toString(16)}::/64`, gateway: '2001:db8::1', oif: 3, metric: i, pref: 'high' });
      else if (i % 5 === 0)
        specs.push({
          dst: `10.9.${i >> 8}.${i & 255}/32`,
          oif: 'va',
          metrics: { mtu: 1400, advmss: 1360, lock: ['mtu'], congctl: 'cubic' },
        });
      else if (i % 11 === 0)
        specs.push({
          dst: `10.8.${i >> 8}.${i & 255}/32`,
          multipath: [
            { gateway: '192.0.2.1', oif: 3, weight: 2 },
            { gateway: '192.0.2.2', oif: 'va' },
          ],
        });
      else
        specs.push({
          dst: `10.7.${i >> 8}.${i & 255}/32`,
          gateway: '192.0.2.254',
          oif: 'va',
          table: i % 3 ? 'main' : 70000,
        });
    }
    const links = (ref: string | number): number => (typeof ref === 'number' ? ref : 3);
    for (const op of ['add', 'delete'] as const) {
      await new RouteApi(t).batch(op, specs);
      const got = t.batches.at(-1)!;
      expect(got).toHaveLength(specs.length);
      for (let i = 0; i < specs.length; i++) expect(toHex(got[i]!)).toBe(toHex(encodeRoute(op, specs[i]!, links)));
    }
  });

  it("encodes a route larger than the writer's first buffer (12-hop multipath) completely", () => {
    const spec: RouteSpec = {
      dst: '10.0.0.0/8',
      multipath: Array.from({ length: 12 }, (_, i) => ({ gateway: `192.0.2.${i + 1}`, oif: 3 })),
      metric: 77,
    };
    const m = encodeRoute('add', spec);
    expect(m.length).toBe(28 + 8 + (4 + 12 * 16) + 8);
    const r = decodeRoute(parseMessages(m).messages[0]!);
    expect(r?.metric).toBe(77);
    expect(r?.multipath?.map((h) => h.gateway)).toEqual(spec.multipath!.map((h) => h.gateway));
  });

  it('a route refused half-way through encoding leaves no stray bytes in the next message', async () => {
    const t = new FakeTransport();
    const api = new RouteApi(t);
    await expect(
      api.addMany([{ dst: '10.0.0.0/8', oif: 3, gateway: '192.0.2.1', metrics: { mtu: 10 } }]),
    ).rejects.toMatchObject({ field: 'routes[0].metrics.mtu' });
    await expect(api.addMany([{ dst: '2001:db8::/64', gateway: '192.0.2.1' }])).rejects.toMatchObject({
      field: 'routes[0].gateway',
    });
    const res = await api.addMany([{ dst: '10.0.0.0/8', oif: 3 }]);
    expect(res[0]?.ok).toBe(true);
    expect(toHex(t.batches[0]![0]!)).toBe(toHex(encodeRoute('add', { dst: '10.0.0.0/8', oif: 3 })));
  });
});

describe('NetlinkHandle batch windows', () => {
  it('sends one datagram: consecutive seqs, REQUEST|ACK, lengths written, unaligned messages padded', async () => {
    const { nl, raw, sent } = scripted((m) => [ack(m, m.type === 52 ? 22 : 0)]);
    const odd = new Uint8Array(18); // 16-byte header + 2 bytes: padded to 20 on the wire
    new DataView(odd.buffer).setUint16(4, 51, true);
    odd[16] = 0xaa;
    odd[17] = 0xbb;
    const msgs = [new MessageBuilder(50, 0, 4).finish(), odd, new MessageBuilder(52, 0, 4).finish(), odd];
    const results = await nl.batch(msgs);
    expect(raw).toHaveLength(1);
    expect(raw[0]!.length).toBe(20 + 20 + 20 + 20);
    expect(sent.map((m) => m.type)).toEqual([50, 51, 52, 51]);
    expect(sent.map((m) => m.seq - sent[0]!.seq)).toEqual([0, 1, 2, 3]);
    expect(sent.every((m) => (m.flags & (NLM_F_REQUEST | NLM_F_ACK)) === (NLM_F_REQUEST | NLM_F_ACK))).toBe(true);
    expect([...sent[1]!.payload]).toEqual([0xaa, 0xbb]);
    expect(results.map((r) => [r.index, r.ok])).toEqual([
      [0, true],
      [1, true],
      [2, false],
      [3, true],
    ]);
    expect(results[2]).toMatchObject({ ok: false, error: { name: 'NetlinkError', code: 'EINVAL' } });
    // The caller's messages are not modified.
    expect(new DataView(msgs[0]!.buffer).getUint32(8, true)).toBe(0);
  });

  it('keeps replies that come before an item ACK, per item', async () => {
    const { nl } = scripted((m) =>
      m.type === 60 ? [frame(61, 0, m.seq, Uint8Array.of(m.payload[0]!, 0, 0, 0)), ack(m)] : [ack(m)],
    );
    const msgs = [0, 1, 2].map((i) => {
      const b = new MessageBuilder(i === 1 ? 60 : 50, 0, 4);
      b.family.setUint8(0, 7 + i);
      return b.finish();
    });
    const results = await nl.batch(msgs);
    expect(results.map((r) => (r.ok ? r.replies.map((x) => x.payload[0]) : null))).toEqual([[], [8], []]);
    expect(await nl.request(msgs[1]!)).toHaveLength(1);
    const none = await nl.request(msgs[0]!);
    expect(none).toEqual([]);
    none.push(undefined as unknown as NlMessage); // a request's replies array is the caller's own
  });

  it('ignores late and duplicate ACKs, and a truncated trailing message', async () => {
    const held: NlMessage[] = [];
    const { nl, deliver } = scripted((m) => void held.push(m));
    const pending = nl.batch([new MessageBuilder(50, 0, 4).finish(), new MessageBuilder(50, 0, 4).finish()]);
    await new Promise((r) => setImmediate(r));
    const [a, b] = held as [NlMessage, NlMessage];
    deliver(concat([ack(a), ack(a, 17), frame(99, 0, 12345), ack(b, 17).subarray(0, 20)]));
    await new Promise((r) => setImmediate(r));
    deliver(concat([ack(b, 17)]));
    const results = await pending;
    expect(results.map((r) => r.ok)).toEqual([true, false]);
    expect(results[1]).toMatchObject({ error: { code: 'EEXIST' } });
  });

  it('an abort settles the rest of the window with the reason and stops the batch', async () => {
    const held: NlMessage[] = [];
    const { nl, deliver, sent } = scripted((m) => void held.push(m));
    const ac = new AbortController();
    const msgs = Array.from({ length: 5 }, () => new MessageBuilder(50, 0, 4).finish());
    const pending = nl.batch(msgs, { signal: ac.signal });
    await new Promise((r) => setImmediate(r));
    deliver(concat([ack(held[0]!), ack(held[1]!, 1)]));
    ac.abort(new Error('enough'));
    const results = await pending;
    expect(results.map((r) => (r.ok ? 'ok' : ((r.error as { code?: string }).code ?? r.error.message)))).toEqual([
      'ok',
      'EPERM',
      'enough',
      'enough',
      'enough',
    ]);
    deliver(concat(held.slice(2).map((m) => ack(m)))); // late ACKs go nowhere
    expect(sent).toHaveLength(5);
    await expect(nl.batch(msgs, { signal: ac.signal })).rejects.toThrow('enough');
  });

  it('close() settles a window in flight with HandleClosedError and releases the loop', async () => {
    const { nl, refs } = scripted(() => undefined);
    const pending = nl.batch([new MessageBuilder(50, 0, 4).finish(), new MessageBuilder(50, 0, 4).finish()]);
    await new Promise((r) => setImmediate(r));
    expect(refs()).toBe(1);
    nl.close();
    const results = await pending;
    expect(results.every((r) => !r.ok && r.error.name === 'HandleClosedError')).toBe(true);
  });

  it('refuses a message shorter than a header before sending that window', async () => {
    const { nl, sent } = scripted((m) => [ack(m)]);
    await expect(nl.batch([new MessageBuilder(50, 0, 4).finish(), new Uint8Array(8)])).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      field: 'messages[1]',
    });
    expect(sent).toHaveLength(0);
  });

  it('a datagram lost to the receive buffer (EMSGSIZE) fails waiting requests after a barrier and reruns a dump', async () => {
    let dumps = 0;
    const held: NlMessage[] = [];
    const { nl, error } = scripted((m) => {
      if (m.type === 1) return [ack(m)]; // the barrier
      if (m.type === 70) {
        dumps++;
        if (dumps === 1) {
          queueMicrotask(() => error(90)); // part of the first attempt was lost
          return [frame(NLMSG_DONE, NLM_F_MULTI, m.seq, new Uint8Array(4))];
        }
        return [
          frame(71, NLM_F_MULTI, m.seq, Uint8Array.of(5, 0, 0, 0)),
          frame(NLMSG_DONE, NLM_F_MULTI, m.seq, new Uint8Array(4)),
        ];
      }
      held.push(m);
      return undefined;
    });
    const lost = nl.batch([new MessageBuilder(50, 0, 4).finish()]);
    await new Promise((r) => setImmediate(r));
    const listed: number[] = [];
    for await (const m of nl.dump(new MessageBuilder(70, 0, 4).finish())) listed.push(m.payload[0]!);
    expect(dumps).toBe(2);
    expect(listed).toEqual([5]);
    const [r] = await lost;
    expect(r).toMatchObject({ ok: false, error: { name: 'NetlinkError', code: 'ENOBUFS' } });
    expect(held).toHaveLength(1);
  });
});
