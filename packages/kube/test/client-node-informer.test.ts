/**
 * @kubernetes/client-node's own informer (ListWatch) against the test API server: after every fault the
 * informer's cache must equal the server's state.
 */
import {
  CoreV1Api,
  KubeConfig,
  makeInformer,
  type Informer,
  type ObjectCache,
  type V1Service,
} from '@kubernetes/client-node';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { kubeconfigFor, startTestApiServer, type TestApiServer } from '../src/testing/index.js';
import { svc } from './helpers.js';

let server: TestApiServer;
let informer: Informer<V1Service> & ObjectCache<V1Service>;
let stopped = false;
const deleted: string[] = [];

beforeEach(async () => {
  server = await startTestApiServer({ objects: [svc('a'), svc('b')] });
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigFor(server.url));
  const core = kc.makeApiClient(CoreV1Api);
  informer = makeInformer(kc, '/api/v1/namespaces/default/services', () =>
    core.listNamespacedService({ namespace: 'default' }),
  );
  deleted.length = 0;
  stopped = false;
  informer.on('delete', (o) => deleted.push(o.metadata?.name ?? '?'));
  // ListWatch stops on a watch error; its documented pattern is to start it again.
  informer.on('error', () => {
    if (!stopped) setTimeout(() => void informer.start().catch(() => {}), 20);
  });
  await informer.start();
});
afterEach(async () => {
  stopped = true;
  await informer.stop();
  await server.close();
});

/** name → resourceVersion, of the informer's cache and of the server. */
const cacheState = (): Record<string, string> =>
  Object.fromEntries(informer.list('default').map((o) => [o.metadata?.name ?? '', o.metadata?.resourceVersion ?? '']));
const serverState = (): Record<string, string> =>
  Object.fromEntries(
    server
      .list('v1', 'Service')
      .map((o) => [
        (o['metadata'] as { name: string }).name,
        (o['metadata'] as { resourceVersion: string }).resourceVersion,
      ]),
  );

async function converges(ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (JSON.stringify(cacheState()) !== JSON.stringify(serverState())) {
    if (Date.now() > end) expect(cacheState()).toEqual(serverState());
    await new Promise((r) => setTimeout(r, 10));
  }
}

const watching = async (): Promise<void> => {
  const end = Date.now() + 5000;
  while (server.watchCount === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};

it('lists and follows changes', async () => {
  await converges();
  await watching();
  server.put(svc('c'));
  server.put(svc('a', { clusterIP: '10.96.1.1' }));
  server.remove('v1', 'Service', 'b');
  await converges();
  expect(deleted).toEqual(['b']);
  expect(informer.get('a', 'default')?.spec?.clusterIP).toBe('10.96.1.1');
});

it('dropped watches: the informer resumes and catches up', async () => {
  await converges();
  await watching();
  server.dropWatches();
  server.put(svc('c'));
  server.remove('v1', 'Service', 'a');
  await converges();
  expect(deleted).toEqual(['a']);
});

it('compacted history: 410 Gone, relist, deletes for what vanished', async () => {
  await converges();
  await watching();
  server.dropWatches();
  server.remove('v1', 'Service', 'b');
  server.put(svc('a', { clusterIP: '10.96.2.2' }));
  server.put(svc('d'));
  server.compact();
  await converges();
  expect(deleted).toEqual(['b']);
  const relists = server.requests.filter(
    (r) => r.path === '/api/v1/namespaces/default/services' && r.query['watch'] === undefined,
  );
  expect(relists.length).toBeGreaterThanOrEqual(2);
});

it('delayed responses: still converges', async () => {
  server.setDelay(200);
  await watching();
  server.put(svc('slow'));
  await converges();
});

it('garbage on the watch: ignored by the client, later events still applied', async () => {
  await converges();
  await watching();
  server.sendGarbage('}{ not json');
  server.put(svc('after-garbage'));
  await converges();
});
