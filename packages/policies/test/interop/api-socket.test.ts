/**
 * The dataplane against a real VPP's API socket (VPP_API_SOCKET): ACL lists are programmed and read
 * back (the outcome is decided from what VPP holds), npol objects are accepted, and everything created
 * is removed at the end. Skips with one line when VPP_API_SOCKET is not set.
 */
import { connectVpp, type VppApi, type VppClient } from '@vectorplane/vpp-binapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPolicyDataplane } from '../../src/index.js';
import { AclView } from '../helpers/verdict.js';
import { tcp } from '../helpers/env.js';

const socket = process.env.VPP_API_SOCKET;

describe.skipIf(!socket)('pol dataplane against VPP_API_SOCKET', () => {
  let vpp: VppClient<VppApi>;
  const loops: number[] = [];
  const tagPrefix = `pol-it-${process.pid}`;

  beforeAll(async () => {
    vpp = await connectVpp({ socket: socket!, name: 'pol-interop' });
    for (let i = 0; i < 2; i++) loops.push((await vpp.call('create_loopback', {})).sw_if_index);
  });
  afterAll(async () => {
    for (const sw_if_index of loops) await vpp.call('delete_loopback', { sw_if_index }).catch(() => undefined);
    await vpp?.close();
  });

  it('acl: lists read back from VPP decide as the policy says; removing the workloads removes every list', async () => {
    const dp = createPolicyDataplane({ vpp }, { backend: 'acl', aclTagPrefix: tagPrefix });
    await dp.start();
    const [a, b] = loops as [number, number];
    const r = await dp.apply([
      { kind: 'ipset', id: 'front', set: { type: 'ip', members: ['10.0.0.1'] } },
      {
        kind: 'policy',
        id: 'web',
        policy: {
          inbound: [{ action: 'allow', protocol: 6, srcIpSets: ['front'], dstPorts: [{ first: 80, last: 80 }] }],
          outbound: [],
        },
      },
      { kind: 'workload', id: 'a', endpoint: { swIfIndexes: [a], addresses: ['10.0.0.1'], profiles: [], tiers: [] } },
      {
        kind: 'workload',
        id: 'b',
        endpoint: {
          swIfIndexes: [b],
          addresses: ['10.0.0.2'],
          profiles: [],
          tiers: [{ name: 't', ingress: ['web'], egress: [] }],
        },
      },
    ]);
    expect(r.errors).toEqual([]);
    const view = await new AclView(vpp).load();
    expect(view.hop(b, 'output', tcp('10.0.0.1', '10.0.0.2', 80))).toBe(true);
    expect(view.hop(b, 'output', tcp('10.0.0.1', '10.0.0.2', 81))).toBe(false);
    expect(view.hop(b, 'output', tcp('10.0.0.9', '10.0.0.2', 80))).toBe(false);
    await dp.clear();
    let left = 0;
    for await (const d of vpp.dump('acl_dump', { acl_index: 0xffffffff }))
      if (d.tag.startsWith(`${tagPrefix}:`)) left++;
    expect(left).toBe(0);
  });

  it('npol: objects are accepted when the plugin is loaded (no datapath on 26.06), and removed', async () => {
    try {
      await vpp.call('npol_get_version', {});
    } catch {
      return; // npol plugin not loaded on this VPP
    }
    const dp = createPolicyDataplane({ vpp }, { backend: 'npol', npolStatePath: null });
    await dp.start();
    const r = await dp.apply([
      { kind: 'ipset', id: 'front', set: { type: 'ip', members: ['10.0.0.1', 'fd00::1'] } },
      {
        kind: 'policy',
        id: 'web',
        policy: {
          inbound: [{ action: 'allow', protocol: 6, srcIpSets: ['front'], dstPorts: [{ first: 80, last: 80 }] }],
          outbound: [],
        },
      },
      {
        kind: 'workload',
        id: 'b',
        endpoint: {
          swIfIndexes: [loops[1]!],
          addresses: ['10.0.0.2'],
          profiles: [],
          tiers: [{ name: 't', ingress: ['web'], egress: [] }],
        },
      },
    ]);
    expect(r.errors).toEqual([]);
    const r2 = await dp.clear();
    expect(r2.errors).toEqual([]);
    // everything is gone: deleting the objects again is refused by VPP
    expect(dp.calls.get('npol_policy_delete')).toBe(dp.calls.get('npol_policy_create'));
    expect(dp.calls.get('npol_ipset_delete')).toBe(dp.calls.get('npol_ipset_create'));
    expect(dp.calls.get('npol_rule_delete')).toBe(dp.calls.get('npol_rule_create'));
  });
});

if (!socket) {
  describe('pol dataplane against VPP_API_SOCKET', () => {
    it.skip('skipped: VPP_API_SOCKET is not set', () => {});
  });
}
