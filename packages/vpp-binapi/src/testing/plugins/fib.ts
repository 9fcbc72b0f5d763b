/** FIB paths and routes between their API form and the fake's (fib_api.c `fib_api_path_decode` / `_encode`). */
import { FIB_SOURCE_ID } from '../constants.js';
import { parseAddress } from '../ip.js';
import { type FakeFibEntry, type FakePath, type FakeVppState, type FibSource, makePath } from '../state.js';
import { type Msg, arr, canonicalOrAsReceived, num, obj, str } from './context.js';

const ZERO_LABEL = Object.freeze({ is_uniform: 0, label: 0, ttl: 0, exp: 0 });

/** A FIB path from its API form; the next hop is read from the union member of the path's protocol. */
export function pathFromApi(p: Msg): FakePath {
  const proto = num(p, 'proto');
  const nh = obj(p, 'nh');
  const address = obj(nh, 'address');
  const text = canonicalOrAsReceived(proto === 1 ? str(address, 'ip6') || '::' : str(address, 'ip4') || '0.0.0.0');
  return makePath({
    sw_if_index: num(p, 'sw_if_index'),
    table_id: num(p, 'table_id'),
    rpf_id: num(p, 'rpf_id'),
    weight: num(p, 'weight'),
    preference: num(p, 'preference'),
    type: num(p, 'type'),
    flags: num(p, 'flags'),
    proto,
    nh: text,
    via_label: num(nh, 'via_label'),
    obj_id: num(nh, 'obj_id'),
    classify_table_index: num(nh, 'classify_table_index'),
    n_labels: num(p, 'n_labels'),
    label_stack: arr(p, 'label_stack'),
  });
}

/** The API form of a stored path. */
export function pathToApi(p: FakePath): Msg {
  const stack = p.label_stack.slice(0, 16);
  while (stack.length < 16) stack.push({ ...ZERO_LABEL });
  return {
    sw_if_index: p.sw_if_index,
    table_id: p.table_id,
    rpf_id: p.rpf_id,
    weight: p.weight,
    preference: p.preference,
    type: p.type,
    flags: p.flags,
    proto: p.proto,
    nh: {
      address: p.proto === 1 ? { ip6: p.nh } : { ip4: p.nh },
      via_label: p.via_label,
      obj_id: p.obj_id,
      classify_table_index: p.classify_table_index,
    },
    n_labels: p.n_labels,
    label_stack: stack,
  };
}

export function routeDetails(state: FakeVppState, tableId: number, e: FakeFibEntry): Msg {
  const paths = state.bestPaths(e).map(pathToApi);
  return { table_id: tableId, stats_index: e.stats_index, prefix: e.prefix, n_paths: paths.length, paths };
}

/** `ip_route_v2`: the route with the id of the source its paths come from. */
export function routeDetailsV2(state: FakeVppState, tableId: number, e: FakeFibEntry, only?: FibSource): Msg {
  const src = only ?? state.bestSource(e);
  const paths = (src ? (e.sources.get(src) ?? []) : []).map(pathToApi);
  return {
    table_id: tableId,
    stats_index: e.stats_index,
    prefix: e.prefix,
    n_paths: paths.length,
    src: src ? FIB_SOURCE_ID[src] : 0,
    paths,
  };
}

export const SOURCE_BY_ID = new Map(Object.entries(FIB_SOURCE_ID).map(([k, v]) => [v as number, k as FibSource]));

/** Orders addresses as VPP compares them: family, then value. */
export function compareAddresses(a: string, b: string): number {
  const x = parseAddress(a);
  const y = parseAddress(b);
  return x.family - y.family || (x.value < y.value ? -1 : x.value > y.value ? 1 : 0);
}
