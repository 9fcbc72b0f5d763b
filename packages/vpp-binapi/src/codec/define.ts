import { VppEncodeError, withMessageName } from './errors.js';
import { cursor, type Cursor } from './runtime.js';
import type { FieldDef, HeaderKind, MessageDef } from './types.js';

/** Static facts about one message, as the generator writes them. @internal */
export interface MessageMeta {
  readonly name: string;
  readonly crc: string;
  readonly module: string;
  readonly header: HeaderKind;
  readonly contextOffset: number;
  readonly clientIndexOffset: number;
  readonly fields: readonly FieldDef[];
  readonly status?: 'deprecated' | 'in_progress';
}

/** The specialised functions the generator writes for one message. @internal */
export interface MessageImpl<T> {
  /** A complete message with defaults. */
  readonly create: () => T;
  /** Fixed size in bytes, or a function for messages with variable parts. */
  readonly size: number | ((msg: T) => number);
  /** Writes `msg` at `o` (the buffer has room) and returns the end offset. */
  readonly enc: (msg: T, b: Uint8Array, o: number) => number;
  /** Reads one message at `c.o`. */
  readonly dec: (c: Cursor) => T;
}

const SLAB_SIZE = 64 * 1024;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabUsed = 0;

/**
 * `n` bytes for an encoded message: a view into a shared 64 KiB slab for small messages (allocating an
 * ArrayBuffer per message costs more than encoding it), a buffer of its own for large ones. Every byte
 * is written by the encoder. Views never overlap; a slab lives as long as any view on it.
 */
function allocate(n: number): Uint8Array {
  if (n > SLAB_SIZE / 8) return new Uint8Array(n);
  if (slabUsed + n > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabUsed = 0;
  }
  const out = new Uint8Array(slab, slabUsed, n);
  slabUsed += (n + 7) & ~7;
  return out;
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
  const size = (msg: T): number => (fixed >= 0 ? fixed : sizeFn!(msg));
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
          throw new VppEncodeError('buffer_too_small', '', `needs ${n} bytes at offset ${offset}, buffer has ${buf.length}`);
        }
        return enc(msg, buf, offset);
      } catch (err) {
        throw withMessageName(err, name);
      }
    },
    encode(msg: T): Uint8Array {
      try {
        const n = size(msg);
        const out = allocate(n);
        enc(msg, out, 0);
        return out;
      } catch (err) {
        throw withMessageName(err, name);
      }
    },
    decode(buf: Uint8Array, offset = 0, end = buf.length): T {
      try {
        return dec(cursor(buf, offset, Math.min(end, buf.length)));
      } catch (err) {
        throw withMessageName(err, name);
      }
    },
  };
  return def;
}
