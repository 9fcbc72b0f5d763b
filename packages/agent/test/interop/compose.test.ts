// The composed node against the fake VPP and an in-memory Kubernetes: the wiring, not the packages' own logic
// (each package tests that). Runs as root only where the CNI server builds pod netns.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCniClient } from '@vectorplane/cni-server';
import { createMemorySource, type MemorySource } from '@vectorplane/kube';
import { startFakeVpp, type FakeVpp } from '@vectorplane/vpp-binapi/testing';
import { loadAgentConfig } from '../../src/config.js';
import { composeNode, type ComposedNode } from '../../src/compose.js';
import { createAgentMetrics } from '../../src/health.js';
import { createLoggers } from '../../src/logger.js';

const until = async (what: string, f: () => boolean | Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('composed node (fake VPP, in-memory Kubernetes)', () => {
  let fake: FakeVpp;
  let source: MemorySource;
  let node: ComposedNode;
  let dir: string;
  const logs: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vp-compose-'));
    fake = await startFakeVpp({ socket: join(dir, 'api.sock') });
    source = createMemorySource();
    source.apply({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-a', annotations: { 'projectcalico.org/IPv4Address': '198.18.0.11/24' } },
      status: { addresses: [{ type: 'InternalIP', address: '198.18.0.11' }] },
    });
    const config = loadAgentConfig({
      env: { NODENAME: 'node-a', SERVICE_PREFIX: '10.96.0.0/12' },
    });
    const cfg = {
      ...config,
      kube: { mode: 'memory' as const },
      vpp: { ...config.vpp, runtimeDir: dir },
      cni: { enabled: true, socket: join(dir, 'cni.sock') },
      bgp: { ...config.bgp, enabled: false },
      policies: { ...config.policies, backend: 'acl' as const },
    };
    const sink = new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) });
    node = composeNode({
      config: cfg,
      loggers: createLoggers(cfg, sink as never),
      metrics: createAgentMetrics(),
      source,
      stateDir: dir,
    });
    await node.runtime.start();
  });

  afterAll(async () => {
    await node?.runtime.stop().catch(() => undefined);
    await fake?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('becomes ready once every component has synced', async () => {
    await until('ready', () => node.runtime.ready());
    const status = node.runtime.status();
    expect(Object.keys(status)).toEqual(['vpp-manager', 'kube', 'cni-server', 'services', 'policies']);
    expect(status.kube?.details).toMatchObject({ nodeAddresses: ['198.18.0.11'] });
  });

  it('a Service with an endpoint becomes cnat translations in VPP; its external IP is announced for BGP', async () => {
    source.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        type: 'ClusterIP',
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10'],
        externalIPs: ['198.18.0.100'],
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
      },
    });
    source.apply({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.1.5'], conditions: { ready: true }, nodeName: 'node-a' }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
    await until('a translation', () =>
      [...fake.state.cnatTranslations.values()].some((t) => JSON.stringify(t).includes('10.96.0.10')),
    );
    await until('the external IP announced', () => JSON.stringify(node.sections().services).includes('198.18.0.100'));
    expect(JSON.stringify(node.sections().services)).not.toContain('10.96.0.10'); // ClusterIPs: BGPConfiguration's serviceClusterIPs
  });

  const root = process.getuid?.() === 0;
  it.skipIf(!root)(
    'a pod added over the CNI API is bound by a NetworkPolicy through the pod stream (root: pod netns)',
    async () => {
      const netns = `vpagt-${process.pid}`;
      execFileSync('ip', ['netns', 'add', netns]);
      const cni = createCniClient(join(dir, 'cni.sock'));
      try {
        source.apply({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'db', namespace: 'default', labels: { app: 'db' } },
          spec: { nodeName: 'node-a', containers: [{ name: 'db' }] },
          status: { podIP: '10.244.1.9', podIPs: [{ ip: '10.244.1.9' }] },
        });
        const reply = await cni.add({
          interface_name: 'eth0',
          netns: `/run/netns/${netns}`,
          container_ips: [{ address: '10.244.1.9/32', gateway: '169.254.1.1' }],
          workload: { name: 'db', namespace: 'default', pod: 'db', labels: { app: 'db' } },
        });
        expect(reply).toMatchObject({ successful: true });
        await until('the pod listed', () => JSON.stringify(node.sections().pods).includes('default/db'));
        const pod = (node.sections().pods as { pod: string; swIfIndex: number }[]).find((p) => p.pod === 'default/db')!;
        const toPod = {
          sw_if_index: pod.swIfIndex,
          direction: 'output' as const,
          src: '10.244.2.7',
          dst: '10.244.1.9',
          proto: 6,
          sport: 40000,
          dport: 5432,
        };
        expect(fake.state.evaluate(toPod, { commit: false }).allowed).toBe(true);
        source.apply({
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: { name: 'deny-db', namespace: 'default' },
          spec: { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'] },
        });
        await until('ingress to the pod denied', () => !fake.state.evaluate(toPod, { commit: false }).allowed);
        const del = await cni.del({ interface_name: 'eth0', netns: `/run/netns/${netns}` });
        expect(del).toMatchObject({ successful: true });
        await until('the pod gone', () => !JSON.stringify(node.sections().pods).includes('default/db'));
      } finally {
        cni.close();
        execFileSync('ip', ['netns', 'del', netns]);
      }
    },
  );
});
