/** Felix's dataplane framing: an 8-byte little-endian length, then that many bytes of protobuf. */
import { FelixFrameTooLargeError, FelixFrameTruncatedError } from '../errors.js';

export const FELIX_HEADER_SIZE = 8;
/** Default largest frame accepted: 64 MiB (a full IPSetUpdate of a big cluster fits). */
export const DEFAULT_FELIX_MAX_FRAME = 64 * 1024 * 1024;

/** Frames a message. */
export function frameFelix(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FELIX_HEADER_SIZE + body.length);
  out.writeBigUInt64LE(BigInt(body.length), 0);
  out.set(body, FELIX_HEADER_SIZE);
  return out;
}

/** Splits a byte stream into frames. */
export class FelixFrameDecoder {
  #chunks: Buffer[] = [];
  #size = 0;
  constructor(readonly maxFrame: number = DEFAULT_FELIX_MAX_FRAME) {}

  /**
   * Adds bytes; returns the complete frames.
   * @throws FelixFrameTooLargeError when a length prefix exceeds `maxFrame`.
   */
  push(chunk: Buffer): Buffer[] {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.#size < FELIX_HEADER_SIZE) break;
      const buf = this.#flat();
      const len = buf.readBigUInt64LE(0);
      if (len > BigInt(this.maxFrame)) throw new FelixFrameTooLargeError(Number(len), this.maxFrame);
      const n = Number(len);
      if (buf.length < FELIX_HEADER_SIZE + n) break;
      frames.push(buf.subarray(FELIX_HEADER_SIZE, FELIX_HEADER_SIZE + n));
      const rest = buf.subarray(FELIX_HEADER_SIZE + n);
      this.#chunks = rest.length ? [rest] : [];
      this.#size = rest.length;
    }
    return frames;
  }

  /** @throws FelixFrameTruncatedError when the stream ended inside a frame. */
  end(): void {
    if (this.#size === 0) return;
    const buf = this.#flat();
    const expected =
      buf.length >= FELIX_HEADER_SIZE ? FELIX_HEADER_SIZE + Number(buf.readBigUInt64LE(0)) : FELIX_HEADER_SIZE;
    throw new FelixFrameTruncatedError(expected, buf.length);
  }

  #flat(): Buffer {
    if (this.#chunks.length !== 1) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!;
  }
}
