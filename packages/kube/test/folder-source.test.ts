import { mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createFolderSource,
  type FolderSource,
  type KubeError,
  type ResourceEvent,
  type Service,
} from '../src/index.js';
import { names, summary, take } from './helpers.js';

let dir: string;
let src: FolderSource | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kub-folder-'));
});
afterEach(async () => {
  await src?.close();
  src = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const svcYaml = (name: string, ip = '10.96.0.10', port = 80): string =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  clusterIP: ${ip}\n  ports:\n  - port: ${port}\n`;

const errorsOf = <T>(evs: ResourceEvent<T>[]): KubeError[] => evs.flatMap((e) => (e.type === 'error' ? [e.error] : []));

describe('folder source', () => {
  it('reads YAML (multi-document), JSON and Lists, recursively, then syncs', async () => {
    writeFileSync(join(dir, 'a.yaml'), `${svcYaml('a')}---\n${svcYaml('b')}---\n`);
    mkdirSync(join(dir, 'sub'));
    writeFileSync(
      join(dir, 'sub', 'c.json'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'c', namespace: 'x' } }],
      }),
    );
    writeFileSync(join(dir, 'README.md'), 'not a manifest');
    writeFileSync(join(dir, '.hidden.yaml'), svcYaml('hidden'));
    src = createFolderSource({ dir, watch: false });
    const evs = await take(src.stream('Service')[Symbol.asyncIterator](), (e) => e.type === 'synced');
    expect(summary(evs)).toBe('added:a added:b added:c synced');
    const a = evs[0] as { object: Service };
    expect(a.object.metadata.namespace).toBe('default');
  });

  it('emits added, modified and deleted as files are added, edited and removed', async () => {
    writeFileSync(join(dir, 'a.yaml'), `${svcYaml('a')}---\n${svcYaml('b')}`);
    src = createFolderSource({ dir, debounceMs: 20 });
    const it = src.stream('Service')[Symbol.asyncIterator]();
    await take(it, (e) => e.type === 'synced');
    writeFileSync(join(dir, 'c.yml'), svcYaml('c'));
    expect(summary(await take(it, () => true))).toBe('added:c');
    writeFileSync(join(dir, 'a.yaml'), `${svcYaml('a', '10.96.0.99')}---\n${svcYaml('b')}`);
    const [mod] = await take(it, () => true);
    expect(summary([mod!])).toBe('modified:a');
    expect((mod as { object: Service }).object.spec?.clusterIP).toBe('10.96.0.99');
    writeFileSync(join(dir, 'a.yaml'), svcYaml('a', '10.96.0.99')); // b dropped from the file
    expect(summary(await take(it, () => true))).toBe('deleted:b');
    unlinkSync(join(dir, 'c.yml'));
    expect(summary(await take(it, () => true))).toBe('deleted:c');
    renameSync(join(dir, 'a.yaml'), join(dir, 'a.yaml.bak')); // no longer a manifest name
    expect(summary(await take(it, () => true))).toBe('deleted:a');
  });

  it('reports malformed YAML naming the file and line, keeps the other documents, and recovers when fixed', async () => {
    writeFileSync(join(dir, 'good.yaml'), svcYaml('good'));
    writeFileSync(join(dir, 'bad.yaml'), `${svcYaml('ok-in-bad')}---\nkind: Service\nmetadata: {name: [unclosed\n`);
    src = createFolderSource({ dir, debounceMs: 20 });
    const it = src.stream('Service')[Symbol.asyncIterator]();
    const evs = await take(it, (e) => e.type === 'synced');
    expect(names(evs).sort()).toEqual(['good', 'ok-in-bad']);
    const [err] = errorsOf(evs);
    expect(err?.name).toBe('KubeParseError');
    expect(err?.message).toContain(join(dir, 'bad.yaml'));
    expect((err as unknown as { document: number }).document).toBe(1);
    expect((err as unknown as { line: number }).line).toBeGreaterThan(0);
    writeFileSync(join(dir, 'bad.yaml'), `${svcYaml('ok-in-bad')}---\n${svcYaml('fixed')}`);
    expect(summary(await take(it, () => true))).toBe('added:fixed');
  });

  it('reports missing required fields and unknown kinds with file and document, other objects unaffected', async () => {
    writeFileSync(
      join(dir, 'mixed.yaml'),
      [
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: noport\nspec:\n  ports:\n  - name: http\n',
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n',
        'apiVersion: crd.projectcalico.org/v1\nkind: IPPool\nmetadata:\n  name: pool\nspec:\n  vxlanMode: Always\n',
        svcYaml('fine'),
      ].join('---\n'),
    );
    src = createFolderSource({ dir, watch: false });
    const evs = await take(src.stream('Service')[Symbol.asyncIterator](), (e) => e.type === 'synced');
    expect(names(evs)).toEqual(['fine']);
    const errs = errorsOf(evs);
    expect(errs.map((e) => e.name)).toEqual(['KubeInvalidObjectError', 'KubeUnknownKindError']);
    expect(errs[0]?.message).toContain('Service default/noport');
    expect(errs[0]?.message).toContain('spec.ports.0.port');
    expect(errs[0]?.message).toContain(`${join(dir, 'mixed.yaml')}#0`);
    expect(errs[1]?.message).toContain('apps/v1/Deployment');
    expect(errs[1]?.message).toContain(`${join(dir, 'mixed.yaml')}#1`);
    // the IPPool error goes to IPPool streams, not Service streams
    const pools = await take(src.stream('IPPool')[Symbol.asyncIterator](), (e) => e.type === 'synced');
    expect(errorsOf(pools).map((e) => e.message.includes('spec.cidr') || e.name === 'KubeUnknownKindError')).toEqual([
      true,
      true,
    ]);
  });

  it('a missing folder is a KubeFileError, then objects arrive when it appears', async () => {
    const missing = join(dir, 'later');
    src = createFolderSource({ dir: missing, pollIntervalMs: 50 });
    const it = src.stream('Service')[Symbol.asyncIterator]();
    const evs = await take(it, (e) => e.type === 'synced');
    expect(errorsOf(evs).map((e) => [e.name, (e as unknown as { errno: string }).errno])).toEqual([
      ['KubeFileError', 'ENOENT'],
    ]);
    mkdirSync(missing);
    writeFileSync(join(missing, 'a.yaml'), svcYaml('a'));
    expect(summary(await take(it, () => true))).toBe('added:a');
  });

  it('an object defined in two files is reported, the first one kept', async () => {
    writeFileSync(join(dir, '1.yaml'), svcYaml('dup', '10.96.0.1'));
    writeFileSync(join(dir, '2.yaml'), svcYaml('dup', '10.96.0.2'));
    src = createFolderSource({ dir, watch: false });
    const evs = await take(src.stream('Service')[Symbol.asyncIterator](), (e) => e.type === 'synced');
    expect((evs.find((e) => e.type === 'added') as { object: Service }).object.spec?.clusterIP).toBe('10.96.0.1');
    expect(errorsOf(evs)[0]?.message).toContain('already defined in');
  });
});
