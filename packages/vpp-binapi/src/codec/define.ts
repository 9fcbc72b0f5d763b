import { VppDecodeError, VppEncodeError, messageOf, withMessageName } from './errors.js';
import { BufferViews, cursor, type Cursor } from './runtime.js';
import type { FieldDef, HeaderKind, MessageDef } from './types.js';

/** Static facts about one message, as the generator writes them: `MessageDef`'s data but `nameCrc`. @internal */
export type MessageMeta = Pick<
  MessageDef,
  'name' | 'crc' | 'module' | 'header' | 'contextOffset' | 'clientIndexOffset' | 'fields' | 'status'
>;

/** The specialised functions the generator writes for one message. @internal */
export interface MessageImpl<T> {
  /** A complete message with defaults. */
  readonly create: () => T;
  /** Fixed size in bytes, or a function for messages with variable parts. */
  readonly size: number | ((msg: T) => number);
  /** Writes `msg` at `o` (the buffer has room) and returns the end offset. */
  readonly enc: (msg: T, b: Uint8Array, dv: DataView, o: number) => number;
  /** Reads one message at `c.o`. */
  readonly dec: (c: Cursor) => T;
}

const SLAB_SIZE = 64 * 1024;
let slab = new Uint8Array(SLAB_SIZE);
let slabDv = new DataView(slab.buffer);
let slabUsed = 0;
const writeViews = new BufferViews();

/**
 * Encoded messages up to SLAB_SIZE / 8 bytes are views into a shared 64 KiB slab: allocating an
 * ArrayBuffer (and a DataView) per message costs more than encoding it. Every byte of a view is
 * written by the encoder; views never overlap; a slab lives as long as any view on it.
 */
function encodeNew<T>(enc: MessageImpl<T>['enc'], msg: T, n: number, name: string): Uint8Array {
  if (n > SLAB_SIZE / 8) {
    const out = new Uint8Array(n);
    checkEnd(enc(msg, out, new DataView(out.buffer), 0), n, name);
    return out;
  }
  if (slabUsed + n > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabDv = new DataView(slab.buffer);
    slabUsed = 0;
  }
  const at = slabUsed;
  checkEnd(enc(msg, slab, slabDv, at), at + n, name);
  slabUsed += (n + 7) & ~7;
  return new Uint8Array(slab.buffer, at, n);
}

function checkEnd(end: number, expected: number, name: string): void {
  if (end !== expected)
    throw new Error(`vpp-binapi: ${name} encoder wrote ${end} bytes where size() said ${expected} (a generator bug)`);
}

/** Decode errors carry offsets relative to the caller's Uint8Array. */
function rebase(err: unknown, base: number): unknown {
  const e = err as { name?: unknown; offset?: unknown; message?: unknown; messageName?: unknown };
  if (base !== 0 && e?.name === 'VppDecodeError' && typeof e.offset === 'number') {
    e.offset -= base;
    if (typeof e.message === 'string') e.message = messageOf(e, e.messageName as string | undefined);
  }
  return err;
}

/**
 * Builds a `MessageDef` from generated parts: the error wrapping, buffer handling and `create()`
 * merging live here once instead of in every generated message. @internal
 */
export function defineMessage<T extends object>(meta: MessageMeta, impl: MessageImpl<T>): MessageDef<T> {
  return build(meta, impl, () => meta.fields);
}

/** Header kinds by the letter a field spec starts with, their standard fields and offsets (context, client_index). */
const HEADERS: Record<string, { kind: HeaderKind; fields: string; context: number; client: number }> = {
  q: { kind: 'request', fields: '_vl_msg_id:u16;client_index:u32;context:u32', context: 6, client: 2 },
  r: { kind: 'reply', fields: '_vl_msg_id:u16;context:u32', context: 2, client: -1 },
  e: { kind: 'event', fields: '_vl_msg_id:u16;client_index:u32', context: -1, client: 2 },
  o: { kind: 'other', fields: '', context: -1, client: -1 },
};

const FIELD = /^([^:]+):([^[=]+)(?:\[(\d*)(?:@([^\]]+))?\])?(?:=(.*))?$/;

/**
 * The fields a compact spec describes (see `message`): one `name:type[length@lengthFrom]=default`
 * per field, `;` between them, `.x` standing for `vl_api_x_t`, the default as JSON. @internal
 */
export function parseFields(spec: string): FieldDef[] {
  const h = HEADERS[spec[0]!.toLowerCase()];
  if (!h) throw new Error(`vpp-binapi: bad field spec ${JSON.stringify(spec)}`);
  let body = spec.slice(1);
  if (spec[0] !== spec[0]!.toLowerCase()) body = body ? `${h.fields};${body}` : h.fields;
  if (body === '') return [];
  return body.split(';').map((f) => {
    const m = FIELD.exec(f);
    if (!m) throw new Error(`vpp-binapi: bad field spec ${JSON.stringify(f)}`);
    const type = m[2]!.startsWith('.') ? `vl_api_${m[2]!.slice(1)}_t` : m[2]!;
    const out: { -readonly [K in keyof FieldDef]: FieldDef[K] } = { name: m[1]!, type };
    if (m[3] !== undefined && m[3] !== '') out.length = Number(m[3]);
    if (m[4] !== undefined) out.lengthFrom = m[4];
    if (m[5] !== undefined) out.default = JSON.parse(m[5]) as unknown;
    return out;
  });
}

/**
 * `defineMessage` in the form the generator writes, as short as it can be: the module, name, CRC
 * (hex without `0x`), a field spec (`parseFields`) whose first letter gives the header kind
 * (`q` request, `r` reply, `e` event, `o` other; upper-case when the spec leaves out the header's
 * standard fields), then the specialised functions. `fields` is parsed when first read. @internal
 */
export function message<T extends object>(
  module: string,
  name: string,
  crc: string,
  spec: string | readonly FieldDef[],
  create: MessageImpl<T>['create'],
  size: MessageImpl<T>['size'],
  enc: MessageImpl<T>['enc'],
  dec: MessageImpl<T>['dec'],
  status?: 'deprecated' | 'in_progress',
  header?: [HeaderKind, number, number],
): MessageDef<T> {
  const h = typeof spec === 'string' ? HEADERS[spec[0]!.toLowerCase()]! : undefined;
  let fields: readonly FieldDef[] | undefined = typeof spec === 'string' ? undefined : spec;
  const meta: Omit<MessageMeta, 'fields'> = {
    name,
    crc: `0x${crc}`,
    module,
    header: header?.[0] ?? h?.kind ?? 'other',
    contextOffset: header?.[1] ?? h?.context ?? -1,
    clientIndexOffset: header?.[2] ?? h?.client ?? -1,
    ...(status ? { status } : {}),
  };
  return build(meta, { create, size, enc, dec }, () => (fields ??= parseFields(spec as string)));
}

function build<T extends object>(
  meta: Omit<MessageMeta, 'fields'>,
  impl: MessageImpl<T>,
  fields: () => readonly FieldDef[],
): MessageDef<T> {
  const { name } = meta;
  const { create, enc, dec } = impl;
  const fixed = typeof impl.size === 'number' ? impl.size : -1;
  const sizeFn = typeof impl.size === 'number' ? undefined : impl.size;
  const size = (msg: T): number => {
    if (typeof msg !== 'object' || msg === null)
      throw new VppEncodeError('bad_type', '', `expected a message object, got ${msg === null ? 'null' : typeof msg}`);
    return fixed >= 0 ? fixed : sizeFn!(msg);
  };
  const def: Omit<MessageDef<T>, 'fields'> = {
    name,
    crc: meta.crc,
    nameCrc: `${name}_${meta.crc.replace(/^0x/, '')}`,
    module: meta.module,
    header: meta.header,
    contextOffset: meta.contextOffset,
    clientIndexOffset: meta.clientIndexOffset,
    ...(meta.status ? { status: meta.status } : {}),
    create(init?: Partial<T>): T {
      const msg = create();
      return init ? Object.assign(msg, init) : msg;
    },
    size(msg: T): number {
      try {
        return size(msg);
      } catch (err) {
        throw withMessageName(err, name);
      }
    },
    encodeInto(msg: T, buf: Uint8Array, offset: number): number {
      try {
        const n = size(msg);
        if (offset < 0 || offset + n > buf.length) {
          throw new VppEncodeError(
            'buffer_too_small',
            '',
            `needs ${n} bytes at offset ${offset}, buffer has ${buf.length}`,
          );
        }
        const v = writeViews.of(buf);
        const at = buf.byteOffset + offset;
        const end = enc(msg, v.b, v.dv, at);
        checkEnd(end, at + n, name);
        return end - buf.byteOffset;
      } catch (err) {
        throw withMessageName(err, name);
      }
    },
    encode(msg: T): Uint8Array {
      try {
        return encodeNew(enc, msg, size(msg), name);
      } catch (err) {
        throw withMessageName(err, name);
      }
    },
    decode(buf: Uint8Array, offset = 0, end = buf.length): T {
      try {
        const stop = Math.min(end, buf.length);
        if (!(offset >= 0 && offset <= stop))
          throw new VppDecodeError('truncated', offset, `no bytes between offset ${offset} and end ${stop}`);
        return dec(cursor(buf, offset, stop));
      } catch (err) {
        throw withMessageName(rebase(err, buf.byteOffset), name);
      }
    },
  };
  // one getter for every message, added after the literal: an accessor in the literal itself would
  // leave the object in dictionary mode, and calls through it (def.encode) would not be inlined
  fieldSources.set(def, fields);
  Object.defineProperty(def, 'fields', FIELDS_PROPERTY);
  return def as MessageDef<T>;
}

const fieldSources = new WeakMap<object, () => readonly FieldDef[]>();
const FIELDS_PROPERTY: PropertyDescriptor = {
  get(this: object): readonly FieldDef[] {
    return fieldSources.get(this)!();
  },
  enumerable: true,
  configurable: false,
};
