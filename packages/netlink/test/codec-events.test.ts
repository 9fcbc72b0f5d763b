/** Event decoding and group selection, and TUN/TAP ioctl flags (pure, no kernel). */
import { describe, expect, it } from 'vitest';
import { parseMessages } from '../src/codec/nlmsg.js';
import { decodeEvent, RTNLGRP, subscriptionGroups } from '../src/events.js';
import { encodeLinkAdd, encodeLinkDel, RTM_NEWLINK } from '../src/link.js';
import { IFF_MULTI_QUEUE, IFF_NO_PI, IFF_TAP, IFF_TUN, IFF_VNET_HDR, tuntapFlags } from '../src/tuntap.js';

describe('subscriptionGroups', () => {
  it('maps each kind to its RTNLGRP_* groups (numbers from linux/rtnetlink.h)', () => {
    expect(RTNLGRP).toEqual({
      LINK: 1,
      NEIGH: 3,
      IPV4_IFADDR: 5,
      IPV4_ROUTE: 7,
      IPV4_RULE: 8,
      IPV6_IFADDR: 9,
      IPV6_ROUTE: 11,
      IPV6_RULE: 19,
      NEXTHOP: 32,
    });
    expect(subscriptionGroups({ link: true })).toEqual([1]);
    expect(subscriptionGroups({ address: true, route: true })).toEqual([5, 9, 7, 11]);
    expect(subscriptionGroups({ neigh: true, rule: true, nexthop: true })).toEqual([3, 8, 19, 32]);
    expect(subscriptionGroups({})).toEqual([]);
  });
});

describe('decodeEvent', () => {
  it('RTM_NEWLINK is link:add, RTM_DELLINK link:del; unknown types are undefined', () => {
    const add = parseMessages(encodeLinkAdd({ kind: 'veth', name: 'v0', peer: { name: 'v1' } })).messages[0]!;
    expect(add.type).toBe(RTM_NEWLINK);
    expect(decodeEvent(add)).toMatchObject({ type: 'link:add', existing: false, link: { name: 'v0', kind: 'veth' } });
    const del = parseMessages(encodeLinkDel(4)).messages[0]!;
    expect(decodeEvent(del, true)).toMatchObject({ type: 'link:del', existing: true, link: { index: 4 } });
    expect(decodeEvent({ type: 999, flags: 0, seq: 0, pid: 0, payload: new Uint8Array(0) })).toBeUndefined();
  });
});

describe('tuntapFlags (linux/if_tun.h)', () => {
  it('sets TUN/TAP, NO_PI unless pi, MULTI_QUEUE and VNET_HDR', () => {
    expect([IFF_TUN, IFF_TAP, IFF_NO_PI, IFF_MULTI_QUEUE, IFF_VNET_HDR]).toEqual([0x1, 0x2, 0x1000, 0x100, 0x4000]);
    expect(tuntapFlags({ mode: 'tun' })).toBe(0x1001);
    expect(tuntapFlags({ mode: 'tap', pi: true })).toBe(0x2);
    expect(tuntapFlags({ mode: 'tap', multiQueue: true, vnetHdr: true })).toBe(0x2 | 0x1000 | 0x100 | 0x4000);
  });
});
