/**
 * Compile-time guarantees of the client's typing: the request name decides the request fields and the
 * reply type. The `@ts-expect-error` lines are checked by `tsc` (npm test's typecheck step): if one of them
 * stopped being an error, the typecheck fails. The runtime part checks the same facts against the fake.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { connectVpp } from '../src/index.js';
import type {
  create_loopback_reply,
  ip_route_details,
  show_version_reply,
  sw_interface_details,
  sw_interface_event,
} from '../src/generated/index.js';
import { startFakeVpp } from '../src/testing/index.js';

type Client = Awaited<ReturnType<typeof connectVpp>>;

describe('typed by message name', () => {
  it('checks names, kinds, fields and reply types at compile time, and the same facts at run time', async () => {
    const fake = await startFakeVpp();
    const vpp: Client = await connectVpp({ socket: fake.socketPath });
    try {
      expectTypeOf(vpp.call<'create_loopback'>).returns.toEqualTypeOf<Promise<create_loopback_reply>>();
      expectTypeOf(vpp.call<'show_version'>).returns.toEqualTypeOf<Promise<show_version_reply>>();
      expectTypeOf(vpp.dump<'sw_interface_dump'>).returns.toEqualTypeOf<AsyncIterable<sw_interface_details>>();
      expectTypeOf(vpp.dump<'ip_route_dump'>).returns.toEqualTypeOf<AsyncIterable<ip_route_details>>();
      expectTypeOf(vpp.events<'want_interface_events'>).returns.toMatchTypeOf<AsyncIterable<sw_interface_event>>();
      const guard = (): void => {
        // @ts-expect-error not a VPP message
        void vpp.call('no_such_message');
        // @ts-expect-error a dump is not a call
        void vpp.call('sw_interface_dump');
        // @ts-expect-error a call is not a dump
        void vpp.dump('create_loopback');
        // @ts-expect-error sw_if_index is a number
        void vpp.call('sw_interface_set_flags', { sw_if_index: 'eth0' });
        // @ts-expect-error no such field on create_loopback
        void vpp.call('create_loopback', { not_a_field: 1 });
      };
      expect(typeof guard).toBe('function');
      const reply = await vpp.call('create_loopback', { mac_address: '02:00:00:00:00:09' });
      expectTypeOf(reply.sw_if_index).toBeNumber();
      expect(reply.sw_if_index).toBeGreaterThan(0);
      const names: string[] = [];
      for await (const d of vpp.dump('sw_interface_dump', { sw_if_index: 0xffffffff })) {
        expectTypeOf(d.interface_name).toBeString();
        names.push(d.interface_name);
      }
      expect(names).toContain('loop0');
      await expect(vpp.call('show_version')).resolves.toMatchObject({ retval: 0, program: 'vpe' });
    } finally {
      await vpp.close();
      await fake.stop();
    }
  });
});
