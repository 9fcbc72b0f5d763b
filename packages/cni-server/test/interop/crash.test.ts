import { afterEach, describe, expect, it } from 'vitest';
import { openNetlink } from '@vectorplane/netlink';
import { LOOPBACK_INSTANCE_MIN, StateStore, type CniServer, type CniVpp } from '../../src/index.js';
import { cniVppObjects, hostRoutes } from '../../src/testing/index.js';
import { addReq, skipReason, startBed, type Bed } from './helpers.js';

const skip = await skipReason();
if (skip) console.log(`skip: ${skip}`);
const real = !!process.env['VPP_API_SOCKET'];

/**
 * A server that crashes right after VPP answered the `nth` call of `message`: the object that call made
 * exists, nothing after it runs, nothing is unwound and the state file is not written again.
 */
function crashingServer(bed: Bed, message: string, nth = 1): { server: CniServer; crashed: Promise<void> } {
  let seen = 0;
  let crashed!: () => void;
  const done = new Promise<void>((r) => (crashed = r));
  const call = (async (name: string, fields?: object, opts?: object) => {
    const r = await (bed.vpp.call as (n: string, f?: object, o?: object) => Promise<unknown>)(name, fields, opts);
    if (name === message && ++seen === nth) {
      await server.crash();
      crashed();
      throw new Error(`crashed after ${message}`);
    }
    return r;
  }) as CniVpp['call'];
  const server = bed.newServer({ socket: false }, { call, dump: bed.vpp.dump.bind(bed.vpp) });
  return { server, crashed: done };
}

/** What is left of ours in VPP, VPP's netns and the pod netns (against a real VPP: only what this test made). */
async function leftovers(bed: Bed, podNetns: string) {
  const loops: string[] = [];
  for await (const d of bed.vpp.dump('sw_interface_dump', { sw_if_index: 0xffffffff })) {
    const inst = Number(/^loop(\d+)$/.exec(d.interface_name)?.[1]);
    if (inst >= LOOPBACK_INSTANCE_MIN) loops.push(d.interface_name);
  }
  const afp: string[] = [];
  for await (const d of bed.vpp.dump('af_packet_dump', {}))
    if (d.host_if_name.startsWith(bed.hostIfPrefix)) afp.push(d.host_if_name);
  const cnat: string[] = [];
  for await (const d of bed.vpp.dump('cnat_translation_dump', {}))
    if (d.translation.vip.addr === '192.0.2.10' && d.translation.vip.port === 18080)
      cnat.push(`${d.translation.vip.addr}:${d.translation.vip.port}`);
  const veths = (await bed.hostNl.link.list({ kind: 'veth' }))
    .map((l) => l.name)
    .filter((n) => n.startsWith(bed.hostIfPrefix));
  const nl = await openNetlink({ netns: { path: podNetns } });
  const podLinks = (await nl.link.list()).map((l) => l.name).filter((n) => n !== 'lo');
  nl.close();
  const file = await new StateStore(bed.stateFile).loadAll();
  return {
    ...(await cniVppObjects(bed.vpp)),
    loops,
    afp,
    cnat,
    routes: (await hostRoutes(bed.vpp)).filter((r) => r.startsWith('10.32.')),
    veths,
    podLinks,
    pods: file.pods.length,
    intents: file.intents.length,
  };
}

const nothing = {
  interfaces: [],
  tables: [],
  loops: [],
  afp: [],
  cnat: [],
  routes: [],
  veths: [],
  podLinks: [],
  pods: 0,
  intents: 0,
};

// every object Add makes, in the order it makes them; a crash right after each must be cleaned up on the next start
const points: [message: string, nth: number, what: string][] = [
  ['ip_table_add_del', 1, 'a named pod VRF'],
  ['create_loopback_instance', 1, 'an untagged loopback'],
  ['sw_interface_tag_add_del', 1, 'a tagged loopback'],
  ['sw_interface_add_del_address', 1, 'the loopback with its address'],
  ['af_packet_create_v3', 1, 'an untagged af_packet on the veth'],
  ['sw_interface_set_unnumbered', 1, 'the pod interface, unnumbered'],
  ['ip_route_add_del', 3, 'a pod route in VRF 0 (the 3rd route)'],
  ['cnat_translation_update', 1, 'a hostPort cnat translation (no tag in VPP)'],
  ['urpf_update_v2', 1, 'uRPF on the pod interface'],
];

describe.skipIf(!!skip)('a crash at any point of Add leaves nothing behind after the next start', () => {
  let bed: Bed | undefined;
  afterEach(async () => {
    for (const p of bed?.server.pods() ?? [])
      await bed!.server.del({ netns: p.netns, interface_name: p.interfaceName });
    await bed?.close();
    bed = undefined;
  });

  it.each(points)('crash right after %s #%i (%s)', async (message, nth) => {
    bed = await startBed({ real, server: { socket: false } });
    const ns = await bed.pod();
    const req = addReq(ns, '10.32.0.1', {
      workload: {
        name: 'p',
        namespace: 'default',
        labels: {},
        annotations: {},
        ports: [{ name: 'http', protocol: 'TCP', port: 80, host_port: 18080, host_ip: '' }],
      },
    });
    const { server, crashed } = crashingServer(bed, message, nth);
    await server.start();
    const reply = server.add(req);
    await crashed;
    expect((await reply).successful).toBe(false);
    // something was left behind by the crash (the point of the test)
    const before = await leftovers(bed, ns.path);
    expect(before).not.toEqual(nothing);

    const report = await bed.server.start();
    expect(report.failed).toEqual([]);
    expect(await leftovers(bed, ns.path)).toEqual(nothing);
    // and the pod can be added now: its IP, host name, loopback instance and hostPort are free again
    expect((await bed.server.add(req)).error_message).toBe('');
    expect(bed.server.pods()).toHaveLength(1);
  });
});

describe.skipIf(!!skip)('a crash after Del replied, before the kernel freed the veth', () => {
  it('leaves a veth nobody owns, which the next start removes', async () => {
    const bed = await startBed({ real, server: { socket: false } });
    try {
      const ns = await bed.pod();
      const server = bed.newServer({ socket: false, vethBatchQuietMs: 60_000 });
      await server.start();
      expect((await server.add(addReq(ns, '10.32.1.1'))).error_message).toBe('');
      const host = server.pods()[0]!.hostInterfaceName;
      expect((await server.del({ netns: ns.path, interface_name: 'eth0' })).successful).toBe(true);
      await server.crash();
      expect(await bed.hostNl.link.find(host)).toBeDefined(); // the deletion was still pending
      const report = await bed.server.start();
      expect(report.orphansRemoved).toContain(host);
      expect(await leftovers(bed, ns.path)).toEqual(nothing);
    } finally {
      await bed.close();
    }
  });
});

describe.skipIf(!!skip)('Del then Add of the same pod', () => {
  it('the Add waits for the old veth to be gone (and hurries its deletion)', async () => {
    const bed = await startBed({ real, server: { socket: false, vethBatchQuietMs: 60_000 } });
    try {
      const ns = await bed.pod();
      await bed.server.start();
      expect((await bed.server.add(addReq(ns, '10.32.2.1'))).error_message).toBe('');
      const t = performance.now();
      expect((await bed.server.del({ netns: ns.path, interface_name: 'eth0' })).successful).toBe(true);
      expect((await bed.server.add(addReq(ns, '10.32.2.1'))).error_message).toBe('');
      expect(performance.now() - t).toBeLessThan(10_000); // not the 60 s quiet period
      expect(bed.server.pods()).toHaveLength(1);
      expect((await bed.server.del({ netns: ns.path, interface_name: 'eth0' })).successful).toBe(true);
    } finally {
      await bed.close();
    }
  });
});
