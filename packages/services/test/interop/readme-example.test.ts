/**
 * The README's example, type-checked by tsc and run against the fake VPP and @vectorplane/kube's test
 * API server. The code between the README:begin/end markers must equal the README's example block.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiServerSource } from '@vectorplane/kube';
import { kubeconfigFor, startTestApiServer, type TestApiServer } from '@vectorplane/kube/testing';
import { connectVpp } from '@vectorplane/vpp-binapi';
import { type FakeVpp, startFakeVpp } from '@vectorplane/vpp-binapi/testing';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createServices } from '../../src/index.js';

async function example(): Promise<void> {
  // README:begin
  const vpp = await connectVpp({ reconnect: true }); // $VPP_API_SOCKET or /run/vpp/api.sock
  const source = createApiServerSource(); // $KUBECONFIG, ~/.kube/config, or in-cluster
  const services = createServices(
    {
      node: { name: 'node-a', addresses: ['192.168.1.10'] },
      serviceCidrs: ['10.96.0.0/12'],
      snat: { podCidrs: ['10.244.0.0/16'] },
    },
    { vpp, source },
  );
  services.addEventListener('services:error', (e) => console.log(e.detail.error.name, e.detail.error.message));
  await services.start();
  await services.ready({ signal: AbortSignal.timeout(30_000) }); // both kinds listed and reconciled with VPP

  for (const t of services.programmed()) {
    console.log(t.key, '->', t.paths.map((p) => `${p.dst.addr}:${p.dst.port}`).join(' '));
  }

  // hand the addresses to BGP until shutdown (in an agent: a signal aborted on SIGTERM)
  for await (const vip of services.announcements({ signal: AbortSignal.timeout(1_000) })) {
    console.log(vip.type, vip.prefix);
  }
  await services.stop(); // what is programmed stays in VPP
  await source.close();
  await vpp.close();
  // README:end
}

let fake: FakeVpp;
let server: TestApiServer;
let dir: string;
const saved = { socket: process.env['VPP_API_SOCKET'], kubeconfig: process.env['KUBECONFIG'] };

beforeAll(async () => {
  fake = await startFakeVpp();
  server = await startTestApiServer({
    objects: [
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'default' },
        spec: {
          clusterIP: '10.96.0.20',
          clusterIPs: ['10.96.0.20'],
          externalIPs: ['198.51.100.20'],
          ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }],
        },
      },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.244.1.5'], nodeName: 'node-a' }],
        ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
      },
    ],
  });
  dir = mkdtempSync(join(tmpdir(), 'svc-readme-'));
  writeFileSync(join(dir, 'kubeconfig'), kubeconfigFor(server.url));
  process.env['VPP_API_SOCKET'] = fake.socketPath;
  process.env['KUBECONFIG'] = join(dir, 'kubeconfig');
});

afterAll(async () => {
  for (const [k, v] of [
    ['VPP_API_SOCKET', saved.socket],
    ['KUBECONFIG', saved.kubeconfig],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await server.close();
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('the README example is the code run here', () => {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const block = /<!-- README:example[^\n]*\n```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  const code = /\/\/ README:begin\n([\s\S]*?)\s*\/\/ README:end/.exec(source)?.[1] ?? '';
  const body = code
    .split('\n')
    .map((l) => l.replace(/^ {2}/, ''))
    .join('\n')
    .trim();
  const imports = block.split('\n').filter((l) => l.startsWith('import ')).length;
  expect(imports).toBe(3);
  expect(
    block
      .split('\n')
      .filter((l) => !l.startsWith('import '))
      .join('\n')
      .trim(),
  ).toBe(body);
});

it('runs the README example against the fake VPP and the test API server', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await example();
    expect(log.mock.calls).toEqual([
      ['TCP/10.96.0.20/80', '->', '10.244.1.5:8080'],
      ['TCP/198.51.100.20/80', '->', '10.244.1.5:8080'],
      ['announce', '198.51.100.20/32'],
    ]);
    expect(fake.state.cnatTranslations.size).toBe(2);
    expect(fake.state.cnatSnatExcluded.has('10.244.0.0/16')).toBe(true);
  } finally {
    log.mockRestore();
  }
});
