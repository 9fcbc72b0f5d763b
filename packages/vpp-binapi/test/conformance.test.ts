import { afterAll, beforeAll, describe, it } from 'vitest';
import { connectVpp } from '../src/client/connect.js';
import { type ConformanceTarget, describeConformance, startFakeVpp } from '../src/testing/index.js';

const api = { describe, it, beforeAll, afterAll };

async function connect(socket: string, hostInterface?: string): Promise<ConformanceTarget> {
  const vpp = await connectVpp({ socket, name: 'conformance', timeoutMs: 10_000 });
  return {
    context: hostInterface ? { vpp, hostInterface } : { vpp },
    close: () => vpp.close(),
  };
}

for (const tap of ['fail', 'succeed'] as const) {
  describeConformance(`conformance: fake VPP (tap_create_v3 ${tap === 'fail' ? 'fails, no vhost-net' : 'succeeds'})`, api, async () => {
    const fake = await startFakeVpp({ tap });
    const target = await connect(fake.socketPath, 'vfake0');
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
  describeConformance(`conformance: VPP at ${real}`, api, () => connect(real, process.env.VPP_HOST_INTERFACE));
} else {
  describe('conformance: real VPP', () => {
    it.skip('skipped: VPP_API_SOCKET is not set (point it at a running VPP 26.06 api.sock to run the suite there)', () => {});
  });
}
