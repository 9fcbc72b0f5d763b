/**
 * The compact form of the generated bindings (issue 9): messages carry their fields as a short spec
 * parsed on first read, write integer fields through `intValue`/`intOr` slow paths, and share codec
 * functions with messages of the same layout (`_shared.ts`). None of it may show: every message's
 * `fields`, header kind and offsets are what the schemas say, absent fields take their defaults, and
 * bad values are refused naming the field, in shared functions too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { toHex, type AnyMessageDef, type FieldDef } from '../src/codec/index.js';
import { parseFields } from '../src/codec/define.js';
import { generate, parseModule, type ApiJson } from '../src/generator/index.js';
import {
  acl_interface_list_dump,
  control_ping,
  control_ping_reply,
  messages,
  messageVariants,
  show_version,
  sw_interface_set_flags,
  sw_interface_set_flags_reply,
} from '../src/generated/index.js';

const API = join(dirname(fileURLToPath(import.meta.url)), '..', 'api');

/** Every message of every vendored release, by wire name, with its fields as the schema gives them. */
function schemaMessages(): Map<string, FieldDef[]> {
  const out = new Map<string, FieldDef[]>();
  const dirs = [
    API,
    ...readdirSync(API, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => join(API, d.name)),
  ];
  for (const dir of dirs) {
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.api.json'))) {
      const mod = parseModule(JSON.parse(readFileSync(join(dir, f), 'utf8')) as ApiJson, f.replace(/\.api\.json$/, ''));
      for (const m of mod.messages) {
        out.set(
          `${m.name}_${m.crc.replace(/^0x/, '')}`,
          m.fields.map((x) => ({
            name: x.name,
            type: x.type,
            ...(x.length !== undefined ? { length: x.length } : {}),
            ...(x.lengthFrom !== undefined ? { lengthFrom: x.lengthFrom } : {}),
            ...(x.default !== undefined ? { default: x.default } : {}),
          })),
        );
      }
    }
  }
  return out;
}

/** The header kind and offsets the first fields give (as VPP's own clients read them). */
function headerOf(fields: readonly FieldDef[]): [string, number, number] {
  const n = fields.slice(0, 3).map((f) => `${f.name}:${f.type}`);
  if (n[0] !== '_vl_msg_id:u16') return ['other', -1, -1];
  if (n[1] === 'client_index:u32' && n[2] === 'context:u32') return ['request', 6, 2];
  if (n[1] === 'context:u32') return ['reply', 2, -1];
  if (n[1] === 'client_index:u32') return ['event', -1, 2];
  return ['other', -1, -1];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- errors are probed field by field
type Any = Record<string, any>;

function encodeError(def: AnyMessageDef, m: unknown): Any {
  try {
    def.encode(m);
  } catch (err) {
    return err as Any;
  }
  throw new Error('no error: encoded');
}

describe('message descriptors', () => {
  const schema = schemaMessages();
  const all = [...messages, ...messageVariants];

  it('give every message its schema fields, header kind and offsets', () => {
    expect(all.length).toBeGreaterThan(700);
    for (const def of all) {
      const fields = schema.get(def.nameCrc);
      expect(fields, def.nameCrc).toBeDefined();
      expect(def.fields, def.nameCrc).toEqual(fields);
      const [kind, context, client] = headerOf(fields!);
      expect([def.header, def.contextOffset, def.clientIndexOffset], def.nameCrc).toEqual([kind, context, client]);
      expect(def.crc).toMatch(/^0x[0-9a-f]{8}$/);
    }
  });

  it('keep `fields` an enumerable property that reads the same every time', () => {
    expect(Object.keys(control_ping)).toContain('fields');
    expect(control_ping.fields).toBe(control_ping.fields);
    expect(JSON.parse(JSON.stringify(control_ping.fields))).toEqual([
      { name: '_vl_msg_id', type: 'u16' },
      { name: 'client_index', type: 'u32' },
      { name: 'context', type: 'u32' },
    ]);
  });

  it('parse specs with lengths, counts, defaults and an explicit header', () => {
    expect(parseFields('Qa:u8[4];n:u32;b:.fib_path[0@n];s:string[0];t:bool="true";h:.handle=4294967295')).toEqual([
      { name: '_vl_msg_id', type: 'u16' },
      { name: 'client_index', type: 'u32' },
      { name: 'context', type: 'u32' },
      { name: 'a', type: 'u8', length: 4 },
      { name: 'n', type: 'u32' },
      { name: 'b', type: 'vl_api_fib_path_t', length: 0, lengthFrom: 'n' },
      { name: 's', type: 'string', length: 0 },
      { name: 't', type: 'bool', default: 'true' },
      { name: 'h', type: 'vl_api_handle_t', default: 4294967295 },
    ]);
    expect(parseFields('r_vl_msg_id:u16;context:u32')).toEqual([
      { name: '_vl_msg_id', type: 'u16' },
      { name: 'context', type: 'u32' },
    ]);
    expect(parseFields('R')).toHaveLength(2);
    expect(parseFields('o')).toEqual([]);
    expect(() => parseFields('x')).toThrow(/bad field spec/);
  });
});

describe('compact field writers', () => {
  it('write absent header and body fields as zeros or their schema defaults', () => {
    // sw_if_index defaults to ~0 in acl_interface_list_dump
    expect(toHex(acl_interface_list_dump.encode({} as never))).toBe('0000' + '00000000' + '00000000' + 'ffffffff');
    expect(toHex(control_ping.encode({} as never))).toBe('00'.repeat(10));
    expect(toHex(sw_interface_set_flags.encode({ sw_if_index: 3 } as never))).toBe(
      '0000' + '00000000' + '00000000' + '00000003' + '00000000',
    );
  });

  it('refuse bad header and body values naming the field', () => {
    expect(encodeError(control_ping, { _vl_msg_id: 0x10000 })).toMatchObject({
      name: 'VppEncodeError',
      code: 'int_range',
      path: '_vl_msg_id',
    });
    expect(encodeError(control_ping, { client_index: 1n })).toMatchObject({ code: 'bad_type', path: 'client_index' });
    expect(encodeError(control_ping_reply, { context: -1 })).toMatchObject({ code: 'int_range', path: 'context' });
    expect(encodeError(control_ping_reply, { vpe_pid: '7' })).toMatchObject({ code: 'bad_type', path: 'vpe_pid' });
    expect(encodeError(sw_interface_set_flags, { sw_if_index: 1.5 })).toMatchObject({
      code: 'int_range',
      path: 'sw_if_index',
    });
    expect(encodeError(sw_interface_set_flags_reply, { retval: 2 ** 31 }).message).toMatch(/retval.*does not fit i32/);
  });

  it('keep each message its own name and type when it shares its functions with others', () => {
    // show_version and control_ping carry only the header: one set of functions serves both
    const bytes = show_version.encode({ _vl_msg_id: 7, client_index: 1, context: 2 } as never);
    expect(show_version.decode(bytes)).toEqual({ _vl_msg_id: 7, client_index: 1, context: 2 });
    expect(control_ping.decode(bytes)).toEqual({ _vl_msg_id: 7, client_index: 1, context: 2 });
    expect(encodeError(show_version, { context: 'x' })).toMatchObject({ messageName: 'show_version', path: 'context' });
    expect(encodeError(control_ping, { context: 'x' })).toMatchObject({ messageName: 'control_ping', path: 'context' });
  });
});

describe('the generator', () => {
  it('writes fields a spec cannot carry as objects, with the header written out', () => {
    const json: ApiJson = {
      types: [],
      enums: [],
      messages: [
        [
          'odd',
          ['u16', '_vl_msg_id'],
          ['u32', 'client_index'],
          ['u32', 'context'],
          ['string', 'name', 8, { default: 'a;b' }],
          { crc: '0x00000001' },
        ],
      ],
      services: {},
      imports: [],
    } as unknown as ApiJson;
    const code = generate([{ name: 'synth', json }]).get('synth.ts')!;
    expect(code).toContain('{"name":"name","type":"string","length":8,"default":"a;b"}');
    expect(code).toContain('["request", 6, 2]');
  });
});
