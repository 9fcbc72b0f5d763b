/**
 * The test API server's REST protocol, driven by @kubernetes/client-node's typed clients (and fetch where a
 * raw look at the wire is the point): CRUD with Status errors, patches, selectors, watch semantics, 410.
 */
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Service,
  type V1Status,
} from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jsonPatch, kubeconfigFor, mergePatch, startTestApiServer, type TestApiServer } from '../src/testing/index.js';
import { svc } from './helpers.js';

let server: TestApiServer;
let core: CoreV1Api;
let custom: CustomObjectsApi;

beforeEach(async () => {
  server = await startTestApiServer({ bookmarkIntervalMs: 50 });
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigFor(server.url));
  core = kc.makeApiClient(CoreV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
});
afterEach(async () => {
  await server.close();
});

async function status(p: Promise<unknown>): Promise<{ code: number; body: V1Status }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiException)
      return { code: err.code, body: (typeof err.body === 'string' ? JSON.parse(err.body) : err.body) as V1Status };
    throw err;
  }
  throw new Error('expected a failure');
}

/** Read a watch's lines until `n` events (or the stream ends). */
async function watchLines(
  path: string,
  n: number,
): Promise<{ type: string; object: { metadata?: { name?: string; resourceVersion?: string }; code?: number } }[]> {
  const ac = new AbortController();
  const res = await fetch(server.url + path, { signal: ac.signal });
  const out: { type: string; object: { metadata?: { name?: string; resourceVersion?: string }; code?: number } }[] = [];
  let buf = '';
  const reader = res.body!.getReader();
  try {
    while (out.length < n) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += new TextDecoder().decode(value);
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0 && out.length < n) {
        out.push(JSON.parse(buf.slice(0, i)) as (typeof out)[number]);
        buf = buf.slice(i + 1);
      }
    }
  } finally {
    ac.abort();
  }
  return out;
}

describe('test API server: CRUD', () => {
  it('create, read, replace (with conflicts), patch and delete through CoreV1Api', async () => {
    const created = await core.createNamespacedService({ namespace: 'default', body: svc('web') as V1Service });
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.metadata?.resourceVersion).toBe(server.resourceVersion);
    const dup = await status(core.createNamespacedService({ namespace: 'default', body: svc('web') as V1Service }));
    expect([dup.code, dup.body.reason, dup.body.kind]).toEqual([409, 'AlreadyExists', 'Status']);

    const read = await core.readNamespacedService({ name: 'web', namespace: 'default' });
    expect(read.spec?.clusterIP).toBe('10.96.0.10');
    read.spec!.clusterIP = '10.96.0.11';
    const replaced = await core.replaceNamespacedService({ name: 'web', namespace: 'default', body: read });
    expect(replaced.spec?.clusterIP).toBe('10.96.0.11');
    const stale = await status(core.replaceNamespacedService({ name: 'web', namespace: 'default', body: read }));
    expect([stale.code, stale.body.reason]).toEqual([409, 'Conflict']);

    const merged = await core.patchNamespacedService(
      { name: 'web', namespace: 'default', body: { metadata: { labels: { tier: 'front' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(merged.metadata?.labels).toEqual({ tier: 'front' });
    const jp = await core.patchNamespacedService(
      { name: 'web', namespace: 'default', body: [{ op: 'replace', path: '/spec/ports/0/port', value: 8080 }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    expect(jp.spec?.ports?.[0]?.port).toBe(8080);

    const deleted = await core.deleteNamespacedService({ name: 'web', namespace: 'default' });
    expect(deleted.metadata?.name).toBe('web');
    const missing = await status(core.readNamespacedService({ name: 'web', namespace: 'default' }));
    expect([missing.code, missing.body.reason, missing.body.message]).toEqual([
      404,
      'NotFound',
      'services "web" not found',
    ]);
  });

  it('serves the Calico CRD groups through CustomObjectsApi', async () => {
    await custom.createClusterCustomObject({
      group: 'crd.projectcalico.org',
      version: 'v1',
      plural: 'ippools',
      body: {
        apiVersion: 'crd.projectcalico.org/v1',
        kind: 'IPPool',
        metadata: { name: 'p' },
        spec: { cidr: '10.244.0.0/16' },
      },
    });
    const list = (await custom.listClusterCustomObject({
      group: 'crd.projectcalico.org',
      version: 'v1',
      plural: 'ippools',
    })) as { items: { kind: string }[] };
    expect(list.items.map((i) => i.kind)).toEqual(['IPPool']);
    const v3 = (await custom.listClusterCustomObject({
      group: 'projectcalico.org',
      version: 'v3',
      plural: 'ippools',
    })) as { items: unknown[] };
    expect(v3.items).toEqual([]);
  });

  it('filters lists by label and field selectors and answers a bad selector with 400', async () => {
    server.put(svc('a', {}, { app: 'web' }));
    server.put(svc('b', {}, { app: 'db' }));
    server.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p1', namespace: 'default' },
      spec: { nodeName: 'node-1' },
    });
    server.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p2', namespace: 'default' },
      spec: { nodeName: 'node-2' },
    });
    const web = await core.listServiceForAllNamespaces({ labelSelector: 'app=web' });
    expect(web.items.map((s) => s.metadata?.name)).toEqual(['a']);
    const pods = await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=node-2' });
    expect(pods.items.map((p) => p.metadata?.name)).toEqual(['p2']);
    const bad = await status(core.listServiceForAllNamespaces({ labelSelector: 'app in (' }));
    expect([bad.code, bad.body.reason]).toEqual([400, 'BadRequest']);
  });

  it('merge and JSON patch follow RFC 7386 and RFC 6902', () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 } }, { b: { c: null, e: 4 }, f: [1] })).toEqual({
      a: 1,
      b: { d: 3, e: 4 },
      f: [1],
    });
    expect(
      jsonPatch({ a: [1, 2] }, [
        { op: 'add', path: '/a/1', value: 9 },
        { op: 'remove', path: '/a/0' },
      ]),
    ).toEqual({ a: [9, 2] });
    expect(() => jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }])).toThrow(/test failed/);
  });
});

describe('test API server: watch', () => {
  it('without a resourceVersion: ADDED for what exists, then changes; bookmarks when allowed', async () => {
    server.put(svc('a'));
    const lines = watchLines('/api/v1/services?watch=1&allowWatchBookmarks=true', 3);
    await new Promise((r) => setTimeout(r, 30));
    server.put(svc('b'));
    const evs = await lines;
    expect(evs[0]?.type).toBe('ADDED');
    expect(evs.map((e) => e.type).sort()).toEqual(['ADDED', 'ADDED', 'BOOKMARK']); // b and the bookmark race
    const bookmark = evs.find((e) => e.type === 'BOOKMARK');
    expect(Number(bookmark?.object.metadata?.resourceVersion)).toBeGreaterThanOrEqual(
      Number(evs[0]?.object.metadata?.resourceVersion),
    );
  });

  it('from a resourceVersion: replays only later history; selector exits are DELETED', async () => {
    server.put(svc('a', {}, { app: 'web' }));
    const rv = server.resourceVersion;
    server.put(svc('b', {}, { app: 'web' }));
    server.put(svc('a', {}, { app: 'db' }));
    const evs = await watchLines(
      `/api/v1/namespaces/default/services?watch=true&resourceVersion=${rv}&labelSelector=app%3Dweb`,
      2,
    );
    expect(evs.map((e) => `${e.type}:${e.object.metadata?.name}`)).toEqual(['ADDED:b', 'DELETED:a']);
  });

  it('history beyond historyLimit is compacted away: an old resourceVersion then gets 410', async () => {
    const small = await startTestApiServer({ historyLimit: 3 });
    try {
      small.put(svc('a'));
      const rv = small.resourceVersion;
      for (let i = 0; i < 5; i++) small.put(svc('a', { clusterIP: `10.96.0.${i}` }));
      const res = await fetch(`${small.url}/api/v1/services?watch=true&resourceVersion=${rv}`);
      const line = (await res.text()).trim();
      expect((JSON.parse(line) as { type: string; object: { code: number } }).object.code).toBe(410);
      const recent = await fetch(
        `${small.url}/api/v1/services?watch=true&resourceVersion=${Number(small.resourceVersion) - 1}`,
        { signal: AbortSignal.timeout(300) },
      )
        .then(async (r) => r.body!.getReader().read())
        .then(({ value }) => new TextDecoder().decode(value));
      expect(JSON.parse(recent.split('\n')[0] as string)).toMatchObject({ type: 'MODIFIED' });
    } finally {
      await small.close();
    }
  });

  it('a compacted resourceVersion is a 410 Expired ERROR event', async () => {
    server.put(svc('a'));
    const rv = server.resourceVersion;
    server.put(svc('b'));
    server.compact();
    const evs = await watchLines(`/api/v1/services?watch=true&resourceVersion=${rv}`, 5);
    expect(evs.map((e) => [e.type, e.object.code])).toEqual([['ERROR', 410]]);
  });
});
