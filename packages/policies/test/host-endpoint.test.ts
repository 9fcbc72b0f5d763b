import { afterEach, describe, expect, test } from 'vitest';
import { BACKENDS, policyEnv, tcp, udp, type PolicyEnv } from './helpers/env.js';
import type { NpolStateLike } from './helpers/verdict.js';

const HOST = '192.168.0.1';
const POD = '10.0.0.2';
const OUTSIDE = '203.0.113.7';

let env: PolicyEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe.each(BACKENDS)('pol host endpoints (%s backend)', (kind) => {
  async function setup() {
    env = await policyEnv(kind, {
      host: {
        hostAddresses: [HOST],
        failsafeInbound: [{ protocol: 'tcp', port: 22 }],
        failsafeOutbound: [{ protocol: 'udp', port: 53 }],
      },
    });
    const pod = await env.iface();
    const tap = await env.iface();
    const uplink = await env.iface();
    const r = await env.dp.apply([
      { kind: 'policy', id: 'deny', policy: { inbound: [], outbound: [] } },
      {
        kind: 'policy',
        id: 'fwd-web',
        policy: {
          inbound: [{ action: 'allow', protocol: 6, dstNets: ['10.0.0.0/16'], dstPorts: [{ first: 80, last: 80 }] }],
          outbound: [{ action: 'allow' }],
        },
      },
      { kind: 'workload', id: 'pod', endpoint: { swIfIndexes: [pod], addresses: [POD], profiles: [], tiers: [] } },
      {
        kind: 'host-endpoint',
        id: 'eth0',
        endpoint: {
          uplinks: [uplink],
          tunnels: [],
          taps: [tap],
          profiles: [],
          tiers: [{ name: 'default', ingress: ['deny'], egress: ['deny'] }],
          forwardTiers: [{ name: 'default', ingress: ['fwd-web'], egress: ['deny'] }],
        },
      },
    ]);
    expect(r.errors).toEqual([]);
    return { pod, tap, uplink, env };
  }

  test('host tap: workload-to-host and failsafe come before the host policies', async () => {
    const { tap, env } = await setup();
    // to the host = out of the tap (Calico ingress of the host endpoint = VPP tx)
    expect(await env.hop(tap, 'output', tcp(POD, HOST, 80))).toBe(true); // workload to host (DefaultEndpointToHostAction allow)
    expect(await env.hop(tap, 'output', tcp(OUTSIDE, HOST, 22))).toBe(true); // failsafe inbound
    expect(await env.hop(tap, 'output', tcp(OUTSIDE, HOST, 80))).toBe(false); // the host policy denies
    // from the host = into VPP from the tap (egress of the host endpoint)
    expect(await env.hop(tap, 'input', udp(HOST, OUTSIDE, 53))).toBe(true); // failsafe outbound
    expect(await env.hop(tap, 'input', tcp(HOST, POD, 8080))).toBe(true); // allow-from-host: to any pod
    expect(await env.hop(tap, 'input', tcp(HOST, OUTSIDE, 443))).toBe(false);
  });

  test('uplink: forward policies with rx/tx inverted, allow-to-host first', async () => {
    const { uplink, env } = await setup();
    // arriving on the uplink = Calico ingress of the host endpoint's forward policies (npol: invert_rx_tx)
    expect(await env.hop(uplink, 'input', tcp(OUTSIDE, POD, 80))).toBe(true);
    expect(await env.hop(uplink, 'input', tcp(OUTSIDE, POD, 81))).toBe(false);
    expect(await env.hop(uplink, 'input', tcp(OUTSIDE, HOST, 81))).toBe(true); // allow-to-host
    // leaving by the uplink = forward egress: only the deny policy (and allow-to-host's reverse)
    expect(await env.hop(uplink, 'output', tcp(POD, OUTSIDE, 81))).toBe(false);
    expect(await env.hop(uplink, 'output', tcp(HOST, OUTSIDE, 81))).toBe(true);
    if (kind === 'npol') {
      const st = env.fake.state.npol as unknown as NpolStateLike;
      expect(st.interfaces.get(uplink)?.invert_rx_tx).toBe(1);
    }
  });
});
