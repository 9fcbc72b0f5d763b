/**
 * Kubernetes NetworkPolicy semantics, case by case, as the API reference (networking.k8s.io/v1
 * NetworkPolicySpec, NetworkPolicyPeer, NetworkPolicyPort) and the "Network Policies" concept page
 * state them. Expectations come from those texts, not from our translator; outcomes are read from
 * what VPP holds (ACL lists dumped back, or npol's state), both backends.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { BACKENDS } from './helpers/env.js';
import { k8sEnv, netpol, ns, type K8sEnv, type PodSpec } from './helpers/k8s.js';

const TCP = (dport: number) => ({ proto: 6, sport: 40000, dport });
const UDP = (dport: number) => ({ proto: 17, sport: 40000, dport });

const NAMESPACES = [ns('prod', { team: 'a' }), ns('dev', { team: 'b' }), ns('ops', { team: 'a', tier: 'infra' })];
const PODS: PodSpec[] = [
  {
    ns: 'prod',
    name: 'web',
    labels: { app: 'web' },
    ips: ['10.0.1.1', 'fd00::101'],
    ports: [{ name: 'http', containerPort: 8080 }],
  },
  { ns: 'prod', name: 'client', labels: { role: 'client' }, ips: ['10.0.1.2', 'fd00::102'] },
  { ns: 'prod', name: 'other', labels: { role: 'other' }, ips: ['10.0.1.3', 'fd00::103'] },
  { ns: 'dev', name: 'client', labels: { role: 'client' }, ips: ['10.0.2.2', 'fd00::202'] },
  { ns: 'ops', name: 'client', labels: { role: 'client' }, ips: ['10.0.3.2', 'fd00::302'] },
  { ns: 'ops', name: 'mon', labels: { role: 'monitor' }, ips: ['10.0.3.3', 'fd00::303'] },
];

interface Probe {
  from: string;
  to: string;
  p: { proto: number; sport?: number; dport?: number };
  family?: 4 | 6;
  expect: boolean;
}
interface Case {
  name: string;
  policies: ReturnType<typeof netpol>[];
  probes: Probe[];
}

const CASES: Case[] = [
  {
    name: 'no policy selects a pod: it is not isolated',
    policies: [],
    probes: [
      { from: 'dev/client', to: 'prod/web', p: TCP(80), expect: true },
      { from: 'prod/web', to: 'dev/client', p: UDP(53), expect: true },
    ],
  },
  {
    name: 'default deny ingress (podSelector {}, policyTypes [Ingress]); egress stays open',
    policies: [netpol('prod', 'deny', { podSelector: {}, policyTypes: ['Ingress'] })],
    probes: [
      { from: 'prod/client', to: 'prod/web', p: TCP(80), expect: false },
      { from: 'dev/client', to: 'prod/web', p: TCP(80), expect: false },
      { from: 'prod/web', to: 'dev/client', p: TCP(80), expect: true },
      { from: 'dev/client', to: 'ops/mon', p: TCP(80), expect: true },
    ],
  },
  {
    name: 'default deny all (ingress and egress)',
    policies: [netpol('prod', 'deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })],
    probes: [
      { from: 'prod/web', to: 'dev/client', p: TCP(80), expect: false },
      { from: 'dev/client', to: 'prod/web', p: TCP(80), expect: false },
    ],
  },
  {
    name: 'policies are additive: a pod selected by two policies gets the union',
    policies: [
      netpol('prod', 'a', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 80 }] }] }),
      netpol('prod', 'b', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 443 }] }] }),
    ],
    probes: [
      { from: 'dev/client', to: 'prod/web', p: TCP(80), expect: true },
      { from: 'dev/client', to: 'prod/web', p: TCP(443), expect: true },
      { from: 'dev/client', to: 'prod/web', p: TCP(22), expect: false },
    ],
  },
  {
    name: 'allow from a namespace (namespaceSelector alone: every pod of the selected namespaces)',
    policies: [
      netpol('prod', 'ns', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'a' } } }] }],
      }),
    ],
    probes: [
      { from: 'ops/mon', to: 'prod/web', p: TCP(80), expect: true },
      { from: 'prod/other', to: 'prod/web', p: TCP(80), expect: true },
      { from: 'dev/client', to: 'prod/web', p: TCP(80), expect: false },
      // pods not selected by the policy are not isolated
      { from: 'dev/client', to: 'prod/client', p: TCP(80), expect: true },
    ],
  },
  {
    name: 'podSelector alone selects pods of the policy’s own namespace only',
    policies: [
      netpol('prod', 'pods', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }],
      }),
    ],
    probes: [
      { from: 'prod/client', to: 'prod/web', p: TCP(80), expect: true },
      { from: 'dev/client', to: 'prod/web', p: TCP(80), expect: false },
      { from: 'prod/other', to: 'prod/web', p: TCP(80), expect: false },
    ],
  },
  {
    name: 'namespaceSelector AND podSelector in one peer',
    policies: [
      netpol('prod', 'and', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [
          {
            from: [
              { namespaceSelector: { matchLabels: { team: 'a' } }, podSelector: { matchLabels: { role: 'client' } } },
            ],
          },
        ],
      }),
    ],
    probes: [
      { from: 'ops/client', to: 'prod/web', p: TCP(80), expect: true },
      { from: 'prod/client', to: 'prod/web', p: TCP(80), expect: true },
      { from: 'ops/mon', to: 'prod/web', p: TCP(80), expect: false },
      { from: 'dev/client', to: 'prod/web', p: TCP(80), expect: false },
    ],
  },
  {
    name: 'namespaceSelector OR podSelector as two peers',
    policies: [
      netpol('prod', 'or', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [
          {
            from: [
              { namespaceSelector: { matchLabels: { tier: 'infra' } } },
              { podSelector: { matchLabels: { role: 'client' } } },
            ],
          },
        ],
      }),
    ],
    probes: [
      { from: 'ops/mon', to: 'prod/web', p: TCP(80), expect: true },
      { from: 'prod/client', to: 'prod/web', p: TCP(80), expect: true },
      { from: 'dev/client', to: 'prod/web', p: TCP(80), expect: false },
      { from: 'prod/other', to: 'prod/web', p: TCP(80), expect: false },
    ],
  },
  {
    name: 'matchExpressions: In, NotIn, Exists, DoesNotExist',
    policies: [
      netpol('prod', 'expr', {
        podSelector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] },
        ingress: [
          {
            from: [
              {
                namespaceSelector: {
                  matchExpressions: [
                    { key: 'team', operator: 'In', values: ['a'] },
                    { key: 'tier', operator: 'DoesNotExist' },
                  ],
                },
                podSelector: { matchExpressions: [{ key: 'role', operator: 'NotIn', values: ['other'] }] },
              },
            ],
          },
        ],
      }),
    ],
    probes: [
      { from: 'prod/client', to: 'prod/web', p: TCP(80), expect: true },
      { from: 'prod/other', to: 'prod/web', p: TCP(80), expect: false },
      { from: 'ops/client', to: 'prod/web', p: TCP(80), expect: false },
    ],
  },
  {
    name: 'ipBlock with except',
    policies: [
      netpol('prod', 'cidr', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } }] }],
      }),
    ],
    probes: [
      { from: '172.17.0.10', to: 'prod/web', p: TCP(80), expect: true },
      { from: '172.17.1.10', to: 'prod/web', p: TCP(80), expect: false },
      { from: '172.18.0.10', to: 'prod/web', p: TCP(80), expect: false },
      // an IPv4 block says nothing about IPv6
      { from: 'fd00::999', to: 'prod/web', p: TCP(80), family: 6, expect: false },
    ],
  },
  {
    name: 'named port: the destination pod’s container port named "http"',
    policies: [
      netpol('prod', 'named', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ ports: [{ protocol: 'TCP', port: 'http' }] }],
      }),
    ],
    probes: [
      { from: 'dev/client', to: 'prod/web', p: TCP(8080), expect: true },
      { from: 'dev/client', to: 'prod/web', p: TCP(80), expect: false },
      { from: 'dev/client', to: 'prod/web', p: UDP(8080), expect: false },
      { from: 'dev/client', to: 'prod/web', p: TCP(8080), family: 6, expect: true },
    ],
  },
  {
    name: 'port range with endPort',
    policies: [
      netpol('prod', 'range', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }] }],
      }),
    ],
    probes: [
      { from: 'dev/client', to: 'prod/web', p: TCP(32000), expect: true },
      { from: 'dev/client', to: 'prod/web', p: TCP(32768), expect: true },
      { from: 'dev/client', to: 'prod/web', p: TCP(32769), expect: false },
      { from: 'dev/client', to: 'prod/web', p: TCP(31999), expect: false },
    ],
  },
  {
    name: 'protocol defaults to TCP',
    policies: [
      netpol('prod', 'tcp', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 53 }] }] }),
    ],
    probes: [
      { from: 'dev/client', to: 'prod/web', p: TCP(53), expect: true },
      { from: 'dev/client', to: 'prod/web', p: UDP(53), expect: false },
    ],
  },
  {
    name: 'egress: deny all but DNS',
    policies: [
      netpol('prod', 'dns', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
        ],
      }),
    ],
    probes: [
      { from: 'prod/web', to: 'dev/client', p: UDP(53), expect: true },
      { from: 'prod/web', to: 'dev/client', p: TCP(53), expect: true },
      { from: 'prod/web', to: 'dev/client', p: TCP(80), expect: false },
      { from: 'prod/web', to: 'dev/client', p: UDP(53), family: 6, expect: true },
      // ingress of the selected pods is not affected
      { from: 'dev/client', to: 'prod/web', p: TCP(80), expect: true },
    ],
  },
  {
    name: 'egress to pods of a namespace on a port',
    policies: [
      netpol('prod', 'to-ops', {
        podSelector: { matchLabels: { role: 'client' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ namespaceSelector: { matchLabels: { tier: 'infra' } } }], ports: [{ port: 9090 }] }],
      }),
    ],
    probes: [
      { from: 'prod/client', to: 'ops/mon', p: TCP(9090), expect: true },
      { from: 'prod/client', to: 'ops/mon', p: TCP(9091), expect: false },
      { from: 'prod/client', to: 'dev/client', p: TCP(9090), expect: false },
    ],
  },
  {
    name: 'policyTypes omitted: Ingress is always implied, even for a policy with only egress rules',
    policies: [
      netpol('prod', 'implicit', {
        podSelector: { matchLabels: { app: 'web' } },
        egress: [{ ports: [{ protocol: 'UDP', port: 53 }] }],
      }),
    ],
    probes: [
      { from: 'dev/client', to: 'prod/web', p: TCP(80), expect: false },
      { from: 'prod/web', to: 'dev/client', p: UDP(53), expect: true },
      { from: 'prod/web', to: 'dev/client', p: TCP(80), expect: false },
    ],
  },
  {
    name: 'policyTypes omitted, no egress section: egress stays open',
    policies: [netpol('prod', 'ing', { podSelector: { matchLabels: { app: 'web' } }, ingress: [] })],
    probes: [
      { from: 'dev/client', to: 'prod/web', p: TCP(80), expect: false },
      { from: 'prod/web', to: 'dev/client', p: TCP(80), expect: true },
    ],
  },
  {
    name: 'an empty from matches every source; the host can always reach its pods',
    policies: [
      netpol('prod', 'any', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [], ports: [{ port: 80 }] }],
      }),
    ],
    probes: [
      { from: 'dev/client', to: 'prod/web', p: TCP(80), expect: true },
      { from: '203.0.113.9', to: 'prod/web', p: TCP(80), expect: true },
      { from: '203.0.113.9', to: 'prod/web', p: TCP(81), expect: false },
      { from: '192.168.0.1', to: 'prod/web', p: TCP(81), expect: true },
    ],
  },
  {
    name: 'IPv6: pod selectors match the pods’ v6 addresses',
    policies: [
      netpol('prod', 'v6', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }],
      }),
    ],
    probes: [
      { from: 'prod/client', to: 'prod/web', p: TCP(80), family: 6, expect: true },
      { from: 'prod/other', to: 'prod/web', p: TCP(80), family: 6, expect: false },
    ],
  },
];

let k: K8sEnv | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

describe.each(BACKENDS)('pol Kubernetes NetworkPolicy table (%s backend)', (kind) => {
  test.each(CASES)('$name', async (c) => {
    k = await k8sEnv(kind, [...NAMESPACES, ...c.policies], PODS);
    expect(k.errors).toEqual([]);
    const results = [];
    for (const pr of c.probes) results.push({ ...pr, got: await k.can(pr.from, pr.to, pr.p, pr.family) });
    expect(results.map((r) => `${r.from} → ${r.to} ${JSON.stringify(r.p)} v${r.family ?? 4}: ${r.got}`)).toEqual(
      results.map((r) => `${r.from} → ${r.to} ${JSON.stringify(r.p)} v${r.family ?? 4}: ${r.expect}`),
    );
  });
});
