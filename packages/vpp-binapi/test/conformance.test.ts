/**
 * The conformance suite against the fake VPP announcing each release's message table (VPP 25.10, 26.02
 * and 26.06, built from those releases' schemas), and against a real VPP when VPP_API_SOCKET is set.
 * The client speaks every release at once and picks each message's definition by the CRC announced. A
 * case that needs a message the release does not have at all (25.10 has no npol plugin) is skipped,
 * naming the message; any other failure fails.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { connectVpp } from '../src/client/connect.js';
import { releaseDiffs, type VppRelease } from '../src/generated/index.js';
import {
  type ConformanceTarget,
  type ConformanceTestApi,
  describeConformance,
  startFakeVpp,
} from '../src/testing/index.js';

/** vitest, with cases that fail for a message `release` lacks turned into skips that name it. */
function apiFor(release: VppRelease | undefined): ConformanceTestApi {
  const absent = new Set(release ? releaseDiffs[release].absent : []);
  return {
    describe,
    beforeAll,
    afterAll,
    it: (name, fn, timeoutMs) =>
      it(
        name,
        async (t) => {
          try {
            await fn(t);
          } catch (err) {
            const e = err as { name?: string; messageName?: string; cause?: { name?: string; messageName?: string } };
            const lacking = [e, e.cause].find(
              (x) => x?.name === 'VppUnsupportedMessageError' && absent.has(x.messageName ?? ''),
            );
            if (lacking) t.skip(`VPP ${release} has no ${lacking.messageName}`);
            throw err;
          }
        },
        timeoutMs,
      ),
  };
}

async function connect(socket: string, hostInterface?: string): Promise<ConformanceTarget> {
  const vpp = await connectVpp({ socket, name: 'conformance', timeoutMs: 10_000 });
  return {
    context: hostInterface ? { vpp, hostInterface } : { vpp },
    close: () => vpp.close(),
  };
}

const runs: { release: VppRelease; tap: 'fail' | 'succeed' }[] = [
  { release: '25.10', tap: 'fail' },
  { release: '26.02', tap: 'fail' },
  { release: '26.06', tap: 'fail' },
  { release: '26.06', tap: 'succeed' },
];
for (const { release, tap } of runs) {
  const title = `conformance: fake VPP ${release} (tap_create_v3 ${tap === 'fail' ? 'fails, no vhost-net' : 'succeeds'})`;
  describeConformance(title, apiFor(release), async () => {
    const fake = await startFakeVpp({ tap, release });
    const target = await connect(fake.socketPath, 'vfake0');
    const table = [...(target.context.vpp as unknown as { table: ReadonlyMap<string, number> }).table.keys()];
    // the fake announced that release's table, and the client recognised it
    const releases = (target.context.vpp as unknown as { compat: { releases: readonly string[] } }).compat.releases;
    if (!releases.includes(release))
      throw new Error(`the fake announced ${release}, the client matched ${releases.join(', ') || 'none'}`);
    if (release !== '26.06' && !table.includes('cnat_set_snat_policy_d3e6eaf4'))
      throw new Error(`${release} table lacks its cnat_set_snat_policy`);
    return {
      context: target.context,
      close: async () => {
        await target.close();
        await fake.stop();
      },
    };
  });
}

const real = process.env.VPP_API_SOCKET;
if (real) {
  describeConformance(`conformance: VPP at ${real}`, apiFor(undefined), () =>
    connect(real, process.env.VPP_HOST_INTERFACE),
  );
} else {
  describe('conformance: real VPP', () => {
    it.skip('skipped: VPP_API_SOCKET is not set (point it at a running VPP 26.06 api.sock to run the suite there)', () => {});
  });
}
