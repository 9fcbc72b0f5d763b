/**
 * Every schema construct, on a small synthetic schema (the vendored VPP set lacks some: f64, i64,
 * enum widths, enumflags, counted byte arrays, tail arrays, string limits): generated, loaded, and
 * exercised through the MessageDef contract.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, type ApiJson } from '../src/generator/index.js';
import { toHex, type MessageDef, type ServiceDef } from '../src/codec/index.js';

const SUPPORT = resolve(dirname(fileURLToPath(import.meta.url)), '../src/codec/support.ts');

export const SYNTH: ApiJson = {
  module: 'synth',
  types: [
    ['inner', ['u16', 'a'], ['i8', 'b']],
    ['with_var', ['u32', 'id'], ['string', 'name', 0]],
    ['tagged', ['u8', 'flag'], ['vl_api_kind_t', 'kind'], ['vl_api_payload_t', 'data', { discriminator: 'kind' }]],
  ],
  unions: [
    [
      'payload',
      ['u32', 'num', { case: 'KIND_NUM' }],
      ['vl_api_inner_t', 'inner', { case: 'KIND_INNER' }],
      ['vl_api_ip6_address_t', 'ip6', { case: 'KIND_IP6' }],
    ],
    ['plain_union', ['u8', 'small'], ['u32', 'big']],
  ],
  enums: [
    ['kind', ['KIND_NUM', 0], ['KIND_INNER', 1], ['KIND_IP6', 2], ['KIND_OTHER', 3], { enumtype: 'u8' }],
    ['e16', ['A', 1], ['B', 65535], { enumtype: 'u16' }],
    ['e32', ['X', 4000000000], { enumtype: 'u32' }],
    ['ei32', ['NEG', -5], { enumtype: 'i32' }],
  ],
  enumflags: [['flags8', ['F1', 1], ['F2', 2], { enumtype: 'u8' }]],
  aliases: {
    ip4_address: { type: 'u8', length: 4 },
    ip6_address: { type: 'u8', length: 16 },
    mac_address: { type: 'u8', length: 6 },
    handle: { type: 'u32' },
    key16: { type: 'u8', length: 16 },
    ports: { type: 'u16', length: 2 },
  },
  messages: [
    [
      'everything',
      ['u16', '_vl_msg_id'],
      ['u32', 'client_index'],
      ['u32', 'context'],
      ['u8', 'u8v'],
      ['i8', 'i8v'],
      ['u16', 'u16v'],
      ['i16', 'i16v'],
      ['u32', 'u32v'],
      ['i32', 'i32v'],
      ['u64', 'u64v'],
      ['i64', 'i64v'],
      ['f64', 'f64v', { default: 1.5 }],
      ['bool', 'flag', { default: 'true' }],
      ['string', 'fixed', 8],
      ['u8', 'raw', 4],
      ['vl_api_key16_t', 'key'],
      ['vl_api_ports_t', 'ports'],
      ['u32', 'arr', 3],
      ['vl_api_e16_t', 'e16'],
      ['vl_api_e32_t', 'e32'],
      ['vl_api_ei32_t', 'ei32'],
      ['vl_api_flags8_t', 'fl'],
      ['vl_api_handle_t', 'h', { default: 4294967295 }],
      ['vl_api_ip4_address_t', 'ip4'],
      ['vl_api_mac_address_t', 'mac'],
      ['vl_api_inner_t', 'inner'],
      ['vl_api_plain_union_t', 'pu'],
      ['vl_api_tagged_t', 'tagged'],
      ['u8', 'n_items'],
      ['vl_api_inner_t', 'items', 0, 'n_items'],
      ['u32', 'n_bytes'],
      ['u8', 'blob', 0, 'n_bytes'],
      ['string', 'name', 0, { limit: 8 }],
      ['vl_api_with_var_t', 'wv'],
      { crc: '0x12345678', options: { deprecated: null }, comment: 'prose' },
    ],
    [
      'tail',
      ['u16', '_vl_msg_id'],
      ['u32', 'context'],
      ['u32', 'x'],
      ['vl_api_inner_t', 'rest', 0],
      { crc: '0xdeadbeef', options: {} },
    ],
    [
      'tail_bytes',
      ['u16', '_vl_msg_id'],
      ['u32', 'context'],
      ['u8', 'data', 0],
      { crc: '0x00000001', options: { status: 'in_progress', in_progress: null } },
    ],
    ['ev', ['u16', '_vl_msg_id'], ['u32', 'client_index'], ['u32', 'pid'], { crc: '0x00000002', options: {} }],
    [
      'want_ev',
      ['u16', '_vl_msg_id'],
      ['u32', 'client_index'],
      ['u32', 'context'],
      ['bool', 'enable'],
      { crc: '0x00000003', options: {} },
    ],
    ['want_ev_reply', ['u16', '_vl_msg_id'], ['u32', 'context'], ['i32', 'retval'], { crc: '0x00000004', options: {} }],
    [
      'thing_dump',
      ['u16', '_vl_msg_id'],
      ['u32', 'client_index'],
      ['u32', 'context'],
      { crc: '0x00000005', options: {} },
    ],
    ['thing_details', ['u16', '_vl_msg_id'], ['u32', 'context'], ['u32', 'id'], { crc: '0x00000006', options: {} }],
    [
      'thing_get',
      ['u16', '_vl_msg_id'],
      ['u32', 'client_index'],
      ['u32', 'context'],
      ['u32', 'cursor'],
      { crc: '0x00000007', options: {} },
    ],
    [
      'thing_get_reply',
      ['u16', '_vl_msg_id'],
      ['u32', 'context'],
      ['i32', 'retval'],
      ['u32', 'cursor'],
      { crc: '0x00000008', options: {} },
    ],
    [
      'control_ping',
      ['u16', '_vl_msg_id'],
      ['u32', 'client_index'],
      ['u32', 'context'],
      { crc: '0x51077d14', options: {} },
    ],
    [
      'control_ping_reply',
      ['u16', '_vl_msg_id'],
      ['u32', 'context'],
      ['i32', 'retval'],
      ['u32', 'client_index'],
      ['u32', 'vpe_pid'],
      { crc: '0xf6b0b8ca', options: {} },
    ],
  ],
  services: {
    want_ev: { reply: 'want_ev_reply', events: ['ev'] },
    thing_dump: { reply: 'thing_details', stream: true },
    thing_get: { reply: 'thing_get_reply', stream: true, stream_msg: 'thing_details' },
    control_ping: { reply: 'control_ping_reply' },
    ev: { reply: 'null' },
  },
  imports: [],
  options: { version: '1.0.0' },
  vl_api_version: '0x01020304',
};

// Generated modules are imported at run time and their messages and errors probed field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the shapes are what the tests check
type Any = Record<string, any>;
let dir: string;
let synth: Any;
let index: Any;
let sources: Map<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vpp-binapi-synth-'));
  sources = generate([{ name: 'synth', json: SYNTH }], { runtimeImport: SUPPORT });
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of sources) writeFileSync(join(dir, f), text);
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  synth = await import(pathToFileURL(join(dir, 'synth.ts')).href);
  index = await import(pathToFileURL(join(dir, 'index.ts')).href);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function def(name: string): MessageDef<Any> {
  return synth[name] as MessageDef<Any>;
}

function full(): Any {
  return {
    _vl_msg_id: 0x1234,
    client_index: 0x80000001,
    context: 7,
    u8v: 255,
    i8v: -128,
    u16v: 65535,
    i16v: -2,
    u32v: 0xfffffffe,
    i32v: -2147483648,
    u64v: 0xffffffffffffffffn,
    i64v: -9223372036854775808n,
    f64v: -0.25,
    flag: false,
    fixed: 'abcdefg',
    raw: new Uint8Array([1, 2, 3, 4]),
    key: new Uint8Array(16).fill(0xab),
    ports: [80, 443],
    arr: [1, 2, 3],
    e16: 65535,
    e32: 4000000000,
    ei32: -5,
    fl: 3,
    h: 9,
    ip4: '192.0.2.1',
    mac: '02:00:00:00:00:aa',
    inner: { a: 513, b: -1 },
    pu: { small: 5, big: 0x05000000 },
    tagged: { flag: 1, kind: 2, data: { ip6: 'fd00::1' } },
    n_items: 2,
    items: [
      { a: 1, b: 2 },
      { a: 3, b: -4 },
    ],
    n_bytes: 3,
    blob: new Uint8Array([9, 8, 7]),
    name: 'héllo',
    wv: { id: 77, name: 'variable' },
  };
}

describe('synthetic schema: every construct', () => {
  it('carries identity, header layout and status', () => {
    const e = def('everything');
    expect(e.name).toBe('everything');
    expect(e.crc).toBe('0x12345678');
    expect(e.nameCrc).toBe('everything_12345678');
    expect(e.module).toBe('synth');
    expect([e.header, e.clientIndexOffset, e.contextOffset]).toEqual(['request', 2, 6]);
    expect(e.status).toBe('deprecated');
    expect(def('tail').header).toBe('reply');
    expect([def('tail').contextOffset, def('tail').clientIndexOffset]).toEqual([2, -1]);
    expect([def('ev').header, def('ev').clientIndexOffset, def('ev').contextOffset]).toEqual(['event', 2, -1]);
    expect(def('tail_bytes').status).toBe('in_progress');
    expect(e.fields.find((f) => f.name === 'items')).toEqual({
      name: 'items',
      type: 'vl_api_inner_t',
      length: 0,
      lengthFrom: 'n_items',
    });
    expect(e.fields.find((f) => f.name === 'h')).toEqual({ name: 'h', type: 'vl_api_handle_t', default: 4294967295 });
  });

  it('emits TSDoc for status, as-const enums and tagged unions', () => {
    const src = sources.get('synth.ts')!;
    expect(src).toMatch(/@deprecated/);
    expect(src).toMatch(/@experimental/);
    expect(src).toContain('export const e32 = {\n  X: 4000000000,\n} as const;');
    expect(src).toContain('export type flags8 = number;');
    expect(src).toMatch(/kind: typeof kind\.KIND_IP6;\s+data: \{ ip6: ip6_address \};/);
    expect(src).not.toContain('prose');
    expect(synth.kind).toEqual({ KIND_NUM: 0, KIND_INNER: 1, KIND_IP6: 2, KIND_OTHER: 3 });
    expect(synth.ei32).toEqual({ NEG: -5 });
  });

  it('round-trips every construct byte-exactly', () => {
    const e = def('everything');
    const bytes = e.encode(full());
    expect(bytes.length).toBe(e.size(full()));
    const back = e.decode(bytes);
    expect(back).toEqual({
      ...full(),
      pu: { small: 5, big: 0x05000000 },
      tagged: { flag: 1, kind: 2, data: { ip6: 'fd00::1' } },
    });
    expect(toHex(e.encode(back))).toBe(toHex(bytes));
  });

  it('lays out integers big endian and f64 little endian at the right offsets', () => {
    const hex = toHex(def('everything').encode(full()));
    expect(hex.slice(0, 20)).toBe('1234' + '80000001' + '00000007');
    // u8 ff, i8 80, u16 ffff, i16 fffe, u32 fffffffe, i32 80000000, u64, i64, f64 -0.25 (little endian, as VPP sends it)
    expect(hex.slice(20, 20 + 2 * 38)).toBe(
      'ff' +
        '80' +
        'ffff' +
        'fffe' +
        'fffffffe' +
        '80000000' +
        'ffffffffffffffff' +
        '8000000000000000' +
        '000000000000d0bf',
    );
    const tail = def('tail_bytes').encode({ context: 1, data: new Uint8Array([0xaa, 0xbb]) });
    expect(toHex(tail)).toBe('0000' + '00000001' + 'aabb');
  });

  it('writes variable strings as u32 length + bytes and fixed strings NUL padded', () => {
    const ws = synth.encode_with_var as (v: Any, b: Uint8Array, dv: DataView, o: number) => number;
    const b = new Uint8Array(20).fill(0xee);
    expect(ws({ id: 1, name: 'ab' }, b, new DataView(b.buffer), 0)).toBe(10);
    expect(toHex(b.subarray(0, 10))).toBe('00000001' + '00000002' + '6162');
    const e = def('everything');
    const m = e.create({ fixed: 'ab' });
    const hex = toHex(e.encode(m));
    // fixed string[8] starts after the 10-byte header and 39 bytes of scalars
    expect(hex.slice(98, 98 + 16)).toBe('6162000000000000');
  });

  it('create() applies defaults and zeros; absent fields take defaults at encode', () => {
    const e = def('everything');
    const m = e.create();
    expect(m.f64v).toBe(1.5);
    expect(m.flag).toBe(true);
    expect(m.h).toBe(4294967295);
    expect(m.u64v).toBe(0n);
    expect(m.ip4).toBe('0.0.0.0');
    expect(m.mac).toBe('00:00:00:00:00:00');
    expect(m.raw).toEqual(new Uint8Array(4));
    expect(m.arr).toEqual([0, 0, 0]);
    expect(m.items).toEqual([]);
    expect(m.tagged).toEqual({ flag: 0, kind: 0, data: { num: 0 } });
    expect(m.pu).toEqual({ small: 0, big: 0 });
    expect(e.create({ u8v: 3 }).u8v).toBe(3);
    expect(toHex(e.encode({}))).toBe(toHex(e.encode(e.create())));
    const decoded = e.decode(e.encode({}));
    expect(decoded.f64v).toBe(1.5);
    expect(decoded.flag).toBe(true);
    expect(decoded.h).toBe(4294967295);
  });

  it('writes the array length into the count field, whatever the count field says', () => {
    const e = def('everything');
    const m = { ...full(), n_items: 99, n_bytes: 0 };
    const back = e.decode(e.encode(m));
    expect(back.n_items).toBe(2);
    expect(back.n_bytes).toBe(3);
    expect(back.items).toEqual(full().items);
  });

  it('encodes non-discriminated unions: zero members count as unset, the others must agree', () => {
    const e = def('everything');
    const pu = (v: Any): string => {
      const hex = toHex(e.encode({ pu: v }));
      const d = e.decode(e.encode({ pu: v }));
      return `${hex.length}:${JSON.stringify(d.pu)}`;
    };
    expect(pu({ small: 5 })).toContain('{"small":5,"big":83886080}');
    expect(pu({ big: 0x01020304 })).toContain('{"small":1,"big":16909060}');
    expect(pu({ small: 0, big: 0x01020304 })).toContain('{"small":1,"big":16909060}');
    expect(pu({ small: 1, big: 0x01020304 })).toContain('{"small":1,"big":16909060}'); // agree on byte 0
    // disagreeing members are refused, whichever order they come in
    expect(encodeError({ pu: { small: 9, big: 0x01020304 } })).toMatchObject({
      name: 'VppEncodeError',
      code: 'union_mismatch',
      path: 'pu',
    });
    expect(encodeError({ pu: { big: 0x01020304, small: 9 } })).toMatchObject({ code: 'union_mismatch', path: 'pu' });
    // a decoded union (every member, consistent) re-encodes exactly
    const bytes = e.encode({ pu: { big: 0xfe020304 } });
    expect(toHex(e.encode(e.decode(bytes)))).toBe(toHex(bytes));
  });

  it('encodes discriminated unions by their tag', () => {
    const e = def('everything');
    for (const tagged of [
      { flag: 0, kind: 0, data: { num: 42 } },
      { flag: 1, kind: 1, data: { inner: { a: 7, b: -7 } } },
      { flag: 1, kind: 2, data: { ip6: '2001:db8::a00:1' } },
    ]) {
      const back = e.decode(e.encode({ tagged }));
      expect(back.tagged).toEqual(tagged);
    }
  });

  it('carries the whole union for an enum value no member names', () => {
    const e = def('everything');
    const back = e.decode(e.encode({ tagged: { flag: 0, kind: 3, data: { num: 0x01020304 } } }));
    expect(back.tagged.kind).toBe(3);
    expect(back.tagged.data.num).toBe(0x01020304);
    expect(back.tagged.data.inner).toEqual({ a: 0x0102, b: 3 });
    expect(sources.get('synth.ts')).toMatch(/kind: typeof kind\.KIND_OTHER;\s+data: payload;/);
  });

  it('decodes a variable array at the end without a count field', () => {
    const t = def('tail');
    const bytes = t.encode({
      context: 1,
      x: 2,
      rest: [
        { a: 1, b: 1 },
        { a: 2, b: 2 },
      ],
    });
    expect(bytes.length).toBe(10 + 6);
    expect(t.decode(bytes).rest).toEqual([
      { a: 1, b: 1 },
      { a: 2, b: 2 },
    ]);
    // a stray byte that cannot form an element is left alone
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(t.decode(longer).rest).toHaveLength(2);
  });

  it('encodes into and decodes from views at an offset in a larger ArrayBuffer', () => {
    const e = def('everything');
    const bytes = e.encode(full());
    const big = new Uint8Array(bytes.length + 100).fill(0x55);
    const view = big.subarray(17, 17 + bytes.length + 20);
    expect(e.encodeInto(full(), view, 3)).toBe(3 + bytes.length);
    expect(toHex(big.subarray(20, 20 + bytes.length))).toBe(toHex(bytes));
    expect(big[19]).toBe(0x55);
    expect(big[20 + bytes.length]).toBe(0x55);
    expect(e.decode(view, 3, 3 + bytes.length)).toEqual(e.decode(bytes));
    // decode error offsets are relative to the view given
    const cut = view.subarray(3, 3 + 20);
    expect(() => e.decode(cut)).toThrow(
      expect.objectContaining({ code: 'truncated', offset: 0, message: expect.stringContaining('(at byte 0)') }),
    );
  });

  it('decodes at an offset and up to an end', () => {
    const t = def('thing_details');
    const bytes = t.encode({ context: 3, id: 9 });
    const buf = new Uint8Array(bytes.length + 10);
    buf.set(bytes, 5);
    expect(t.decode(buf, 5, 5 + bytes.length)).toEqual({ _vl_msg_id: 0, context: 3, id: 9 });
    expect(() => t.decode(buf, 5, 5 + bytes.length - 1)).toThrow(
      expect.objectContaining({ name: 'VppDecodeError', code: 'truncated' }),
    );
  });
});

function encodeError(m: Any): Any {
  try {
    def('everything').encode(m);
  } catch (err) {
    return err as Any;
  }
  throw new Error('no error');
}

describe('synthetic schema: encode errors', () => {
  it.each([
    ['u8v', 256, 'int_range'],
    ['u8v', -1, 'int_range'],
    ['u8v', 1.5, 'int_range'],
    ['i8v', 128, 'int_range'],
    ['u16v', 65536, 'int_range'],
    ['i16v', -32769, 'int_range'],
    ['u32v', 2 ** 32, 'int_range'],
    ['i32v', 2 ** 31, 'int_range'],
    ['u64v', -1n, 'int_range'],
    ['u64v', 2n ** 64n, 'int_range'],
    ['i64v', 2n ** 63n, 'int_range'],
    ['u32v', '5', 'bad_type'],
    ['f64v', '1', 'bad_type'],
    ['e16', 65536, 'int_range'],
    ['ei32', 2 ** 31, 'int_range'],
    ['fixed', 'abcdefgh', 'string_too_long'],
    ['fixed', 'ééééé', 'string_too_long'],
    ['name', '12345678', 'string_too_long'],
    ['raw', new Uint8Array(5), 'array_length'],
    ['arr', [1, 2, 3, 4], 'array_length'],
    ['arr', 'nope', 'bad_type'],
    ['ip4', '1.2.3', 'bad_address'],
    ['ip4', '1.2.3.256', 'bad_address'],
    ['ip4', 'fd00::1', 'bad_address'],
    ['mac', '02:00:00:00:00', 'bad_address'],
    ['mac', 'zz:00:00:00:00:00', 'bad_address'],
  ] as const)('%s = %s → %s', (field, value, code) => {
    const err = encodeError({ [field]: value });
    expect(err.name).toBe('VppEncodeError');
    expect(err.code).toBe(code);
    expect(err.path).toBe(field);
    expect(err.messageName).toBe('everything');
    expect(err.message).toContain(`everything.${field}`);
  });

  it('names nested field paths', () => {
    expect(encodeError({ items: [{ a: 1 }, { a: 70000 }] })).toMatchObject({ code: 'int_range', path: 'items[1].a' });
    expect(encodeError({ arr: [1, -1] })).toMatchObject({ code: 'int_range', path: 'arr[1]' });
    expect(encodeError({ inner: { b: 200 } })).toMatchObject({ code: 'int_range', path: 'inner.b' });
    expect(encodeError({ tagged: { kind: 1, data: { inner: { a: -1 } } } })).toMatchObject({
      path: 'tagged.data.inner.a',
    });
    expect(encodeError({ tagged: { kind: 2, data: { ip6: 'nope' } } })).toMatchObject({
      code: 'bad_address',
      path: 'tagged.data.ip6',
    });
    expect(encodeError({ wv: { name: 5 } })).toMatchObject({ code: 'bad_type', path: 'wv.name' });
    expect(encodeError({ pu: { big: 2 ** 33 } })).toMatchObject({ code: 'int_range', path: 'pu.big' });
  });

  it('refuses bigints, null and garbage in integer fields with a VppEncodeError', () => {
    for (const f of ['u8v', 'i8v', 'u16v', 'i16v', 'u32v', 'i32v', 'e16', 'e32', 'ei32', 'fl', 'h']) {
      expect(encodeError({ [f]: 1n }), f).toMatchObject({ name: 'VppEncodeError', code: 'bad_type', path: f });
      expect(encodeError({ [f]: null }), f).toMatchObject({ name: 'VppEncodeError', code: 'bad_type', path: f });
      expect(encodeError({ [f]: Number.NaN }), f).toMatchObject({ name: 'VppEncodeError', code: 'int_range', path: f });
    }
    expect(encodeError({ arr: [1, 2n] })).toMatchObject({ code: 'bad_type', path: 'arr[1]' });
    expect(encodeError({ ports: [1n] })).toMatchObject({ code: 'bad_type', path: 'ports[0]' });
    expect(encodeError({ items: [{ a: 1n }] })).toMatchObject({ code: 'bad_type', path: 'items[0].a' });
    expect(encodeError({ tagged: { kind: 1n, data: {} } })).toMatchObject({ code: 'bad_type', path: 'tagged.kind' });
    expect(encodeError({ u64v: 2 ** 53 })).toMatchObject({ code: 'int_range', path: 'u64v' });
    expect(encodeError({ f64v: null })).toMatchObject({ code: 'bad_type', path: 'f64v' });
  });

  it('refuses non-objects for structs and unions, and tags without their member', () => {
    expect(encodeError({ inner: 'x' })).toMatchObject({ code: 'bad_type', path: 'inner' });
    expect(encodeError({ inner: null })).toMatchObject({ code: 'bad_type', path: 'inner' });
    expect(encodeError({ pu: 5 })).toMatchObject({ code: 'bad_type', path: 'pu' });
    expect(encodeError({ items: [{ a: 1 }, 'b'] })).toMatchObject({ code: 'bad_type', path: 'items[1]' });
    expect(encodeError({ wv: [] })).toMatchObject({ code: 'bad_type', path: 'wv' });
    expect(encodeError({ tagged: { kind: 1, data: { num: 5 } } })).toMatchObject({
      code: 'union_mismatch',
      path: 'tagged.data',
    });
    expect(encodeError({ tagged: { kind: 0, data: { num: 5, ip6: '::1' } } })).toMatchObject({
      code: 'union_mismatch',
      path: 'tagged.data',
    });
    expect(encodeError({ tagged: { kind: 3, data: { num: 0x01020304, inner: { a: 9, b: 0 } } } })).toMatchObject({
      code: 'union_mismatch',
      path: 'tagged.data',
    });
  });

  it('refuses NUL in fixed and variable strings', () => {
    expect(encodeError({ fixed: 'a\0b' })).toMatchObject({ code: 'string_nul', path: 'fixed' });
    expect(encodeError({ name: 'a\0' })).toMatchObject({ code: 'string_nul', path: 'name' });
    expect(encodeError({ wv: { name: 'x\0y' } })).toMatchObject({ code: 'string_nul', path: 'wv.name' });
  });

  it('rejects an unknown tag and an array its count field cannot express', () => {
    expect(encodeError({ tagged: { kind: 9, data: {} } })).toMatchObject({
      code: 'bad_discriminator',
      path: 'tagged.data',
    });
    const items = Array.from({ length: 256 }, () => ({ a: 0, b: 0 }));
    expect(encodeError({ items })).toMatchObject({ code: 'array_length', path: 'items' });
  });

  it('refuses a buffer without room', () => {
    const t = def('thing_details');
    expect(() => t.encodeInto({ id: 1 }, new Uint8Array(5), 0)).toThrow(
      expect.objectContaining({ name: 'VppEncodeError', code: 'buffer_too_small' }),
    );
  });
});

describe('synthetic schema: decode errors', () => {
  it('reports truncation at every length, never anything else', () => {
    const e = def('everything');
    const bytes = e.encode(full());
    for (let n = 0; n < bytes.length; n++) {
      let err: Any | undefined;
      try {
        e.decode(bytes.subarray(0, n));
      } catch (x) {
        err = x as Any;
      }
      expect(err, `length ${n}`).toBeDefined();
      expect(err!.name).toBe('VppDecodeError');
      expect(['truncated', 'bad_count']).toContain(err!.code);
      expect(err!.messageName).toBe('everything');
    }
  });

  it('reports a count larger than the payload', () => {
    const e = def('everything');
    const bytes = e.encode({ items: [] });
    // n_items sits right before the (empty) items array: find it by re-encoding with one item
    const one = e.encode({ items: [{ a: 0, b: 0 }] });
    let at = 0;
    while (bytes[at] === one[at]) at++;
    const bad = bytes.slice();
    bad[at] = 200;
    expect(() => e.decode(bad)).toThrow(
      expect.objectContaining({ name: 'VppDecodeError', code: 'bad_count', path: 'items' }),
    );
  });

  it('reports an unknown discriminator', () => {
    const e = def('everything');
    const bytes = e.encode({ tagged: { flag: 0, kind: 0, data: { num: 1 } } });
    const ref = e.encode({ tagged: { flag: 0, kind: 1, data: { inner: { a: 0, b: 0 } } } });
    let at = 0;
    while (bytes[at] === ref[at]) at++;
    const bad = bytes.slice();
    bad[at] = 7;
    expect(() => e.decode(bad)).toThrow(expect.objectContaining({ name: 'VppDecodeError', code: 'bad_discriminator' }));
  });
});

describe('synthetic schema: generated code', () => {
  it('type-checks under the project compiler options', async () => {
    const ts = (await import('typescript')).default;
    const base = ts.readConfigFile(resolve(dirname(SUPPORT), '../../../../tsconfig.base.json'), ts.sys.readFile);
    const parsed = ts.convertCompilerOptionsFromJson(base.config.compilerOptions, dir);
    const program = ts.createProgram([join(dir, 'index.ts'), join(dir, 'synth.ts')], {
      ...parsed.options,
      noEmit: true,
      allowImportingTsExtensions: true,
    });
    const diags = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName.startsWith(dir))
      .map((d) => `${d.file?.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(diags).toEqual([]);
  }, 60_000);
});

describe('synthetic schema: index', () => {
  it('maps names and wire names, lists services', () => {
    expect(index.messagesByName.get('everything')).toBe(synth.everything);
    expect(index.messagesByNameCrc.get('everything_12345678')).toBe(synth.everything);
    const services = index.services as ServiceDef[];
    expect(services).toContainEqual({ request: 'want_ev', reply: 'want_ev_reply', events: ['ev'] });
    expect(services).toContainEqual({ request: 'thing_dump', reply: 'control_ping_reply', stream: 'thing_details' });
    expect(services).toContainEqual({ request: 'thing_get', reply: 'thing_get_reply', streamMessage: 'thing_details' });
    expect(services.find((s) => s.request === 'ev')).toBeUndefined();
    const src = sources.get('index.ts')!;
    expect(src).toContain('thing_dump: { request: m_synth.thing_dump; details: m_synth.thing_details };');
    expect(src).toContain(
      'thing_get: { request: m_synth.thing_get; reply: m_synth.thing_get_reply; details: m_synth.thing_details };',
    );
    expect(src).toContain('want_ev: { request: m_synth.want_ev; reply: m_synth.want_ev_reply; event: m_synth.ev };');
    expect(src).toContain('control_ping: { request: m_synth.control_ping; reply: m_synth.control_ping_reply };');
  });
});
