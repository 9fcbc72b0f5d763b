import { afterEach, describe, expect, test } from 'vitest';
import { BACKENDS } from './helpers/env.js';
import { k8sEnv, netpol, ns, pod, type K8sEnv, type PodSpec } from './helpers/k8s.js';

const TCP = (dport: number) => ({ proto: 6, sport: 40000, dport });
const PODS: PodSpec[] = [
  { ns: 'prod', name: 'web', labels: { app: 'web' }, ips: ['10.0.1.1'] },
  { ns: 'prod', name: 'c1', labels: { role: 'client' }, ips: ['10.0.1.2'] },
  { ns: 'prod', name: 'c2', labels: { role: 'none' }, ips: ['10.0.1.3'] },
  { ns: 'dev', name: 'x', labels: { role: 'client' }, ips: ['10.0.2.2'] },
];
const POLICIES = [
  netpol('prod', 'from-clients', {
    podSelector: { matchLabels: { app: 'web' } },
    ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }],
  }),
  netpol('prod', 'from-team-a', {
    podSelector: { matchLabels: { app: 'web' } },
    ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'a' } } }], ports: [{ port: 9000 }] }],
  }),
];

let k: K8sEnv | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

describe.each(BACKENDS)('pol Kubernetes incremental updates (%s backend)', (kind) => {
  test('a pod label change touches only the ipsets it affects', async () => {
    k = await k8sEnv(kind, [ns('prod'), ns('dev', { team: 'b' }), ...POLICIES], PODS);
    expect(await k.can('prod/c2', 'prod/web', TCP(80))).toBe(false);
    const before = new Map(k.env.dp.calls);
    k.source.apply(pod({ ...PODS[2]!, labels: { role: 'client' } }));
    await k.controller.idle();
    expect(k.controller.lastBatch.changes).toBe(1); // one ipset delta, no policy, no other set
    const delta = [...k.env.dp.calls].filter(([m, n]) => n !== (before.get(m) ?? 0));
    expect(delta).toEqual(
      kind === 'npol'
        ? [['npol_ipset_add_del_members', (before.get('npol_ipset_add_del_members') ?? 0) + 1]]
        : [['acl_add_replace', (before.get('acl_add_replace') ?? 0) + 1]],
    );
    expect(await k.can('prod/c2', 'prod/web', TCP(80))).toBe(true);
    // a label that no selector reads changes nothing in VPP
    k.source.apply(pod({ ...PODS[2]!, labels: { role: 'client', color: 'blue' } }));
    await k.controller.idle();
    expect(k.controller.lastBatch.changes).toBe(1);
    const calls = [...k.env.dp.calls.values()].reduce((a, b) => a + b, 0);
    k.source.apply(pod({ ...PODS[2]!, labels: { role: 'client', color: 'red' } }));
    await k.controller.idle();
    expect([...k.env.dp.calls.values()].reduce((a, b) => a + b, 0)).toBe(calls);
  });

  test('a namespace label change re-evaluates only namespace selectors', async () => {
    k = await k8sEnv(kind, [ns('prod'), ns('dev', { team: 'b' }), ...POLICIES], PODS);
    expect(await k.can('dev/x', 'prod/web', TCP(9000))).toBe(false);
    k.source.apply(ns('dev', { team: 'a' }));
    await k.controller.idle();
    expect(k.controller.lastBatch.changes).toBe(1);
    expect(await k.can('dev/x', 'prod/web', TCP(9000))).toBe(true);
    expect(await k.can('dev/x', 'prod/web', TCP(80))).toBe(false);
  });

  test('a pod that stops matching the policy’s podSelector is no longer isolated; deleting the policy opens the pod', async () => {
    k = await k8sEnv(kind, [ns('prod'), ns('dev'), ...POLICIES], PODS);
    expect(await k.can('dev/x', 'prod/web', TCP(80))).toBe(false);
    k.source.apply(pod({ ...PODS[0]!, labels: { app: 'api' } }));
    expect(await k.can('dev/x', 'prod/web', TCP(80))).toBe(true);
    k.source.apply(pod(PODS[0]!));
    expect(await k.can('dev/x', 'prod/web', TCP(80))).toBe(false);
    k.source.delete('NetworkPolicy', 'from-clients', 'prod');
    k.source.delete('NetworkPolicy', 'from-team-a', 'prod');
    expect(await k.can('dev/x', 'prod/web', TCP(80))).toBe(true);
  });

  test('bad NetworkPolicies (invalid CIDR, invalid selector) are reported with their paths and skipped; the rest applies', async () => {
    const bad = [
      netpol('prod', 'bad-cidr', {
        podSelector: {},
        ingress: [
          { from: [{ ipBlock: { cidr: '10.0.0.0/40' } }, { ipBlock: { cidr: '10.0.0.0/8', except: ['11.0.0.0/8'] } }] },
        ],
      }),
      netpol('prod', 'bad-sel', {
        podSelector: { matchLabels: { 'bad key!': 'x' } },
        ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } }] }],
      }),
      netpol('prod', 'bad-port', { podSelector: {}, ingress: [{ ports: [{ port: 100, endPort: 50 }] }] }),
    ];
    k = await k8sEnv(kind, [ns('prod'), ns('dev'), ...POLICIES, ...bad], PODS);
    const found = k.errors.map((e) => ({
      name: e.name,
      code: e.code,
      object: (e as { object?: string }).object,
      paths: ((e as { issues?: { path: string }[] }).issues ?? []).map((i) => i.path),
    }));
    found.sort((a, b) => (a.object! < b.object! ? -1 : 1));
    expect(found).toEqual([
      {
        name: 'NetworkPolicyInvalidError',
        code: 'NETWORK_POLICY_INVALID',
        object: 'NetworkPolicy prod/bad-cidr',
        paths: ['spec.ingress[0].from[0].ipBlock.cidr', 'spec.ingress[0].from[1].ipBlock.except[0]'],
      },
      {
        name: 'NetworkPolicyInvalidError',
        code: 'NETWORK_POLICY_INVALID',
        object: 'NetworkPolicy prod/bad-port',
        paths: ['spec.ingress[0].ports[0].endPort'],
      },
      {
        name: 'NetworkPolicyInvalidError',
        code: 'NETWORK_POLICY_INVALID',
        object: 'NetworkPolicy prod/bad-sel',
        paths: [
          'spec.podSelector.matchLabels.bad key!',
          'spec.ingress[0].from[0].podSelector.matchExpressions[0].values',
        ],
      },
    ]);
    expect(found).toHaveLength(3);
    // the valid policies apply: web is isolated to clients; the bad ones did not isolate other pods
    expect(await k.can('prod/c1', 'prod/web', TCP(80))).toBe(true);
    expect(await k.can('dev/x', 'prod/web', TCP(80))).toBe(false);
    expect(await k.can('dev/x', 'prod/c1', TCP(80))).toBe(true);
  });
});
