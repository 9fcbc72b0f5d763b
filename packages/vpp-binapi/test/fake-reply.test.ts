/**
 * The fake VPP answers every request it has a reply for: VPP's f64 checks, the "unsupported" fallback
 * into a u32 retval, and a reply a handler cannot encode (the client is never left waiting).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectVpp } from '../src/client/connect.js';
import { startFakeVpp } from '../src/testing/index.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function setup() {
  const fake = await startFakeVpp();
  cleanups.push(() => fake.stop());
  const vpp = await connectVpp({ socket: fake.socketPath, timeoutMs: 2000 });
  cleanups.push(() => vpp.close());
  return { fake, vpp };
}

describe('fake VPP replies', () => {
  it('get_f64_endian_value and get_f64_increment_by_one are answered as vlib_api.c does', async () => {
    const { vpp } = await setup();
    expect(await vpp.call('get_f64_endian_value', {})).toMatchObject({ retval: 0, f64_one_result: 1 });
    expect(await vpp.call('get_f64_increment_by_one', { f64_value: 41.5 })).toMatchObject({
      retval: 0,
      f64_value: 42.5,
    });
    // the reply's retval is a u32 in the schema; VPP writes -159 there and the client reads it signed
    await expect(vpp.call('get_f64_endian_value', { f64_one: 2 })).rejects.toMatchObject({
      name: 'VppApiError',
      retval: -159,
      errorName: 'VNET_API_ERROR_API_ENDIAN_FAILED',
      reply: { retval: 0xffffff61 },
    });
  });

  it('a negative retval into a u32 retval reply is sent, not dropped (failNext -126)', async () => {
    const { fake, vpp } = await setup();
    fake.faults.failNext('get_f64_increment_by_one', -126);
    const t0 = Date.now();
    await expect(vpp.call('get_f64_increment_by_one', {})).rejects.toMatchObject({
      name: 'VppApiError',
      retval: -126,
      code: 'UNSUPPORTED',
    });
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('a reply that cannot be encoded closes the connection: the client gets a typed error, not a timeout', async () => {
    const { fake, vpp } = await setup();
    fake.faults.failNext('show_version', 2 ** 40); // no 32-bit retval holds it
    const t0 = Date.now();
    await expect(vpp.call('show_version')).rejects.toMatchObject({ name: 'VppDisconnectedError' });
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
