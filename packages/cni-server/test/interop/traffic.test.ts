import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectVpp, type VppApi, type VppClient } from '@vectorplane/vpp-binapi';
import { startTestVpp, type TestVpp } from '@vectorplane/vpp-binapi/testing';
import { createNetns, type TestNetns } from '@vectorplane/netlink/testing';
import { createCniServer, type CniServer } from '../../src/index.js';
import { addReq, skipReason } from './helpers.js';

const kernelSkip = await skipReason();
const skip =
  kernelSkip ?? (process.env['VPP_BIN'] ? undefined : 'VPP_BIN is not set: no real VPP for the traffic test');
if (skip) console.log(`skip: ${skip}`);

describe.skipIf(!!skip)('traffic through a real VPP: two veth pods ping each other', () => {
  let vpp: TestVpp;
  let client: VppClient<VppApi>;
  let server: CniServer;
  let dir: string;
  const pods: TestNetns[] = [];
  beforeAll(async () => {
    vpp = await startTestVpp();
    client = await connectVpp({ socket: vpp.apiSocket });
    dir = mkdtempSync(join(tmpdir(), 'cni-traffic-'));
    server = createCniServer(
      {
        stateFile: join(dir, 'state.json'),
        socket: false,
        vppNetns: vpp.netns,
        interfaceMode: 'veth',
        hostIfPrefix: 'cnit',
      },
      { vpp: client },
    );
    await server.start();
  }, 120_000);
  afterAll(async () => {
    for (const p of server?.pods() ?? []) await server.del({ netns: p.netns, interface_name: p.interfaceName });
    await server?.stop();
    await client?.close();
    for (const p of pods) await p.remove();
    await vpp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('pod A pings pod B and back, through VPP', async () => {
    for (let i = 0; i < 2; i++) pods.push(await createNetns('vpc7'));
    const [a, b] = pods as [TestNetns, TestNetns];
    expect((await server.add(addReq(a, '10.70.0.1/32'))).error_message).toBe('');
    expect((await server.add(addReq(b, '10.70.0.2/32'))).error_message).toBe('');
    const ping = (ns: TestNetns, dst: string) =>
      spawnSync('ip', ['netns', 'exec', ns.name, 'ping', '-c', '3', '-i', '0.2', '-W', '2', dst], { encoding: 'utf8' });
    const ab = ping(a, '10.70.0.2');
    expect(ab.status, ab.stdout + ab.stderr).toBe(0);
    const ba = ping(b, '10.70.0.1');
    expect(ba.status, ba.stdout + ba.stderr).toBe(0);
    // after Del, B is gone: A's ping fails
    await server.del({ netns: b.path, interface_name: 'eth0' });
    expect(spawnSync('ip', ['netns', 'exec', a.name, 'ping', '-c', '1', '-W', '1', '10.70.0.2']).status).not.toBe(0);
  }, 60_000);
});
