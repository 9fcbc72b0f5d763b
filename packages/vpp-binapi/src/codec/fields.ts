/**
 * Helpers the generated field writers call. Integer and bool fields are checked in place by the
 * generated code (a shared helper's checks would see every message's values, and V8 inlines only so
 * much into one function); only their slow paths are here: an absent value takes its default, anything
 * else that got there is refused naming the field. 64-bit and f64 fields are written here whole. Not
 * part of the public API.
 * @internal
 */
import { bool, f64, i64, intError, u64 } from './runtime.js';

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
