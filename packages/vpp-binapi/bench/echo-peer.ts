/**
 * The cheapest possible VPP peer for the round-trip benchmark: answers the socket handshake with a
 * message table, then every request with a pre-encoded reply whose context is patched in (no decode,
 * no state). Shows the client's own ceiling, whatever the fake costs. Run alone it prints its socket:
 *
 *   npx tsx bench/echo-peer.ts
 */
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SOCKCLNT_CREATE_ID, SOCKCLNT_CREATE_REPLY_ID } from '../src/client/client.js';
import { FRAME_HEADER_SIZE, FrameDecoder, frame } from '../src/codec/frame.js';
import { messagesByName } from '../src/generated/index.js';

/** Request → reply pairs the peer answers. */
const PAIRS = [
  ['sockclnt_delete', 'sockclnt_delete_reply'],
  ['control_ping', 'control_ping_reply'],
  ['sw_interface_set_flags', 'sw_interface_set_flags_reply'],
  ['create_loopback', 'create_loopback_reply'],
] as const;

/** Message ids the peer announces (sockclnt_create/_reply keep their fixed ids). */
export const ECHO_IDS: ReadonlyMap<string, number> = new Map(
  ['sockclnt_create', 'sockclnt_create_reply', ...PAIRS.flat()].map((n, i) => [
    n,
    n === 'sockclnt_create' ? SOCKCLNT_CREATE_ID : n === 'sockclnt_create_reply' ? SOCKCLNT_CREATE_REPLY_ID : 100 + i,
  ]),
);

export async function startEchoPeer(): Promise<{ socketPath: string; stop(): Promise<void> }> {
  const socketPath = join(mkdtempSync(join(tmpdir(), 'echo-vpp-')), 'api.sock');
  const table = [...ECHO_IDS].map(([n, index]) => ({ index, name: messagesByName.get(n)!.nameCrc }));
  const replyFor = new Map<number, { bytes: Uint8Array; ctx: number }>();
  for (const [req, rep] of PAIRS) {
    const def = messagesByName.get(rep)!;
    replyFor.set(ECHO_IDS.get(req)!, {
      bytes: frame(def.encode(def.create({ _vl_msg_id: ECHO_IDS.get(rep), sw_if_index: 1 } as never))),
      ctx: FRAME_HEADER_SIZE + def.contextOffset,
    });
  }
  const handshake = messagesByName.get('sockclnt_create_reply')!;
  const server = createServer((sock) => {
    const dec = new FrameDecoder();
    sock.on('error', () => {});
    sock.on('data', (chunk) => {
      const out: Uint8Array[] = [];
      for (const p of dec.push(chunk).payloads) {
        const id = (p[0]! << 8) | p[1]!;
        if (id === SOCKCLNT_CREATE_ID) {
          const ctx = new DataView(p.buffer, p.byteOffset).getUint32(2);
          out.push(
            frame(
              handshake.encode(
                handshake.create({
                  _vl_msg_id: SOCKCLNT_CREATE_REPLY_ID,
                  context: ctx,
                  index: 1,
                  count: table.length,
                  message_table: table,
                } as never),
              ),
            ),
          );
          continue;
        }
        const r = replyFor.get(id);
        if (!r) continue;
        const b = Buffer.from(r.bytes);
        b.set(p.subarray(6, 10), r.ctx); // requests carry context at payload offset 6
        out.push(b);
      }
      if (out.length === 1) sock.write(out[0]!);
      else if (out.length) sock.write(Buffer.concat(out));
    });
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  return { socketPath, stop: () => new Promise<void>((r) => server.close(() => r())) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const peer = await startEchoPeer();
  console.log(peer.socketPath);
}
