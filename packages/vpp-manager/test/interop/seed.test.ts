/**
 * The vpp-server seed's whole scenario as one configuration: af_packet on a macvlan of the node's NIC,
 * a fixed MAC, VLAN sub-interface 123 with 192.168.123.150/24, VPP's host stack and static HTTP server.
 * With the fake, the API calls and the restore are checked; with VPP_BIN, a second VPP in the switch
 * namespace (this kernel has no `vlan` link type to tag VLAN 123 otherwise) pings the VLAN address.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { snapshot, type InterfaceSnapshot } from '@vectorplane/netlink';
import { removeAllNetns } from '@vectorplane/netlink/testing';
import { connectVpp } from '@vectorplane/vpp-binapi';
import { startTestVpp } from '@vectorplane/vpp-binapi/testing';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVppManager, INDEX_INVALID } from '../../src/index.js';
import { createUplinkTopology, type UplinkTopology } from '../../src/testing/index.js';
import { linkNames, root, settledDiff, testConfig } from './helpers.js';

describe.skipIf(!root)('the vpp-server seed scenario', () => {
  let topo: UplinkTopology;
  let before: InterfaceSnapshot;
  let env: Awaited<ReturnType<typeof testConfig>>;
  beforeEach(async () => {
    topo = await createUplinkTopology('vpm');
    before = await snapshot(topo.nodeNs.nl, 'eth0');
    env = await testConfig(topo.nodeNs.name);
  });
  afterEach(async () => {
    await env.cleanup();
    await topo.remove();
  });
  afterAll(async () => {
    await removeAllNetns();
  });

  it('af_packet on a macvlan with a fixed MAC, VLAN 123 with its address, the HTTP server; the macvlan goes on restore', async () => {
    const www = join(env.dir, 'www');
    await mkdir(www, { recursive: true });
    await writeFile(join(www, 'index.html'), '<h1>vectorplane</h1>\n');
    const linksBefore = await linkNames(topo.nodeNs.nl);
    const manager = createVppManager({
      config: {
        ...env.config,
        uplink: {
          interfaceName: 'mv0',
          driver: 'af_packet',
          macvlan: { parent: 'eth0', mode: 'bridge' },
          mac: '02:00:00:00:01:50',
          vlans: [{ id: 123, address: '192.168.123.150/24' }],
        },
        hostStack: { httpStatic: { wwwRoot: www, uri: 'tcp://0.0.0.0/80' } },
      },
    });
    const ready = await manager.start();
    expect(ready.hostMode).toBe('none');
    expect(ready.hostSwIfIndex).toBe(INDEX_INVALID);
    expect(ready.vlans.map((v) => v.id)).toEqual([123]);
    // the node keeps its NIC: eth0 is untouched
    expect(await settledDiff(topo.nodeNs.nl, 'eth0', before, 0)).toEqual([]);

    const vpp = await connectVpp({ socket: join(env.dir, 'run', 'api.sock') });
    try {
      const itfs = new Map<number, { name: string; mac: string; sup: number; vlan: number; up: boolean }>();
      for await (const i of vpp.dump('sw_interface_dump', { sw_if_index: INDEX_INVALID })) {
        itfs.set(i.sw_if_index, {
          name: i.interface_name,
          mac: i.l2_address,
          sup: i.sup_sw_if_index,
          vlan: i.sub_outer_vlan_id,
          up: (i.flags & 1) === 1,
        });
      }
      expect(itfs.get(ready.uplinkSwIfIndex)).toMatchObject({ name: 'host-mv0', mac: '02:00:00:00:01:50', up: true });
      const vlanSw = ready.vlans[0]!.sw_if_index;
      expect(itfs.get(vlanSw)).toMatchObject({ sup: ready.uplinkSwIfIndex, vlan: 123, up: true });
      const addrs: string[] = [];
      for await (const a of vpp.dump('ip_address_dump', { sw_if_index: vlanSw, is_ipv6: false })) addrs.push(a.prefix);
      expect(addrs).toEqual(['192.168.123.150/24']);
      expect(ready.steps.map((s) => s.phase)).toEqual(expect.arrayContaining(['session enable', 'http static']));

      if (process.env.VPP_BIN) {
        // a second VPP on the switch side tags VLAN 123 and pings the address
        const peer = await startTestVpp({ netns: topo.switchNs.name });
        try {
          const p = await connectVpp({ socket: peer.apiSocket });
          try {
            const { sw_if_index } = await p.call('af_packet_create_v3', {
              host_if_name: 'sw0',
              use_random_hw_addr: true,
              mode: 1,
              flags: 8,
              num_rx_queues: 1,
              num_tx_queues: 1,
            });
            await p.call('sw_interface_set_flags', { sw_if_index, flags: 1 });
            const sub = await p.call('create_vlan_subif', { sw_if_index, vlan_id: 123 });
            await p.call('sw_interface_set_flags', { sw_if_index: sub.sw_if_index, flags: 1 });
            await p.call('sw_interface_add_del_address', {
              sw_if_index: sub.sw_if_index,
              is_add: true,
              prefix: '192.168.123.1/24',
            });
            let out = '';
            for (let i = 0; i < 3 && !/[1-9]\d* received/.test(out); i++)
              out = (await p.call('cli_inband', { cmd: 'ping 192.168.123.150 repeat 3 interval 0.2' })).reply;
            expect(out).toMatch(/[1-9]\d* received/);
          } finally {
            await p.close();
          }
        } finally {
          await peer.stop();
        }
      }
    } finally {
      await vpp.close();
    }

    await manager.stop();
    expect(await linkNames(topo.nodeNs.nl)).toEqual(linksBefore); // the macvlan is gone
    expect(await settledDiff(topo.nodeNs.nl, 'eth0', before)).toEqual([]);
  });
});
