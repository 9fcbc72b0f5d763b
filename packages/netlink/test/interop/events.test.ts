/** Event streams against the real kernel: listing first, then changes, and self-resync after ENOBUFS. */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NetlinkEvent } from '../../src/events.js';
import { encodeLinkAdd } from '../../src/link.js';
import { createNetns, kernelSkipReason, removeAllNetns, type TestNetns } from '../../src/testing/index.js';

const reason = await kernelSkipReason();
if (reason) console.log(`skip events interop: ${reason}`);

/** Pulls events until `until` matches one (which is included), within `ms`. */
async function take(
  it: AsyncIterator<NetlinkEvent>,
  until: (e: NetlinkEvent) => boolean,
  ms = 5000,
): Promise<NetlinkEvent[]> {
  const out: NetlinkEvent[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out after ${out.length} events: ${out.map((e) => e.type).join(', ')}`);
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      it.next(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${out.length} events: ${out.map((e) => e.type).join(', ')}`)),
          left,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    if (r.done) return out;
    out.push(r.value);
    if (until(r.value)) return out;
  }
}

describe.skipIf(reason !== undefined)('events (kernel)', () => {
  let ns: TestNetns;
  beforeEach(async () => {
    ns = await createNetns('vpt-ev');
  });
  afterEach(async () => {
    await ns.remove();
  });
  afterAll(removeAllNetns);

  it('lists what exists, then streams link, address and route changes', async () => {
    await ns.nl.link.add({ kind: 'veth', name: 'old0', peer: { name: 'old1' } });
    const it = ns.nl.subscribe({ link: true, address: true, route: true })[Symbol.asyncIterator]();
    try {
      const listing = await take(it, (e) => e.type === 'sync');
      const names = listing.flatMap((e) => (e.type === 'link:add' ? [e.link.name] : []));
      expect(names.sort()).toEqual(['lo', 'old0', 'old1']);
      expect(listing.every((e) => e.type === 'sync' || ('existing' in e && e.existing))).toBe(true);
      expect(listing.some((e) => e.type === 'address:add' && e.address.address === '127.0.0.1')).toBe(true);

      await ns.nl.link.add({ kind: 'veth', name: 'new0', peer: { name: 'new1' }, up: true });
      const added = await take(it, (e) => e.type === 'link:add' && e.link.name === 'new0');
      expect(added.at(-1)).toMatchObject({ type: 'link:add', existing: false, link: { name: 'new0', kind: 'veth' } });

      await ns.nl.address.add({ link: 'new0', address: '198.51.100.1/24' });
      const addr = await take(it, (e) => e.type === 'address:add' && e.address.address === '198.51.100.1');
      expect(addr.at(-1)).toMatchObject({ existing: false });
      await take(it, (e) => e.type === 'route:add' && e.route.dst === '198.51.100.0/24');

      await ns.nl.link.delete('new0');
      await take(it, (e) => e.type === 'link:del' && e.link.name === 'new0');
    } finally {
      await it.return?.();
    }
  });

  it('resyncs by itself when the kernel drops notifications (ENOBUFS)', async () => {
    // A tiny receive buffer, and a batch of creations processed inside one sendmsg: the event socket
    // cannot be drained meanwhile, so the kernel drops notifications and flags ENOBUFS.
    const it = ns.nl.subscribe({ link: true, rcvbuf: 4096 })[Symbol.asyncIterator]();
    try {
      await take(it, (e) => e.type === 'sync');
      const msgs = [];
      for (let i = 0; i < 100; i++) msgs.push(encodeLinkAdd({ kind: 'veth', name: `f${i}`, peer: { name: `f${i}p` } }));
      const results = await ns.nl.batch(msgs);
      expect(results.every((r) => r.ok)).toBe(true);
      const events = await take(it, (e) => e.type === 'sync', 10_000);
      const at = events.findIndex((e) => e.type === 'resync');
      expect(at).toBeGreaterThanOrEqual(0);
      expect(events[at]).toEqual({ type: 'resync', reason: 'overrun' });
      const relisted = events.slice(at + 1).flatMap((e) => (e.type === 'link:add' && e.existing ? [e.link.name] : []));
      expect(relisted).toHaveLength(201); // lo + 100 pairs: the listing after resync is complete
    } finally {
      await it.return?.();
    }
  });

  it('lists, then streams neighbour changes', async () => {
    await ns.nl.link.add({ kind: 'veth', name: 'nb0', peer: { name: 'nb1' }, up: true });
    await ns.nl.address.add({ link: 'nb0', address: '192.0.2.1/24' });
    await ns.nl.neigh.add({ link: 'nb0', dst: '192.0.2.8', lladdr: '02:00:00:00:00:08', state: ['permanent'] });
    const it = ns.nl.subscribe({ neigh: true })[Symbol.asyncIterator]();
    try {
      const listing = await take(it, (e) => e.type === 'sync');
      expect(
        listing.filter((e) => e.type === 'neigh:add').map((e) => e.type === 'neigh:add' && [e.neigh.dst, e.existing]),
      ).toContainEqual(['192.0.2.8', true]);
      await ns.nl.neigh.add({ link: 'nb0', dst: '192.0.2.9', lladdr: '02:00:00:00:00:09', state: ['permanent'] });
      const added = await take(it, (e) => e.type === 'neigh:add' && e.neigh.dst === '192.0.2.9');
      expect(added.at(-1)).toMatchObject({
        type: 'neigh:add',
        existing: false,
        neigh: {
          family: 'inet',
          dst: '192.0.2.9',
          lladdr: '02:00:00:00:00:09',
          state: ['permanent'],
          index: await ns.nl.linkIndex('nb0'),
        },
      });
      await ns.nl.neigh.delete({ link: 'nb0', dst: '192.0.2.9' });
      const gone = await take(it, (e) => e.type === 'neigh:del' && e.neigh.dst === '192.0.2.9');
      expect(gone.at(-1)).toMatchObject({ type: 'neigh:del', existing: false, neigh: { dst: '192.0.2.9' } });
    } finally {
      await it.return?.();
    }
  });

  it('lists, then streams policy rule changes', async () => {
    const it = ns.nl.subscribe({ rule: true })[Symbol.asyncIterator]();
    try {
      const listing = await take(it, (e) => e.type === 'sync');
      // The default rules of a fresh namespace (local, main, default) in both families.
      expect(
        listing
          .filter((e) => e.type === 'rule:add' && e.existing && e.rule.family === 'inet')
          .map((e) => e.type === 'rule:add' && e.rule.table),
      ).toEqual([255, 254, 253]);
      await ns.nl.rule.add({ src: '10.9.0.0/16', table: 7, priority: 500 });
      const added = await take(it, (e) => e.type === 'rule:add' && e.rule.priority === 500);
      expect(added.at(-1)).toMatchObject({
        type: 'rule:add',
        existing: false,
        rule: { family: 'inet', src: '10.9.0.0/16', table: 7, priority: 500, action: 'table' },
      });
      await ns.nl.rule.delete({ src: '10.9.0.0/16', table: 7, priority: 500 });
      const gone = await take(it, (e) => e.type === 'rule:del' && e.rule.priority === 500);
      expect(gone.at(-1)).toMatchObject({ type: 'rule:del', existing: false, rule: { src: '10.9.0.0/16', table: 7 } });
    } finally {
      await it.return?.();
    }
  });

  it('lists, then streams nexthop object changes', async () => {
    await ns.nl.link.add({ kind: 'veth', name: 'nh0', peer: { name: 'nh1' }, up: true });
    await ns.nl.link.up('nh1'); // carrier: the kernel refuses a gateway nexthop on a link without one
    await ns.nl.address.add({ link: 'nh0', address: '192.0.2.1/24' });
    await ns.nl.nexthop.add({ id: 1, gateway: '192.0.2.254', oif: 'nh0' });
    const it = ns.nl.subscribe({ nexthop: true })[Symbol.asyncIterator]();
    try {
      const listing = await take(it, (e) => e.type === 'sync');
      expect(listing.map((e) => e.type === 'nexthop:add' && [e.nexthop.id, e.existing])).toEqual([[1, true], false]);
      await ns.nl.nexthop.add({ id: 2, gateway: '192.0.2.253', oif: 'nh0', protocol: 'static' });
      const added = await take(it, (e) => e.type === 'nexthop:add' && e.nexthop.id === 2);
      expect(added.at(-1)).toMatchObject({
        type: 'nexthop:add',
        existing: false,
        nexthop: {
          id: 2,
          family: 'inet',
          gateway: '192.0.2.253',
          oif: await ns.nl.linkIndex('nh0'),
          protocol: 'static',
        },
      });
      await ns.nl.nexthop.delete(2);
      const gone = await take(it, (e) => e.type === 'nexthop:del' && e.nexthop.id === 2);
      expect(gone.at(-1)).toMatchObject({ type: 'nexthop:del', existing: false, nexthop: { id: 2 } });
    } finally {
      await it.return?.();
    }
  });

  it('resyncs when the consumer falls maxQueue behind, then streams again', async () => {
    const it = ns.nl.subscribe({ link: true, maxQueue: 10 })[Symbol.asyncIterator]();
    try {
      await take(it, (e) => e.type === 'sync');
      // Not reading while 20 pairs (40+ notifications) arrive: the queue passes 10 and is dropped.
      for (let i = 0; i < 20; i++) await ns.nl.link.add({ kind: 'veth', name: `q${i}`, peer: { name: `q${i}p` } });
      const events = await take(it, (e) => e.type === 'sync');
      expect(events[0]).toEqual({ type: 'resync', reason: 'overrun' });
      // Nothing of the dropped queue is yielded: only the complete listing that replaces it.
      const relisted = events.slice(1, -1);
      expect(relisted.every((e) => e.type === 'link:add' && e.existing)).toBe(true);
      expect(relisted.map((e) => (e.type === 'link:add' ? e.link.name : '')).sort()).toEqual(
        ['lo', ...Array.from({ length: 20 }, (_, i) => [`q${i}`, `q${i}p`]).flat()].sort(),
      );
      await ns.nl.link.add({ kind: 'veth', name: 'after0', peer: { name: 'after1' } });
      const next = await take(it, (e) => e.type === 'link:add' && e.link.name === 'after0');
      expect(next.every((e) => e.type === 'link:add' && !e.existing)).toBe(true);
    } finally {
      await it.return?.();
    }
  });

  it('ends on abort, closing its socket', async () => {
    const ac = new AbortController();
    const stream = ns.nl.subscribe({ link: true, signal: ac.signal });
    const seen: string[] = [];
    const run = (async () => {
      for await (const e of stream) {
        seen.push(e.type);
        if (e.type === 'sync') ac.abort(new Error('done'));
      }
    })();
    await expect(run).rejects.toThrow('done');
    expect(seen).toEqual(['link:add', 'sync']);
    expect(() => ns.nl.subscribe({})).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });
});
