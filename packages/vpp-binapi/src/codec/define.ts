import { VppDecodeError, VppEncodeError, messageOf, withMessageName } from './errors.js';
import { BufferViews, cursor, type Cursor } from './runtime.js';
import type { MessageDef } from './types.js';

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
  const { name } = meta;
  const { create, enc, dec } = impl;
  const fixed = typeof impl.size === 'number' ? impl.size : -1;
  const sizeFn = typeof impl.size === 'number' ? undefined : impl.size;
  const size = (msg: T): number => {
    if (typeof msg !== 'object' || msg === null)
      throw new VppEncodeError('bad_type', '', `expected a message object, got ${msg === null ? 'null' : typeof msg}`);
    return fixed >= 0 ? fixed : sizeFn!(msg);
  };
  const def: MessageDef<T> = {
    name,
    crc: meta.crc,
    nameCrc: `${name}_${meta.crc.replace(/^0x/, '')}`,
    module: meta.module,
    header: meta.header,
    contextOffset: meta.contextOffset,
    clientIndexOffset: meta.clientIndexOffset,
    fields: meta.fields,
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
  return def;
}
