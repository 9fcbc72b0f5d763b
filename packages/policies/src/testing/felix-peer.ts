/** A Felix-side test peer: connects to the dataplane socket, sends framed ToDataplane, reads FromDataplane. */
import { connect, type Socket } from 'node:net';
import { FelixFrameDecoder, frameFelix } from '../felix/framing.js';
import { FromDataplane, TO_OBJECT, ToDataplane } from '../felix/proto.js';

export interface FelixPeer {
  /** Sends one `felix.ToDataplane` given as a plain object (snake_case field names, one payload). */
  send(msg: Record<string, unknown>): void;
  /** Writes raw bytes (for bad-input tests). */
  write(bytes: Uint8Array): void;
  /** Resolves with the next FromDataplane message that has `payload` (skips others). */
  next(payload: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Every FromDataplane received so far. */
  readonly received: readonly Record<string, unknown>[];
  /** Resolves when the server closed the connection. */
  readonly closed: Promise<void>;
  close(): void;
}

export async function connectFelixPeer(socketPath: string): Promise<FelixPeer> {
  const sock: Socket = await new Promise((resolve, reject) => {
    const s = connect(socketPath, () => resolve(s));
    s.once('error', reject);
  });
  const decoder = new FelixFrameDecoder();
  const received: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  let seq = 0;
  sock.on('data', (chunk: Buffer) => {
    for (const f of decoder.push(chunk)) received.push(FromDataplane.toObject(FromDataplane.decode(f), TO_OBJECT));
    for (const w of waiters.splice(0)) w();
  });
  sock.on('error', () => {});
  const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
  return {
    received,
    closed,
    send(msg) {
      const m = ToDataplane.fromObject({ sequence_number: ++seq, ...msg });
      sock.write(frameFelix(ToDataplane.encode(m).finish()));
    },
    write(bytes) {
      sock.write(bytes);
    },
    next(payload, timeoutMs = 5000) {
      let seen = 0;
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no FromDataplane ${payload} within ${timeoutMs} ms`)), timeoutMs);
        const check = () => {
          for (; seen < received.length; seen++) {
            const m = received[seen]!;
            if (m['payload'] === payload) {
              clearTimeout(t);
              resolve(m);
              return;
            }
          }
          waiters.push(check);
        };
        check();
      });
    },
    close() {
      sock.destroy();
    },
  };
}
