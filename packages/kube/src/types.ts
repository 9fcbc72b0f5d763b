/** The stream contract shared by every source (API server, folder, memory). */
import type { KubeError } from './errors.js';
import type { ResourceKind, ResourceTypes } from './resources/kinds.js';

/**
 * One event of a resource stream. `added`/`modified`/`deleted` carry the validated object (for `deleted`, its
 * last known state); `synced` comes once, after the initial list; `error` reports one bad object, file or watch
 * problem, and the stream goes on.
 */
export type ResourceEvent<T> =
  { type: 'added' | 'modified' | 'deleted'; object: T } | { type: 'synced' } | { type: 'error'; error: KubeError };

/** A stream of one kind's events; ends when its signal aborts or its source closes. */
export type ResourceStream<T> = AsyncIterable<ResourceEvent<T>>;

export interface StreamOptions {
  /** Ends the stream (the iteration finishes without an error). */
  signal?: AbortSignal;
  /** Only objects of this namespace (namespaced kinds); default: all namespaces. */
  namespace?: string;
  /** A Kubernetes label selector, e.g. `app=web,tier!=db,env in (a,b),!legacy`. */
  labelSelector?: string;
  /** A field selector, e.g. `spec.nodeName=node-1` or `metadata.name!=x`. */
  fieldSelector?: string;
}

/** What every source implements. */
export interface ResourceSource {
  /** Stream `kind`: every existing object as `added`, then `synced`, then changes as they happen. */
  stream<K extends ResourceKind>(kind: K, opts?: StreamOptions): ResourceStream<ResourceTypes[K]>;
  /** Ends every stream of this source and releases what it holds. */
  close(): Promise<void>;
}
