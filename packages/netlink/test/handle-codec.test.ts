/** Error and ACK decoding of the handle, on hand-built kernel replies (no socket). */
import { describe, expect, it } from 'vitest';
import {
  NLMSG_DONE,
  NLMSG_ERROR,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_MULTI,
  type NlMessage,
} from '../src/codec/nlmsg.js';
import { decodeNlError, errnoCode } from '../src/handle.js';
import { netnsPath } from '../src/netns.js';

const le32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n, true);
  return b;
};
const cat = (...p: Uint8Array[]) => {
  const out = new Uint8Array(p.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of p) {
    out.set(x, o);
    o += x.length;
  }
  return out;
};
const nla = (type: number, v: Uint8Array) => {
  const len = 4 + v.length;
  const b = new Uint8Array((len + 3) & ~3);
  new DataView(b.buffer).setUint16(0, len, true);
  new DataView(b.buffer).setUint16(2, type, true);
  b.set(v, 4);
  return b;
};
// the 16-byte header of the refused request: len 40, type RTM_NEWLINK (16)
const origHeader = cat(le32(40), Uint8Array.of(16, 0, 5, 0), le32(77), le32(0));

describe('decodeNlError', () => {
  it('an ACK is errno 0', () => {
    const m: NlMessage = { type: NLMSG_ERROR, flags: NLM_F_CAPPED, seq: 77, pid: 1, payload: cat(le32(0), origHeader) };
    expect(decodeNlError(m)).toMatchObject({ errno: 0, requestType: 16 });
  });

  it('capped error with extended ack message and offset', () => {
    const tlvs = cat(nla(1, new TextEncoder().encode('Unknown device type\0')), nla(2, le32(36)));
    const m: NlMessage = {
      type: NLMSG_ERROR,
      flags: NLM_F_CAPPED | NLM_F_ACK_TLVS,
      seq: 77,
      pid: 1,
      payload: cat(le32(-95), origHeader, tlvs),
    };
    expect(decodeNlError(m)).toEqual({ errno: 95, extack: 'Unknown device type', offset: 36, requestType: 16 });
    expect(errnoCode(95)).toBe('EOPNOTSUPP');
    expect(errnoCode(17)).toBe('EEXIST');
    expect(errnoCode(19)).toBe('ENODEV');
  });

  it('uncapped error skips the echoed request before the TLVs', () => {
    const request = cat(origHeader, new Uint8Array(24).fill(0xee)); // 40 bytes in all
    const m: NlMessage = {
      type: NLMSG_ERROR,
      flags: NLM_F_ACK_TLVS,
      seq: 77,
      pid: 1,
      payload: cat(le32(-17), request, nla(1, new TextEncoder().encode('exists\0'))),
    };
    expect(decodeNlError(m)).toMatchObject({ errno: 17, extack: 'exists' });
  });

  it('a failed dump ends with NLMSG_DONE carrying the error and TLVs', () => {
    const m: NlMessage = {
      type: NLMSG_DONE,
      flags: NLM_F_MULTI | NLM_F_ACK_TLVS,
      seq: 1,
      pid: 1,
      payload: cat(le32(-22), nla(1, new TextEncoder().encode('bad filter\0'))),
    };
    expect(decodeNlError(m)).toMatchObject({ errno: 22, extack: 'bad filter' });
  });
});

describe('netnsPath', () => {
  it('names map under /run/netns, paths pass through, undefined is the current namespace', () => {
    expect(netnsPath('blue')).toBe('/run/netns/blue');
    expect(netnsPath({ path: '/proc/1/ns/net' })).toBe('/proc/1/ns/net');
    expect(netnsPath(undefined)).toBe('');
  });
  it('refuses names that would escape /run/netns', () => {
    for (const bad of ['', '.', '..', 'a/b', '../x']) {
      expect(() => netnsPath(bad)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', field: 'netns' }));
    }
  });
});
