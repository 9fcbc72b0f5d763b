/**
 * Small helpers the generated encoders and decoders call: text forms of addresses, strings, byte
 * arrays, integer checks. Everything here works on one field at a time; the generated code does the
 * layout. Not part of the public API beyond what `src/codec/index.ts` re-exports.
 */
import { VppDecodeError, VppEncodeError } from './errors.js';

/**
 * Read position for generated decoders. `b` and `dv` cover the whole ArrayBuffer under the caller's
 * bytes, so `o` and `end` are absolute; `base` is where the caller's Uint8Array starts in it.
 */
export interface Cursor {
  readonly b: Uint8Array;
  readonly dv: DataView;
  o: number;
  readonly end: number;
  readonly base: number;
}

const EMPTY_BYTES = new Uint8Array(0);

/** A Uint8Array and a DataView over a whole ArrayBuffer; one cached entry (creating a DataView costs more than decoding a small message). */
export class BufferViews {
  private ab: ArrayBufferLike | undefined;
  b: Uint8Array = EMPTY_BYTES;
  dv: DataView = new DataView(EMPTY_BYTES.buffer);

  /** Points `b`/`dv` at `buf`'s ArrayBuffer. */
  of(buf: Uint8Array): this {
    const ab = buf.buffer;
    if (ab !== this.ab) {
      this.ab = ab;
      this.b = new Uint8Array(ab);
      this.dv = new DataView(ab);
    }
    return this;
  }
}

const readViews = new BufferViews();

/** A decoding cursor over `buf[offset, end)`. */
export function cursor(buf: Uint8Array, offset = 0, end = buf.length): Cursor {
  const v = readViews.of(buf);
  const base = buf.byteOffset;
  return { b: v.b, dv: v.dv, o: base + offset, end: base + end, base };
}

/** Stand-in for an absent nested value: every field then takes its default. Typed `never` on purpose. */
export const EMPTY_OBJECT = Object.freeze({}) as never;
/** Stand-in for an absent array. Typed `never` on purpose. */
const EMPTY_ARRAY = Object.freeze([]) as never;

// ---------------------------------------------------------------------------------------------
// errors raised by generated code

export function truncatedAt(c: Cursor, offset: number, need: number): VppDecodeError {
  return new VppDecodeError('truncated', offset, `needs ${need} bytes, ${Math.max(0, c.end - offset)} left`);
}

export function badCount(offset: number, field: string, count: number, bytes: number, left: number): VppDecodeError {
  return new VppDecodeError(
    'bad_count',
    offset,
    `count ${count} needs ${bytes} bytes, ${Math.max(0, left)} left`,
    field,
  );
}

export function badDiscriminatorOnDecode(offset: number, field: string, tag: number): VppDecodeError {
  return new VppDecodeError('bad_discriminator', offset, `no union member for tag ${tag}`, field);
}

export function badDiscriminator(field: string, tag: unknown): VppEncodeError {
  return new VppEncodeError('bad_discriminator', field, `no union member for tag ${String(tag)}`);
}

export function intError(field: string, value: unknown, type: string): VppEncodeError {
  const big = type === 'u64' || type === 'i64';
  if (typeof value === 'bigint' && !big) {
    return new VppEncodeError(
      'bad_type',
      field,
      `expected a number for ${type}, got bigint ${String(value)}n (only u64/i64 fields take bigints)`,
    );
  }
  if (typeof value !== 'number' && typeof value !== 'bigint') {
    return new VppEncodeError('bad_type', field, `expected ${type}, got ${describe(value)}`);
  }
  if (big && typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
    return new VppEncodeError(
      'int_range',
      field,
      `${String(value)} is not a safe integer; pass ${type} values beyond 2^53 as bigint`,
    );
  }
  return new VppEncodeError('int_range', field, `${String(value)} does not fit ${type}`);
}

/**
 * A struct or union value: `undefined` stands for "all defaults" (an empty object); anything but a
 * plain object (a string, number, null, an array) is refused rather than read as zeros.
 * @throws VppEncodeError `bad_type` with an empty path (the caller's `nestError` names the field).
 */
export function objectOf<T>(v: T | undefined): T {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v;
  if (v === undefined) return EMPTY_OBJECT;
  throw typeError('', v, 'an object');
}

/**
 * The member a discriminated union's tag selects, from the union value `u` (already through
 * `objectOf`). An absent union (`EMPTY_OBJECT`) is all zeros; otherwise the selected member must be
 * present and no other member may be given.
 * @throws VppEncodeError `union_mismatch` with an empty path.
 */
export function taggedMember(u: object, member: string, others: readonly string[], tag: string): unknown {
  const m = (u as Record<string, unknown>)[member];
  if (u === EMPTY_OBJECT) return undefined;
  let other: string | undefined;
  for (const k of others) {
    if ((u as Record<string, unknown>)[k] !== undefined) {
      other = k;
      break;
    }
  }
  if (m === undefined) {
    throw new VppEncodeError(
      'union_mismatch',
      '',
      `tag ${tag} selects member ${member}, which is missing${other ? ` (${other} given instead)` : ''}`,
    );
  }
  if (other !== undefined)
    throw new VppEncodeError('union_mismatch', '', `tag ${tag} selects member ${member}, but ${other} is given too`);
  return m;
}

/**
 * Merges one plain-union member, encoded at `from[0, n)`, into the union at `to[o, ...)`, of which
 * `w` bytes are written so far (by `prev`). An all-zero member counts as unset and returns -1;
 * otherwise the bytes both cover must agree, the member's further bytes are copied, and the new
 * written length is returned.
 * @throws VppEncodeError `union_mismatch` with an empty path when two members disagree.
 */
export function mergeMember(
  from: Uint8Array,
  to: Uint8Array,
  o: number,
  n: number,
  w: number,
  prev: string,
  name: string,
): number {
  let i = 0;
  while (i < n && from[i] === 0) i++;
  if (i === n) return -1;
  const m = n < w ? n : w;
  for (i = 0; i < m; i++) {
    if (to[o + i] !== from[i]) {
      throw new VppEncodeError(
        'union_mismatch',
        '',
        `members ${prev} and ${name} disagree on the bytes they share (a union holds one value: give one member, or members that agree)`,
      );
    }
  }
  for (; i < n; i++) to[o + i] = from[i]!;
  return n > w ? n : w;
}

export function typeError(field: string, value: unknown, expected: string): VppEncodeError {
  return new VppEncodeError('bad_type', field, `expected ${expected}, got ${describe(value)}`);
}

export function arrayLengthError(field: string, length: number, max: number): VppEncodeError {
  return new VppEncodeError('array_length', field, `${length} elements, at most ${max} fit`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Uint8Array) return 'Uint8Array';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return typeof v;
}

// ---------------------------------------------------------------------------------------------
// 64-bit integers and floats

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** A u64 value as bigint (safe-integer numbers are accepted and converted; larger numbers are refused, as they may already have lost precision). */
export function u64(field: string, v: unknown): bigint {
  const x = typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v;
  if (typeof x !== 'bigint' || x < 0n || x > U64_MAX) throw intError(field, v, 'u64');
  return x;
}

/** An i64 value as bigint (safe-integer numbers are accepted and converted; larger numbers are refused). */
export function i64(field: string, v: unknown): bigint {
  const x = typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v;
  if (typeof x !== 'bigint' || x < I64_MIN || x > I64_MAX) throw intError(field, v, 'i64');
  return x;
}

/** A bool field's byte: `true`/`false` (handled inline by generated code), or the numbers 0 and 1. */
export function bool(field: string, v: unknown): number {
  if (v === 0 || v === 1) return v;
  throw typeError(field, v, 'a boolean');
}

export function f64(field: string, v: unknown): number {
  if (typeof v !== 'number') throw typeError(field, v, 'f64 number');
  return v;
}

/** Zeros `b[o, o + n)`. */
export function zeroBytes(b: Uint8Array, o: number, n: number): void {
  if (n > 32) b.fill(0, o, o + n);
  else for (let i = o; i < o + n; i++) b[i] = 0;
}

// ---------------------------------------------------------------------------------------------
// strings

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** UTF-8 byte length of `s`. */
export function utf8Length(s: string): number {
  const n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return utf8Encoder.encode(s).length;
  }
  return n;
}

function stringValue(field: string, v: unknown): string {
  if (typeof v !== 'string') {
    if (v === undefined) return '';
    throw typeError(field, v, 'string');
  }
  return v;
}

function nulError(field: string, s: string): VppEncodeError {
  return new VppEncodeError(
    'string_nul',
    field,
    `NUL character at index ${s.indexOf('\0')}: VPP reads strings as C strings and would cut it there`,
  );
}

/**
 * Writes `s` as a NUL-padded fixed string of `n` bytes. At most `n - 1` bytes of UTF-8 fit: VPP
 * reads these fields as C strings and needs the terminating NUL.
 */
export function writeFixedString(b: Uint8Array, o: number, n: number, v: unknown, field: string): void {
  const s = stringValue(field, v);
  const len = s.length;
  let i = 0;
  if (len < n) {
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      if ((c - 1) >>> 0 >= 0x7f) break; // NUL or non-ASCII: handled below
      b[o + i] = c;
    }
  }
  if (i === len) {
    zeroBytes(b, o + len, n - len);
    return;
  }
  if (s.indexOf('\0') >= 0) throw nulError(field, s);
  const bytes = utf8Encoder.encode(s);
  if (bytes.length > n - 1) {
    throw new VppEncodeError('string_too_long', field, `${bytes.length} bytes, at most ${n - 1} fit in string[${n}]`);
  }
  b.set(bytes, o);
  zeroBytes(b, o + bytes.length, n - bytes.length);
}

/** Reads a fixed string of `n` bytes: everything before the first NUL. */
export function readFixedString(b: Uint8Array, o: number, n: number): string {
  let s = '';
  let ascii = true;
  let e = o;
  const end = o + n;
  for (; e < end; e++) {
    const c = b[e]!;
    if (c === 0) break;
    if (c >= 0x80) ascii = false;
  }
  if (e === o) return s;
  if (!ascii || e - o > 64) return utf8Decoder.decode(b.subarray(o, e));
  for (let i = o; i < e; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** Size on the wire of a variable string: u32 length, then the bytes. */
export function sizeVarString(v: unknown): number {
  return typeof v === 'string' ? 4 + utf8Length(v) : 4;
}

/**
 * Writes a variable string (u32 big-endian byte length, then the bytes, no NUL) and returns the
 * offset after it. With a `limit`, at most `limit - 1` bytes are accepted (VPP's own rule).
 */
export function writeVarString(
  b: Uint8Array,
  dv: DataView,
  o: number,
  v: unknown,
  limit: number,
  field: string,
): number {
  const s = stringValue(field, v);
  const len = s.length;
  let i = 0;
  for (; i < len; i++) {
    const c = s.charCodeAt(i);
    if ((c - 1) >>> 0 >= 0x7f) break; // NUL or non-ASCII: handled below
    b[o + 4 + i] = c;
  }
  let n = len;
  if (i !== len) {
    if (s.indexOf('\0') >= 0) throw nulError(field, s);
    const bytes = utf8Encoder.encode(s);
    n = bytes.length;
    b.set(bytes, o + 4);
  }
  if (limit > 0 && n > limit - 1) {
    throw new VppEncodeError('string_too_long', field, `${n} bytes, limit is ${limit - 1}`);
  }
  dv.setUint32(o, n);
  return o + 4 + n;
}

/** Reads a variable string at `c.o` and advances the cursor. */
export function readVarString(c: Cursor, field: string): string {
  const o = c.o;
  if (o + 4 > c.end) throw new VppDecodeError('truncated', o, 'string length needs 4 bytes', field);
  const b = c.b;
  const n = c.dv.getUint32(o);
  if (n > c.end - o - 4) throw badCount(o, field, n, n, c.end - o - 4);
  c.o = o + 4 + n;
  if (n === 0) return '';
  if (n <= 64) {
    let s = '';
    for (let i = o + 4; i < o + 4 + n; i++) {
      const ch = b[i]!;
      if (ch >= 0x80) return utf8Decoder.decode(b.subarray(o + 4, o + 4 + n));
      s += String.fromCharCode(ch);
    }
    return s;
  }
  return utf8Decoder.decode(b.subarray(o + 4, o + 4 + n));
}

// ---------------------------------------------------------------------------------------------
// byte arrays

function bytesValue(field: string, v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (v === undefined) return EMPTY_BYTES;
  if (Array.isArray(v)) {
    const out = new Uint8Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x !== 'number' || (x & 0xff) !== x) throw intError(`${field}[${i}]`, x, 'u8');
      out[i] = x;
    }
    return out;
  }
  throw typeError(field, v, 'Uint8Array');
}

/** Writes a fixed `u8 x[n]` byte array; shorter input is zero-padded, longer is an error. */
export function writeFixedBytes(b: Uint8Array, o: number, n: number, v: unknown, field: string): void {
  const x = bytesValue(field, v);
  if (x.length > n) throw arrayLengthError(field, x.length, n);
  b.set(x, o);
  if (x.length < n) zeroBytes(b, o + x.length, n - x.length);
}

/** Byte length of a variable `u8` array value. */
export function bytesLength(v: unknown): number {
  return v instanceof Uint8Array || Array.isArray(v) ? v.length : 0;
}

/** Writes a variable-length `u8` array (no length prefix: the count lives in another field). */
export function writeBytes(b: Uint8Array, o: number, v: unknown, field: string): number {
  const x = bytesValue(field, v);
  b.set(x, o);
  return o + x.length;
}

/** A copy of `n` bytes at `o` (decoded messages never alias the receive buffer). */
export function readBytes(b: Uint8Array, o: number, n: number): Uint8Array {
  return b.slice(o, o + n);
}

// ---------------------------------------------------------------------------------------------
// addresses as text

const HEX: string[] = [];
const HEX1: string[] = [];
const DEC: string[] = [];
for (let i = 0; i < 256; i++) {
  HEX.push(i.toString(16).padStart(2, '0'));
  HEX1.push(i.toString(16));
  DEC.push(String(i));
}

function badAddress(field: string, v: unknown, what: string): VppEncodeError {
  return new VppEncodeError(
    'bad_address',
    field,
    `${typeof v === 'string' ? JSON.stringify(v) : describe(v)} is not ${what}`,
  );
}

/** Parses dotted-quad IPv4 text in `s[start, end)` into `b[o..o+3]`; false when malformed. */
function parseIp4Into(s: string, start: number, end: number, b: Uint8Array, o: number): boolean {
  let part = 0;
  let digits = 0;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || n === 3) return false;
      b[o + n++] = part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return false;
    } else return false;
  }
  if (digits === 0 || n !== 3) return false;
  b[o + 3] = part;
  return true;
}

const HEXVAL = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEXVAL[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEXVAL[97 + i] = 10 + i;
  HEXVAL[65 + i] = 10 + i;
}

/**
 * Parses IPv6 text in `s[start, end)` into 16 bytes at `b[o]`; false when malformed (the bytes are then
 * undefined: every caller throws). Groups are written as they are read; a `::` gap is opened at the end
 * by moving the groups after it.
 */
function parseIp6Into(s: string, start: number, end: number, b: Uint8Array, o: number): boolean {
  if (end - start < 2) return false;
  let w = 0; // bytes written at b[o + w]
  let gap = -1; // byte index where '::' sits
  let i = start;
  if (s.charCodeAt(i) === 58) {
    if (s.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
    if (i === end) {
      zeroBytes(b, o, 16);
      return true;
    }
  }
  for (;;) {
    // one group: hex digits, or a trailing dotted IPv4
    let v = 0;
    let digits = 0;
    const groupStart = i;
    while (i < end) {
      const c = s.charCodeAt(i);
      const d = c < 128 ? HEXVAL[c]! : -1;
      if (d < 0) break;
      v = (v << 4) | d;
      if (++digits > 4) return false;
      i++;
    }
    if (i < end && s.charCodeAt(i) === 46) {
      // embedded IPv4 as the last 32 bits
      if (w > 12) return false;
      if (!parseIp4Into(s, groupStart, end, b, o + w)) return false;
      w += 4;
      break;
    }
    if (digits === 0 || w === 16) return false;
    b[o + w] = v >>> 8;
    b[o + w + 1] = v & 0xff;
    w += 2;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < end && s.charCodeAt(i) === 58) {
      if (gap !== -1) return false;
      gap = w;
      i++;
      if (i === end) break;
    } else if (i === end) return false;
  }
  if (gap === -1) return w === 16;
  if (w > 14) return false;
  const shift = 16 - w;
  for (let k = w - 1; k >= gap; k--) b[o + k + shift] = b[o + k]!;
  for (let k = gap; k < gap + shift; k++) b[o + k] = 0;
  return true;
}

export function writeIp4(b: Uint8Array, o: number, v: unknown, field: string): void {
  if (v === undefined) {
    b[o] = b[o + 1] = b[o + 2] = b[o + 3] = 0;
    return;
  }
  if (typeof v !== 'string' || !parseIp4Into(v, 0, v.length, b, o)) throw badAddress(field, v, 'an IPv4 address');
}

export function readIp4(b: Uint8Array, o: number): string {
  return DEC[b[o]!]! + '.' + DEC[b[o + 1]!]! + '.' + DEC[b[o + 2]!]! + '.' + DEC[b[o + 3]!]!;
}

export function writeIp6(b: Uint8Array, o: number, v: unknown, field: string): void {
  if (v === undefined) {
    zeroBytes(b, o, 16);
    return;
  }
  if (typeof v !== 'string' || !parseIp6Into(v, 0, v.length, b, o)) throw badAddress(field, v, 'an IPv6 address');
}

/** IPv6 text as Python's `ipaddress` prints it: lower-case, longest run (≥ 2) of zero groups as `::`. */
export function readIp6(b: Uint8Array, o: number): string {
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let k = 0; k < 8; k++) {
    const zero = b[o + 2 * k] === 0 && b[o + 2 * k + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = k;
      const len = k - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else runStart = -1;
  }
  if (bestLen < 2) bestStart = -1;
  let s = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      s += k === 0 ? '::' : ':';
      k += bestLen - 1;
      continue;
    }
    const hi = b[o + 2 * k]!;
    s += hi === 0 ? HEX1[b[o + 2 * k + 1]!]! : HEX1[hi]! + HEX[b[o + 2 * k + 1]!]!;
    if (k < 7) s += ':';
  }
  return s;
}

/**
 * True when `s` is exactly the text `readIp6` prints for the 16 bytes at `b[o]` (canonical form), checked
 * character by character without parsing or allocating. Equal canonical text means equal bytes; any
 * other spelling of the same address gives false, and the caller then parses it.
 */
export function isIp6Text(s: string, b: Uint8Array, o: number): boolean {
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let k = 0; k < 8; k++) {
    if (b[o + 2 * k] === 0 && b[o + 2 * k + 1] === 0) {
      if (runStart < 0) runStart = k;
      const len = k - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else runStart = -1;
  }
  if (bestLen < 2) bestStart = -1;
  const n = s.length;
  let p = 0;
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      if (s.charCodeAt(p++) !== 58) return false;
      if (k === 0 && s.charCodeAt(p++) !== 58) return false;
      k += bestLen - 1;
      continue;
    }
    const h = (b[o + 2 * k]! << 8) | b[o + 2 * k + 1]!;
    let started = false;
    for (let shift = 12; shift >= 0; shift -= 4) {
      const d = (h >>> shift) & 0xf;
      if (d === 0 && !started && shift !== 0) continue;
      started = true;
      if (s.charCodeAt(p++) !== (d < 10 ? 48 + d : 87 + d)) return false;
    }
    if (k < 7 && s.charCodeAt(p++) !== 58) return false;
  }
  return p === n;
}

export function writeMac(b: Uint8Array, o: number, v: unknown, field: string): void {
  if (v === undefined) {
    zeroBytes(b, o, 6);
    return;
  }
  if (typeof v !== 'string' || v.length !== 17) throw badAddress(field, v, 'a MAC address');
  for (let k = 0; k < 6; k++) {
    const h = hexDigit(v.charCodeAt(3 * k));
    const l = hexDigit(v.charCodeAt(3 * k + 1));
    if (h < 0 || l < 0 || (k < 5 && v.charCodeAt(3 * k + 2) !== 58 && v.charCodeAt(3 * k + 2) !== 45)) {
      throw badAddress(field, v, 'a MAC address');
    }
    b[o + k] = (h << 4) | l;
  }
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

export function readMac(b: Uint8Array, o: number): string {
  return `${HEX[b[o]!]!}:${HEX[b[o + 1]!]!}:${HEX[b[o + 2]!]!}:${HEX[b[o + 3]!]!}:${HEX[b[o + 4]!]!}:${HEX[b[o + 5]!]!}`;
}

/** Writes `vl_api_address_t` (af u8 + 16-byte union) from text; the family comes from the text. */
export function writeAddress(b: Uint8Array, o: number, v: unknown, field: string): void {
  if (v === undefined) {
    zeroBytes(b, o, 17);
    return;
  }
  if (typeof v === 'string') {
    if (v.indexOf(':') >= 0) {
      b[o] = 1;
      if (parseIp6Into(v, 0, v.length, b, o + 1)) return;
    } else {
      b[o] = 0;
      if (parseIp4Into(v, 0, v.length, b, o + 1)) {
        zeroBytes(b, o + 5, 12);
        return;
      }
    }
  }
  throw badAddress(field, v, 'an IP address');
}

export function readAddress(b: Uint8Array, o: number): string {
  const af = b[o];
  if (af === 0) return readIp4(b, o + 1);
  if (af === 1) return readIp6(b, o + 1);
  throw new VppDecodeError('bad_value', o, `address family ${String(af)} is neither IPv4 (0) nor IPv6 (1)`);
}

function prefixLength(v: string, slash: number, max: number): number {
  let len = 0;
  if (slash === v.length - 1 || v.length - slash > 4) return -1;
  for (let i = slash + 1; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    len = len * 10 + (c - 48);
  }
  return len > max ? -1 : len;
}

/** Writes `vl_api_prefix_t` (address + u8 length, 18 bytes) from `'10.0.0.0/24'` text. */
export function writePrefix(b: Uint8Array, o: number, v: unknown, field: string): void {
  if (v === undefined) {
    zeroBytes(b, o, 18);
    return;
  }
  if (typeof v === 'string') {
    const slash = v.indexOf('/');
    if (slash > 0) {
      if (v.lastIndexOf(':', slash) >= 0) {
        const len = prefixLength(v, slash, 128);
        if (len >= 0 && parseIp6Into(v, 0, slash, b, o + 1)) {
          b[o] = 1;
          b[o + 17] = len;
          return;
        }
      } else {
        const len = prefixLength(v, slash, 32);
        if (len >= 0 && parseIp4Into(v, 0, slash, b, o + 1)) {
          b[o] = 0;
          zeroBytes(b, o + 5, 12);
          b[o + 17] = len;
          return;
        }
      }
    }
  }
  throw badAddress(field, v, 'an IP prefix (address/length)');
}

export function readPrefix(b: Uint8Array, o: number): string {
  return `${readAddress(b, o)}/${b[o + 17]!}`;
}

/** Writes `vl_api_ip4_prefix_t` (4 bytes + u8 length) from `'10.0.0.0/24'` text. */
export function writeIp4Prefix(b: Uint8Array, o: number, v: unknown, field: string): void {
  if (v === undefined) {
    zeroBytes(b, o, 5);
    return;
  }
  if (typeof v === 'string') {
    const slash = v.indexOf('/');
    const len = slash > 0 ? prefixLength(v, slash, 32) : -1;
    if (len >= 0 && parseIp4Into(v, 0, slash, b, o)) {
      b[o + 4] = len;
      return;
    }
  }
  throw badAddress(field, v, 'an IPv4 prefix (address/length)');
}

export function readIp4Prefix(b: Uint8Array, o: number): string {
  return `${readIp4(b, o)}/${b[o + 4]!}`;
}

/** Writes `vl_api_ip6_prefix_t` (16 bytes + u8 length) from `'fd00::/64'` text. */
export function writeIp6Prefix(b: Uint8Array, o: number, v: unknown, field: string): void {
  if (v === undefined) {
    zeroBytes(b, o, 17);
    return;
  }
  if (typeof v === 'string') {
    const slash = v.indexOf('/');
    const len = slash > 0 ? prefixLength(v, slash, 128) : -1;
    if (len >= 0 && parseIp6Into(v, 0, slash, b, o)) {
      b[o + 16] = len;
      return;
    }
  }
  throw badAddress(field, v, 'an IPv6 prefix (address/length)');
}

export function readIp6Prefix(b: Uint8Array, o: number): string {
  return `${readIp6(b, o)}/${b[o + 16]!}`;
}

/** Lower-case hex of bytes, e.g. for logs and JSON output. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!]!;
  return s;
}

/** Bytes from hex text (whitespace not allowed); throws a TypeError on odd length or bad digits. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2) throw new TypeError('hex text has an odd length');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const h = hexDigit(hex.charCodeAt(2 * i));
    const l = hexDigit(hex.charCodeAt(2 * i + 1));
    if (h < 0 || l < 0) throw new TypeError(`bad hex digit near offset ${2 * i}`);
    out[i] = (h << 4) | l;
  }
  return out;
}

/** Element count of an array or byte-array value written as a count field; 0 when absent. */
export function countOf(v: unknown, field: string): number {
  if (v === undefined) return 0;
  if (Array.isArray(v) || v instanceof Uint8Array) return v.length;
  throw typeError(field, v, 'array');
}

/** The value as an array, `[]` when absent. */
export function arrayOf<T>(v: readonly T[] | undefined, field: string): readonly T[] {
  if (v === undefined) return EMPTY_ARRAY;
  if (!Array.isArray(v)) throw typeError(field, v, 'array');
  // Array.isArray narrows a readonly array to any[]; the value is still the caller's readonly T[]
  return v as readonly T[];
}

/** True when `b[o, o + n)` holds only zeros. */
export function isZero(b: Uint8Array, o: number, n: number): boolean {
  for (let i = o; i < o + n; i++) if (b[i] !== 0) return false;
  return true;
}
