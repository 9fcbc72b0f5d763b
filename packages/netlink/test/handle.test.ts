/**
 * NetlinkHandle driven by a scripted kernel (no socket, no root): sequence matching, dump serialisation,
 * NLM_F_DUMP_INTR retries, batches split into datagrams, errors, aborts, multicast routing.
 */
import { describe, expect, it } from 'vitest';
import {
  NLMSG_DONE,
  NLMSG_ERROR,
  NLM_F_ACK,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  MessageBuilder,
  parseMessages,
  type NlMessage,
} from '../src/codec/nlmsg.js';
import { NetlinkHandle } from '../src/handle.js';
import type { NativeNetlinkSocket, NativeOnData } from '../src/native.js';
import { frame as nlFrame } from './addr-helpers.js';

interface Sent {
  readonly datagram: number;
  readonly msg: NlMessage;
}

const frame = (type: number, flags: number, seq: number, payload?: Uint8Array): Uint8Array =>
  nlFrame(type, flags, seq, payload, 1234);
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
function ack(req: NlMessage, errno = 0, extack?: string): Uint8Array {
  const head = new Uint8Array(20);
  const v = new DataView(head.buffer);
  v.setInt32(0, -errno, true);
  v.setUint32(4, 16, true);
  v.setUint16(8, req.type, true);
  const parts = [head];
  if (extack) {
    const s = new TextEncoder().encode(`${extack}\0`);
    const a = new Uint8Array((4 + s.length + 3) & ~3);
    new DataView(a.buffer).setUint16(0, 4 + s.length, true);
    new DataView(a.buffer).setUint16(2, 1, true);
    a.set(s, 4);
    parts.push(a);
  }
  return frame(NLMSG_ERROR, NLM_F_CAPPED | (extack ? NLM_F_ACK_TLVS : 0), req.seq, concat(parts));
}
const done = (seq: number, flags = 0) => frame(NLMSG_DONE, NLM_F_MULTI | flags, seq, new Uint8Array(4));
const item = (seq: number, n: number, flags = 0) => frame(100, NLM_F_MULTI | flags, seq, Uint8Array.of(n, 0, 0, 0));

/** A kernel stand-in: `respond` maps each request to reply datagrams, delivered on the next turn. */
function scripted(respond: (m: NlMessage, all: Sent[]) => Uint8Array[] | undefined, opts: { rcvbuf?: number } = {}) {
  const sent: Sent[] = [];
  let datagrams = 0;
  let onData!: NativeOnData;
  const socket: NativeNetlinkSocket = {
    portid: () => 1234,
    setOption: () => true,
    getOption: () => opts.rcvbuf ?? 1 << 25,
    ref: () => undefined,
    close: () => undefined,
    send(msgs) {
      datagrams++;
      const out: Uint8Array[] = [];
      for (const raw of msgs) {
        const { messages } = parseMessages(raw);
        for (const m of messages) {
          sent.push({ datagram: datagrams, msg: m });
          out.push(...(respond(m, sent) ?? []));
        }
      }
      setImmediate(() => {
        if (out.length)
          onData(
            out.map((d) => Buffer.from(d)),
            out.map(() => 0),
          );
      });
      return msgs.reduce((n, m) => n + m.length, 0);
    },
  };
  const nl = new NetlinkHandle(-1, '', 1 << 20, (_fd, cb) => {
    onData = cb;
    return socket;
  });
  return {
    nl,
    sent,
    deliver: (d: Uint8Array, group: number) => onData([Buffer.from(d)], [group]),
    error: (errno: number) => onData(null, null, errno),
  };
}

const req = (type = 50) => new MessageBuilder(type, 0, 4).finish();
const collect = async (it: AsyncIterable<NlMessage>) => {
  const out: number[] = [];
  for await (const m of it) out.push(m.payload[0] ?? -1);
  return out;
};

describe('NetlinkHandle with a scripted kernel', () => {
  it('sets REQUEST|ACK and a fresh seq on requests, and returns replies before the ACK', async () => {
    const { nl, sent } = scripted((m) => [concat([frame(51, 0, m.seq, Uint8Array.of(7, 0, 0, 0)), ack(m)])]);
    const replies = await nl.request(req());
    expect(replies.map((r) => r.payload[0])).toEqual([7]);
    expect(sent[0]?.msg.flags).toBe(NLM_F_REQUEST | NLM_F_ACK);
    const again = await nl.request(req());
    expect(again).toHaveLength(1);
    expect(sent[1]?.msg.seq).toBe(((sent[0]?.msg.seq ?? 0) + 1) >>> 0);
  });

  it('matches replies delivered out of order to their callers', async () => {
    const held: NlMessage[] = [];
    const { nl, deliver } = scripted((m) => {
      held.push(m);
      return [];
    });
    const a = nl.request(req());
    const b = nl.request(req());
    await new Promise((r) => setImmediate(r));
    const [ma, mb] = held as [NlMessage, NlMessage];
    deliver(concat([frame(51, 0, mb.seq, Uint8Array.of(2, 0, 0, 0)), ack(mb)]), 0);
    deliver(concat([frame(51, 0, ma.seq, Uint8Array.of(1, 0, 0, 0)), ack(ma, 17, 'File exists')]), 0);
    expect((await b)[0]?.payload[0]).toBe(2);
    await expect(a).rejects.toMatchObject({ name: 'NetlinkError', code: 'EEXIST', errno: 17, extack: 'File exists' });
  });

  it('retries an interrupted dump and yields only the consistent attempt', async () => {
    let attempt = 0;
    const { nl, sent } = scripted((m) => {
      attempt++;
      const intr = attempt === 1 ? NLM_F_DUMP_INTR : 0;
      return [concat([item(m.seq, attempt * 10 + 1), item(m.seq, attempt * 10 + 2, intr)]), done(m.seq, intr)];
    });
    expect(await collect(nl.dump(req()))).toEqual([21, 22]);
    expect(sent.map((s) => s.msg.flags & NLM_F_DUMP)).toEqual([NLM_F_DUMP, NLM_F_DUMP]);
  });

  it('gives up with DumpInterruptedError when every attempt is interrupted', async () => {
    const { nl, sent } = scripted((m) => [item(m.seq, 1, NLM_F_DUMP_INTR), done(m.seq, NLM_F_DUMP_INTR)]);
    await expect(collect(nl.dump(req()))).rejects.toMatchObject({ name: 'DumpInterruptedError', attempts: 8 });
    expect(sent).toHaveLength(8);
  });

  it('runs one dump at a time on the socket, requests in between', async () => {
    const open = new Set<number>();
    let overlap = false;
    const held: NlMessage[] = [];
    const { nl, deliver } = scripted((m) => {
      if (m.flags & NLM_F_DUMP) {
        if (open.size) overlap = true;
        open.add(m.seq);
        held.push(m);
        return [];
      }
      return [ack(m)];
    });
    const d1 = collect(nl.dump(req()));
    const d2 = collect(nl.dump(req()));
    await new Promise((r) => setImmediate(r));
    await nl.request(req()); // not blocked by the running dump
    expect(held).toHaveLength(1);
    const first = held[0] as NlMessage;
    open.delete(first.seq);
    deliver(concat([item(first.seq, 1), done(first.seq)]), 0);
    expect(await d1).toEqual([1]);
    await new Promise((r) => setImmediate(r));
    const second = held[1] as NlMessage;
    open.delete(second.seq);
    deliver(concat([item(second.seq, 2), done(second.seq)]), 0);
    expect(await d2).toEqual([2]);
    expect(overlap).toBe(false);
  });

  it('an aborted dump frees the socket only when the kernel finishes it', async () => {
    const held: NlMessage[] = [];
    const { nl, deliver } = scripted((m) => {
      held.push(m);
      return [];
    });
    const ac = new AbortController();
    const d1 = collect(nl.dump(req(), { signal: ac.signal }));
    const d2 = collect(nl.dump(req()));
    await new Promise((r) => setImmediate(r));
    ac.abort(new Error('gone'));
    await expect(d1).rejects.toThrow('gone');
    await new Promise((r) => setImmediate(r));
    expect(held).toHaveLength(1); // the second dump waits for DONE of the first
    deliver(concat([item(held[0]!.seq, 9), done(held[0]!.seq)]), 0);
    await new Promise((r) => setImmediate(r));
    expect(held).toHaveLength(2);
    deliver(concat([item(held[1]!.seq, 3), done(held[1]!.seq)]), 0);
    expect(await d2).toEqual([3]);
  });

  it('a failed dump rejects with the error carried by NLMSG_DONE', async () => {
    const { nl } = scripted((m) => {
      const p = new Uint8Array(4);
      new DataView(p.buffer).setInt32(0, -22, true);
      return [frame(NLMSG_DONE, NLM_F_MULTI, m.seq, p)];
    });
    await expect(collect(nl.dump(req()))).rejects.toMatchObject({ name: 'NetlinkError', code: 'EINVAL' });
  });

  it('splits a batch into datagrams within the receive-buffer window and reports every item', async () => {
    const { nl, sent } = scripted((m) => [ack(m, (m.payload[0] ?? 0) % 3 === 0 ? 22 : 0)], { rcvbuf: 4096 * 2 * 40 });
    const msgs = Array.from({ length: 100 }, (_, i) => {
      const b = new MessageBuilder(50, 0, 4);
      b.family.setUint8(0, i);
      return b.finish();
    });
    const results = await nl.batch(msgs);
    expect(results.map((r) => r.index)).toEqual(msgs.map((_, i) => i));
    expect(results.map((r) => r.ok)).toEqual(msgs.map((_, i) => i % 3 !== 0));
    expect(results[3]).toMatchObject({ ok: false, error: { name: 'NetlinkError', code: 'EINVAL' } });
    const perDatagram = new Map<number, number>();
    for (const s of sent) perDatagram.set(s.datagram, (perDatagram.get(s.datagram) ?? 0) + 1);
    expect([...perDatagram.values()]).toEqual([40, 40, 20]);
  });

  it('routes multicast datagrams to listeners, and ENOBUFS as an overrun', async () => {
    const { nl, deliver, error } = scripted(() => []);
    const got: Array<[number, number]> = [];
    let overruns = 0;
    const off = nl.addListener({ message: (m, g) => got.push([m.type, g]), overrun: () => overruns++ });
    deliver(frame(16, 0, 0), 1);
    error(105);
    off();
    deliver(frame(16, 0, 0), 1);
    expect(got).toEqual([[16, 1]]);
    expect(overruns).toBe(1);
  });

  it('after an overrun, requests whose ACK was lost reject with ENOBUFS once a barrier is acknowledged', async () => {
    const held: NlMessage[] = [];
    const { nl, error } = scripted((m) => {
      if (m.type === 1) return [ack(m)]; // the NLMSG_NOOP barrier
      held.push(m);
      return []; // this ACK is "lost"
    });
    const lost = nl.request(req());
    await new Promise((r) => setImmediate(r));
    error(105);
    await expect(lost).rejects.toMatchObject({ name: 'NetlinkError', code: 'ENOBUFS', errno: 105 });
    expect(held).toHaveLength(1);
  });

  it('close() settles everything pending', async () => {
    const { nl } = scripted(() => []);
    const r = nl.request(req());
    const d = collect(nl.dump(req()));
    const d2 = collect(nl.dump(req()));
    await new Promise((res) => setImmediate(res));
    nl.close();
    await expect(r).rejects.toMatchObject({ name: 'HandleClosedError' });
    await expect(d).rejects.toMatchObject({ name: 'HandleClosedError' });
    await expect(d2).rejects.toMatchObject({ name: 'HandleClosedError' });
  });
});
