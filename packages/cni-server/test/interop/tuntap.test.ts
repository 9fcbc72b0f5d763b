import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNetlink } from '@vectorplane/netlink';
import { cniVppObjects } from '../../src/testing/index.js';
import { createCniServer, type CniServer, type CniVpp } from '../../src/index.js';
import { addReq, skipReason, startBed, type Bed } from './helpers.js';

const skip = await skipReason();
if (skip) console.log(`skip: ${skip}`);

/**
 * The fake VPP answers tap_create_v3 (tap: 'succeed') but makes no kernel device; this wrapper plays VPP's
 * kernel side: it creates the TUN/TAP in the pod netns under host_if_name, and removes it on tap_delete_v2.
 */
function withKernelTaps(vpp: CniVpp): { vpp: CniVpp; created: { netns: string; name: string; kind: string }[] } {
  const created: { netns: string; name: string; kind: string }[] = [];
  const bySw = new Map<number, { netns: string; name: string }>();
  const call = (async (name: string, fields?: Record<string, unknown>, opts?: object) => {
    const reply = await (vpp.call as (n: string, f?: object, o?: object) => Promise<Record<string, unknown>>)(
      name,
      fields,
      opts,
    );
    if (name === 'tap_create_v3' && fields) {
      const netns = String(fields['host_namespace']);
      const ifname = String(fields['host_if_name']);
      const kind = (Number(fields['tap_flags']) & 16) !== 0 ? 'tun' : 'tap';
      const nl = await openNetlink({ netns: { path: netns } });
      try {
        await nl.link.add({
          kind,
          name: ifname,
          ...(fields['host_mtu_set'] ? { mtu: Number(fields['host_mtu_size']) } : {}),
          ...(kind === 'tap' && fields['host_mac_addr_set'] ? { mac: String(fields['host_mac_addr']) } : {}),
        } as never);
      } finally {
        nl.close();
      }
      created.push({ netns, name: ifname, kind });
      bySw.set(Number(reply['sw_if_index']), { netns, name: ifname });
    }
    if (name === 'tap_delete_v2' && fields) {
      const t = bySw.get(Number(fields['sw_if_index']));
      if (t) {
        const nl = await openNetlink({ netns: { path: t.netns } });
        try {
          if (await nl.link.find(t.name)) await nl.link.delete(t.name);
        } finally {
          nl.close();
        }
      }
    }
    return reply;
  }) as CniVpp['call'];
  return { vpp: { call, dump: vpp.dump.bind(vpp) }, created };
}

describe.skipIf(!!skip)('tun and tap pod interfaces (tap_create_v3 against the fake)', () => {
  let bed: Bed;
  let server: CniServer;
  let created: ReturnType<typeof withKernelTaps>['created'];
  beforeAll(async () => {
    bed = await startBed({ fake: { tap: 'succeed' }, server: { socket: false } });
    const w = withKernelTaps(bed.vpp);
    created = w.created;
    server = createCniServer(
      { stateFile: bed.stateFile, socket: false, vppNetns: bed.vppNs.name, interfaceMode: 'tun' },
      { vpp: w.vpp },
    );
    await server.start();
  });
  afterAll(async () => {
    for (const p of server?.pods() ?? []) await server.del({ netns: p.netns, interface_name: p.interfaceName });
    await server?.stop();
    await bed?.close();
  });

  it('tun (default here): L3, created in the pod netns, routes without gateway neighbours', async () => {
    const ns = await bed.pod();
    const r = await server.add(addReq(ns, '10.60.0.1', { settings: { mtu: 1400 } }));
    expect(r).toMatchObject({ successful: true, container_mac: '' });
    const pod = server.pods()[0]!;
    expect(pod.mode).toBe('tun');
    const tap = bed.fake!.state.interfaces.get(pod.swIfIndex);
    expect(tap?.tag).toMatch(/^vpcni:[0-9a-f]{12}$/);
    const details: Record<string, unknown>[] = [];
    for await (const t of bed.vpp.dump('sw_interface_tap_v2_dump', { sw_if_index: pod.swIfIndex }))
      details.push(t as never);
    expect(details[0]).toMatchObject({ host_if_name: 'eth0', host_namespace: ns.path, host_mtu_size: 1400 });
    expect(Number(details[0]!['tap_flags']) & 16).toBe(16);
    expect(created).toContainEqual({ netns: ns.path, name: 'eth0', kind: 'tun' });
    const nl = await openNetlink({ netns: { path: ns.path } });
    try {
      const routes: string[] = [];
      for await (const x of nl.route.list({ family: 'inet' }))
        routes.push(`${x.dst}${x.gateway ? ` via ${x.gateway}` : ''}`);
      expect(routes).toContain('0.0.0.0/0');
      const neigh: unknown[] = [];
      for await (const n of nl.neigh.list({ link: 'eth0', family: 'inet' })) neigh.push(n);
      expect(neigh).toEqual([]);
    } finally {
      nl.close();
    }
    await server.del({ netns: ns.path, interface_name: 'eth0' });
    expect(await cniVppObjects(bed.vpp)).toEqual({ interfaces: [], tables: [] });
  });

  it('tap (isl3: false): L2, the container MAC set, a static neighbour for the gateway', async () => {
    const ns = await bed.pod();
    const r = await server.add(
      addReq(ns, '10.60.0.2', {
        workload: { annotations: { 'cni.projectcalico.org/vppInterfacesSpec': '{"eth0":{"isl3":false,"rxqsz":512}}' } },
      }),
    );
    expect(r.successful).toBe(true);
    expect(r.container_mac).toMatch(/^02:/);
    const pod = server.pods()[0]!;
    expect(pod.mode).toBe('tap');
    const details: Record<string, unknown>[] = [];
    for await (const t of bed.vpp.dump('sw_interface_tap_v2_dump', { sw_if_index: pod.swIfIndex }))
      details.push(t as never);
    expect(details[0]).toMatchObject({ rx_ring_sz: 512, host_mac_addr: r.container_mac });
    expect(Number(details[0]!['tap_flags']) & 16).toBe(0);
    const nl = await openNetlink({ netns: { path: ns.path } });
    try {
      const neigh: string[] = [];
      for await (const n of nl.neigh.list({ link: 'eth0', family: 'inet' })) neigh.push(n.dst ?? '');
      expect(neigh).toEqual(['169.254.0.1']);
    } finally {
      nl.close();
    }
    await server.del({ netns: ns.path, interface_name: 'eth0' });
  });

  it('where VPP refuses tap_create_v3 (-11 without vhost-net) the Add fails cleanly', async () => {
    const ns = await bed.pod();
    bed.fake!.faults.failNext('tap_create_v3', -11, 1);
    const before = await cniVppObjects(bed.vpp);
    const r = await server.add(addReq(ns, '10.60.0.3'));
    expect(r.successful).toBe(false);
    expect(r.error_message).toMatch(/^PodSetupError: tap_create_v3/);
    expect(await cniVppObjects(bed.vpp)).toEqual(before);
  });
});
