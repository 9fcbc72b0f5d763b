import { describe, expect, it } from 'vitest';
import type { NetlinkHandle } from '@vectorplane/netlink';
import { encodeGroupDelete, encodeSetGroupByName, VethReaper } from '../src/kernel.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('veth deletion messages', () => {
  it('RTM_SETLINK by name with IFLA_GROUP, RTM_DELLINK of a group: header, zero ifinfomsg, attributes', () => {
    // len 52, type 19, flags 0, seq 0, pid 0 | ifinfomsg (16 zero bytes) | IFLA_IFNAME "veth0\0" (+2 pad) | IFLA_GROUP
    expect(hex(encodeSetGroupByName('veth0', 0x76700001))).toBe(
      '34000000' +
        '13000000' +
        '00000000' +
        '00000000' +
        '00'.repeat(16) +
        '0a000300' +
        '7665746830000000' +
        '08001b00' +
        '01007076',
    );
    expect(hex(encodeGroupDelete(0x76700001))).toBe(
      '28000000' + '11000000' + '00000000' + '00000000' + '00'.repeat(16) + '08001b00' + '01007076',
    );
  });
});

/** A handle that records batches and answers each item from `answer`. */
function fakeNl(answer: (msg: Uint8Array, i: number) => Error | undefined) {
  const batches: Uint8Array[][] = [];
  const nl = {
    batch: async (msgs: Uint8Array[]) => {
      batches.push(msgs);
      return msgs.map((m, i) => {
        const error = answer(m, i);
        return error ? { ok: false, index: i, error } : { ok: true, index: i, replies: [] };
      });
    },
  } as unknown as NetlinkHandle;
  return { nl, batches };
}

describe('VethReaper', () => {
  it('deletes veths that arrive together in one batch: a group change each, then one group delete', async () => {
    const { nl, batches } = fakeNl(() => undefined);
    const reaper = new VethReaper((msgs) => nl.batch(msgs), 5, 50);
    await Promise.all(['a', 'b', 'c'].map((n) => reaper.delete(n)));
    expect(batches).toHaveLength(1);
    const types = batches[0]!.map((m) => new DataView(m.buffer, m.byteOffset).getUint16(4, true));
    expect(types).toEqual([19, 19, 19, 17]);
    // all four carry the same group
    const group = (m: Uint8Array): number => new DataView(m.buffer, m.byteOffset).getUint32(m.length - 4, true);
    expect(new Set(batches[0]!.map(group)).size).toBe(1);
    expect(reaper.batches).toBe(1);
  });

  it('a veth already gone (ENODEV) is fine; another refusal fails only that veth', async () => {
    const enodev = Object.assign(new Error('ENODEV'), { code: 'ENODEV' });
    const eperm = Object.assign(new Error('EPERM'), { code: 'EPERM' });
    const { nl } = fakeNl((_, i) => (i === 0 ? enodev : i === 1 ? eperm : undefined));
    const reaper = new VethReaper((msgs) => nl.batch(msgs), 5, 50);
    const [gone, refused, ok] = await Promise.allSettled(['a', 'b', 'c'].map((n) => reaper.delete(n)));
    expect(gone?.status).toBe('fulfilled');
    expect(refused).toMatchObject({ status: 'rejected', reason: { code: 'EPERM' } });
    expect(ok?.status).toBe('fulfilled');
  });

  it('more veths than one batch takes go in several batches, each ending in its own group delete', async () => {
    const { nl, batches } = fakeNl(() => undefined);
    const reaper = new VethReaper((msgs) => nl.batch(msgs), 5, 50, 4);
    await Promise.all(Array.from({ length: 10 }, (_, i) => reaper.delete(`v${i}`)));
    expect(batches.map((b) => b.length)).toEqual([5, 5, 3]); // 4 + delete, 4 + delete, 2 + delete
    for (const b of batches) expect(new DataView(b.at(-1)!.buffer, b.at(-1)!.byteOffset).getUint16(4, true)).toBe(17);
  });

  it('waits while deletions keep arriving, at most maxWaitMs; hurry() sends at once; abandon() sends nothing', async () => {
    const { nl, batches } = fakeNl(() => undefined);
    const reaper = new VethReaper((msgs) => nl.batch(msgs), 10_000, 100_000);
    const first = reaper.delete('a');
    await new Promise((r) => setTimeout(r, 20));
    expect(batches).toHaveLength(0); // still quiet-waiting
    reaper.hurry();
    await first;
    expect(batches).toHaveLength(1);
    void reaper.delete('b');
    reaper.abandon();
    await new Promise((r) => setTimeout(r, 20));
    expect(batches).toHaveLength(1);
  });
});
