import { type Socket, createConnection } from 'node:net';
import { FrameDecoder, frame } from '../codec/frame.js';
import type { MessageDef } from '../codec/types.js';
import { SOCKCLNT_CREATE_ID, SOCKCLNT_CREATE_REPLY_ID } from '../client/client.js';
import type { ConformanceClient, ConformanceSubscription } from './conformance/types.js';
import { VNET_API_ERROR } from './constants.js';
import { defaultBindings } from './registry.js';
import type { FakeVppBindings } from './server.js';

/** Options of {@link connectRawVpp}. */
export interface RawVppInit {
  readonly socket: string;
  /** Client name sent in `sockclnt_create`. Default `raw-test-client`. */
  readonly name?: string;
  /** Default: the generated bindings. */
  readonly bindings?: FakeVppBindings;
  /** Time limit of each request. Default 5000 ms. */
  readonly timeoutMs?: number;
}

/** Thrown by the raw client for a negative retval; carries the retval like the real client's error. */
export class RawVppApiError extends Error {
  override readonly name = 'RawVppApiError';
  constructor(
    readonly message_name: string,
    readonly retval: number,
    /** The whole reply (e.g. `cli_inband_reply.reply` carries VPP's error text). */
    readonly reply?: Record<string, unknown>,
  ) {
    super(`${message_name} failed with retval ${retval}`);
  }
}

/** A decoded message as the raw client returns it (`_name` added: the message name). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read decoded fields of any message without casts
export type RawMessage = Record<string, any>;

/** A minimal protocol peer: enough to drive the fake (and a real VPP) without the full client. */
export interface RawVppClient extends ConformanceClient {
  /** Request/reply; rejects with {@link RawVppApiError} for a negative retval. */
  call(name: string, msg?: Record<string, unknown>): Promise<RawMessage>;
  /** A `_dump` ended by `control_ping`. */
  dump(name: string, msg?: Record<string, unknown>): AsyncIterable<RawMessage>;
  /** One page of a `_get` with cursor: its details and its reply (retval and cursor), no paging. */
  getPage(name: string, msg?: Record<string, unknown>): Promise<{ details: RawMessage[]; reply: RawMessage }>;
  /** A `_get` with cursor, paged while VPP answers EAGAIN (-165); rejects with RawVppApiError otherwise. */
  get(name: string, msg?: Record<string, unknown>): AsyncIterable<RawMessage>;
  /** Message id announced for `name`. */
  messageId(name: string): number | undefined;
  /** Writes raw bytes to the socket (for malformed-input tests). */
  writeRaw(bytes: Uint8Array): void;
  /** Every message received that matched no pending request, decoded when possible. */
  readonly unsolicited: Record<string, unknown>[];
  /** Resolves when the socket has closed. */
  readonly closed: Promise<void>;
  readonly socket: Socket;
  /** Sends `sockclnt_delete` and closes the socket. */
  close(): Promise<void>;
}

/** A reply's retval, signed (VPP writes its int rv also into the u32 retval of a few replies); 0 when absent. */
function retvalOf(reply: Record<string, unknown> | undefined): number {
  return typeof reply?.retval === 'number' ? reply.retval | 0 : 0;
}

interface Pending {
  resolve(msgs: Record<string, unknown>[]): void;
  reject(err: Error): void;
  collected: Record<string, unknown>[];
  endName: string;
  timer: NodeJS.Timeout;
}

/**
 * Connects with the bare socket protocol: handshake, request/reply by context, dumps ended by a
 * `control_ping`, events. Intended for tests of the fake VPP; products use `connectVpp()`.
 * @throws Error when the handshake fails or times out.
 */
export async function connectRawVpp(init: RawVppInit): Promise<RawVppClient> {
  const bindings = init.bindings ?? defaultBindings();
  const timeoutMs = init.timeoutMs ?? 5000;
  const socket = createConnection(init.socket);
  const decoder = new FrameDecoder();
  const ids = new Map<string, number>();
  const byId = new Map<number, MessageDef<object>>();
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<(m: Record<string, unknown>) => void>>();
  const unsolicited: Record<string, unknown>[] = [];
  let clientIndex = 0;
  let nextContext = 1;
  const replyOf = new Map<string, string>();
  for (const s of bindings.services.values()) replyOf.set(s.request, s.reply);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));

  const failAll = (err: Error): void => {
    for (const [ctx, p] of pending) {
      clearTimeout(p.timer);
      p.reject(err);
      pending.delete(ctx);
    }
  };

  const onMessage = (payload: Uint8Array): void => {
    const id = ((payload[0] ?? 0) << 8) | (payload[1] ?? 0);
    const def = id === SOCKCLNT_CREATE_REPLY_ID ? bindings.messages.get('sockclnt_create_reply') : byId.get(id);
    if (!def) {
      unsolicited.push({ _vl_msg_id: id });
      return;
    }
    let msg: Record<string, unknown>;
    try {
      msg = def.decode(payload) as Record<string, unknown>;
    } catch {
      unsolicited.push({ _vl_msg_id: id, malformed: true });
      return;
    }
    msg._name = def.name;
    for (const l of listeners.get(def.name) ?? []) l(msg);
    if (def.header === 'event' || typeof msg.context !== 'number') return;
    const p = pending.get(msg.context);
    if (!p) {
      unsolicited.push(msg);
      return;
    }
    p.collected.push(msg);
    if (def.name === p.endName) {
      clearTimeout(p.timer);
      pending.delete(msg.context);
      p.resolve(p.collected);
    }
  };

  socket.on('data', (chunk: Buffer) => {
    const { payloads, error } = decoder.push(chunk);
    for (const p of payloads) onMessage(p);
    if (error) socket.destroy(new Error(`bad frame from VPP: ${error.reason}`));
  });
  socket.on('error', (err) => failAll(err));
  socket.on('close', () => failAll(new Error('connection closed')));

  const write = (name: string, fields: Record<string, unknown>, context: number): void => {
    const def = bindings.messages.get(name);
    const id = name === 'sockclnt_create' ? SOCKCLNT_CREATE_ID : ids.get(name);
    if (!def || id === undefined) throw new Error(`message ${name} is not available`);
    const msg = def.create({ ...fields, _vl_msg_id: id, client_index: clientIndex, context });
    socket.write(frame(def.encode(msg)));
  };

  /** Sends `name` (and, for a dump, the trailing `control_ping`) and collects every answer up to `endName`. */
  const request = (
    name: string,
    fields: Record<string, unknown>,
    endName: string,
    ping = false,
  ): Promise<Record<string, unknown>[]> =>
    new Promise((resolve, reject) => {
      const context = nextContext++;
      const timer = setTimeout(() => {
        pending.delete(context);
        reject(new Error(`${name}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(context, { resolve, reject, collected: [], endName, timer });
      try {
        write(name, fields, context);
        if (ping) write('control_ping', {}, context);
      } catch (err) {
        clearTimeout(timer);
        pending.delete(context);
        reject(err as Error);
      }
    });

  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const [hello] = await request('sockclnt_create', { name: init.name ?? 'raw-test-client' }, 'sockclnt_create_reply');
  clientIndex = Number(hello?.index ?? 0);
  for (const e of (hello?.message_table as { index: number; name: string }[] | undefined) ?? []) {
    const cut = e.name.lastIndexOf('_');
    const name = e.name.slice(0, cut);
    const def = bindings.messages.get(name);
    if (def && def.nameCrc === e.name) {
      ids.set(name, e.index);
      byId.set(e.index, def);
    }
  }

  const client: RawVppClient = {
    socket,
    unsolicited,
    closed,
    messageId: (name) => ids.get(name),
    writeRaw: (bytes) => socket.write(bytes),
    async call(name, msg = {}) {
      const replyName = replyOf.get(name);
      if (!replyName) throw new Error(`${name} has no reply`);
      const [reply] = await request(name, msg, replyName);
      const retval = retvalOf(reply);
      if (retval < 0) throw new RawVppApiError(name, retval, reply);
      return reply ?? {};
    },
    async getPage(name, msg = {}) {
      const replyName = replyOf.get(name);
      if (!replyName) throw new Error(`${name} has no reply`);
      const all = await request(name, msg, replyName);
      const reply = all.pop() ?? {};
      return { details: all, reply };
    },
    async *get(name, msg = {}) {
      let cursor = Number(msg['cursor'] ?? 0);
      for (;;) {
        const { details, reply } = await client.getPage(name, { ...msg, cursor });
        yield* details;
        const retval = retvalOf(reply);
        if (retval === VNET_API_ERROR.EAGAIN) {
          cursor = Number(reply.cursor);
          continue;
        }
        if (retval < 0) throw new RawVppApiError(name, retval);
        return;
      }
    },
    async *dump(name, msg = {}) {
      const all = await request(name, msg, 'control_ping_reply', true);
      for (const m of all) if (m._name !== 'control_ping_reply') yield m;
    },
    events(name, msg = {}) {
      const svc = bindings.services.get(name);
      const eventName = svc?.events?.[0] ?? 'sw_interface_event';
      const queue: Record<string, unknown>[] = [];
      let wake: (() => void) | undefined;
      let done = false;
      const listener = (m: Record<string, unknown>): void => {
        queue.push(m);
        wake?.();
      };
      const set = listeners.get(eventName) ?? new Set();
      set.add(listener);
      listeners.set(eventName, set);
      const ready = client.call(name, { ...msg, enable_disable: 1 }).then(() => undefined);
      const sub: ConformanceSubscription = {
        ready,
        async close() {
          done = true;
          set.delete(listener);
          wake?.();
          await client.call(name, { ...msg, enable_disable: 0 }).catch(() => undefined);
        },
        async *[Symbol.asyncIterator]() {
          await ready;
          while (!done) {
            const m = queue.shift();
            if (m) {
              yield m;
              continue;
            }
            await new Promise<void>((r) => (wake = r));
            wake = undefined;
          }
        },
      };
      return sub;
    },
    async close() {
      if (socket.destroyed) return;
      await request('sockclnt_delete', { index: clientIndex }, 'sockclnt_delete_reply').catch(() => undefined);
      socket.end();
      await closed;
    },
  };
  return client;
}
