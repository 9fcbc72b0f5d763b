import { describe, expect, it } from 'vitest';
import { createMemorySource, type Service } from '../src/index.js';
import { iter, names, summary, svc, take } from './helpers.js';

describe('memory source', () => {
  it('lists, marks synced, then streams changes with new resourceVersions', async () => {
    const src = createMemorySource({ objects: [svc('a'), svc('b')] });
    const ac = new AbortController();
    const it = src.stream('Service', { signal: ac.signal })[Symbol.asyncIterator]();
    const first = await take(it, (e) => e.type === 'synced');
    expect(summary(first)).toBe('added:a added:b synced');
    const stored = src.apply<Service>(svc('a', { clusterIP: '10.96.0.11' }));
    src.delete('Service', 'b');
    src.apply(svc('c'));
    const next = await take(it, (_e, all) => all.length === 3);
    expect(summary(next)).toBe('modified:a deleted:b added:c');
    const mod = next[0] as { object: Service };
    expect(mod.object.spec?.clusterIP).toBe('10.96.0.11');
    expect(mod.object.metadata.resourceVersion).toBe(stored.metadata.resourceVersion);
    expect(Number(stored.metadata.resourceVersion)).toBeGreaterThan(2);
    ac.abort();
    expect((await it.next()).done).toBe(true);
    await src.close();
  });

  it('applies label, field and namespace filters, turning selector exits into deletes', async () => {
    const src = createMemorySource({ objects: [svc('a', {}, { app: 'web' }), svc('b', {}, { app: 'db' })] });
    const it = iter(
      src.stream('Service', { labelSelector: 'app in (web,api)', fieldSelector: 'metadata.namespace=default' }),
    );
    expect(summary(await take(it, (e) => e.type === 'synced'))).toBe('added:a synced');
    src.apply(svc('b', {}, { app: 'api' }));
    src.apply(svc('a', {}, { app: 'db' }));
    src.apply({ ...svc('x', {}, { app: 'web' }), metadata: { name: 'x', namespace: 'other', labels: { app: 'web' } } });
    src.apply(svc('y', {}, { app: 'web' }));
    expect(summary(await take(it, (_e, all) => all.length === 3))).toBe('added:b deleted:a added:y');
    await src.close();
    expect((await it.next()).done).toBe(true);
  });

  it('rejects a bad object with a typed error and stores nothing', () => {
    const src = createMemorySource();
    let err: unknown;
    try {
      src.apply({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'bad' },
        spec: { ports: [{ port: 'eighty' }] },
      });
    } catch (e) {
      err = e;
    }
    expect((err as Error).name).toBe('KubeInvalidObjectError');
    expect((err as Error).message).toContain('Service default/bad');
    expect(src.list('Service')).toEqual([]);
  });

  it('a bad selector is an error event, not a throw', async () => {
    const src = createMemorySource();
    const evs = await take(src.stream('Pod', { labelSelector: 'a in (' })[Symbol.asyncIterator](), () => false);
    expect(evs.map((e) => (e.type === 'error' ? e.error.name : e.type))).toEqual(['KubeSelectorError']);
    expect(names(evs)).toEqual([]);
  });
});

describe('selectors', () => {
  it('label selector grammar', async () => {
    const { parseLabelSelector } = await import('../src/index.js');
    const m = (sel: string, labels: Record<string, string>): boolean => parseLabelSelector(sel).matches(labels);
    expect(m('a=b', { a: 'b' })).toBe(true);
    expect(m('a==b,c!=d', { a: 'b', c: 'x' })).toBe(true);
    expect(m('a!=b', {})).toBe(true);
    expect(m('env in (prod, staging)', { env: 'staging' })).toBe(true);
    expect(m('env notin (prod)', {})).toBe(true);
    expect(m('env notin (prod)', { env: 'prod' })).toBe(false);
    expect(m('a,!b', { a: '' })).toBe(true);
    expect(m('a,!b', { a: '', b: '' })).toBe(false);
    expect(m('example.com/role=rr', { 'example.com/role': 'rr' })).toBe(true);
    expect(m('n>3', { n: '4' })).toBe(true);
    expect(m('', { any: 'thing' })).toBe(true);
    expect(() => parseLabelSelector('a=b=c')).toThrow(/invalid/);
    expect(() => parseLabelSelector('a in (x')).toThrow(/cannot parse/);
  });

  it('field selectors read dotted paths; a missing field reads as empty', async () => {
    const { parseFieldSelector } = await import('../src/index.js');
    const pod = { metadata: { name: 'p', namespace: 'd' }, spec: { nodeName: 'n1', hostNetwork: false } };
    expect(parseFieldSelector('spec.nodeName=n1,metadata.namespace==d').matches(pod)).toBe(true);
    expect(parseFieldSelector('spec.nodeName!=n1').matches(pod)).toBe(false);
    expect(parseFieldSelector('spec.hostNetwork=false').matches(pod)).toBe(true);
    expect(parseFieldSelector('status.podIP=').matches(pod)).toBe(true);
    expect(() => parseFieldSelector('spec.nodeName')).toThrow(/cannot parse/);
  });
});
