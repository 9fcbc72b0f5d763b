import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listNamedNetns, snapshot, type InterfaceSnapshot } from '@vectorplane/netlink';
import { removeAllNetns } from '@vectorplane/netlink/testing';
import { connectVpp } from '@vectorplane/vpp-binapi';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVppManager, type ManagerConfigInput, type StatusRecord } from '../../src/index.js';
import { createUplinkTopology, pingUntil, type UplinkTopology } from '../../src/testing/index.js';
import { SKIP_REASON, linkNames, root, settledDiff, testConfig } from './helpers.js';

if (!root) console.log(`vpp-manager interop tests skipped: ${SKIP_REASON}`);

const BIN = fileURLToPath(new URL('../../src/bin/vpp-manager.ts', import.meta.url));

describe.skipIf(!root)('vpp-manager against the kernel and a VPP started as VPP', () => {
  let topo: UplinkTopology;
  let before: InterfaceSnapshot;
  let beforeLinks: string[];
  let env: Awaited<ReturnType<typeof testConfig>>;

  beforeEach(async () => {
    topo = await createUplinkTopology('vpm');
    before = await snapshot(topo.nodeNs.nl, 'eth0');
    beforeLinks = await linkNames(topo.nodeNs.nl);
    env = await testConfig(topo.nodeNs.name);
  });
  afterEach(async () => {
    await env.cleanup();
    await topo.remove();
  });
  afterAll(async () => {
    await removeAllNetns();
  });

  /** The node's configuration is as before the run, and it answers ping from the switch. */
  const expectRestored = async (): Promise<void> => {
    expect(await settledDiff(topo.nodeNs.nl, 'eth0', before)).toEqual([]);
    expect(await linkNames(topo.nodeNs.nl)).toEqual(beforeLinks);
    expect((await topo.nodeNs.nl.link.get('eth0')).kind).toBe('veth');
    expect(listNamedNetns()).not.toContain((env.config.vpp as { netns: string }).netns);
    expect(existsSync(env.config.stateFile!)).toBe(false);
    expect(await pingUntil(topo.switchNs.name, topo.nodeIp4)).toBe(true);
    expect(await pingUntil(topo.switchNs.name, topo.nodeIp6)).toBe(true);
  };

  it('takes the uplink into VPP, gives Linux its twin, and restores it when VPP is killed with SIGKILL', async () => {
    const manager = createVppManager({ config: env.config });
    const statuses: string[] = [];
    manager.addEventListener('status', (ev) => statuses.push((ev as CustomEvent<StatusRecord>).detail.status));
    const ready = await manager.start();
    expect(ready.driver).toBe('af_packet');
    expect(ready.hostMode).toBe('veth'); // no /dev/vhost-net here
    expect(ready.recovered).toBe(false);
    const st = JSON.parse(readFileSync(env.config.statusFile!, 'utf8')) as StatusRecord;
    expect(st).toMatchObject({
      status: 'ready',
      vppPid: ready.vppPid,
      uplinkSwIfIndex: ready.uplinkSwIfIndex,
      hostMode: 'veth',
    });

    // Linux: the host interface has the uplink's name, MAC, MTU, addresses and routes …
    const nl = topo.nodeNs.nl;
    const host = await nl.link.get('eth0');
    expect(host.mac).toBe(before.link.mac);
    expect(host.mtu).toBe(before.link.mtu);
    const now = await snapshot(nl, 'eth0');
    expect(now.addresses.map((a) => a.address).sort()).toEqual(before.addresses.map((a) => a.address).sort());
    for (const r of before.routes.filter((x) => x.protocol !== 'kernel')) expect(now.routes).toContainEqual(r);
    // … and routes to the pod CIDR and service prefixes at MTU − 60, via the next hop Calico/VPP picks
    const mainRoutes: { dst: string; gateway?: string; metrics?: { mtu?: number } }[] = [];
    for await (const r of nl.route.list({ family: 'inet' })) mainRoutes.push(r);
    for await (const r of nl.route.list({ family: 'inet6' })) mainRoutes.push(r);
    for (const dst of ['10.244.0.0/16', '10.96.0.0/12'])
      expect(mainRoutes.find((r) => r.dst === dst)).toMatchObject({ gateway: '192.0.2.254', metrics: { mtu: 1440 } });
    expect(mainRoutes.find((r) => r.dst === 'fd00:96::/108')).toMatchObject({ metrics: { mtu: 1440 } });
    // the uplink itself is parked in VPP's namespace
    expect(await nl.link.find('vpphost0')).toBeUndefined();

    // VPP: the uplink, its addresses and routes, the VRFs and the punt configuration
    const vpp = await connectVpp({ socket: join(env.dir, 'run', 'api.sock') });
    try {
      const itfs = new Map<number, { name: string; flags: number }>();
      for await (const i of vpp.dump('sw_interface_dump', { sw_if_index: 0xffffffff }))
        itfs.set(i.sw_if_index, { name: i.interface_name, flags: i.flags });
      expect(itfs.get(ready.uplinkSwIfIndex)?.name).toBe('host-eth0');
      expect(itfs.get(ready.uplinkSwIfIndex)!.flags & 1).toBe(1);
      expect(itfs.get(ready.hostSwIfIndex)?.name).toBe('host-vpphost0');
      const addrs: string[] = [];
      for (const is_ipv6 of [false, true])
        for await (const a of vpp.dump('ip_address_dump', { sw_if_index: ready.uplinkSwIfIndex, is_ipv6 }))
          addrs.push(a.prefix);
      expect(addrs.sort()).toEqual(['192.0.2.10/24', '2001:db8::10/64']);
      const tables: string[] = [];
      for (const is_ip6 of [false, true])
        for await (const t of vpp.dump('ip_table_dump', {}))
          if (t.table.is_ip6 === is_ip6) tables.push(`${is_ip6 ? 6 : 4}:${t.table.table_id}`);
      for (const t of ['4:1', '4:2', '6:1', '6:2']) expect(tables).toContain(t);
      const routes: { prefix: string; via: string[] }[] = [];
      for await (const r of vpp.dump('ip_route_dump', { table: { table_id: 0, is_ip6: false, name: '' } })) {
        routes.push({
          prefix: r.route.prefix,
          via: r.route.paths.map((p) => (p.nh.address as { ip4?: string }).ip4 ?? ''),
        });
      }
      expect(routes).toContainEqual({ prefix: '198.51.100.0/24', via: ['192.0.2.254'] });
      expect(routes).toContainEqual({ prefix: '0.0.0.0/0', via: ['192.0.2.1'] });
      const punts: { af: number; nh: unknown }[] = [];
      for (const is_ipv6 of [false, true]) {
        for await (const p of vpp.dump('ip_punt_redirect_v2_dump', { sw_if_index: 0xffffffff, af: is_ipv6 ? 1 : 0 })) {
          punts.push({ af: p.punt.af, nh: p.punt.paths[0]?.nh.address });
        }
      }
      expect(punts).toContainEqual({ af: 0, nh: expect.objectContaining({ ip4: '169.254.0.1' }) });
      expect(punts).toContainEqual({
        af: 1,
        nh: expect.objectContaining({ ip6: 'fc00:ffff:ffff:ffff:ca11:c000:fd10:fffe' }),
      });
      const unnumbered: { sw_if_index: number; ip_sw_if_index: number }[] = [];
      for await (const u of vpp.dump('ip_unnumbered_dump', { sw_if_index: 0xffffffff }))
        unnumbered.push({ sw_if_index: u.sw_if_index, ip_sw_if_index: u.ip_sw_if_index });
      expect(unnumbered).toContainEqual({ sw_if_index: ready.hostSwIfIndex, ip_sw_if_index: ready.uplinkSwIfIndex });
    } finally {
      await vpp.close();
    }

    if (process.env.VPP_BIN) {
      // a real VPP forwards: the node reaches the switch through VPP, and the switch reaches the node
      expect(await pingUntil(topo.nodeNs.name, topo.switchIp4)).toBe(true);
      expect(await pingUntil(topo.switchNs.name, topo.nodeIp4)).toBe(true);
    }

    // Deleting a cluster route: the manager puts it back
    await nl.route.delete({ dst: '10.244.0.0/16' });
    let back = false;
    for (let i = 0; i < 100 && !back; i++) {
      await new Promise((r) => setTimeout(r, 20));
      for await (const r of nl.route.list({ family: 'inet' })) if (r.dst === '10.244.0.0/16') back = true;
    }
    expect(back).toBe(true);

    // VPP dies with SIGKILL: the uplink comes back exactly as it was
    process.kill(ready.vppPid, 'SIGKILL');
    const summary = await manager.done;
    expect(summary.failed).toEqual([]);
    expect(summary.vppExit?.signal).toBe('SIGKILL');
    expect(statuses).toEqual(['starting', 'ready', 'restoring', 'restored']);
    await expectRestored();
  });

  const runBin = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const p = spawn(process.execPath, ['--conditions=@vectorplane/source', '--import', 'tsx', BIN, ...args], {
      env: { ...process.env, ...extraEnv },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null; err: string }>((r) =>
      p.on('exit', (code, signal) => r({ code, signal, err })),
    );
    return { p, exited };
  };
  const waitStatus = async (want: string, ms = 30_000): Promise<StatusRecord> => {
    const end = Date.now() + ms;
    for (;;) {
      try {
        const s = JSON.parse(readFileSync(env.config.statusFile!, 'utf8')) as StatusRecord;
        if (s.status === want) return s;
        if (s.status === 'failed') throw new Error(`manager failed: ${JSON.stringify(s.error)}`);
      } catch (e) {
        if ((e as Error).message.startsWith('manager failed')) throw e;
      }
      if (Date.now() > end) throw new Error(`status ${want} not reached`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('restores the uplink when the manager gets SIGTERM (SIGINT to VPP, then restore)', async () => {
    const cfgFile = join(env.dir, 'config.json');
    writeFileSync(cfgFile, JSON.stringify(env.config));
    const run = runBin(['run', '--config', cfgFile]);
    const st = await waitStatus('ready');
    expect(await nlHasParkedUplink(st)).toBe(true);
    run.p.kill('SIGTERM');
    const ex = await run.exited;
    expect(ex.code, ex.err).toBe(0);
    await expectRestored();
    async function nlHasParkedUplink(s: StatusRecord): Promise<boolean> {
      return s.vppPid !== undefined && (await topo.nodeNs.nl.link.get('eth0')).mac === before.link.mac;
    }
  });

  it('after a crash of the manager itself, the next start restores from the state file', async () => {
    const cfgFile = join(env.dir, 'config.json');
    writeFileSync(cfgFile, JSON.stringify(env.config));
    const run = runBin(['run', '--config', cfgFile]);
    const st = await waitStatus('ready');
    run.p.kill('SIGKILL'); // the manager dies; VPP (its child) keeps running and holds the uplink
    await run.exited;
    expect(existsSync(env.config.stateFile!)).toBe(true);
    expect(st.vppPid).toBeGreaterThan(0);
    // the next start finds the state file: it stops the orphaned VPP and restores the uplink first
    const next = createVppManager({ config: env.config });
    const again = await next.start();
    expect(again.recovered).toBe(true);
    expect(again.vppPid).not.toBe(st.vppPid);
    let alive = true;
    try {
      process.kill(st.vppPid!, 0);
    } catch {
      alive = false;
    }
    expect(alive).toBe(false); // the orphaned VPP was stopped before the uplink was taken back
    expect((await next.stop()).ok).toBe(true);
    await expectRestored();
  });

  it('a VPP that never opens its socket: VppStartError, uplink restored', async () => {
    const m = createVppManager({
      config: {
        ...env.config,
        vpp: { ...(env.config.vpp as object), bin: 'sh', args: ['-c', 'sleep 30', 'sh'], readyTimeoutMs: 700 },
      } as ManagerConfigInput,
    });
    await expect(m.start()).rejects.toMatchObject({ name: 'VppStartError', code: 'EVPPSTART' });
    expect(m.status).toBe('failed');
    await expectRestored();
  });

  it.skipIf(!!process.env.VPP_BIN)('a VPP that dies during set-up: VppExitedError, uplink restored', async () => {
    const m = createVppManager({
      config: {
        ...env.config,
        vpp: { ...(env.config.vpp as object), env: { VPP_FAKE_CRASH_AFTER: '12' } },
      } as ManagerConfigInput,
    });
    const err = await m.start().then(
      () => undefined,
      (e: unknown) => e as { name: string; code: string; phase: string; signal: string },
    );
    expect(err).toMatchObject({ name: 'VppExitedError', code: 'EVPPEXIT', signal: 'SIGKILL' });
    const st = JSON.parse(readFileSync(env.config.statusFile!, 'utf8')) as StatusRecord;
    expect(st).toMatchObject({ status: 'failed', error: { name: 'VppExitedError' } });
    await expectRestored();
  });

  it.skipIf(!!process.env.VPP_BIN)(
    'tap mode where tap_create_v3 fails (no vhost-net: -11): SetupError naming the step, uplink restored',
    async () => {
      const m = createVppManager({ config: { ...env.config, hostInterface: { mode: 'tap' } } as ManagerConfigInput });
      const err = await m.start().then(
        () => undefined,
        (e: unknown) => e as { name: string; step: string; cause: { retval: number } },
      );
      expect(err).toMatchObject({ name: 'SetupError', step: 'host tap' });
      expect(err?.cause.retval).toBe(-11);
      await expectRestored();
    },
  );

  const capsh = spawnSync('sh', ['-c', 'command -v capsh']).status === 0;
  it.skipIf(!capsh)('without CAP_SYS_ADMIN and CAP_IPC_LOCK the manager names them and touches nothing', async () => {
    const cfgFile = join(env.dir, 'config.json');
    writeFileSync(cfgFile, JSON.stringify({ ...env.config, checkCapabilities: true }));
    const node = [
      process.execPath,
      '--conditions=@vectorplane/source',
      '--import',
      'tsx',
      BIN,
      'run',
      '--config',
      cfgFile,
    ];
    const p = spawn('capsh', ['--drop=cap_sys_admin,cap_ipc_lock', '--', '-c', 'exec "$@"', 'sh', ...node], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => p.on('exit', r));
    expect(code).toBe(1);
    expect(err).toMatch(/missing capabilities: CAP_SYS_ADMIN, CAP_IPC_LOCK/);
    const st = JSON.parse(readFileSync(env.config.statusFile!, 'utf8')) as StatusRecord;
    expect(st).toMatchObject({ status: 'failed', error: { name: 'CapabilityError', code: 'ECAPS' } });
    expect(await settledDiff(topo.nodeNs.nl, 'eth0', before, 0)).toEqual([]);
    expect(existsSync(env.config.stateFile!)).toBe(false);
  });

  it('a missing uplink and an uplink without addresses are refused before anything changes', async () => {
    const m1 = createVppManager({
      config: { ...env.config, uplink: { interfaceName: 'nosuch0' } } as ManagerConfigInput,
    });
    await expect(m1.start()).rejects.toMatchObject({ name: 'UplinkNotFoundError', interfaceName: 'nosuch0' });
    await topo.nodeNs.nl.link.add({ kind: 'veth', name: 'bare0', peer: { name: 'bare1' }, up: true });
    const m2 = createVppManager({
      config: { ...env.config, uplink: { interfaceName: 'bare0' } } as ManagerConfigInput,
    });
    await expect(m2.start()).rejects.toMatchObject({ name: 'UplinkNoAddressError', code: 'ENOADDR' });
    await topo.nodeNs.nl.link.delete('bare0');
    expect(existsSync(env.config.stateFile!)).toBe(false);
    await expectRestored();
  });
});
