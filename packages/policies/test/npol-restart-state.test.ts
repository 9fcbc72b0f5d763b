/**
 * The npol state file on its own: every bad field is named (PolicyStateError), a good file round-trips,
 * and a state file that cannot be written is a warning, never a failure of the programming.
 */
import { connectVpp } from '@vectorplane/vpp-binapi';
import { startFakeVpp } from '@vectorplane/vpp-binapi/testing';
import { describe, expect, test } from 'vitest';
import { parseNpolState } from '../src/backends/npol-state.js';
import { createPolicyDataplane } from '../src/dataplane.js';
import type { PolicyLogger } from '../src/types.js';

const good = () => ({
  kind: 'vectorplane-npol-state',
  version: 1,
  writtenAt: '2026-12-01T00:00:00.000Z',
  vpp: { pid: 1234, marker: 'vp-npol:abc' },
  ipsets: { front: { setId: 3, type: 'ip', members: ['10.0.0.1', 'fd00::1'] } },
  rules: [
    [7, { action: 0, matches: [] }],
    [8, { action: 1, matches: [] }],
  ],
  policies: { 'policy:web': { policyId: 2, rules: [7, 8], inbound: [false, true] } },
  interfaces: { '5': { sw_if_index: 5, policy_ids: [2] } },
  interfaceNames: { '5': 'loop0||de:ad:00:00:00:00' },
});

describe('pol npol state file', () => {
  test('a good file parses into maps', () => {
    const s = parseNpolState('f.json', JSON.stringify(good()));
    expect(s.vpp).toEqual({ pid: 1234, marker: 'vp-npol:abc' });
    expect([...s.ipsets.get('front')!.members.keys()]).toEqual(['10.0.0.1', 'fd00::1']);
    expect(s.rules.get(8)).toBe('{"action":1,"matches":[]}');
    expect(s.policies.get('policy:web')).toEqual({ policyId: 2, rules: [7, 8], inbound: [false, true] });
    expect(s.interfaces.get(5)).toBe('{"sw_if_index":5,"policy_ids":[2]}');
  });

  test.each<[string, (f: ReturnType<typeof good>) => unknown, string]>([
    ['an array', () => [], '(file)'],
    ['another kind', (f) => ({ ...f, kind: 'x' }), 'kind'],
    ['a negative pid', (f) => ({ ...f, vpp: { pid: -1, marker: null } }), 'vpp.pid'],
    ['a numeric marker', (f) => ({ ...f, vpp: { pid: 1, marker: 5 } }), 'vpp.marker'],
    [
      'an unknown ipset type',
      (f) => ({ ...f, ipsets: { s: { setId: 1, type: 'mac', members: [] } } }),
      'ipsets."s".type',
    ],
    [
      'a set id that is not one',
      (f) => ({ ...f, ipsets: { s: { setId: 'x', type: 'ip', members: [] } } }),
      'ipsets."s".setId',
    ],
    [
      'a net member in an ip set',
      (f) => ({ ...f, ipsets: { s: { setId: 1, type: 'ip', members: ['10.0.0.0/8'] } } }),
      'ipsets."s".members[0]',
    ],
    ['a rule that is not [id, content]', (f) => ({ ...f, rules: [[1]] }), 'rules[0]'],
    [
      'a rule id twice',
      (f) => ({
        ...f,
        rules: [
          [1, { a: 1 }],
          [1, { b: 1 }],
        ],
      }),
      'rules[1]',
    ],
    [
      'the same rule content twice',
      (f) => ({
        ...f,
        rules: [
          [1, { a: 1 }],
          [2, { a: 1 }],
        ],
      }),
      'rules[1]',
    ],
    [
      'a policy id twice',
      (f) => ({
        ...f,
        policies: { a: { policyId: 1, rules: [], inbound: [] }, b: { policyId: 1, rules: [], inbound: [] } },
      }),
      'policies."b".policyId',
    ],
    [
      'directions missing',
      (f) => ({ ...f, policies: { a: { policyId: 1, rules: [7], inbound: [] } } }),
      'policies."a"',
    ],
    [
      'a direction that is not a boolean',
      (f) => ({ ...f, policies: { a: { policyId: 1, rules: [7], inbound: [1] } } }),
      'policies."a".inbound[0]',
    ],
    ['an interface key that is not an index', (f) => ({ ...f, interfaces: { eth0: {} } }), 'interfaces."eth0"'],
    ['an interface request that is not an object', (f) => ({ ...f, interfaces: { '5': 'x' } }), 'interfaces.5'],
    ['no interface names', (f) => ({ ...f, interfaceNames: undefined }), 'interfaceNames'],
  ])('%s: PolicyStateError naming the field', (_what, edit, field) => {
    let err: unknown;
    try {
      parseNpolState('/x/state.json', JSON.stringify(edit(good())));
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ name: 'PolicyStateError', code: 'POLICY_STATE_INVALID', file: '/x/state.json', field });
  });

  test('a state file that cannot be written: one warning, the policies are programmed all the same', async () => {
    const fake = await startFakeVpp();
    const vpp = await connectVpp({ socket: fake.socketPath });
    const warned: string[] = [];
    const logger: PolicyLogger = {
      debug() {},
      info() {},
      warn(_f, msg) {
        warned.push(msg ?? '');
      },
      error(_f, msg) {
        warned.push(msg ?? '');
      },
    };
    try {
      // a directory below a character device can be created by nobody, root included
      const dp = createPolicyDataplane(
        { vpp, logger },
        { backend: 'npol', npolStatePath: '/dev/null/pol/state.json', npolStateDelayMs: 5 },
      );
      await dp.start();
      const sw = (await vpp.call('create_loopback', {})).sw_if_index;
      const r = await dp.apply([
        { kind: 'policy', id: 'p', policy: { inbound: [{ action: 'deny' }], outbound: [] } },
        {
          kind: 'workload',
          id: 'w',
          endpoint: {
            swIfIndexes: [sw],
            addresses: ['10.0.0.2'],
            profiles: [],
            tiers: [{ name: 't', ingress: ['p'], egress: [] }],
          },
        },
      ]);
      expect(r.errors).toEqual([]);
      await dp.apply([{ kind: 'policy', id: 'q', policy: { inbound: [], outbound: [] } }]);
      await dp.stop();
      expect(dp.stateWrites).toBe(0);
      expect(warned.filter((m) => /cannot write the state file/.test(m))).toHaveLength(1);
      expect(
        fake.state.evaluateNpol({
          sw_if_index: sw,
          direction: 'output',
          src: '10.0.0.1',
          dst: '10.0.0.2',
          proto: 6,
          sport: 1,
          dport: 80,
        }).allowed,
      ).toBe(false);
    } finally {
      await vpp.close();
      await fake.stop();
    }
  });
});
