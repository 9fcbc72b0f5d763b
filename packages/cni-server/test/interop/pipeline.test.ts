import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOWED_SOURCE_PREFIXES_ANNOTATION, LOOPBACK_INSTANCE_MIN, type CniVpp } from '../../src/index.js';
import { cniVppObjects } from '../../src/testing/index.js';
import { addReq, skipReason, startBed, type Bed } from './helpers.js';

const skip = await skipReason();
if (skip) console.log(`skip: ${skip}`);
const targets: ('fake' | 'real')[] = process.env['VPP_API_SOCKET'] ? ['fake', 'real'] : ['fake'];

interface Sent {
  name: string;
  f: Record<string, unknown>;
  /** The client's write it went out in (calls of one tick are written together). */
  write: number;
}

/** A client that records every call and the write it goes out in. */
function recorder(bed: Bed): { vpp: CniVpp; sent: Sent[] } {
  const sent: Sent[] = [];
  let write = 0;
  let open = false;
  const call = ((name: string, fields: Record<string, unknown>, opts?: object) => {
    if (!open) {
      open = true;
      write++;
      process.nextTick(() => (open = false));
    }
    sent.push({ name, f: fields, write });
    return (bed.vpp.call as (n: string, f: object, o?: object) => Promise<unknown>)(name, fields, opts);
  }) as CniVpp['call'];
  return { vpp: { call, dump: bed.vpp.dump.bind(bed.vpp) }, sent };
}

const writes = (sent: Sent[]): number => new Set(sent.map((s) => s.write)).size;

describe.skipIf(!!skip).each(targets)('Add and Del pipeline their VPP requests (%s VPP)', (target) => {
  let bed: Bed;
  beforeAll(async () => {
    bed = await startBed({ real: target === 'real', server: { socket: false } });
  });
  afterAll(async () => {
    await bed?.close();
  });

  it('few round trips, in an order VPP accepts: tables before their users, tables before addresses and unnumbered', async () => {
    const { vpp, sent } = recorder(bed);
    const server = bed.newServer({ socket: false }, vpp);
    await server.start();
    const ns = await bed.pod();
    sent.length = 0;
    const r = await server.add({
      ...addReq(ns, '10.33.0.5/32'),
      container_ips: [
        { address: '10.33.0.5/32', gateway: '' },
        { address: 'fd00:33::5/128', gateway: '' },
      ],
      workload: {
        name: 'p',
        namespace: 'default',
        labels: {},
        annotations: { [ALLOWED_SOURCE_PREFIXES_ANNOTATION]: '["172.16.0.0/16"]' },
        ports: [{ protocol: 'TCP', port: 80, host_port: 18081 }],
      },
    });
    expect(r.error_message).toBe('');
    const pod = server.pods()[0]!;
    const add = [...sent];

    // one write of what needs no answer, the af_packet after the kernel made the veth, then the settings of the
    // loopback and of the pod interface once their sw_if_index came back (the old order took 10); the hostPort's
    // translation goes on its own once its intent is durable (a file write, not a VPP answer)
    expect(writes(add.filter((s) => s.name !== 'cnat_translation_update'))).toBeLessThanOrEqual(4);
    expect(add.filter((s) => s.name === 'ip_table_add_del').every((s) => s.write === add[0]!.write)).toBe(true);

    const at = (pred: (s: Sent) => boolean): number[] => add.flatMap((s, i) => (pred(s) ? [i] : []));
    const tableMade = (id: number, ip6: boolean): number => {
      const i = at((s) => {
        const t = s.f['table'] as { table_id: number; is_ip6: boolean } | undefined;
        return s.name === 'ip_table_add_del' && s.f['is_add'] === true && t?.table_id === id && t.is_ip6 === ip6;
      });
      expect(i, `table ${id} ip6=${ip6} made`).toHaveLength(1);
      return i[0]!;
    };
    const setTables = (sw: number): number[] => {
      const i = at((s) => s.name === 'sw_interface_set_table' && s.f['sw_if_index'] === sw);
      expect(i, `both tables of ${sw} set`).toHaveLength(2);
      for (const j of i) {
        const s = add[j]!;
        expect(j).toBeGreaterThan(tableMade(s.f['vrf_id'] as number, s.f['is_ipv6'] as boolean));
      }
      return i;
    };
    const lo = pod.loopbackSwIfIndex;
    const sw = pod.swIfIndex;
    const loTables = Math.max(...setTables(lo));
    const itfTables = Math.max(...setTables(sw));
    // VPP refuses a table change on an interface with addresses (borrowed ones included)
    for (const i of at((s) => s.name === 'sw_interface_add_del_address' && s.f['sw_if_index'] === lo))
      expect(i).toBeGreaterThan(loTables);
    for (const i of at((s) => s.name === 'sw_interface_ip6_enable_disable' && s.f['sw_if_index'] === sw))
      expect(i).toBeGreaterThan(itfTables);
    // and unnumbered wants both in the same tables
    const unnumbered = at((s) => s.name === 'sw_interface_set_unnumbered');
    expect(unnumbered).toHaveLength(1);
    expect(unnumbered[0]).toBeGreaterThan(Math.max(loTables, itfTables));
    // routes go into tables made before them
    for (const i of at((s) => s.name === 'ip_route_add_del')) {
      const route = add[i]!.f['route'] as { table_id: number; prefix: string };
      if (route.table_id === 0) continue;
      expect(i).toBeGreaterThan(tableMade(route.table_id, route.prefix.includes(':')));
    }
    expect(at((s) => s.name === 'cnat_translation_update')).toHaveLength(1);

    // Del: every VPP request in one write
    sent.length = 0;
    expect((await server.del({ netns: ns.path, interface_name: 'eth0' })).successful).toBe(true);
    expect(sent.length).toBeGreaterThanOrEqual(8);
    expect(writes(sent)).toBe(1);
    const del = sent.map((s) => s.name);
    expect(del.indexOf('af_packet_delete')).toBeLessThan(del.indexOf('delete_loopback'));
    expect(del.lastIndexOf('ip_route_add_del')).toBeLessThan(del.indexOf('af_packet_delete'));
    expect(del.indexOf('delete_loopback')).toBeLessThan(del.indexOf('ip_table_add_del'));
    await server.stop();
  });

  it('an Add aborted half way (its requests in flight) leaves nothing behind', async () => {
    const what = async () => {
      const loops: string[] = [];
      for await (const d of bed.vpp.dump('sw_interface_dump', { sw_if_index: 0xffffffff }))
        if (Number(/^loop(\d+)$/.exec(d.interface_name)?.[1]) >= LOOPBACK_INSTANCE_MIN) loops.push(d.interface_name);
      const afp: string[] = [];
      for await (const d of bed.vpp.dump('af_packet_dump', {})) afp.push(d.host_if_name);
      const veths = (await bed.hostNl.link.list({ kind: 'veth' })).map((l) => l.name);
      return { ...(await cniVppObjects(bed.vpp)), loops, afp, veths };
    };
    const ac = new AbortController();
    const call = (async (name: string, fields: object, opts?: object) => {
      const r = await (bed.vpp.call as (n: string, f: object, o?: object) => Promise<unknown>)(name, fields, opts);
      if (name === 'create_loopback_instance') ac.abort(new Error('the caller gave up'));
      return r;
    }) as CniVpp['call'];
    const server = bed.newServer({ socket: false }, { call, dump: bed.vpp.dump.bind(bed.vpp) });
    await server.start();
    const ns = await bed.pod();
    const before = await what();
    const r = await server.add(addReq(ns, '10.33.0.9/32'), { signal: ac.signal });
    expect(r.successful).toBe(false);
    expect(r.error_message).toMatch(/gave up|abort/i);
    expect(await what()).toEqual(before);
    expect(server.pods()).toHaveLength(0);
    await server.stop();
    // and it can be added now
    const again = bed.newServer({ socket: false });
    await again.start();
    expect((await again.add(addReq(ns, '10.33.0.9/32'))).error_message).toBe('');
    expect((await again.del({ netns: ns.path, interface_name: 'eth0' })).successful).toBe(true);
    await again.stop();
  });
});
