/**
 * VPP socket-API framing: every message on api.sock is a 16-byte header followed by the payload.
 * Header layout (as captured from VPP 26.06): bytes 0-7 carry nothing a peer may rely on (we send
 * zeros), bytes 8-11 the payload length as u32 big endian, bytes 12-15 a gc mark (we send zero).
 */

export const FRAME_HEADER_SIZE = 16;
/** Largest payload we accept unless told otherwise: VPP's own socket server caps messages well below. */
export const DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;

/** Writes a frame header for a payload of `length` bytes at `offset`. */
export function writeFrameHeader(buf: Uint8Array, offset: number, length: number): void {
  if (offset < 0 || offset + FRAME_HEADER_SIZE > buf.length)
    throw new RangeError(`no room for a frame header at offset ${offset} of ${buf.length} bytes`);
  // byte by byte: cheaper than fill() and a DataView per frame on the request path
  const n = length >>> 0;
  for (let i = offset; i < offset + 8; i++) buf[i] = 0;
  buf[offset + 8] = n >>> 24;
  buf[offset + 9] = (n >>> 16) & 0xff;
  buf[offset + 10] = (n >>> 8) & 0xff;
  buf[offset + 11] = n & 0xff;
  buf[offset + 12] = 0;
  buf[offset + 13] = 0;
  buf[offset + 14] = 0;
  buf[offset + 15] = 0;
}

/** A payload with its frame header in front, ready to write to the socket. */
export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_SIZE + payload.length);
  writeFrameHeader(out, 0, payload.length);
  out.set(payload, FRAME_HEADER_SIZE);
  return out;
}

/** Why a byte stream could not be split into frames. */
export type FrameErrorReason = 'oversized' | 'truncated';

/**
 * Splits a byte stream into payloads. Feed it chunks as they arrive; it returns the complete payloads
 * and keeps the remainder. A declared length above `maxFrameSize` is reported, never allocated.
 */
export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameSize = DEFAULT_MAX_FRAME_SIZE) {}

  /** Bytes received but not yet part of a complete frame. */
  get pending(): number {
    return this.buffered;
  }

  /**
   * Adds a chunk and returns every complete payload (views that stay valid; they are not reused).
   * Returns `{ error: 'oversized', length }` when a header declares more than the limit; the decoder is
   * then unusable and the stream must be dropped.
   */
  push(chunk: Uint8Array): { payloads: Uint8Array[]; error?: { reason: FrameErrorReason; length: number } } {
    if (chunk.length) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const payloads: Uint8Array[] = [];
    if (this.buffered < FRAME_HEADER_SIZE) return { payloads };
    let data = this.chunks.length === 1 ? this.chunks[0]! : concat(this.chunks, this.buffered);
    let off = 0;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    while (data.length - off >= FRAME_HEADER_SIZE) {
      const length = view.getUint32(off + 8, false);
      if (length > this.maxFrameSize) {
        this.chunks = [];
        this.buffered = 0;
        return { payloads, error: { reason: 'oversized', length } };
      }
      if (data.length - off - FRAME_HEADER_SIZE < length) break;
      payloads.push(data.subarray(off + FRAME_HEADER_SIZE, off + FRAME_HEADER_SIZE + length));
      off += FRAME_HEADER_SIZE + length;
    }
    data = data.subarray(off);
    this.chunks = data.length ? [data] : [];
    this.buffered = data.length;
    return { payloads };
  }

  /** Call when the stream ends: reports a frame cut off mid-way, if any. */
  end(): { reason: FrameErrorReason; length: number } | undefined {
    if (this.buffered === 0) return undefined;
    const pending = this.buffered;
    this.chunks = [];
    this.buffered = 0;
    return { reason: 'truncated', length: pending };
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
