/** The in-memory source, for tests and the lab: apply/delete objects, stream them like an API server would. */
import { randomUUID } from 'node:crypto';
import { KubeSourceClosedError } from './errors.js';
import { KINDS, RESOURCE_KINDS, type Resource, type ResourceKind, type ResourceTypes } from './resources/kinds.js';
import { parseAnyResource } from './resources/parse.js';
import { Channel } from './channel.js';
import { KindStore, objectKey } from './store.js';
import type { ResourceEvent, ResourceSource, ResourceStream, StreamOptions } from './types.js';

export interface MemorySourceInit {
  /** Objects to start with, applied in order. @throws like `apply()` */
  objects?: unknown[];
}

export interface MemorySource extends ResourceSource {
  /**
   * Create or replace an object (namespaced kinds default to namespace 'default'); sets a new
   * `metadata.resourceVersion` (and a `uid` when it has none) and returns the stored object.
   * @throws KubeInvalidObjectError | KubeUnknownKindError, nothing stored
   */
  apply<T extends Resource = Resource>(obj: unknown): T;
  /** Delete an object; returns its last state, or undefined when there was none. */
  delete<K extends ResourceKind>(kind: K, name: string, namespace?: string): ResourceTypes[K] | undefined;
  /** The objects of one kind, as stored now. */
  list<K extends ResourceKind>(kind: K): ResourceTypes[K][];
  /** The resourceVersion of the last change (a decimal counter). */
  readonly resourceVersion: string;
}

/** Create an in-memory source. @throws KubeInvalidObjectError | KubeUnknownKindError for a bad `init.objects` entry */
export function createMemorySource(init: MemorySourceInit = {}): MemorySource {
  const stores = new Map<ResourceKind, KindStore<Resource>>();
  for (const k of RESOURCE_KINDS) stores.set(k, new KindStore());
  const storeOf = (k: ResourceKind): KindStore<Resource> => stores.get(k) as KindStore<Resource>;
  let rv = 0;
  let closed = false;

  const source: MemorySource = {
    get resourceVersion() {
      return String(rv);
    },
    apply<T extends Resource = Resource>(raw: unknown): T {
      const res = parseAnyResource(raw, { defaultNamespace: 'default' });
      if (!res.ok) throw res.error;
      const kind = res.kind as ResourceKind;
      const store = storeOf(kind);
      const obj = res.object;
      const old = store.objects.get(objectKey(obj));
      const stored = {
        ...obj,
        metadata: {
          ...obj.metadata,
          uid: obj.metadata.uid ?? old?.metadata.uid ?? randomUUID(),
          creationTimestamp:
            obj.metadata.creationTimestamp ?? old?.metadata.creationTimestamp ?? new Date().toISOString(),
          resourceVersion: String(++rv),
        },
      } as Resource;
      store.put(stored);
      return stored as T;
    },
    delete<K extends ResourceKind>(kind: K, name: string, namespace?: string): ResourceTypes[K] | undefined {
      const ns = KINDS[kind].namespaced ? (namespace ?? 'default') : undefined;
      const store = storeOf(kind);
      const key = `${ns ?? ''}/${name}`;
      const old = store.objects.get(key);
      if (old === undefined) return undefined;
      const last = { ...old, metadata: { ...old.metadata, resourceVersion: String(++rv) } } as Resource;
      store.remove(key, last);
      return last as ResourceTypes[K];
    },
    list<K extends ResourceKind>(kind: K): ResourceTypes[K][] {
      return [...storeOf(kind).objects.values()] as ResourceTypes[K][];
    },
    stream<K extends ResourceKind>(kind: K, opts: StreamOptions = {}): ResourceStream<ResourceTypes[K]> {
      if (closed) {
        const ch = new Channel<ResourceEvent<ResourceTypes[K]>>();
        ch.push({ type: 'error', error: new KubeSourceClosedError() });
        ch.end();
        return ch;
      }
      return storeOf(kind).subscribe(opts, true).channel as unknown as ResourceStream<ResourceTypes[K]>;
    },
    close(): Promise<void> {
      closed = true;
      for (const s of stores.values()) s.close();
      return Promise.resolve();
    },
  };
  for (const o of init.objects ?? []) source.apply(o);
  return source;
}
