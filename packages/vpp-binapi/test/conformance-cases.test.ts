/**
 * Properties of the conformance cases themselves, checked on the fake: the ip_path_mtu case still pages
 * while using only the sequence that cannot wedge a real VPP, and the af_packet case makes (and removes)
 * its own veth pair when it runs as root.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { connectVpp } from '../src/client/connect.js';
import {
  type ConformanceCase,
  type ConformanceClient,
  type FakeVpp,
  conformanceCases,
  createVethHostInterface,
  startFakeVpp,
} from '../src/testing/index.js';

let fake: FakeVpp | undefined;
let closeClient: (() => Promise<void>) | undefined;
afterEach(async () => {
  await closeClient?.();
  await fake?.stop();
  fake = undefined;
  closeClient = undefined;
});

function theCase(prefix: string): ConformanceCase {
  const c = conformanceCases.find((x) => x.name.startsWith(prefix));
  if (!c) throw new Error(`no conformance case named ${prefix}…`);
  return c;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

describe('ip_path_mtu case', () => {
  it('pages through the fake (EAGAIN, several pages) with entries added one at a time for attached next hops', async () => {
    let gets = 0;
    fake = await startFakeVpp({
      getPageSize: 64,
      logger: { debug: (f) => void (f.message === 'ip_path_mtu_get' && gets++) },
    });
    const vpp = await connectVpp({ socket: fake.socketPath, timeoutMs: 5000 });
    closeClient = () => vpp.close();
    let inFlight = 0;
    let maxInFlight = 0;
    let updates = 0;
    const notAttached: string[] = [];
    const f = fake;
    // wraps the client: watches concurrency and where each next hop resolves in the fake's FIB
    const watched: ConformanceClient = {
      call: async (name, msg) => {
        if (name !== 'ip_path_mtu_update') return vpp.call(name as never, msg as never);
        const nh = String((msg as { pmtu: { nh: string } }).pmtu.nh);
        const cover = f.state.routeLookup(0, `${nh}/32`, false).entry;
        if (!cover || f.state.bestSource(cover) !== 'interface') notAttached.push(nh);
        updates++;
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        try {
          return await vpp.call(name as never, msg as never);
        } finally {
          inFlight--;
        }
      },
      dump: (name, msg) => vpp.dump(name as never, msg as never),
      get: (name, msg) => vpp.get(name as never, msg as never),
      events: () => {
        throw new Error('not used');
      },
    };
    await theCase('ip_path_mtu_update').run({ vpp: watched });
    expect(updates).toBeGreaterThanOrEqual(300);
    expect(maxInFlight).toBe(1);
    expect(notAttached).toEqual([]);
    // two listings of ~300 entries at 64 per page: at least 5 pages each
    expect(gets).toBeGreaterThanOrEqual(10);
    expect(f.state.pathMtus.filter(Boolean)).toEqual([]);
  });
});

describe('af_packet case', () => {
  it.skipIf(!isRoot)(
    'makes its own veth pair as root, checks -71 for a missing host interface, and removes the pair',
    async () => {
      fake = await startFakeVpp();
      const f = fake;
      f.state.hostInterfaces = new Set();
      const vpp = await connectVpp({ socket: f.socketPath, timeoutMs: 5000 });
      closeClient = () => vpp.close();
      const made: string[] = [];
      await theCase('af_packet_create_v3').run({
        vpp: vpp as unknown as ConformanceClient,
        makeHostInterface: async () => {
          const lease = await createVethHostInterface({ prefix: 'vpf' });
          made.push(lease.name);
          // the fake binds what the kernel has: tell it about the new veth
          (f.state.hostInterfaces as Set<string>).add(lease.name);
          return lease;
        },
      });
      expect(made).toHaveLength(1);
      expect(made[0]).toMatch(/^vpf[0-9a-f]{6}$/);
      const links = execFileSync('ip', ['-o', 'link', 'show']).toString();
      expect(links).not.toContain(made[0]);
      expect([...f.state.interfaces.values()].some((i) => i.kind === 'af_packet')).toBe(false);
    },
  );

  it.skipIf(isRoot)('skipped: not root, cannot make a veth pair', () => {});
});
