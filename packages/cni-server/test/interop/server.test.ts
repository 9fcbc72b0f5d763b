import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openNetlink } from '@vectorplane/netlink';
import { cniVppObjects, hostRoutes } from '../../src/testing/index.js';
import { ALLOWED_SOURCE_PREFIXES_ANNOTATION, INTERFACES_SPEC_ANNOTATION, type PodEvent } from '../../src/index.js';
import { addReq, collectUntil, skipReason, startBed, type Bed } from './helpers.js';

const skip = await skipReason();
if (skip) console.log(`skip: ${skip}`);
const targets: ('fake' | 'real')[] = process.env['VPP_API_SOCKET'] ? ['fake', 'real'] : ['fake'];

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function netnsView(path: string) {
  const nl = await openNetlink({ netns: { path } });
  try {
    const link = await nl.link.find('eth0');
    const addrs = link
      ? (await all(nl.address.list({ link: 'eth0', family: 'inet' }))).map((a) => `${a.address}/${a.prefixLen}`)
      : [];
    const routes = link
      ? (await all(nl.route.list({ family: 'inet' }))).map((r) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}`)
      : [];
    const neigh = link
      ? (await all(nl.neigh.list({ link: 'eth0', family: 'inet' }))).map((n) => `${n.dst} ${n.lladdr}`)
      : [];
    return { link, addrs, routes, neigh };
  } finally {
    nl.close();
  }
}

describe.skipIf(!!skip).each(targets)('CNI server against the %s VPP', (target) => {
  let bed: Bed;
  beforeAll(async () => {
    bed = await startBed({ real: target === 'real', server: { socket: false, hostIfPrefix: 'cnih' } });
    await bed.server.start();
  });
  afterAll(async () => {
    for (const p of bed?.server.pods() ?? []) await bed.server.del({ netns: p.netns, interface_name: p.interfaceName });
    await bed?.close();
  });

  it('Add builds the pod in VPP and in its netns; Del removes all of it', async () => {
    const before = await cniVppObjects(bed.vpp);
    const ns = await bed.pod();
    const events = bed.server.events();
    const got = collectUntil(events, 2);
    const r = await bed.server.add(
      addReq(ns, '10.10.0.5/32', {
        settings: { mtu: 1400, allow_ip_forwarding: true },
        container_routes: ['0.0.0.0/0', '10.96.0.0/12'],
        workload: {
          name: 'web',
          namespace: 'default',
          labels: { app: 'web' },
          annotations: { [ALLOWED_SOURCE_PREFIXES_ANNOTATION]: '["172.16.0.0/16"]' },
          ports: [{ name: 'http', protocol: 'TCP', port: 80, host_port: 8080, host_ip: '' }],
        },
      }),
    );
    expect(r).toMatchObject({ successful: true, error_message: '' });
    expect(r.host_interface_name).toMatch(/^cnih[0-9a-f]{11}$/);
    expect(r.container_mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);

    const [pod] = bed.server.pods();
    expect(pod).toBeDefined();
    const objs = await cniVppObjects(bed.vpp);
    const mine = objs.interfaces.filter((i) => !before.interfaces.some((b) => b.sw_if_index === i.sw_if_index));
    expect(mine.map((i) => i.sw_if_index).sort()).toEqual([pod!.swIfIndex, pod!.loopbackSwIfIndex].sort());
    // four tables: pod4, pod6, rpf4 (no v6 address: no rpf6)
    expect(objs.tables.length - before.tables.length).toBe(3);
    // unnumbered to the loopback, which holds the container IP
    const unn = [];
    for await (const u of bed.vpp.dump('ip_unnumbered_dump', { sw_if_index: pod!.swIfIndex })) unn.push(u);
    expect(unn).toEqual([
      expect.objectContaining({ sw_if_index: pod!.swIfIndex, ip_sw_if_index: pod!.loopbackSwIfIndex }),
    ]);
    const loAddrs = [];
    for await (const a of bed.vpp.dump('ip_address_dump', { sw_if_index: pod!.loopbackSwIfIndex, is_ipv6: false }))
      loAddrs.push(a.prefix);
    expect(loAddrs).toEqual(['10.10.0.5/32']);
    // /32 in VRF 0 through the pod interface
    expect(await hostRoutes(bed.vpp)).toContain('10.10.0.5/32');
    // static neighbour for the pod (L2 mode) and the hostPort translation
    const neigh = [];
    for await (const n of bed.vpp.dump('ip_neighbor_dump', { sw_if_index: pod!.swIfIndex, af: 0 }))
      neigh.push(n.neighbor);
    expect(neigh).toEqual([expect.objectContaining({ ip_address: '10.10.0.5', mac_address: r.container_mac })]);
    const tr = [];
    for await (const t of bed.vpp.dump('cnat_translation_dump', {})) tr.push(t.translation);
    expect(tr).toContainEqual(
      expect.objectContaining({ vip: expect.objectContaining({ addr: '192.0.2.10', port: 8080 }), ip_proto: 6 }),
    );
    // interface settings
    const details = [];
    for await (const d of bed.vpp.dump('sw_interface_dump', { sw_if_index: pod!.swIfIndex })) details.push(d);
    expect(details[0]?.flags ?? 0 & 1).toBeTruthy();
    expect(details[0]?.mtu[0]).toBe(1400);

    // strict uRPF against the pod's own rpf table; GSO and the default (adaptive) rx mode
    const urpf = [];
    for await (const u of bed.vpp.dump('urpf_interface_dump', { sw_if_index: pod!.swIfIndex })) urpf.push(u);
    expect(urpf).toEqual([expect.objectContaining({ is_input: true, mode: 2, af: 0, table_id: pod!.vrfs.rpf4 })]);
    const rpfRoutes: string[] = [];
    for await (const r of bed.vpp.dump('ip_route_dump', {
      table: { table_id: pod!.vrfs.rpf4!, is_ip6: false, name: '' },
    }))
      rpfRoutes.push(r.route.prefix);
    expect(rpfRoutes).toEqual(expect.arrayContaining(['10.10.0.5/32', '172.16.0.0/16']));
    if (bed.fake) {
      const itf = bed.fake.state.interfaces.get(pod!.swIfIndex);
      expect(itf?.gso).toBe(true);
      expect(itf?.rxModes?.[0]).toBe(3);
      expect(bed.fake.state.cnatFeatureInterfaces.has(pod!.swIfIndex)).toBe(true);
    }

    // inside the pod
    const view = await netnsView(ns.path);
    expect(view.link?.up).toBe(true);
    expect(view.link?.mtu).toBe(1400);
    expect(view.link?.mac).toBe(r.container_mac);
    expect(view.addrs).toEqual(['10.10.0.5/32']);
    expect(view.routes).toEqual(
      expect.arrayContaining(['0.0.0.0/0 via 169.254.0.1', '10.96.0.0/12 via 169.254.0.1', '169.254.0.1/32']),
    );
    expect(view.neigh.map((n) => n.split(' ')[0])).toEqual(['169.254.0.1']);

    const d = await bed.server.del({ netns: ns.path, interface_name: 'eth0' });
    expect(d).toEqual({ successful: true, error_message: '' });
    expect(await cniVppObjects(bed.vpp)).toEqual(before);
    expect(await hostRoutes(bed.vpp)).not.toContain('10.10.0.5/32');
    const tr2 = [];
    for await (const t of bed.vpp.dump('cnat_translation_dump', {})) tr2.push(t.translation);
    expect(tr2.some((t) => t.vip.port === 8080)).toBe(false);
    // the reply comes once the pod is cut off (nothing of it in VPP); the kernel frees the veth moments later
    await vi.waitFor(async () => expect((await netnsView(ns.path)).link).toBeUndefined(), { timeout: 5000 });
    const evs = (await got) as PodEvent[];
    expect(evs.map((e) => e.type)).toEqual(['podAdded', 'podDeleted']);
    expect(evs[0]?.pod).toMatchObject({
      swIfIndex: pod!.swIfIndex,
      ips: ['10.10.0.5'],
      workload: { name: 'web', labels: { app: 'web' } },
    });
    expect(evs[0]?.pod.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 80, host_port: 8080, host_ip: '' }]);
  });

  it('a repeated Add returns the same reply and creates nothing twice', async () => {
    const ns = await bed.pod();
    const a = await bed.server.add(addReq(ns, '10.10.0.6'));
    const objs = await cniVppObjects(bed.vpp);
    const b = await bed.server.add(addReq(ns, '10.10.0.6'));
    expect(b).toEqual(a);
    expect(await cniVppObjects(bed.vpp)).toEqual(objs);
    // concurrent repeats too
    const ns2 = await bed.pod();
    const replies = await Promise.all([1, 2, 3].map(() => bed.server.add(addReq(ns2, '10.10.0.7'))));
    expect(new Set(replies.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(bed.server.pods().filter((p) => p.netns === ns2.path)).toHaveLength(1);
    await bed.server.del({ netns: ns.path, interface_name: 'eth0' });
    await bed.server.del({ netns: ns2.path, interface_name: 'eth0' });
  });

  it('an empty netns is a successful no-op; Del of an unknown key succeeds', async () => {
    const before = await cniVppObjects(bed.vpp);
    expect(await bed.server.add({ interface_name: 'eth0', netns: '' })).toMatchObject({ successful: true });
    expect(await bed.server.del({ interface_name: 'eth0', netns: '' })).toEqual({
      successful: true,
      error_message: '',
    });
    expect(await bed.server.del({ interface_name: 'eth0', netns: '/run/netns/cni-none' })).toEqual({
      successful: true,
      error_message: '',
    });
    expect(await cniVppObjects(bed.vpp)).toEqual(before);
  });

  it('IPv4 + IPv6 pod: both families in VPP and the netns', async () => {
    const ns = await bed.pod();
    const r = await bed.server.add({
      ...addReq(ns, '10.10.1.1'),
      container_ips: [{ address: '10.10.1.1/32' }, { address: 'fd00:10::0:1/128' }],
    });
    expect(r.error_message).toBe('');
    const pod = bed.server.pods().find((p) => p.netns === ns.path)!;
    expect(pod.ips).toEqual(['10.10.1.1', 'fd00:10::1']);
    expect(await hostRoutes(bed.vpp, 0, true)).toContain('fd00:10::1/128');
    const nl = await openNetlink({ netns: { path: ns.path } });
    try {
      const v6 = (await all(nl.address.list({ link: 'eth0', family: 'inet6' }))).map((a) => a.address);
      expect(v6).toContain('fd00:10::1');
      const r6 = (await all(nl.route.list({ family: 'inet6' }))).map((x) => `${x.dst} ${x.gateway ?? ''}`);
      expect(r6).toContain('::/0 fe80::1');
    } finally {
      nl.close();
    }
    await bed.server.del({ netns: ns.path, interface_name: 'eth0' });
    expect(await hostRoutes(bed.vpp, 0, true)).not.toContain('fd00:10::1/128');
  });

  it('runs Adds for different pods concurrently, each with its own VRFs', async () => {
    const before = await cniVppObjects(bed.vpp);
    const nss = await Promise.all(Array.from({ length: 16 }, () => bed.pod()));
    const replies = await Promise.all(nss.map((ns, i) => bed.server.add(addReq(ns, `10.10.2.${i + 1}`))));
    expect(replies.every((r) => r.successful)).toBe(true);
    const pods = bed.server.pods().filter((p) => nss.some((n) => n.path === p.netns));
    expect(new Set(pods.map((p) => p.vrfs.pod4)).size).toBe(16);
    expect(new Set(pods.map((p) => p.swIfIndex)).size).toBe(16);
    await Promise.all(nss.map((ns) => bed.server.del({ netns: ns.path, interface_name: 'eth0' })));
    expect(await cniVppObjects(bed.vpp)).toEqual(before);
  });

  it('honours vppInterfacesSpec (queues, rx mode) without failing the pod', async () => {
    const ns = await bed.pod();
    const r = await bed.server.add(
      addReq(ns, '10.10.3.1', {
        workload: {
          annotations: { [INTERFACES_SPEC_ANNOTATION]: '{"eth0":{"rx":2,"tx":2,"rxMode":"polling","isl3":true}}' },
        },
      }),
    );
    expect(r.error_message).toBe('');
    const pod = bed.server.pods().find((p) => p.netns === ns.path)!;
    expect(pod.mode).toBe('veth');
    if (bed.fake) expect(bed.fake.state.interfaces.get(pod.swIfIndex)?.rxModes?.[0]).toBe(1); // polling
    await bed.server.del({ netns: ns.path, interface_name: 'eth0' });
  });
});

describe.skipIf(!!skip)('memif (vppExtraMemifPorts) with the memif feature on', () => {
  let bed: Bed;
  beforeAll(async () => {
    bed = await startBed({ server: { socket: false, memif: true } });
    await bed.server.start();
  });
  afterAll(async () => bed?.close());

  it('adds a memif master on a socket in the pod netns, in the pod VRFs, unnumbered; Del removes both', async () => {
    const ns = await bed.pod();
    const r = await bed.server.add(
      addReq(ns, '10.10.9.1', {
        workload: { annotations: { 'cni.projectcalico.org/vppExtraMemifPorts': 'tcp:4444-20000' } },
      }),
    );
    expect(r.error_message).toBe('');
    const pod = bed.server.pods()[0]!;
    expect(pod.memifSwIfIndex).toBeDefined();
    const socks: string[] = [];
    for await (const s of bed.vpp.dump('memif_socket_filename_dump', {})) socks.push(s.socket_filename);
    // VPP keeps `abstract:` names as given; the fake (a gap, reported) files them under its runtime dir
    expect(
      socks.some(
        (x) =>
          x === `abstract:vpp/memif-eth0,netns_name=${ns.path}` ||
          x.endsWith(`/abstract:vpp/memif-eth0,netns_name=${ns.path}`),
      ),
    ).toBe(true);
    const memifs = [];
    for await (const m of bed.vpp.dump('memif_dump', {})) memifs.push(m);
    expect(memifs).toEqual([expect.objectContaining({ sw_if_index: pod.memifSwIfIndex, role: 0 })]);
    const unn = [];
    for await (const u of bed.vpp.dump('ip_unnumbered_dump', { sw_if_index: pod.memifSwIfIndex! }))
      unn.push(u.ip_sw_if_index);
    expect(unn).toEqual([pod.loopbackSwIfIndex]);
    const table = await bed.vpp.call('sw_interface_get_table', { sw_if_index: pod.memifSwIfIndex!, is_ipv6: false });
    expect(table.vrf_id).toBe(pod.vrfs.pod4);

    await bed.server.del({ netns: ns.path, interface_name: 'eth0' });
    const after: string[] = [];
    for await (const s of bed.vpp.dump('memif_socket_filename_dump', {})) after.push(s.socket_filename);
    expect(after.some((x) => x.endsWith(`abstract:vpp/memif-eth0,netns_name=${ns.path}`))).toBe(false);
    expect(await cniVppObjects(bed.vpp)).toEqual({ interfaces: [], tables: [] });
  });
});
