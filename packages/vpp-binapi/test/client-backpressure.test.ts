/**
 * Read-side back-pressure of the client against the fake VPP: a slow stream consumer pauses reading,
 * which must neither fail the health check nor time out unrelated requests, and must bound memory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { VppClient } from '../src/client/client.js';
import { connectVpp, type VppApi } from '../src/client/connect.js';
import type { VppClientInit } from '../src/client/types.js';
import { makePath, startFakeVpp, type FakeVpp } from '../src/testing/index.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function setup(
  routes: number,
  init: VppClientInit = {},
): Promise<{ fake: FakeVpp; vpp: VppClient<VppApi>; downs: unknown[] }> {
  const fake = await startFakeVpp();
  cleanups.push(() => fake.stop());
  const path = [makePath({ nh: '10.0.0.2' })];
  for (let i = 0; i < routes; i++) {
    const r = fake.state.routeAddDel(true, false, 0, `11.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`, path);
    expect(r.retval).toBe(0);
  }
  const vpp = await connectVpp({ socket: fake.socketPath, timeoutMs: 2000, ...init });
  cleanups.push(() => vpp.close());
  const downs: unknown[] = [];
  vpp.addEventListener('vpp:down', (e) => downs.push(e.detail));
  return { fake, vpp, downs };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('read-side back-pressure', () => {
  it('a consumer stalled on a 10k-route dump keeps the connection: no vpp:down, every route received', async () => {
    // health checks every 1.5 s (each may take that long): the in-process fake writes the 10k routes in
    // one go, which on a loaded 2-core machine can hold the event loop past a shorter ping timeout; the
    // 3.5 s stall below still spans two checks while reading is paused
    const { vpp, downs } = await setup(10_000, { reconnect: { healthIntervalMs: 1500 } });
    let n = 0;
    let sawPause = false;
    for await (const r of vpp.dump('ip_route_dump', { table: { table_id: 0, is_ip6: false, name: '' } })) {
      void r;
      if (n++ === 0) {
        const end = Date.now() + 3500;
        while (Date.now() < end) {
          await sleep(50);
          sawPause ||= vpp.stats.readingPaused;
        }
      }
    }
    expect(sawPause).toBe(true);
    expect(n).toBeGreaterThanOrEqual(10_000);
    expect(downs).toEqual([]);
    expect(vpp.connected).toBe(true);
    await expect(vpp.call('show_version')).resolves.toMatchObject({ retval: 0 });
  }, 15_000);

  it('another request made while reading is paused is answered, not timed out (no reconnect)', async () => {
    // 1 s: the in-process fake's first burst of 10k routes must fit in it on a loaded machine
    const { vpp, downs } = await setup(10_000, { timeoutMs: 1000 });
    const it = vpp.dump('ip_route_dump', { table: { table_id: 0, is_ip6: false, name: '' } })[Symbol.asyncIterator]();
    await it.next();
    for (let i = 0; i < 100 && !vpp.stats.readingPaused; i++) await sleep(10);
    expect(vpp.stats.readingPaused).toBe(true);
    // longer than timeoutMs while the stream consumer sleeps: the dump's own limit stands still too
    await sleep(1600);
    const v = await vpp.call('show_version');
    expect(v.retval).toBe(0);
    let n = 1;
    for (let r = await it.next(); !r.done; r = await it.next()) n++;
    expect(n).toBeGreaterThanOrEqual(10_000);
    expect(downs).toEqual([]);
  }, 15_000);

  it('a stalled consumer bounds what the client buffers: reading pauses, the rest waits in the peer', async () => {
    const { vpp } = await setup(40_000, { timeoutMs: 5000 });
    const it = vpp.dump('ip_route_dump', { table: { table_id: 0, is_ip6: false, name: '' } })[Symbol.asyncIterator]();
    await it.next();
    let max = 0;
    for (let i = 0; i < 60; i++) {
      await sleep(20);
      max = Math.max(max, vpp.stats.bufferedStreamItems);
    }
    expect(vpp.stats.readingPaused).toBe(true);
    // the pause mark (8192) plus at most what one socket read carries
    expect(max).toBeGreaterThan(8192);
    expect(max).toBeLessThan(8192 + 4096);
    let n = 1;
    for (let r = await it.next(); !r.done; r = await it.next()) n++;
    expect(n).toBeGreaterThanOrEqual(40_000);
    expect(vpp.stats.bufferedStreamItems).toBe(0);
  }, 30_000);

  it('a stream too far behind while others need the socket ends alone with VppStreamOverflowError', async () => {
    const { vpp, downs } = await setup(5000, { maxStreamBuffer: 1000 });
    const it = vpp.dump('ip_route_dump', { table: { table_id: 0, is_ip6: false, name: '' } })[Symbol.asyncIterator]();
    await it.next();
    // this call's answer comes after the rest of the dump, so the socket must be read through it
    await expect(vpp.call('show_version')).resolves.toMatchObject({ retval: 0 });
    let n = 1;
    let error: Error | undefined;
    try {
      for (let r = await it.next(); !r.done; r = await it.next()) n++;
    } catch (err) {
      error = err as Error;
    }
    expect(error).toMatchObject({
      name: 'VppStreamOverflowError',
      code: 'VPP_STREAM_OVERFLOW',
      messageName: 'ip_route_dump',
    });
    expect(n).toBeLessThanOrEqual(1001);
    expect(downs).toEqual([]);
    await expect(vpp.call('show_version')).resolves.toMatchObject({ retval: 0 });
    expect(vpp.stats.bufferedStreamItems).toBe(0);
  }, 15_000);
});
