/**
 * A seeded run of changes interleaved with every fault the test server has (dropped watches, compacted
 * history, delays, garbage lines): the state a consumer builds from the events must end equal to the server's,
 * and no event may contradict what the consumer holds (an `added` for a held object, a `modified` or
 * `deleted` for one it does not hold).
 */
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createApiServerSource, type ApiServerSource, type Service } from '../src/index.js';
import { kubeconfigFor, startTestApiServer, type TestApiServer } from '../src/testing/index.js';
import { svc } from './helpers.js';

let server: TestApiServer;
let source: ApiServerSource;

beforeEach(async () => {
  server = await startTestApiServer({ bookmarkIntervalMs: 30 });
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigFor(server.url));
  source = createApiServerSource({ kubeConfig: kc, backoffInitialMs: 5, backoffMaxMs: 50 });
});
afterEach(async () => {
  await source.close();
  await server.close();
});

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

it.each([1, 2, 3])('converges to the server state through faults (seed %i)', async (seed) => {
  const rnd = prng(seed);
  for (let i = 0; i < 20; i++) server.put(svc(`s${i}`, { clusterIP: `10.96.0.${i}` }));
  const held = new Map<string, string>(); // name → clusterIP
  const contradictions: string[] = [];
  let synced = false;
  const errors: string[] = [];
  const ac = new AbortController();
  const consumer = (async () => {
    for await (const ev of source.stream('Service', { signal: ac.signal })) {
      if (ev.type === 'synced') synced = true;
      else if (ev.type === 'error') errors.push(ev.error.name);
      else {
        const o = ev.object as Service;
        const name = o.metadata.name;
        if (ev.type === 'added' && held.has(name)) contradictions.push(`added ${name} twice`);
        if (ev.type !== 'added' && !held.has(name)) contradictions.push(`${ev.type} ${name} not held`);
        if (ev.type === 'deleted') held.delete(name);
        else held.set(name, o.spec?.clusterIP ?? '');
      }
    }
  })();
  while (!synced) await new Promise((r) => setTimeout(r, 5));

  let compactions = 0;
  for (let step = 0; step < 60; step++) {
    const r = rnd();
    const name = `s${Math.floor(rnd() * 30)}`;
    if (r < 0.45) server.put(svc(name, { clusterIP: `10.96.1.${step}` }));
    else if (r < 0.7) server.remove('v1', 'Service', name);
    else if (r < 0.8) server.dropWatches();
    else if (r < 0.88) {
      server.dropWatches();
      server.put(svc(`s${Math.floor(rnd() * 30)}`, { clusterIP: `10.96.2.${step}` }));
      server.remove('v1', 'Service', `s${Math.floor(rnd() * 30)}`);
      server.compact();
      compactions++;
    } else if (r < 0.94) server.sendGarbage(rnd() < 0.5 ? 'garbage' : '{"type":"NOPE","object":{}}');
    else server.setDelay(rnd() < 0.5 ? 20 : 0);
    if (rnd() < 0.3) await new Promise((res) => setTimeout(res, Math.floor(rnd() * 30)));
  }
  server.setDelay(0);

  const want = (): Record<string, string> =>
    Object.fromEntries(
      server
        .list('v1', 'Service')
        .map((o) => [
          (o['metadata'] as { name: string }).name,
          ((o['spec'] as { clusterIP?: string }).clusterIP ?? '') as string,
        ])
        .sort(),
    );
  const have = (): Record<string, string> => Object.fromEntries([...held].sort());
  const end = Date.now() + 10_000;
  while (JSON.stringify(have()) !== JSON.stringify(want()) && Date.now() < end)
    await new Promise((r) => setTimeout(r, 20));
  ac.abort();
  await consumer;
  expect(have()).toEqual(want());
  expect(contradictions).toEqual([]);
  expect(errors.every((n) => n === 'KubeWatchError')).toBe(true);
  if (compactions > 0) expect(source.stats.lists).toBeGreaterThanOrEqual(2); // a 410 made it list again
});
