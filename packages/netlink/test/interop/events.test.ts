/** Event streams against the real kernel: listing first, then changes, and self-resync after ENOBUFS. */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NetlinkEvent } from '../../src/events.js';
import { encodeLinkAdd } from '../../src/link.js';
import { createNetns, kernelSkipReason, removeAllNetns, type TestNetns } from '../../src/testing/index.js';

const reason = await kernelSkipReason();
if (reason) console.log(`skip events interop: ${reason}`);

/** Pulls events until `until` matches one (which is included), within `ms`. */
async function take(it: AsyncIterator<NetlinkEvent>, until: (e: NetlinkEvent) => boolean, ms = 5000): Promise<NetlinkEvent[]> {
  const out: NetlinkEvent[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out after ${out.length} events: ${out.map((e) => e.type).join(', ')}`);
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      it.next(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${out.length} events: ${out.map((e) => e.type).join(', ')}`)), left);
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
