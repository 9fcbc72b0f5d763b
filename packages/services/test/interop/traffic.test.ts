/**
 * A real TCP connection through a real VPP: a client network namespace connects to a ClusterIP and
 * reaches a backend namespace, both joined to VPP by veth + af_packet. Runs only with VPP_BIN (a real
 * VPP 26.06, started by startTestVpp() in its own namespace) and as root; skips with one line otherwise.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connectVpp, type VppApi, type VppClient } from '@vectorplane/vpp-binapi';
import { afPacketWithAddress, startTestVpp, type TestVpp } from '@vectorplane/vpp-binapi/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../src/index.js';
import { endpoint, makeService, makeSlice } from '../../src/testing/index.js';

const skip = !process.env.VPP_BIN
  ? 'VPP_BIN is not set (a real VPP binary is needed for traffic)'
  : process.getuid?.() !== 0
    ? 'not root (network namespaces and veths are needed)'
    : undefined;

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });

describe.skipIf(skip !== undefined)('ClusterIP traffic through a real VPP', () => {
  const tag = randomBytes(3).toString('hex');
  const client = `svc-cli-${tag}`;
  const backend = `svc-be-${tag}`;
  let testVpp: TestVpp;
  let vpp: VppClient<VppApi>;
  let services: Services;
  let server: ChildProcess | undefined;

  async function attach(ns: string, hostIf: string, vppAddr: string, podAddr: string): Promise<number> {
    // veth: one end in VPP's namespace (af_packet binds it), the other as eth0 in the pod namespace
    ip('-n', testVpp.netns!, 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    ip('-n', testVpp.netns!, 'link', 'set', hostIf, 'up');
    const sw_if_index = await afPacketWithAddress(vpp, hostIf, `${vppAddr}/24`);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', ns, 'addr', 'add', `${podAddr}/24`, 'dev', 'eth0');
    ip('-n', ns, 'route', 'add', 'default', 'via', vppAddr);
    return sw_if_index;
  }

  beforeAll(async () => {
    testVpp = await startTestVpp();
    vpp = await connectVpp({ socket: testVpp.apiSocket, name: 'svc-traffic' });
    ip('netns', 'add', client);
    ip('netns', 'add', backend);
    const pods = [
      await attach(client, `svcc${tag}`, '10.61.1.1', '10.61.1.2'),
      await attach(backend, `svcb${tag}`, '10.61.2.1', '10.61.2.2'),
    ];
    services = createServices(
      {
        node: { name: 'node-a', addresses: ['10.61.1.1'] },
        serviceCidrs: ['10.96.0.0/12'],
        snat: { podCidrs: ['10.61.0.0/16'] },
      },
      { vpp },
    );
    await services.start();
    // as a node registers its pod interfaces: pod-to-pod traffic through a Service is not source-NATed
    for (const sw of pods) await services.registerInterface(sw, 'pod');
  }, 120_000);

  afterAll(async () => {
    server?.kill('SIGKILL');
    await services?.stop();
    await vpp?.close();
    for (const ns of [client, backend]) {
      try {
        ip('netns', 'del', ns);
      } catch {
        /* not created */
      }
    }
    await testVpp?.stop(); // removes VPP's namespace and the veth ends in it
  }, 60_000);

  it('a TCP connection to the ClusterIP reaches the backend', async () => {
    server = spawn('ip', [
      'netns',
      'exec',
      backend,
      process.execPath,
      '-e',
      "require('net').createServer((s) => s.end('hello from the backend\\n')).listen(8080, '0.0.0.0', () => console.log('listening'))",
    ]);
    await new Promise<void>((resolve, reject) => {
      server!.stdout!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
      server!.once('exit', (code) => reject(new Error(`backend server exited with ${code}`)));
    });
    services.upsertService(
      makeService({
        clusterIP: '10.96.0.50',
        clusterIPs: ['10.96.0.50'],
        ports: [{ name: 'http', port: 80, targetPort: 8080 }],
      }),
    );
    services.upsertEndpointSlice(makeSlice({ endpoints: [endpoint('10.61.2.2', 'node-a')] }));
    const r = await services.sync();
    expect(r.failed).toEqual([]);
    const out = execFileSync(
      'ip',
      [
        'netns',
        'exec',
        client,
        process.execPath,
        '-e',
        "const s = require('net').connect(80, '10.96.0.50'); let b = ''; s.on('data', (d) => (b += d)); s.on('end', () => { process.stdout.write(b); process.exit(0); }); s.on('error', (e) => { console.error(e.message); process.exit(1); }); setTimeout(() => process.exit(2), 10000);",
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(out).toBe('hello from the backend\n');
  }, 60_000);
});

if (skip) {
  describe('ClusterIP traffic through a real VPP', () => {
    it.skip(`skipped: ${skip}`, () => {});
  });
}
