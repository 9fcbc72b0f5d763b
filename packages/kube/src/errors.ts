/**
 * Every error class of @vectorplane/kube, one per condition. Branch on `err.name` / `err.code`, never
 * `instanceof` (the package ships ESM and CJS, so two copies of a class can exist at run time).
 */

/** Where a bad object came from: a file of the folder source, an API server path, or the memory source. */
export interface ObjectOrigin {
  /** The file the object was read from (folder source). */
  file?: string;
  /** The index of the YAML document inside `file`, from 0. */
  document?: number;
  /** The API path the object came from (API-server source). */
  path?: string;
}

/** One problem with one field of an object. `path` is the field's JSON path, e.g. `['spec','ports',0,'port']`. */
export interface ValidationIssue {
  code: string;
  path: (string | number)[];
  message: string;
}

export type KubeErrorCode =
  | 'KUBE_INVALID_OBJECT'
  | 'KUBE_UNKNOWN_KIND'
  | 'KUBE_PARSE'
  | 'KUBE_FILE'
  | 'KUBE_WATCH'
  | 'KUBE_API'
  | 'KUBE_CLOSED'
  | 'KUBE_CONFIG'
  | 'KUBE_SELECTOR'
  | 'KUBE_READ_ONLY'
  | 'KUBE_INVALID_VALUE';

/** The base of every error this package reports, in `error` events and in rejections. */
export class KubeError extends Error {
  override name = 'KubeError';
  readonly code: KubeErrorCode;
  constructor(code: KubeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

function where(origin: ObjectOrigin | undefined): string {
  if (origin === undefined) return '';
  const parts: string[] = [];
  if (origin.file !== undefined)
    parts.push(origin.document !== undefined ? `${origin.file}#${origin.document}` : origin.file);
  if (origin.path !== undefined) parts.push(origin.path);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

function ident(kind: string, namespace: string | undefined, name: string | undefined): string {
  return `${kind} ${namespace !== undefined && namespace !== '' ? `${namespace}/` : ''}${name ?? '<unnamed>'}`;
}

/** An object failed validation: `issues` name each bad field; the object is skipped, the stream goes on. */
export class KubeInvalidObjectError extends KubeError {
  override name = 'KubeInvalidObjectError';
  readonly kind: string;
  readonly objectName: string | undefined;
  readonly namespace: string | undefined;
  readonly issues: ValidationIssue[];
  readonly origin: ObjectOrigin | undefined;
  constructor(init: {
    kind: string;
    name?: string | undefined;
    namespace?: string | undefined;
    issues: ValidationIssue[];
    origin?: ObjectOrigin | undefined;
  }) {
    const first = init.issues[0];
    const detail = first !== undefined ? `: ${first.path.join('.') || '<root>'}: ${first.message}` : '';
    const more = init.issues.length > 1 ? ` (+${init.issues.length - 1} more)` : '';
    super(
      'KUBE_INVALID_OBJECT',
      `invalid ${ident(init.kind, init.namespace, init.name)}${where(init.origin)}${detail}${more}`,
    );
    this.kind = init.kind;
    this.objectName = init.name;
    this.namespace = init.namespace;
    this.issues = init.issues;
    this.origin = init.origin;
  }
}

/** An object of a kind or apiVersion this package does not know (folder source), or a stream of one. */
export class KubeUnknownKindError extends KubeError {
  override name = 'KubeUnknownKindError';
  readonly apiVersion: string | undefined;
  readonly kind: string | undefined;
  readonly objectName: string | undefined;
  readonly origin: ObjectOrigin | undefined;
  constructor(init: {
    apiVersion?: string | undefined;
    kind?: string | undefined;
    name?: string | undefined;
    origin?: ObjectOrigin | undefined;
  }) {
    super(
      'KUBE_UNKNOWN_KIND',
      `unknown kind ${init.apiVersion ?? '<no apiVersion>'}/${init.kind ?? '<no kind>'}${init.name !== undefined ? ` ${init.name}` : ''}${where(init.origin)}`,
    );
    this.apiVersion = init.apiVersion;
    this.kind = init.kind;
    this.objectName = init.name;
    this.origin = init.origin;
  }
}

/** A file is not valid YAML/JSON. `line`/`column` are 1-based when the parser knows them. */
export class KubeParseError extends KubeError {
  override name = 'KubeParseError';
  readonly file: string;
  readonly document: number | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  constructor(init: {
    file: string;
    document?: number | undefined;
    line?: number | undefined;
    column?: number | undefined;
    message: string;
    cause?: unknown;
  }) {
    const at = init.line !== undefined ? `:${init.line}${init.column !== undefined ? `:${init.column}` : ''}` : '';
    super('KUBE_PARSE', `cannot parse ${init.file}${at}: ${init.message}`, { cause: init.cause });
    this.file = init.file;
    this.document = init.document;
    this.line = init.line;
    this.column = init.column;
  }
}

/** A file or folder could not be read or watched. `errno` is Node's code, e.g. 'ENOENT'. */
export class KubeFileError extends KubeError {
  override name = 'KubeFileError';
  readonly file: string;
  readonly errno: string | undefined;
  constructor(init: { file: string; errno?: string | undefined; message: string; cause?: unknown }) {
    super('KUBE_FILE', `${init.file}: ${init.message}`, { cause: init.cause });
    this.file = init.file;
    this.errno = init.errno;
  }
}

/** A watch sent something that is not a watch event (bad type, no object, an ERROR event), or it broke. */
export class KubeWatchError extends KubeError {
  override name = 'KubeWatchError';
  readonly path: string;
  /** The HTTP status or the Status object's `code` when there was one. */
  readonly status: number | undefined;
  readonly reason: string | undefined;
  constructor(init: {
    path: string;
    message: string;
    status?: number | undefined;
    reason?: string | undefined;
    cause?: unknown;
  }) {
    super('KUBE_WATCH', `watch ${init.path}: ${init.message}`, { cause: init.cause });
    this.path = init.path;
    this.status = init.status;
    this.reason = init.reason;
  }
}

/** The API server answered a request with an error: `status` is the HTTP status, `body` its Status object. */
export class KubeApiError extends KubeError {
  override name = 'KubeApiError';
  readonly status: number | undefined;
  readonly reason: string | undefined;
  readonly path: string;
  readonly body: unknown;
  constructor(init: {
    path: string;
    status?: number | undefined;
    reason?: string | undefined;
    body?: unknown;
    message: string;
    cause?: unknown;
  }) {
    super('KUBE_API', `${init.path}: ${init.status !== undefined ? `${init.status} ` : ''}${init.message}`, {
      cause: init.cause,
    });
    this.path = init.path;
    this.status = init.status;
    this.reason = init.reason;
    this.body = init.body;
  }
}

/** The source was closed; its streams end and no new stream starts. */
export class KubeSourceClosedError extends KubeError {
  override name = 'KubeSourceClosedError';
  constructor() {
    super('KUBE_CLOSED', 'source closed');
  }
}

/** A kubeconfig could not be loaded, or has no current cluster. */
export class KubeConfigError extends KubeError {
  override name = 'KubeConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('KUBE_CONFIG', message, options);
  }
}

/** A label or field selector could not be parsed; `selector` is its text. */
export class KubeSelectorError extends KubeError {
  override name = 'KubeSelectorError';
  readonly selector: string;
  constructor(selector: string, message: string) {
    super('KUBE_SELECTOR', `invalid selector ${JSON.stringify(selector)}: ${message}`);
    this.selector = selector;
  }
}

/** A write was asked of a source that cannot write (a folder of manifests, memory): `node` and `field` name it. */
export class KubeReadOnlyError extends KubeError {
  override name = 'KubeReadOnlyError';
  readonly node: string;
  readonly field: string;
  constructor(init: { node: string; field: string; source: string }) {
    super(
      'KUBE_READ_ONLY',
      `cannot set ${init.field} on Node ${init.node}: the ${init.source} source is read-only (put it in the Node's manifest)`,
    );
    this.node = init.node;
    this.field = init.field;
  }
}

/** A value to be written is malformed: `node` and `field` name where it was going, `value` is what was given. */
export class KubeInvalidValueError extends KubeError {
  override name = 'KubeInvalidValueError';
  readonly node: string;
  readonly field: string;
  readonly value: unknown;
  constructor(init: { node: string; field: string; value: unknown; message: string }) {
    super('KUBE_INVALID_VALUE', `Node ${init.node} ${init.field}: ${init.message} (got ${JSON.stringify(init.value)})`);
    this.node = init.node;
    this.field = init.field;
    this.value = init.value;
  }
}
