/**
 * Encode-time validation on the real VPP 26.06 bindings: values of the wrong shape are refused with a
 * VppEncodeError naming the field path, never encoded as zeros or thrown as a raw TypeError.
 */
import { describe, expect, it } from 'vitest';
import { toHex, type AnyMessageDef } from '../src/codec/index.js';
import {
  cli_inband,
  create_fib_path,
  ip_route_add_del,
  memclnt_delete,
  npol_entry_type,
  npol_rule_create,
  sw_interface_set_flags,
  sw_interface_tag_add_del,
  want_interface_events,
  type fib_path,
} from '../src/generated/index.js';

// Errors and messages are probed field by field, whatever their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the shapes are what the tests check
type Any = Record<string, any>;

function encodeError(def: AnyMessageDef, m: unknown): Any {
  try {
    def.encode(m);
  } catch (err) {
    return err as Any;
  }
  throw new Error('no error: encoded');
}

function path(ip4: string): fib_path {
  return { ...create_fib_path(), sw_if_index: 1, weight: 1, nh: { ...create_fib_path().nh, address: { ip4 } } };
}

function route(paths: unknown[]): Any {
  return { is_add: true, route: { prefix: '10.30.0.0/24', paths } };
}

describe('struct and union values must be objects', () => {
  it.each([
    ['a union given as text', 'route.paths[0].nh.address', [{ nh: { address: '10.0.0.2' } }]],
    ['a union given as a number', 'route.paths[0].nh.address', [{ nh: { address: 5 } }]],
    ['a struct given as text', 'route.paths[0].nh', [{ nh: 'x' }]],
    ['a null array element', 'route.paths[0]', [null]],
    ['a number array element', 'route.paths[1]', [path('10.0.0.1'), 7]],
    ['an array element that is an array', 'route.paths[0]', [[]]],
    ['label_stack of numbers', 'route.paths[0].label_stack[0]', [{ label_stack: [1, 2] }]],
    ['a null union', 'route.paths[0].nh.address', [{ nh: { address: null } }]],
  ])('%s → bad_type at %s', (_what, where, paths) => {
    const err = encodeError(ip_route_add_del, route(paths));
    expect(err).toMatchObject({
      name: 'VppEncodeError',
      code: 'bad_type',
      path: where,
      messageName: 'ip_route_add_del',
    });
    expect(err.message).toContain(`ip_route_add_del.${where}:`);
  });

  it('refuses a struct field given as text, null or an array', () => {
    expect(encodeError(ip_route_add_del, { route: 'x' })).toMatchObject({ code: 'bad_type', path: 'route' });
    expect(encodeError(ip_route_add_del, { route: null })).toMatchObject({ code: 'bad_type', path: 'route' });
    expect(encodeError(ip_route_add_del, { route: [] })).toMatchObject({ code: 'bad_type', path: 'route' });
  });

  it('still takes absent structs and short fixed arrays as defaults', () => {
    const a = ip_route_add_del.encode({
      route: { prefix: '10.0.0.0/8', paths: [{ sw_if_index: 1 } as fib_path] },
    } as ip_route_add_del);
    const b = ip_route_add_del.encode(
      ip_route_add_del.create({
        route: { table_id: 0, stats_index: 0, prefix: '10.0.0.0/8', paths: [{ ...create_fib_path(), sw_if_index: 1 }] },
      }),
    );
    expect(toHex(a)).toBe(toHex(b));
  });
});

describe('MPLS label stacks (all-zero entries skip the per-field work)', () => {
  it('round-trips labels among zero entries, and zero-fills a short stack', () => {
    const labels = create_fib_path().label_stack;
    labels[2] = { is_uniform: 1, label: 1048575, ttl: 64, exp: 7 };
    labels[15] = { is_uniform: 0, label: 16, ttl: 0, exp: 0 };
    const p = { ...path('10.0.0.2'), n_labels: 2, label_stack: labels };
    const back = ip_route_add_del.decode(ip_route_add_del.encode(ip_route_add_del.create(route([p]) as never)));
    expect(back.route.paths[0]!.label_stack).toEqual(labels);
    const short = { ...path('10.0.0.2'), label_stack: [{ is_uniform: 0, label: 5, ttl: 1, exp: 0 }] };
    const b2 = ip_route_add_del.decode(ip_route_add_del.encode(ip_route_add_del.create(route([short]) as never)));
    expect(b2.route.paths[0]!.label_stack[0]).toEqual({ is_uniform: 0, label: 5, ttl: 1, exp: 0 });
    expect(b2.route.paths[0]!.label_stack.slice(1).every((l) => l.label === 0 && l.ttl === 0)).toBe(true);
  });

  it('still validates every entry', () => {
    const at = (label_stack: unknown[]): Any => encodeError(ip_route_add_del, route([{ label_stack }]));
    expect(at([{}, { label: 1n }])).toMatchObject({ code: 'bad_type', path: 'route.paths[0].label_stack[1].label' });
    expect(at([{ is_uniform: 0, label: 0, ttl: 0, exp: 256 }])).toMatchObject({
      code: 'int_range',
      path: 'route.paths[0].label_stack[0].exp',
    });
    expect(at([0])).toMatchObject({ code: 'bad_type', path: 'route.paths[0].label_stack[0]' });
    expect(at([{ is_uniform: 0, label: 0, ttl: 0, exp: 0 }, null])).toMatchObject({
      code: 'bad_type',
      path: 'route.paths[0].label_stack[1]',
    });
    expect(at(new Array(17).fill({}))).toMatchObject({ code: 'array_length', path: 'route.paths[0].label_stack' });
  });
});

describe('plain unions whose members disagree', () => {
  it('refuses ip4 and ip6 next hops that are not the same bytes', () => {
    const p = { ...path('10.0.0.2'), nh: { ...create_fib_path().nh, address: { ip4: '10.0.0.2', ip6: 'fd00::1' } } };
    expect(encodeError(ip_route_add_del, route([p]))).toMatchObject({
      name: 'VppEncodeError',
      code: 'union_mismatch',
      path: 'route.paths[0].nh.address',
      message: expect.stringContaining('ip4 and ip6 disagree'),
    });
  });

  it('accepts members that agree, and an all-zero member as unset', () => {
    const only4 = ip_route_add_del.encode(ip_route_add_del.create(route([path('10.0.0.2')]) as never));
    for (const address of [
      { ip4: '10.0.0.2', ip6: 'a00:2::' },
      { ip4: '10.0.0.2', ip6: 'A00:0002:0:0:0:0:0:0' },
      { ip4: '10.0.0.2', ip6: '::' },
      { ip4: '0.0.0.0', ip6: 'a00:2::' },
      { ip6: 'a00:2::' },
    ]) {
      const p = { ...path('10.0.0.2'), nh: { ...create_fib_path().nh, address } };
      expect(
        toHex(ip_route_add_del.encode(ip_route_add_del.create(route([p]) as never))),
        JSON.stringify(address),
      ).toBe(toHex(only4));
    }
  });
});

describe('plain unions: a longer member agreeing on the shared bytes', () => {
  it('writes the ip6 bytes beyond the ip4, and refuses an ip6 whose start differs', () => {
    const enc = (address: unknown): Any => {
      const p = { ...path('10.0.0.2'), nh: { ...create_fib_path().nh, address } };
      return ip_route_add_del.decode(ip_route_add_del.encode(ip_route_add_del.create(route([p]) as never))).route
        .paths[0]!.nh.address;
    };
    expect(enc({ ip4: '10.0.0.2', ip6: 'a00:2::1' })).toEqual({ ip4: '10.0.0.2', ip6: 'a00:2::1' });
    expect(enc({ ip6: 'a00:2::1', ip4: '10.0.0.2' })).toEqual({ ip4: '10.0.0.2', ip6: 'a00:2::1' });
    for (const ip6 of ['a00:3::', 'a00:3::1', '::a00:2']) {
      const p = { ...path('10.0.0.2'), nh: { ...create_fib_path().nh, address: { ip4: '10.0.0.2', ip6 } } };
      expect(encodeError(ip_route_add_del, route([p])), ip6).toMatchObject({
        code: 'union_mismatch',
        path: 'route.paths[0].nh.address',
      });
    }
  });
});

describe('discriminated unions: the tag decides the member', () => {
  const entry = (type: number, data: unknown): Any => ({
    rule: { action: 0, num_entries: 1, matches: [{ is_src: true, is_not: false, type, data }] },
  });

  it('refuses a tag whose member is missing', () => {
    expect(encodeError(npol_rule_create, entry(npol_entry_type.NPOL_PORT_RANGE, { cidr: '10.0.0.0/8' }))).toMatchObject(
      {
        name: 'VppEncodeError',
        code: 'union_mismatch',
        path: 'rule.matches[0].data',
        message: expect.stringContaining('port_range'),
      },
    );
    expect(encodeError(npol_rule_create, entry(npol_entry_type.NPOL_CIDR, {}))).toMatchObject({
      code: 'union_mismatch',
      path: 'rule.matches[0].data',
    });
  });

  it('refuses a second member next to the selected one', () => {
    expect(
      encodeError(npol_rule_create, entry(npol_entry_type.NPOL_CIDR, { cidr: '10.0.0.0/8', set_id: { set_id: 3 } })),
    ).toMatchObject({
      code: 'union_mismatch',
      path: 'rule.matches[0].data',
    });
  });

  it('refuses union data that is not an object', () => {
    expect(encodeError(npol_rule_create, entry(npol_entry_type.NPOL_CIDR, '10.0.0.0/8'))).toMatchObject({
      code: 'bad_type',
      path: 'rule.matches[0].data',
    });
  });

  it('encodes a matching member, and absent data as zeros', () => {
    const m = npol_rule_create.decode(
      npol_rule_create.encode(entry(npol_entry_type.NPOL_PORT_RANGE, { port_range: { start: 80, end: 443 } }) as never),
    );
    expect(m.rule.matches[0]).toMatchObject({ type: 1, data: { port_range: { start: 80, end: 443 } } });
    const z = npol_rule_create.decode(npol_rule_create.encode(entry(npol_entry_type.NPOL_CIDR, undefined) as never));
    expect(z.rule.matches[0]).toMatchObject({ type: 0, data: { cidr: '0.0.0.0/0' } });
  });

  it('models NPOL_IP_SET as set_id, the member VPP npol_rule_entry_decode() reads for it', () => {
    const bytes = npol_rule_create.encode(entry(npol_entry_type.NPOL_IP_SET, { set_id: { set_id: 7 } }) as never);
    const m = npol_rule_create.decode(bytes);
    expect(m.rule.matches[0]!.data).toEqual({ set_id: { set_id: 7 } });
    // on the wire: set_id big-endian at the start of the 18-byte union, the rest zero
    const hex = toHex(bytes);
    expect(hex.endsWith('0101' + '00' + '03' + '00000007' + '00'.repeat(14))).toBe(true);
    expect(encodeError(npol_rule_create, entry(npol_entry_type.NPOL_IP_SET, { cidr: '10.0.0.0/8' }))).toMatchObject({
      code: 'union_mismatch',
    });
  });
});

describe('integers', () => {
  it.each([
    [1n, 'bad_type'],
    ['1', 'bad_type'],
    [null, 'bad_type'],
    [true, 'bad_type'],
    [Number.NaN, 'int_range'],
    [1.5, 'int_range'],
    [-1, 'int_range'],
    [2 ** 32, 'int_range'],
  ])('sw_if_index = %s → %s', (value, code) => {
    const err = encodeError(sw_interface_set_flags, { sw_if_index: value, flags: 1 });
    expect(err).toMatchObject({
      name: 'VppEncodeError',
      code,
      path: 'sw_if_index',
      messageName: 'sw_interface_set_flags',
    });
  });

  it('says a bigint belongs only in u64/i64 fields', () => {
    expect(encodeError(sw_interface_set_flags, { sw_if_index: 1n }).message).toMatch(
      /expected a number for u32, got bigint 1n/,
    );
  });

  it('checks enums, u8 fields and tags the same way', () => {
    expect(encodeError(sw_interface_set_flags, { flags: 1n })).toMatchObject({ code: 'bad_type', path: 'flags' });
    expect(encodeError(want_interface_events, { enable_disable: 2n })).toMatchObject({
      code: 'bad_type',
      path: 'enable_disable',
    });
    expect(encodeError(ip_route_add_del, route([{ weight: 1n }]))).toMatchObject({
      code: 'bad_type',
      path: 'route.paths[0].weight',
    });
    expect(encodeError(npol_rule_create, { rule: { matches: [{ type: 1n }] } })).toMatchObject({
      code: 'bad_type',
      path: 'rule.matches[0].type',
    });
  });
});

describe('u64 fields', () => {
  it('take bigints and safe-integer numbers alike', () => {
    const a = memclnt_delete.encode({ index: 1, handle: 5n, do_cleanup: false } as never);
    const b = memclnt_delete.encode({ index: 1, handle: 5, do_cleanup: false } as never);
    expect(toHex(a)).toBe(toHex(b));
    expect(memclnt_delete.decode(b).handle).toBe(5n);
    expect(toHex(memclnt_delete.encode({ handle: Number.MAX_SAFE_INTEGER } as never))).toBe(
      toHex(memclnt_delete.encode({ handle: 2n ** 53n - 1n } as never)),
    );
  });

  it('refuse numbers beyond 2^53, fractions, negatives and text, clearly', () => {
    expect(encodeError(memclnt_delete, { handle: 2 ** 60 })).toMatchObject({
      code: 'int_range',
      path: 'handle',
      message: expect.stringContaining('not a safe integer'),
    });
    expect(encodeError(memclnt_delete, { handle: 1.5 })).toMatchObject({ code: 'int_range', path: 'handle' });
    expect(encodeError(memclnt_delete, { handle: -1 })).toMatchObject({ code: 'int_range', path: 'handle' });
    expect(encodeError(memclnt_delete, { handle: '5' })).toMatchObject({ code: 'bad_type', path: 'handle' });
    expect(encodeError(memclnt_delete, { handle: null })).toMatchObject({ code: 'bad_type', path: 'handle' });
  });
});

describe('strings with NUL', () => {
  it('refuses a NUL in a fixed string', () => {
    expect(encodeError(sw_interface_tag_add_del, { is_add: true, sw_if_index: 1, tag: 'a\0b' })).toMatchObject({
      name: 'VppEncodeError',
      code: 'string_nul',
      path: 'tag',
    });
    expect(encodeError(sw_interface_tag_add_del, { tag: 'é\0' })).toMatchObject({ code: 'string_nul', path: 'tag' });
    expect(encodeError(sw_interface_tag_add_del, { tag: '\0' })).toMatchObject({ code: 'string_nul', path: 'tag' });
  });

  it('refuses a NUL in a variable string', () => {
    expect(encodeError(cli_inband, { cmd: 'show\0version' })).toMatchObject({
      name: 'VppEncodeError',
      code: 'string_nul',
      path: 'cmd',
    });
    expect(encodeError(cli_inband, { cmd: 'ünï\0' })).toMatchObject({ code: 'string_nul', path: 'cmd' });
  });

  it('still round-trips ASCII and UTF-8 text', () => {
    expect(sw_interface_tag_add_del.decode(sw_interface_tag_add_del.encode({ tag: 'pod-é1' } as never)).tag).toBe(
      'pod-é1',
    );
    expect(cli_inband.decode(cli_inband.encode({ cmd: 'show ver ü' } as never)).cmd).toBe('show ver ü');
  });
});

describe('bool fields', () => {
  // untyped, to give the codec values the generated type forbids (0/1 for a boolean)
  const tagAddDel: AnyMessageDef = sw_interface_tag_add_del;
  it('take true/false and 0/1, and absent means the schema default', () => {
    const on = tagAddDel.encode({ is_add: true, sw_if_index: 1, tag: 't' });
    const one = tagAddDel.encode({ is_add: 1, sw_if_index: 1, tag: 't' });
    expect(toHex(one)).toBe(toHex(on));
    const off = tagAddDel.encode({ is_add: false, sw_if_index: 1, tag: 't' });
    expect(sw_interface_tag_add_del.decode(off).is_add).toBe(false);
    expect(sw_interface_tag_add_del.decode(on).is_add).toBe(true);
  });

  it.each([['false'], ['yes'], [2], [{}], [null]])('refuse %j instead of reading it as truthy', (v) => {
    const err = encodeError(sw_interface_tag_add_del, { is_add: v, sw_if_index: 1, tag: 't' });
    expect(err).toMatchObject({ name: 'VppEncodeError', code: 'bad_type', path: 'is_add' });
  });
});
