/**
 * Time per operation of the fake VPP's state alone (no socket, no codec), on the pod Add/Del mix of
 * bench/fake-msgs.ts: where the fake's handlers spend their time. Includes the GC the operations cause and
 * a little timer overhead (hrtime per operation). A benchmark, not a test.
 *
 *   npx tsx bench/fake-state.ts          # FAKE_STATE_ROUNDS=200 (the first 20 warm up)
 */
import { FakeVppState, makePath } from '../src/testing/state.js';

const ops = new Map<string, number>();
const cnt = new Map<string, number>();
const t = <T>(name: string, fn: () => T): T => {
  const t0 = process.hrtime.bigint();
  const r = fn();
  const d = Number(process.hrtime.bigint() - t0);
  ops.set(name, (ops.get(name) ?? 0) + d);
  cnt.set(name, (cnt.get(name) ?? 0) + 1);
  return r;
};
const s = new FakeVppState();
const ROUNDS = Number(process.env['FAKE_STATE_ROUNDS'] ?? 200);
for (let r = 0; r < ROUNDS; r++) {
  if (r === 20) {
    ops.clear();
    cnt.clear();
  }
  const pods: { lo: number; itf: number; vrfs: number[]; ip: string; host: string }[] = [];
  for (let i = 0; i < 100; i++) {
    const base = 1000 + i * 4;
    const vrfs = [base, base + 1, base + 2];
    const ip = `10.${100 + (r % 100)}.${i >> 8}.${(i & 255) + 1}`;
    const host = `h${i}`;
    t('table_add', () => s.addDelTable(true, false, vrfs[0]!, 'x'));
    t('route_add_default4', () => s.routeAddDel(true, false, vrfs[0]!, '0.0.0.0/0', [makePath({ table_id: 0 })]));
    t('table_add', () => s.addDelTable(true, true, vrfs[1]!, 'x'));
    t('route_add_default6', () =>
      s.routeAddDel(true, false, vrfs[1]!, '::/0', [makePath({ table_id: 0, proto: 1, nh: '::' })]),
    );
    t('table_add', () => s.addDelTable(true, false, vrfs[2]!, 'x'));
    const lo = t('loop', () => s.createLoopback('00:00:00:00:00:00', 1000 + i)).sw_if_index;
    const itf = t('afp', () => s.createAfPacket(host, '02:00:00:00:00:01', 1)).sw_if_index;
    t('tag', () => s.setTag(lo, true, 'x'));
    t('set_table', () => s.setTable(lo, false, vrfs[0]!));
    t('set_table', () => s.setTable(lo, true, vrfs[1]!));
    t('add_addr', () => s.addDelAddress(lo, true, false, `${ip}/32`));
    t('flags_lo', () => s.setFlags(lo, 1));
    t('tag', () => s.setTag(itf, true, 'x'));
    t('set_table', () => s.setTable(itf, false, vrfs[0]!));
    t('set_table', () => s.setTable(itf, true, vrfs[1]!));
    t('mtu', () => s.setMtu(itf, [1450, 0, 0, 0]));
    t('flags_itf', () => s.setFlags(itf, 1));
    t('unnum', () => s.setUnnumbered(lo, itf, true));
    t('neigh', () =>
      s.neighborAddDel(true, { sw_if_index: itf, flags: 1, mac_address: '02:00:00:00:00:02', ip_address: ip }),
    );
    t('route_main', () => s.routeAddDel(true, false, 0, `${ip}/32`, [makePath({ sw_if_index: itf, nh: ip })]));
    t('route_rpf', () => s.routeAddDel(true, false, vrfs[2]!, `${ip}/32`, [makePath({ sw_if_index: itf })]));
    pods.push({ lo, itf, vrfs, ip, host });
  }
  for (const p of pods) {
    t('route_del', () => s.routeAddDel(false, false, 0, `${p.ip}/32`, []));
    t('afp_del', () => s.deleteAfPacket(p.host));
    t('loop_del', () => s.deleteLoopback(p.lo));
    p.vrfs.forEach((id, k) => t('table_del', () => s.addDelTable(false, k === 1, id, '')));
  }
}
let tot = 0;
let n = 0;
for (const [k, v] of [...ops].sort((a, b) => b[1] - a[1])) {
  tot += v;
  n += cnt.get(k)!;
  console.log(k.padEnd(20), (v / cnt.get(k)! / 1000).toFixed(2), 'µs/op', (v / 1e6).toFixed(1), 'ms');
}
console.log('total', (tot / 1e6).toFixed(1), 'ms', (tot / n / 1000).toFixed(2), 'µs/op avg');
