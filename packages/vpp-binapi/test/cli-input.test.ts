/**
 * `vpp-api` JSON input: converted and checked by the schema at every depth, not only at the top level.
 */
import { describe, expect, it } from 'vitest';
import { convertRequest } from '../src/client/cli-input.js';
import { defaultBindings } from '../src/client/connect.js';

const def = (name: string) => defaultBindings.messages.get(name)!;

describe('vpp-api request input', () => {
  it('64-bit integers as decimal strings inside arrays; u64 range checked', () => {
    expect(convertRequest(def('sock_init_shm'), { configs: ['5', '18446744073709551615', 7] })).toEqual({
      configs: [5n, 18446744073709551615n, 7n],
    });
    expect(() => convertRequest(def('sock_init_shm'), { configs: ['18446744073709551616'] })).toThrow(
      'sock_init_shm.configs[0]: 18446744073709551616 does not fit u64',
    );
    expect(() => convertRequest(def('sock_init_shm'), { configs: ['0x5'] })).toThrow(
      /sock_init_shm\.configs\[0\]: expected a 64-bit integer/,
    );
  });

  it('bytes as hex; enums by name inside nested structs and arrays', () => {
    expect(convertRequest(def('rpc_call'), { function: '42', data: '0a0b', send_reply: 1 })).toEqual({
      function: 42n,
      data: Uint8Array.of(10, 11),
      send_reply: 1,
    });
    expect(() => convertRequest(def('rpc_call'), { data: 'xyz' })).toThrow(/rpc_call\.data: expected hex bytes/);
    const r = convertRequest(def('ip_route_add_del'), {
      is_add: true,
      route: {
        prefix: '10.9.0.0/24',
        paths: [{ type: 'FIB_API_PATH_TYPE_DROP', proto: 1, nh: { address: { ip4: '10.0.0.2' } } }],
      },
    });
    expect(r).toEqual({
      is_add: true,
      route: { prefix: '10.9.0.0/24', paths: [{ type: 2, proto: 1, nh: { address: { ip4: '10.0.0.2' } } }] },
    });
    expect(() => convertRequest(def('ip_route_add_del'), { route: { paths: [{ type: 'NORMAL' }] } })).toThrow(
      /ip_route_add_del\.route\.paths\[0\]\.type: "NORMAL" is not a value of fib_path_type/,
    );
  });

  it('unknown fields are refused at every depth, naming the field', () => {
    expect(() => convertRequest(def('create_loopback'), { mac: '02:00:00:00:00:01' })).toThrow(
      'create_loopback.mac: unknown field "mac" (known: mac_address)',
    );
    expect(() => convertRequest(def('ip_route_add_del'), { route: { paths: [{ nexthop: '10.0.0.2' }] } })).toThrow(
      /ip_route_add_del\.route\.paths\[0\]\.nexthop: unknown field/,
    );
  });

  it('booleans must be true or false; structs objects; integers numbers that fit', () => {
    for (const bad of ['yes', {}, 1, null]) {
      expect(() => convertRequest(def('ip_route_add_del'), { is_add: bad })).toThrow(
        /ip_route_add_del\.is_add: expected true or false/,
      );
    }
    expect(() => convertRequest(def('ip_route_add_del'), { route: 'x' })).toThrow(
      /ip_route_add_del\.route: expected an object \(ip_route\)/,
    );
    expect(() => convertRequest(def('ip_route_add_del'), { route: { table_id: '5' } })).toThrow(
      /route\.table_id: expected an integer that fits u32/,
    );
    expect(() => convertRequest(def('ip_route_add_del'), { route: { paths: {} } })).toThrow(
      /route\.paths: expected an array/,
    );
    expect(() => convertRequest(def('create_loopback'), 'abc')).toThrow(
      /create_loopback: the fields must be a JSON object/,
    );
  });
});
