/**
 * NetlinkHandle against the real kernel, in namespaces made here: concurrency on one socket, batches
 * reported item by item, typed kernel errors with extended ack, aborts, close.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MessageBuilder, NLM_F_CREATE, NLM_F_EXCL } from '../../src/codec/nlmsg.js';
import { openNetlink } from '../../src/handle.js';
import { encodeLinkAdd, encodeLinkDump, RTM_NEWLINK } from '../../src/link.js';
import { createNetns, kernelSkipReason, removeAllNetns, type TestNetns } from '../../src/testing/index.js';

const reason = await kernelSkipReason();
if (reason) console.log(`skip handle interop: ${reason}`);

describe.skipIf(reason !== undefined)('NetlinkHandle (kernel)', () => {
  let ns: TestNetns;
  beforeEach(async () => {
    ns = await createNetns('vpt-handle');
  });
  afterEach(async () => {
    await ns.remove();
  });
  afterAll(removeAllNetns);

  it('opens with strict dump checking and a port id', () => {
    expect(ns.nl.strictDump).toBe(true);
    expect(ns.nl.portid).toBeGreaterThan(0);
  });

  it('runs many requests and dumps at once on one socket', async () => {
    const nl = ns.nl;
    for (let i = 0; i < 8; i++) await nl.link.add({ kind: 'veth', name: `c${i}`, peer: { name: `c${i}p` } });
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      if (i % 10 === 0) work.push(nl.link.list().then((l) => l.length));
      else if (i % 3 === 0) work.push(nl.link.get(`c${i % 8}`).then((l) => l.name));
      else work.push(nl.linkIndex(i % 2 ? 'lo' : `c${i % 8}p`));
    }
    const results = await Promise.all(work);
    for (let i = 0; i < 300; i++) {
      if (i % 10 === 0) expect(results[i]).toBe(17);
      else if (i % 3 === 0) expect(results[i]).toBe(`c${i % 8}`);
      else if (i % 2) expect(results[i]).toBe(1);
      else expect(results[i]).toBeGreaterThan(1);
    }
  });

  it('reports a half-applied batch item by item', async () => {
    const veth = (name: string) => encodeLinkAdd({ kind: 'veth', name, peer: { name: `${name}p` } });
    const results = await ns.nl.batch([veth('b0'), veth('b0'), veth('b1'), veth('b1p')]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true, false]);
    expect(results[1]).toMatchObject({
      ok: false,
      index: 1,
      error: { name: 'NetlinkError', code: 'EEXIST', errno: 17 },
    });
    expect((await ns.nl.link.list({ kind: 'veth' })).map((l) => l.name).sort()).toEqual(['b0', 'b0p', 'b1', 'b1p']);
  });

  it('batches thousands of messages across several datagrams', async () => {
    const msgs = [];
    for (let i = 0; i < 1500; i++) msgs.push(new MessageBuilder(18, 0, 16).str(3, i % 2 ? 'lo' : 'nope0').finish());
    const results = await ns.nl.batch(msgs);
    expect(results).toHaveLength(1500);
    expect(results.filter((r) => r.ok)).toHaveLength(750);
    expect(results.every((r, i) => r.index === i && r.ok === (i % 2 === 1))).toBe(true);
  });

  it('sizes batch windows to the receive buffer it got, so no ACK or reply is dropped', async () => {
    const small = await openNetlink({ netns: ns.name, rcvbuf: 65536 });
    try {
      const msgs = [];
      for (let i = 0; i < 2000; i++) msgs.push(new MessageBuilder(18, 0, 16).str(3, 'lo').finish());
      const results = await small.batch(msgs);
      expect(results.filter((r) => r.ok && r.replies.length === 1)).toHaveLength(2000);
    } finally {
      small.close();
    }
  });

  it('types kernel refusals: errno, code and the extended-ack text', async () => {
    const b = new MessageBuilder(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 16);
    b.str(3, 'x0').nest(18).str(1, 'no-such-kind').end();
    const err = await ns.nl.request(b.finish()).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'NetlinkError', code: 'EOPNOTSUPP', errno: 95, requestType: RTM_NEWLINK });
    expect((err as { extack?: string }).extack).toMatch(/Unknown device type/);
    await expect(ns.nl.linkIndex('missing0')).rejects.toMatchObject({ name: 'LinkNotFoundError', code: 'ENODEV' });
  });

  it('refuses a non-strict dump request under strict checking (typed error, socket still usable)', async () => {
    // ifi_index set in a link dump is refused under NETLINK_GET_STRICT_CHK.
    const bad = new MessageBuilder(18, 0, 16);
    bad.family.setInt32(4, 1, true);
    const err = await (async () => {
      for await (const _ of ns.nl.dump(bad.finish())) void _;
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'NetlinkError', code: 'EINVAL' });
    expect((await ns.nl.link.list()).length).toBe(1);
  });

  it('honours AbortSignal on requests and dumps, and keeps working afterwards', async () => {
    await expect(ns.nl.linkIndex('lo', { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    const ac = new AbortController();
    const dumping = (async () => {
      for await (const _ of ns.nl.dump(encodeLinkDump(), { signal: ac.signal })) void _;
    })();
    ac.abort(new Error('stop'));
    await expect(dumping).rejects.toThrow('stop');
    expect((await ns.nl.link.list()).map((l) => l.name)).toEqual(['lo']);
  });

  it('close() rejects pending calls with HandleClosedError and refuses new ones', async () => {
    const nl = await openNetlink({ netns: ns.name });
    const pending = nl.linkIndex('lo');
    nl.close();
    await expect(pending).rejects.toMatchObject({ name: 'HandleClosedError' });
    await expect(nl.linkIndex('lo')).rejects.toMatchObject({ name: 'HandleClosedError' });
    nl.close();
  });

  it('opens in a namespace by name or path, and reports a missing one', async () => {
    const byPath = await openNetlink({ netns: { path: ns.path } });
    try {
      await ns.nl.link.add({ kind: 'veth', name: 'seen', peer: { name: 'seenp' } });
      expect(await byPath.linkIndex('seen')).toBeGreaterThan(1);
    } finally {
      byPath.close();
    }
    await expect(openNetlink({ netns: 'vpt-does-not-exist' })).rejects.toMatchObject({
      name: 'NetnsNotFoundError',
      netns: 'vpt-does-not-exist',
    });
    await expect(openNetlink({ rcvbuf: 10 })).rejects.toMatchObject({ name: 'InvalidArgumentError', field: 'rcvbuf' });
  });
});
