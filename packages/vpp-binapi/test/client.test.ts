import { afterEach, describe, expect, it } from 'vitest';
import { frame } from '../src/codec/frame.js';
import type { VppClient } from '../src/client/client.js';
import { connectVpp, connectVppWith, defaultBindings, type VppApi } from '../src/client/connect.js';
import type { AnyVppApi, VppClientInit } from '../src/client/types.js';
import { messages, messagesByName } from '../src/generated/index.js';
import { startPeer, type Peer } from './helpers/client-peer.js';
import { until } from './helpers/until.js';

const bindings = defaultBindings;
const ALL = [...messages];
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function setup(
  init: VppClientInit = {},
  peerOpts: Parameters<typeof startPeer>[1] = {},
): Promise<{ peer: Peer; vpp: VppClient<VppApi>; errors: Error[] }> {
  const peer = await startPeer(ALL, peerOpts);
  cleanups.push(() => peer.close());
  const vpp = await connectVpp({ socket: peer.path, timeoutMs: 2000, ...init });
  cleanups.push(() => vpp.close());
  const errors: Error[] = [];
  vpp.addEventListener('vpp:error', (e) => errors.push(e.detail.error));
  return { peer, vpp, errors };
}

function rejection(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error & Record<string, unknown>,
  );
}

describe('handshake and message table', () => {
  it('registers with sockclnt_create and resolves ids by name_crc', async () => {
    const { peer, vpp } = await setup({ name: 'unit-test' });
    const create = peer.conns[0]!.received[0]!;
    expect(create.name).toBe('sockclnt_create');
    expect(create.msg['name']).toBe('unit-test');
    expect(vpp.clientIndex).toBe(0x80000001);
    expect(vpp.table.get('control_ping_51077d14')).toBe(peer.ids.get('control_ping'));
    expect(vpp.compat.ok).toBe(true);
    const reply = await vpp.call('control_ping');
    expect(reply['vpe_pid']).toBe(4242);
    const ping = peer.conns[0]!.received.at(-1)!;
    expect(ping.name).toBe('control_ping');
    expect(ping.msg['_vl_msg_id']).toBe(peer.ids.get('control_ping'));
    expect(ping.msg['client_index']).toBe(0x80000001);
  });

  it('detects CRC mismatches at connect: those refuse to send by name, the rest work', async () => {
    const { vpp } = await setup({}, { crcOverride: { delete_loopback: '0xdeadbeef' }, skip: ['sw_interface_dump'] });
    expect(vpp.compat.ok).toBe(false);
    expect(vpp.compat.mismatched).toEqual([
      {
        name: 'delete_loopback',
        crc: '0xf9e6675e',
        vppCrc: '0xdeadbeef',
        crcs: [{ crc: '0xf9e6675e', releases: ['25.10', '26.02', '26.06'] }],
      },
    ]);
    expect(vpp.compat.releases).toEqual([]);
    expect(vpp.compat.missing).toEqual(['sw_interface_dump']);
    const err = await rejection(vpp.call('delete_loopback', { sw_if_index: 1 }));
    expect(err.name).toBe('VppCrcMismatchError');
    expect(err.code).toBe('VPP_CRC_MISMATCH');
    expect(err.messageName).toBe('delete_loopback');
    expect(err.message).toBe(
      "delete_loopback: CRC 0xf9e6675e of our bindings differs from VPP's 0xdeadbeef (ours is VPP 25.10, 26.02, 26.06); refusing to send",
    );
    const missing = await rejection(
      (async () => {
        for await (const _ of vpp.dump('sw_interface_dump', {})) void _;
      })(),
    );
    expect(missing.name).toBe('VppUnsupportedMessageError');
    await expect(vpp.call('sw_interface_set_flags', { sw_if_index: 1, flags: 1 })).resolves.toMatchObject({
      retval: 0,
    });
  });

  it('rejects a name outside the bindings', async () => {
    const { vpp } = await setup();
    const err = await rejection((vpp as unknown as VppClient<AnyVppApi>).call('no_such_message'));
    expect(err.name).toBe('VppUnknownMessageError');
  });

  it('fails to connect with VppConnectError, and a refused registration with VppHandshakeError', async () => {
    const err = await rejection(connectVppWith(bindings, { socket: '/nonexistent/api.sock', timeoutMs: 500 }));
    expect(err.name).toBe('VppConnectError');
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ENOENT');

    const peer = await startPeer(ALL);
    cleanups.push(() => peer.close());
    peer.on('sockclnt_create', (m, c) =>
      c.send('sockclnt_create_reply', { context: m['context'], response: -1, count: 0, message_table: [] }),
    );
    const err2 = await rejection(connectVppWith(bindings, { socket: peer.path, timeoutMs: 500 }));
    expect(err2.name).toBe('VppHandshakeError');
  });

  it('honours the connect AbortSignal', async () => {
    const peer = await startPeer(ALL);
    cleanups.push(() => peer.close());
    peer.on('sockclnt_create', () => {});
    const err = await rejection(connectVppWith(bindings, { socket: peer.path, signal: AbortSignal.timeout(50) }));
    expect(err.name).toBe('VppConnectError');
  });
});

describe('framing', () => {
  it('reassembles frames split byte by byte and splits frames that arrive together', async () => {
    const { peer, vpp } = await setup();
    const id = peer.ids.get('delete_loopback_reply')!;
    peer.on('delete_loopback', (m, c) => {
      const def = messagesByName.get('delete_loopback_reply')!;
      const bytes = frame(def.encode(def.create({ _vl_msg_id: id, context: m['context'], retval: 0 })));
      if (m['sw_if_index'] === 1) {
        let i = 0;
        const drip = (): void => {
          if (i < bytes.length) c.raw(bytes.subarray(i, ++i));
          if (i < bytes.length) setImmediate(drip);
        };
        drip();
      } else {
        c.raw(Buffer.concat([bytes, bytes.slice()]));
      }
    });
    await expect(vpp.call('delete_loopback', { sw_if_index: 1 })).resolves.toMatchObject({ retval: 0 });
    // the duplicate of the second reply arrives in the same chunk and is reported as a stray
    const errors: Error[] = [];
    vpp.addEventListener('vpp:error', (e) => errors.push(e.detail.error));
    await expect(vpp.call('delete_loopback', { sw_if_index: 2 })).resolves.toMatchObject({ retval: 0 });
    await until(() => errors.length > 0);
    expect(errors[0]!.name).toBe('VppUnexpectedContextError');
  });
});

describe('requests', () => {
  it('matches replies to requests by context, whatever their order', async () => {
    const { peer, vpp } = await setup();
    const held: { ctx: unknown; idx: unknown }[] = [];
    peer.on('sw_interface_set_flags', (m, c) => {
      held.push({ ctx: m['context'], idx: m['sw_if_index'] });
      if (held.length === 3) {
        for (const h of held.reverse())
          c.send('sw_interface_set_flags_reply', { context: h.ctx, retval: -(h.idx as number) });
      }
    });
    const results = await Promise.allSettled(
      [1, 2, 3].map((i) => vpp.call('sw_interface_set_flags', { sw_if_index: i })),
    );
    expect(results.map((r) => (r as PromiseRejectedResult).reason.retval)).toEqual([-1, -2, -3]);
  });

  it('throws VppApiError with retval, VPP error name and message name on a negative retval', async () => {
    const { peer, vpp } = await setup();
    peer.on('delete_loopback', (m, c) => c.send('delete_loopback_reply', { context: m['context'], retval: -2 }));
    const err = await rejection(vpp.call('delete_loopback', { sw_if_index: 9999 }));
    expect(err).toMatchObject({
      name: 'VppApiError',
      retval: -2,
      code: 'INVALID_SW_IF_INDEX',
      errorName: 'VNET_API_ERROR_INVALID_SW_IF_INDEX',
      messageName: 'delete_loopback',
    });
    expect(err.message).toContain('VNET_API_ERROR_INVALID_SW_IF_INDEX');
  });

  it('names retvals VPP does not list as UNKNOWN', async () => {
    const { peer, vpp } = await setup();
    peer.on('delete_loopback', (m, c) => c.send('delete_loopback_reply', { context: m['context'], retval: -9999 }));
    const err = await rejection(vpp.call('delete_loopback'));
    expect(err).toMatchObject({ code: 'UNKNOWN', retval: -9999 });
  });

  it('pipelines many requests, never more than maxInFlight on the wire', async () => {
    const { peer, vpp } = await setup({ maxInFlight: 8 });
    let outstanding = 0;
    let max = 0;
    peer.on('sw_interface_set_flags', (m, c) => {
      outstanding++;
      max = Math.max(max, outstanding);
      setTimeout(() => {
        outstanding--;
        c.send('sw_interface_set_flags_reply', { context: m['context'] });
      }, 1);
    });
    const all = Array.from({ length: 200 }, (_, i) => vpp.call('sw_interface_set_flags', { sw_if_index: i }));
    expect(vpp.stats.inFlight).toBe(8);
    expect(vpp.stats.waiting).toBe(192);
    await Promise.all(all);
    expect(max).toBeLessThanOrEqual(8);
    expect(max).toBeGreaterThan(1);
    expect(vpp.stats).toMatchObject({ inFlight: 0, waiting: 0 });
  });

  it('stops writing when the socket buffer is full and continues on drain', async () => {
    const { peer, vpp } = await setup({ maxInFlight: 1_000_000 });
    peer.conns[0]!.socket.pause();
    const all = Array.from({ length: 5000 }, () => vpp.call('control_ping', {}, { timeoutMs: 20_000 }));
    // without back-pressure all 5000 frames (130 kB) would be queued on the socket at once
    expect(vpp.stats.waiting).toBeGreaterThan(4000);
    expect(vpp.stats.unflushedBytes).toBeLessThan(20_000);
    peer.conns[0]!.socket.resume();
    await Promise.all(all);
    expect(vpp.stats).toMatchObject({ inFlight: 0, waiting: 0 });
  });

  it('times out a call and drops its late reply quietly', async () => {
    const { peer, vpp, errors } = await setup();
    let late: (() => void) | undefined;
    peer.on('delete_loopback', (m, c) => {
      late = () => c.send('delete_loopback_reply', { context: m['context'], retval: -6 });
    });
    const err = await rejection(vpp.call('delete_loopback', {}, { timeoutMs: 50 }));
    expect(err).toMatchObject({
      name: 'VppTimeoutError',
      code: 'VPP_TIMEOUT',
      messageName: 'delete_loopback',
      timeoutMs: 50,
    });
    late!();
    await expect(vpp.call('control_ping')).resolves.toMatchObject({ retval: 0 });
    expect(errors).toEqual([]);
  });

  it('aborts a call by signal; its late reply is not delivered to the next request', async () => {
    const { peer, vpp, errors } = await setup();
    const held: (() => void)[] = [];
    peer.on('delete_loopback', (m, c) => {
      held.push(() =>
        c.send('delete_loopback_reply', { context: m['context'], retval: m['sw_if_index'] === 1 ? -6 : 0 }),
      );
    });
    const ac = new AbortController();
    const first = vpp.call('delete_loopback', { sw_if_index: 1 }, { signal: ac.signal });
    await until(() => held.length === 1);
    ac.abort(new Error('user gave up'));
    const err = await rejection(first);
    expect(err).toMatchObject({ name: 'VppAbortError', code: 'VPP_ABORTED' });
    expect((err.cause as Error).message).toBe('user gave up');
    const second = vpp.call('delete_loopback', { sw_if_index: 2 });
    await until(() => held.length === 2);
    held[0]!(); // late reply (retval -6) of the aborted call
    held[1]!();
    await expect(second).resolves.toMatchObject({ retval: 0 });
    expect(errors).toEqual([]);
    // an already-aborted signal never sends; AbortSignal.timeout maps to VppTimeoutError
    await expect(vpp.call('control_ping', {}, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'VppAbortError',
    });
    await expect(vpp.call('delete_loopback', {}, { signal: AbortSignal.timeout(30) })).rejects.toMatchObject({
      name: 'VppTimeoutError',
    });
  });
});

describe('streams', () => {
  it('yields dump details until control_ping_reply, while other requests are answered in between', async () => {
    const { peer, vpp } = await setup();
    let dumpCtx: unknown;
    peer.on('sw_interface_dump', (m, c) => {
      dumpCtx = m['context'];
      c.send('sw_interface_details', { context: dumpCtx, sw_if_index: 0, interface_name: 'local0' });
    });
    peer.on('control_ping', (m, c) => {
      if (m['context'] !== dumpCtx) return c.send('control_ping_reply', { context: m['context'] });
      setTimeout(() => {
        c.send('sw_interface_details', { context: dumpCtx, sw_if_index: 1, interface_name: 'loop0' });
        c.send('control_ping_reply', { context: dumpCtx });
      }, 20);
    });
    peer.on('delete_loopback', (m, c) => c.send('delete_loopback_reply', { context: m['context'] }));
    const names: string[] = [];
    const other = async (): Promise<void> => {
      await until(() => dumpCtx !== undefined);
      await vpp.call('delete_loopback', { sw_if_index: 5 });
      names.push('<call>');
    };
    const dump = async (): Promise<void> => {
      for await (const d of vpp.dump('sw_interface_dump', { sw_if_index: 0xffffffff })) names.push(d.interface_name);
    };
    await Promise.all([dump(), other()]);
    // the call is answered while the dump is still open (before its last details); whether the call or
    // the dump's consumer runs first when both arrive in one chunk is up to the microtask queue
    expect(names.filter((n) => n !== '<call>')).toEqual(['local0', 'loop0']);
    expect(names.indexOf('<call>')).toBeLessThan(names.indexOf('loop0'));
    // the dump request and its control_ping share the context
    const rx = peer.conns[0]!.received;
    const i = rx.findIndex((r) => r.name === 'sw_interface_dump');
    expect(rx[i + 1]).toMatchObject({ name: 'control_ping', msg: { context: dumpCtx } });
  });

  it('stops a dump early without confusing later requests', async () => {
    const { peer, vpp, errors } = await setup();
    peer.on('sw_interface_dump', (m, c) => {
      for (let i = 0; i < 5; i++) c.send('sw_interface_details', { context: m['context'], sw_if_index: i });
    });
    peer.on('control_ping', (m, c) => setTimeout(() => c.send('control_ping_reply', { context: m['context'] }), 10));
    for await (const d of vpp.dump('sw_interface_dump', {})) {
      expect(d.sw_if_index).toBe(0);
      break;
    }
    await expect(vpp.call('control_ping')).resolves.toMatchObject({ retval: 0 });
    await new Promise((r) => setTimeout(r, 30));
    expect(errors).toEqual([]);
  });

  it('pages a _get stream from the cursor while VPP answers EAGAIN (-165)', async () => {
    const { peer, vpp } = await setup();
    const entries = Array.from({ length: 7 }, (_, i) => i + 10);
    peer.on('ip_path_mtu_get', (m, c) => {
      const from = m['cursor'] as number;
      const page = entries.slice(from, from + 3);
      for (const id of page)
        c.send('ip_path_mtu_details', {
          context: m['context'],
          pmtu: { table_id: id, nh: '10.0.0.1', path_mtu: 1500 },
        });
      const more = from + 3 < entries.length;
      c.send('ip_path_mtu_get_reply', { context: m['context'], retval: more ? -165 : 0, cursor: from + 3 });
    });
    const got: number[] = [];
    for await (const d of vpp.get('ip_path_mtu_get', { cursor: 0 })) got.push(d.pmtu.table_id);
    expect(got).toEqual(entries);
    const cursors = peer.conns[0]!.received.filter((r) => r.name === 'ip_path_mtu_get').map((r) => r.msg['cursor']);
    expect(cursors).toEqual([0, 3, 6]);
  });

  it('throws VppApiError from a _get stream on another negative retval', async () => {
    const { peer, vpp } = await setup();
    peer.on('ip_path_mtu_get', (m, c) => c.send('ip_path_mtu_get_reply', { context: m['context'], retval: -7 }));
    const err = await rejection(
      (async () => {
        for await (const _ of vpp.get('ip_path_mtu_get')) void _;
      })(),
    );
    expect(err).toMatchObject({ name: 'VppApiError', code: 'INVALID_VALUE' });
  });

  it('delivers want_interface_events as an async iterable and disables them on close', async () => {
    const { peer, vpp } = await setup();
    const sub = vpp.events('want_interface_events', { enable_disable: 1, pid: 77 });
    await sub.ready;
    const want = peer.conns[0]!.received.find((r) => r.name === 'want_interface_events')!;
    expect(want.msg).toMatchObject({ enable_disable: 1, pid: 77 });
    const c = peer.conns[0]!;
    c.send('sw_interface_event', { client_index: vpp.clientIndex, pid: 77, sw_if_index: 1, flags: 0 });
    c.send('sw_interface_event', { client_index: vpp.clientIndex, pid: 77, sw_if_index: 1, flags: 1 });
    const seen: unknown[] = [];
    for await (const e of sub) {
      seen.push(e.flags);
      if (seen.length === 2) break; // break closes the subscription
    }
    expect(seen).toEqual([0, 1]);
    const wants = () => peer.conns[0]!.received.filter((r) => r.name === 'want_interface_events');
    await until(() => wants().length === 2);
    expect(wants()[1]!.msg).toMatchObject({ enable_disable: 0, pid: 77 });
  });

  it('shares one want_* registration between subscriptions', async () => {
    const { peer, vpp } = await setup();
    const a = vpp.events('want_interface_events', { enable_disable: 1 });
    const b = vpp.events('want_interface_events', { enable_disable: 1 });
    await Promise.all([a.ready, b.ready]);
    expect(peer.conns[0]!.received.filter((r) => r.name === 'want_interface_events')).toHaveLength(1);
    peer.conns[0]!.send('sw_interface_event', { sw_if_index: 3 });
    const [ea, eb] = await Promise.all([a[Symbol.asyncIterator]().next(), b[Symbol.asyncIterator]().next()]);
    expect(ea.value?.sw_if_index).toBe(3);
    expect(eb.value?.sw_if_index).toBe(3);
    await a.close();
    expect(peer.conns[0]!.received.filter((r) => r.name === 'want_interface_events')).toHaveLength(1);
    await b.close();
    expect(peer.conns[0]!.received.filter((r) => r.name === 'want_interface_events')).toHaveLength(2);
  });

  it('fails a subscription whose want_* request VPP refuses', async () => {
    const { peer, vpp } = await setup();
    peer.on('want_interface_events', (m, c) =>
      c.send('want_interface_events_reply', { context: m['context'], retval: -31 }),
    );
    const sub = vpp.events('want_interface_events', { enable_disable: 1 });
    await expect(sub.ready).rejects.toMatchObject({ name: 'VppApiError', code: 'INVALID_REGISTRATION' });
    await expect(sub[Symbol.asyncIterator]().next()).rejects.toMatchObject({ name: 'VppApiError' });
  });
});

describe('housekeeping', () => {
  it('answers VPP’s memclnt_keepalive with memclnt_keepalive_reply on the same context', async () => {
    const { peer, errors } = await setup();
    const reply = peer.waitFor('memclnt_keepalive_reply');
    peer.conns[0]!.send('memclnt_keepalive', { context: 77 });
    expect(await reply).toMatchObject({ context: 77, retval: 0 });
    expect(errors).toEqual([]);
  });

  it('drops the oldest events of a slow consumer and counts them', async () => {
    const { peer, vpp } = await setup();
    const sub = vpp.events('want_interface_events', { enable_disable: 1 }, { bufferSize: 2 });
    await sub.ready;
    for (const i of [1, 2, 3, 4]) peer.conns[0]!.send('sw_interface_event', { sw_if_index: i });
    await until(() => sub.dropped === 2);
    const it = sub[Symbol.asyncIterator]();
    expect((await it.next()).value?.sw_if_index).toBe(3);
    expect((await it.next()).value?.sw_if_index).toBe(4);
    await sub.close();
  });

  it('logs through the given logger only', async () => {
    const lines: string[] = [];
    const log = (level: string) => (_f: Record<string, unknown>, msg?: string) => void lines.push(`${level}: ${msg}`);
    const { vpp } = await setup({
      logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    });
    await vpp.close();
    expect(lines).toContain('info: connected to VPP');
    expect(lines).toContain('info: disconnected from VPP');
  });
});

describe('disconnect and reconnect', () => {
  it('closes with sockclnt_delete and refuses further calls', async () => {
    const { peer, vpp } = await setup();
    const sub = vpp.events('want_interface_events', { enable_disable: 1 });
    await sub.ready;
    await vpp.close();
    const del = peer.conns[0]!.received.find((r) => r.name === 'sockclnt_delete')!;
    expect(del.msg).toMatchObject({ index: 0x80000001, client_index: 0x80000001 });
    await expect(vpp.call('control_ping')).rejects.toMatchObject({
      name: 'VppClientClosedError',
      code: 'VPP_CLIENT_CLOSED',
    });
    await expect(sub[Symbol.asyncIterator]().next()).resolves.toMatchObject({ done: true });
    await vpp.close(); // idempotent
  });

  it('close() ends at once when VPP drops the connection instead of answering sockclnt_delete', async () => {
    const { peer, vpp } = await setup();
    // VPP exiting while we close: the socket goes, no reply comes (the sweep timer for it is unref'd, so
    // a pending sockclnt_delete would hold close() for its whole time limit, or forever in a process with
    // nothing else to do)
    peer.on('sockclnt_delete', (_msg, conn) => conn.socket.destroy());
    const t = performance.now();
    await vpp.close();
    expect(performance.now() - t).toBeLessThan(500);
    expect(vpp.stats.inFlight).toBe(0);
    await expect(vpp.call('control_ping')).rejects.toMatchObject({ name: 'VppClientClosedError' });
  });

  it('rejects outstanding calls when closed', async () => {
    const { peer, vpp } = await setup();
    peer.on('delete_loopback', () => {});
    const p = vpp.call('delete_loopback');
    await peer.waitFor('delete_loopback');
    // the handler is attached before close() rejects the call, so the rejection is never unhandled
    const rejected = expect(p).rejects.toMatchObject({ name: 'VppClientClosedError' });
    await vpp.close();
    await rejected;
  });

  it('reports VPP going away and coming back, replays want_* and keeps working', async () => {
    const { peer, vpp } = await setup({ reconnect: { initialDelayMs: 20, maxDelayMs: 100, healthIntervalMs: 0 } });
    const events: string[] = [];
    vpp.addEventListener('vpp:down', (e) => events.push(`down:${e.detail.reconnecting}`));
    vpp.addEventListener('vpp:up', (e) => events.push(`up:${e.detail.reconnected}`));
    const sub = vpp.events('want_interface_events', { enable_disable: 1, pid: 5 });
    await sub.ready;
    peer.on('delete_loopback', () => {});
    const pending = vpp.call('delete_loopback');
    await peer.waitFor('delete_loopback');
    await peer.stop();
    const err = await rejection(pending);
    expect(err).toMatchObject({ name: 'VppDisconnectedError', code: 'VPP_DISCONNECTED' });
    expect(events).toEqual(['down:true']);
    // calls made while VPP is away wait for the reconnect (within their timeout)
    const during = vpp.call('control_ping', {}, { timeoutMs: 3000 });
    await new Promise((r) => setTimeout(r, 150));
    const replayed = peer.waitFor('want_interface_events');
    await peer.restart();
    await expect(during).resolves.toMatchObject({ retval: 0 });
    expect(await replayed).toMatchObject({ enable_disable: 1, pid: 5 });
    expect(events).toEqual(['down:true', 'up:true']);
    expect(vpp.clientIndex).toBe(0x80000002);
    peer.conns[1]!.send('sw_interface_event', { sw_if_index: 9 });
    const next = await sub[Symbol.asyncIterator]().next();
    expect(next.value?.sw_if_index).toBe(9);
  });

  it('drops a connection whose health check (control_ping) goes unanswered, then reconnects', async () => {
    const { peer, vpp } = await setup({
      timeoutMs: 100,
      reconnect: { initialDelayMs: 10, maxDelayMs: 50, healthIntervalMs: 60 },
    });
    const downs: (Error | undefined)[] = [];
    vpp.addEventListener('vpp:down', (e) => downs.push(e.detail.error));
    let mute = true;
    peer.on('control_ping', (m, c) => {
      if (!mute) c.send('control_ping_reply', { context: m['context'] });
    });
    await until(() => downs.length === 1);
    expect(downs[0]!.name).toBe('VppTimeoutError');
    mute = false;
    await until(() => vpp.connected);
    await expect(vpp.call('control_ping')).resolves.toMatchObject({ retval: 0 });
  });

  it('without reconnect, a lost connection fails calls with VppDisconnectedError', async () => {
    const { peer, vpp } = await setup();
    const down = new Promise((r) => vpp.addEventListener('vpp:down', r, { once: true }));
    await peer.stop();
    await down;
    await expect(vpp.call('control_ping')).rejects.toMatchObject({ name: 'VppDisconnectedError' });
  });
});

describe('bad input never crashes the client', () => {
  it('oversized frame: vpp:error VppFrameTooLargeError and the connection is dropped', async () => {
    const { peer, vpp, errors } = await setup({ maxFrameSize: 65536 });
    const downs: (Error | undefined)[] = [];
    vpp.addEventListener('vpp:down', (e) => downs.push(e.detail.error));
    peer.on('delete_loopback', () => {});
    const p = vpp.call('delete_loopback');
    await peer.waitFor('delete_loopback');
    const header = new Uint8Array(16);
    new DataView(header.buffer).setUint32(8, 0x7fffffff);
    peer.conns[0]!.raw(header);
    const err = await rejection(p);
    expect(err.name).toBe('VppDisconnectedError');
    expect((err.cause as Error).name).toBe('VppFrameTooLargeError');
    expect(errors[0]).toMatchObject({ name: 'VppFrameTooLargeError', code: 'VPP_FRAME_TOO_LARGE', length: 0x7fffffff });
    expect(downs[0]!.name).toBe('VppFrameTooLargeError');
  });

  it('peer closing mid-frame: pending calls fail with VppDisconnectedError caused by VppFrameTruncatedError', async () => {
    const { peer, vpp } = await setup();
    peer.on('delete_loopback', (_m, c) => {
      const header = new Uint8Array(16);
      new DataView(header.buffer).setUint32(8, 10);
      c.raw(Buffer.concat([header, Buffer.from([0, 1, 2])]));
      setTimeout(() => c.socket.end(), 10);
    });
    const err = await rejection(vpp.call('delete_loopback'));
    expect(err.name).toBe('VppDisconnectedError');
    expect(err.cause).toMatchObject({ name: 'VppFrameTruncatedError', code: 'VPP_FRAME_TRUNCATED', pendingBytes: 19 });
  });

  it('unknown message id: vpp:error VppUnknownMessageIdError, the connection continues', async () => {
    const { peer, vpp, errors } = await setup();
    peer.conns[0]!.raw(frame(Uint8Array.from([0x7f, 0x00, 0, 0, 0, 1])));
    await until(() => errors.length === 1);
    expect(errors[0]).toMatchObject({
      name: 'VppUnknownMessageIdError',
      code: 'VPP_UNKNOWN_MESSAGE_ID',
      msgId: 0x7f00,
    });
    await expect(vpp.call('control_ping')).resolves.toMatchObject({ retval: 0 });
  });

  it('reply for an unknown context: vpp:error VppUnexpectedContextError, dropped', async () => {
    const { peer, vpp, errors } = await setup();
    peer.conns[0]!.send('delete_loopback_reply', { context: 424242, retval: 0 });
    await until(() => errors.length === 1);
    expect(errors[0]).toMatchObject({
      name: 'VppUnexpectedContextError',
      context: 424242,
      messageName: 'delete_loopback_reply',
    });
    await expect(vpp.call('control_ping')).resolves.toMatchObject({ retval: 0 });
  });

  it('a truncated payload fails its call with VppMalformedMessageError', async () => {
    const { peer, vpp } = await setup();
    peer.on('delete_loopback', (m, c) => {
      const b = Buffer.alloc(7);
      b.writeUInt16BE(peer.ids.get('delete_loopback_reply')!, 0);
      b.writeUInt32BE(m['context'] as number, 2);
      c.raw(frame(b)); // retval cut off
    });
    const err = await rejection(vpp.call('delete_loopback'));
    expect(err).toMatchObject({
      name: 'VppMalformedMessageError',
      code: 'VPP_MALFORMED_MESSAGE',
      messageName: 'delete_loopback_reply',
    });
    expect(err.cause).toBeDefined();
  });

  it('empty payloads and messages of the wrong kind are reported, not fatal', async () => {
    const { peer, vpp, errors } = await setup();
    peer.conns[0]!.raw(frame(new Uint8Array(0)));
    await until(() => errors.length === 1);
    expect(errors[0]!.name).toBe('VppMalformedMessageError');
    peer.on('delete_loopback', (m, c) => {
      c.send('sw_interface_details', { context: m['context'] });
      c.send('delete_loopback_reply', { context: m['context'] });
    });
    await expect(vpp.call('delete_loopback')).resolves.toMatchObject({ retval: 0 });
    expect(errors[1]).toMatchObject({
      name: 'VppUnexpectedMessageError',
      messageName: 'sw_interface_details',
      requestName: 'delete_loopback',
    });
  });

  it('a value that does not fit is refused before sending', async () => {
    const { vpp } = await setup();
    const err = await rejection(vpp.call('delete_loopback', { sw_if_index: -1 }));
    expect(err).toMatchObject({ name: 'VppEncodeError', code: 'int_range', path: 'sw_if_index' });
    await expect(vpp.call('control_ping')).resolves.toMatchObject({ retval: 0 });
    expect(vpp.stats.inFlight).toBe(0);
  });
});
