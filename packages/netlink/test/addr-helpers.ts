/** Shared by the rtnetlink family unit tests: a fake RtnlTransport and byte helpers. Not a test file. */
import { NLM_F_ACK, attrs, parseMessages, type NlMessage } from '../src/codec/nlmsg.js';
import type { BatchItemResult, CallOptions, RtnlTransport } from '../src/transport.js';

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The first message of a hex-encoded datagram. */
export function msg(s: string): NlMessage {
  const m = parseMessages(hex(s)).messages[0];
  if (!m) throw new Error('no message in hex');
  return m;
}

/**
 * A message in comparable form: netlink header with seq/pid zeroed and NLM_F_ACK set (the transport
 * adds it), the family header, and the top-level attributes as hex, sorted (iproute2 emits them in
 * command-line order; the kernel does not care about order).
 */
export function canon(bytes: Uint8Array, familyLen: number): { nlhdr: string; family: string; attrs: string[] } {
  const b = Uint8Array.from(bytes);
  const dv = new DataView(b.buffer);
  dv.setUint16(6, dv.getUint16(6, true) | NLM_F_ACK, true);
  dv.setUint32(8, 0, true);
  dv.setUint32(12, 0, true);
  const list: string[] = [];
  let off = 16 + familyLen;
  while (off + 4 <= b.length) {
    const len = dv.getUint16(off, true);
    list.push(toHex(b.subarray(off, off + len)));
    off += (len + 3) & ~3;
  }
  return { nlhdr: toHex(b.subarray(0, 16)), family: toHex(b.subarray(16, 16 + familyLen)), attrs: list.sort() };
}

/** Records what a family module sends and replays canned kernel replies. */
export class FakeTransport implements RtnlTransport {
  readonly requests: Uint8Array[] = [];
  readonly dumps: Uint8Array[] = [];
  readonly batches: Uint8Array[][] = [];
  readonly lookups: string[] = [];
  /** Interface indexes of the namespace the captures came from. */
  readonly links = new Map<string, number>([
    ['lo', 1],
    ['vb', 2],
    ['va', 3],
    ['br0', 4],
    ['vx0', 5],
  ]);
  /** Replies for successive `request` calls. */
  readonly requestReplies: NlMessage[][] = [];
  /** Replies for successive `dump` calls. */
  readonly dumpReplies: NlMessage[][] = [];
  /** Batch items the "kernel" refuses, by index. */
  readonly batchErrors = new Map<number, Error>();

  async request(m: Uint8Array, _opts?: CallOptions): Promise<NlMessage[]> {
    this.requests.push(m);
    return this.requestReplies.shift() ?? [];
  }
  async *dump(m: Uint8Array, _opts?: CallOptions): AsyncIterable<NlMessage> {
    this.dumps.push(m);
    for (const r of this.dumpReplies.shift() ?? []) yield r;
  }
  async batch(msgs: readonly Uint8Array[], _opts?: CallOptions): Promise<BatchItemResult[]> {
    this.batches.push([...msgs]);
    return msgs.map((_, index): BatchItemResult => {
      const error = this.batchErrors.get(index);
      return error ? { ok: false, index, error } : { ok: true, index, replies: [] };
    });
  }
  async linkIndex(name: string, _opts?: CallOptions): Promise<number> {
    this.lookups.push(name);
    const i = this.links.get(name);
    if (i === undefined) throw Object.assign(new Error(`link '${name}' not found`), { name: 'LinkNotFoundError' });
    return i;
  }
}

/** Collects an async iterable. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** The attribute types of a message body after its family header, in order. */
export function attrTypes(m: Uint8Array, familyLen: number): number[] {
  return [...attrs(m.subarray(16 + familyLen))].map((a) => a.type);
}

/** Runs `fn`, expecting an InvalidArgumentError naming `field`. */
export function invalid(fn: () => unknown): { name: string; field: string } {
  try {
    fn();
  } catch (e) {
    return { name: (e as Error).name, field: (e as { field?: string }).field ?? '' };
  }
  return { name: 'none', field: '' };
}

/** A spec with any field overridable, `undefined` included (to drop a default in a validation case). */
export type Loose<T> = { [K in keyof T]?: T[K] | undefined };

/** One netlink message with its 16-byte header (length, type, flags, seq, pid), payload padded to 4. */
export function frame(
  type: number,
  flags: number,
  seq: number,
  payload: Uint8Array = new Uint8Array(0),
  pid = 0,
): Uint8Array {
  const b = new Uint8Array(16 + ((payload.length + 3) & ~3));
  const v = new DataView(b.buffer);
  v.setUint32(0, 16 + payload.length, true);
  v.setUint16(4, type, true);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq, true);
  v.setUint32(12, pid, true);
  b.set(payload, 16);
  return b;
}
