/**
 * The folder source (standalone mode, no API server): every `*.yaml`, `*.yml` and `*.json` file under a folder,
 * multi-document YAML and `List`s included. Adding, editing or removing a file emits added/modified/deleted
 * for the objects it adds, changes or drops. A bad file or object is a typed error event naming the file (and
 * the document); the other files and objects are not affected, and fixing the file brings its objects in.
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Channel } from './channel.js';
import { KubeFileError, KubeInvalidObjectError, KubeSourceClosedError, type KubeError } from './errors.js';
import { listManifestFiles, readManifestFile } from './manifests.js';
import { RESOURCE_KINDS, type Resource, type ResourceKind, type ResourceTypes } from './resources/kinds.js';
import { parseAnyResource } from './resources/parse.js';
import { KindStore, objectKey } from './store.js';
import type { ResourceEvent, ResourceSource, ResourceStream, StreamOptions } from './types.js';

export interface FolderSourceInit {
  /** The folder; read recursively, dot files skipped. */
  dir: string;
  /** Watch the folder for changes; default true. */
  watch?: boolean;
  /** Wait this long after a change before reading (editors write in steps); default 50 ms. */
  debounceMs?: number;
  /** Poll every this many ms instead of using fs.watch (0: fs.watch); default 0. */
  pollIntervalMs?: number;
}

export interface FolderSource extends ResourceSource {
  /** Read the folder again now (also what a change notification does); resolves when the changes are emitted. */
  rescan(): Promise<void>;
}

interface Held {
  kind: ResourceKind;
  key: string;
  object: Resource;
  json: string;
}

interface FileState {
  stamp: string;
  objects: Map<string, Held>; // id = kind + key
  problems: { kind: ResourceKind | undefined; error: KubeError }[];
}

/** Create a source over a folder of manifests; it reads the folder at once and then watches it. */
export function createFolderSource(init: FolderSourceInit): FolderSource {
  const stores = new Map<ResourceKind, KindStore<Resource>>();
  for (const k of RESOURCE_KINDS) stores.set(k, new KindStore());
  const storeOf = (k: ResourceKind): KindStore<Resource> => stores.get(k) as KindStore<Resource>;
  const files = new Map<string, FileState>();
  const owners = new Map<string, string>(); // id → file
  let dirProblem: KubeError | undefined;
  let closed = false;
  let initial = true;
  const pendingSync: (() => void)[] = [];
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let poller: NodeJS.Timeout | undefined;

  const report = (kind: ResourceKind | undefined, error: KubeError): void => {
    if (kind !== undefined) storeOf(kind).error(error);
    else for (const s of stores.values()) s.error(error);
  };

  const readFile = async (file: string): Promise<FileState> => {
    const m = await readManifestFile(file);
    const st: FileState = {
      stamp: '',
      objects: new Map(),
      problems: m.errors.map((error) => ({ kind: undefined, error })),
    };
    for (const d of m.documents) {
      const r = parseAnyResource(d.value, { origin: { file, document: d.document }, defaultNamespace: 'default' });
      if (!r.ok) {
        st.problems.push({
          kind:
            r.error.name === 'KubeInvalidObjectError'
              ? ((r.error as KubeInvalidObjectError).kind as ResourceKind)
              : undefined,
          error: r.error,
        });
        continue;
      }
      const kind = r.kind as ResourceKind;
      const key = objectKey(r.object);
      const id = `${kind}|${key}`;
      if (st.objects.has(id)) {
        st.problems.push({
          kind,
          error: new KubeInvalidObjectError({
            kind,
            name: r.object.metadata.name,
            namespace: r.object.metadata.namespace,
            issues: [
              {
                code: 'duplicate',
                path: ['metadata', 'name'],
                message: 'defined twice in this file; the first one is used',
              },
            ],
            origin: { file, document: d.document },
          }),
        });
        continue;
      }
      st.objects.set(id, { kind, key, object: r.object, json: JSON.stringify(r.object) });
    }
    return st;
  };

  /** Replace what `file` contributes with `next` (undefined: the file is gone), emitting the difference. */
  const applyFile = (file: string, next: FileState | undefined): void => {
    const prev = files.get(file);
    if (next === undefined) files.delete(file);
    else files.set(file, next);
    for (const [id, held] of prev?.objects ?? []) {
      if (next?.objects.has(id) === true || owners.get(id) !== file) continue;
      owners.delete(id);
      storeOf(held.kind).remove(held.key);
    }
    for (const [id, held] of next?.objects ?? []) {
      const owner = owners.get(id);
      if (owner !== undefined && owner !== file) {
        const e = new KubeInvalidObjectError({
          kind: held.kind,
          name: held.object.metadata.name,
          namespace: held.object.metadata.namespace,
          issues: [
            {
              code: 'duplicate',
              path: ['metadata', 'name'],
              message: `already defined in ${owner}; this one is ignored`,
            },
          ],
          origin: { file },
        });
        next?.problems.push({ kind: held.kind, error: e });
        continue;
      }
      if (prev?.objects.get(id)?.json === held.json && owner === file) continue;
      owners.set(id, file);
      storeOf(held.kind).put(held.object);
    }
    for (const p of next?.problems ?? []) report(p.kind, p.error);
  };

  let scanning: Promise<void> | undefined;
  let again = false;

  const scanOnce = async (): Promise<void> => {
    let list: string[];
    try {
      list = await listManifestFiles(init.dir);
      dirProblem = undefined;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const problem = new KubeFileError({ file: init.dir, errno: e.code, message: e.message, cause: err });
      if (dirProblem?.message !== problem.message) report(undefined, problem);
      dirProblem = problem;
      list = [];
    }
    if (closed) return;
    const present = new Set(list);
    for (const file of list) {
      let stamp: string;
      try {
        const s = await stat(file);
        stamp = `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        continue; // vanished between listing and stat: the next scan sees it gone
      }
      if (files.get(file)?.stamp === stamp) continue;
      const st = await readFile(file);
      st.stamp = stamp;
      if (closed) return;
      applyFile(file, st);
    }
    for (const file of [...files.keys()]) if (!present.has(file)) applyFile(file, undefined);
  };

  const rescan = (): Promise<void> => {
    if (scanning !== undefined) {
      again = true;
      return scanning;
    }
    scanning = (async () => {
      do {
        again = false;
        await scanOnce();
      } while (again && !closed);
    })().finally(() => {
      scanning = undefined;
    });
    return scanning;
  };

  const schedule = (): void => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void rescan(), init.debounceMs ?? 50);
  };

  const startWatching = (): void => {
    if (init.watch === false || closed) return;
    const poll = init.pollIntervalMs ?? 0;
    if (poll === 0) {
      try {
        watcher = watch(init.dir, { recursive: true }, schedule);
        watcher.on('error', (err) => {
          report(
            undefined,
            new KubeFileError({
              file: init.dir,
              errno: (err as NodeJS.ErrnoException).code,
              message: `watch failed, polling instead: ${err.message}`,
              cause: err,
            }),
          );
          watcher?.close();
          watcher = undefined;
          poller ??= setInterval(schedule, 1000);
        });
        return;
      } catch {
        // the folder does not exist (yet): poll until it does
      }
    }
    poller = setInterval(() => void rescan(), poll > 0 ? poll : 1000);
  };

  const ready = rescan().then(() => {
    initial = false;
    for (const mark of pendingSync.splice(0)) mark();
    startWatching();
  });

  return {
    rescan,
    stream<K extends ResourceKind>(kind: K, opts: StreamOptions = {}): ResourceStream<ResourceTypes[K]> {
      if (closed) {
        const ch = new Channel<ResourceEvent<ResourceTypes[K]>>();
        ch.push({ type: 'error', error: new KubeSourceClosedError() });
        ch.end();
        return ch;
      }
      const { channel, markSynced } = storeOf(kind).subscribe(opts, false);
      if (!channel.closed) {
        // Problems found before this stream started: it learns of them too.
        if (dirProblem !== undefined) channel.push({ type: 'error', error: dirProblem });
        for (const f of files.values())
          for (const p of f.problems)
            if (p.kind === undefined || p.kind === kind) channel.push({ type: 'error', error: p.error });
        if (initial) pendingSync.push(markSynced);
        else markSynced();
      }
      return channel as unknown as ResourceStream<ResourceTypes[K]>;
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(poller);
      watcher?.close();
      await ready.catch(() => {});
      for (const s of stores.values()) s.close();
    },
  };
}
