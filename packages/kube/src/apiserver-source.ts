/**
 * The API-server source: one reflector per stream, on @kubernetes/client-node (its KubeConfig, HTTP stack and
 * `Watch`). List, then watch from the list's resourceVersion with bookmarks; on a broken watch, watch again
 * from the last resourceVersion seen (with backoff); on 410 Gone, list again and emit only the difference:
 * `deleted` for objects that vanished, `modified` for changed ones, `added` only for objects not held.
 */
import {
  ApiException,
  KubeConfig,
  KubernetesObjectApi,
  Watch,
  HttpMethod,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { Channel, endOnAbort } from './channel.js';
import { KubeApiError, KubeConfigError, KubeSourceClosedError, KubeWatchError, type KubeError } from './errors.js';
import { KINDS, type Resource, type ResourceKind, type ResourceTypes } from './resources/kinds.js';
import { parseResource } from './resources/parse.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { objectKey } from './store.js';
import type { ResourceEvent, ResourceSource, ResourceStream, StreamOptions } from './types.js';

/** Where log lines go; every method optional. */
export interface KubeLogger {
  debug?(msg: string, fields?: Record<string, unknown>): void;
  warn?(msg: string, fields?: Record<string, unknown>): void;
}

export interface ApiServerSourceInit {
  /** A loaded KubeConfig, or the path of a kubeconfig file; default: $KUBECONFIG, ~/.kube/config, else in-cluster. */
  kubeConfig?: KubeConfig | string;
  /** Use the pod's service account (KUBERNETES_SERVICE_HOST/PORT and /var/run/secrets/kubernetes.io/serviceaccount); default false. */
  inCluster?: boolean;
  /** The API group the Calico kinds are read from; default 'crd.projectcalico.org/v1' (always there in KDD mode). */
  calicoApiVersion?: 'projectcalico.org/v3' | 'crd.projectcalico.org/v1';
  /** First retry delay after an error, doubled per failure up to `backoffMaxMs`; default 250. */
  backoffInitialMs?: number;
  /** Default 30000. */
  backoffMaxMs?: number;
  /** Page size of lists (`limit`); 0 lists in one request; default 0. */
  listPageSize?: number;
  /** `timeoutSeconds` of each watch request (the server ends it, the reflector watches again); default 300–600 random. */
  watchTimeoutSeconds?: number;
  logger?: KubeLogger;
}

/**
 * The library's API client, used for one thing its typed methods do not give: a list as the wire's JSON (its
 * model classes rename fields, turn timestamps into Dates and drop the list's `continue`). Requests still go
 * through the library's HTTP stack, auth and TLS; only the body is parsed here.
 */
class RawApi extends KubernetesObjectApi {
  async getRaw(
    path: string,
    query: Record<string, string>,
  ): Promise<KubernetesListObject<KubernetesObject> & { metadata?: { continue?: string } }> {
    const ctx = this.configuration.baseServer.makeRequestContext(path, HttpMethod.GET);
    ctx.setHeaderParam('Accept', 'application/json');
    for (const [k, v] of Object.entries(query)) ctx.setQueryParam(k, v);
    const auth = this.configuration.authMethods;
    await auth.BearerToken?.applySecurityAuthentication(ctx);
    await auth.default?.applySecurityAuthentication(ctx);
    const rsp = await this.configuration.httpApi.send(ctx).toPromise();
    const text = await rsp.body.text();
    if (rsp.httpStatusCode < 200 || rsp.httpStatusCode > 299)
      throw new ApiException(rsp.httpStatusCode, 'Unsuccessful HTTP Request', text, rsp.headers);
    return JSON.parse(text) as KubernetesListObject<KubernetesObject>;
  }
}

function loadKubeConfig(init: ApiServerSourceInit): KubeConfig {
  if (init.kubeConfig instanceof KubeConfig) return init.kubeConfig;
  const kc = new KubeConfig();
  if (init.inCluster === true) {
    if (process.env['KUBERNETES_SERVICE_HOST'] === undefined || process.env['KUBERNETES_SERVICE_PORT'] === undefined)
      throw new KubeConfigError(
        'not running in a cluster: KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set',
      );
    kc.loadFromCluster();
    return kc;
  }
  try {
    if (typeof init.kubeConfig === 'string') kc.loadFromFile(init.kubeConfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new KubeConfigError(
      `cannot load kubeconfig${typeof init.kubeConfig === 'string' ? ` ${init.kubeConfig}` : ''}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (kc.getCurrentCluster() === null) throw new KubeConfigError('the kubeconfig has no current cluster');
  return kc;
}

export function apiError(path: string, err: unknown): KubeApiError {
  if (err instanceof ApiException) {
    let body: unknown = err.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        /* keep the text */
      }
    }
    const st = body as { reason?: string; message?: string } | undefined;
    return new KubeApiError({
      path,
      status: err.code,
      reason: st?.reason,
      body,
      message: st?.message ?? err.message,
      cause: err,
    });
  }
  const e = err as { statusCode?: number; message?: string };
  return new KubeApiError({ path, status: e.statusCode, message: e.message ?? String(err), cause: err });
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** Counters of one source, for tests and metrics. */
export interface ApiServerSourceStats {
  lists: number;
  watches: number;
  relists: number;
  errors: number;
}

export interface ApiServerSource extends ResourceSource {
  readonly stats: Readonly<ApiServerSourceStats>;
  /** The loaded kubeconfig, for the few writes this package makes (see `publishNodeWireguard`). */
  readonly kubeConfig: KubeConfig;
}

/**
 * Create a source reading an API server through @kubernetes/client-node.
 * @throws KubeConfigError when the kubeconfig cannot be loaded or has no current cluster
 */
export function createApiServerSource(init: ApiServerSourceInit = {}): ApiServerSource {
  const kc = loadKubeConfig(init);
  const api = kc.makeApiClient(RawApi);
  const watcher = new Watch(kc);
  const closing = new AbortController();
  const running = new Set<Promise<void>>();
  const stats: ApiServerSourceStats = { lists: 0, watches: 0, relists: 0, errors: 0 };
  const backoffInitial = init.backoffInitialMs ?? 250;
  const backoffMax = init.backoffMaxMs ?? 30_000;
  const log = init.logger ?? {};

  const pathOf = (kind: ResourceKind, namespace: string | undefined): string => {
    const info = KINDS[kind];
    const apiVersion =
      info.apiVersions.length > 1 && info.apiVersions.includes('crd.projectcalico.org/v1')
        ? (init.calicoApiVersion ?? 'crd.projectcalico.org/v1')
        : (info.apiVersions[0] as string);
    const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return info.namespaced && namespace !== undefined
      ? `${prefix}/namespaces/${encodeURIComponent(namespace)}/${info.plural}`
      : `${prefix}/${info.plural}`;
  };

  function stream<K extends ResourceKind>(kind: K, opts: StreamOptions = {}): ResourceStream<ResourceTypes[K]> {
    type T = ResourceTypes[K];
    const stop = new AbortController();
    const channel = new Channel<ResourceEvent<T>>(() => stop.abort());
    const push = (ev: ResourceEvent<T>): void => channel.push(ev);
    const fail = (error: KubeError): void => {
      stats.errors++;
      push({ type: 'error', error });
    };
    if (closing.signal.aborted) {
      fail(new KubeSourceClosedError());
      channel.end();
      return channel;
    }
    try {
      if (opts.labelSelector !== undefined) parseLabelSelector(opts.labelSelector);
      if (opts.fieldSelector !== undefined) parseFieldSelector(opts.fieldSelector);
    } catch (err) {
      fail(err as KubeError);
      channel.end();
      return channel;
    }
    const removeAbort = endOnAbort(channel as Channel<unknown>, opts.signal);
    const onClose = (): void => channel.end();
    closing.signal.addEventListener('abort', onClose, { once: true });
    const signal = stop.signal;
    const path = pathOf(kind, opts.namespace);
    const query: Record<string, string> = {};
    if (opts.labelSelector !== undefined) query['labelSelector'] = opts.labelSelector;
    if (opts.fieldSelector !== undefined) query['fieldSelector'] = opts.fieldSelector;
    const store = new Map<string, T>();
    const origin = (p: string): { path: string } => ({ path: p });

    /** Validate; report a bad object and return undefined. */
    const parse = (raw: unknown): T | undefined => {
      const r = parseResource(kind, raw, { origin: origin(path) });
      if (r.ok) return r.object;
      fail(r.error);
      return undefined;
    };

    const upsert = (obj: T): void => {
      const key = objectKey(obj);
      const old = store.get(key);
      if (
        old !== undefined &&
        old.metadata.resourceVersion !== undefined &&
        old.metadata.resourceVersion === obj.metadata.resourceVersion
      )
        return;
      store.set(key, obj);
      push({ type: old === undefined ? 'added' : 'modified', object: obj });
    };

    /** List (all pages); apply the difference to the store. Returns the list's resourceVersion. */
    const list = async (): Promise<string> => {
      const items: unknown[] = [];
      let cont: string | undefined;
      let rv: string | undefined; // the first page's: every page belongs to that snapshot
      do {
        const q: Record<string, string> = { ...query };
        if (init.listPageSize !== undefined && init.listPageSize > 0) q['limit'] = String(init.listPageSize);
        if (cont !== undefined) q['continue'] = cont;
        const page = await api.getRaw(path, q);
        stats.lists++;
        for (const it of page.items ?? []) items.push(it);
        rv ??= page.metadata?.resourceVersion ?? '';
        cont = page.metadata?.continue;
        if (cont === '') cont = undefined;
      } while (cont !== undefined && !signal.aborted);
      const seen = new Set<string>();
      for (const raw of items) {
        const meta = (raw as { metadata?: { name?: string; namespace?: string } }).metadata;
        if (typeof meta?.name === 'string') seen.add(`${meta.namespace ?? ''}/${meta.name}`);
        const obj = parse(raw);
        if (obj !== undefined) upsert(obj);
      }
      // A deleted object's last state is what the store held (the list no longer has it).
      for (const [key, old] of store) {
        if (!seen.has(key)) {
          store.delete(key);
          push({ type: 'deleted', object: old });
        }
      }
      return rv ?? '';
    };

    interface WatchResult {
      err: unknown;
      gone: boolean;
      events: number;
      failed: KubeError | undefined;
      /** The watch was established (the request succeeded) before it ended. */
      connected: boolean;
    }

    const watchOnce = (rv: string): Promise<WatchResult & { rv: string }> =>
      new Promise((resolve) => {
        let gone = false;
        let events = 0;
        let failed: KubeError | undefined;
        let current = rv;
        let controller: AbortController | undefined;
        let connected = false;
        const onAbort = (): void => controller?.abort();
        const q: Record<string, string | number | boolean> = {
          ...query,
          resourceVersion: rv,
          allowWatchBookmarks: true,
          timeoutSeconds: init.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300),
        };
        stats.watches++;
        const handler = (type: string, obj: unknown): void => {
          if (signal.aborted) return;
          events++;
          const objRv = (obj as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
          switch (type) {
            case 'ADDED':
            case 'MODIFIED': {
              const o = parse(obj);
              if (o !== undefined) upsert(o);
              break;
            }
            case 'DELETED': {
              const meta = (obj as { metadata?: { name?: unknown; namespace?: unknown } } | null)?.metadata;
              const key = `${typeof meta?.namespace === 'string' ? meta.namespace : ''}/${String(meta?.name)}`;
              const old = store.get(key);
              if (old !== undefined) {
                store.delete(key);
                const r = parseResource(kind, obj);
                push({ type: 'deleted', object: r.ok ? r.object : old });
              }
              break;
            }
            case 'BOOKMARK':
              break;
            case 'ERROR': {
              const st = obj as { code?: number; reason?: string; message?: string } | null;
              if (st?.code === 410) gone = true;
              else {
                failed = new KubeWatchError({
                  path,
                  status: st?.code,
                  reason: st?.reason,
                  message: st?.message ?? 'ERROR event',
                });
                fail(failed);
              }
              controller?.abort();
              return;
            }
            default:
              fail(new KubeWatchError({ path, message: `not a watch event: type ${JSON.stringify(type)}` }));
              return;
          }
          if (typeof objRv === 'string' && objRv !== '') current = objRv;
        };
        watcher
          .watch(path, q, handler, (err: unknown) => {
            signal.removeEventListener('abort', onAbort);
            const code = (err as { statusCode?: number } | null)?.statusCode;
            if (code === 410) gone = true;
            resolve({ err: gone ? null : err, gone, events, failed, connected, rv: current });
          })
          .then(
            (c) => {
              controller = c;
              connected = true;
              if (signal.aborted) c.abort();
              else signal.addEventListener('abort', onAbort, { once: true });
            },
            (err: unknown) => resolve({ err, gone: false, events, failed, connected, rv: current }),
          );
      });

    const run = async (): Promise<void> => {
      let rv = '';
      let synced = false;
      let backoff = backoffInitial;
      const pause = async (): Promise<void> => {
        await sleep(backoff * (0.8 + Math.random() * 0.4), signal);
        backoff = Math.min(backoff * 2, backoffMax);
      };
      while (!signal.aborted) {
        if (rv === '') {
          try {
            if (synced) stats.relists++;
            rv = await list();
          } catch (err) {
            if (signal.aborted) break;
            const e = apiError(path, err);
            log.warn?.('list failed', { path, status: e.status, message: e.message });
            fail(e);
            await pause();
            continue;
          }
          if (signal.aborted) break;
          if (!synced) {
            synced = true;
            push({ type: 'synced' });
          }
        }
        const r = await watchOnce(rv);
        if (signal.aborted) break;
        rv = r.rv;
        if (r.gone) {
          log.debug?.('watch expired (410): relisting', { path, resourceVersion: rv });
          rv = '';
          if (r.events === 0) await pause();
          continue;
        }
        if (r.failed !== undefined || (r.err !== null && r.err !== undefined)) {
          if (r.failed === undefined && r.connected) {
            // An established watch broke (connection reset, server restart): not bad input; watch again.
            log.debug?.('watch connection ended', { path, resourceVersion: rv, message: (r.err as Error).message });
            if (r.events > 0) backoff = backoffInitial;
            else await pause();
            continue;
          }
          if (r.failed === undefined) {
            const e = r.err as { statusCode?: number; message?: string };
            fail(new KubeWatchError({ path, status: e.statusCode, message: e.message ?? String(r.err), cause: r.err }));
          }
          await pause();
          continue;
        }
        // The server ended the watch cleanly (timeout, restart): watch again from where we are.
        if (r.events > 0) backoff = backoffInitial;
        else await pause();
      }
    };

    const p = run()
      .catch((err: unknown) =>
        fail(new KubeWatchError({ path, message: `reflector stopped: ${(err as Error).message}`, cause: err })),
      )
      .finally(() => {
        removeAbort();
        closing.signal.removeEventListener('abort', onClose);
        channel.end();
        running.delete(p);
      });
    running.add(p);
    return channel as ResourceStream<T>;
  }

  return {
    stats,
    kubeConfig: kc,
    stream,
    async close() {
      closing.abort();
      await Promise.all([...running]);
    },
  };
}

export type { Resource };
