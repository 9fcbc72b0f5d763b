/**
 * f64 byte order. VPP's integers travel big endian, but its f64 travel little endian: a real VPP 26.06
 * refuses `get_f64_endian_value { f64_one: 1.0 }` sent big endian with -159 (API_ENDIAN_FAILED), and
 * VPP's own Python client packs f64 as native `=d`. The expected bytes below are the payloads recorded
 * from that VPP (../shared/vpp-golden/session-dataplane.jsonl, frames 2-5), written out here so that
 * this test holds without the fixtures.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../src/codec/index.js';
import {
  get_f64_endian_value,
  get_f64_endian_value_reply,
  get_f64_increment_by_one,
  get_f64_increment_by_one_reply,
} from '../src/generated/vlib.js';
import { ip_neighbor_details } from '../src/generated/ip_neighbor.js';

describe('f64 fields are little endian on the wire', () => {
  it('get_f64_endian_value: 1.0 is 00 00 00 00 00 00 f0 3f', () => {
    const bytes = get_f64_endian_value.encode({ _vl_msg_id: 842, client_index: 0x80000001, context: 1, f64_one: 1 });
    expect(toHex(bytes)).toBe('034a' + '80000001' + '00000001' + '000000000000f03f');
    // the schema default of f64_one is 1.0, written the same way
    expect(toHex(get_f64_endian_value.encode(get_f64_endian_value.create()))).toBe(
      '0000' + '00000000' + '00000000' + '000000000000f03f',
    );
  });

  it('get_f64_endian_value_reply: the recorded reply decodes to 1.0 (not 3.03865e-319)', () => {
    const reply = get_f64_endian_value_reply.decode(fromHex('034b0000000100000000000000000000f03f'));
    expect(reply).toEqual({ _vl_msg_id: 843, context: 1, retval: 0, f64_one_result: 1 });
    expect(toHex(get_f64_endian_value_reply.encode(reply))).toBe('034b0000000100000000000000000000f03f');
  });

  it('get_f64_increment_by_one: 41.5 → 42.5 in the recorded layout', () => {
    const req = get_f64_increment_by_one.encode({
      _vl_msg_id: 844,
      client_index: 0x80000001,
      context: 2,
      f64_value: 41.5,
    });
    expect(toHex(req)).toBe('034c' + '80000001' + '00000002' + '0000000000c04440');
    const reply = get_f64_increment_by_one_reply.decode(fromHex('034d00000002000000000000000000404540'));
    expect(reply.f64_value).toBe(42.5);
    expect(reply.retval).toBe(0);
  });

  it('reads and writes every f64 value exactly, including the edges', () => {
    for (const v of [0, -0, 1, -1, 0.1, 1e300, -1e-300, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity]) {
      const b = get_f64_increment_by_one.encode({ f64_value: v });
      const le = new DataView(b.buffer, b.byteOffset, b.length).getFloat64(10, true);
      expect(Object.is(le, v)).toBe(true);
      expect(Object.is(get_f64_increment_by_one.decode(b).f64_value, v)).toBe(true);
    }
    const nan = get_f64_increment_by_one.decode(get_f64_increment_by_one.encode({ f64_value: NaN })).f64_value;
    expect(Number.isNaN(nan)).toBe(true);
  });

  it('an f64 inside a larger message (ip_neighbor_details.age) is little endian too', () => {
    const msg = ip_neighbor_details.create({ age: 2.5 });
    const b = ip_neighbor_details.encode(msg);
    // _vl_msg_id u16, context u32, then age f64
    expect(toHex(b.subarray(6, 14))).toBe('0000000000000440');
    expect(ip_neighbor_details.decode(b).age).toBe(2.5);
  });

  it('refuses a non-number f64 with a typed error naming the field', () => {
    expect(() => get_f64_increment_by_one.encode({ f64_value: '1' as unknown as number })).toThrow(
      expect.objectContaining({
        name: 'VppEncodeError',
        code: 'bad_type',
        path: 'f64_value',
        messageName: 'get_f64_increment_by_one',
      }),
    );
  });
});
