/**
 * One kind's objects and the streams reading them (memory and folder sources). A change is fanned out to each
 * stream through its filter: an object that starts matching is `added`, stops matching is `deleted`.
 */
import { Channel, endOnAbort } from './channel.js';
import type { KubeError } from './errors.js';
import type { Resource } from './resources/kinds.js';
import { objectFilter } from './selectors.js';
import type { ResourceEvent, StreamOptions } from './types.js';

/** `namespace/name` (`/name` for cluster-scoped objects). */
export function objectKey(obj: { metadata: { name: string; namespace?: string | undefined } }): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}

interface Subscriber<T> {
  channel: Channel<ResourceEvent<T>>;
  filter: (obj: T) => boolean;
}

export class KindStore<T extends Resource> {
  readonly objects = new Map<string, T>();
  readonly #subs = new Set<Subscriber<T>>();

  get subscriberCount(): number {
    return this.#subs.size;
  }

  /** Insert or replace; tells each stream what changed for it. Returns the previous object. */
  put(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.objects.get(key);
    this.objects.set(key, obj);
    for (const s of this.#subs) {
      const was = old !== undefined && s.filter(old);
      const is = s.filter(obj);
      if (is) s.channel.push({ type: was ? 'modified' : 'added', object: obj });
      else if (was) s.channel.push({ type: 'deleted', object: obj });
    }
    return old;
  }

  /** Remove by key; `last` (default: the stored object) is what `deleted` carries. */
  remove(key: string, last?: T): T | undefined {
    const old = this.objects.get(key);
    if (old === undefined) return undefined;
    this.objects.delete(key);
    const obj = last ?? old;
    for (const s of this.#subs) if (s.filter(old)) s.channel.push({ type: 'deleted', object: obj });
    return old;
  }

  /** Report an error to every stream of this kind. */
  error(error: KubeError): void {
    for (const s of this.#subs) s.channel.push({ type: 'error', error });
  }

  /** Start a stream: a snapshot as `added` (+ `synced` when `synced` is true), then live changes. */
  subscribe(opts: StreamOptions, synced: boolean): { channel: Channel<ResourceEvent<T>>; markSynced: () => void } {
    let filter: (obj: T) => boolean = () => false;
    let removeAbort = (): void => {};
    const sub: { channel?: Channel<ResourceEvent<T>>; filter: (obj: T) => boolean } = { filter };
    const channel = new Channel<ResourceEvent<T>>(() => {
      this.#subs.delete(sub as Subscriber<T>);
      removeAbort();
    });
    sub.channel = channel;
    try {
      filter = objectFilter(opts);
      sub.filter = filter;
    } catch (err) {
      channel.push({ type: 'error', error: err as KubeError });
      channel.end();
      return { channel, markSynced: () => {} };
    }
    removeAbort = endOnAbort(channel as Channel<unknown>, opts.signal);
    if (channel.closed) return { channel, markSynced: () => {} };
    for (const obj of this.objects.values()) if (filter(obj)) channel.push({ type: 'added', object: obj });
    this.#subs.add(sub as Subscriber<T>);
    const markSynced = (): void => channel.push({ type: 'synced' });
    if (synced) markSynced();
    return { channel, markSynced };
  }

  /** End every stream. */
  close(): void {
    for (const s of [...this.#subs]) s.channel.end();
    this.#subs.clear();
  }
}
