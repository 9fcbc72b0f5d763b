/**
 * Services and EndpointSlices written with the real @kubernetes/client-node to @vectorplane/kube's test
 * API server, read back by its API-server source, programmed into the fake VPP — including watch drops
 * and 410 relists in the middle of changes.
 */
import { CoreV1Api, DiscoveryV1Api, KubeConfig, type V1EndpointSlice, type V1Service } from '@kubernetes/client-node';
import { createApiServerSource, type ApiServerSource } from '@vectorplane/kube';
import { kubeconfigFor, startTestApiServer, type TestApiServer } from '@vectorplane/kube/testing';
import { connectVpp, type VppApi, type VppClient } from '@vectorplane/vpp-binapi';
import { type FakeVpp, startFakeVpp } from '@vectorplane/vpp-binapi/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../src/index.js';
import { dumpBrief, memoryLogger, until } from '../helpers.js';

let server: TestApiServer;
let source: ApiServerSource;
let fake: FakeVpp;
let vpp: VppClient<VppApi>;
let services: Services;
let core: CoreV1Api;
let discovery: DiscoveryV1Api;

function service(name: string, ip: string, port = 80): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: {
      type: 'ClusterIP',
      clusterIP: ip,
      clusterIPs: [ip],
      ports: [{ name: 'http', protocol: 'TCP', port, targetPort: 8080 }],
    },
  };
}

function slice(svc: string, ips: string[], name = `${svc}-1`): V1EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints: ips.map((ip) => ({ addresses: [ip], nodeName: 'node-b', conditions: { ready: true } })),
    ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
  };
}

beforeEach(async () => {
  server = await startTestApiServer({
    bookmarkIntervalMs: 100,
    objects: [service('a', '10.96.0.1'), slice('a', ['10.244.1.1'])],
  });
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigFor(server.url));
  core = kc.makeApiClient(CoreV1Api);
  discovery = kc.makeApiClient(DiscoveryV1Api);
  source = createApiServerSource({ kubeConfig: kc, backoffInitialMs: 20, backoffMaxMs: 200 });
  fake = await startFakeVpp();
  vpp = await connectVpp({ socket: fake.socketPath, name: 'svc-kube' });
  services = createServices(
    { node: { name: 'node-a', addresses: ['192.168.1.10'] }, serviceCidrs: ['10.96.0.0/12'], snat: { enabled: false } },
    { vpp, source, logger: memoryLogger() },
  );
});

afterEach(async () => {
  await services.stop();
  await source.close();
  await server.close();
  await vpp.close();
  await fake.stop();
});

const expectVpp = (want: Record<string, string>): Promise<void> =>
  until(async () => JSON.stringify(await dumpBrief(vpp)) === JSON.stringify(want), 10_000).catch(async () => {
    expect(await dumpBrief(vpp)).toEqual(want);
  });

describe('services fed by the Kubernetes API (test API server, @kubernetes/client-node)', () => {
  it('programs what is listed once both kinds are synced, then follows watch events', async () => {
    await services.start();
    await services.ready({ signal: AbortSignal.timeout(10_000) });
    expect(await dumpBrief(vpp)).toEqual({ 'TCP/10.96.0.1/80': '10.244.1.1:8080' });

    await core.createNamespacedService({ namespace: 'default', body: service('b', '10.96.0.2') });
    await discovery.createNamespacedEndpointSlice({
      namespace: 'default',
      body: slice('b', ['10.244.2.1', '10.244.2.2']),
    });
    await expectVpp({ 'TCP/10.96.0.1/80': '10.244.1.1:8080', 'TCP/10.96.0.2/80': '10.244.2.1:8080,10.244.2.2:8080' });

    const before = services.vppCalls.cnat_translation_update ?? 0;
    await discovery.replaceNamespacedEndpointSlice({
      name: 'b-1',
      namespace: 'default',
      body: slice('b', ['10.244.2.1', '10.244.2.2', '10.244.2.3']),
    });
    await expectVpp({
      'TCP/10.96.0.1/80': '10.244.1.1:8080',
      'TCP/10.96.0.2/80': '10.244.2.1:8080,10.244.2.2:8080,10.244.2.3:8080',
    });
    expect(services.vppCalls.cnat_translation_update).toBe(before + 1);

    await core.deleteNamespacedService({ name: 'a', namespace: 'default' });
    await expectVpp({ 'TCP/10.96.0.2/80': '10.244.2.1:8080,10.244.2.2:8080,10.244.2.3:8080' });
  });

  it('a watch dropped in the middle of changes resumes; VPP ends up right', async () => {
    await services.start();
    await services.ready({ signal: AbortSignal.timeout(10_000) });
    await until(() => server.watchCount === 2);
    await discovery.replaceNamespacedEndpointSlice({
      name: 'a-1',
      namespace: 'default',
      body: slice('a', ['10.244.1.1', '10.244.1.2']),
    });
    server.dropWatches();
    await core.createNamespacedService({ namespace: 'default', body: service('c', '10.96.0.3') });
    await discovery.createNamespacedEndpointSlice({ namespace: 'default', body: slice('c', ['10.244.3.1']) });
    server.dropWatches();
    await discovery.replaceNamespacedEndpointSlice({
      name: 'a-1',
      namespace: 'default',
      body: slice('a', ['10.244.1.2']),
    });
    await expectVpp({ 'TCP/10.96.0.1/80': '10.244.1.2:8080', 'TCP/10.96.0.3/80': '10.244.3.1:8080' });
  });

  it('a 410 relist in the middle of changes: deletes and changes missed while away are applied, nothing flaps', async () => {
    await core.createNamespacedService({ namespace: 'default', body: service('b', '10.96.0.2') });
    await discovery.createNamespacedEndpointSlice({ namespace: 'default', body: slice('b', ['10.244.2.1']) });
    await services.start();
    await services.ready({ signal: AbortSignal.timeout(10_000) });
    await expectVpp({ 'TCP/10.96.0.1/80': '10.244.1.1:8080', 'TCP/10.96.0.2/80': '10.244.2.1:8080' });
    await until(() => server.watchCount === 2);
    const ids = [...fake.state.cnatTranslations.values()].map((t) => `${t.vip.addr}#${t.id}`).sort();
    const before = { ...services.vppCalls };

    server.dropWatches();
    server.remove('v1', 'Service', 'b', 'default');
    server.remove('discovery.k8s.io/v1', 'EndpointSlice', 'b-1', 'default');
    server.put(slice('a', ['10.244.1.1', '10.244.1.9']));
    server.put(service('d', '10.96.0.4'));
    server.put(slice('d', ['10.244.4.1']));
    server.compact();

    await expectVpp({ 'TCP/10.96.0.1/80': '10.244.1.1:8080,10.244.1.9:8080', 'TCP/10.96.0.4/80': '10.244.4.1:8080' });
    expect(source.stats.relists).toBeGreaterThanOrEqual(1);
    // exactly the difference: a updated, d added, b deleted — a keeps its id (no delete/add)
    expect((services.vppCalls.cnat_translation_update ?? 0) - (before.cnat_translation_update ?? 0)).toBe(2);
    expect((services.vppCalls.cnat_translation_del ?? 0) - (before.cnat_translation_del ?? 0)).toBe(1);
    const aId = ids.find((x) => x.startsWith('10.96.0.1#'));
    expect([...fake.state.cnatTranslations.values()].some((t) => `${t.vip.addr}#${t.id}` === aId)).toBe(true);
  });

  it('an invalid object from the API is refused by name; the rest is programmed', async () => {
    const errors: Error[] = [];
    services.addEventListener('services:error', (e) => errors.push(e.detail.error));
    await services.start();
    await services.ready({ signal: AbortSignal.timeout(10_000) });
    await core.createNamespacedService({
      namespace: 'default',
      body: {
        ...service('bad', '10.96.0.9'),
        metadata: { name: 'bad', namespace: 'default', annotations: { 'cni.projectcalico.org/vppLBType': 'random' } },
      },
    });
    await discovery.createNamespacedEndpointSlice({ namespace: 'default', body: slice('bad', ['10.244.9.1']) });
    await core.createNamespacedService({ namespace: 'default', body: service('good', '10.96.0.10') });
    await discovery.createNamespacedEndpointSlice({ namespace: 'default', body: slice('good', ['10.244.10.1']) });
    await expectVpp({ 'TCP/10.96.0.1/80': '10.244.1.1:8080', 'TCP/10.96.0.10/80': '10.244.10.1:8080' });
    const bad = errors.find((e) => e.name === 'InvalidServiceError') as
      (Error & { object: unknown; issues: { code: string }[] }) | undefined;
    expect(bad?.object).toEqual({ kind: 'Service', namespace: 'default', name: 'bad' });
    expect(bad?.issues.map((i) => i.code)).toEqual(['UNKNOWN_LB_TYPE']);
  });
});
