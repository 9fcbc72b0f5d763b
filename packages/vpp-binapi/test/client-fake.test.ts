/**
 * The client against the fake VPP (src/testing): real protocol, state, retvals, events and faults. The
 * conformance suite runs with this client against the fake always, and against a real VPP when
 * `VPP_API_SOCKET` is set.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { VppClient } from '../src/client/client.js';
import { connectVpp, type VppApi } from '../src/client/connect.js';
import type { VppClientInit } from '../src/client/types.js';
import { describeConformance, startFakeVpp, type FakeVpp, type FakeVppInit } from '../src/testing/index.js';
import { until } from './helpers/until.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function setup(
  init: VppClientInit = {},
  fakeInit: FakeVppInit = {},
): Promise<{ fake: FakeVpp; vpp: VppClient<VppApi>; errors: Error[] }> {
  const fake = await startFakeVpp(fakeInit);
  cleanups.push(() => fake.stop());
  const vpp = await connectVpp({ socket: fake.socketPath, timeoutMs: 3000, ...init });
  cleanups.push(() => vpp.close());
  const errors: Error[] = [];
  vpp.addEventListener('vpp:error', (e) => errors.push(e.detail.error));
  return { fake, vpp, errors };
}

describe('client against the fake VPP', () => {
  it('connects, checks CRCs and talks', async () => {
    const { vpp } = await setup();
    expect(vpp.compat).toMatchObject({ ok: true, mismatched: [], missing: [], releases: ['26.06'] });
    const v = await vpp.call('show_version');
    expect(v.version).toBe('26.06-release');
    const { sw_if_index } = await vpp.call('create_loopback', { mac_address: '02:00:00:00:00:01' });
    await vpp.call('sw_interface_set_flags', { sw_if_index, flags: 1 });
    const names: string[] = [];
    for await (const d of vpp.dump('sw_interface_dump', { sw_if_index: 0xffffffff })) names.push(d.interface_name);
    expect(names).toContain('loop0');
    const text = await vpp.call('cli_inband', { cmd: 'show interface' });
    expect(text.reply).toContain('loop0');
  });

  it('maps VPP retvals to VppApiError with the symbolic name', async () => {
    const { vpp } = await setup();
    await expect(vpp.call('delete_loopback', { sw_if_index: 9999 })).rejects.toMatchObject({
      name: 'VppApiError',
      retval: -2,
      errorName: 'VNET_API_ERROR_INVALID_SW_IF_INDEX',
      messageName: 'delete_loopback',
    });
  });

  it('reports CRC mismatches and missing messages from the fake table', async () => {
    const { vpp } = await setup(
      {},
      { messages: { crc: { create_loopback: '0x12345678' }, omit: ['npol_ipset_create'] } },
    );
    expect(vpp.compat.ok).toBe(false);
    expect(vpp.compat.mismatched).toEqual([
      {
        name: 'create_loopback',
        crc: '0x42bb5d22',
        vppCrc: '0x12345678',
        crcs: [{ crc: '0x42bb5d22', releases: ['25.10', '26.02', '26.06'] }],
      },
    ]);
    expect(vpp.compat.missing).toContain('npol_ipset_create');
    await expect(vpp.call('create_loopback', {})).rejects.toMatchObject({
      name: 'VppCrcMismatchError',
      messageName: 'create_loopback',
    });
    await expect(vpp.call('npol_ipset_create', {})).rejects.toMatchObject({ name: 'VppUnsupportedMessageError' });
    await expect(vpp.call('show_version')).resolves.toMatchObject({ retval: 0 });
  });

  it('streams sw_interface_event after want_interface_events', async () => {
    const { vpp } = await setup();
    const { sw_if_index } = await vpp.call('create_loopback', {});
    const sub = vpp.events('want_interface_events', { enable_disable: 1, pid: process.pid });
    await sub.ready;
    await vpp.call('sw_interface_set_flags', { sw_if_index, flags: 1 });
    const it = sub[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value).toMatchObject({ sw_if_index, deleted: false });
    expect(first.value!.flags & 1).toBe(1);
    await sub.close();
  });

  it('pipelines requests: 64 on the wire at once, the rest queued, all answered', async () => {
    const { vpp } = await setup({ maxInFlight: 64 });
    const all = Array.from({ length: 1000 }, (_, i) =>
      vpp.call('sw_interface_set_flags', { sw_if_index: 0, flags: i % 2 }),
    );
    expect(vpp.stats).toMatchObject({ inFlight: 64, waiting: 936 });
    const replies = await Promise.all(all);
    expect(replies.every((r) => r.retval === 0)).toBe(true);
  });

  it('survives a VPP restart: vpp:down, vpp:up, want_* replayed, events flow again', async () => {
    const { fake, vpp } = await setup({ reconnect: { initialDelayMs: 20, maxDelayMs: 200, healthIntervalMs: 0 } });
    const seen: string[] = [];
    vpp.addEventListener('vpp:down', () => seen.push('down'));
    vpp.addEventListener('vpp:up', (e) => seen.push(e.detail.reconnected ? 'up(re)' : 'up'));
    const sub = vpp.events('want_interface_events', { enable_disable: 1 });
    await sub.ready;
    await fake.restart();
    await until(() => seen.includes('up(re)'));
    expect(seen).toEqual(['down', 'up(re)']);
    const { sw_if_index } = await vpp.call('create_loopback', {});
    await vpp.call('sw_interface_set_flags', { sw_if_index, flags: 1 });
    const ev = await sub[Symbol.asyncIterator]().next();
    expect(ev.value).toMatchObject({ sw_if_index });
    expect(ev.value!.flags & 1).toBe(1);
  });

  it('reconnects after the fake drops every connection', async () => {
    const { fake, vpp } = await setup({ reconnect: { initialDelayMs: 10, maxDelayMs: 40, healthIntervalMs: 0 } });
    const down = new Promise((r) => vpp.addEventListener('vpp:down', r, { once: true }));
    fake.faults.dropConnections();
    await down;
    await until(() => vpp.connected);
    await expect(vpp.call('show_version')).resolves.toMatchObject({ retval: 0 });
  });

  it('times out when the fake ignores requests, and the health check drops the connection', async () => {
    const { fake, vpp } = await setup({
      timeoutMs: 100,
      reconnect: { initialDelayMs: 10, maxDelayMs: 50, healthIntervalMs: 50 },
    });
    const downs: (Error | undefined)[] = [];
    vpp.addEventListener('vpp:down', (e) => downs.push(e.detail.error));
    fake.faults.ignoreRequests(true);
    // The health check's ping times out after min(timeoutMs, healthIntervalMs) = 50 ms; this call's 20 ms
    // deadline is always due first, so it ends as a timeout, not as the health check's disconnect.
    await expect(vpp.call('show_version', {}, { timeoutMs: 20 })).rejects.toMatchObject({ name: 'VppTimeoutError' });
    await until(() => downs.length > 0);
    expect(downs[0]!.name).toBe('VppTimeoutError');
    fake.faults.ignoreRequests(false);
    await until(() => vpp.connected);
  });

  describe('faults', () => {
    it('a frame cut off by a closing peer: VppFrameTruncatedError as the cause', async () => {
      const { fake, vpp } = await setup();
      const down = new Promise<Error | undefined>((r) =>
        vpp.addEventListener('vpp:down', (e) => r(e.detail.error), { once: true }),
      );
      fake.faults.closeMidFrame();
      await expect(vpp.call('show_version')).rejects.toMatchObject({
        name: 'VppDisconnectedError',
        cause: { name: 'VppFrameTruncatedError' },
      });
      expect((await down)?.name).toBe('VppFrameTruncatedError');
    });

    it('an oversized frame: VppFrameTooLargeError, connection dropped', async () => {
      const { fake, vpp, errors } = await setup({ maxFrameSize: 1 << 20 });
      fake.faults.corruptNextFrame('length');
      await expect(vpp.call('show_version')).rejects.toMatchObject({
        name: 'VppDisconnectedError',
        cause: { name: 'VppFrameTooLargeError' },
      });
      expect(errors.map((e) => e.name)).toContain('VppFrameTooLargeError');
    });

    it('garbage payloads never crash the client: the garbled reply is lost (VppTimeoutError), reported as typed errors, the connection stays', async () => {
      const { fake, vpp, errors } = await setup({ timeoutMs: 80 });
      const downs: unknown[] = [];
      vpp.addEventListener('vpp:down', (e) => downs.push(e.detail));
      // random bytes: most are unknown ids, some decode as messages nobody asked for; many rounds so
      // that vpp:error is exercised whatever the dice say
      for (let i = 0; i < 20; i++) {
        fake.faults.corruptNextFrame('garbage');
        await expect(vpp.call('show_version')).rejects.toMatchObject({
          name: 'VppTimeoutError',
          messageName: 'show_version',
        });
      }
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors) {
        expect(e.name).toMatch(/^Vpp(UnknownMessageId|UnexpectedContext|UnexpectedMessage|MalformedMessage)Error$/);
      }
      expect(downs).toEqual([]);
      expect(vpp.connected).toBe(true);
      await expect(vpp.call('show_version', {}, { timeoutMs: 2000 })).resolves.toMatchObject({
        retval: 0,
        version: '26.06-release',
      });
    });

    it('an unknown context and an unknown message id: reported on vpp:error, connection kept', async () => {
      const { fake, vpp, errors } = await setup();
      fake.faults.sendUnknownContext();
      fake.faults.sendUnknownMessageId();
      await until(() => errors.length >= 2);
      expect(errors.map((e) => e.name).sort()).toEqual(['VppUnexpectedContextError', 'VppUnknownMessageIdError']);
      await expect(vpp.call('show_version')).resolves.toMatchObject({ retval: 0 });
    });

    it('failNext injects a retval', async () => {
      const { fake, vpp } = await setup();
      fake.faults.failNext('create_loopback', -6);
      await expect(vpp.call('create_loopback', {})).rejects.toMatchObject({
        name: 'VppApiError',
        code: 'NO_SUCH_ENTRY',
      });
    });
  });
});

// The fake's conformance suite, driven through this client.
let fake: FakeVpp | undefined;
beforeAll(async () => {
  fake = await startFakeVpp();
});
afterAll(async () => {
  await fake?.stop();
});
describeConformance('conformance (fake VPP, VppClient)', { describe, it, beforeAll, afterAll }, async () => {
  const vpp = await connectVpp({ socket: fake!.socketPath });
  return { context: { vpp: vpp as never }, close: () => vpp.close() };
});

const real = process.env['VPP_API_SOCKET'];
if (real) {
  describeConformance('conformance (real VPP, VppClient)', { describe, it, beforeAll, afterAll }, async () => {
    const vpp = await connectVpp({ socket: real });
    return { context: { vpp: vpp as never }, close: () => vpp.close() };
  });
} else {
  describe.skip('conformance (real VPP, VppClient): VPP_API_SOCKET not set', () => {
    it('skipped', () => {});
  });
}
