/**
 * A test Kubernetes API server: real HTTP on loopback, the REST paths of core/v1, discovery.k8s.io/v1,
 * networking.k8s.io/v1, projectcalico.org/v3 and crd.projectcalico.org/v1, so that @kubernetes/client-node and
 * kubectl run against it unmodified. It stores what it is given (no schema validation beyond metadata.name),
 * which lets tests feed a client bad objects. Fault injection: drop watches, compact history, delay, garbage;
 * also over HTTP as `POST /_vectorplane/{drop-watches,compact,delay?ms=N,touch?apiVersion=&kind=&count=}`.
 */
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { AddressInfo, Socket } from 'node:net';
import { parseFieldSelector, parseLabelSelector } from '../selectors.js';
import { apiVersionOf, SERVED_RESOURCES, type ServedResource } from './resources.js';

type Obj = Record<string, unknown> & {
  metadata: Record<string, unknown> & { name: string; namespace?: string; labels?: Record<string, string> };
};

interface HistoryEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Obj;
  /** The object before this change (MODIFIED/DELETED), for selector transitions. */
  prev: Obj | undefined;
}

interface Store {
  res: ServedResource;
  objects: Map<string, Obj>;
  history: HistoryEvent[];
  watchers: Set<Watcher>;
}

interface Watcher {
  store: Store;
  res: ServerResponse;
  matches: (o: Obj) => boolean;
  bookmarks: boolean;
  timers: NodeJS.Timeout[];
  rv: number;
  corked: boolean;
}

export interface TestApiServerInit {
  /** Port on 127.0.0.1; default 0 (any free port). */
  port?: number;
  /** Host to listen on; default '127.0.0.1'. */
  host?: string;
  /** Interval of BOOKMARK events on watches that allow them, in ms; default 1000. */
  bookmarkIntervalMs?: number;
  /** Events kept per resource before the oldest are compacted away; default 200000. */
  historyLimit?: number;
  /** Objects to start with (any served kind; namespaced ones default to 'default'). */
  objects?: unknown[];
  /**
   * Serve HTTPS: `true` makes a self-signed certificate for 127.0.0.1/localhost (needs the `openssl` command),
   * or give PEM `key` and `cert`. `server.ca` is then the PEM a client trusts. Default: plain HTTP.
   */
  tls?: true | { key: string; cert: string };
}

/** A self-signed certificate for 127.0.0.1 and localhost, made with the openssl command. */
export async function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'kube-test-tls-'));
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '2',
          '-subj',
          '/CN=kube-test-apiserver',
          '-addext',
          'subjectAltName=IP:127.0.0.1,DNS:localhost',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        (err, _out, stderr) =>
          err === null ? resolve() : reject(new Error(`openssl failed: ${stderr || err.message}`, { cause: err })),
      );
    });
    return { key: await readFile(join(dir, 'key.pem'), 'utf8'), cert: await readFile(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What a test sees of a request, for assertions on what a client asked for. */
export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** The request's Content-Type header, when it had one. */
  contentType?: string;
}

export interface TestApiServer {
  /** e.g. 'http://127.0.0.1:41235' (https with `tls`). */
  readonly url: string;
  /** With `tls`: the PEM certificate clients trust (pass it to `kubeconfigFor(url, { ca })`). */
  readonly ca: string | undefined;
  readonly port: number;
  /** The current (last written) resourceVersion. */
  readonly resourceVersion: string;
  /** Every request answered so far (latest last). */
  readonly requests: readonly RequestRecord[];
  /** Create or replace an object directly (no HTTP); returns it as stored. */
  put(obj: unknown): Record<string, unknown>;
  /** Delete an object directly; returns whether it existed. */
  remove(apiVersion: string, kind: string, name: string, namespace?: string): boolean;
  /** The stored object, or undefined. */
  get(apiVersion: string, kind: string, name: string, namespace?: string): Record<string, unknown> | undefined;
  /** All stored objects of one kind. */
  list(apiVersion: string, kind: string): Record<string, unknown>[];
  /** Number of open watch connections. */
  readonly watchCount: number;
  /**
   * Load: modify up to `count` objects of one kind (an annotation `vectorplane.io/touched` set to the new
   * resourceVersion); returns how many. Over HTTP: `POST /_vectorplane/touch?apiVersion=v1&kind=Service&count=N`.
   */
  touch(apiVersion: string, kind: string, count?: number): number;
  /** Fault: cut every open watch (socket destroyed, no clean end). */
  dropWatches(): void;
  /** Fault: forget history up to now; a watch from an older resourceVersion then gets 410 Gone. */
  compact(): void;
  /** Fault: delay every response by `ms` (0 turns it off). */
  setDelay(ms: number): void;
  /** Fault: write `line` as is (plus a newline) on every open watch. */
  sendGarbage(line: string): void;
  /** Fault: fail the next `count` requests matching `match` with HTTP `status` and a Status body. */
  failNext(count: number, status: number, match?: (method: string, path: string) => boolean): void;
  close(): Promise<void>;
}

function status(
  code: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function decodePointer(p: string): string[] {
  if (p === '') return [];
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** RFC 6902 JSON patch (add, remove, replace, test, copy, move). @throws Error with the failing op */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new Error('a JSON patch is an array of operations');
  let root = structuredClone(doc);
  const parentOf = (path: string[]): [Record<string, unknown> | unknown[], string] => {
    let cur: unknown = root;
    for (const seg of path.slice(0, -1)) {
      if (cur === null || typeof cur !== 'object') throw new Error(`path not found: /${path.join('/')}`);
      cur = (cur as Record<string, unknown>)[seg];
    }
    if (cur === null || typeof cur !== 'object') throw new Error(`path not found: /${path.join('/')}`);
    return [cur as Record<string, unknown>, path[path.length - 1] as string];
  };
  const read = (path: string[]): unknown => {
    let cur: unknown = root;
    for (const seg of path) {
      if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, seg))
        throw new Error(`path not found: /${path.join('/')}`);
      cur = (cur as Record<string, unknown>)[seg];
    }
    return cur;
  };
  const write = (path: string[], value: unknown, insert: boolean): void => {
    if (path.length === 0) {
      root = value;
      return;
    }
    const [parent, key] = parentOf(path);
    if (Array.isArray(parent)) {
      const i = key === '-' ? parent.length : Number(key);
      if (insert) parent.splice(i, 0, value);
      else parent[i] = value;
    } else parent[key] = value;
  };
  const del = (path: string[]): void => {
    const [parent, key] = parentOf(path);
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else {
      if (!Object.hasOwn(parent, key)) throw new Error(`path not found: /${path.join('/')}`);
      delete parent[key];
    }
  };
  for (const op of ops as { op: string; path: string; value?: unknown; from?: string }[]) {
    const path = decodePointer(op.path);
    switch (op.op) {
      case 'add':
        write(path, op.value, true);
        break;
      case 'replace':
        read(path);
        write(path, op.value, false);
        break;
      case 'remove':
        del(path);
        break;
      case 'test':
        if (JSON.stringify(read(path)) !== JSON.stringify(op.value)) throw new Error(`test failed at ${op.path}`);
        break;
      case 'copy':
        write(path, structuredClone(read(decodePointer(op.from ?? ''))), true);
        break;
      case 'move': {
        const from = decodePointer(op.from ?? '');
        const v = read(from);
        del(from);
        write(path, v, true);
        break;
      }
      default:
        throw new Error(`unknown JSON patch op ${JSON.stringify(op.op)}`);
    }
  }
  return root;
}

const keyOf = (ns: string | undefined, name: string): string => `${ns ?? ''}/${name}`;

/** Serialized forms of a stored (immutable) object, made once: lists and watches concatenate them. */
const jsonCache = new WeakMap<object, string>();
function jsonOf(o: object): string {
  let j = jsonCache.get(o);
  if (j === undefined) {
    j = JSON.stringify(o);
    jsonCache.set(o, j);
  }
  return j;
}

/** Start a test API server. */
export async function startTestApiServer(init: TestApiServerInit = {}): Promise<TestApiServer> {
  const bookmarkMs = init.bookmarkIntervalMs ?? 1000;
  const historyLimit = init.historyLimit ?? 200_000;
  const stores = new Map<string, Store>(); // `${apiVersion}/${plural}`
  const byKind = new Map<string, Store>(); // `${apiVersion}/${kind}`
  for (const res of SERVED_RESOURCES) {
    const s: Store = { res, objects: new Map(), history: [], watchers: new Set() };
    stores.set(`${apiVersionOf(res)}/${res.plural}`, s);
    byKind.set(`${apiVersionOf(res)}/${res.kind}`, s);
  }
  let rv = 0;
  let compactedRv = 0; // a watch from below this is 410 Gone
  let delayMs = 0;
  const failures: { count: number; status: number; match: (m: string, p: string) => boolean }[] = [];
  const requests: RequestRecord[] = [];
  const sockets = new Set<Socket>();

  const record = (store: Store, type: HistoryEvent['type'], object: Obj, prev: Obj | undefined): void => {
    const ev: HistoryEvent = { rv, type, object, prev };
    store.history.push(ev);
    if (store.history.length > historyLimit) {
      const dropped = store.history.splice(0, store.history.length - historyLimit);
      const last = dropped[dropped.length - 1];
      if (last !== undefined) compactedRv = Math.max(compactedRv, last.rv);
    }
    for (const w of store.watchers) deliver(w, ev);
  };

  const storeObject = (store: Store, obj: Obj, type: 'ADDED' | 'MODIFIED'): Obj => {
    const key = keyOf(obj.metadata.namespace, obj.metadata.name);
    const prev = store.objects.get(key);
    rv++;
    const stored: Obj = {
      ...obj,
      apiVersion: apiVersionOf(store.res),
      kind: store.res.kind,
      metadata: {
        ...obj.metadata,
        uid: prev?.metadata['uid'] ?? obj.metadata['uid'] ?? randomUUID(),
        creationTimestamp:
          prev?.metadata['creationTimestamp'] ??
          obj.metadata['creationTimestamp'] ??
          new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        resourceVersion: String(rv),
        generation: typeof prev?.metadata['generation'] === 'number' ? (prev.metadata['generation'] as number) + 1 : 1,
      },
    };
    delete stored.metadata['managedFields'];
    store.objects.set(key, stored);
    record(store, prev === undefined ? 'ADDED' : type, stored, prev);
    return stored;
  };

  const deleteObject = (store: Store, key: string): Obj | undefined => {
    const prev = store.objects.get(key);
    if (prev === undefined) return undefined;
    store.objects.delete(key);
    rv++;
    const last: Obj = { ...prev, metadata: { ...prev.metadata, resourceVersion: String(rv) } };
    record(store, 'DELETED', last, prev);
    return last;
  };

  /** A list item: built-in types' items carry no apiVersion/kind (as kube-apiserver's), CRDs' do. */
  const itemCache = new WeakMap<object, string>();
  const itemJsonOf = (store: Store, o: Obj): string => {
    if (store.res.crd) return jsonOf(o);
    let j = itemCache.get(o);
    if (j === undefined) {
      const { apiVersion: _a, kind: _k, ...rest } = o;
      j = JSON.stringify(rest);
      itemCache.set(o, j);
    }
    return j;
  };

  // ------------------------------------------------------------------------- watches

  const writeEvent = (w: Watcher, type: string, object: object): void => {
    // Events written in one tick go out as one chunk.
    if (!w.corked) {
      w.corked = true;
      w.res.cork();
      process.nextTick(() => {
        w.corked = false;
        w.res.uncork();
      });
    }
    w.res.write(`{"type":"${type}","object":${jsonOf(object)}}\n`);
  };

  function deliver(w: Watcher, ev: HistoryEvent): void {
    if (ev.rv <= w.rv) return;
    w.rv = ev.rv;
    const now = ev.type !== 'DELETED' && w.matches(ev.object);
    const was = ev.prev !== undefined && w.matches(ev.prev);
    if (ev.type === 'DELETED') {
      if (was) writeEvent(w, 'DELETED', ev.object);
    } else if (now) writeEvent(w, was ? 'MODIFIED' : 'ADDED', ev.object);
    else if (was) writeEvent(w, 'DELETED', ev.object);
  }

  const endWatcher = (w: Watcher): void => {
    for (const t of w.timers) clearTimeout(t);
    w.store.watchers.delete(w);
  };

  // ------------------------------------------------------------------------- discovery

  const groups = new Map<string, Set<string>>();
  for (const res of SERVED_RESOURCES)
    if (res.group !== '') (groups.get(res.group) ?? groups.set(res.group, new Set()).get(res.group)!).add(res.version);

  const resourceList = (groupVersion: string): Record<string, unknown> | undefined => {
    const list = SERVED_RESOURCES.filter((r) => apiVersionOf(r) === groupVersion);
    if (list.length === 0) return undefined;
    const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
    const resources: Record<string, unknown>[] = [];
    for (const r of list) {
      resources.push({
        name: r.plural,
        singularName: r.singular,
        namespaced: r.namespaced,
        kind: r.kind,
        verbs,
        ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      });
      resources.push({
        name: `${r.plural}/status`,
        singularName: '',
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: ['get', 'patch', 'update'],
      });
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
  };

  const groupOf = (name: string): Record<string, unknown> => {
    const versions = [...(groups.get(name) ?? [])].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
    return { name, versions, preferredVersion: versions[0] };
  };

  /**
   * OpenAPI v3, just enough for kubectl: the root lists one document per group/version; each has a path per
   * resource whose operations carry `x-kubernetes-group-version-kind` and the `fieldValidation` parameter, so
   * kubectl validates on the server (which accepts anything) instead of downloading schemas.
   */
  const openapiV3 = (gv: string): Record<string, unknown> | undefined => {
    const gvs = [
      ...new Set(SERVED_RESOURCES.map((r) => (r.group === '' ? `api/${r.version}` : `apis/${r.group}/${r.version}`))),
    ];
    if (gv === '')
      return { paths: Object.fromEntries(gvs.map((p) => [p, { serverRelativeURL: `/openapi/v3/${p}?hash=0` }])) };
    if (!gvs.includes(gv)) return undefined;
    const params = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
      name,
      in: 'query',
      schema: { type: 'string', uniqueItems: true },
    }));
    const paths: Record<string, unknown> = {};
    for (const r of SERVED_RESOURCES) {
      if ((r.group === '' ? `api/${r.version}` : `apis/${r.group}/${r.version}`) !== gv) continue;
      const gvk = { 'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind } };
      const item = `/${gv}/${r.namespaced ? 'namespaces/{namespace}/' : ''}${r.plural}/{name}`;
      const coll = `/${gv}/${r.namespaced ? 'namespaces/{namespace}/' : ''}${r.plural}`;
      paths[item] = {
        get: { ...gvk },
        put: { ...gvk, parameters: params },
        patch: { ...gvk, parameters: params },
        delete: { ...gvk },
      };
      paths[coll] = { get: { ...gvk }, post: { ...gvk, parameters: params } };
    }
    return {
      openapi: '3.0.0',
      info: { title: 'vectorplane test API server', version: 'v1.32.0' },
      paths,
      components: { schemas: {} },
    };
  };

  // ------------------------------------------------------------------------- request handling

  const send = (res: ServerResponse, code: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(code, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-cache, private',
    });
    res.end(text);
  };

  const readBody = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };

  interface Route {
    store: Store;
    namespace: string | undefined;
    name: string | undefined;
    subresource: string | undefined;
  }

  const route = (segs: string[]): Route | Record<string, unknown> | undefined => {
    // segs after /api or /apis
    let gv: string;
    let rest: string[];
    if (segs[0] === 'api') {
      if (segs.length === 1)
        return {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }],
        };
      gv = segs[1] as string;
      rest = segs.slice(2);
    } else {
      if (segs.length === 1) return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups.keys()].map(groupOf) };
      if (segs.length === 2)
        return groups.has(segs[1] as string)
          ? { kind: 'APIGroup', apiVersion: 'v1', ...groupOf(segs[1] as string) }
          : undefined;
      gv = `${segs[1]}/${segs[2]}`;
      rest = segs.slice(3);
    }
    if (rest.length === 0) return resourceList(gv);
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && stores.get(`${gv}/${rest[2]}`)?.res.namespaced === true) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const store = stores.get(`${gv}/${rest[0]}`);
    if (store === undefined) return undefined;
    return { store, namespace, name: rest[1], subresource: rest[2] };
  };

  const listItems = (store: Store, namespace: string | undefined, matches: (o: Obj) => boolean): Obj[] => {
    const out: Obj[] = [];
    for (const o of store.objects.values())
      if ((namespace === undefined || o.metadata.namespace === namespace) && matches(o)) out.push(o);
    return out.sort((a, b) =>
      keyOf(a.metadata.namespace, a.metadata.name) < keyOf(b.metadata.namespace, b.metadata.name) ? -1 : 1,
    );
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const query = Object.fromEntries(url.searchParams);
    const rec: RequestRecord = { method, path: url.pathname, query, status: 0 };
    const contentType = req.headers['content-type'];
    if (contentType !== undefined) rec.contentType = contentType;
    requests.push(rec);
    if (requests.length > 10_000) requests.splice(0, 5_000);
    const reply = (code: number, body: unknown): void => {
      rec.status = code;
      send(res, code, body);
    };
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    const failure = failures.find((f) => f.count > 0 && f.match(method, url.pathname));
    if (failure !== undefined) {
      failure.count--;
      reply(
        failure.status,
        status(failure.status, failure.status === 410 ? 'Expired' : 'InternalError', 'injected failure'),
      );
      return;
    }
    const segs = url.pathname
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
    if (url.pathname === '/version') {
      reply(200, { major: '1', minor: '32', gitVersion: 'v1.32.0-vectorplane-test', platform: 'linux/amd64' });
      return;
    }
    if (url.pathname === '/healthz' || url.pathname === '/readyz' || url.pathname === '/livez') {
      rec.status = 200;
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      return;
    }
    if (segs[0] === '_vectorplane' && method === 'POST') {
      // Fault injection and load for processes that cannot call the in-process API (the bin's users, benches).
      const op = segs[1];
      if (op === 'drop-watches') api.dropWatches();
      else if (op === 'compact') api.compact();
      else if (op === 'delay') api.setDelay(Number(query['ms'] ?? 0));
      else if (op === 'touch') {
        const touched = api.touch(query['apiVersion'] ?? 'v1', query['kind'] ?? '', Number(query['count'] ?? Infinity));
        reply(200, { touched, resourceVersion: String(rv) });
        return;
      } else {
        reply(404, status(404, 'NotFound', `unknown test operation ${JSON.stringify(op)}`));
        return;
      }
      reply(200, { ok: true, resourceVersion: String(rv) });
      return;
    }
    if (segs[0] === 'openapi' && segs[1] === 'v3') {
      const doc = openapiV3(segs.slice(2).join('/'));
      if (doc === undefined) reply(404, status(404, 'NotFound', 'the server could not find the requested resource'));
      else reply(200, doc);
      return;
    }
    if (segs[0] !== 'api' && segs[0] !== 'apis') {
      reply(404, status(404, 'NotFound', 'the server could not find the requested resource'));
      return;
    }
    const r = route(segs);
    if (r === undefined) {
      reply(404, status(404, 'NotFound', 'the server could not find the requested resource'));
      return;
    }
    if (!('store' in r)) {
      reply(200, r);
      return;
    }
    const { store, namespace, name } = r as Route;
    const kindLower = store.res.plural;
    let matches: (o: Obj) => boolean;
    try {
      const lm = query['labelSelector'] ? parseLabelSelector(query['labelSelector']) : undefined;
      const fm = query['fieldSelector'] ? parseFieldSelector(query['fieldSelector']) : undefined;
      matches = (o) => (lm === undefined || lm.matches(o.metadata.labels)) && (fm === undefined || fm.matches(o));
    } catch (err) {
      reply(400, status(400, 'BadRequest', (err as Error).message));
      return;
    }
    const notFound = (n: string): void =>
      reply(
        404,
        status(404, 'NotFound', `${kindLower}${store.res.group ? `.${store.res.group}` : ''} "${n}" not found`, {
          name: n,
          group: store.res.group,
          kind: kindLower,
        }),
      );

    if (method === 'GET' && name === undefined) {
      if (query['watch'] === 'true' || query['watch'] === '1') {
        startWatch(req, res, rec, store, namespace, matches, query);
        return;
      }
      const items = listItems(store, namespace, matches);
      let start = 0;
      if (query['continue']) {
        try {
          start = (JSON.parse(Buffer.from(query['continue'], 'base64url').toString()) as { start: number }).start;
        } catch {
          reply(400, status(400, 'BadRequest', 'invalid continue token'));
          return;
        }
      }
      const limit = query['limit'] ? Number(query['limit']) : 0;
      const page = limit > 0 ? items.slice(start, start + limit) : items.slice(start);
      const more = limit > 0 && start + limit < items.length;
      const head = JSON.stringify({
        kind: `${store.res.kind}List`,
        apiVersion: apiVersionOf(store.res),
        metadata: {
          resourceVersion: String(rv),
          ...(more
            ? {
                continue: Buffer.from(JSON.stringify({ start: start + limit })).toString('base64url'),
                remainingItemCount: items.length - start - limit,
              }
            : {}),
        },
      });
      const text = `${head.slice(0, -1)},"items":[${page.map((o) => itemJsonOf(store, o)).join(',')}]}`;
      rec.status = 200;
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(text),
        'Cache-Control': 'no-cache, private',
      });
      res.end(text);
      return;
    }
    if (store.res.namespaced && namespace === undefined && method !== 'GET') {
      reply(404, status(404, 'NotFound', `${kindLower} is namespaced: use /namespaces/<ns>/${kindLower}`));
      return;
    }
    const key = keyOf(store.res.namespaced ? namespace : undefined, name ?? '');
    if (method === 'GET') {
      const o = store.objects.get(key);
      if (o === undefined) notFound(name as string);
      else reply(200, o);
      return;
    }
    if (method === 'DELETE') {
      if (name === undefined) {
        reply(405, status(405, 'MethodNotAllowed', 'deletecollection is not supported'));
        return;
      }
      const last = deleteObject(store, key);
      if (last === undefined) notFound(name);
      else reply(200, last);
      return;
    }
    let body: unknown;
    try {
      const text = await readBody(req);
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      reply(400, status(400, 'BadRequest', 'request body is not valid JSON'));
      return;
    }
    if (method === 'POST' || method === 'PUT') {
      const o = body as Obj | undefined;
      if (
        o === undefined ||
        o === null ||
        typeof o !== 'object' ||
        typeof o.metadata !== 'object' ||
        o.metadata === null
      ) {
        reply(400, status(400, 'BadRequest', 'the body must be an object with metadata'));
        return;
      }
      if (o['kind'] !== undefined && o['kind'] !== store.res.kind) {
        reply(400, status(400, 'BadRequest', `the kind ${String(o['kind'])} does not match ${store.res.kind}`));
        return;
      }
      if (typeof o.metadata.name !== 'string' || o.metadata.name === '') {
        const gen = o.metadata['generateName'];
        if (method === 'POST' && typeof gen === 'string') o.metadata.name = gen + randomUUID().slice(0, 5);
        else {
          reply(
            422,
            status(
              422,
              'Invalid',
              `${store.res.kind} is invalid: metadata.name: Required value: name or generateName is required`,
              {
                kind: store.res.kind,
                causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'metadata.name' }],
              },
            ),
          );
          return;
        }
      }
      if (store.res.namespaced) {
        if (o.metadata.namespace !== undefined && o.metadata.namespace !== namespace) {
          reply(
            400,
            status(
              400,
              'BadRequest',
              'the namespace of the provided object does not match the namespace sent on the request',
            ),
          );
          return;
        }
        o.metadata.namespace = namespace as string;
      } else delete o.metadata.namespace;
      const k = keyOf(o.metadata.namespace, o.metadata.name);
      const existing = store.objects.get(k);
      if (method === 'POST') {
        if (existing !== undefined) {
          reply(
            409,
            status(409, 'AlreadyExists', `${kindLower} "${o.metadata.name}" already exists`, {
              name: o.metadata.name,
              kind: kindLower,
            }),
          );
          return;
        }
        reply(201, storeObject(store, o, 'ADDED'));
        return;
      }
      if (name !== o.metadata.name) {
        reply(400, status(400, 'BadRequest', 'the name of the object does not match the name on the URL'));
        return;
      }
      if (existing === undefined) {
        notFound(name);
        return;
      }
      const want = o.metadata['resourceVersion'];
      if (typeof want === 'string' && want !== '' && want !== existing.metadata['resourceVersion']) {
        reply(
          409,
          status(
            409,
            'Conflict',
            `Operation cannot be fulfilled on ${kindLower} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
            { name, kind: kindLower },
          ),
        );
        return;
      }
      reply(200, storeObject(store, o, 'MODIFIED'));
      return;
    }
    if (method === 'PATCH') {
      if (name === undefined) {
        reply(405, status(405, 'MethodNotAllowed', 'PATCH needs a name'));
        return;
      }
      const existing = store.objects.get(key);
      if (existing === undefined) {
        notFound(name);
        return;
      }
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim();
      let next: unknown;
      try {
        if (type === 'application/json-patch+json') next = jsonPatch(existing, body);
        else if (type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json')
          next = mergePatch(existing, body);
        else {
          reply(
            415,
            status(
              415,
              'UnsupportedMediaType',
              `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
            ),
          );
          return;
        }
      } catch (err) {
        reply(422, status(422, 'Invalid', (err as Error).message));
        return;
      }
      const o = next as Obj;
      if (o === null || typeof o !== 'object' || typeof o.metadata !== 'object' || o.metadata?.name !== name) {
        reply(422, status(422, 'Invalid', 'a patch cannot change metadata.name'));
        return;
      }
      const want = (body as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
      if (typeof want === 'string' && want !== existing.metadata['resourceVersion']) {
        reply(
          409,
          status(
            409,
            'Conflict',
            `Operation cannot be fulfilled on ${kindLower} "${name}": the object has been modified`,
            { name, kind: kindLower },
          ),
        );
        return;
      }
      // As the real API server: a patch that changes nothing writes nothing (same resourceVersion, no event).
      if (isDeepStrictEqual(o, existing)) {
        reply(200, existing);
        return;
      }
      reply(200, storeObject(store, o, 'MODIFIED'));
      return;
    }
    reply(405, status(405, 'MethodNotAllowed', `method ${method} is not allowed`));
  }

  function startWatch(
    req: IncomingMessage,
    res: ServerResponse,
    rec: RequestRecord,
    store: Store,
    namespace: string | undefined,
    matches: (o: Obj) => boolean,
    query: Record<string, string>,
  ): void {
    const rvParam = query['resourceVersion'];
    const from = rvParam === undefined || rvParam === '' || rvParam === '0' ? undefined : Number(rvParam);
    if (from !== undefined && !Number.isInteger(from)) {
      rec.status = 400;
      send(res, 400, status(400, 'BadRequest', `invalid resourceVersion ${JSON.stringify(rvParam)}`));
      return;
    }
    rec.status = 200;
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache, private',
    });
    res.flushHeaders();
    const nsMatch = (o: Obj): boolean => (namespace === undefined || o.metadata.namespace === namespace) && matches(o);
    const w: Watcher = {
      store,
      res,
      matches: nsMatch,
      bookmarks: query['allowWatchBookmarks'] === 'true',
      timers: [],
      rv: 0,
      corked: false,
    };
    if (from !== undefined && from < compactedRv) {
      writeEvent(w, 'ERROR', status(410, 'Expired', `too old resource version: ${from} (${compactedRv})`));
      res.end();
      return;
    }
    if (from === undefined) {
      for (const o of listItems(store, namespace, matches)) writeEvent(w, 'ADDED', o);
      w.rv = rv;
    } else {
      w.rv = from;
      for (const ev of store.history) if (ev.rv > from) deliver(w, ev);
      w.rv = Math.max(w.rv, rv);
    }
    store.watchers.add(w);
    if (w.bookmarks && bookmarkMs > 0) {
      const tick = (): void => {
        writeEvent(w, 'BOOKMARK', {
          kind: store.res.kind,
          apiVersion: apiVersionOf(store.res),
          metadata: { resourceVersion: String(rv) },
        });
        w.timers[0] = setTimeout(tick, bookmarkMs);
      };
      w.timers.push(setTimeout(tick, bookmarkMs));
    }
    const timeout = Number(query['timeoutSeconds'] ?? 0);
    if (timeout > 0)
      w.timers.push(
        setTimeout(() => {
          endWatcher(w);
          res.end();
        }, timeout * 1000),
      );
    const done = (): void => endWatcher(w);
    req.on('close', done);
    res.on('close', done);
  }

  // ------------------------------------------------------------------------- server

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, status(500, 'InternalError', (err as Error).message));
      else res.destroy();
    });
  };
  const tls = init.tls === true ? await selfSignedCertificate() : init.tls;
  const server: Server =
    tls !== undefined ? createHttpsServer({ key: tls.key, cert: tls.cert }, onRequest) : createServer(onRequest);
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(init.port ?? 0, init.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const storeFor = (apiVersion: string, kind: string): Store => {
    const s = byKind.get(`${apiVersion}/${kind}`);
    if (s === undefined) throw new Error(`the test API server does not serve ${apiVersion} ${kind}`);
    return s;
  };

  const api: TestApiServer = {
    url: `${tls !== undefined ? 'https' : 'http'}://${init.host ?? '127.0.0.1'}:${port}`,
    ca: tls?.cert,
    port,
    get resourceVersion() {
      return String(rv);
    },
    requests,
    get watchCount() {
      let n = 0;
      for (const s of stores.values()) n += s.watchers.size;
      return n;
    },
    put(raw) {
      const o = structuredClone(raw) as Obj;
      const store = storeFor(String(o['apiVersion']), String(o['kind']));
      if (typeof o.metadata?.name !== 'string') throw new Error('metadata.name is required');
      if (store.res.namespaced) o.metadata.namespace ??= 'default';
      else delete o.metadata.namespace;
      return storeObject(store, o, 'MODIFIED');
    },
    remove(apiVersion, kind, name, namespace) {
      const store = storeFor(apiVersion, kind);
      return (
        deleteObject(store, keyOf(store.res.namespaced ? (namespace ?? 'default') : undefined, name)) !== undefined
      );
    },
    get(apiVersion, kind, name, namespace) {
      const store = storeFor(apiVersion, kind);
      return store.objects.get(keyOf(store.res.namespaced ? (namespace ?? 'default') : undefined, name));
    },
    list(apiVersion, kind) {
      return [...storeFor(apiVersion, kind).objects.values()];
    },
    touch(apiVersion, kind, count = Infinity) {
      const store = storeFor(apiVersion, kind);
      let n = 0;
      for (const o of [...store.objects.values()]) {
        if (n >= count) break;
        const annotations = {
          ...((o.metadata['annotations'] as Record<string, string> | undefined) ?? {}),
          'vectorplane.io/touched': String(rv + 1),
        };
        storeObject(store, { ...o, metadata: { ...o.metadata, annotations } }, 'MODIFIED');
        n++;
      }
      return n;
    },
    dropWatches() {
      for (const s of stores.values())
        for (const w of [...s.watchers]) {
          endWatcher(w);
          w.res.socket?.destroy();
        }
    },
    compact() {
      compactedRv = rv;
      for (const s of stores.values()) s.history = [];
    },
    setDelay(ms) {
      delayMs = ms;
    },
    sendGarbage(line) {
      for (const s of stores.values()) for (const w of s.watchers) w.res.write(line + '\n');
    },
    failNext(count, code, match) {
      failures.push({ count, status: code, match: match ?? (() => true) });
    },
    async close() {
      for (const s of stores.values()) for (const w of [...s.watchers]) endWatcher(w);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  api.put({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'default' },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  });
  api.put({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'kube-system' },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  });
  for (const o of init.objects ?? []) api.put(o);
  return api;
}
