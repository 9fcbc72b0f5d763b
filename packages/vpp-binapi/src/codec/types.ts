/**
 * The contract between generated bindings (src/generated/), the client (src/client/) and the fake VPP
 * (src/testing/). Generated modules export one `MessageDef` per VPP message; everything else works from
 * these descriptors and never from hand-written layouts.
 *
 * Value conventions (the same as VPP's own Python decoder, so decoded messages compare 1:1 with the
 * golden captures):
 * - integers u8..u32/i8..i32 and f64: `number`; u64/i64: `bigint`; bool: `boolean`. When encoding,
 *   u8..u32/i8..i32 take only numbers that fit (a bigint, string, null, NaN or fraction is refused);
 *   u64/i64 also take numbers, as long as they are safe integers (larger ones may already have lost
 *   precision, so they must be bigints);
 * - enums and enumflags: `number` (generated `as const` objects give the names);
 * - fixed and variable strings: `string`, without NUL characters (VPP reads them as C strings);
 * - u8 arrays that are byte data (not aliases below): `Uint8Array`; other arrays: `T[]`;
 * - well-known aliases and types as text: ip4_address / ip6_address (`'10.0.0.1'`, `'fd00::1'`),
 *   address (`'10.0.0.1'` or `'fd00::1'`, family from the text), prefix / ip4_prefix / ip6_prefix and the
 *   *_with_prefix aliases (`'10.0.0.0/24'`), mac_address (`'02:00:00:00:00:01'`);
 * - structs and unions: plain objects; absent (`undefined`) means every field takes its default, while
 *   anything else that is not an object (a string, number, `null`, an array) is refused;
 * - unions without a discriminator: an object with every member decoded (`{ ip4, ip6 }`); when encoding,
 *   the union starts as zeros, a member whose bytes are all zero counts as unset, and every other
 *   member present must agree with the others on the bytes they share (the longest one's bytes are
 *   written). So a decoded union re-encodes exactly, `{ ip4: '0.0.0.0', ip6: 'fd00::1' }` from
 *   `create()` writes the ip6, and `{ ip4: '10.0.0.1', ip6: 'fd00::1' }` is refused
 *   (`union_mismatch`) instead of silently dropping one;
 * - prefixes keep the host bits VPP sent (`'10.10.0.1/24'`), so decoded messages re-encode exactly;
 * - a variable-length array's count field (`n_paths`) is optional when encoding: the encoder always
 *   writes the array's length, whatever the count field says;
 * - fixed arrays shorter than their length are zero-filled; longer ones are an error;
 * - fixed strings (`string x[N]`) hold at most N-1 UTF-8 bytes (NUL terminated); variable strings
 *   (`string x[]`) are a u32 length and the bytes, at most `limit - 1` bytes when a limit is given;
 * - a field absent at encode time takes its schema default, else zero / empty;
 * - unions with a discriminator (`{"discriminator": "type"}` on the field, `{"case": "X"}` on the
 *   members): a TypeScript tagged union keyed on the discriminator field. When encoding, the union
 *   value must hold the member its tag selects and no other (`union_mismatch`), or be absent (zeros).
 *   A tag no member names is carried as the whole union, unless VPP's C code shows which member it
 *   uses (the generator's UNION_CASE_OVERRIDES: npol's NPOL_IP_SET uses `set_id`).
 */

/** The three header layouts VPP messages start with. */
export type HeaderKind =
  /** `_vl_msg_id` u16, `client_index` u32, `context` u32 */
  | 'request'
  /** `_vl_msg_id` u16, `context` u32 */
  | 'reply'
  /** `_vl_msg_id` u16, `client_index` u32, then payload (no context), e.g. `sw_interface_event` */
  | 'event'
  /** `_vl_msg_id` u16 only, or anything else */
  | 'other';

/** A schema-level description of one field, kept for introspection (CLI, fake VPP, docs). */
export interface FieldDef {
  readonly name: string;
  /** VPP type name as in the schema, e.g. `u32`, `vl_api_prefix_t`, `string`. */
  readonly type: string;
  /** Fixed array length, 0 for a variable-length array, absent for a scalar. */
  readonly length?: number;
  /** For a variable-length array: the name of the field holding its length, if any. */
  readonly lengthFrom?: string;
  readonly default?: unknown;
}

/** One VPP message: its identity and its specialised encoder and decoder. */
export interface MessageDef<T extends object = Record<string, unknown>> {
  /** VPP message name, e.g. `ip_route_add_del`. */
  readonly name: string;
  /** CRC from the schema, `0x` prefixed lower-case hex, e.g. `0xb8ecfe0d`. */
  readonly crc: string;
  /** Wire name used in the message table: `<name>_<crc without 0x>`. */
  readonly nameCrc: string;
  /** `.api` module the message comes from, e.g. `ip`. */
  readonly module: string;
  readonly header: HeaderKind;
  /** Byte offset of `context` in the payload, or -1. */
  readonly contextOffset: number;
  /** Byte offset of `client_index` in the payload, or -1. */
  readonly clientIndexOffset: number;
  readonly fields: readonly FieldDef[];
  /** `deprecated` / `in_progress` from the schema options, when present. */
  readonly status?: 'deprecated' | 'in_progress';
  /** A complete message from a partial one: schema defaults, zeros, empty strings and arrays. */
  create(init?: Partial<T>): T;
  /** Encoded payload size in bytes, message id included. */
  size(msg: T): number;
  /**
   * Writes the payload at `offset` and returns the offset after it. The header fields
   * (`_vl_msg_id`, `client_index`, `context`) are taken from `msg` (0 when absent); callers may patch
   * them afterwards at offset 0, `clientIndexOffset` and `contextOffset`.
   * @throws VppEncodeError naming the field path when a value does not fit its field.
   */
  encodeInto(msg: T, buf: Uint8Array, offset: number): number;
  /**
   * `encodeInto` into a new Uint8Array of exactly `size(msg)` bytes. Small messages are views into a
   * shared slab (mind `byteOffset`; copy before transferring the ArrayBuffer to a worker).
   */
  encode(msg: T): Uint8Array;
  /**
   * Decodes one payload from `buf[offset, end)`.
   * @throws VppDecodeError when the bytes are truncated or inconsistent.
   */
  decode(buf: Uint8Array, offset?: number, end?: number): T;
}

/** How a request is answered, from the schema's `services` section. */
export interface ServiceDef {
  readonly request: string;
  readonly reply: string;
  /** `_dump` requests: the details message streamed before the control_ping_reply. */
  readonly stream?: string;
  /** `_get` requests with cursor: the details message streamed before the reply. */
  readonly streamMessage?: string;
  /** Events a `want_*` request enables. */
  readonly events?: readonly string[];
}
