/**
 * Every set-up step's VPP calls, against the fake VPP always and against a real VPP when VPP_API_SOCKET
 * names its socket. The "uplink" and the "host interface" are loopbacks there (a real VPP has no eth0 to
 * bind af_packet to in its namespace); tables use high ids, and everything is removed afterwards.
 */
import { connectVpp, type VppApi, type VppApiError, type VppClient } from '@vectorplane/vpp-binapi';
import { startFakeVpp, type FakeVpp } from '@vectorplane/vpp-binapi/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  INDEX_INVALID,
  Steps,
  UPLINK_DRIVERS,
  configureHostInterface,
  configureUplink,
  createUplinkInterface,
  createVlans,
  enableHostStack,
  fibPath,
  interfaceNames,
  parseConfig,
  removeDriverLeftovers,
  setupGlobal,
  type ManagerConfig,
  type UplinkCapture,
} from '../src/index.js';

const uplink: UplinkCapture = {
  name: 'eth0',
  kind: 'veth',
  linkKind: 'veth',
  driver: undefined,
  pciAddress: undefined,
  mac: '02:00:00:00:0a:10',
  mtu: 1500,
  up: true,
  promisc: false,
  numRxQueues: 1,
  numTxQueues: 1,
  snapshot: {
    version: 1,
    ifname: 'eth0',
    capturedAt: new Date().toISOString(),
    link: { mtu: 1500, mac: '02:00:00:00:0a:10', up: true, promisc: false, txqueuelen: 1000 },
    addresses: [
      { address: '192.0.2.10/24' },
      { address: '2001:db8::10/64' },
      { address: 'fe80::ff:fe00:a10/64', scope: 'link' },
    ],
    routes: [
      { dst: '192.0.2.0/24', family: 'inet', protocol: 'kernel', scope: 'link', oif: 'eth0' },
      { dst: '198.51.100.0/24', family: 'inet', gateway: '192.0.2.254', metric: 100, oif: 'eth0' },
      { dst: '203.0.113.0/24', family: 'inet', gateway: '192.0.2.1', table: 100, oif: 'eth0' },
      { dst: 'default', family: 'inet', gateway: '192.0.2.1', oif: 'eth0' },
      { dst: 'default', family: 'inet6', gateway: '2001:db8::1', oif: 'eth0' },
    ],
  },
};

type Vpp = VppClient<VppApi>;
const real = process.env.VPP_API_SOCKET;
const targets: ['fake' | 'real', boolean][] = [
  ['fake', true],
  ['real', !!real],
];

for (const [kind, enabled] of targets) {
  describe.skipIf(!enabled)(`in-VPP set-up steps (${kind} VPP)`, () => {
    let fake: FakeVpp | undefined;
    let vpp: Vpp;
    let config: ManagerConfig;
    let uplinkSw: number;
    let hostSw: number;
    const steps = new Steps();

    beforeAll(async () => {
      if (kind === 'fake') fake = await startFakeVpp();
      vpp = await connectVpp({ socket: fake?.socketPath ?? real! });
      config = parseConfig({
        uplink: { interfaceName: 'eth0', driver: 'af_packet', vlans: [{ id: 123, address: '192.168.123.150/24' }] },
        defaultGateways: ['192.0.2.2'],
        puntTableId: 4201,
        podTableId: 4202,
        neighbors: { ip4MaxNumber: 1000, ip4MaxAge: 7 },
        hostStack: kind === 'fake' ? { httpStatic: { wwwRoot: '/srv/www', uri: 'tcp://0.0.0.0/80' } } : undefined,
      });
      uplinkSw = (await vpp.call('create_loopback', { mac_address: uplink.mac! })).sw_if_index;
      hostSw = (await vpp.call('create_loopback', { mac_address: '02:ca:11:c0:fd:10' })).sw_if_index;
    });

    afterAll(async () => {
      if (!vpp) return;
      // leave nothing behind (a real VPP keeps running)
      const ignore = (): undefined => undefined;
      for (const af of [0, 1]) {
        await vpp
          .call('add_del_ip_punt_redirect_v2', {
            is_add: false,
            punt: { rx_sw_if_index: INDEX_INVALID, af, paths: [] },
          })
          .catch(ignore);
        for (const protocol of [6, 17])
          await vpp
            .call('set_punt', { is_add: false, punt: { type: 0, punt: { l4: { af, protocol, port: 0xffff } } } })
            .catch(ignore);
        await vpp.call('ip_neighbor_config', { af, max_number: 50_000, max_age: 0, recycle: false }).catch(ignore);
      }
      await vpp
        .call('proxy_arp_add_del', { is_add: false, proxy: { table_id: 0, low: '192.0.2.0', hi: '192.0.2.255' } })
        .catch(ignore);
      for await (const s of vpp.dump('sw_interface_dump', { sw_if_index: INDEX_INVALID })) {
        if (s.sup_sw_if_index === uplinkSw && s.sw_if_index !== uplinkSw)
          await vpp.call('delete_subif', { sw_if_index: s.sw_if_index }).catch(ignore);
      }
      for (const sw of [hostSw, uplinkSw]) await vpp.call('delete_loopback', { sw_if_index: sw }).catch(ignore);
      for (const is_ip6 of [false, true]) {
        for (const table_id of [4201, 4202])
          await vpp.call('ip_table_add_del', { is_add: false, table: { table_id, is_ip6, name: '' } }).catch(ignore);
        for (const prefix of is_ip6 ? ['::/0'] : ['0.0.0.0/0', '198.51.100.0/24']) {
          await vpp
            .call('ip_route_add_del', {
              is_add: false,
              route: { table_id: 0, stats_index: 0, prefix, paths: [fibPath({ sw_if_index: uplinkSw, ip6: is_ip6 })] },
            })
            .catch(ignore);
        }
      }
      await vpp.close();
      await fake?.stop();
    });

    const routes = async (table_id: number, is_ip6: boolean): Promise<Map<string, string[]>> => {
      const out = new Map<string, string[]>();
      for await (const r of vpp.dump('ip_route_dump', { table: { table_id, is_ip6, name: '' } })) {
        out.set(
          r.route.prefix,
          r.route.paths.map(
            (p) =>
              `${p.sw_if_index}/${(p.nh.address as { ip4?: string; ip6?: string })[is_ip6 ? 'ip6' : 'ip4'] ?? ''}/${p.table_id}`,
          ),
        );
      }
      return out;
    };

    it('creates the punt and pod tables (pod default → table 0) and sets neighbour limits', async () => {
      await setupGlobal(vpp, config, steps);
      const tables: string[] = [];
      for await (const t of vpp.dump('ip_table_dump', {})) tables.push(`${t.table.is_ip6 ? 6 : 4}:${t.table.table_id}`);
      expect(tables).toEqual(expect.arrayContaining(['4:4201', '4:4202', '6:4201', '6:4202']));
      const pod4 = await routes(4202, false);
      expect(pod4.get('0.0.0.0/0')?.[0]).toMatch(/\/0$/); // a lookup in table 0
    });

    it('configures the uplink: admin-up before its addresses, then routes of the main table and the default gateways', async () => {
      await configureUplink(vpp, uplinkSw, UPLINK_DRIVERS.af_packet, config, uplink, steps);
      const names = steps.timings.map((t) => t.step);
      expect(names.indexOf('uplink admin up')).toBeLessThan(names.indexOf('uplink address 192.0.2.10/24'));
      const addrs: string[] = [];
      for (const is_ipv6 of [false, true])
        for await (const a of vpp.dump('ip_address_dump', { sw_if_index: uplinkSw, is_ipv6 })) addrs.push(a.prefix);
      expect(addrs.sort()).toEqual(['192.0.2.10/24', '2001:db8::10/64']);
      const ll = await vpp.call('sw_interface_ip6_get_link_local_address', { sw_if_index: uplinkSw });
      expect(ll.ip).toBe('fe80::ff:fe00:a10');
      const r4 = await routes(0, false);
      expect(r4.get('198.51.100.0/24')).toEqual([`${uplinkSw}/192.0.2.254/0`]);
      expect(r4.get('0.0.0.0/0')).toEqual(
        expect.arrayContaining([`${uplinkSw}/192.0.2.1/0`, `${uplinkSw}/192.0.2.2/0`]),
      );
      expect(r4.get('192.0.2.0/24')).toBeDefined(); // connected, because the interface was up first
      // cnat's features, for NodePorts and the return traffic of translated flows (no dump in VPP: the fake's state)
      if (fake) expect(fake.state.cnatFeatureInterfaces.has(uplinkSw)).toBe(true);
      expect(r4.has('203.0.113.0/24')).toBe(false); // table 100 stays Linux's
      expect((await routes(0, true)).get('::/0')).toEqual([`${uplinkSw}/2001:db8::1/0`]);
    });

    it('creates the VLAN sub-interface with its address', async () => {
      const vlans = await createVlans(vpp, uplinkSw, config, steps);
      expect(vlans).toHaveLength(1);
      const addrs: string[] = [];
      for await (const a of vpp.dump('ip_address_dump', { sw_if_index: vlans[0]!.sw_if_index, is_ipv6: false }))
        addrs.push(a.prefix);
      expect(addrs).toEqual(['192.168.123.150/24']);
      for await (const s of vpp.dump('sw_interface_dump', { sw_if_index: vlans[0]!.sw_if_index })) {
        expect(s).toMatchObject({ sup_sw_if_index: uplinkSw, sub_id: 123, sub_outer_vlan_id: 123 });
        expect(s.flags & 1).toBe(1);
      }
      // a second one with the same id is refused (VPP: -56)
      await expect(createVlans(vpp, uplinkSw, config, new Steps())).rejects.toMatchObject({
        name: 'SetupError',
        step: 'vlan 123',
      });
    });

    it('configures the host interface: unnumbered, punt redirect via 169.254.0.1 and its v6 twin, neighbours, proxies', async () => {
      await configureHostInterface(vpp, hostSw, uplinkSw, config, uplink, steps);
      const un: [number, number][] = [];
      for await (const u of vpp.dump('ip_unnumbered_dump', { sw_if_index: INDEX_INVALID }))
        un.push([u.sw_if_index, u.ip_sw_if_index]);
      expect(un).toContainEqual([hostSw, uplinkSw]);
      if (fake) expect(fake.state.cnatFeatureInterfaces.has(hostSw)).toBe(true); // the host's traffic to Service IPs
      const punts: string[] = [];
      for (const af of [0, 1]) {
        for await (const p of vpp.dump('ip_punt_redirect_v2_dump', { sw_if_index: INDEX_INVALID, af })) {
          punts.push(
            `${p.punt.rx_sw_if_index}:${p.punt.paths.map((x) => `${x.sw_if_index}/${JSON.stringify(x.nh.address)}`).join(',')}`,
          );
        }
      }
      expect(punts.some((p) => p.includes(`${hostSw}/`) && p.includes('169.254.0.1'))).toBe(true);
      expect(punts.some((p) => p.includes('fc00:ffff:ffff:ffff:ca11:c000:fd10:fffe'))).toBe(true);
      const neigh: string[] = [];
      for (const af of [0, 1])
        for await (const n of vpp.dump('ip_neighbor_dump', { sw_if_index: hostSw, af }))
          neigh.push(`${n.neighbor.ip_address} ${n.neighbor.mac_address}`);
      expect(neigh.sort()).toEqual([
        '169.254.0.1 02:00:00:00:0a:10',
        'fc00:ffff:ffff:ffff:ca11:c000:fd10:fffe 02:00:00:00:0a:10',
      ]);
      const punt4 = await routes(4201, false);
      expect(punt4.get('0.0.0.0/0')).toEqual([`${hostSw}/169.254.0.1/0`]);
      expect(punt4.get('192.0.2.10/32')).toEqual([`${hostSw}/169.254.0.1/0`]);
      const arp: string[] = [];
      for await (const p of vpp.dump('proxy_arp_dump', {})) arp.push(`${p.proxy.low}-${p.proxy.hi}`);
      expect(arp).toContain('192.0.2.0-192.0.2.255');
      const arpIf: number[] = [];
      for await (const p of vpp.dump('proxy_arp_intfc_dump', {})) arpIf.push(p.sw_if_index);
      expect(arpIf).toContain(hostSw);
      const nd: string[] = [];
      for await (const p of vpp.dump('ip6nd_proxy_dump', {})) nd.push(`${p.sw_if_index} ${p.ip}`);
      expect(nd).toContain(`${hostSw} 2001:db8::10`);
    });

    it.skipIf(kind === 'real')('turns on the host stack and the static HTTP server', async () => {
      await enableHostStack(vpp, config, steps);
      expect(fake!.state.session.enabled).toBe(true);
      expect(fake!.state.httpStatic).toMatchObject({ www_root: '/srv/www', uri: 'tcp://0.0.0.0/80' });
    });

    it.skipIf(kind === 'real')(
      'creates the uplink with the af_packet driver; a refusal is a SetupError naming the step',
      async () => {
        const sw = await createUplinkInterface(vpp, UPLINK_DRIVERS.af_packet, config, uplink);
        let name = '';
        for await (const s of vpp.dump('sw_interface_dump', { sw_if_index: sw })) name = s.interface_name;
        expect(name).toBe('host-eth0');
        fake!.faults.failNext('ip_route_add_del', -7);
        const other: UplinkCapture = {
          ...uplink,
          snapshot: {
            ...uplink.snapshot,
            addresses: [{ address: '10.9.0.2/24' }],
            routes: [{ dst: '10.10.0.0/16', family: 'inet', gateway: '10.9.0.1', oif: 'eth0' }],
          },
        };
        const err = await configureUplink(vpp, sw, UPLINK_DRIVERS.af_packet, config, other, new Steps()).catch(
          (e: unknown) => e as { name: string; step: string; cause: unknown },
        );
        expect(err).toMatchObject({ name: 'SetupError', step: 'uplink route 10.10.0.0/16' });
        expect((err as { cause: VppApiError }).cause.retval).toBe(-7);
      },
    );
  });
}

describe('what a refused driver attempt leaves in VPP (fake VPP)', () => {
  it("deletes the interfaces that appeared since the attempt began, with the driver's own delete message", async () => {
    const fake = await startFakeVpp();
    const vpp = await connectVpp({ socket: fake.socketPath });
    try {
      const config = parseConfig({ uplink: { interfaceName: 'eth0', driver: 'auto' } });
      const keep = (await vpp.call('create_loopback', { mac_address: '02:00:00:00:00:01' })).sw_if_index;
      const known = await interfaceNames(vpp);
      expect([...known.values()]).toContain('local0');
      // an af_xdp create that VPP carried out although the manager saw it fail (a late answer)
      fake.state.devices.addNetdev('eth0');
      const req = UPLINK_DRIVERS.af_xdp.createRequest(config, uplink)!;
      const { sw_if_index } = await (vpp.call as (n: string, f: unknown) => Promise<{ sw_if_index: number }>)(
        req.message,
        req.fields,
      );
      const warns: unknown[] = [];
      const removed = await removeDriverLeftovers(vpp, UPLINK_DRIVERS.af_xdp, uplink, known, new Steps(), {
        warn: (f) => warns.push(f),
      });
      expect(removed).toEqual(['eth0/0']);
      expect([...(await interfaceNames(vpp)).keys()].sort()).toEqual([...known.keys()].sort());
      expect(fake.state.interfaces.get(sw_if_index)).toBeUndefined();
      expect(fake.state.interfaces.get(keep)).toBeDefined(); // what was there before is not touched
      expect(warns).toEqual([]);

      // nothing new: nothing deleted; dpdk has no delete message: the leftover is reported, not deleted
      expect(await removeDriverLeftovers(vpp, UPLINK_DRIVERS.af_packet, uplink, known, new Steps())).toEqual([]);
      const other = (await vpp.call('create_loopback', { mac_address: '02:00:00:00:00:02' })).sw_if_index;
      expect(
        await removeDriverLeftovers(vpp, UPLINK_DRIVERS.dpdk, uplink, known, new Steps(), {
          warn: (f) => warns.push(f),
        }),
      ).toEqual([]);
      expect(warns).toEqual([expect.objectContaining({ driver: 'dpdk', sw_if_index: other })]);
    } finally {
      await vpp.close();
      await fake.stop();
    }
  });
});
