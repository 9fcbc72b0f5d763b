// Reliability of the composed node against the fake VPP: a VPP restart (client reconnects, state resynced, no
// duplicates), an agent restart (pods keep their addresses, nothing duplicated in VPP), socket modes, and the TCP
// listeners of a running `vectorplane run` (only health and metrics).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCniClient } from '@vectorplane/cni-server';
import { createMemorySource, type MemorySource } from '@vectorplane/kube';
import { startFakeVpp, startTestVpp, type FakeVpp } from '@vectorplane/vpp-binapi/testing';
import { loadAgentConfig, type AgentConfig } from '../../src/config.js';
import { composeNode, type ComposedNode } from '../../src/compose.js';
import { createAgentMetrics } from '../../src/health.js';
import { createLoggers } from '../../src/logger.js';
import { vectorplaneEntry } from '../../src/lab/lab.js';

const root = process.getuid?.() === 0;
if (!root) console.log('reliability tests skipped: not root (pod netns, network namespaces)');

const until = async (what: string, f: () => boolean | Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

const SERVICE = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    type: 'ClusterIP',
    clusterIP: '10.96.0.20',
    clusterIPs: ['10.96.0.20'],
    ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
  },
};
const SLICE = {
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
  addressType: 'IPv4',
  endpoints: [{ addresses: ['10.244.1.5'], conditions: { ready: true }, nodeName: 'node-a' }],
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
};

describe.skipIf(!root)('restarts (fake VPP, in-memory Kubernetes)', () => {
  let dir: string;
  let socket: string;
  let fake: FakeVpp;
  let source: MemorySource;
  let cfg: AgentConfig;
  let node: ComposedNode | undefined;
  const netns = `vpagr-${process.pid}`;
  const logs: string[] = [];

  const compose = async () => {
    const sink = new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) });
    node = composeNode({
      config: cfg,
      loggers: createLoggers(cfg, sink as never),
      metrics: createAgentMetrics(),
      source,
    });
    await node.runtime.start();
    await until('ready', () => node!.runtime.ready());
  };
  const translations = () => [...fake.state.cnatTranslations.values()].map((t) => JSON.stringify(t));
  /** VPP interfaces of pods (the CNI server names them after the container). */
  const podInterfaces = () =>
    [...fake.state.interfaces.values()].filter((i) => JSON.stringify(i).includes('vpcni')).length;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vp-rel-'));
    socket = join(dir, 'api.sock');
    fake = await startFakeVpp({ socket });
    source = createMemorySource({ objects: [SERVICE, SLICE] });
    const base = loadAgentConfig({ env: { NODENAME: 'node-a', SERVICE_PREFIX: '10.96.0.0/12' } });
    cfg = {
      ...base,
      kube: { mode: 'memory' },
      stateDir: dir,
      vpp: { ...base.vpp, runtimeDir: dir },
      cni: { enabled: true, socket: join(dir, 'cni.sock') },
      bgp: { ...base.bgp, enabled: false },
      policies: { ...base.policies, backend: 'acl' },
    };
    execFileSync('ip', ['netns', 'add', netns]);
    await compose();
    const cni = createCniClient(join(dir, 'cni.sock'));
    try {
      const reply = await cni.add({
        interface_name: 'eth0',
        netns: `/run/netns/${netns}`,
        container_ips: [{ address: '10.244.1.9/32', gateway: '169.254.1.1' }],
        workload: { name: 'db', namespace: 'default', pod: 'db' },
      });
      expect(reply).toMatchObject({ successful: true });
    } finally {
      cni.close();
    }
    await until('a translation', () => translations().some((t) => t.includes('10.96.0.20')));
  });

  afterAll(async () => {
    await node?.runtime.stop().catch(() => undefined);
    await fake?.stop().catch(() => undefined);
    spawnSync('ip', ['netns', 'del', netns]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('sockets: the CNI socket is 0600', () => {
    expect(statSync(join(dir, 'cni.sock')).mode & 0o777).toBe(0o600);
  });

  it('agent restart: the pod keeps its address and VPP holds nothing twice', async () => {
    const before = { translations: translations().sort(), pods: podInterfaces() };
    expect(before.pods).toBeGreaterThan(0);
    await node!.runtime.stop();
    await compose();
    const pods = node!.sections().pods as { pod: string; ips: string[] }[];
    expect(pods.map((p) => [p.pod, p.ips.map((i) => i.split('/')[0])])).toEqual([['default/db', ['10.244.1.9']]]);
    await until('services resynced', () => translations().length >= before.translations.length);
    await new Promise((r) => setTimeout(r, 300));
    expect(translations().sort()).toEqual(before.translations);
    expect(podInterfaces()).toBe(before.pods);
  });

  it('fake VPP restart: the client reconnects and the Service is programmed again, once', async () => {
    const before = translations().length;
    expect(before).toBeGreaterThan(0);
    await fake.stop();
    fake = await startFakeVpp({ socket }); // a new VPP: empty state
    expect(translations()).toEqual([]);
    await until('translations back after the restart', () => translations().length >= before, 20_000);
    await new Promise((r) => setTimeout(r, 500));
    const after = translations();
    expect(after.length).toBe(before);
    expect(new Set(after).size).toBe(after.length);
  });
});

describe.skipIf(!root)('a running `vectorplane run`: its TCP listeners', () => {
  const ns = `vpagl-${process.pid}`;
  let dir: string;

  afterAll(() => {
    spawnSync('ip', ['netns', 'del', ns]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('listens on TCP only for health and metrics, on the configured addresses; its sockets are 0600', async () => {
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    dir = mkdtempSync(join(tmpdir(), 'vp-listen-'));
    const vpp = await startTestVpp({ netns: ns, runtimeDir: join(dir, 'vpp') });
    const config = {
      nodeName: 'node-a',
      kube: { mode: 'memory' },
      stateDir: join(dir, 'state'),
      vpp: { runtimeDir: join(dir, 'vpp') },
      cni: { socket: join(dir, 'cni.sock') },
      bgp: { enabled: false }, // gobgpd is a process of its own, with its own listeners (BGP 179, its gRPC API)
      policies: { backend: 'acl' },
      health: { listen: '127.0.0.1:9090' },
      metrics: { listen: '127.0.0.1:9091' },
    };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const env: NodeJS.ProcessEnv = { ...process.env, VECTORPLANE_CONFIG: join(dir, 'config.json') };
    delete env.VPP_BIN;
    const agent = spawn('ip', ['netns', 'exec', ns, process.execPath, vectorplaneEntry(), 'run'], {
      env,
      stdio: 'ignore',
    });
    try {
      await until(
        'the agent ready',
        () =>
          existsSync(join(dir, 'cni.sock')) && // the CNI server is up (components start after the listeners)
          spawnSync('ip', ['netns', 'exec', ns, 'ss', '-ltn'], { encoding: 'utf8' }).stdout.includes(':9091'),
        60_000,
      );
      const listeners = spawnSync('ip', ['netns', 'exec', ns, 'ss', '-Hltn'], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/)[3])
        .sort();
      expect(listeners).toEqual(['127.0.0.1:9090', '127.0.0.1:9091']);
      expect(statSync(join(dir, 'cni.sock')).mode & 0o777).toBe(0o600);
    } finally {
      agent.kill('SIGTERM');
      await new Promise((r) => agent.once('exit', r));
      await vpp.stop();
    }
  }, 90_000);
});
