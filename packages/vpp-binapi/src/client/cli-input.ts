/**
 * JSON input of `vpp-api`: request fields converted by their schema types at every depth (64-bit
 * integers from decimal strings, byte fields from hex, enums from their names) and checked (unknown
 * fields, non-boolean booleans, wrong kinds of values are refused with the path of the field).
 *
 * Message fields come from the bindings' `FieldDef`s; the types nested in them (structs, unions,
 * aliases, enums) from the `.api.json` schemas vendored in the package's `api/` directory. Types
 * the schemas do not describe (bindings generated for other plugins) are passed through unchecked.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../codec/runtime.js';
import type { AnyMessageDef } from '../codec/registry.js';

/** One field of a message or type. */
interface Field {
  readonly name: string;
  readonly type: string;
  /** Fixed length, 0 for variable, absent for a scalar. */
  readonly length?: number | undefined;
}

type TypeInfo =
  | { kind: 'struct' | 'union'; fields: readonly Field[] }
  | { kind: 'alias'; type: string; length?: number | undefined }
  | { kind: 'enum'; values: ReadonlyMap<string, number> };

/** What the schemas say about the types request fields may use, by short name (`fib_path`). */
export type SchemaTypes = ReadonlyMap<string, TypeInfo>;

/** A field value the schema does not allow; `path` names the field, e.g. `route.paths[0].weight`. */
export class FieldInputError extends Error {
  override readonly name = 'FieldInputError';
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

/** Aliases and types the codec takes as text (`'10.0.0.1'`, `'10.0.0.0/24'`, `'02:00:00:00:00:01'`). */
const TEXT = new Set([
  'ip4_address',
  'ip6_address',
  'mac_address',
  'address',
  'prefix',
  'address_with_prefix',
  'ip4_prefix',
  'ip4_address_with_prefix',
  'ip6_prefix',
  'ip6_address_with_prefix',
]);
const INT_RANGE: Record<string, [number, number]> = {
  u8: [0, 0xff],
  i8: [-0x80, 0x7f],
  u16: [0, 0xffff],
  i16: [-0x8000, 0x7fff],
  u32: [0, 0xffffffff],
  i32: [-0x80000000, 0x7fffffff],
};

/** Message header fields: set by the client, never given by the user nor printed. */
export const HEADER_FIELDS: ReadonlySet<string> = new Set(['_vl_msg_id', 'client_index', 'context']);
const short = (type: string): string => type.replace(/^vl_api_/, '').replace(/_t$/, '');

function schemaField(f: unknown[]): Field {
  return { name: String(f[1]), type: String(f[0]), length: typeof f[2] === 'number' ? f[2] : undefined };
}

const cache = new Map<string, SchemaTypes>();

/** The package's `api/` directory, from the source tree or from `dist/`; undefined when not found. */
function apiDir(): string | undefined {
  for (const rel of ['../../api/', '../api/']) {
    try {
      const dir = fileURLToPath(new URL(rel, import.meta.url));
      if (existsSync(join(dir, 'VERSION.json'))) return dir;
    } catch {
      // not a file: URL (bundled elsewhere)
    }
  }
  return undefined;
}

/** Reads the types of the vendored `.api.json` schemas (once); an empty map when they are not there. */
export function loadSchemaTypes(dir: string | undefined = apiDir()): SchemaTypes {
  const hit = cache.get(dir ?? '');
  if (hit) return hit;
  const out = new Map<string, TypeInfo>();
  if (dir) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.api.json'))) {
      const s = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
        types?: unknown[][];
        unions?: unknown[][];
        aliases?: Record<string, { type: string; length?: number }>;
        enums?: unknown[][];
        enumflags?: unknown[][];
      };
      for (const [kind, list] of [
        ['struct', s.types ?? []],
        ['union', s.unions ?? []],
      ] as const) {
        for (const t of list) {
          const fields = t
            .slice(1)
            .filter((f): f is unknown[] => Array.isArray(f))
            .map(schemaField);
          out.set(String(t[0]), { kind, fields });
        }
      }
      for (const [name, a] of Object.entries(s.aliases ?? {}))
        out.set(name, { kind: 'alias', type: a.type, length: a.length });
      for (const e of [...(s.enums ?? []), ...(s.enumflags ?? [])]) {
        const values = new Map<string, number>();
        for (const v of e.slice(1)) if (Array.isArray(v)) values.set(String(v[0]), Number(v[1]));
        out.set(String(e[0]), { kind: 'enum', values });
      }
    }
  }
  cache.set(dir ?? '', out);
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

const show = (v: unknown): string => {
  const s = typeof v === 'bigint' ? `${v}n` : JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? s.slice(0, 40) + '…' : s;
};

/**
 * The fields of a request from parsed JSON, converted by the message's schema.
 * @throws FieldInputError naming the field for an unknown field or a value of the wrong kind.
 */
export function convertRequest(
  def: AnyMessageDef,
  value: unknown,
  types: SchemaTypes = loadSchemaTypes(),
): Record<string, unknown> {
  if (!isObject(value)) throw new FieldInputError(def.name, `the fields must be a JSON object, not ${show(value)}`);
  return convertObject(def.name, def.fields, value, types);
}

function convertObject(
  path: string,
  fields: readonly Field[],
  value: Record<string, unknown>,
  types: SchemaTypes,
): Record<string, unknown> {
  const byName = new Map(fields.map((f) => [f.name, f]));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const f = byName.get(k);
    if (!f) {
      const known = fields.map((x) => x.name).filter((n) => !HEADER_FIELDS.has(n));
      throw new FieldInputError(`${path}.${k}`, `unknown field ${JSON.stringify(k)} (known: ${known.join(', ')})`);
    }
    out[k] = convertField(`${path}.${k}`, f.type, f.length, v, types);
  }
  return out;
}

function convertField(path: string, type: string, length: number | undefined, v: unknown, types: SchemaTypes): unknown {
  if (length === undefined || type === 'string') return convertScalar(path, type, v, types);
  if (type === 'u8') return bytes(path, v);
  if (!Array.isArray(v)) throw new FieldInputError(path, `expected an array, got ${show(v)}`);
  if (length > 0 && v.length > length) throw new FieldInputError(path, `at most ${length} elements, got ${v.length}`);
  return v.map((x, i) => convertScalar(`${path}[${i}]`, type, x, types));
}

function bytes(path: string, v: unknown): unknown {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') {
    try {
      return fromHex(v.replace(/^0x/, ''));
    } catch {
      throw new FieldInputError(path, `expected hex bytes, got ${show(v)}`);
    }
  }
  if (Array.isArray(v) && v.every((b) => Number.isInteger(b) && b >= 0 && b <= 255))
    return Uint8Array.from(v as number[]);
  throw new FieldInputError(path, `expected hex bytes or an array of bytes, got ${show(v)}`);
}

function convertScalar(path: string, type: string, v: unknown, types: SchemaTypes): unknown {
  switch (type) {
    case 'bool':
      if (typeof v !== 'boolean') throw new FieldInputError(path, `expected true or false, got ${show(v)}`);
      return v;
    case 'u64':
    case 'i64': {
      let n: bigint | undefined;
      if (typeof v === 'string' && /^-?\d+$/.test(v)) n = BigInt(v);
      else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
      else if (typeof v === 'bigint') n = v;
      if (n === undefined)
        throw new FieldInputError(path, `expected a 64-bit integer (a number or a decimal string), got ${show(v)}`);
      const ok = type === 'u64' ? n >= 0n && n < 1n << 64n : n >= -(1n << 63n) && n < 1n << 63n;
      if (!ok) throw new FieldInputError(path, `${n} does not fit ${type}`);
      return n;
    }
    case 'f64':
      if (typeof v !== 'number') throw new FieldInputError(path, `expected a number, got ${show(v)}`);
      return v;
    case 'string':
      if (typeof v !== 'string') throw new FieldInputError(path, `expected a string, got ${show(v)}`);
      return v;
  }
  const range = INT_RANGE[type];
  if (range) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < range[0] || v > range[1]) {
      throw new FieldInputError(path, `expected an integer that fits ${type}, got ${show(v)}`);
    }
    return v;
  }
  const name = short(type);
  if (TEXT.has(name)) return v;
  const t = types.get(name);
  if (!t) return v; // a type the vendored schemas do not describe: the codec checks it
  switch (t.kind) {
    case 'alias':
      return convertField(path, t.type, t.length, v, types);
    case 'enum':
      if (typeof v === 'string') {
        const n = t.values.get(v);
        if (n === undefined)
          throw new FieldInputError(path, `${show(v)} is not a value of ${name} (${[...t.values.keys()].join(', ')})`);
        return n;
      }
      if (typeof v !== 'number' || !Number.isInteger(v))
        throw new FieldInputError(path, `expected a ${name} value (number or name), got ${show(v)}`);
      return v;
    case 'struct':
    case 'union':
      if (!isObject(v)) throw new FieldInputError(path, `expected an object (${name}), got ${show(v)}`);
      return convertObject(path, t.fields, v, types);
  }
}
