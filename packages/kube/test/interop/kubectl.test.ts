/**
 * kubectl (a standard client, unmodified) against the test API server, in process and through the
 * `kube-test-apiserver` bin: apply, get, label, get --watch, delete.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, writeKubeconfig, type TestApiServer } from '../../src/testing/index.js';

const KUBECTL = process.env['KUBECTL'] ?? '/usr/bin/kubectl';
const haveKubectl = existsSync(KUBECTL);
if (!haveKubectl) console.log(`skipping kubectl interop: ${KUBECTL} not found`);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kub-kubectl-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kubectl(
  kubeconfig: string,
  args: string[],
  timeoutMs = 20_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

const manifest = (targetPort: number): string => `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
  labels: {app: web}
spec:
  clusterIP: 10.96.0.10
  ports:
  - port: 80
    targetPort: ${targetPort}
---
apiVersion: crd.projectcalico.org/v1
kind: IPPool
metadata:
  name: pool1
spec:
  cidr: 10.244.0.0/16
  vxlanMode: Always
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
endpoints:
- addresses: [10.244.1.5]
  conditions: {ready: true}
ports:
- port: 8080
  protocol: TCP
`;

describe.skipIf(!haveKubectl)('kubectl against the test API server', () => {
  let server: TestApiServer;
  let kc: string;
  beforeAll(async () => {
    server = await startTestApiServer();
    kc = join(dir, 'kubeconfig');
    await writeKubeconfig(kc, server.url);
  });
  afterAll(async () => {
    await server.close();
  });

  it('apply creates, apply again configures, get reads it back', async () => {
    const file = join(dir, 'web.yaml');
    writeFileSync(file, manifest(8080));
    const a = await kubectl(kc, ['apply', '-f', file]);
    expect(a.stderr).toBe('');
    expect(a.stdout).toContain('service/web created');
    expect(a.stdout).toContain('ippool.crd.projectcalico.org/pool1 created');
    expect(a.stdout).toContain('endpointslice.discovery.k8s.io/web-abc created');
    writeFileSync(file, manifest(9090));
    const b = await kubectl(kc, ['apply', '-f', file]);
    expect(b.stdout).toContain('service/web configured');
    expect(b.stdout).toContain('ippool.crd.projectcalico.org/pool1 unchanged');
    const got = await kubectl(kc, ['get', 'service', 'web', '-o', 'json']);
    expect(got.code).toBe(0);
    const obj = JSON.parse(got.stdout) as {
      spec: { ports: { targetPort: number }[] };
      metadata: { resourceVersion: string };
    };
    expect(obj.spec.ports[0]?.targetPort).toBe(9090);
    expect(obj.metadata.resourceVersion).toBe(
      (server.get('v1', 'Service', 'web') as { metadata: { resourceVersion: string } }).metadata.resourceVersion,
    );
    const list = await kubectl(kc, ['get', 'ippools.crd.projectcalico.org', '-o', 'name']);
    expect(list.stdout.trim()).toBe('ippool.crd.projectcalico.org/pool1');
  });

  it('label adds a label the server stores; get -l selects by it', async () => {
    const l = await kubectl(kc, ['label', 'service', 'web', 'tier=front']);
    expect(l.stdout).toContain('service/web labeled');
    expect(
      (server.get('v1', 'Service', 'web') as { metadata: { labels: Record<string, string> } }).metadata.labels,
    ).toEqual({ app: 'web', tier: 'front' });
    const sel = await kubectl(kc, ['get', 'services', '-l', 'tier=front', '-o', 'name']);
    expect(sel.stdout.trim()).toBe('service/web');
    const none = await kubectl(kc, ['get', 'services', '-l', 'tier=back', '-o', 'name']);
    expect(none.stdout.trim()).toBe('');
  });

  it('get --watch sees a change and a delete; delete removes the object; a missing one is NotFound', async () => {
    const watch = spawn(KUBECTL, ['--kubeconfig', kc, 'get', 'services', '--watch', '--output-watch-events']);
    let out = '';
    watch.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const until = async (s: string): Promise<void> => {
        const end = Date.now() + 15_000;
        while (!out.includes(s)) {
          if (Date.now() > end) throw new Error(`kubectl --watch printed ${JSON.stringify(out)}, waiting for ${s}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      await until('ADDED');
      server.put({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web2', namespace: 'default' },
        spec: { ports: [{ port: 81 }] },
      });
      await until('web2');
      const d = await kubectl(kc, ['delete', 'service', 'web']);
      expect(d.stdout).toContain('service "web" deleted');
      await until('DELETED');
      expect(out).toMatch(/DELETED\s+web\s/);
    } finally {
      watch.kill();
    }
    expect(server.get('v1', 'Service', 'web')).toBeUndefined();
    const gone = await kubectl(kc, ['get', 'service', 'web']);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain('NotFound');
  });
});

describe.skipIf(!haveKubectl)('kubectl over HTTPS', () => {
  it('trusts the server through the kubeconfig CA', async () => {
    const server = await startTestApiServer({ tls: true });
    try {
      const kc = join(dir, 'tls-kubeconfig');
      await writeKubeconfig(kc, server.url, { ca: server.ca as string });
      server.put({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'node-1', annotations: { 'projectcalico.org/ASNumber': '64512' } },
      });
      const r = await kubectl(kc, [
        'get',
        'nodes',
        '-o',
        'jsonpath={.items[0].metadata.annotations.projectcalico\\.org/ASNumber}',
      ]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('64512');
    } finally {
      await server.close();
    }
  });
});

describe.skipIf(!haveKubectl)('the kube-test-apiserver bin', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGTERM');
  });

  it('prints where it listens, writes a kubeconfig, preloads a folder; kubectl reads it', async () => {
    const load = join(dir, 'load');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(load);
    writeFileSync(join(load, 'objs.yaml'), manifest(8080));
    writeFileSync(join(load, 'broken.yaml'), 'kind: [\n');
    const kc = join(dir, 'bin-kubeconfig');
    const bin = fileURLToPath(new URL('../../bin/kube-test-apiserver.js', import.meta.url)); // the package's bin shim
    child = spawn(process.execPath, [bin, '--port', '0', '--kubeconfig', kc, '--load', load], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const end = Date.now() + 30_000;
    while (!out.includes('loaded')) {
      if (Date.now() > end) throw new Error(`no banner: ${out} ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(out).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/m);
    expect(out).toContain('loaded 3 objects, 1 failed');
    expect(err).toContain('broken.yaml');
    expect(readFileSync(kc, 'utf8')).toContain('current-context: vectorplane-test');
    const r = await kubectl(kc, ['get', 'endpointslices', '-o', 'name']);
    expect(r.stdout.trim()).toBe('endpointslice.discovery.k8s.io/web-abc');
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child?.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    child = undefined;
  }, 60_000);
});
