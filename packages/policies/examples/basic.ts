// The README's example, type-checked by test/readme.test.ts and run there against the fake VPP.
import { connectVpp } from '@vectorplane/vpp-binapi';
import { createPolicyDataplane, type ApplyResult } from '@vectorplane/policies';

export async function example(socket: string, podInterface: number): Promise<ApplyResult> {
  const vpp = await connectVpp({ socket });
  // 'auto' picks the ACL plugin on released VPPs (25.10–26.06), npol where npol enforces
  const policies = createPolicyDataplane({ vpp }, { backend: 'auto', host: { hostAddresses: ['192.168.0.1'] } });
  policies.addEventListener('policy:issue', (e) => {
    const { code, object, path, message } = (
      e as CustomEvent<{ code: string; object: string; path: string; message: string }>
    ).detail;
    process.stderr.write(`${code} ${object} ${path}: ${message}\n`);
  });
  await policies.start();
  const result = await policies.apply([
    { kind: 'ipset', id: 'frontends', set: { type: 'ip', members: ['10.0.0.1'] } },
    {
      kind: 'policy',
      id: 'web',
      policy: {
        inbound: [{ action: 'allow', protocol: 6, srcIpSets: ['frontends'], dstPorts: [{ first: 80, last: 80 }] }],
        outbound: [],
      },
    },
    {
      kind: 'workload',
      id: 'default/web',
      endpoint: {
        swIfIndexes: [podInterface],
        addresses: ['10.0.0.2'],
        profiles: [],
        tiers: [{ name: 'default', ingress: ['web'], egress: [] }],
      },
    },
  ]);
  // a new frontend: one member delta reaches VPP
  await policies.apply([{ kind: 'ipset-delta', id: 'frontends', added: ['10.0.0.3'], removed: [] }]);
  await policies.stop();
  await vpp.close();
  return result;
}
