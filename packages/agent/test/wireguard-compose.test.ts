// The composed node with BGP on, its Kubernetes the kube test API server: the WireGuard key handed to bgp is
// kept in <stateDir>/wireguard.key and its public key lands on our Node once FelixConfiguration enables WireGuard.
// gobgpd listens on a loopback address and a high port only (from the Node's address and BGPConfiguration).
import { mkdtempSync, rmSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wireguardPublicKey } from '@vectorplane/bgp';
import { kubeconfigFor, startTestApiServer, type TestApiServer } from '@vectorplane/kube/testing';
import { startFakeVpp, type FakeVpp } from '@vectorplane/vpp-binapi/testing';
import { loadAgentConfig } from '../src/config.js';
import { composeNode, resolveCommand, type ComposedNode } from '../src/compose.js';
import { createAgentMetrics } from '../src/health.js';
import { createLoggers } from '../src/logger.js';

const gobgpd = resolveCommand('gobgpd');
const KEY_ANN = 'projectcalico.org/WireguardPublicKey';

const until = async (what: string, f: () => boolean, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe.skipIf(!gobgpd.startsWith('/'))('composed node: WireGuard key on the Node (test API server)', () => {
  let dir: string;
  let fake: FakeVpp;
  let server: TestApiServer;
  let node: ComposedNode | undefined;
  const host = `127.0.${1 + Math.floor(Math.random() * 200)}.${1 + Math.floor(Math.random() * 200)}`;
  const port = 20_000 + Math.floor(Math.random() * 20_000);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vp-wg-'));
    fake = await startFakeVpp({ socket: join(dir, 'api.sock') });
    server = await startTestApiServer({
      bookmarkIntervalMs: 100,
      objects: [
        {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: 'node-a', annotations: { 'projectcalico.org/IPv4Address': `${host}/8` } },
          spec: { podCIDR: '10.244.1.0/24' },
        },
        {
          apiVersion: 'crd.projectcalico.org/v1',
          kind: 'BGPConfiguration',
          metadata: { name: 'default' },
          spec: { listenPort: port, nodeToNodeMeshEnabled: false },
        },
        {
          apiVersion: 'crd.projectcalico.org/v1',
          kind: 'FelixConfiguration',
          metadata: { name: 'default' },
          spec: { wireguardEnabled: true },
        },
      ],
    });
    writeFileSync(join(dir, 'kubeconfig'), kubeconfigFor(server.url));
    const config = loadAgentConfig({ env: { NODENAME: 'node-a', SERVICE_PREFIX: '10.96.0.0/12' } });
    const cfg = {
      ...config,
      kube: { mode: 'apiserver' as const, kubeconfig: join(dir, 'kubeconfig') },
      vpp: { ...config.vpp, runtimeDir: dir },
      cni: { ...config.cni, enabled: false },
      services: { ...config.services, enabled: false },
      policies: { ...config.policies, enabled: false },
      bgp: { ...config.bgp, enabled: true, gobgpd },
    };
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    node = composeNode({
      config: cfg,
      loggers: createLoggers(cfg, sink as never),
      metrics: createAgentMetrics(),
      stateDir: join(dir, 'state'),
    });
    await node.runtime.start();
  }, 60_000);

  afterAll(async () => {
    await node?.runtime.stop().catch(() => undefined);
    await server?.close();
    await fake?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps its key in stateDir (0600) and publishes the public key on the Node', async () => {
    expect(Object.keys(node!.runtime.status())).toEqual(['vpp-manager', 'kube', 'bgp']);
    const file = join(dir, 'state', 'wireguard.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const pub = wireguardPublicKey(readFileSync(file, 'utf8').trim());
    // IPv6 gets a key of its own (VPP accepts a public key on one peer only, Calico publishes two)
    const file6 = join(dir, 'state', 'wireguard-v6.key');
    expect(statSync(file6).mode & 0o777).toBe(0o600);
    expect(wireguardPublicKey(readFileSync(file6, 'utf8').trim())).not.toBe(pub);
    const annotations = () =>
      (server.get('v1', 'Node', 'node-a')?.['metadata'] as { annotations?: Record<string, string> }).annotations ?? {};
    await until('the key on the Node', () => annotations()[KEY_ANN] === pub);
    expect(server.requests.filter((r) => r.method === 'PATCH')).toEqual([
      expect.objectContaining({
        path: '/api/v1/nodes/node-a',
        status: 200,
        contentType: 'application/merge-patch+json',
      }),
    ]);
  });
});
