import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNetlink } from '@vectorplane/netlink';
import { cniVppObjects } from '../../src/testing/index.js';
import { addReq, skipReason, startBed, type Bed } from './helpers.js';

const skip = await skipReason();
if (skip) console.log(`skip: ${skip}`);

const targets: ('fake' | 'real')[] = process.env['VPP_API_SOCKET'] ? ['fake', 'real'] : ['fake'];

describe.skipIf(!!skip).each(targets)(
  'bad input (%s VPP): a clear in-band error, nothing half-made, other pods untouched',
  (target) => {
    let bed: Bed;
    let witness: { path: string; swIfIndex: number };
    beforeAll(async () => {
      bed = await startBed({ real: target === 'real', server: { socket: false } });
      await bed.server.start();
      const ns = await bed.pod();
      const r = await bed.server.add(addReq(ns, '10.20.0.1'));
      expect(r.successful).toBe(true);
      witness = { path: ns.path, swIfIndex: bed.server.pods()[0]!.swIfIndex };
    });
    afterAll(async () => {
      for (const p of bed?.server.pods() ?? [])
        await bed.server.del({ netns: p.netns, interface_name: p.interfaceName });
      await bed?.close();
    });

    async function expectRefused(req: Parameters<Bed['server']['add']>[0], pattern: RegExp): Promise<void> {
      const before = await cniVppObjects(bed.vpp);
      const pods = bed.server.pods().length;
      const r = await bed.server.add(req);
      expect(r.successful).toBe(false);
      expect(r.error_message).toMatch(pattern);
      expect(await cniVppObjects(bed.vpp)).toEqual(before);
      expect(bed.server.pods()).toHaveLength(pods);
      const w = bed.server.pods().find((p) => p.netns === witness.path);
      expect(w?.swIfIndex).toBe(witness.swIfIndex);
    }

    it('a netns path that does not exist', async () => {
      await expectRefused(
        { ...addReq({ path: '/run/netns/cni-does-not-exist' } as never, '10.20.0.2') },
        /^NetnsNotFoundError: netns: no network namespace/,
      );
    });

    it('an interface name that is too long, or one that clashes in the pod netns', async () => {
      const ns = await bed.pod();
      await expectRefused(
        addReq(ns, '10.20.0.3', { interface_name: 'eth0-far-too-long-name' }),
        /^InvalidRequestError: interface_name: must be at most 15 bytes/,
      );
      await ns.nl.link.add({ kind: 'veth', name: 'eth0', peer: { name: 'cniclash0' } });
      await expectRefused(
        addReq(ns, '10.20.0.3'),
        /^InterfaceExistsError: interface_name: an interface named "eth0" already exists/,
      );
      // the pre-existing link is left alone
      expect(await ns.nl.link.find('eth0')).toBeDefined();
    });

    it('a host interface name that clashes in VPP netns', async () => {
      const ns = await bed.pod();
      await bed.hostNl.link.add({ kind: 'veth', name: 'cnitaken', peer: { name: 'cnitaken1' } });
      await expectRefused(
        addReq(ns, '10.20.0.4', { desired_host_interface_name: 'cnitaken' }),
        /^InterfaceExistsError: desired_host_interface_name/,
      );
      expect(await bed.hostNl.link.find('cnitaken')).toBeDefined();
      await bed.hostNl.link.delete('cnitaken');
    });

    it('an address that is not an address, a gateway of the wrong family, a bad route', async () => {
      const ns = await bed.pod();
      await expectRefused(
        addReq(ns, '10.20.0.300'),
        /^InvalidRequestError: container_ips\[0\]\.address: is not an IP prefix \(got "10\.20\.0\.300"\)/,
      );
      await expectRefused(
        { ...addReq(ns, ''), container_ips: [{ address: '10.20.0.5/32', gateway: 'fe80::1' }] },
        /container_ips\[0\]\.gateway: is not an IPv4 address/,
      );
      await expectRefused(
        addReq(ns, '10.20.0.5', { container_routes: ['10.0.0.0/33'] }),
        /container_routes\[0\]: prefix length must be 0\.\.32/,
      );
      await expectRefused(
        addReq(ns, '10.20.0.5', { container_routes: ['fd00::/64'] }),
        /container_routes\[0\]: the pod has no IPv6 address/,
      );
      await expectRefused({ ...addReq(ns, ''), container_ips: [] }, /container_ips: at least one address is needed/);
    });

    it('a duplicate IP: listed twice, or held by another pod', async () => {
      const ns = await bed.pod();
      await expectRefused(
        { ...addReq(ns, ''), container_ips: [{ address: '10.20.0.6' }, { address: '10.20.0.6/32' }] },
        /container_ips\[1\]\.address: is listed twice/,
      );
      await expectRefused(
        addReq(ns, '10.20.0.1/32'),
        /^DuplicateIpError: container_ips\[0\]\.address: 10\.20\.0\.1 is already used by pod/,
      );
    });

    it('bad annotations name the annotation', async () => {
      const ns = await bed.pod();
      await expectRefused(
        addReq(ns, '10.20.0.7', {
          workload: { annotations: { 'cni.projectcalico.org/AllowedSourcePrefixes': '["nope"]' } },
        }),
        /workload\.annotations\["cni\.projectcalico\.org\/AllowedSourcePrefixes"\]\[0\]: is not an IP prefix/,
      );
      await expectRefused(
        addReq(ns, '10.20.0.7', {
          workload: { annotations: { 'cni.projectcalico.org/vppInterfacesSpec': '{"eth0":{"rxMode":"turbo"}}' } },
        }),
        /vppInterfacesSpec"\]\.eth0\.rxMode: must be polling, interrupt, adaptive or default/,
      );
    });

    it('a VPP failure half way unwinds everything already made, in VPP and in the netns', async () => {
      if (!bed.fake) return;
      const ns = await bed.pod();
      // every level of the build (requests go out before the answers of those they follow: a failure lets the
      // ones in flight settle, then all is unwound)
      for (const step of [
        'ip_table_add_del',
        'create_loopback_instance',
        'af_packet_create_v3',
        'sw_interface_set_table',
        'sw_interface_add_del_address',
        'feature_cnat_enable_disable',
        'sw_interface_set_unnumbered',
        'ip_route_add_del',
        'cnat_translation_update',
      ]) {
        bed.fake.faults.failNext(step, -1, 1);
        const req = addReq(ns, '10.20.0.8', { workload: { ports: [{ protocol: 'TCP', port: 80, host_port: 8081 }] } });
        await expectRefused(req, new RegExp(`^PodSetupError: ${step}`));
        expect(await ns.nl.link.find('eth0')).toBeUndefined();
        expect(
          (await bed.vppNs.nl.link.list({ kind: 'veth' })).map((l) => l.name).filter((n) => n.startsWith('vpcni')),
        ).toHaveLength(1); // the witness
        const cnat: number[] = [];
        for await (const d of bed.vpp.dump('cnat_translation_dump', {})) cnat.push(d.translation.vip.port);
        expect(cnat).not.toContain(8081);
      }
      // and the same pod then works
      expect((await bed.server.add(addReq(ns, '10.20.0.8'))).successful).toBe(true);
    });

    it('an address no pod may have (multicast, loopback, unspecified)', async () => {
      const ns = await bed.pod();
      await expectRefused(addReq(ns, '224.0.0.1'), /container_ips\[0\]\.address: is not a unicast address/);
      await expectRefused(addReq(ns, '127.0.0.2'), /container_ips\[0\]\.address: is not a unicast address/);
      await expectRefused(addReq(ns, '::'), /container_ips\[0\]\.address: is not a unicast address/);
    });

    it('the netns side failing (a route the kernel refuses) unwinds VPP and the netns', async () => {
      const ns = await bed.pod();
      await ns.nl.route.add({ dst: '10.96.0.0/12', oif: 'lo' });
      await expectRefused(
        addReq(ns, '10.20.0.9', { container_routes: ['10.96.0.0/12'] }),
        /^PodSetupError: pod netns: .*EEXIST|File exists/,
      );
      const nl = await openNetlink({ netns: { path: ns.path } });
      try {
        expect(await nl.link.find('eth0')).toBeUndefined();
      } finally {
        nl.close();
      }
    });
  },
);
