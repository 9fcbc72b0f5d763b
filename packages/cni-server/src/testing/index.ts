/**
 * Testing support for code that uses the CNI server: a count of what the server owns in VPP (tagged
 * interfaces and tables, pod routes), usable against the fake and a real VPP for leak checks.
 * @packageDocumentation
 */
import { TAG_PREFIX } from '../constants.js';
import type { CniVpp } from '../types.js';

/** Objects this package made in VPP, found by their tags. */
export interface CniVppObjects {
  readonly interfaces: { sw_if_index: number; tag: string; name: string }[];
  readonly tables: { table_id: number; is_ip6: boolean; name: string }[];
}

/** Lists the tagged interfaces and tables of the CNI server in VPP. */
export async function cniVppObjects(vpp: Pick<CniVpp, 'dump'>): Promise<CniVppObjects> {
  const interfaces: CniVppObjects['interfaces'] = [];
  for await (const d of vpp.dump('sw_interface_dump', { sw_if_index: 0xffffffff })) {
    if (d.tag.startsWith(TAG_PREFIX))
      interfaces.push({ sw_if_index: d.sw_if_index, tag: d.tag, name: d.interface_name });
  }
  const tables: CniVppObjects['tables'] = [];
  for await (const d of vpp.dump('ip_table_dump', {}))
    if (d.table.name.startsWith(TAG_PREFIX)) tables.push({ ...d.table });
  return { interfaces, tables };
}

/** Routes of `table` (0 by default) whose prefix is a host route (/32, /128): the pod routes. */
export async function hostRoutes(vpp: Pick<CniVpp, 'dump'>, table = 0, ip6 = false): Promise<string[]> {
  const out: string[] = [];
  for await (const d of vpp.dump('ip_route_dump', { table: { table_id: table, is_ip6: ip6, name: '' } })) {
    const p = d.route.prefix;
    if (p.endsWith(ip6 ? '/128' : '/32') && d.route.paths.some((x) => x.sw_if_index !== 0xffffffff)) out.push(p);
  }
  return out;
}
