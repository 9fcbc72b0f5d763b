/** Validation at the edge: raw JSON → a typed object, or a typed error naming the object and the field. */
import { KubeInvalidObjectError, KubeUnknownKindError, type ObjectOrigin, type ValidationIssue } from '../errors.js';
import { KINDS, isResourceKind, type ResourceKind, type ResourceTypes } from './kinds.js';

export type ParseResult<T> =
  { ok: true; object: T } | { ok: false; error: KubeInvalidObjectError | KubeUnknownKindError };

/** Go encodes nil slices and maps as `null`; the API means "absent". Drop them (in place on a copy). */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i] as unknown;
      const d = v !== null && typeof v === 'object' ? dropNulls(v) : v;
      if (d !== v) (out ??= value.slice())[i] = d;
    }
    return out ?? value;
  }
  if (value !== null && typeof value === 'object') {
    let out: Record<string, unknown> | undefined;
    const obj = value as Record<string, unknown>;
    for (const key in obj) {
      const v = obj[key];
      if (v === null) {
        out ??= { ...obj };
        delete out[key];
      } else if (typeof v === 'object') {
        const d = dropNulls(v);
        if (d !== v) (out ??= { ...obj })[key] = d;
      }
    }
    return out ?? value;
  }
  return value;
}

function metaOf(raw: unknown): { name: string | undefined; namespace: string | undefined } {
  const meta = (raw as { metadata?: { name?: unknown; namespace?: unknown } } | null)?.metadata;
  return {
    name: typeof meta?.name === 'string' ? meta.name : undefined,
    namespace: typeof meta?.namespace === 'string' ? meta.namespace : undefined,
  };
}

export interface ParseOptions {
  /** Where the object came from, for the error message. */
  origin?: ObjectOrigin;
  /** Namespace to put on a namespaced object that has none (folder and memory sources: 'default'). */
  defaultNamespace?: string;
}

/**
 * Validate `raw` as an object of `kind`. A missing `apiVersion`/`kind` is filled from `kind` (list items from an
 * API server carry neither); a `kind` that does not match, or an apiVersion the kind does not have, is an issue.
 */
export function parseResource<K extends ResourceKind>(
  kind: K,
  raw: unknown,
  opts: ParseOptions = {},
): ParseResult<ResourceTypes[K]> {
  const kinfo = KINDS[kind];
  const { name, namespace } = metaOf(raw);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      ok: false,
      error: new KubeInvalidObjectError({
        kind,
        issues: [{ code: 'invalid_type', path: [], message: 'expected an object' }],
        origin: opts.origin,
      }),
    };
  }
  let obj = dropNulls(raw) as Record<string, unknown>;
  if (obj['apiVersion'] === undefined || obj['kind'] === undefined) {
    obj = { ...obj, apiVersion: obj['apiVersion'] ?? kinfo.apiVersions[0], kind: obj['kind'] ?? kind };
  }
  if (kinfo.namespaced && namespace === undefined && opts.defaultNamespace !== undefined) {
    const meta = obj['metadata'];
    if (meta !== null && typeof meta === 'object')
      obj = { ...obj, metadata: { ...meta, namespace: opts.defaultNamespace } };
  }
  const res = kinfo.schema.safeParse(obj);
  if (res.success) return { ok: true, object: res.data as ResourceTypes[K] };
  const issues: ValidationIssue[] = res.error.issues.map((i) => ({
    code: i.code,
    path: i.path.map((p) => (typeof p === 'number' ? p : String(p))),
    message: i.message,
  }));
  return {
    ok: false,
    error: new KubeInvalidObjectError({
      kind,
      name,
      namespace: namespace ?? (kinfo.namespaced ? opts.defaultNamespace : undefined),
      issues,
      origin: opts.origin,
    }),
  };
}

/** Validate an object whose kind is read from the object itself (`apiVersion` + `kind`). */
export function parseAnyResource(
  raw: unknown,
  opts: ParseOptions = {},
): ParseResult<ResourceTypes[ResourceKind]> & { kind?: ResourceKind } {
  const r = raw as { apiVersion?: unknown; kind?: unknown } | null;
  const apiVersion = typeof r?.apiVersion === 'string' ? r.apiVersion : undefined;
  const kind = typeof r?.kind === 'string' ? r.kind : undefined;
  if (!isResourceKind(kind) || apiVersion === undefined || !KINDS[kind].apiVersions.includes(apiVersion)) {
    return {
      ok: false,
      error: new KubeUnknownKindError({ apiVersion, kind, name: metaOf(raw).name, origin: opts.origin }),
    };
  }
  return { ...parseResource(kind, raw, opts), kind };
}
