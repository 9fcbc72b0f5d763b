/**
 * Quick install/delete loop for profiling (`node --cpu-prof --import tsx bench/quick.ts`): 10,000 routes
 * added then deleted with RouteApi in a fresh namespace, ROUNDS times; prints wall and CPU per round.
 * Needs root; the namespace is removed whatever happens.
 */
import { execFileSync } from 'node:child_process';
import { openNetlink } from '../src/handle.js';
import { RouteApi, type RouteSpec } from '../src/route.js';

const N = 10_000;
const ROUNDS = Number(process.env['ROUNDS'] ?? 8);
const ns = `vp-quick-${process.pid}`;
const ip = (...a: string[]): void => void execFileSync('ip', ['-n', ns, ...a]);
execFileSync('ip', ['netns', 'add', ns]);
process.on('exit', () => {
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  } catch {
    /* gone */
  }
});
ip('link', 'set', 'lo', 'up');
ip('link', 'add', 'vb0', 'type', 'veth', 'peer', 'name', 'vb1');
ip('link', 'set', 'vb0', 'up');
ip('link', 'set', 'vb1', 'up');
ip('addr', 'add', '192.168.0.1/24', 'dev', 'vb0');
const specs: RouteSpec[] = Array.from({ length: N }, (_, i) => ({
  dst: `10.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`,
  gateway: '192.168.0.2',
  oif: 'vb0',
}));
const nl = await openNetlink({ netns: ns });
const routes = new RouteApi(nl);
for (let r = 0; r < ROUNDS; r++) {
  const line: string[] = [];
  for (const op of ['add', 'delete'] as const) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const res = await routes.batch(op, specs);
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    const c = process.cpuUsage(c0);
    const bad = res.filter((x) => !x.ok).length;
    line.push(
      `${op} ${wall.toFixed(1)} ms (u ${(c.user / 1000).toFixed(0)} s ${(c.system / 1000).toFixed(0)})${bad ? ` FAILED ${bad}` : ''}`,
    );
  }
  console.log(line.join('  '));
}
nl.close();
process.exit(0);
