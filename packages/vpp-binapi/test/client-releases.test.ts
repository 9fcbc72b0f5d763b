/**
 * One client, three VPP releases: at connect the client reads VPP's message table and uses, per
 * message, the definition whose name_crc VPP announces; the types follow (a union of the releases'
 * shapes, or one release's exactly with `connectVpp({ release })`).
 */
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { connectVpp, connectVppWith, type VppApi, type VppReleaseApi } from '../src/client/connect.js';
import type { VppClient } from '../src/client/client.js';
import {
  allReleasesBindings,
  definitionsOf,
  releaseBindings,
  releaseMessages,
  releasesOf,
} from '../src/client/releases.js';
import type { CallRequest, DumpDetails } from '../src/client/types.js';
import {
  messagesByName,
  messageVariants,
  releaseDiffs,
  type VppMessages,
  type VppReleaseMessages,
} from '../src/generated/index.js';
import { startFakeVpp, type FakeVpp } from '../src/testing/index.js';
import { startPeer, type Peer } from './helpers/client-peer.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fake(
  release: '25.10' | '26.02' | '26.06',
  extra: Parameters<typeof startFakeVpp>[0] = {},
): Promise<FakeVpp> {
  const f = await startFakeVpp({ release, ...extra });
  cleanups.push(() => f.stop());
  return f;
}

describe('the release tables', () => {
  it('hold one definition per distinct CRC: cnat_set_snat_policy has two, sw_interface_dump one', () => {
    expect(definitionsOf('cnat_set_snat_policy').map((d) => [d.nameCrc, releasesOf(d)])).toEqual([
      ['cnat_set_snat_policy_37a3ce23', ['26.06']],
      ['cnat_set_snat_policy_d3e6eaf4', ['25.10', '26.02']],
    ]);
    expect(definitionsOf('sw_interface_dump')).toEqual([messagesByName.get('sw_interface_dump')]);
    expect(releasesOf('sw_interface_dump_aa610c27')).toEqual(['25.10', '26.02', '26.06']);
    expect(releasesOf('cnat_set_snat_policy_0badf00d')).toEqual([]);
    // a message that moved module (ip → policer in 26.06) with its CRC kept is one definition of all three
    expect(definitionsOf('ip_punt_police').map((d) => [d.module, releasesOf(d)])).toEqual([
      ['policer', ['25.10', '26.02', '26.06']],
    ]);
    // messages 26.06 added
    expect(releaseMessages('25.10').has('feature_cnat_enable_disable')).toBe(false);
    expect(releaseMessages('25.10').has('npol_ipset_create')).toBe(false);
    expect(releaseMessages('26.02').get('npol_ipset_create')).toBe(messagesByName.get('npol_ipset_create'));
    // the primary release is exactly the generated `messages`
    expect([...releaseMessages('26.06').values()]).toEqual([...messagesByName.values()]);
    // every variant belongs to some release, and no two definitions share a wire name
    for (const v of messageVariants) expect(releasesOf(v).length, v.nameCrc).toBeGreaterThan(0);
    const wires = [...allReleasesBindings.definitions!.values()].flat().map((d) => d.nameCrc);
    expect(new Set(wires).size).toBe(wires.length);
    expect(releaseDiffs['26.06']).toEqual({ absent: [], variants: [], services: [] });
  });

  it('refuses a release the bindings do not have, naming the ones they have', async () => {
    expect(() => releaseBindings('24.10')).toThrow(
      expect.objectContaining({ name: 'VppUnknownReleaseError', code: 'VPP_UNKNOWN_RELEASE', release: '24.10' }),
    );
    await expect(connectVpp({ socket: '/nonexistent', release: '24.10' as '25.10' })).rejects.toMatchObject({
      name: 'VppUnknownReleaseError',
      message: 'no bindings for VPP release "24.10"; these bindings speak 25.10, 26.02, 26.06',
    });
    await expect(startFakeVpp({ release: '24.10' as '25.10' })).rejects.toMatchObject({
      name: 'VppUnknownReleaseError',
    });
  });
});

describe.each(['25.10', '26.02', '26.06'] as const)('one client against a VPP %s table', (release) => {
  it('uses the definitions that release announces, and knows which release it speaks', async () => {
    const f = await fake(release);
    const vpp = await connectVpp({ socket: f.socketPath, timeoutMs: 3000 });
    cleanups.push(() => vpp.close());
    expect(vpp.compat.ok).toBe(true);
    expect(vpp.compat.mismatched).toEqual([]);
    expect(vpp.compat.releases).toContain(release);
    const policy = definitionsOf('cnat_set_snat_policy').find((d) => releasesOf(d).includes(release))!;
    expect(vpp.table.has(policy.nameCrc)).toBe(true);
    expect(vpp.releasesOf('cnat_set_snat_policy')).toEqual(releasesOf(policy));
    expect(vpp.releasesOf('control_ping')).toEqual(['25.10', '26.02', '26.06']);
    // the call goes out under the id of the announced definition (the other CRC is not in the table)
    await vpp.call('cnat_set_snat_addresses', { snat_ip4: '10.0.0.1', snat_ip6: 'fd00::1', sw_if_index: 0xffffffff });
    await expect(vpp.call('cnat_set_snat_policy', { policy: 1 })).resolves.toMatchObject({ retval: 0 });
    expect(f.state.cnatSnatPolicy).toBe(1);
    // a message the release lacks: the existing typed error, with our CRCs and their releases
    if (release !== '26.06') {
      const err = await vpp
        .call('feature_cnat_enable_disable', { sw_if_index: 0, enable_disable: true })
        .catch((e: unknown) => e as Error);
      expect(err).toMatchObject({
        name: 'VppUnsupportedMessageError',
        messageName: 'feature_cnat_enable_disable',
        crcs: [{ crc: '0x5501adee', releases: ['26.06'] }],
      });
      expect((err as Error).message).toBe(
        "feature_cnat_enable_disable is not in VPP's message table (plugin not loaded or different VPP version); our bindings have 0x5501adee of VPP 26.06",
      );
    } else {
      expect(vpp.compat.missing).toEqual([]);
    }
  });

  it('with { release } speaks exactly that release: another release table refuses the messages that differ', async () => {
    const other = release === '26.06' ? '25.10' : '26.06';
    const f = await fake(other);
    const vpp = await connectVpp({ socket: f.socketPath, timeoutMs: 3000, release });
    cleanups.push(() => vpp.close());
    const own = releaseMessages(release).get('cnat_set_snat_policy')!;
    const theirs = releaseMessages(other).get('cnat_set_snat_policy')!;
    if (own === theirs) {
      expect(vpp.compat.ok).toBe(true);
      return;
    }
    expect(vpp.compat.ok).toBe(false);
    expect(vpp.compat.releases).toEqual([]);
    expect(vpp.compat.mismatched.find((m) => m.name === 'cnat_set_snat_policy')).toEqual({
      name: 'cnat_set_snat_policy',
      crc: own.crc,
      vppCrc: theirs.crc,
      crcs: [{ crc: own.crc, releases: releasesOf(own) }],
    });
    await expect(vpp.call('cnat_set_snat_policy', { policy: 1 })).rejects.toMatchObject({
      name: 'VppCrcMismatchError',
      crc: own.crc,
      vppCrc: theirs.crc,
    });
    // what the releases share still works
    await expect(vpp.call('show_version')).resolves.toMatchObject({ retval: 0 });
  });
});

describe('a CRC none of our releases has', () => {
  it('fails with VppCrcMismatchError naming the message, VPP’s CRC and every CRC of ours', async () => {
    const f = await fake('26.06', { messages: { crc: { cnat_set_snat_policy: '0x0badf00d' } } });
    const vpp = await connectVpp({ socket: f.socketPath, timeoutMs: 3000 });
    cleanups.push(() => vpp.close());
    expect(vpp.compat.ok).toBe(false);
    expect(vpp.compat.releases).toEqual([]);
    expect(vpp.releasesOf('cnat_set_snat_policy')).toEqual([]);
    const err = (await vpp.call('cnat_set_snat_policy', { policy: 1 }).catch((e: unknown) => e)) as Error & {
      crcs: unknown;
    };
    expect(err).toMatchObject({
      name: 'VppCrcMismatchError',
      code: 'VPP_CRC_MISMATCH',
      messageName: 'cnat_set_snat_policy',
      crc: '0x37a3ce23',
      vppCrc: '0x0badf00d',
    });
    expect(err.crcs).toEqual([
      { crc: '0x37a3ce23', releases: ['26.06'] },
      { crc: '0xd3e6eaf4', releases: ['25.10', '26.02'] },
    ]);
    expect(err.message).toBe(
      "cnat_set_snat_policy: VPP's CRC 0x0badf00d is none of our bindings' (0x37a3ce23 of VPP 26.06; 0xd3e6eaf4 of VPP 25.10, 26.02); refusing to send",
    );
  });
});

describe('decoding by the announced definition', () => {
  let peer: Peer;
  afterEach(async () => {
    await peer?.close();
  });

  it('a 25.10 cnat_session_details decodes in 25.10’s shape, and isRelease() narrows to it', async () => {
    peer = await startPeer([...releaseMessages('25.10').values()]);
    peer.on('cnat_session_dump', (m, c) => {
      c.send('cnat_session_details', {
        context: m['context'],
        session: {
          src: { addr: '10.0.0.1', sw_if_index: 0xffffffff, if_af: 0, port: 1234 },
          dst: { addr: '10.96.0.10', sw_if_index: 0xffffffff, if_af: 0, port: 53 },
          new: { addr: '10.1.0.5', sw_if_index: 0xffffffff, if_af: 0, port: 53 },
          ip_proto: 17,
          location: 1,
          timestamp: 12.5,
        },
      });
      c.send('control_ping_reply', { context: m['context'] });
    });
    peer.on('control_ping', () => {});
    const vpp = await connectVpp({ socket: peer.path, timeoutMs: 3000 });
    cleanups.push(() => vpp.close());
    // (a 26.02 without the npol plugin announces the same table)
    expect(vpp.compat.releases).toEqual(['25.10', '26.02']);
    const got: string[] = [];
    for await (const s of vpp.dump('cnat_session_dump', {})) {
      if (vpp.isRelease('26.06', 'cnat_session_details', s)) got.push(`26.06 ${s.session.ts_index}`);
      else if (vpp.isRelease('25.10', 'cnat_session_details', s))
        got.push(`25.10 ${s.session.dst.addr}:${s.session.dst.port} ${s.session.timestamp}`);
    }
    expect(got).toEqual(['25.10 10.96.0.10:53 12.5']);
  });
});

describe('types', () => {
  it('type a message that differs as the union of its shapes, or one release exactly', () => {
    type Details = DumpDetails<VppApi, 'cnat_session_dump'>;
    expectTypeOf<VppReleaseMessages['26.06']['cnat_session_details']>().toEqualTypeOf<
      VppMessages['cnat_session_details']
    >();
    expectTypeOf<Details>().toEqualTypeOf<
      VppReleaseMessages['25.10']['cnat_session_details'] | VppReleaseMessages['26.06']['cnat_session_details']
    >();
    expectTypeOf<DumpDetails<VppReleaseApi<'25.10'>, 'cnat_session_dump'>>().toEqualTypeOf<
      VppReleaseMessages['25.10']['cnat_session_details']
    >();
    expectTypeOf<CallRequest<VppReleaseApi<'26.02'>, 'npol_ipset_create'>>().toEqualTypeOf<
      VppMessages['npol_ipset_create']
    >();
    // a release lacks what it lacks
    expectTypeOf<keyof VppReleaseApi<'25.10'>['calls']>().not.toEqualTypeOf<keyof VppReleaseApi<'26.06'>['calls']>();
    const typed = async (v25: VppClient<VppReleaseApi<'25.10'>>, all: VppClient<VppApi>): Promise<void> => {
      // @ts-expect-error 25.10 has no feature_cnat_enable_disable
      await v25.call('feature_cnat_enable_disable', {});
      for await (const s of all.dump('cnat_session_dump', {})) {
        // @ts-expect-error 26.06's cnat_session has no `src`
        if (all.isRelease('26.06', 'cnat_session_details', s)) void s.session.src;
      }
    };
    void typed;
    void connectVppWith;
  });
});

describe('the fake’s tables', () => {
  it.each(['25.10', '26.02', '26.06'] as const)(
    '%s: one id per message, every message of the release announced with its CRC',
    async (release) => {
      const f = await fake(release);
      const vpp = await connectVpp({ socket: f.socketPath, timeoutMs: 3000 });
      cleanups.push(() => vpp.close());
      const ids = [...vpp.table.values()];
      expect(new Set(ids).size).toBe(ids.length);
      expect([...vpp.table.keys()].sort()).toEqual([...releaseMessages(release).values()].map((d) => d.nameCrc).sort());
      // a message whose module block grew in this release still gets its answer (ids never collide)
      await expect(
        vpp.call('set_punt', { is_add: true, punt: { type: 0, punt: { l4: { af: 0, protocol: 17, port: 5000 } } } }),
      ).resolves.toMatchObject({ retval: 0 });
    },
  );
});
