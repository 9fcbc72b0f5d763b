/**
 * A real TCP connection between two pod namespaces through a real VPP (veth + af_packet), with the
 * backend that enforces on that VPP (`acl` on every release): allowed, refused after a deny policy,
 * then allowed again with only the reply direction open (stateful: permit+reflect). Runs only with
 * VPP_BIN (startTestVpp() starts VPP in its own namespace) and as root; skips with one line otherwise.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connectVpp, type VppApi, type VppClient } from '@vectorplane/vpp-binapi';
import { afPacketWithAddress, startTestVpp, type TestVpp } from '@vectorplane/vpp-binapi/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPolicyDataplane, detectBackend, type PolicyDataplane } from '../../src/index.js';

const skip = !process.env.VPP_BIN
  ? 'VPP_BIN is not set (a real VPP binary is needed for traffic)'
  : process.getuid?.() !== 0
    ? 'not root (network namespaces and veths are needed)'
    : undefined;

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });

describe.skipIf(skip !== undefined)('pol TCP through a real VPP with policies', () => {
  const tag = randomBytes(3).toString('hex');
  const nsA = `pol-a-${tag}`;
  const nsB = `pol-b-${tag}`;
  const A = '10.71.1.2';
  const B = '10.71.2.2';
  let testVpp: TestVpp;
  let vpp: VppClient<VppApi>;
  let dp: PolicyDataplane;
  let server: ChildProcess | undefined;
  const sw: Record<string, number> = {};

  async function attach(ns: string, hostIf: string, vppAddr: string, podAddr: string): Promise<number> {
    ip('-n', testVpp.netns!, 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    ip('-n', testVpp.netns!, 'link', 'set', hostIf, 'up');
    const sw_if_index = await afPacketWithAddress(vpp, hostIf, `${vppAddr}/24`);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', ns, 'addr', 'add', `${podAddr}/24`, 'dev', 'eth0');
    ip('-n', ns, 'route', 'add', 'default', 'via', vppAddr);
    return sw_if_index;
  }

  /** Connects from pod A to B:8080; true when the server's greeting arrives. */
  function connectAtoB(): boolean {
    const r = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        nsA,
        process.execPath,
        '-e',
        `const s = require('net').connect(8080, '${B}'); let b = ''; s.on('data', (d) => (b += d)); s.on('end', () => { process.stdout.write(b); process.exit(0); }); s.on('error', () => process.exit(1)); setTimeout(() => process.exit(2), 3000);`,
      ],
      { encoding: 'utf8', timeout: 10_000 },
    );
    return r.status === 0 && r.stdout === 'hello\n';
  }

  beforeAll(async () => {
    testVpp = await startTestVpp();
    vpp = await connectVpp({ socket: testVpp.apiSocket, name: 'pol-traffic' });
    ip('netns', 'add', nsA);
    ip('netns', 'add', nsB);
    sw['a'] = await attach(nsA, `pola${tag}`, '10.71.1.1', A);
    sw['b'] = await attach(nsB, `polb${tag}`, '10.71.2.1', B);
    const backend = await detectBackend(vpp);
    dp = createPolicyDataplane({ vpp }, { backend, host: { hostAddresses: [] }, npolStatePath: null });
    await dp.start();
    server = spawn('ip', [
      'netns',
      'exec',
      nsB,
      process.execPath,
      '-e',
      "require('net').createServer((s) => s.end('hello\\n')).listen(8080, '0.0.0.0', () => console.log('listening'))",
    ]);
    await new Promise<void>((resolve, reject) => {
      server!.stdout!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
      server!.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
  }, 120_000);

  afterAll(async () => {
    server?.kill('SIGKILL');
    await dp?.stop();
    await vpp?.close();
    for (const ns of [nsA, nsB]) {
      try {
        ip('netns', 'del', ns);
      } catch {
        /* not created */
      }
    }
    await testVpp?.stop();
  }, 60_000);

  it('allowed, refused after a deny, allowed again with only the reply direction open', async () => {
    const wl = (name: 'a' | 'b', addr: string, ingress: string[], egress: string[] = []) => ({
      kind: 'workload' as const,
      id: name,
      endpoint: {
        swIfIndexes: [sw[name]!],
        addresses: [addr],
        profiles: [],
        tiers: ingress.length || egress.length ? [{ name: 't', ingress, egress }] : [],
      },
    });
    let r = await dp.apply([wl('a', A, []), wl('b', B, [])]);
    expect(r.errors).toEqual([]);
    expect(connectAtoB()).toBe(true);

    r = await dp.apply([
      { kind: 'policy', id: 'deny-all', policy: { inbound: [], outbound: [] } },
      wl('b', B, ['deny-all']),
    ]);
    expect(r.errors).toEqual([]);
    expect(connectAtoB()).toBe(false);

    // B accepts A on 8080; A accepts nothing new: the replies pass only because the connection is tracked
    r = await dp.apply([
      {
        kind: 'policy',
        id: 'b-from-a',
        policy: {
          inbound: [{ action: 'allow', protocol: 6, srcNets: [`${A}/32`], dstPorts: [{ first: 8080, last: 8080 }] }],
          outbound: [],
        },
      },
      wl('b', B, ['b-from-a']),
      wl('a', A, ['deny-all']),
    ]);
    expect(r.errors).toEqual([]);
    expect(connectAtoB()).toBe(true);
  }, 60_000);
});

if (skip) {
  describe('pol TCP through a real VPP with policies', () => {
    it.skip(`skipped: ${skip}`, () => {});
  });
}
