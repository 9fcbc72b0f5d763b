import type { ResourceEvent } from '../src/index.js';

/** Read events from an async iterator until `until` returns true (or the timeout); returns them. */
export async function take<T>(
  it: AsyncIterator<ResourceEvent<T>>,
  until: (ev: ResourceEvent<T>, all: ResourceEvent<T>[]) => boolean,
  timeoutMs = 10_000,
): Promise<ResourceEvent<T>[]> {
  const out: ResourceEvent<T>[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out after ${out.length} events: ${summary(out)}`);
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      it.next(),
      new Promise<'timeout'>((res) => {
        timer = setTimeout(() => res('timeout'), left);
      }),
    ]);
    clearTimeout(timer);
    if (r === 'timeout') throw new Error(`timed out after ${out.length} events: ${summary(out)}`);
    if (r.done === true) return out;
    out.push(r.value);
    if (until(r.value, out)) return out;
  }
}

export function summary<T>(evs: ResourceEvent<T>[]): string {
  return evs
    .map((e) =>
      e.type === 'synced'
        ? 'synced'
        : e.type === 'error'
          ? `error:${e.error.name}`
          : `${e.type}:${(e.object as { metadata: { name: string } }).metadata.name}`,
    )
    .join(' ');
}

export function names<T>(evs: ResourceEvent<T>[], type?: string): string[] {
  return evs
    .filter((e) => e.type !== 'synced' && e.type !== 'error' && (type === undefined || e.type === type))
    .map((e) => (e as { object: { metadata: { name: string } } }).object.metadata.name);
}

export function svc(
  name: string,
  extra: Record<string, unknown> = {},
  labels?: Record<string, string>,
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', ...(labels ? { labels } : {}) },
    spec: { clusterIP: '10.96.0.10', ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], ...extra },
  };
}

/** The iterator of a stream. */
export function iter<T>(stream: AsyncIterable<T>): AsyncIterator<T> {
  return stream[Symbol.asyncIterator]();
}
