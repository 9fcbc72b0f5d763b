import { connectVpp } from '@vectorplane/vpp-binapi';
import { startFakeVpp } from '@vectorplane/vpp-binapi/testing';
import { describe, expect, test } from 'vitest';
import { createPolicyDataplane, detectBackend } from '../src/dataplane.js';
import { BACKENDS, tcp } from './helpers/env.js';
import { AclView, npolPasses, type NpolStateLike } from './helpers/verdict.js';

describe('pol restarts', () => {
  test.each(BACKENDS)('after a VPP restart, resync() programs the whole state again (%s)', async (kind) => {
    const fake = await startFakeVpp();
    const vpp = await connectVpp({ socket: fake.socketPath, reconnect: { initialDelayMs: 10, healthIntervalMs: 0 } });
    try {
      const dp = createPolicyDataplane({ vpp }, { backend: kind, npolStatePath: null });
      await dp.start();
      const sw = (await vpp.call('create_loopback', {})).sw_if_index;
      await dp.apply([
        {
          kind: 'policy',
          id: 'p',
          policy: { inbound: [{ action: 'allow', protocol: 6, dstPorts: [{ first: 80, last: 80 }] }], outbound: [] },
        },
        {
          kind: 'workload',
          id: 'w',
          endpoint: {
            swIfIndexes: [sw],
            addresses: ['10.0.0.2'],
            profiles: [],
            tiers: [{ name: 't', ingress: ['p'], egress: [] }],
          },
        },
      ]);
      const up = new Promise((r) => vpp.addEventListener('vpp:up', r, { once: true }));
      await fake.restart();
      await up;
      const sw2 = (await vpp.call('create_loopback', {})).sw_if_index;
      expect(sw2).toBe(sw);
      const hop = async (dport: number) =>
        kind === 'acl'
          ? (await new AclView(vpp).load()).hop(sw, 'output', tcp('10.0.0.1', '10.0.0.2', dport))
          : npolPasses(fake.state.npol as unknown as NpolStateLike, sw, 'output', tcp('10.0.0.1', '10.0.0.2', dport));
      expect(await hop(81)).toBe(true); // VPP forgot everything
      const r = await dp.resync();
      expect(r.vppCalls).toBeGreaterThan(0);
      expect(await hop(80)).toBe(true);
      expect(await hop(81)).toBe(false);
    } finally {
      await vpp.close();
      await fake.stop();
    }
  });

  test('detectBackend: a released VPP (26.06) with the ACL plugin gets acl', async () => {
    const fake = await startFakeVpp();
    const vpp = await connectVpp({ socket: fake.socketPath });
    try {
      expect(await detectBackend(vpp)).toBe('acl');
    } finally {
      await vpp.close();
      await fake.stop();
    }
  });
});
