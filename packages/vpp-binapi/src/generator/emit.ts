/**
 * Emits TypeScript bindings from parsed schemas: one module per `.api` file with interfaces, `as const`
 * enums, and specialised straight-line encoders/decoders, plus an index with registries and type maps.
 */
import {
  SchemaError,
  shortName,
  type EnumSpec,
  type FieldSpec,
  type MessageSpec,
  type ModuleSpec,
  type ServiceSpec,
  type StructSpec,
  type TypeSpec,
} from './schema.js';
import { parseFields } from '../codec/define.js';
import { IMPL_END, IMPL_START } from './share.js';

export interface EmitOptions {
  /** Module specifier the generated files import the codec runtime from. */
  runtimeImport: string;
  /** Module specifier for the `MessageDef`/`ServiceDef` types. Defaults to `runtimeImport`. */
  typesImport?: string;
  /** One line naming the source, written in every file header. */
  source?: string;
  /**
   * Where a type comes from when not from a sibling module: a module specifier (`'../ip_types.js'`) for
   * type `typeName` (owned by `owner` in this schema set), or undefined for the usual `./<owner>.js`.
   * Bindings of another release use it to share the types that are the same as the primary release's.
   */
  external?: (typeName: string, owner: string) => string | undefined;
}

/** Aliases and types carried as text (see src/codec/types.ts). */
const TEXT: Record<string, { t: string; size: number; zero: string }> = {
  ip4_address: { t: 'Ip4', size: 4, zero: "'0.0.0.0'" },
  ip6_address: { t: 'Ip6', size: 16, zero: "'::'" },
  mac_address: { t: 'Mac', size: 6, zero: "'00:00:00:00:00:00'" },
  address: { t: 'Address', size: 17, zero: "'0.0.0.0'" },
  prefix: { t: 'Prefix', size: 18, zero: "'0.0.0.0/0'" },
  address_with_prefix: { t: 'Prefix', size: 18, zero: "'0.0.0.0/0'" },
  ip4_prefix: { t: 'Ip4Prefix', size: 5, zero: "'0.0.0.0/0'" },
  ip4_address_with_prefix: { t: 'Ip4Prefix', size: 5, zero: "'0.0.0.0/0'" },
  ip6_prefix: { t: 'Ip6Prefix', size: 17, zero: "'::/0'" },
  ip6_address_with_prefix: { t: 'Ip6Prefix', size: 17, zero: "'::/0'" },
};

/** Whether type `name` (short name) is carried as text (its layout is the codec's, not the schema's). */
export function isTextType(name: string): boolean {
  return Object.hasOwn(TEXT, name);
}

const INT_SIZE: Record<string, number> = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4 };
const INT_MAX: Record<string, number> = {
  u8: 0xff,
  i8: 0x7f,
  u16: 0xffff,
  i16: 0x7fff,
  u32: 0xffffffff,
  i32: 0x7fffffff,
};

type Codec =
  | { k: 'int'; w: string; ts: string; size: number }
  | { k: 'bool'; ts: string; size: 1 }
  | { k: 'big'; w: 'u64' | 'i64'; ts: string; size: 8 }
  | { k: 'f64'; ts: string; size: 8 }
  | { k: 'text'; t: string; ts: string; size: number; zero: string }
  | { k: 'struct'; name: string; ts: string; size: number | null }
  | { k: 'union'; name: string; ts: string; size: number }
  | { k: 'fstring'; n: number; ts: 'string'; size: number }
  | { k: 'vstring'; limit: number; ts: 'string'; size: null }
  | { k: 'bytes'; n: number; ts: 'Uint8Array'; size: number }
  | { k: 'vbytes'; from: string | undefined; ts: 'Uint8Array'; size: null }
  | { k: 'array'; n: number; elem: Codec; ts: string; size: number | null }
  | { k: 'varray'; from: string | undefined; elem: Codec; ts: string; size: null };

function isIdent(s: string): boolean {
  return /^[A-Za-z_$][\w$]*$/.test(s);
}
function key(s: string): string {
  return isIdent(s) ? s : JSON.stringify(s);
}
function prop(obj: string, name: string): string {
  return isIdent(name) ? `${obj}.${name}` : `${obj}[${JSON.stringify(name)}]`;
}
function q(s: string): string {
  return JSON.stringify(s);
}

/** The names of every type of `set` (a function naming one cannot move to the shared file). */
export function typeNamesOf(set: SchemaSet): Set<string> {
  const out = new Set<string>();
  for (const m of set.modules.values()) for (const t of m.types) out.add(t.name);
  return out;
}

/** All loaded modules, with type ownership across imports. */
export class SchemaSet {
  readonly modules = new Map<string, ModuleSpec>();
  private readonly typeIndex = new Map<string, Map<string, TypeSpec>>();

  constructor(modules: readonly ModuleSpec[]) {
    for (const m of modules) {
      if (this.modules.has(m.name)) throw new SchemaError(`module ${m.name} given twice`);
      this.modules.set(m.name, m);
      this.typeIndex.set(m.name, new Map(m.types.map((t) => [t.name, t])));
    }
  }

  /** The type `name` as module `mod` sees it. */
  type(name: string, mod: string): TypeSpec {
    const t = this.typeIndex.get(mod)?.get(name);
    if (!t) throw new SchemaError(`${mod}: unknown type ${name}`);
    return t;
  }

  /** The module that defines `name`: the deepest import (among loaded modules) that has it. */
  owner(name: string, mod: string, seen = new Set<string>()): string {
    seen.add(mod);
    const m = this.modules.get(mod);
    for (const imp of m?.imports ?? []) {
      if (seen.has(imp) || !this.typeIndex.get(imp)?.has(name)) continue;
      return this.owner(name, imp, seen);
    }
    return mod;
  }

  ownsType(t: TypeSpec, mod: string): boolean {
    return this.owner(t.name, mod) === mod;
  }
}

interface Ctx {
  set: SchemaSet;
  mod: string;
  external: EmitOptions['external'];
  /** imports from other generated modules: module specifier → names */
  imports: Map<string, Set<string>>;
  typeImports: Map<string, Set<string>>;
  runtime: Set<string>;
  counter: number;
  /** Whether a message refers to the module name constant `M_`. */
  usesModule?: boolean;
}

function rt(ctx: Ctx, name: string): string {
  ctx.runtime.add(name);
  return name;
}

/** Reference a symbol that lives with type `typeName`; records the import; returns the local name. */
function ref(ctx: Ctx, typeName: string, symbol: string, typeOnly = false): string {
  const owner = ctx.set.owner(typeName, ctx.mod);
  const from = ctx.external?.(typeName, owner) ?? (owner !== ctx.mod ? `./${owner}.js` : undefined);
  if (from !== undefined) {
    const map = typeOnly ? ctx.typeImports : ctx.imports;
    let s = map.get(from);
    if (!s) map.set(from, (s = new Set()));
    s.add(symbol);
  }
  return symbol;
}

const structSizeCache = new WeakMap<object, number | null>();

function resolveType(ctx: Ctx, type: string): Codec {
  switch (type) {
    case 'u8':
    case 'i8':
    case 'u16':
    case 'i16':
    case 'u32':
    case 'i32':
      return { k: 'int', w: type, ts: 'number', size: INT_SIZE[type]! };
    case 'u64':
    case 'i64':
      return { k: 'big', w: type, ts: 'bigint', size: 8 };
    case 'f64':
      return { k: 'f64', ts: 'number', size: 8 };
    case 'bool':
      return { k: 'bool', ts: 'boolean', size: 1 };
    case 'string':
      return { k: 'vstring', limit: 0, ts: 'string', size: null };
  }
  const name = shortName(type);
  if (name === type) throw new SchemaError(`${ctx.mod}: unknown base type ${type}`);
  const text = TEXT[name];
  if (text) return { k: 'text', t: text.t, ts: ref(ctx, name, name, true), size: text.size, zero: text.zero };
  const t = ctx.set.type(name, ctx.mod);
  switch (t.kind) {
    case 'enum':
    case 'enumflags':
      if (!(t.width in INT_SIZE)) throw new SchemaError(`${ctx.mod}: enum ${name} has width ${t.width}`);
      return { k: 'int', w: t.width, ts: ref(ctx, name, name, true), size: INT_SIZE[t.width]! };
    case 'alias': {
      if (t.length !== undefined) {
        const field: FieldSpec = { type: t.type, name, length: t.length };
        const c = resolveField(ctx, field);
        return { ...c, ts: ref(ctx, name, name, true) } as Codec;
      }
      const base = resolveType(ctx, t.type);
      return { ...base, ts: ref(ctx, name, name, true) } as Codec;
    }
    case 'struct':
      return { k: 'struct', name, ts: ref(ctx, name, name, true), size: structSize(ctx, t) };
    case 'union':
      return { k: 'union', name, ts: ref(ctx, name, name, true), size: unionSize(ctx, t) };
  }
}

function structSize(ctx: Ctx, t: StructSpec): number | null {
  if (structSizeCache.has(t)) return structSizeCache.get(t)!;
  const sub: Ctx = {
    ...ctx,
    mod: ctx.set.owner(t.name, ctx.mod),
    imports: new Map(),
    typeImports: new Map(),
    runtime: new Set(),
  };
  let n: number | null = 0;
  for (const f of t.fields) {
    const c = resolveField(sub, f);
    if (f.discriminator !== undefined) {
      n = n === null ? null : n + (c.size ?? 0);
      continue;
    }
    if (c.size === null || n === null) {
      n = null;
      break;
    }
    n += c.size;
  }
  structSizeCache.set(t, n);
  return n;
}

function unionSize(ctx: Ctx, t: StructSpec): number {
  const sub: Ctx = {
    ...ctx,
    mod: ctx.set.owner(t.name, ctx.mod),
    imports: new Map(),
    typeImports: new Map(),
    runtime: new Set(),
  };
  let n = 0;
  for (const f of t.fields) {
    const c = resolveField(sub, f);
    if (c.size === null) throw new SchemaError(`${ctx.mod}: union ${t.name} member ${f.name} has no fixed size`);
    n = Math.max(n, c.size);
  }
  return n;
}

function resolveField(ctx: Ctx, f: FieldSpec): Codec {
  if (f.type === 'string') {
    if (f.length !== undefined && f.length > 0) return { k: 'fstring', n: f.length, ts: 'string', size: f.length };
    return { k: 'vstring', limit: f.limit ?? 0, ts: 'string', size: null };
  }
  if (f.length === undefined) return resolveType(ctx, f.type);
  if (f.type === 'u8') {
    if (f.length > 0) return { k: 'bytes', n: f.length, ts: 'Uint8Array', size: f.length };
    return { k: 'vbytes', from: f.lengthFrom, ts: 'Uint8Array', size: null };
  }
  const elem = resolveType(ctx, f.type);
  const ets = /[|&]/.test(elem.ts) ? `(${elem.ts})` : elem.ts;
  if (f.length > 0) {
    return { k: 'array', n: f.length, elem, ts: `${ets}[]`, size: elem.size === null ? null : elem.size * f.length };
  }
  return { k: 'varray', from: f.lengthFrom, elem, ts: `${ets}[]`, size: null };
}

// ---------------------------------------------------------------------------------------------
// values

function literal(c: Codec, v: unknown): string {
  switch (c.k) {
    case 'bool':
      return String(v === true || v === 1 || v === 'true' || (typeof v === 'number' && v !== 0));
    case 'big':
      return `${BigInt(v as number | string)}n`;
    case 'int':
    case 'f64': {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new SchemaError(`bad default ${JSON.stringify(v)}`);
      return String(n);
    }
    default:
      return JSON.stringify(v);
  }
}

function zero(ctx: Ctx, c: Codec): string {
  switch (c.k) {
    case 'int':
    case 'f64':
      return '0';
    case 'big':
      return '0n';
    case 'bool':
      return 'false';
    case 'text':
      return c.zero;
    case 'fstring':
    case 'vstring':
      return "''";
    case 'bytes':
      return `new Uint8Array(${c.n})`;
    case 'vbytes':
      return 'new Uint8Array(0)';
    case 'struct':
    case 'union':
      return `${ref(ctx, c.name, `create_${c.name}`)}()`;
    case 'array':
      if (
        c.elem.k === 'int' ||
        c.elem.k === 'f64' ||
        c.elem.k === 'bool' ||
        c.elem.k === 'big' ||
        c.elem.k === 'text'
      ) {
        return `new Array<${c.elem.ts}>(${c.n}).fill(${zero(ctx, c.elem)})`;
      }
      return `Array.from({ length: ${c.n} }, () => ${zero(ctx, c.elem)})`;
    case 'varray':
      return '[]';
  }
}

function intCheck(w: string, x: string): string {
  switch (w) {
    case 'u8':
      return `(${x} & 0xff) !== ${x}`;
    case 'i8':
      return `((${x} << 24) >> 24) !== ${x}`;
    case 'u16':
      return `(${x} & 0xffff) !== ${x}`;
    case 'i16':
      return `((${x} << 16) >> 16) !== ${x}`;
    case 'u32':
      return `${x} >>> 0 !== ${x}`;
    case 'i32':
      return `(${x} | 0) !== ${x}`;
  }
  throw new SchemaError(`no int check for ${w}`);
}

/**
 * A block writing integer field `val` (width `w`) at `off`: absent takes `def`; anything but a number
 * that fits (bigint, string, null, NaN, fractions, out of range) throws `intError`, a VppEncodeError.
 */
function intStmt(ctx: Ctx, w: string, val: string, off: string, p: string, def: string | undefined): string {
  // written out at every field (not a shared helper): V8 inlines only so many calls into one
  // function, and a check that is not inlined costs more than the encoding of a small message
  // (a header included: one helper for the three header fields measured up to 20% slower on
  // control_ping, as its checks then see every message's values)
  const ok = intCheck(w, 'x').replace(' !== ', ' === ');
  const slow =
    def !== undefined && def !== '0'
      ? `${rt(ctx, 'intOr')}(x, ${p}, ${INT_CODE[w]!}, ${def})`
      : `${rt(ctx, 'intValue')}(x, ${p}, ${INT_CODE[w]!})`;
  return `${intWriteExpr(w, off, `typeof (x = ${val}) === 'number' && ${ok} ? x : ${slow}`)};`;
}

/** The width codes `intValue` takes (src/codec/fields.ts): bytes, negative for signed. */
const INT_CODE: Record<string, number> = { u8: 1, u16: 2, u32: 4, i8: -1, i16: -2, i32: -4 };

function intWriteExpr(w: string, off: string, e: string): string {
  switch (w) {
    case 'u8':
    case 'i8':
      return `b[${off}] = ${e}`;
    case 'u16':
      return `dv.setUint16(${off}, ${e})`;
    case 'i16':
      return `dv.setInt16(${off}, ${e})`;
    case 'u32':
      return `dv.setUint32(${off}, ${e})`;
    case 'i32':
      return `dv.setInt32(${off}, ${e})`;
  }
  throw new SchemaError(`no int write for ${w}`);
}

function intWrite(w: string, off: string, x: string): string {
  switch (w) {
    case 'u8':
      return `b[${off}] = ${x};`;
    case 'i8':
      return `b[${off}] = ${x};`;
    case 'u16':
      return `dv.setUint16(${off}, ${x});`;
    case 'i16':
      return `dv.setInt16(${off}, ${x});`;
    case 'u32':
      return `dv.setUint32(${off}, ${x});`;
    case 'i32':
      return `dv.setInt32(${off}, ${x});`;
  }
  throw new SchemaError(`no int write for ${w}`);
}

function intRead(w: string, off: string): string {
  switch (w) {
    case 'u8':
      return `b[${off}]!`;
    case 'i8':
      return `dv.getInt8(${off})`;
    case 'u16':
      return `dv.getUint16(${off})`;
    case 'i16':
      return `dv.getInt16(${off})`;
    case 'u32':
      return `dv.getUint32(${off})`;
    case 'i32':
      return `dv.getInt32(${off})`;
  }
  throw new SchemaError(`no int read for ${w}`);
}

/** Fixed arrays this short are encoded/decoded element by element without a loop. */
const UNROLL_MAX = 16;

/**
 * Structs and unions this small are encoded/decoded in place instead of through a call, except as
 * the elements of a loop: a loop body stays a call, so the big straight-line code lives in a function
 * without loops (V8 may otherwise optimise it only on-stack, once, and run it slowly ever after).
 */
const INLINE_MAX_FIELDS = 12;

/** The fields of a small fixed-size struct/union without counts or discriminators, else undefined. */
function inlineFields(ctx: Ctx, name: string): FieldSpec[] | undefined {
  const t = ctx.set.type(name, ctx.mod);
  if (t.kind !== 'struct' && t.kind !== 'union') return undefined;
  if (t.fields.length > INLINE_MAX_FIELDS) return undefined;
  if (
    t.fields.some(
      (f) =>
        f.discriminator !== undefined ||
        f.lengthFrom !== undefined ||
        f.length === 0 ||
        (f.type === 'string' && !f.length),
    )
  )
    return undefined;
  for (const f of t.fields) if (resolveField(ctx, f).size === null) return undefined;
  return t.fields;
}

/**
 * For a struct element made only of integer fields without defaults (an MPLS label), the field names: an
 * element whose fields are all 0 (or that is absent) encodes as zeros, which a zeroed array already holds.
 */
function zeroTestFields(ctx: Ctx, c: Codec): string[] | undefined {
  if (c.k !== 'struct') return undefined;
  const fields = inlineFields(ctx, c.name);
  if (!fields || fields.length > 6) return undefined;
  for (const f of fields)
    if (f.default !== undefined || f.length !== undefined || resolveField(ctx, f).k !== 'int') return undefined;
  return fields.map((f) => f.name);
}

/** `off + k`, folding a trailing constant: `o + 4` + 2 → `o + 6`. */
function plusExpr(off: string, k: number): string {
  if (k === 0) return off;
  const m = /^(.*?) \+ (\d+)$/.exec(off);
  if (m && !/[()]/.test(m[1]!)) return `${m[1]!} + ${Number(m[2]) + k}`;
  if (/^\d+$/.test(off)) return String(Number(off) + k);
  return `${off} + ${k}`;
}

// ---------------------------------------------------------------------------------------------
// encoding

/**
 * Declares `name` as struct/union value `val` checked to be an object: the common case (a plain object)
 * is tested in place, `objectOf` (a call) only handles absent values and throws on the rest.
 */
function objDecl(ctx: Ctx, name: string, val: string, ts: string): string {
  return `const ${name}: ${ts} = typeof (x = ${val}) === 'object' && x !== null && !Array.isArray(x) ? x : ${rt(ctx, 'objectOf')}(x);`;
}

/** Statements writing fixed-size `c` from `val` at `off`; `path` is a template-literal body. */
function encFixed(
  ctx: Ctx,
  c: Codec,
  val: string,
  off: string,
  path: string,
  def: string | undefined,
  depth: number,
  inline = true,
): string {
  const p = '`' + path + '`';
  switch (c.k) {
    case 'int':
      return intStmt(ctx, c.w, val, off, p, def);
    case 'bool':
      return `b[${off}] = (x = ${val}) === true ? 1 : x === false ? 0 : ${def === 'true' ? `${rt(ctx, 'boolOr')}(x, ${p}, 1)` : `${rt(ctx, 'boolValue')}(x, ${p})`};`;
    case 'big':
      return `${rt(ctx, c.w === 'u64' ? 'wU64' : 'wI64')}(dv, ${off}, ${val}, ${p}${def !== undefined && def !== '0n' ? `, ${def}` : ''});`;
    case 'f64':
      // f64 travels little-endian (see wF64)
      return `${rt(ctx, 'wF64')}(dv, ${off}, ${val}, ${p}${def !== undefined && def !== '0' ? `, ${def}` : ''});`;
    case 'text':
      return `${rt(ctx, 'write' + c.t)}(b, ${off}, ${val}, ${p});`;
    case 'fstring':
      return `${rt(ctx, 'writeFixedString')}(b, ${off}, ${c.n}, ${val}${def !== undefined ? ` ?? ${def}` : ''}, ${p});`;
    case 'bytes':
      return `${rt(ctx, 'writeFixedBytes')}(b, ${off}, ${c.n}, ${val}, ${p});`;
    case 'struct':
    case 'union': {
      const fields = c.k === 'struct' && inline ? inlineFields(ctx, c.name) : undefined;
      if (fields) {
        // small fixed-size struct: written in place, no call
        const sv = `s${ctx.counter++}`;
        let K = 0;
        const stmts = fields.map((f) => {
          const fc = resolveField(ctx, f);
          const stmt = encFixed(
            ctx,
            fc,
            prop(sv, f.name),
            plusExpr(off, K),
            f.name,
            f.default !== undefined ? literal(fc, f.default) : undefined,
            depth + 1,
          );
          K += fc.size!;
          return stmt;
        });
        return `try { ${objDecl(ctx, sv, val, c.ts)} ${stmts.join(' ')} } catch (e) { throw ${rt(ctx, 'nestError')}(e, ${p}); }`;
      }
      const fn = ref(ctx, c.name, `encode_${c.name}`);
      const sv = `s${ctx.counter++}`;
      return `try { ${objDecl(ctx, sv, val, c.ts)} ${fn}(${sv}, b, dv, ${off}); } catch (e) { throw ${rt(ctx, 'nestError')}(e, ${p}); }`;
    }
    case 'array': {
      if (c.elem.size === null) throw new SchemaError('fixed array of variable elements reached encFixed');
      const a = `a${depth}`;
      const i = `i${depth}`;
      const head = `const ${a} = ${rt(ctx, 'arrayOf')}(${val}, ${p}); if (${a}.length > ${c.n}) throw ${rt(ctx, 'arrayLengthError')}(${p}, ${a}.length, ${c.n});`;
      if (c.n <= UNROLL_MAX) {
        const zf = zeroTestFields(ctx, c.elem);
        const items: string[] = [];
        for (let k = 0; k < c.n; k++) {
          const item = encFixed(
            ctx,
            c.elem,
            `${a}[${k}]`,
            plusExpr(off, k * c.elem.size),
            `${path}[${k}]`,
            undefined,
            depth + 1,
          );
          if (!zf) {
            items.push(item);
            continue;
          }
          // all-zero elements (every label of an unlabelled path) leave the zeroed bytes as they are
          const e = `${a}_${k}`;
          items.push(
            `{ const ${e} = ${a}[${k}]; if (!(${e} === undefined || (${e} !== null && ${zf.map((f) => `${prop(e, f)} === 0`).join(' && ')}))) ${item} }`,
          );
        }
        return `{ ${head}${zf ? ` ${rt(ctx, 'zeroBytes')}(b, ${off}, ${c.n * c.elem.size});` : ''} ${items.join(' ')} }`;
      }
      const inner = encFixed(
        ctx,
        c.elem,
        `${a}[${i}]`,
        `${off} + ${i} * ${c.elem.size}`,
        `${path}[\${${i}}]`,
        undefined,
        depth + 1,
        false,
      );
      return `{ ${head} for (let ${i} = 0; ${i} < ${c.n}; ${i}++) ${inner} }`;
    }
    default:
      throw new SchemaError(`${c.k} is not fixed-size`);
  }
}

/** Statements writing variable-size `c` from `val` at `o`, advancing `o`. */
function encVar(ctx: Ctx, c: Codec, val: string, path: string, depth: number): string {
  const p = '`' + path + '`';
  switch (c.k) {
    case 'vstring':
      return `o = ${rt(ctx, 'writeVarString')}(b, dv, o, ${val}, ${c.limit}, ${p});`;
    case 'vbytes':
      return `o = ${rt(ctx, 'writeBytes')}(b, o, ${val}, ${p});`;
    case 'struct': {
      const fn = ref(ctx, c.name, `encode_${c.name}`);
      const sv = `s${ctx.counter++}`;
      return `try { ${objDecl(ctx, sv, val, c.ts)} o = ${fn}(${sv}, b, dv, o); } catch (e) { throw ${rt(ctx, 'nestError')}(e, ${p}); }`;
    }
    case 'array':
    case 'varray': {
      const a = `a${depth}`;
      const i = `i${depth}`;
      const bound = c.k === 'array' ? String(c.n) : `${a}.length`;
      const check =
        c.k === 'array'
          ? `if (${a}.length > ${c.n}) throw ${rt(ctx, 'arrayLengthError')}(${p}, ${a}.length, ${c.n}); `
          : '';
      const ep = `${path}[\${${i}}]`;
      const inner =
        c.elem.size !== null
          ? `{ ${encFixed(ctx, c.elem, `${a}[${i}]`, 'o', ep, undefined, depth + 1, false)} o += ${c.elem.size}; }`
          : `{ ${encVar(ctx, c.elem, `${a}[${i}]`, ep, depth + 1)} }`;
      return `{ const ${a} = ${rt(ctx, 'arrayOf')}(${val}, ${p}); ${check}for (let ${i} = 0; ${i} < ${bound}; ${i}++) ${inner} }`;
    }
    default:
      throw new SchemaError(`${c.k} is not variable-size`);
  }
}

/** Expression for the encoded size of variable `c` holding `val`. */
function sizeVar(ctx: Ctx, c: Codec, val: string, depth: number): string {
  switch (c.k) {
    case 'vstring':
      return `${rt(ctx, 'sizeVarString')}(${val})`;
    case 'vbytes':
      return `${rt(ctx, 'bytesLength')}(${val})`;
    case 'struct':
      return `${ref(ctx, c.name, `size_${c.name}`)}(${val} ?? ${rt(ctx, 'EMPTY_OBJECT')})`;
    case 'array':
    case 'varray': {
      if (c.elem.size !== null) {
        if (c.k === 'array') return String(c.n * c.elem.size);
        return `${rt(ctx, 'countOf')}(${val}, '') * ${c.elem.size}`;
      }
      const a = `a${depth}`;
      return `((${a}) => { let n = 0; for (const x of ${a}) n += ${sizeVar(ctx, c.elem, 'x', depth + 1)}; return n; })(${rt(ctx, 'arrayOf')}(${val}, ''))`;
    }
    default:
      throw new SchemaError(`${c.k} is not variable-size`);
  }
}

// ---------------------------------------------------------------------------------------------
// decoding

/** Statements declaring `target` with fixed-size `c` read at `off`. */
function decFixed(ctx: Ctx, c: Codec, off: string, target: string, depth: number, inline = true): string {
  switch (c.k) {
    case 'int':
      return `const ${target} = ${intRead(c.w, off)};`;
    case 'bool':
      return `const ${target} = b[${off}] !== 0;`;
    case 'big':
      return `const ${target} = dv.${c.w === 'u64' ? 'getBigUint64' : 'getBigInt64'}(${off});`;
    case 'f64':
      return `const ${target} = dv.getFloat64(${off}, true);`;
    case 'text':
      return `const ${target} = ${rt(ctx, 'read' + c.t)}(b, ${off});`;
    case 'fstring':
      return `const ${target} = ${rt(ctx, 'readFixedString')}(b, ${off}, ${c.n});`;
    case 'bytes':
      return `const ${target} = ${rt(ctx, 'readBytes')}(b, ${off}, ${c.n});`;
    case 'struct':
    case 'union': {
      const fields = inline ? inlineFields(ctx, c.name) : undefined;
      if (fields) {
        // small fixed-size struct or union: read in place (the caller checked the bounds)
        let K = 0;
        const stmts: string[] = [];
        const parts: string[] = [];
        fields.forEach((f, i) => {
          const fc = resolveField(ctx, f);
          const local = `${target}_${i}`;
          stmts.push(decFixed(ctx, fc, c.k === 'union' ? off : plusExpr(off, K), local, depth + 1));
          parts.push(`${key(f.name)}: ${local}`);
          if (c.k === 'struct') K += fc.size!;
        });
        return `${stmts.join(' ')} const ${target} = { ${parts.join(', ')} };`;
      }
      return `c.o = ${off}; const ${target} = ${ref(ctx, c.name, `decode_${c.name}`)}(c);`;
    }
    case 'array': {
      const i = `i${depth}`;
      const e = `e${depth}`;
      if (c.n <= UNROLL_MAX) {
        const stmts: string[] = [];
        const names: string[] = [];
        for (let k = 0; k < c.n; k++) {
          stmts.push(decFixed(ctx, c.elem, plusExpr(off, k * c.elem.size!), `${target}_${k}`, depth + 1));
          names.push(`${target}_${k}`);
        }
        return `${stmts.join(' ')} const ${target}: ${c.ts} = [${names.join(', ')}];`;
      }
      return `const ${target}: ${c.ts} = []; for (let ${i} = 0; ${i} < ${c.n}; ${i}++) { ${decFixed(ctx, c.elem, `${off} + ${i} * ${c.elem.size!}`, e, depth + 1, false)} ${target}.push(${e}); }`;
    }
    default:
      throw new SchemaError(`${c.k} is not fixed-size`);
  }
}

/** Statements declaring `target` with variable `c` read at `o` (advancing `o`); `count` is a local or undefined. */
function decVar(ctx: Ctx, c: Codec, target: string, field: string, count: string | undefined, depth: number): string {
  switch (c.k) {
    case 'vstring':
      return `c.o = o; const ${target} = ${rt(ctx, 'readVarString')}(c, ${q(field)}); o = c.o;`;
    case 'vbytes': {
      const n = count ?? 'c.end - o';
      const nv = `${target}_n`;
      return `const ${nv} = ${n}; if (${nv} > c.end - o) throw ${rt(ctx, 'badCount')}(o, ${q(field)}, ${nv}, ${nv}, c.end - o); const ${target} = ${rt(ctx, 'readBytes')}(b, o, ${nv}); o += ${nv};`;
    }
    case 'struct':
      return `c.o = o; const ${target} = ${ref(ctx, c.name, `decode_${c.name}`)}(c); o = c.o;`;
    case 'array':
    case 'varray': {
      const i = `i${depth}`;
      const e = `e${depth}`;
      const n = `${target}_n`;
      const s = c.elem.size;
      if (s !== null) {
        const cnt = c.k === 'array' ? String(c.n) : (count ?? `Math.floor((c.end - o) / ${s})`);
        return `const ${n} = ${cnt}; if (${n} * ${s} > c.end - o) throw ${rt(ctx, 'badCount')}(o, ${q(field)}, ${n}, ${n} * ${s}, c.end - o); const ${target}: ${c.ts} = []; for (let ${i} = 0; ${i} < ${n}; ${i}++) { ${decFixed(ctx, c.elem, `o + ${i} * ${s}`, e, depth + 1, false)} ${target}.push(${e}); } o += ${n} * ${s};`;
      }
      const inner = decVar(ctx, c.elem, e, `${field}[]`, undefined, depth + 1);
      if (c.k === 'array' || count !== undefined) {
        const cnt = c.k === 'array' ? String(c.n) : count!;
        return `const ${n} = ${cnt}; if (${n} > c.end - o) throw ${rt(ctx, 'badCount')}(o, ${q(field)}, ${n}, ${n}, c.end - o); const ${target}: ${c.ts} = []; for (let ${i} = 0; ${i} < ${n}; ${i}++) { ${inner} ${target}.push(${e}); }`;
      }
      return `const ${target}: ${c.ts} = []; while (o < c.end) { ${inner} ${target}.push(${e}); }`;
    }
    default:
      throw new SchemaError(`${c.k} is not variable-size`);
  }
}

// ---------------------------------------------------------------------------------------------
// struct / message bodies

interface Body {
  ts: string;
  enc: string[];
  dec: string[];
  /** Fixed size, or null with `size` lines computing `n`. */
  fixed: number | null;
  size: string[];
  create: string;
}

interface Disc {
  field: FieldSpec;
  union: StructSpec;
  tagField: FieldSpec;
  tagCodec: Codec;
  enumName: string;
  /** `override`: the schema names no member for this tag; UNION_CASE_OVERRIDES gives VPP's. */
  cases: { member: FieldSpec; value: number; caseName: string; codec: Codec; override?: true }[];
  /** Enum values no member names as its case: the union is then carried whole (every member). */
  uncovered: [string, number][];
  size: number;
}

/**
 * Tag values a schema leaves without a member (`case`), mapped to the member VPP's own C code uses for
 * them, by union type name. Only facts read in VPP's source belong here; any other uncovered tag keeps
 * the whole union (every member), as the schema gives nothing better.
 */
export const UNION_CASE_OVERRIDES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  // VPP 26.06's npol.api names no member for NPOL_IP_SET (3). FD.io vpp src/plugins/npol/npol_api.c,
  // npol_rule_entry_decode(), reads it together with NPOL_PORT_IP_SET
  // (`case NPOL_PORT_IP_SET: case NPOL_IP_SET: out->data.set_id = ntohl (in->data.set_id.set_id)`),
  // and npol_rule.c keeps entry->data.set_id for both: the member is `set_id`.
  npol_entry_data: { NPOL_IP_SET: 'set_id' },
};

function discOf(ctx: Ctx, owner: string, fields: FieldSpec[], f: FieldSpec): Disc {
  const tagField = fields.find((x) => x.name === f.discriminator);
  if (!tagField) throw new SchemaError(`${owner}: discriminator ${f.discriminator} of ${f.name} is not a field`);
  const u = ctx.set.type(shortName(f.type), ctx.mod);
  if (u.kind !== 'union') throw new SchemaError(`${owner}: ${f.name} has a discriminator but is not a union`);
  const enumName = shortName(tagField.type);
  const e = ctx.set.type(enumName, ctx.mod);
  if (e.kind !== 'enum' && e.kind !== 'enumflags')
    throw new SchemaError(`${owner}: discriminator ${tagField.name} is not an enum`);
  const uctx: Ctx = { ...ctx, mod: ctx.set.owner(u.name, ctx.mod) };
  const cases: Disc['cases'] = u.fields.map((m) => {
    if (!m.case) throw new SchemaError(`${owner}: union ${u.name} member ${m.name} has no case`);
    const v = (e as EnumSpec).values.find(([n]) => n === m.case);
    if (!v) throw new SchemaError(`${owner}: case ${m.case} is not in enum ${enumName}`);
    const codec = resolveField(uctx, m);
    // member types are referenced from this module too
    resolveField(ctx, m);
    return { member: m, value: v[1], caseName: m.case, codec };
  });
  const covered = new Set(cases.map((k) => k.value));
  const uncovered: [string, number][] = [];
  const overrides = UNION_CASE_OVERRIDES[u.name] ?? {};
  for (const [name, value] of (e as EnumSpec).values) {
    if (covered.has(value)) continue;
    covered.add(value);
    const memberName = overrides[name];
    const member = memberName === undefined ? undefined : u.fields.find((m) => m.name === memberName);
    if (memberName !== undefined && !member)
      throw new SchemaError(`${owner}: override for ${name} names ${memberName}, not a member of ${u.name}`);
    if (member) cases.push({ member, value, caseName: name, codec: resolveField(uctx, member), override: true });
    else uncovered.push([name, value]);
  }
  if (uncovered.length) ref(ctx, u.name, `encode_${u.name}`);
  return {
    field: f,
    union: u,
    tagField,
    tagCodec: resolveField(ctx, tagField),
    enumName,
    cases,
    uncovered,
    size: unionSize(ctx, u),
  };
}

function emitBody(ctx: Ctx, owner: string, fields: FieldSpec[], isMessage: boolean): Body {
  const enc: string[] = [];
  const dec: string[] = ['const b = c.b;', 'const dv = c.dv;', 'let o = c.o;'];
  const sizeLines: string[] = [];
  const tsLines: string[] = [];
  const createParts: string[] = [];
  const locals: string[] = [];
  const countFields = new Map<string, string>(); // count field name → array field name
  const discs = new Map<string, Disc>();
  const discByTag = new Map<string, Disc>(); // discriminator field name → its union
  for (const f of fields) {
    if (f.lengthFrom !== undefined) {
      if (!fields.some((x) => x.name === f.lengthFrom))
        throw new SchemaError(`${owner}: ${f.name} counted by missing ${f.lengthFrom}`);
      if (!countFields.has(f.lengthFrom)) countFields.set(f.lengthFrom, f.name);
    }
    if (f.discriminator !== undefined) {
      const d = discOf(ctx, owner, fields, f);
      discs.set(f.name, d);
      discByTag.set(d.tagField.name, d);
    }
  }
  const HEADER = new Set(['_vl_msg_id', 'client_index', 'context']);
  let K = 0; // static offset since `o`
  let fixed: number | null = 0;
  let runStart = -1; // index into dec where the pending bounds check goes
  let runSize = 0;
  const openRun = (): void => {
    runStart = dec.length;
    dec.push('');
    runSize = 0;
  };
  const closeRun = (): void => {
    if (runStart >= 0) {
      dec[runStart] =
        runSize > 0 ? `if (o + ${runSize} > c.end) throw ${rt(ctx, 'truncatedAt')}(c, o, ${runSize});` : '';
      runStart = -1;
    }
  };
  openRun();
  const countLocal = new Map<string, string>();
  const tagLocal = new Map<string, string>();
  fields.forEach((f, idx) => {
    const c = resolveField(ctx, f);
    const local = `f${idx}`;
    locals.push(local);
    const v = prop('v', f.name);
    const def = f.default !== undefined ? literal(c, f.default) : undefined;
    const disc = discs.get(f.name);
    const optional = (isMessage && HEADER.has(f.name) && idx < 3) || countFields.has(f.name);
    if (!disc) tsLines.push(`  ${key(f.name)}${optional ? '?' : ''}: ${c.ts};`);
    // create()
    if (!(isMessage && HEADER.has(f.name) && idx < 3)) {
      if (disc) createParts.push(`${key(f.name)}: ${discCreate(ctx, disc)}`);
      else if (discByTag.has(f.name))
        createParts.push(`${key(f.name)}: ${def ?? String(firstCase(discByTag.get(f.name)!).value)}`);
      else createParts.push(`${key(f.name)}: ${def ?? zero(ctx, c)}`);
    }
    if (c.size !== null) {
      const off = plusExpr('o', K);
      // encode
      if (countFields.has(f.name)) {
        const arr = countFields.get(f.name)!;
        const cl = `cnt_${idx}`;
        if (c.k !== 'int') throw new SchemaError(`${owner}: count field ${f.name} is not an integer`);
        enc.push(
          `const ${cl} = ${rt(ctx, 'countOf')}(${prop('v', arr)}, ${q(arr)}); if (${intCheck(c.w, cl)}) throw ${rt(ctx, 'arrayLengthError')}(${q(arr)}, ${cl}, ${INT_MAX[c.w]!}); ${intWrite(c.w, off, cl)}`,
        );
      } else if (discByTag.has(f.name)) {
        const tl = `tag_${idx}`;
        tagLocal.set(f.name, tl);
        if (c.k !== 'int') throw new SchemaError(`${owner}: discriminator ${f.name} is not an integer`);
        enc.push(
          `let ${tl} = ${v}; if (${tl} === undefined) ${tl} = ${def ?? '0'}; else if (typeof ${tl} !== 'number' || ${intCheck(c.w, tl)}) throw ${rt(ctx, 'intError')}(${q(f.name)}, ${tl}, '${c.w}'); ${intWrite(c.w, off, tl)}`,
        );
      } else if (disc) {
        enc.push(encDisc(ctx, disc, v, off, tagLocal.get(disc.tagField.name)!));
      } else {
        enc.push(encFixed(ctx, c, v, off, f.name, def, 0));
      }
      // decode
      if (disc) dec.push(decDisc(ctx, disc, off, local, `f${fields.indexOf(disc.tagField)}`));
      else dec.push(decFixed(ctx, c, off, local, 0));
      if (countFields.has(f.name)) countLocal.set(f.name, local);
      K += c.size;
      runSize += c.size;
      if (fixed !== null) fixed += c.size;
    } else {
      fixed = null;
      if (K) {
        enc.push(`o += ${K};`);
        dec.push(`o += ${K};`);
        sizeLines.push(`n += ${K};`);
      }
      K = 0;
      closeRun();
      enc.push(encVar(ctx, c, v, f.name, 0));
      sizeLines.push(`n += ${sizeVar(ctx, c, v, 0)};`);
      const count = f.lengthFrom !== undefined ? countLocal.get(f.lengthFrom) : undefined;
      if (f.lengthFrom !== undefined && count === undefined)
        throw new SchemaError(`${owner}: count ${f.lengthFrom} comes after ${f.name}`);
      dec.push(decVar(ctx, c, local, f.name, count, 0));
      openRun();
    }
  });
  closeRun();
  enc.push(`return ${plusExpr('o', K)};`);
  dec.push(`c.o = ${plusExpr('o', K)};`);
  if (K) sizeLines.push(`n += ${K};`);
  // return object
  const objParts = fields.map((f, idx) => `${key(f.name)}: f${idx}`);
  let ts: string;
  if (discs.size === 0) ts = `{\n${tsLines.join('\n')}\n}`;
  else {
    if (discs.size > 1) throw new SchemaError(`${owner}: more than one discriminated union`);
    const d = [...discs.values()][0]!;
    const enumRef = ref(ctx, d.enumName, d.enumName, true);
    const common = tsLines.filter(
      (l) =>
        !l.trimStart().startsWith(`${key(d.tagField.name)}:`) && !l.trimStart().startsWith(`${key(d.tagField.name)}?:`),
    );
    const variants = d.cases.map(
      (k) =>
        `  | {\n${common.map((l) => '    ' + l.trimStart() + '\n').join('')}    ${key(d.tagField.name)}: typeof ${enumRef}.${k.caseName};\n${
          k.override
            ? `    /** The schema names no member for ${k.caseName}; VPP's C code reads \`${k.member.name}\` for it (generator: UNION_CASE_OVERRIDES). */\n`
            : ''
        }    ${key(d.field.name)}: { ${key(k.member.name)}: ${k.codec.ts} };\n  }`,
    );
    for (const [name] of d.uncovered) {
      variants.push(
        `  | {\n${common.map((l) => '    ' + l.trimStart() + '\n').join('')}    ${key(d.tagField.name)}: typeof ${enumRef}.${name};\n    ${key(d.field.name)}: ${ref(ctx, d.union.name, d.union.name, true)};\n  }`,
      );
    }
    ts = `\n${variants.join('\n')}`;
  }
  dec.push(`return { ${objParts.join(', ')} }${discs.size ? ` as unknown as T__` : ''};`);
  return { ts, enc, dec, fixed, size: sizeLines, create: `{ ${createParts.join(', ')} }` };
}

/** The case `create()` starts from: tag 0 when a member has it, else the first member. */
function firstCase(d: Disc): Disc['cases'][number] {
  return d.cases.find((k) => k.value === 0) ?? d.cases[0]!;
}

function discCreate(ctx: Ctx, d: Disc): string {
  const first = firstCase(d);
  return `{ ${key(first.member.name)}: ${zero(ctx, first.codec)} }`;
}

function encDisc(ctx: Ctx, d: Disc, val: string, off: string, tag: string): string {
  const u = `u_${d.field.name}`;
  const names = d.union.fields.map((m) => m.name);
  // several tags may select the same member (see UNION_CASE_OVERRIDES): one case label list per member
  const byMember = new Map<string, Disc['cases']>();
  for (const k of d.cases) {
    const l = byMember.get(k.member.name);
    if (l) l.push(k);
    else byMember.set(k.member.name, [k]);
  }
  const cases = [...byMember.values()]
    .map((ks) => {
      const k = ks[0]!;
      const others = names.filter((x) => x !== k.member.name);
      const tagText =
        ks.length === 1 ? `${k.value} (${k.caseName})` : `${ks.map((x) => `${x.value} (${x.caseName})`).join(' or ')}`;
      const mv = `${rt(ctx, 'taggedMember')}(${u}, ${q(k.member.name)}, ${JSON.stringify(others)}, ${q(tagText)}) as ${k.codec.ts} | undefined`;
      const labels = ks.map((x) => `case ${x.value}:`).join(' ');
      return `${labels} { let m_: ${k.codec.ts} | undefined; try { m_ = ${mv}; } catch (e) { throw ${rt(ctx, 'nestError')}(e, ${q(d.field.name)}); } ${encFixed(ctx, k.codec, 'm_', off, `${d.field.name}.${k.member.name}`, undefined, 1)} break; }`;
    })
    .join(' ');
  const whole = d.uncovered.length
    ? ` ${d.uncovered.map(([, v]) => `case ${v}:`).join(' ')} try { ${ref(ctx, d.union.name, `encode_${d.union.name}`)}(${u} as ${ref(ctx, d.union.name, d.union.name, true)}, b, dv, ${off}); } catch (e) { throw ${rt(ctx, 'nestError')}(e, ${q(d.field.name)}); } break;`
    : '';
  return `{ let ${u}: object; try { ${u} = ${rt(ctx, 'objectOf')}(${val} as object | undefined); } catch (e) { throw ${rt(ctx, 'nestError')}(e, ${q(d.field.name)}); } ${rt(ctx, 'zeroBytes')}(b, ${off}, ${d.size}); switch (${tag}) { ${cases}${whole} default: throw ${rt(ctx, 'badDiscriminator')}(${q(d.field.name)}, ${tag}); } }`;
}

function decDisc(ctx: Ctx, d: Disc, off: string, target: string, tagLocal: string): string {
  const cases = d.cases
    .map(
      (k) =>
        `case ${k.value}: { ${decFixed(ctx, k.codec, off, 'm', 1)} ${target} = { ${key(k.member.name)}: m }; break; }`,
    )
    .join(' ');
  const whole = d.uncovered.length
    ? ` ${d.uncovered.map(([, v]) => `case ${v}:`).join(' ')} { c.o = ${off}; ${target} = ${ref(ctx, d.union.name, `decode_${d.union.name}`)}(c); break; }`
    : '';
  return `let ${target}: object; switch (${tagLocal}) { ${cases}${whole} default: throw ${rt(ctx, 'badDiscriminatorOnDecode')}(${off}, ${q(d.field.name)}, ${tagLocal}); }`;
}

// ---------------------------------------------------------------------------------------------
// per-type emission

function emitStruct(ctx: Ctx, t: StructSpec, out: string[]): void {
  const body = emitBody(ctx, t.name, t.fields, false);
  const n = t.name;
  if (body.ts.startsWith('\n'))
    out.push(`/** VPP type \`${n}\` (a tagged union on its discriminator). */\nexport type ${n} =${body.ts};`);
  else out.push(`/** VPP type \`${n}\`. */\nexport interface ${n} ${body.ts}`);
  out.push(
    `/** A \`${n}\` with defaults and zeros. */\nexport function create_${n}(): ${n} {\n  return ${body.create};\n}`,
  );
  if (body.fixed === null) {
    out.push(
      `/** Encoded size of a \`${n}\`. @internal */\nexport function size_${n}(v: ${n}): number {\n  return ${sizeExpr(body.size)};\n}`,
    );
  }
  out.push(
    `/** @internal */\nexport function encode_${n}(v: ${n}, b: Uint8Array, dv: DataView, o: number): number {\n  ${withScratch(body.enc).join('\n  ')}\n}`,
  );
  out.push(
    `/** @internal */\nexport function decode_${n}(c: ${rt(ctx, 'Cursor')}): ${n} {\n  type T__ = ${n};\n  ${body.dec.join('\n  ')}\n}`,
  );
}

function emitUnion(ctx: Ctx, t: StructSpec, out: string[]): void {
  const n = t.name;
  const size = unionSize(ctx, t);
  const members = t.fields.map((f) => ({ f, c: resolveField(ctx, f) }));
  out.push(
    `/** VPP union \`${n}\`: decoded with every member read from the same bytes; encoded from the members present. */\nexport interface ${n} {\n${members.map(({ f, c }) => `  ${key(f.name)}?: ${c.ts};`).join('\n')}\n}`,
  );
  out.push(
    `/** A \`${n}\` with every member zero. */\nexport function create_${n}(): ${n} {\n  return { ${members.map(({ f, c }) => `${key(f.name)}: ${zero(ctx, c)}`).join(', ')} };\n}`,
  );
  // encode: each member present goes through a scratch buffer; all-zero members count as unset, the
  // others must agree on the bytes they share (see src/codec/types.ts)
  // the first member is written in place (nothing to agree with yet), the others through scratch
  const enc: string[] = [`${rt(ctx, 'zeroBytes')}(out, o, ${size});`, `let w = 0; let wn = '';`];
  members.forEach(({ f, c }, i) => {
    const x = prop('v', f.name);
    if (i === 0) {
      enc.push(
        `if (${x} !== undefined) { const b = out; const dv = _dv; ${encFixed(ctx, c, x, 'o', f.name, undefined, 0)} if (!${rt(ctx, 'isZero')}(out, o, ${c.size!})) { w = ${c.size!}; wn = ${q(f.name)}; } }`,
      );
      return;
    }
    // an IPv6 member spanning the union whose text is already the union's bytes (a decoded IPv4 next
    // hop's ip6 view, the zero-extension of its ip4) agrees without being parsed
    const same =
      c.k === 'text' && c.t === 'Ip6' && c.size === size
        ? `if (typeof ${x} === 'string' && ${rt(ctx, 'isIp6Text')}(${x}, out, o)) { if (w !== 0) { w = ${size}; wn = ${q(f.name)}; } } else `
        : '';
    enc.push(
      `if (${x} !== undefined) { ${same}{ const b = s_${n}; const dv = sdv_${n}; ${encFixed(ctx, c, x, '0', f.name, undefined, 0)} const r = ${rt(ctx, 'mergeMember')}(b, out, o, ${c.size!}, w, wn, ${q(f.name)}); if (r >= 0) { w = r; wn = ${q(f.name)}; } } }`,
    );
  });
  enc.push('void w; void wn;');
  enc.push(`return o + ${size};`);
  out.push(`const s_${n} = new Uint8Array(${size});\nconst sdv_${n} = new DataView(s_${n}.buffer);`);
  out.push(
    `/** @internal */\nexport function encode_${n}(v: ${n}, out: Uint8Array, _dv: DataView, o: number): number {\n  ${withScratch(enc).join('\n  ')}\n}`,
  );
  const dec: string[] = [
    'const b = c.b;',
    'const dv = c.dv;',
    'const o = c.o;',
    `if (o + ${size} > c.end) throw ${rt(ctx, 'truncatedAt')}(c, o, ${size});`,
    'void b; void dv;',
  ];
  members.forEach(({ c }, i) => dec.push(decFixed(ctx, c, 'o', `f${i}`, 0)));
  dec.push(`c.o = o + ${size};`);
  dec.push(`return { ${members.map(({ f }, i) => `${key(f.name)}: f${i}`).join(', ')} };`);
  out.push(`/** @internal */\nexport function decode_${n}(c: ${rt(ctx, 'Cursor')}): ${n} {\n  ${dec.join('\n  ')}\n}`);
}

function emitEnum(t: EnumSpec, out: string[]): void {
  const kind = t.kind === 'enumflags' ? 'flags' : 'enum';
  out.push(
    `/** VPP ${kind} \`${t.name}\` (${t.width}). */\nexport const ${t.name} = {\n${t.values.map(([k, v]) => `  ${key(k)}: ${v},`).join('\n')}\n} as const;\n/** VPP ${kind} \`${t.name}\`: a number (values VPP adds later still decode). */\nexport type ${t.name} = number;`,
  );
}

function headerOf(fields: FieldSpec[]): { header: string; context: number; client: number } {
  const names = fields.slice(0, 3).map((f) => f.name);
  let header = 'other';
  if (names[0] === '_vl_msg_id') {
    if (names[1] === 'client_index' && names[2] === 'context') header = 'request';
    else if (names[1] === 'context') header = 'reply';
    else if (names[1] === 'client_index') header = 'event';
  }
  let off = 0;
  let context = -1;
  let client = -1;
  const sizes: Record<string, number> = {
    u8: 1,
    i8: 1,
    bool: 1,
    u16: 2,
    i16: 2,
    u32: 4,
    i32: 4,
    u64: 8,
    i64: 8,
    f64: 8,
  };
  for (const f of fields.slice(0, 3)) {
    const s = f.length === undefined ? sizes[f.type] : undefined;
    if (s === undefined) break;
    if (f.name === 'context' && f.type === 'u32') context = off;
    if (f.name === 'client_index' && f.type === 'u32') client = off;
    off += s;
  }
  return { header, context, client };
}

/** `enc` with the scratch variable `x` the field writers use declared first, when they use it. */
function withScratch(enc: string[]): string[] {
  return enc.some((l) => /\(x = |\bx ===/.test(l)) ? ['let x: any;', ...enc] : enc;
}

function tsdoc(lines: string[]): string {
  return `/**\n${lines.map((l) => ` * ${l}`).join('\n')}\n */`;
}

function emitMessage(ctx: Ctx, m: MessageSpec, out: string[]): void {
  const n = m.name;
  const body = emitBody(ctx, n, m.fields, true);
  const doc = [`VPP message \`${n}\` (\`${n}_${m.crc.replace(/^0x/, '')}\`).`];
  if (m.status === 'deprecated') doc.push('@deprecated VPP marks this message deprecated.');
  if (m.status === 'in_progress')
    doc.push('@experimental VPP marks this message in progress: it may change without notice.');
  if (body.ts.startsWith('\n')) out.push(`${tsdoc(doc)}\nexport type ${n} =${body.ts};`);
  else out.push(`${tsdoc(doc)}\nexport interface ${n} ${body.ts}`);
  const sizeImpl = body.fixed !== null ? String(body.fixed) : `(v: ${n}): number => ${sizeExpr(body.size)}`;
  const args = [
    'M_',
    q(n),
    q(m.crc.replace(/^0x/, '')),
    fieldSpec(m.fields),
    `(): ${n} => (${body.create}) as ${n}`,
    sizeImpl,
    `(v: ${n}, b: Uint8Array, dv: DataView, o: number): number => {\n      ${withScratch(body.enc).join('\n      ')}\n    }`,
    `(c: ${rt(ctx, 'Cursor')}): ${n} => {\n      type T__ = ${n};\n      ${body.dec.join('\n      ')}\n    }`,
  ];
  const { header, context, client } = headerOf(m.fields);
  const std = STD_HEADERS[header]!;
  // a spec written as an array of objects carries no header letter: its header is always written out
  const explicit = std.context !== context || std.client !== client || args[3]!.startsWith('[');
  const rest: string[] = [];
  if (m.status || explicit) rest.push(m.status ? q(m.status) : 'undefined');
  if (explicit) rest.push(`[${q(header)}, ${context}, ${client}]`);
  ctx.usesModule = true;
  // the functions go between markers: shareImpls (share.ts) moves sets that several messages repeat
  const impl = `${IMPL_START}${n}*/\n  ${args.slice(4).join(',\n  ')},${IMPL_END}`;
  out.push(
    `${tsdoc([`Codec for {@link ${n}}.`, ...(m.status === 'deprecated' ? ['@deprecated VPP marks this message deprecated.'] : [])])}\nexport const ${n}: ${rt(ctx, 'MessageDef')}<${n}> = ${rt(ctx, 'message')}<${n}>(\n  ${args.slice(0, 4).join(',\n  ')},${impl}${rest.map((r) => `\n  ${r},`).join('')}\n);`,
  );
}

function parsesTo(spec: string, defs: object[]): boolean {
  try {
    return JSON.stringify(parseFields(spec)) === JSON.stringify(defs);
  } catch {
    return false;
  }
}

/** The sum the `n += x;` lines of a size function add up. */
function sizeExpr(lines: readonly string[]): string {
  if (lines.length === 0) return '0';
  return lines
    .map((l) => {
      const m = /^n \+= (.*);$/.exec(l);
      if (!m) throw new SchemaError(`unexpected size line ${l}`);
      return m[1]!;
    })
    .join(' + ');
}

/** The offsets (context, client_index) `message()` assumes for each header kind; others are written out. */
const STD_HEADERS: Record<string, { letter: string; prefix: string; context: number; client: number }> = {
  request: { letter: 'q', prefix: '_vl_msg_id:u16;client_index:u32;context:u32;', context: 6, client: 2 },
  reply: { letter: 'r', prefix: '_vl_msg_id:u16;context:u32;', context: 2, client: -1 },
  event: { letter: 'e', prefix: '_vl_msg_id:u16;client_index:u32;', context: -1, client: 2 },
  other: { letter: 'o', prefix: '', context: -1, client: -1 },
};

/** A message's fields as `FieldDef`s, as the bindings promise them. */
function fieldDefs(fields: readonly FieldSpec[]): object[] {
  return fields.map((f) => ({
    name: f.name,
    type: f.type,
    ...(f.length !== undefined ? { length: f.length } : {}),
    ...(f.lengthFrom !== undefined ? { lengthFrom: f.lengthFrom } : {}),
    ...(f.default !== undefined ? { default: f.default } : {}),
  }));
}

/**
 * The compact field spec `message()` parses (src/codec/define.ts `parseFields`), checked to parse back
 * to exactly the same `FieldDef`s; anything it cannot carry is written as an array of objects.
 */
function fieldSpec(fields: readonly FieldSpec[]): string {
  const defs = fieldDefs(fields);
  const one = (f: FieldSpec): string => {
    const t = /^vl_api_(\w+)_t$/.exec(f.type);
    let s = `${f.name}:${t ? `.${t[1]!}` : f.type}`;
    if (f.length !== undefined || f.lengthFrom !== undefined)
      s += `[${f.length ?? ''}${f.lengthFrom !== undefined ? `@${f.lengthFrom}` : ''}]`;
    if (f.default !== undefined) s += `=${JSON.stringify(f.default)}`;
    return s;
  };
  const std = STD_HEADERS[headerOf([...fields]).header]!;
  let text = fields.map(one).join(';');
  let letter = std.letter;
  if (std.prefix && `${text};`.startsWith(std.prefix)) {
    text = text.slice(std.prefix.length);
    letter = letter.toUpperCase();
  }
  const spec = letter + text;
  if (parsesTo(spec, defs)) return q(spec);
  return `[\n    ${defs.map((d) => JSON.stringify(d)).join(',\n    ')},\n  ]`;
}

export interface ModuleOutput {
  /** VPP module name, e.g. `ip`; the file is `<module>.ts`. */
  module: string;
  file: string;
  code: string;
  /** Exported names by kind, for the index. */
  typeNames: string[];
  valueNames: string[];
  messageNames: string[];
}

const RUNTIME_TYPES = new Set(['Cursor', 'MessageDef', 'ServiceDef']);

export function emitModule(set: SchemaSet, mod: ModuleSpec, opts: EmitOptions): ModuleOutput {
  const ctx: Ctx = {
    set,
    mod: mod.name,
    external: opts.external,
    imports: new Map(),
    typeImports: new Map(),
    runtime: new Set(),
    counter: 0,
  };
  const out: string[] = [];
  const typeNames: string[] = [];
  const valueNames: string[] = [];
  const owned = mod.types.filter((t) => set.ownsType(t, mod.name));
  for (const t of owned.filter((t) => t.kind === 'enum' || t.kind === 'enumflags') as EnumSpec[]) {
    emitEnum(t, out);
    typeNames.push(t.name);
    valueNames.push(t.name);
  }
  for (const t of owned) {
    if (t.kind !== 'alias') continue;
    const text = TEXT[t.name];
    let ts: string;
    let what: string;
    if (text) {
      ts = 'string';
      what = 'as text';
    } else {
      const c =
        t.length !== undefined
          ? resolveField(ctx, { type: t.type, name: t.name, length: t.length })
          : resolveType(ctx, t.type);
      ts = c.ts;
      what = `of \`${t.type}${t.length !== undefined ? `[${t.length}]` : ''}\``;
    }
    out.push(`/** VPP alias \`${t.name}\` ${what}. */\nexport type ${t.name} = ${ts};`);
    typeNames.push(t.name);
  }
  for (const t of owned) {
    if (t.kind !== 'struct' && t.kind !== 'union') continue;
    if (TEXT[t.name]) {
      const example = t.name === 'address' ? "`'10.0.0.1'` or `'fd00::1'`" : "`'10.0.0.0/24'`";
      out.push(`/** VPP type \`${t.name}\`, carried as text: ${example}. */\nexport type ${t.name} = string;`);
      typeNames.push(t.name);
      continue;
    }
    if (t.kind === 'struct') emitStruct(ctx, t, out);
    else emitUnion(ctx, t, out);
    typeNames.push(t.name);
    valueNames.push(`create_${t.name}`);
  }
  for (const m of mod.messages) {
    emitMessage(ctx, m, out);
  }
  // header
  const head: string[] = [
    `// Generated by \`vpp-binapi generate\` from ${mod.name}.api.json${opts.source ? ` (${opts.source})` : ''}. Do not edit.`,
    '/* eslint-disable */',
  ];
  const rtValues = [...ctx.runtime].filter((x) => !RUNTIME_TYPES.has(x)).sort();
  const rtTypes = [...ctx.runtime].filter((x) => RUNTIME_TYPES.has(x)).sort();
  if (rtTypes.length)
    head.push(`import type { ${rtTypes.join(', ')} } from ${q(opts.typesImport ?? opts.runtimeImport)};`);
  if (rtValues.length) head.push(`import { ${rtValues.join(', ')} } from ${q(opts.runtimeImport)};`);
  const importMods = new Set([...ctx.imports.keys(), ...ctx.typeImports.keys()]);
  for (const im of [...importMods].sort()) {
    const vals = [...(ctx.imports.get(im) ?? [])].sort();
    const types = [...(ctx.typeImports.get(im) ?? [])].filter((x) => !vals.includes(x)).sort();
    const parts = [...vals, ...types.map((x) => `type ${x}`)];
    head.push(`import { ${parts.join(', ')} } from '${im}';`);
  }
  if (ctx.usesModule) head.push('', `const M_ = ${q(mod.name)};`);
  return {
    module: mod.name,
    file: `${mod.name}.ts`,
    code: `${head.join('\n')}\n\n${out.join('\n\n')}\n`,
    typeNames,
    valueNames,
    messageNames: mod.messages.map((m) => m.name),
  };
}

export function emitIndex(set: SchemaSet, outputs: ModuleOutput[], opts: EmitOptions): string {
  const lines: string[] = [
    `// Generated by \`vpp-binapi generate\`${opts.source ? ` from ${opts.source}` : ''}. Do not edit.`,
    '/* eslint-disable */',
    `import type { MessageDef, ServiceDef } from ${q(opts.typesImport ?? opts.runtimeImport)};`,
  ];
  const seenTypes = new Map<string, string>();
  const seenValues = new Map<string, string>();
  const allMessages: { name: string; mod: string }[] = [];
  const exportLines: string[] = [];
  const skipped: string[] = [];
  for (const o of outputs) {
    const mod = o.module;
    const parts: string[] = [];
    for (const m of o.messageNames) {
      if (seenValues.has(m) || seenTypes.has(m))
        throw new SchemaError(`message ${m} is defined in ${mod} and ${seenValues.get(m) ?? seenTypes.get(m)}`);
      seenValues.set(m, mod);
      seenTypes.set(m, mod);
      parts.push(m);
      allMessages.push({ name: m, mod });
    }
    const values = new Set(o.valueNames);
    for (const t of o.typeNames) {
      if (seenTypes.has(t) || (values.has(t) && seenValues.has(t))) {
        skipped.push(`${mod}.${t}`);
        continue;
      }
      seenTypes.set(t, mod);
      if (values.has(t)) {
        seenValues.set(t, mod);
        parts.push(t);
      } else parts.push(`type ${t}`);
    }
    for (const v of o.valueNames) {
      if (o.typeNames.includes(v)) continue;
      if (seenValues.has(v)) {
        skipped.push(`${mod}.${v}`);
        continue;
      }
      seenValues.set(v, mod);
      parts.push(v);
    }
    lines.push(`import * as ${modAlias(mod)} from './${mod}.js';`);
    exportLines.push(`export {\n  ${parts.join(',\n  ')},\n} from './${mod}.js';`);
  }
  lines.push('');
  lines.push(...exportLines);
  if (skipped.length)
    lines.push(
      `// Not re-exported here (name taken by an earlier module; import the module directly): ${skipped.join(', ')}`,
    );
  lines.push('');
  lines.push(`/** Every generated module as a namespace, by VPP module name. */`);
  lines.push(
    `export const modules = {\n  ${outputs.map((o) => `${key(o.module)}: ${modAlias(o.module)}`).join(',\n  ')},\n} as const;`,
  );
  lines.push('');
  lines.push(`/** Every message codec, in schema order. */`);
  lines.push(
    `export const messages: readonly MessageDef<any>[] = [\n  ${allMessages.map((m) => `${modAlias(m.mod)}.${m.name}`).join(',\n  ')},\n];`,
  );
  lines.push(`/** Message codecs by VPP name (\`ip_route_add_del\`). */`);
  lines.push(
    `export const messagesByName: ReadonlyMap<string, MessageDef<any>> = new Map(messages.map((m) => [m.name, m]));`,
  );
  lines.push(`/** Message codecs by wire name (\`ip_route_add_del_b8ecfe0d\`), as in VPP's message table. */`);
  lines.push(
    `export const messagesByNameCrc: ReadonlyMap<string, MessageDef<any>> = new Map(messages.map((m) => [m.nameCrc, m]));`,
  );
  lines.push('');
  lines.push(`/** Every VPP message type by name. */`);
  lines.push(
    `export interface VppMessages {\n${allMessages.map((m) => `  ${key(m.name)}: ${modAlias(m.mod)}.${m.name};`).join('\n')}\n}`,
  );
  // services
  const known = new Map(allMessages.map((m) => [m.name, m.mod]));
  const svcs: ServiceSpec[] = [];
  for (const o of outputs) {
    const mod = set.modules.get(o.module)!;
    for (const s of mod.services) svcs.push(s);
  }
  const T = (name: string): string => `${modAlias(known.get(name)!)}.${name}`;
  const calls: string[] = [];
  const dumps: string[] = [];
  const gets: string[] = [];
  const events: string[] = [];
  const svcDefs: string[] = [];
  const seenSvc = new Set<string>();
  for (const s of svcs) {
    if (seenSvc.has(s.request) || !known.has(s.request)) continue;
    if (s.reply === 'null' || !known.has(s.reply)) continue;
    seenSvc.add(s.request);
    if (s.streamMsg) {
      if (!known.has(s.streamMsg)) continue;
      gets.push(`  ${key(s.request)}: { request: ${T(s.request)}; reply: ${T(s.reply)}; details: ${T(s.streamMsg)} };`);
      svcDefs.push(`{ request: ${q(s.request)}, reply: ${q(s.reply)}, streamMessage: ${q(s.streamMsg)} }`);
    } else if (s.stream) {
      if (!known.has('control_ping_reply')) continue;
      dumps.push(`  ${key(s.request)}: { request: ${T(s.request)}; details: ${T(s.reply)} };`);
      svcDefs.push(`{ request: ${q(s.request)}, reply: 'control_ping_reply', stream: ${q(s.reply)} }`);
    } else {
      calls.push(`  ${key(s.request)}: { request: ${T(s.request)}; reply: ${T(s.reply)} };`);
      const ev = (s.events ?? []).filter((e) => known.has(e));
      if (ev.length) {
        events.push(
          `  ${key(s.request)}: { request: ${T(s.request)}; reply: ${T(s.reply)}; event: ${ev.map(T).join(' | ')} };`,
        );
        svcDefs.push(`{ request: ${q(s.request)}, reply: ${q(s.reply)}, events: [${ev.map(q).join(', ')}] }`);
      } else svcDefs.push(`{ request: ${q(s.request)}, reply: ${q(s.reply)} }`);
    }
  }
  lines.push('');
  lines.push(`/** How each request is answered, from the schemas' \`services\` sections. */`);
  lines.push(`export const services: readonly ServiceDef[] = [\n  ${svcDefs.join(',\n  ')},\n];`);
  lines.push(`/** Services by request name. */`);
  lines.push(
    `export const servicesByRequest: ReadonlyMap<string, ServiceDef> = new Map(services.map((s) => [s.request, s]));`,
  );
  lines.push('');
  lines.push(`/** Request/reply calls: the request name decides the reply type. */`);
  lines.push(`export interface VppCalls {\n${calls.join('\n')}\n}`);
  lines.push(`/** \`_dump\` requests: details streamed, ended by \`control_ping_reply\`. */`);
  lines.push(`export interface VppDumps {\n${dumps.join('\n')}\n}`);
  lines.push(
    `/** \`_get\` requests with a cursor: details streamed, then the reply (retval -165: call again from its cursor). */`,
  );
  lines.push(`export interface VppGets {\n${gets.join('\n')}\n}`);
  lines.push(`/** \`want_*\` requests and the events they enable. */`);
  lines.push(`export interface VppEvents {\n${events.join('\n')}\n}`);
  return lines.join('\n') + '\n';
}

function modAlias(mod: string): string {
  return `m_${mod.replace(/\W/g, '_')}`;
}
