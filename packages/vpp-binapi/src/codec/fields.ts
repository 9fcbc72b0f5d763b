/**
 * One-field encoders the generated code calls instead of writing the same checks out for every field:
 * each takes the value and the field path (for the error), checks it and writes it. The fast path (a
 * value that fits) is a few bytecodes, small enough for V8 to inline at every call site; absent values,
 * defaults and errors go through the slow paths below. Not part of the public API.
 * @internal
 */
import { bool, f64, i64, intError, objectOf, u64, type Cursor, truncatedAt } from './runtime.js';

/**
 * The slow path of an integer field the generated code checks in place: an absent value is 0; anything
 * else that got here (bigint, string, null, NaN, fraction, out of range) is refused with a
 * VppEncodeError naming field `p`. `w` is the width in bytes, negative for a signed integer (-4: i32).
 * These four are kept this short (V8 inlines functions of up to 27 bytes of bytecode wherever they are
 * called): an absent field then costs a comparison, not a call.
 */
export function intValue(x: unknown, p: string, w: number): number {
  return x === undefined ? 0 : badInt(x, p, w);
}

/** `intValue` for a field with a schema default `d`. */
export function intOr(x: unknown, p: string, w: number, d: number): number {
  return x === undefined ? d : badInt(x, p, w);
}

function badInt(x: unknown, p: string, w: number): never {
  throw intError(p, x, `${w < 0 ? 'i' : 'u'}${8 * Math.abs(w)}`);
}

/** The slow path of a bool field the generated code checks in place: absent is false; 0 and 1 pass; the rest is refused. */
export function boolValue(x: unknown, p: string): number {
  return x === undefined ? 0 : bool(p, x);
}

/** `boolValue` for a field with a schema default (`d` is 1 for `true`). */
export function boolOr(x: unknown, p: string, d: number): number {
  return x === undefined ? d : bool(p, x);
}

/** Writes u64 field `p` (big-endian); safe-integer numbers are taken too. */
export function wU64(dv: DataView, o: number, x: unknown, p: string, d?: bigint): void {
  dv.setBigUint64(o, x === undefined ? (d ?? 0n) : u64(p, x));
}

/** Writes i64 field `p` (big-endian); safe-integer numbers are taken too. */
export function wI64(dv: DataView, o: number, x: unknown, p: string, d?: bigint): void {
  dv.setBigInt64(o, x === undefined ? (d ?? 0n) : i64(p, x));
}

/**
 * Writes f64 field `p`. f64 travels little-endian, unlike VPP's integers: a real VPP 26.06 answers
 * get_f64_endian_value 1.0 only when sent so (else -159), and its Python client packs f64 as native
 * `=d` (../shared/vpp-golden/session-dataplane.jsonl records both f64 messages).
 */
export function wF64(dv: DataView, o: number, x: unknown, p: string, d?: number): void {
  dv.setFloat64(o, x === undefined ? (d ?? 0) : f64(p, x), true);
}

/** @throws VppDecodeError `truncated` when fewer than `n` bytes are left at `o`. */
export function chk(c: Cursor, o: number, n: number): void {
  if (o + n > c.end) throw truncatedAt(c, o, n);
}

/** A struct or union value: a plain object as it is, else through `objectOf` (absent: all defaults; anything else: refused). */
export function obj<T>(v: T | undefined): T {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : objectOf(v);
}
