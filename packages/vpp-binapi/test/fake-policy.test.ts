/**
 * The fake's policy evaluators: ACL-plugin semantics (first match wins across the list, implicit deny,
 * permit+reflect sessions, input/output lists) and npol semantics (policies, defaults, profiles, ipsets),
 * programmed through the API as a policy agent would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeVpp, type RawVppClient, connectRawVpp, startFakeVpp } from '../src/testing/index.js';

const ANY = 0xffffffff;
let fake: FakeVpp | undefined;
let client: RawVppClient | undefined;

afterEach(async () => {
  await client?.close();
  await fake?.stop();
  client = undefined;
  fake = undefined;
});

async function setup(
  init: Parameters<typeof startFakeVpp>[0] = {},
): Promise<{ f: FakeVpp; c: RawVppClient; sw: number }> {
  fake = await startFakeVpp(init);
  client = await connectRawVpp({ socket: fake.socketPath, timeoutMs: 2000 });
  const { sw_if_index } = (await client.call('create_loopback', {})) as { sw_if_index: number };
  return { f: fake, c: client, sw: sw_if_index };
}

function rule(over: Record<string, unknown>): Record<string, unknown> {
  return {
    is_permit: 1,
    src_prefix: '0.0.0.0/0',
    dst_prefix: '0.0.0.0/0',
    proto: 0,
    srcport_or_icmptype_first: 0,
    srcport_or_icmptype_last: 65535,
    dstport_or_icmpcode_first: 0,
    dstport_or_icmpcode_last: 65535,
    tcp_flags_mask: 0,
    tcp_flags_value: 0,
    ...over,
  };
}

async function acl(c: RawVppClient, rules: Record<string, unknown>[]): Promise<number> {
  const r = (await c.call('acl_add_replace', { acl_index: ANY, tag: 't', count: rules.length, r: rules })) as {
    acl_index: number;
  };
  return r.acl_index;
}

describe('ACL evaluator', () => {
  it('passes everything on an interface without ACLs, and denies what no rule of a non-empty list matches', async () => {
    const { f, c, sw } = await setup();
    const pkt = {
      sw_if_index: sw,
      direction: 'input' as const,
      src: '10.0.0.1',
      dst: '10.0.0.2',
      proto: 6,
      sport: 1234,
      dport: 80,
    };
    expect(f.state.evaluate(pkt)).toMatchObject({ allowed: true, acl: { reason: 'no-acl' } });
    const web = await acl(c, [rule({ proto: 6, dstport_or_icmpcode_first: 80, dstport_or_icmpcode_last: 80 })]);
    await c.call('acl_interface_set_acl_list', { sw_if_index: sw, count: 1, n_input: 1, acls: [web] });
    expect(f.state.evaluate(pkt).acl).toMatchObject({ allowed: true, reason: 'rule', acl_index: web, rule_index: 0 });
    expect(f.state.evaluate({ ...pkt, dport: 443 }).acl).toMatchObject({ allowed: false, reason: 'implicit-deny' });
    expect(f.state.evaluate({ ...pkt, proto: 17, dport: 80 }).allowed).toBe(false);
    // the output direction has no list: not filtered
    expect(f.state.evaluate({ ...pkt, direction: 'output', dport: 443 }).acl.reason).toBe('no-acl');
  });

  it('first match wins, across the ACLs of the list in order', async () => {
    const { f, c, sw } = await setup();
    const denyHost = await acl(c, [rule({ is_permit: 0, src_prefix: '10.0.0.66/32' })]);
    const permitNet = await acl(c, [rule({ src_prefix: '10.0.0.0/24' }), rule({ is_permit: 0 })]);
    await c.call('acl_interface_set_acl_list', { sw_if_index: sw, count: 2, n_input: 2, acls: [denyHost, permitNet] });
    const p = (src: string) =>
      f.state.evaluate({ sw_if_index: sw, direction: 'input', src, dst: '10.1.0.1', proto: 1 }).acl;
    expect(p('10.0.0.66')).toMatchObject({ allowed: false, acl_index: denyHost, rule_index: 0 });
    expect(p('10.0.0.7')).toMatchObject({ allowed: true, acl_index: permitNet, rule_index: 0 });
    expect(p('10.9.0.7')).toMatchObject({ allowed: false, acl_index: permitNet, rule_index: 1 });
    // the list in the other order: the permit of the /24 now comes first
    await c.call('acl_interface_set_acl_list', { sw_if_index: sw, count: 2, n_input: 2, acls: [permitNet, denyHost] });
    expect(p('10.0.0.66')).toMatchObject({ allowed: true, acl_index: permitNet });
  });

  it('matches ports, ICMP type/code, TCP flags and the address family as the plugin does', async () => {
    const { f, c, sw } = await setup();
    const a = await acl(c, [
      rule({
        proto: 6,
        dstport_or_icmpcode_first: 8000,
        dstport_or_icmpcode_last: 8080,
        tcp_flags_mask: 0x12,
        tcp_flags_value: 0x02,
      }),
      rule({
        proto: 1,
        srcport_or_icmptype_first: 8,
        srcport_or_icmptype_last: 8,
        dstport_or_icmpcode_first: 0,
        dstport_or_icmpcode_last: 0,
      }),
      rule({ src_prefix: 'fd00::/8', dst_prefix: '::/0' }),
    ]);
    await c.call('acl_interface_set_acl_list', { sw_if_index: sw, count: 1, n_input: 1, acls: [a] });
    const ev = (p: Record<string, unknown>) =>
      f.state.evaluate({ sw_if_index: sw, direction: 'input', src: '10.0.0.1', dst: '10.0.0.2', proto: 6, ...p })
        .allowed;
    expect(ev({ dport: 8000 })).toBe(true);
    expect(ev({ dport: 8081 })).toBe(false);
    expect(ev({ dport: 8000, tcpFlags: 0x12 })).toBe(false); // a SYN-ACK does not match "SYN without ACK"
    expect(ev({ proto: 1 })).toBe(true); // echo request, type 8 code 0
    expect(ev({ proto: 1, icmpType: 0 })).toBe(false);
    expect(ev({ src: 'fd00::1', dst: 'fd01::1', proto: 58 })).toBe(true);
    expect(ev({ src: 'fe80::1', dst: 'fd01::1', proto: 58 })).toBe(false);
  });

  it('permit+reflect opens a session that lets the reply through an output deny, on that interface only', async () => {
    const { f, c, sw } = await setup();
    const other = ((await c.call('create_loopback', {})) as { sw_if_index: number }).sw_if_index;
    const reflect = await acl(c, [
      rule({ is_permit: 2, proto: 6, dstport_or_icmpcode_first: 80, dstport_or_icmpcode_last: 80 }),
    ]);
    const deny = await acl(c, [rule({ is_permit: 0 })]);
    for (const i of [sw, other])
      await c.call('acl_interface_set_acl_list', { sw_if_index: i, count: 2, n_input: 1, acls: [reflect, deny] });
    const request = {
      sw_if_index: sw,
      direction: 'input' as const,
      src: '10.0.0.1',
      dst: '10.0.0.2',
      proto: 6,
      sport: 40000,
      dport: 80,
    };
    const reply = {
      sw_if_index: sw,
      direction: 'output' as const,
      src: '10.0.0.2',
      dst: '10.0.0.1',
      proto: 6,
      sport: 80,
      dport: 40000,
      tcpFlags: 0x12,
    };
    expect(f.state.evaluate(reply).acl).toMatchObject({ allowed: false, reason: 'rule', acl_index: deny });
    expect(f.state.evaluate(request, { commit: false }).acl).toMatchObject({
      allowed: true,
      action: 2,
      sessionCreated: false,
    });
    expect(f.state.evaluate(reply).allowed).toBe(false);
    expect(f.state.evaluate(request).acl).toMatchObject({ allowed: true, sessionCreated: true });
    expect(f.state.evaluate(reply).acl).toMatchObject({ allowed: true, reason: 'session' });
    expect(f.state.evaluate({ ...reply, sw_if_index: other }).allowed).toBe(false);
    expect(f.state.evaluate({ ...reply, sport: 81 }).allowed).toBe(false);
    // the same ACLs sent again keep the sessions (acl.c clears them only when the set of ACLs changes)
    await c.call('acl_interface_set_acl_list', { sw_if_index: sw, count: 2, n_input: 1, acls: [reflect, deny] });
    expect(f.state.evaluate(reply).acl).toMatchObject({ allowed: true, reason: 'session' });
    // a list with another ACL on the interface drops them
    const extra = await acl(c, [rule({ is_permit: 0, proto: 17 })]);
    await c.call('acl_interface_set_acl_list', {
      sw_if_index: sw,
      count: 3,
      n_input: 2,
      acls: [reflect, extra, deny],
    });
    expect(f.state.evaluate(reply).allowed).toBe(false);
  });

  it('keeps the ACL state VPP keeps: deleting an interface clears its lists; a bound ACL cannot be deleted', async () => {
    const { f, c, sw } = await setup();
    const a = await acl(c, [rule({})]);
    await c.call('acl_interface_add_del', { is_add: true, is_input: false, sw_if_index: sw, acl_index: a });
    await expect(
      c.call('acl_interface_add_del', { is_add: true, is_input: false, sw_if_index: sw, acl_index: a }),
    ).rejects.toMatchObject({ retval: -143 });
    await expect(c.call('acl_del', { acl_index: a })).rejects.toMatchObject({ retval: -143 });
    expect(f.state.acl.output.get(sw)).toEqual([a]);
    await c.call('delete_loopback', { sw_if_index: sw });
    expect(f.state.acl.output.has(sw)).toBe(false);
    await c.call('acl_del', { acl_index: a });
    expect(() =>
      f.state.evaluate({ sw_if_index: sw, direction: 'input', src: '10.0.0.1', dst: '10.0.0.2', proto: 6 }),
    ).toThrow(/no such interface/);
    expect(() =>
      f.state.acl.evaluate({ sw_if_index: 0, direction: 'input', src: '10.0.0.1', dst: 'fd00::1', proto: 6 }),
    ).toThrow(RangeError);
  });
});

describe('npol evaluator', () => {
  const cidr = (is_src: boolean, p: string, is_not = false) => ({ is_src, is_not, type: 0, data: { cidr: p } });
  const ports = (start: number, end: number) => ({
    is_src: false,
    is_not: false,
    type: 1,
    data: { port_range: { start, end } },
  });
  const noFilters = [0, 1, 2].map(() => ({ value: 0, type: 0, should_match: 0 }));

  async function npolRule(c: RawVppClient, action: number, matches: unknown[], filters = noFilters): Promise<number> {
    const r = (await c.call('npol_rule_create', {
      rule: { action, filters, num_entries: matches.length, matches },
    })) as { rule_id: number };
    return r.rule_id;
  }
  async function policy(c: RawVppClient, items: { is_inbound: boolean; rule_id: number }[]): Promise<number> {
    return ((await c.call('npol_policy_create', { num_items: items.length, rules: items })) as { policy_id: number })
      .policy_id;
  }

  it('does not enforce by default (VPP 26.06 npol has no datapath), and follows npol_match_func when told to', async () => {
    const { f, c, sw } = await setup();
    const deny = await npolRule(c, 1, [cidr(true, '10.0.0.0/8')]);
    const p = await policy(c, [{ is_inbound: true, rule_id: deny }]);
    await c.call('npol_configure_policies', {
      sw_if_index: sw,
      num_rx_policies: 1,
      num_tx_policies: 0,
      total_ids: 1,
      invert_rx_tx: 0,
      policy_default_rx: 0,
      policy_default_tx: 0,
      profile_default_rx: 0,
      profile_default_tx: 0,
      policy_ids: [p],
    });
    const pkt = {
      sw_if_index: sw,
      direction: 'input' as const,
      src: '10.1.2.3',
      dst: '10.9.9.9',
      proto: 17,
      sport: 5,
      dport: 53,
    };
    expect(f.state.evaluate(pkt)).toMatchObject({ allowed: true, npol: undefined });
    expect(f.state.evaluateNpol(pkt)).toMatchObject({ allowed: false, reason: 'policy', policy_id: p, rule_id: deny });
    f.state.npolEnforces = true;
    expect(f.state.evaluate(pkt)).toMatchObject({ allowed: false, npol: { allowed: false } });
    // outbound traffic (TX) is checked against tx policies: none, default allow
    expect(f.state.evaluateNpol({ ...pkt, direction: 'output' })).toMatchObject({
      allowed: true,
      reason: 'policy-default',
    });
  });

  it('policies in order, ALLOW/DENY decide, PASS goes to the profiles, then the defaults; ipsets and port ranges', async () => {
    const { f, c, sw } = await setup();
    f.state.npolEnforces = true;
    const set = ((await c.call('npol_ipset_create', { type: 0 })) as { set_id: number }).set_id;
    await c.call('npol_ipset_add_del_members', {
      set_id: set,
      is_add: true,
      len: 1,
      members: [{ val: { address: '10.0.0.5' } }],
    });
    const allowWeb = await npolRule(c, 0, [
      { is_src: true, is_not: false, type: 3, data: { set_id: { set_id: set } } },
      ports(80, 80),
    ]);
    const pass = await npolRule(c, 3, [cidr(true, '10.0.0.0/24')]);
    const profAllow = await npolRule(c, 0, [cidr(true, '10.0.0.7/32')]);
    const p1 = await policy(c, [
      { is_inbound: true, rule_id: allowWeb },
      { is_inbound: true, rule_id: pass },
    ]);
    const prof = await policy(c, [{ is_inbound: true, rule_id: profAllow }]);
    await c.call('npol_configure_policies', {
      sw_if_index: sw,
      num_rx_policies: 1,
      num_tx_policies: 0,
      total_ids: 2,
      invert_rx_tx: 0,
      policy_default_rx: 1,
      policy_default_tx: 0,
      profile_default_rx: 1,
      profile_default_tx: 0,
      policy_ids: [p1, prof],
    });
    const ev = (src: string, dport: number) =>
      f.state.evaluateNpol({ sw_if_index: sw, direction: 'input', src, dst: '10.1.0.1', proto: 6, sport: 999, dport });
    expect(ev('10.0.0.5', 80)).toMatchObject({ allowed: true, reason: 'policy', rule_id: allowWeb });
    expect(ev('10.0.0.7', 443)).toMatchObject({ allowed: true, reason: 'profile', rule_id: profAllow }); // PASS, then the profile
    expect(ev('10.0.0.8', 443)).toMatchObject({ allowed: false, reason: 'profile-default' });
    expect(ev('192.168.0.1', 443)).toMatchObject({ allowed: false, reason: 'policy-default' });
    expect(
      f.state.evaluate({
        sw_if_index: sw,
        direction: 'input',
        src: '192.168.0.1',
        dst: '10.1.0.1',
        proto: 6,
        dport: 443,
      }).allowed,
    ).toBe(false);
    // invert_rx_tx swaps the lists: input traffic now sees the (empty) tx side and its default allow
    await c.call('npol_configure_policies', {
      sw_if_index: sw,
      num_rx_policies: 1,
      num_tx_policies: 0,
      total_ids: 2,
      invert_rx_tx: 1,
      policy_default_rx: 1,
      policy_default_tx: 0,
      profile_default_rx: 1,
      profile_default_tx: 0,
      policy_ids: [p1, prof],
    });
    expect(ev('192.168.0.1', 443)).toMatchObject({ allowed: true, reason: 'policy-default' });
  });
});
