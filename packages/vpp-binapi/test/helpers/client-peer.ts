/**
 * A scriptable raw-socket VPP peer for client tests: speaks the framing and the handshake with a
 * message table built from the given definitions, and lets each test decide how to answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameDecoder, frame } from '../../src/codec/frame.js';
import type { MessageDef } from '../../src/codec/types.js';
import { SOCKCLNT_CREATE_ID, SOCKCLNT_CREATE_REPLY_ID } from '../../src/client/client.js';

type Msg = Record<string, unknown>;

export interface PeerConn {
  readonly socket: Socket;
  /** Sends a message by name; header fields are taken from `fields`. */
  send(name: string, fields?: Msg): void;
  /** Writes raw bytes. */
  raw(bytes: Uint8Array): void;
  /** Every message received, decoded, in order. */
  readonly received: { name: string; msg: Msg }[];
}

export type Handler = (msg: Msg, conn: PeerConn, name: string) => void;

export interface Peer {
  readonly path: string;
  readonly ids: Map<string, number>;
  readonly conns: PeerConn[];
  /** Answers requests by name; default: `<name>_reply` with retval 0 and the same context. */
  on(name: string, handler: Handler): void;
  /** Rewrites the CRC VPP announces for a message. */
  table: { index: number; name: string }[];
  close(): Promise<void>;
  /** Stops listening and drops every connection (VPP goes away). */
  stop(): Promise<void>;
  /** Listens again on the same path (VPP comes back). */
  restart(): Promise<void>;
  /** Resolves when a message with this name has been received. */
  waitFor(name: string): Promise<Msg>;
}

export async function startPeer(
  defs: MessageDef[],
  opts: { skip?: string[]; crcOverride?: Record<string, string> } = {},
): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), 'vpp-peer-'));
  const path = join(dir, 'api.sock');
  const byName = new Map(defs.map((d) => [d.name, d]));
  const ids = new Map<string, number>();
  const byId = new Map<number, MessageDef>();
  const table: { index: number; name: string }[] = [];
  let next = 100;
  for (const d of defs) {
    if (opts.skip?.includes(d.name)) continue;
    const id =
      d.name === 'sockclnt_create'
        ? SOCKCLNT_CREATE_ID
        : d.name === 'sockclnt_create_reply'
          ? SOCKCLNT_CREATE_REPLY_ID
          : next++;
    ids.set(d.name, id);
    byId.set(id, d);
    const crc = opts.crcOverride?.[d.name] ?? d.crc;
    table.push({ index: id, name: `${d.name}_${crc.slice(2)}` });
  }
  const handlers = new Map<string, Handler>();
  const waiters: { name: string; resolve(m: Msg): void }[] = [];
  const conns: PeerConn[] = [];
  const sockets = new Set<Socket>();
  let clientIndex = 0x80000001;

  const onConn = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const decoder = new FrameDecoder();
    const conn: PeerConn = {
      socket,
      received: [],
      send(name, fields = {}) {
        const def = byName.get(name)!;
        const payload = def.encode(def.create({ ...fields, _vl_msg_id: ids.get(name) }));
        if (!socket.destroyed) socket.write(frame(payload));
      },
      raw(bytes) {
        if (!socket.destroyed) socket.write(bytes);
      },
    };
    conns.push(conn);
    const myIndex = clientIndex++;
    socket.on('data', (chunk) => {
      for (const p of decoder.push(chunk).payloads) {
        const id = (p[0]! << 8) | p[1]!;
        const def = byId.get(id);
        if (!def) continue;
        const msg = def.decode(p, 0, p.length) as Msg;
        conn.received.push({ name: def.name, msg });
        for (const w of waiters.filter((x) => x.name === def.name)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(msg);
        }
        const h = handlers.get(def.name);
        if (h) {
          h(msg, conn, def.name);
          continue;
        }
        if (def.name === 'sockclnt_create') {
          conn.send('sockclnt_create_reply', {
            context: msg['context'],
            response: 0,
            index: myIndex,
            count: table.length,
            message_table: table,
          });
        } else if (def.name === 'sockclnt_delete') {
          conn.send('sockclnt_delete_reply', { context: msg['context'], response: 1 });
        } else if (def.name === 'control_ping') {
          conn.send('control_ping_reply', { context: msg['context'], vpe_pid: 4242 });
        } else if (byName.has(`${def.name}_reply`)) {
          conn.send(`${def.name}_reply`, { context: msg['context'] });
        }
      }
    });
  };

  let server: Server = createServer(onConn);
  await new Promise<void>((r) => server.listen(path, r));

  const stop = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return {
    path,
    ids,
    conns,
    table,
    on: (name, h) => handlers.set(name, h),
    waitFor: (name) => new Promise((resolve) => waiters.push({ name, resolve })),
    stop,
    async restart() {
      server = createServer(onConn);
      await new Promise<void>((r) => server.listen(path, r));
    },
    async close() {
      await stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
