/**
 * The `.api.json` schema as VPP's vppapigen writes it, parsed into a small model the emitter uses.
 */

/** One `.api.json` file as read from disk. */
export interface ApiJson {
  module?: string;
  types?: unknown[];
  unions?: unknown[];
  enums?: unknown[];
  enumflags?: unknown[];
  aliases?: Record<string, { type: string; length?: number }>;
  messages?: unknown[];
  services?: Record<string, { reply: string; stream?: boolean; stream_msg?: string; events?: string[] }>;
  imports?: string[];
  options?: Record<string, unknown>;
  vl_api_version?: string;
  [key: string]: unknown;
}

export interface FieldSpec {
  /** Type as in the schema: `u32`, `string`, `vl_api_prefix_t`. */
  type: string;
  name: string;
  /** Fixed length (> 0), 0 for variable, undefined for a scalar. */
  length?: number;
  lengthFrom?: string;
  default?: unknown;
  limit?: number;
  discriminator?: string;
  case?: string;
}

export interface StructSpec {
  kind: 'struct' | 'union';
  name: string;
  fields: FieldSpec[];
}

export interface EnumSpec {
  kind: 'enum' | 'enumflags';
  name: string;
  values: [string, number][];
  /** u8 / u16 / u32 / i32 ... */
  width: string;
}

export interface AliasSpec {
  kind: 'alias';
  name: string;
  type: string;
  length?: number;
}

export type TypeSpec = StructSpec | EnumSpec | AliasSpec;

export interface MessageSpec {
  name: string;
  fields: FieldSpec[];
  crc: string;
  status?: 'deprecated' | 'in_progress';
}

export interface ServiceSpec {
  request: string;
  reply: string;
  stream?: boolean;
  streamMsg?: string;
  events?: string[];
}

export interface ModuleSpec {
  /** Module name, e.g. `ip`. */
  name: string;
  /** Imported module names (basename without `.api`), deduplicated, in order. */
  imports: string[];
  types: TypeSpec[];
  messages: MessageSpec[];
  services: ServiceSpec[];
  version?: string;
}

/** Thrown when a schema cannot be understood. */
export class SchemaError extends Error {
  override readonly name = 'SchemaError';
  readonly code = 'bad_schema';
}

function fail(where: string, what: string): never {
  throw new SchemaError(`${where}: ${what}`);
}

/** Module name of an `imports` entry: `vnet/ip/ip_types.api` → `ip_types`. */
export function importName(path: string): string {
  return path.replace(/^.*\//, '').replace(/\.api(\.json)?$/, '');
}

/** Short type name: `vl_api_prefix_t` → `prefix`; base types unchanged. */
export function shortName(type: string): string {
  const m = /^vl_api_(.+)_t$/.exec(type);
  return m ? m[1]! : type;
}

export function parseField(raw: unknown, where: string): FieldSpec {
  if (!Array.isArray(raw) || typeof raw[0] !== 'string' || typeof raw[1] !== 'string') {
    fail(where, `bad field ${JSON.stringify(raw)}`);
  }
  const f: FieldSpec = { type: raw[0], name: raw[1] };
  for (const x of raw.slice(2)) {
    if (typeof x === 'number') f.length = x;
    else if (typeof x === 'string') f.lengthFrom = x;
    else if (x && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      if ('default' in o) f.default = o.default;
      if (typeof o.limit === 'number') f.limit = o.limit;
      if (typeof o.discriminator === 'string') f.discriminator = o.discriminator;
      if (typeof o.case === 'string') f.case = o.case;
    } else fail(where, `bad field part ${JSON.stringify(x)} in ${raw[1]}`);
  }
  return f;
}

function parseStruct(raw: unknown, kind: 'struct' | 'union', file: string): StructSpec {
  if (!Array.isArray(raw) || typeof raw[0] !== 'string') fail(file, `bad ${kind} ${JSON.stringify(raw)}`);
  const name = raw[0];
  const fields = raw
    .slice(1)
    .filter((x) => Array.isArray(x))
    .map((x) => parseField(x, `${file}: ${name}`));
  return { kind, name, fields };
}

function parseEnum(raw: unknown, kind: 'enum' | 'enumflags', file: string): EnumSpec {
  if (!Array.isArray(raw) || typeof raw[0] !== 'string') fail(file, `bad ${kind} ${JSON.stringify(raw)}`);
  const name = raw[0];
  const values: [string, number][] = [];
  let width = 'u32';
  for (const x of raw.slice(1)) {
    if (Array.isArray(x) && typeof x[0] === 'string' && typeof x[1] === 'number') values.push([x[0], x[1]]);
    else if (x && typeof x === 'object' && typeof (x as { enumtype?: unknown }).enumtype === 'string') {
      width = (x as { enumtype: string }).enumtype;
    }
  }
  return { kind, name, values, width };
}

/** Parses one `.api.json` document; `fallbackName` is used when it has no `module` key. */
export function parseModule(json: ApiJson, fallbackName: string): ModuleSpec {
  const name = typeof json.module === 'string' && json.module ? json.module : fallbackName;
  const file = `${name}.api.json`;
  const types: TypeSpec[] = [];
  for (const t of json.types ?? []) types.push(parseStruct(t, 'struct', file));
  for (const u of json.unions ?? []) types.push(parseStruct(u, 'union', file));
  for (const e of json.enums ?? []) types.push(parseEnum(e, 'enum', file));
  for (const e of json.enumflags ?? []) types.push(parseEnum(e, 'enumflags', file));
  for (const [alias, def] of Object.entries(json.aliases ?? {})) {
    const a: AliasSpec = { kind: 'alias', name: alias, type: def.type };
    if (typeof def.length === 'number') a.length = def.length;
    types.push(a);
  }
  const messages: MessageSpec[] = [];
  for (const m of json.messages ?? []) {
    if (!Array.isArray(m) || typeof m[0] !== 'string') fail(file, `bad message ${JSON.stringify(m)}`);
    const msgName = m[0];
    const last: unknown = m[m.length - 1];
    const meta = (last && typeof last === 'object' && !Array.isArray(last) ? last : {}) as {
      crc?: unknown;
      options?: Record<string, unknown>;
    };
    if (typeof meta.crc !== 'string') fail(file, `message ${msgName} has no crc`);
    const fields = m
      .slice(1)
      .filter((x) => Array.isArray(x))
      .map((x) => parseField(x, `${file}: ${msgName}`));
    const spec: MessageSpec = { name: msgName, fields, crc: meta.crc.toLowerCase() };
    const opts = meta.options ?? {};
    if ('deprecated' in opts) spec.status = 'deprecated';
    else if ('in_progress' in opts || opts.status === 'in_progress') spec.status = 'in_progress';
    messages.push(spec);
  }
  const services: ServiceSpec[] = [];
  for (const [request, s] of Object.entries(json.services ?? {})) {
    const svc: ServiceSpec = { request, reply: s.reply };
    if (s.stream) svc.stream = true;
    if (s.stream_msg) svc.streamMsg = s.stream_msg;
    if (s.events?.length) svc.events = [...s.events];
    services.push(svc);
  }
  const imports: string[] = [];
  for (const i of json.imports ?? []) {
    const base = importName(i);
    if (!imports.includes(base)) imports.push(base);
  }
  const mod: ModuleSpec = { name, imports, types, messages, services };
  if (typeof json.vl_api_version === 'string') mod.version = json.vl_api_version;
  return mod;
}

/** A copy of a schema without VPP's prose: every `comment` entry removed, at any depth. */
export function stripComments(json: ApiJson): ApiJson {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      for (const x of v as unknown[]) {
        if (x && typeof x === 'object' && !Array.isArray(x) && 'comment' in x) {
          const rest = Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'comment'));
          if (Object.keys(rest).length) out.push(strip(rest));
        } else out.push(strip(x));
      }
      return out;
    }
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v)
          .filter(([k]) => k !== 'comment')
          .map(([k, x]) => [k, strip(x)]),
      );
    }
    return v;
  };
  return strip(json) as ApiJson;
}

/** Stable, diff-friendly JSON for a vendored schema: one top-level entry per line. */
export function formatApiJson(json: ApiJson): string {
  const lines: string[] = ['{'];
  const keys = Object.keys(json);
  keys.forEach((k, i) => {
    const v = json[k];
    const comma = i < keys.length - 1 ? ',' : '';
    if (Array.isArray(v) && v.length) {
      lines.push(`  ${JSON.stringify(k)}: [`);
      v.forEach((x, j) => lines.push(`    ${JSON.stringify(x)}${j < v.length - 1 ? ',' : ''}`));
      lines.push(`  ]${comma}`);
    } else if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) {
      lines.push(`  ${JSON.stringify(k)}: {`);
      const ks = Object.keys(v);
      ks.forEach((kk, j) =>
        lines.push(
          `    ${JSON.stringify(kk)}: ${JSON.stringify((v as Record<string, unknown>)[kk])}${j < ks.length - 1 ? ',' : ''}`,
        ),
      );
      lines.push(`  }${comma}`);
    } else lines.push(`  ${JSON.stringify(k)}: ${JSON.stringify(v)}${comma}`);
  });
  lines.push('}');
  return lines.join('\n') + '\n';
}
