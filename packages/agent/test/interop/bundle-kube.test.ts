// The bundled `vectorplane run` against the test API server, through a kubeconfig: it lists and watches with
// @kubernetes/client-node as bundled (whatwg-url replaced by Node's URL, js-yaml for the kubeconfig, tar-fs and ws
// left out), and what it watched reaches VPP. Plain HTTP on loopback and a fake VPP: no root needed.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, writeKubeconfig, type TestApiServer } from '@vectorplane/kube/testing';
import { connectVpp } from '@vectorplane/vpp-binapi';
import { startTestVpp, type TestVpp } from '@vectorplane/vpp-binapi/testing';
import { buildBundle, freePort, until } from './helpers.js';

describe('the bundle against an API server (kubeconfig, list + watch)', () => {
  let dir: string;
  let api: TestApiServer;
  let vpp: TestVpp;
  let agent: ReturnType<typeof spawn> | undefined;
  let health: string;
  let stderr = '';

  beforeAll(async () => {
    const bundle = buildBundle();
    dir = mkdtempSync(join(tmpdir(), 'agh-kube-'));
    api = await startTestApiServer({
      objects: [
        {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: 'node-k' },
          status: { addresses: [{ type: 'InternalIP', address: '198.18.0.31' }] },
        },
      ],
    });
    await writeKubeconfig(join(dir, 'kubeconfig'), api.url);
    vpp = await startTestVpp({ runtimeDir: join(dir, 'vpp') });
    const port = await freePort();
    health = `127.0.0.1:${port}`;
    const config = {
      nodeName: 'node-k',
      kube: { mode: 'apiserver' },
      serviceCidrs: ['10.96.0.0/12'],
      stateDir: join(dir, 'state'),
      vpp: { runtimeDir: join(dir, 'vpp') },
      cni: { socket: join(dir, 'cni.sock') },
      bgp: { enabled: false },
      policies: { backend: 'acl' },
      health: { listen: health },
      metrics: { listen: `127.0.0.1:${await freePort()}` },
      log: { level: 'warn' },
    };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '',
      VECTORPLANE_CONFIG: join(dir, 'config.json'),
      KUBECONFIG: join(dir, 'kubeconfig'),
    };
    agent = spawn(process.execPath, [bundle, 'run'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    agent.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  }, 120_000);

  afterAll(async () => {
    if (agent && agent.exitCode === null) {
      agent.kill('SIGTERM');
      await new Promise((r) => agent!.once('exit', r));
    }
    await vpp?.stop();
    await api?.close();
    if (dir && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  });

  const status = async () =>
    fetch(`http://${health}/status`).then(
      (r) => r.json() as Promise<{ ready: boolean; components: Record<string, { details?: unknown }> }>,
      () => undefined,
    );

  it('reads the kubeconfig, lists the Node and becomes ready', async () => {
    await until(
      'the agent ready',
      async () => (await status())?.ready === true,
      30_000,
      () => stderr,
    );
    const s = await status();
    expect(s?.components.kube?.details).toMatchObject({ mode: 'apiserver', nodeAddresses: ['198.18.0.31'] });
    const lists = api.requests.filter((r) => r.method === 'GET' && r.query.watch !== 'true').map((r) => r.path);
    expect(lists).toContain('/api/v1/nodes');
    expect(lists).toContain('/api/v1/services');
    expect(api.requests.some((r) => r.query.watch === 'true' && r.path === '/api/v1/services')).toBe(true);
  });

  it('a Service created after the list arrives over the watch and becomes a cnat translation in VPP', async () => {
    api.put({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        type: 'ClusterIP',
        clusterIP: '10.96.0.40',
        clusterIPs: ['10.96.0.40'],
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
      },
    });
    api.put({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.1.5'], conditions: { ready: true }, nodeName: 'node-k' }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
    const client = await connectVpp({ socket: vpp.apiSocket });
    try {
      const vips = async () => {
        const out: string[] = [];
        for await (const t of client.dump('cnat_translation_dump', {}))
          out.push(`${t.translation.vip.addr}:${t.translation.vip.port}`);
        return out;
      };
      await until(
        'the translation in VPP',
        async () => (await vips()).includes('10.96.0.40:80'),
        20_000,
        () => stderr,
      );
    } finally {
      await client.close();
    }
    expect(agent?.exitCode).toBeNull();
  });
});
