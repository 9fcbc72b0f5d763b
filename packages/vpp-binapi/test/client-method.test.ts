/**
 * Each method takes only the messages the schema's services give it (calls: a reply and no stream;
 * dumps: a details stream; gets: cursor + stream; events: want_*), refused before anything is sent,
 * and request fields must be an object.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { VppClient } from '../src/client/client.js';
import { connectVpp, type VppApi } from '../src/client/connect.js';
import { startFakeVpp, type FakeVpp } from '../src/testing/index.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function setup(): Promise<{ fake: FakeVpp; vpp: VppClient<VppApi> }> {
  const fake = await startFakeVpp();
  cleanups.push(() => fake.stop());
  const vpp = await connectVpp({ socket: fake.socketPath, timeoutMs: 3000 });
  cleanups.push(() => vpp.close());
  return { fake, vpp };
}

// the typed surface forbids these; the casts stand for untyped (JS or AnyVppApi) callers
type Untyped = {
  call(n: string, f?: unknown, o?: object): Promise<unknown>;
  dump(n: string, f?: unknown): AsyncIterable<unknown>;
  get(n: string, f?: unknown): AsyncIterable<unknown>;
  events(n: string, f?: unknown): unknown;
};
const untyped = (v: VppClient<VppApi>): Untyped => v as unknown as Untyped;

async function drain(it: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('the wrong method for a message is refused before sending', () => {
  it('dump() of a call: VppUnknownMessageError, nothing created in VPP', async () => {
    const { fake, vpp } = await setup();
    const before = fake.state.listInterfaces().length;
    await expect(drain(untyped(vpp).dump('create_loopback', {}))).rejects.toMatchObject({
      name: 'VppUnknownMessageError',
      code: 'VPP_UNKNOWN_MESSAGE',
      messageName: 'create_loopback',
      message: expect.stringContaining('use call()'),
    });
    expect(fake.state.listInterfaces().length).toBe(before);
    expect(vpp.stats.inFlight).toBe(0);
  });

  it('call() and get() of a dump, dump() of a get, call() of a get fail at once, not after the timeout', async () => {
    const { vpp } = await setup();
    const t0 = Date.now();
    await expect(untyped(vpp).call('sw_interface_dump')).rejects.toMatchObject({
      name: 'VppUnknownMessageError',
      message: expect.stringContaining('use dump()'),
    });
    await expect(drain(untyped(vpp).get('sw_interface_dump'))).rejects.toMatchObject({
      name: 'VppUnknownMessageError',
      message: expect.stringContaining('use dump()'),
    });
    await expect(drain(untyped(vpp).dump('sw_interface_tx_placement_get'))).rejects.toMatchObject({
      name: 'VppUnknownMessageError',
      message: expect.stringContaining('use get()'),
    });
    await expect(untyped(vpp).call('sw_interface_tx_placement_get')).rejects.toMatchObject({
      name: 'VppUnknownMessageError',
      message: expect.stringContaining('use get()'),
    });
    await expect(untyped(vpp).call('sw_interface_details')).rejects.toMatchObject({ name: 'VppUnknownMessageError' });
    expect(() => untyped(vpp).events('create_loopback')).toThrow(
      expect.objectContaining({ name: 'VppUnknownMessageError' }),
    );
    expect(Date.now() - t0).toBeLessThan(500);
    expect(vpp.stats.inFlight).toBe(0);
    // the right methods still work
    await expect(vpp.call('show_version')).resolves.toMatchObject({ retval: 0 });
    await expect(drain(vpp.dump('sw_interface_dump', { sw_if_index: 0xffffffff }))).resolves.not.toHaveLength(0);
  });

  it('fields that are not an object: VppInvalidRequestError, nothing sent', async () => {
    const { fake, vpp } = await setup();
    const before = fake.state.listInterfaces().length;
    for (const bad of ['abc', 42, null, [1], true]) {
      await expect(untyped(vpp).call('create_loopback', bad)).rejects.toMatchObject({
        name: 'VppInvalidRequestError',
        code: 'VPP_INVALID_REQUEST',
        messageName: 'create_loopback',
      });
    }
    await expect(drain(untyped(vpp).dump('sw_interface_dump', 'abc'))).rejects.toMatchObject({
      name: 'VppInvalidRequestError',
    });
    expect(() => untyped(vpp).events('want_interface_events', 'abc')).toThrow(
      expect.objectContaining({ name: 'VppInvalidRequestError' }),
    );
    expect(fake.state.listInterfaces().length).toBe(before);
    await expect(untyped(vpp).call('create_loopback', undefined)).resolves.toMatchObject({ retval: 0 });
  });
});
