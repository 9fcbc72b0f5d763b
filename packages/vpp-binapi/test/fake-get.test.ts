/**
 * `_get` with cursor against the fake: ip_path_mtu_get pages like VPP's REPLY_AND_DETAILS_MACRO
 * (EAGAIN -165 with the cursor to go on from, 0 and ~0 on the last page), and the client pages through.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectVpp } from '../src/client/connect.js';
import { connectRawVpp, startFakeVpp, type FakeVppInit } from '../src/testing/index.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function setup(n: number, init: FakeVppInit = {}) {
  const fake = await startFakeVpp(init);
  cleanups.push(() => fake.stop());
  for (let i = 0; i < n; i++) expect(fake.state.pathMtuUpdate(0, `10.1.${i >> 8}.${i & 255}`, 1000 + i)).toBe(0);
  const raw = await connectRawVpp({ socket: fake.socketPath });
  cleanups.push(() => raw.close());
  return { fake, raw };
}

describe('fake VPP _get with cursor (ip_path_mtu_get)', () => {
  it('pages of getPageSize: -165 with the next cursor, then 0 with cursor ~0', async () => {
    const { raw } = await setup(150);
    const p1 = await raw.getPage('ip_path_mtu_get', { cursor: 0 });
    expect(p1.details).toHaveLength(64);
    expect(p1.reply).toMatchObject({ retval: -165, cursor: 64 });
    expect(p1.details[0]).toMatchObject({ pmtu: { table_id: 0, nh: '10.1.0.0', path_mtu: 1000 } });
    const p2 = await raw.getPage('ip_path_mtu_get', { cursor: 64 });
    expect(p2.reply).toMatchObject({ retval: -165, cursor: 128 });
    const p3 = await raw.getPage('ip_path_mtu_get', { cursor: 128 });
    expect(p3.details).toHaveLength(22);
    expect(p3.reply).toMatchObject({ retval: 0, cursor: 0xffffffff });
    expect(p3.details.at(-1)).toMatchObject({ pmtu: { nh: '10.1.0.149', path_mtu: 1149 } });
  });

  it('an empty pool answers 0 at once; a cursor past the last entry is INVALID_VALUE; a freed index moves on', async () => {
    const { fake, raw } = await setup(0);
    expect(await raw.getPage('ip_path_mtu_get', { cursor: 0 })).toEqual({
      details: [],
      reply: expect.objectContaining({ retval: 0 }),
    });
    for (let i = 0; i < 3; i++) fake.state.pathMtuUpdate(0, `10.2.0.${i}`, 1400);
    expect((await raw.getPage('ip_path_mtu_get', { cursor: 9 })).reply).toMatchObject({
      retval: -7,
      cursor: 0xffffffff,
    });
    fake.state.pathMtuUpdate(0, '10.2.0.1', 0);
    const from1 = await raw.getPage('ip_path_mtu_get', { cursor: 1 });
    expect(from1.details.map((d) => d.pmtu.nh)).toEqual(['10.2.0.2']);
    // the freed index is handed out again, as VPP's pools do
    fake.state.pathMtuUpdate(0, '10.2.0.9', 1500);
    expect(fake.state.pathMtus[1]).toMatchObject({ nh: '10.2.0.9' });
  });

  it('the client pages through every entry with vpp.get, and the raw client agrees', async () => {
    const { fake, raw } = await setup(1000, { getPageSize: 7 });
    const vpp = await connectVpp({ socket: fake.socketPath, timeoutMs: 3000 });
    cleanups.push(() => vpp.close());
    const got: string[] = [];
    for await (const d of vpp.get('ip_path_mtu_get', { cursor: 0 })) got.push(d.pmtu.nh);
    expect(got).toHaveLength(1000);
    expect(new Set(got).size).toBe(1000);
    const rawGot: string[] = [];
    for await (const d of raw.get('ip_path_mtu_get', {})) rawGot.push(d.pmtu.nh);
    expect(rawGot).toEqual(got);
  });
});
