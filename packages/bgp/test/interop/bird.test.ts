import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { createGobgpSpeaker, type BgpSpeaker } from '../../src/index.js';
import { spawnBird, type BirdProcess } from '../../src/testing/index.js';
import { until } from '../helpers/until.js';
import { interopSkipReason, Lab } from './env.js';

const skip =
  interopSkipReason() ?? (existsSync('/usr/sbin/bird') ? undefined : 'BIRD 2 is not installed (Debian package bird2)');
if (skip) console.log(`bgp interop BIRD: skipped (${skip})`);

function birdConfig(statics4: string[], statics6: string[]): string {
  return `
router id 10.99.2.2;
protocol device {}
protocol static s4 { ipv4; ${statics4.map((r) => `route ${r} blackhole;`).join(' ')} }
protocol static s6 { ipv6; ${statics6.map((r) => `route ${r} blackhole;`).join(' ')} }
protocol bgp us4 {
  local 10.99.2.2 as 65001;
  neighbor 10.99.2.1 as 64512;
  connect retry time 1;
  ipv4 { import all; export where source = RTS_STATIC; next hop self; };
}
protocol bgp us6 {
  local fd99:2::2 as 65001;
  neighbor fd99:2::1 as 64512;
  connect retry time 1;
  ipv6 { import all; export where source = RTS_STATIC; next hop self; };
}
`;
}

describe.skipIf(!!skip)('bgp interop: BIRD 2 peer in its own netns', () => {
  const lab = new Lab();
  let bird: BirdProcess;
  let speaker: BgpSpeaker;

  beforeAll(async () => {
    const us = await lab.addNetns();
    const them = await lab.addNetns();
    await lab.link(us, ['10.99.2.1/24', 'fd99:2::1/64'], them, ['10.99.2.2/24', 'fd99:2::2/64']);
    bird = await spawnBird({ netns: them.name, config: birdConfig(['10.50.1.0/24', '10.50.2.0/24'], ['fd50:1::/64']) });
    lab.onCleanup(() => bird.stop());
    speaker = createGobgpSpeaker({
      global: { asn: 64512, routerId: '10.99.2.1', listenAddresses: ['10.99.2.1', 'fd99:2::1'] },
      daemon: { spawn: { netns: us.name } },
    });
    lab.onCleanup(() => speaker.stop());
    await speaker.start();
    await speaker.addPeer({ address: '10.99.2.2', asn: 65001, families: ['ipv4'] });
    await speaker.addPeer({ address: 'fd99:2::2', asn: 65001, families: ['ipv6'] });
    await speaker.announce({ prefix: '10.244.7.0/26', nextHop: '10.99.2.1' });
    await speaker.announce({ prefix: 'fd00:244::7:0/112', nextHop: 'fd99:2::1', communities: ['64512:100'] });
  });
  afterAll(async () => {
    await lab.cleanup();
  });

  it("bgp: we learn BIRD's v4 and v6 routes with its AS path and next hop", async () => {
    const v4 = await until('BIRD v4 routes learned', async () => {
      const p = await speaker.bestPaths('ipv4');
      return p.filter((x) => !x.local).length === 2 && p;
    });
    expect(
      v4
        .filter((p) => !p.local)
        .sort((x, y) => x.prefix.localeCompare(y.prefix))
        .map((p) => [p.prefix, p.nextHop, p.asPath, p.neighbor]),
    ).toEqual([
      ['10.50.1.0/24', '10.99.2.2', [65001], '10.99.2.2'],
      ['10.50.2.0/24', '10.99.2.2', [65001], '10.99.2.2'],
    ]);
    const v6 = await until('BIRD v6 route learned', async () => {
      const p = (await speaker.bestPaths('ipv6')).filter((x) => !x.local);
      return p.length === 1 && p;
    });
    expect([v6[0]!.prefix, v6[0]!.asPath]).toEqual(['fd50:1::/64', [65001]]);
  });

  it('bgp: BIRD learns ours (v4 and v6, with the community)', async () => {
    const out4 = await until('BIRD has 10.244.7.0/26', async () => {
      const o = await bird.birdc('show route 10.244.7.0/26 all');
      return o.includes('10.244.7.0/26') && o;
    });
    expect(out4).toMatch(/via 10\.99\.2\.1/);
    expect(out4).toMatch(/BGP\.as_path: 64512/);
    const out6 = await until('BIRD has fd00:244::7:0/112', async () => {
      const o = await bird.birdc('show route fd00:244::7:0/112 all');
      return o.includes('fd00:244::7:0/112') && o;
    });
    expect(out6).toMatch(/BGP\.community: \(64512,100\)/);
  });

  it('bgp: withdrawals travel both ways', async () => {
    await speaker.withdraw('10.244.7.0/26');
    await until(
      'BIRD dropped 10.244.7.0/26',
      async () => !(await bird.birdc('show route 10.244.7.0/26')).includes('10.244.7.0/26'),
    );
    await bird.reconfigure(birdConfig(['10.50.1.0/24'], ['fd50:1::/64']));
    await until(
      '10.50.2.0/24 withdrawn',
      async () => !(await speaker.bestPaths('ipv4')).some((p) => p.prefix === '10.50.2.0/24'),
    );
    expect((await speaker.bestPaths('ipv4')).map((p) => p.prefix)).toEqual(['10.50.1.0/24']);
  });
});
