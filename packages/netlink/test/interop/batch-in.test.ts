/**
 * batchIn against the real kernel: requests run in another namespace on a throwaway socket (the addon's
 * namespace thread), results item by item, typed errors, and the namespace thread going back to the
 * process's namespace for work in the current one.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchIn, BATCH_IN_MAX_MESSAGES, openNetlink } from '../../src/handle.js';
import { encodeAddress } from '../../src/address.js';
import { decodeLink, encodeLinkAdd, encodeLinkDump, encodeLinkGet, encodeLinkSet } from '../../src/link.js';
import { InvalidArgumentError, NetlinkError, NetnsNotFoundError } from '../../src/errors.js';
import { createNetns, kernelSkipReason, removeAllNetns, type TestNetns } from '../../src/testing/index.js';

const reason = await kernelSkipReason();
/** The addresses on lo of a namespace. */
const loAddresses = async (ns: TestNetns): Promise<string[]> => {
  const out: string[] = [];
  for await (const x of ns.nl.address.list({ link: 'lo' })) out.push(x.address);
  return out;
};
/** A link dump request with NLM_F_DUMP set (dump() sets it; batchIn must refuse it). */
const dumpRequest = (): Uint8Array => {
  const m = encodeLinkDump();
  new DataView(m.buffer, m.byteOffset).setUint16(6, 0x300, true);
  return m;
};
if (reason) console.log(`skip batchIn interop: ${reason}`);

describe.skipIf(reason !== undefined)('batchIn (kernel)', () => {
  let a: TestNetns;
  let b: TestNetns;
  beforeAll(async () => {
    a = await createNetns('vpt-bin');
    b = await createNetns('vpt-bin');
  });
  afterAll(async () => {
    await a?.remove();
    await b?.remove();
    await removeAllNetns();
  });

  it('runs requests in the namespace, one result each: replies of a GET, a refusal, and the rest done', async () => {
    const r = await batchIn({ path: a.path }, [
      encodeLinkSet(1, { up: true }),
      encodeAddress('add', { link: 1, address: '10.77.0.1/32' }, 1),
      encodeAddress('add', { link: 4242, address: '10.77.0.2/32' }, 4242), // no such interface
      encodeAddress('add', { link: 1, address: '10.77.0.3/32' }, 1),
      encodeLinkGet('lo'),
    ]);
    expect(r.map((x) => x.ok)).toEqual([true, true, false, true, true]);
    expect(r.map((x) => x.index)).toEqual([0, 1, 2, 3, 4]);
    const refused = r[2]!;
    if (refused.ok) throw new Error('unreachable');
    expect(refused.error).toBeInstanceOf(NetlinkError);
    expect((refused.error as NetlinkError).code).toBe('ENODEV');
    const got = r[4]!;
    if (!got.ok) throw got.error;
    expect(got.replies).toHaveLength(1);
    expect(decodeLink(got.replies[0]!)).toMatchObject({ name: 'lo', index: 1, up: true });
    // they happened in a, not in b
    expect(await loAddresses(a)).toEqual(expect.arrayContaining(['10.77.0.1', '10.77.0.3']));
    expect(await loAddresses(a)).not.toContain('10.77.0.2');
    expect(await loAddresses(b)).not.toContain('10.77.0.1');
  });

  it('an EEXIST keeps its code, extended ack and request type', async () => {
    await a.nl.link.add({ kind: 'veth', name: 'bx0', peer: { name: 'bx0p' } });
    const [r] = await batchIn(a.name, [encodeLinkAdd({ kind: 'veth', name: 'bx0', peer: { name: 'bx1' } })]);
    expect(r?.ok).toBe(false);
    if (!r || r.ok) return;
    expect(r.error).toMatchObject({ name: 'NetlinkError', code: 'EEXIST', requestType: 16 });
  });

  it('many at once, each in its own namespace, interleaved with work in the current one', async () => {
    const nss = await Promise.all(Array.from({ length: 6 }, () => createNetns('vpt-bin')));
    try {
      // a link only the namespaces have: work in the current namespace must never see it
      await Promise.all(nss.map((ns) => ns.nl.link.add({ kind: 'veth', name: 'only0', peer: { name: 'only1' } })));
      const jobs: Promise<unknown>[] = [];
      for (let round = 0; round < 20; round++)
        nss.forEach((ns, i) => {
          jobs.push(
            batchIn(ns.name, [encodeAddress('add', { link: 1, address: `10.78.${i}.${round + 1}/32` }, 1)]).then(
              ([r]) => {
                if (!r?.ok) throw r?.error;
              },
            ),
          );
          jobs.push(
            batchIn(undefined, [encodeLinkGet('only0')]).then(([r]) => {
              expect(r?.ok).toBe(false); // ENODEV: the current namespace has no only0
            }),
          );
          jobs.push(
            openNetlink().then(async (nl) => {
              try {
                expect(await nl.link.find('only0')).toBeUndefined();
              } finally {
                nl.close();
              }
            }),
          );
        });
      await Promise.all(jobs);
      for (const [i, ns] of nss.entries()) {
        const mine = (await loAddresses(ns)).filter((x) => x.startsWith('10.78.'));
        expect(mine.sort()).toEqual(Array.from({ length: 20 }, (_, r) => `10.78.${i}.${r + 1}`).sort());
      }
    } finally {
      for (const ns of nss) await ns.remove();
    }
  });

  it('a pending batchIn keeps the process alive, and nothing is left holding it afterwards', () => {
    // top-level await on a promise nothing keeps alive ends the process with code 13 and no output
    const script = `import { batchIn, encodeLinkGet } from ${JSON.stringify(new URL('../../src/index.ts', import.meta.url).href)};
const r = await batchIn(${JSON.stringify(a.path)} ? { path: ${JSON.stringify(a.path)} } : undefined, [encodeLinkGet('lo')]);
process.stdout.write(r[0].ok ? 'ok' : 'refused');`;
    const t0 = Date.now();
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(out).toBe('ok');
    expect(Date.now() - t0).toBeLessThan(15_000); // exited by itself once settled
  });

  it('bad input is refused before anything is sent; a missing namespace is NetnsNotFoundError', async () => {
    await expect(batchIn(a.name, [])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(
      batchIn(
        a.name,
        Array.from({ length: BATCH_IN_MAX_MESSAGES + 1 }, () => encodeLinkGet('lo')),
      ),
    ).rejects.toMatchObject({ field: 'messages' });
    await expect(batchIn(a.name, [new Uint8Array(8)])).rejects.toMatchObject({ field: 'messages[0]' });
    await expect(batchIn(a.name, [encodeLinkGet('lo'), dumpRequest()])).rejects.toMatchObject({
      field: 'messages[1]',
    });
    await expect(batchIn({ path: '/run/netns/vpt-bin-does-not-exist' }, [encodeLinkGet('lo')])).rejects.toBeInstanceOf(
      NetnsNotFoundError,
    );
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(batchIn(a.name, [encodeLinkGet('lo')], { signal: ac.signal })).rejects.toThrow('stop');
    // nothing of a refused batch is sent: its first request (a valid address) was not made
    await expect(
      batchIn(a.name, [encodeAddress('add', { link: 1, address: '10.77.0.9/32' }, 1), new Uint8Array(4)]),
    ).rejects.toMatchObject({ field: 'messages[1]' });
    expect(await loAddresses(a)).not.toContain('10.77.0.9');
  });
});
