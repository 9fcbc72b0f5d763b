import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiServerSource, type ApiServerSource, type ResourceEvent, type Service } from '../src/index.js';
import { kubeconfigFor, startTestApiServer, writeKubeconfig, type TestApiServer } from '../src/testing/index.js';
import { iter, names, summary, svc, take } from './helpers.js';

let server: TestApiServer;
let source: ApiServerSource;
let dir: string;

function kcFor(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigFor(url));
  return kc;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kub-'));
  server = await startTestApiServer({ bookmarkIntervalMs: 100, objects: [svc('a'), svc('b')] });
  source = createApiServerSource({ kubeConfig: kcFor(server.url), backoffInitialMs: 20, backoffMaxMs: 200 });
});
afterEach(async () => {
  await source.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const watchRequests = (): { rv: string | undefined; bookmarks: string | undefined }[] =>
  server.requests
    .filter((r) => r.query['watch'] === 'true')
    .map((r) => ({ rv: r.query['resourceVersion'], bookmarks: r.query['allowWatchBookmarks'] }));

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('API-server source', () => {
  it('lists, syncs, then watches from the list resourceVersion with bookmarks', async () => {
    const it = source.stream('Service')[Symbol.asyncIterator]();
    expect(summary(await take(it, (e) => e.type === 'synced'))).toBe('added:a added:b synced');
    await waitFor(() => server.watchCount === 1);
    const listRv = server.resourceVersion;
    expect(watchRequests()).toEqual([{ rv: listRv, bookmarks: 'true' }]);
    server.put(svc('a', { clusterIP: '10.96.0.99' }));
    server.remove('v1', 'Service', 'b');
    server.put(svc('c'));
    const evs = await take(it, (_e, all) => all.length === 3);
    expect(summary(evs)).toBe('modified:a deleted:b added:c');
    expect((evs[0] as { object: Service }).object.spec?.clusterIP).toBe('10.96.0.99');
  });

  it('loads a kubeconfig file by path', async () => {
    const file = join(dir, 'kubeconfig');
    await writeKubeconfig(file, server.url);
    const src = createApiServerSource({ kubeConfig: file });
    try {
      const evs = await take(
        src.stream('Service', { namespace: 'default' })[Symbol.asyncIterator](),
        (e) => e.type === 'synced',
      );
      expect(names(evs)).toEqual(['a', 'b']);
    } finally {
      await src.close();
    }
  });

  it('talks HTTPS to a server with a self-signed certificate, trusting only its CA', async () => {
    const tls = await startTestApiServer({ tls: true, objects: [svc('secure')] });
    try {
      expect(tls.url).toMatch(/^https:/);
      const kc = new KubeConfig();
      kc.loadFromString(kubeconfigFor(tls.url, { ca: tls.ca as string }));
      const src = createApiServerSource({ kubeConfig: kc });
      const evs = await take(iter(src.stream('Service')), (e) => e.type === 'synced');
      await src.close();
      expect(names(evs)).toEqual(['secure']);
      // without the CA the certificate is refused: a typed list error, no objects
      const untrusted = new KubeConfig();
      untrusted.loadFromString(kubeconfigFor(tls.url));
      const bad = createApiServerSource({ kubeConfig: untrusted, backoffInitialMs: 1000 });
      const [first] = await take(iter(bad.stream('Service')), () => true);
      await bad.close();
      expect(first?.type === 'error' ? first.error.name : first?.type).toBe('KubeApiError');
    } finally {
      await tls.close();
    }
  });

  it('inCluster outside a cluster is a KubeConfigError', () => {
    const saved = process.env['KUBERNETES_SERVICE_HOST'];
    delete process.env['KUBERNETES_SERVICE_HOST'];
    try {
      expect(() => createApiServerSource({ inCluster: true })).toThrow(
        expect.objectContaining({ name: 'KubeConfigError' }) as Error,
      );
    } finally {
      if (saved !== undefined) process.env['KUBERNETES_SERVICE_HOST'] = saved;
    }
  });

  it('a bad kubeconfig is a KubeConfigError', () => {
    let err: unknown;
    try {
      createApiServerSource({ kubeConfig: join(dir, 'missing') });
    } catch (e) {
      err = e;
    }
    expect((err as Error).name).toBe('KubeConfigError');
  });

  it('resumes a dropped watch from the last resourceVersion, without a relist or duplicate adds', async () => {
    const it = source.stream('Service')[Symbol.asyncIterator]();
    await take(it, (e) => e.type === 'synced');
    await waitFor(() => server.watchCount === 1);
    server.put(svc('a', { clusterIP: '10.96.0.1' }));
    const [mod] = await take(it, () => true);
    const seenRv = (mod as { object: Service }).object.metadata.resourceVersion;
    server.dropWatches();
    server.put(svc('b', { clusterIP: '10.96.0.2' }));
    server.put(svc('d'));
    const evs = await take(it, (_e, all) => all.length === 2);
    expect(summary(evs)).toBe('modified:b added:d');
    expect(source.stats.lists).toBe(1);
    const resumed = watchRequests().map((w) => w.rv);
    expect(resumed.length).toBeGreaterThanOrEqual(2);
    expect(Number(resumed[1])).toBeGreaterThanOrEqual(Number(seenRv));
  });

  it('on 410 Gone relists and emits only the difference', async () => {
    const it = source.stream('Service')[Symbol.asyncIterator]();
    await take(it, (e) => e.type === 'synced');
    await waitFor(() => server.watchCount === 1);
    server.dropWatches();
    server.remove('v1', 'Service', 'b');
    server.put(svc('a', { clusterIP: '10.96.0.7' }));
    server.put(svc('c'));
    server.compact();
    const evs = await take(it, (_e, all) => all.length === 3);
    expect(evs.map((e) => e.type).sort()).toEqual(['added', 'deleted', 'modified']);
    expect(names(evs, 'deleted')).toEqual(['b']);
    expect(names(evs, 'modified')).toEqual(['a']);
    expect(names(evs, 'added')).toEqual(['c']);
    expect(source.stats.relists).toBe(1);
    // and then it watches again: a later change arrives once
    server.put(svc('c', { clusterIP: '10.96.0.8' }));
    expect(summary(await take(it, () => true))).toBe('modified:c');
  });

  it('a 410 with nothing changed emits nothing', async () => {
    const it = source.stream('Service')[Symbol.asyncIterator]();
    await take(it, (e) => e.type === 'synced');
    await waitFor(() => server.watchCount === 1);
    server.dropWatches();
    server.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' } }); // moves the rv on
    server.compact();
    await waitFor(() => source.stats.relists === 1 && server.watchCount === 1);
    server.put(svc('z'));
    expect(summary(await take(it, () => true))).toBe('added:z');
  });

  it('bookmarks move the resume point past other kinds’ changes', async () => {
    const it = source.stream('Service')[Symbol.asyncIterator]();
    await take(it, (e) => e.type === 'synced');
    await waitFor(() => server.watchCount === 1);
    for (let i = 0; i < 5; i++)
      server.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: 'default' } });
    const target = server.resourceVersion;
    await new Promise((r) => setTimeout(r, 350)); // > 2 bookmark intervals
    server.dropWatches();
    server.compact(); // history gone: only a resume at the bookmark's rv avoids a 410
    await waitFor(() => watchRequests().length >= 2);
    expect(watchRequests()[1]?.rv).toBe(target);
    await new Promise((r) => setTimeout(r, 100));
    expect(source.stats.relists).toBe(0);
    server.put(svc('e'));
    expect(summary(await take(it, () => true))).toBe('added:e');
  });

  it('passes label and field selectors and a namespace to the server', async () => {
    server.put(svc('web', {}, { app: 'web' }));
    server.put({ ...svc('other'), metadata: { name: 'other', namespace: 'prod', labels: { app: 'web' } } });
    const it = iter(
      source.stream('Service', { namespace: 'default', labelSelector: 'app=web', fieldSelector: 'metadata.name!=zzz' }),
    );
    expect(summary(await take(it, (e) => e.type === 'synced'))).toBe('added:web synced');
    const list = server.requests.find((r) => r.query['watch'] === undefined && r.path.endsWith('/services'));
    expect(list?.path).toBe('/api/v1/namespaces/default/services');
    expect(list?.query).toMatchObject({ labelSelector: 'app=web', fieldSelector: 'metadata.name!=zzz' });
    await waitFor(() => server.watchCount === 1);
    server.put(svc('web', {}, { app: 'db' })); // leaves the selector: the server sends DELETED
    expect(summary(await take(it, () => true))).toBe('deleted:web');
  });

  it('reports bad objects and garbage on the watch as typed errors and goes on', async () => {
    const it = source.stream('Service')[Symbol.asyncIterator]();
    await take(it, (e) => e.type === 'synced');
    await waitFor(() => server.watchCount === 1);
    server.put({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'bad', namespace: 'default' },
      spec: { ports: [{ port: 'x' }] },
    });
    server.sendGarbage('this is not json');
    server.sendGarbage('{"type":"EXPLODED","object":{}}');
    server.sendGarbage(
      '{"type":"ERROR","object":{"kind":"Status","code":500,"reason":"InternalError","message":"boom"}}',
    );
    server.put(svc('good'));
    const evs: ResourceEvent<Service>[] = await take(it, (e) => e.type === 'added');
    const errors = evs.filter((e) => e.type === 'error').map((e) => (e.type === 'error' ? e.error : undefined));
    expect(errors.map((e) => e?.name)).toEqual(['KubeInvalidObjectError', 'KubeWatchError', 'KubeWatchError']);
    expect(errors[0]?.message).toContain('Service default/bad');
    expect(errors[0]?.message).toContain('spec.ports.0.port');
    expect(errors[0]?.message).toContain('/api/v1/services');
    expect(errors[1]?.message).toContain('EXPLODED');
    expect((errors[2] as unknown as { status: number }).status).toBe(500);
    expect(names(evs)).toEqual(['good']);
  });

  it('retries a failed list with backoff, reporting the Status', async () => {
    server.failNext(2, 503, (m, p) => m === 'GET' && p === '/api/v1/services');
    const evs = await take(source.stream('Service')[Symbol.asyncIterator](), (e) => e.type === 'synced');
    const errs = evs.filter((e) => e.type === 'error');
    expect(errs).toHaveLength(2);
    expect(
      errs.map((e) => (e.type === 'error' ? [e.error.name, (e.error as unknown as { status: number }).status] : [])),
    ).toEqual([
      ['KubeApiError', 503],
      ['KubeApiError', 503],
    ]);
    expect(names(evs)).toEqual(['a', 'b']);
  });

  it('streams the Pods of one node with a field selector', async () => {
    server.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'mine', namespace: 'default' },
      spec: { nodeName: 'node-1' },
    });
    server.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'theirs', namespace: 'default' },
      spec: { nodeName: 'node-2' },
    });
    const it = iter(source.stream('Pod', { fieldSelector: 'spec.nodeName=node-1' }));
    expect(summary(await take(it, (e) => e.type === 'synced'))).toBe('added:mine synced');
    await waitFor(() => server.watchCount === 1);
    server.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'new', namespace: 'kube-system' },
      spec: { nodeName: 'node-1' },
    });
    server.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'other', namespace: 'default' },
      spec: { nodeName: 'node-3' },
    });
    server.remove('v1', 'Pod', 'mine');
    expect(summary(await take(it, (_e, all) => all.length === 2))).toBe('added:new deleted:mine');
  });

  it('lists in pages when asked', async () => {
    server.put(svc('c'));
    const paged = createApiServerSource({ kubeConfig: kcFor(server.url), listPageSize: 2 });
    try {
      const evs = await take(paged.stream('Service')[Symbol.asyncIterator](), (e) => e.type === 'synced');
      expect(names(evs)).toEqual(['a', 'b', 'c']);
      expect(paged.stats.lists).toBe(2);
      const pages = server.requests.filter((r) => r.path === '/api/v1/services' && r.query['watch'] === undefined);
      expect(pages.map((r) => [r.query['limit'], r.query['continue'] !== undefined])).toEqual([
        ['2', false],
        ['2', true],
      ]);
    } finally {
      await paged.close();
    }
  });

  it('survives slow responses', async () => {
    server.setDelay(150);
    const evs = await take(source.stream('Service')[Symbol.asyncIterator](), (e) => e.type === 'synced');
    expect(names(evs)).toEqual(['a', 'b']);
  });

  it('reads Calico kinds from crd.projectcalico.org/v1 and projectcalico.org/v3', async () => {
    server.put({
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'IPPool',
      metadata: { name: 'crd-pool' },
      spec: { cidr: '10.244.0.0/16', vxlanMode: 'Always' },
    });
    server.put({
      apiVersion: 'projectcalico.org/v3',
      kind: 'IPPool',
      metadata: { name: 'v3-pool' },
      spec: { cidr: '10.245.0.0/16', ipipMode: 'CrossSubnet' },
    });
    const a = await take(source.stream('IPPool')[Symbol.asyncIterator](), (e) => e.type === 'synced');
    expect(names(a)).toEqual(['crd-pool']);
    const v3 = createApiServerSource({ kubeConfig: kcFor(server.url), calicoApiVersion: 'projectcalico.org/v3' });
    try {
      const b = await take(v3.stream('IPPool')[Symbol.asyncIterator](), (e) => e.type === 'synced');
      expect(names(b)).toEqual(['v3-pool']);
      const added = b[0] as { object: { apiVersion: string; spec: { ipipMode?: string } } };
      expect(added.object.apiVersion).toBe('projectcalico.org/v3');
      expect(added.object.spec.ipipMode).toBe('CrossSubnet');
    } finally {
      await v3.close();
    }
  });

  it('ends the stream on abort and closes its watch', async () => {
    const ac = new AbortController();
    const it = source.stream('Service', { signal: ac.signal })[Symbol.asyncIterator]();
    await take(it, (e) => e.type === 'synced');
    await waitFor(() => server.watchCount === 1);
    ac.abort();
    expect((await it.next()).done).toBe(true);
    await waitFor(() => server.watchCount === 0);
  });
});
