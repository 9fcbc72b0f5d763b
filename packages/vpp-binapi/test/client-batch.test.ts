/**
 * The request path's write batching and shared time limit: frames of one tick go out in one write, a
 * request that fails to encode leaves nothing of itself in the batch, batches larger than a slab are
 * written whole and in order, and one timer serves ops with different time limits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { VppClient } from '../src/client/client.js';
import { connectVpp, type VppApi } from '../src/client/connect.js';
import type { VppClientInit } from '../src/client/types.js';
import { messages } from '../src/generated/index.js';
import { startPeer, type Peer } from './helpers/client-peer.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function setup(init: VppClientInit = {}): Promise<{ peer: Peer; vpp: VppClient<VppApi>; errors: Error[] }> {
  const peer = await startPeer([...messages]);
  cleanups.push(() => peer.close());
  const vpp = await connectVpp({ socket: peer.path, timeoutMs: 2000, ...init });
  cleanups.push(() => vpp.close());
  const errors: Error[] = [];
  vpp.addEventListener('vpp:error', (e) => errors.push(e.detail.error));
  return { peer, vpp, errors };
}

const rule = (i: number): Record<string, unknown> => ({
  is_permit: 1,
  src_prefix: `10.${(i >> 8) & 255}.${i & 255}.0/24`,
  dst_prefix: '0.0.0.0/0',
  proto: 6,
  srcport_or_icmptype_first: i & 0xffff,
  srcport_or_icmptype_last: i & 0xffff,
  dstport_or_icmpcode_first: 0,
  dstport_or_icmpcode_last: 65535,
  tcp_flags_mask: 0,
  tcp_flags_value: 0,
});

describe('write batching', () => {
  it('a request that fails to encode sends nothing; the requests beside it in the same tick are answered', async () => {
    const { peer, vpp, errors } = await setup();
    peer.on('sw_interface_set_flags', (m, c) =>
      c.send('sw_interface_set_flags_reply', { context: m['context'], retval: -(m['sw_if_index'] as number) }),
    );
    const a = vpp.call('sw_interface_set_flags', { sw_if_index: 1 });
    const bad = vpp.call('sw_interface_set_flags', { sw_if_index: 2 ** 40 }); // does not fit u32
    const c = vpp.call('sw_interface_set_flags', { sw_if_index: 3 });
    await expect(bad).rejects.toMatchObject({ name: 'VppEncodeError' });
    await expect(a).rejects.toMatchObject({ retval: -1 });
    await expect(c).rejects.toMatchObject({ retval: -3 });
    const sent = peer.conns[0]!.received.filter((r) => r.name === 'sw_interface_set_flags').map(
      (r) => r.msg['sw_if_index'],
    );
    expect(sent).toEqual([1, 3]);
    expect(errors).toEqual([]);
  });

  it('a dump that fails to encode sends neither itself nor its control_ping', async () => {
    const { peer, vpp } = await setup();
    const it = vpp.dump('sw_interface_dump', { sw_if_index: -5 } as never)[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toMatchObject({ name: 'VppEncodeError' });
    await expect(vpp.call('control_ping')).resolves.toMatchObject({ retval: 0 });
    // only the one control_ping of the call above reached the peer
    expect(peer.conns[0]!.received.filter((r) => r.name !== 'sockclnt_create').map((r) => r.name)).toEqual([
      'control_ping',
    ]);
  });

  it('writes requests larger than a slab (64 kB) whole, in order, among small ones', async () => {
    const { peer, vpp } = await setup();
    const sizes: number[] = [];
    peer.on('acl_add_replace', (m, c) => {
      sizes.push((m['r'] as unknown[]).length);
      c.send('acl_add_replace_reply', { context: m['context'], acl_index: (m['r'] as unknown[]).length });
    });
    const counts = [1, 2000, 3, 5000, 4];
    const replies = await Promise.all([
      ...counts.map((n) =>
        vpp.call('acl_add_replace', {
          acl_index: 0xffffffff,
          tag: 't',
          count: n,
          r: Array.from({ length: n }, (_, i) => rule(i)),
        } as never),
      ),
      ...Array.from({ length: 100 }, () => vpp.call('control_ping')),
    ]);
    expect(replies.slice(0, counts.length).map((r) => (r as { acl_index: number }).acl_index)).toEqual(counts);
    expect(sizes).toEqual(counts);
    const first = (
      peer.conns[0]!.received.find((r) => r.name === 'acl_add_replace' && (r.msg['r'] as unknown[]).length === 5000)!
        .msg['r'] as Record<string, unknown>[]
    )[4999]!;
    expect(first['srcport_or_icmptype_first']).toBe(4999);
  });
});

describe('shared time limit', () => {
  it('a short time limit fires on time while a longer one is pending, and the longer op still completes', async () => {
    const { peer, vpp, errors } = await setup();
    let release: (() => void) | undefined;
    peer.on('delete_loopback', (m, c) => {
      if (m['sw_if_index'] === 1) release = () => c.send('delete_loopback_reply', { context: m['context'] });
    });
    const long = vpp.call('delete_loopback', { sw_if_index: 1 }, { timeoutMs: 10_000 });
    const t0 = Date.now();
    await expect(vpp.call('delete_loopback', { sw_if_index: 2 }, { timeoutMs: 100 })).rejects.toMatchObject({
      name: 'VppTimeoutError',
      timeoutMs: 100,
    });
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(95);
    expect(took).toBeLessThan(3000);
    release!();
    await expect(long).resolves.toMatchObject({ retval: 0 });
    expect(errors).toEqual([]);
  });

  it('times out ops whose deadlines differ, each at its own, in any order of sending', async () => {
    const { peer, vpp } = await setup();
    peer.on('delete_loopback', () => {}); // never answered
    const t0 = Date.now();
    const at = (ms: number): Promise<number> =>
      vpp.call('delete_loopback', { sw_if_index: ms }, { timeoutMs: ms }).then(
        () => -1,
        () => Date.now() - t0,
      );
    const [a, b, c] = await Promise.all([at(400), at(100), at(250)]);
    expect(b!).toBeGreaterThanOrEqual(95);
    expect(c!).toBeGreaterThanOrEqual(245);
    expect(a!).toBeGreaterThanOrEqual(395);
    expect(b!).toBeLessThan(c!);
    expect(c!).toBeLessThan(a!);
  });

  it('details keep a long dump alive past its time limit; silence after them times it out', async () => {
    const { peer, vpp } = await setup();
    peer.on('sw_interface_dump', (m, c) => {
      let i = 0;
      const t = setInterval(() => {
        if (i === 6) return clearInterval(t); // then silence: no control_ping_reply
        c.send('sw_interface_details', { context: m['context'], sw_if_index: i++ });
      }, 60);
    });
    peer.on('control_ping', () => {});
    const got: number[] = [];
    const err = await (async () => {
      for await (const d of vpp.dump('sw_interface_dump', {}, { timeoutMs: 150 })) got.push(d.sw_if_index);
    })().catch((e: unknown) => e);
    // 6 details over ~360 ms (more than twice the limit) all arrived; then the limit ran out
    expect(got).toEqual([0, 1, 2, 3, 4, 5]);
    expect(err).toMatchObject({ name: 'VppTimeoutError' });
  });
});
