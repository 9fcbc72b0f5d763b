/**
 * Hand-built MessageDefs for client tests, used until the generated bindings land. A tiny interpreter
 * over a field list; only what the client tests need (u8/u16/u32/i32/bool/fixed string and the
 * message table of `sockclnt_create_reply`). Layouts and CRCs follow VPP 26.06's memclnt/interface
 * schemas so the golden capture can be replayed against it.
 */
import type { HeaderKind, MessageDef, ServiceDef } from '../../src/codec/types.js';

type Ty = 'u8' | 'u16' | 'u32' | 'i32' | 'bool' | ['string', number] | 'table';
type F = [string, Ty];

const SIZES: Record<string, number> = { u8: 1, u16: 2, u32: 4, i32: 4, bool: 1 };

function fieldSize(t: Ty, v: unknown): number {
  if (Array.isArray(t)) return t[1];
  if (t === 'table') return (v as unknown[]).length * 66;
  return SIZES[t]!;
}

export function hand(name: string, crc: string, header: HeaderKind, fields: F[], module = 'test'): MessageDef {
  const all: F[] = [['_vl_msg_id', 'u16'], ...fields];
  const offsets = new Map<string, number>();
  let o = 0;
  for (const [n, t] of all) {
    offsets.set(n, o);
    if (t === 'table') break;
    o += fieldSize(t, []);
  }
  const def: MessageDef = {
    name,
    crc,
    nameCrc: `${name}_${crc.slice(2)}`,
    module,
    header,
    contextOffset: offsets.get('context') ?? -1,
    clientIndexOffset: offsets.get('client_index') ?? -1,
    fields: all.map(([n, t]) => ({ name: n, type: Array.isArray(t) ? 'string' : t })),
    create(init = {}) {
      const m: Record<string, unknown> = {};
      for (const [n, t] of all) m[n] = Array.isArray(t) ? '' : t === 'table' ? [] : t === 'bool' ? false : 0;
      return Object.assign(m, init);
    },
    size(msg) {
      let s = 0;
      for (const [n, t] of all) s += fieldSize(t, (msg as Record<string, unknown>)[n] ?? []);
      return s;
    },
    encodeInto(msg, buf, offset) {
      const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      const m = msg as Record<string, unknown>;
      let p = offset;
      for (const [n, t] of all) {
        const v = m[n];
        if (Array.isArray(t)) {
          buf.fill(0, p, p + t[1]);
          buf.set(new TextEncoder().encode(String(v ?? '')).subarray(0, t[1] - 1), p);
          p += t[1];
        } else if (t === 'table') {
          for (const e of v as { index: number; name: string }[]) {
            dv.setUint16(p, e.index);
            buf.fill(0, p + 2, p + 66);
            buf.set(new TextEncoder().encode(e.name), p + 2);
            p += 66;
          }
        } else {
          const x = Number(v ?? 0);
          if (t === 'u8' || t === 'bool') dv.setUint8(p, x);
          else if (t === 'u16') dv.setUint16(p, x);
          else if (t === 'u32') dv.setUint32(p, x);
          else dv.setInt32(p, x);
          p += SIZES[t]!;
        }
      }
      return p;
    },
    encode(msg) {
      const b = new Uint8Array(def.size(msg));
      def.encodeInto(msg, b, 0);
      return b;
    },
    decode(buf, offset = 0, end = buf.length) {
      const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      const m: Record<string, unknown> = {};
      let p = offset;
      for (const [n, t] of all) {
        if (t === 'table') {
          const count = Number(m['count']);
          const rows = [];
          for (let i = 0; i < count; i++) {
            if (p + 66 > end) throw Object.assign(new Error('truncated'), { name: 'VppDecodeError', code: 'truncated' });
            const raw = buf.subarray(p + 2, p + 66);
            const z = raw.indexOf(0);
            rows.push({ index: dv.getUint16(p), name: new TextDecoder().decode(z < 0 ? raw : raw.subarray(0, z)) });
            p += 66;
          }
          m[n] = rows;
          continue;
        }
        const sz = fieldSize(t, []);
        if (p + sz > end) throw Object.assign(new Error(`${name}: truncated at ${n}`), { name: 'VppDecodeError', code: 'truncated' });
        if (Array.isArray(t)) {
          const raw = buf.subarray(p, p + t[1]);
          const z = raw.indexOf(0);
          m[n] = new TextDecoder().decode(z < 0 ? raw : raw.subarray(0, z));
        } else if (t === 'bool') m[n] = dv.getUint8(p) !== 0;
        else if (t === 'u8') m[n] = dv.getUint8(p);
        else if (t === 'u16') m[n] = dv.getUint16(p);
        else if (t === 'u32') m[n] = dv.getUint32(p);
        else m[n] = dv.getInt32(p);
        p += sz;
      }
      return m;
    },
  };
  return def;
}

const REQ: F[] = [
  ['client_index', 'u32'],
  ['context', 'u32'],
];
const REP: F[] = [
  ['context', 'u32'],
  ['retval', 'i32'],
];

export const HAND_DEFS: MessageDef[] = [
  hand('sockclnt_create', '0x455fb9c4', 'other', [['context', 'u32'], ['name', ['string', 64]]], 'memclnt'),
  hand(
    'sockclnt_create_reply',
    '0x35166268',
    'other',
    [
      ['client_index', 'u32'],
      ['context', 'u32'],
      ['response', 'i32'],
      ['index', 'u32'],
      ['count', 'u16'],
      ['message_table', 'table'],
    ],
    'memclnt',
  ),
  hand('sockclnt_delete', '0x8ac76db6', 'request', [...REQ, ['index', 'u32']], 'memclnt'),
  hand('sockclnt_delete_reply', '0x8f38b1ee', 'reply', [['context', 'u32'], ['response', 'i32']], 'memclnt'),
  hand('control_ping', '0x51077d14', 'request', REQ, 'memclnt'),
  hand('control_ping_reply', '0xf6b0b8ca', 'reply', [...REP, ['client_index', 'u32'], ['vpe_pid', 'u32']], 'memclnt'),
  hand('memclnt_keepalive', '0x51077d14', 'request', REQ, 'memclnt'),
  hand('memclnt_keepalive_reply', '0xe8d4e804', 'reply', REP, 'memclnt'),
  hand('delete_loopback', '0xf9e6675e', 'request', [...REQ, ['sw_if_index', 'u32']], 'interface'),
  hand('delete_loopback_reply', '0xe8d4e804', 'reply', REP, 'interface'),
  hand('sw_interface_set_flags', '0xf5aec1b8', 'request', [...REQ, ['sw_if_index', 'u32'], ['flags', 'u32']], 'interface'),
  hand('sw_interface_set_flags_reply', '0xe8d4e804', 'reply', REP, 'interface'),
  hand('test_dump', '0x11111111', 'request', [...REQ, ['sw_if_index', 'u32']]),
  hand('test_details', '0x22222222', 'reply', [['context', 'u32'], ['sw_if_index', 'u32'], ['name', ['string', 16]]]),
  hand('test_get', '0x33333333', 'request', [...REQ, ['cursor', 'u32']]),
  hand('test_get_reply', '0x44444444', 'reply', [...REP, ['cursor', 'u32']]),
  hand('test_entry_details', '0x55555555', 'reply', [['context', 'u32'], ['id', 'u32']]),
  hand('want_interface_events', '0x476f5a08', 'request', [...REQ, ['enable_disable', 'u32'], ['pid', 'u32']], 'interface'),
  hand('want_interface_events_reply', '0xe8d4e804', 'reply', REP, 'interface'),
  hand(
    'sw_interface_event',
    '0x2d3d95a7',
    'event',
    [
      ['client_index', 'u32'],
      ['pid', 'u32'],
      ['sw_if_index', 'u32'],
      ['flags', 'u32'],
      ['deleted', 'bool'],
    ],
    'interface',
  ),
];

export const HAND_SERVICES: ServiceDef[] = [
  { request: 'sockclnt_create', reply: 'sockclnt_create_reply' },
  { request: 'sockclnt_delete', reply: 'sockclnt_delete_reply' },
  { request: 'control_ping', reply: 'control_ping_reply' },
  { request: 'delete_loopback', reply: 'delete_loopback_reply' },
  { request: 'sw_interface_set_flags', reply: 'sw_interface_set_flags_reply' },
  { request: 'test_dump', reply: 'test_details', stream: 'test_details' },
  { request: 'test_get', reply: 'test_get_reply', streamMessage: 'test_entry_details' },
  { request: 'want_interface_events', reply: 'want_interface_events_reply', events: ['sw_interface_event'] },
];
