/**
 * Recovery paths, with the fake VPP started as VPP (a real one with VPP_BIN): the auto-mode driver
 * fallback, a crash of the manager right after it created a Linux link (the macvlan uplink) and before it
 * captured it, and the `vpp-manager restore` command (the bin, through its shim) after the manager was
 * killed with SIGKILL, with its bad input.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listNamedNetns, openNetlink, snapshot, type InterfaceSnapshot } from '@vectorplane/netlink';
import { removeAllNetns } from '@vectorplane/netlink/testing';
import { connectVpp } from '@vectorplane/vpp-binapi';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  INDEX_INVALID,
  createVppManager,
  readState,
  restoreFromStateFile,
  type DriverRefusal,
  type ManagerConfigInput,
  type StatusRecord,
} from '../../src/index.js';
import { createUplinkTopology, pingUntil, type UplinkTopology } from '../../src/testing/index.js';
import { SKIP_REASON, linkNames, root, settledDiff, testConfig } from './helpers.js';

if (!root) console.log(`vpp-manager recovery tests skipped: ${SKIP_REASON}`);

const SHIM = fileURLToPath(new URL('../../bin/vpp-manager.js', import.meta.url));
const CRASH_CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const REFUSING_VPP = fileURLToPath(new URL('./fake-vpp-refusing.ts', import.meta.url));

interface Exit {
  readonly code: number | null;
  readonly signal: string | null;
  readonly err: string;
}

/** Node with the workspace's source condition (the shim then runs src/, never a stale dist/). */
function node(args: string[]): { p: ReturnType<typeof spawn>; exited: Promise<Exit>; stderr(): string } {
  const p = spawn(process.execPath, ['--conditions=@vectorplane/source', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<Exit>((r) => p.on('exit', (code, signal) => r({ code, signal, err })));
  return { p, exited, stderr: () => err };
}
const shim = (...args: string[]): Promise<Exit> => node([SHIM, ...args]).exited;
/** A manager (in a child) that kills itself with SIGKILL at `checkpoint`. */
const crashAt = (configFile: string, checkpoint: string): Promise<Exit> =>
  node(['--import', 'tsx', CRASH_CHILD, configFile, checkpoint]).exited;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!root)('vpp-manager recovery: driver fallback, crash points, the restore command', () => {
  let topo: UplinkTopology;
  let before: InterfaceSnapshot;
  let beforeLinks: string[];
  let env: Awaited<ReturnType<typeof testConfig>>;
  let vppNs: string;
  let stateFile: string;
  let cfgFile: string;

  beforeEach(async () => {
    topo = await createUplinkTopology('vmh');
    before = await snapshot(topo.nodeNs.nl, 'eth0');
    beforeLinks = await linkNames(topo.nodeNs.nl);
    env = await testConfig(topo.nodeNs.name, {}, 'vmh');
    vppNs = (env.config.vpp as { netns: string }).netns;
    stateFile = env.config.stateFile!;
    cfgFile = join(env.dir, 'config.json');
  });
  afterEach(async () => {
    await env.cleanup();
    await topo.remove();
  });
  afterAll(async () => {
    await removeAllNetns();
  });

  const writeConfig = (c: ManagerConfigInput): void => writeFileSync(cfgFile, JSON.stringify(c));
  const readStatus = (): StatusRecord => JSON.parse(readFileSync(env.config.statusFile!, 'utf8')) as StatusRecord;

  /** The node is as before: eth0's snapshot (MAC, MTU, addresses, routes, state), its links, no VPP netns. */
  const expectRestored = async (): Promise<void> => {
    expect(await settledDiff(topo.nodeNs.nl, 'eth0', before)).toEqual([]);
    expect(await linkNames(topo.nodeNs.nl)).toEqual(beforeLinks);
    expect(listNamedNetns()).not.toContain(vppNs);
    expect(existsSync(stateFile)).toBe(false);
    expect(await pingUntil(topo.switchNs.name, topo.nodeIp4)).toBe(true);
  };

  it('auto mode: VPP refuses af_xdp, the manager falls back to af_packet, and the refused attempt leaves nothing behind', async () => {
    const warns: string[] = [];
    const fallbacks: DriverRefusal[] = [];
    // af_xdp_create_if refuses rings below VLIB_FRAME_SIZE (256) with -7 (INVALID_VALUE); af_packet takes 128 frames per block
    const m = createVppManager(
      {
        config: {
          ...env.config,
          uplink: { interfaceName: 'eth0', driver: 'auto', rxQueueSize: 128, txQueueSize: 128 },
        },
      },
      { logger: { warn: (_f, msg) => warns.push(msg ?? '') } },
    );
    m.addEventListener('driver:fallback', (ev) => fallbacks.push((ev as CustomEvent<DriverRefusal>).detail));
    const ready = await m.start();
    try {
      // a veth has no PCI device: rdma, vmxnet3, virtio and dpdk are not candidates; af_xdp is tried first
      expect(ready.driver).toBe('af_packet');
      expect(fallbacks).toHaveLength(1);
      expect(fallbacks[0]).toMatchObject({ driver: 'af_xdp', next: 'af_packet', removed: [] });
      expect(fallbacks[0]!.reason).toMatch(/af_xdp_create_v3/);
      if (!process.env.VPP_BIN) {
        expect(fallbacks[0]).toMatchObject({ retval: -7 });
        expect(fallbacks[0]!.reason).toMatch(/VNET_API_ERROR_INVALID_VALUE/);
      }
      expect(ready.refusedDrivers).toEqual(fallbacks);
      expect(warns).toContainEqual(expect.stringMatching(/VPP refused driver af_xdp; falling back to af_packet/));
      expect(readStatus()).toMatchObject({
        status: 'ready',
        driver: 'af_packet',
        refusedDrivers: [expect.stringMatching(/^af_xdp: .*af_xdp_create_v3/)],
      });

      // VPP: the af_packet uplink and host interface, no interface of the af_xdp attempt
      const vpp = await connectVpp({ socket: join(env.dir, 'run', 'api.sock') });
      try {
        const names: string[] = [];
        for await (const i of vpp.dump('sw_interface_dump', { sw_if_index: INDEX_INVALID }))
          names.push(i.interface_name);
        expect(names.sort()).toEqual(['host-eth0', 'host-vpphost0', 'local0']);
      } finally {
        await vpp.close();
      }
      // Linux: the uplink parked once, promiscuous as af_packet needs it; nothing else in either namespace
      const vppNl = await openNetlink({ netns: vppNs });
      try {
        expect(await linkNames(vppNl)).toEqual(['eth0', 'lo', 'vpphost0']);
        expect((await vppNl.link.get('eth0')).promisc).toBe(true);
      } finally {
        vppNl.close();
      }
      expect(await linkNames(topo.nodeNs.nl)).toEqual(beforeLinks);
    } finally {
      expect((await m.stop()).failed).toEqual([]);
    }
    await expectRestored();
  });

  it.skipIf(!!process.env.VPP_BIN)(
    'auto mode where VPP refuses every candidate: DriverUnsupportedError with each refusal, the parked uplink restored',
    async () => {
      const fallbacks: DriverRefusal[] = [];
      const m = createVppManager({
        config: {
          ...env.config,
          uplink: { interfaceName: 'eth0', driver: 'auto', rxQueueSize: 128, txQueueSize: 128 },
          // a fake VPP whose af_packet can open no host interface
          vpp: {
            ...(env.config.vpp as object),
            bin: process.execPath,
            args: ['--conditions=@vectorplane/source', '--import', 'tsx', REFUSING_VPP],
          },
        } as ManagerConfigInput,
      });
      m.addEventListener('driver:fallback', (ev) => fallbacks.push((ev as CustomEvent<DriverRefusal>).detail));
      const err = await m.start().then(
        () => undefined,
        (e: unknown) => e as { name: string; code: string; driver: string; reasons: string[] },
      );
      expect(err).toMatchObject({ name: 'DriverUnsupportedError', code: 'EDRIVERUNSUPPORTED', driver: 'auto' });
      expect(err!.reasons).toEqual([
        expect.stringMatching(/^af_xdp: af_xdp_create_v3 failed/),
        expect.stringMatching(/^af_packet: af_packet_create_v3 failed/),
      ]);
      expect(fallbacks.map((f) => [f.driver, f.next])).toEqual([
        ['af_xdp', 'af_packet'],
        ['af_packet', undefined],
      ]);
      expect(readStatus()).toMatchObject({ status: 'failed', error: { name: 'DriverUnsupportedError' } });
      await expectRestored(); // the uplink had been parked in VPP's namespace: it is back, promisc off again
    },
  );

  it('a crash right after the macvlan uplink was created: `vpp-manager restore` deletes it (the intent was saved first)', async () => {
    const config: ManagerConfigInput = {
      ...env.config,
      uplink: { interfaceName: 'vmhmv0', driver: 'af_packet', macvlan: { parent: 'eth0', mode: 'bridge' } },
    };
    writeConfig(config);
    const crash = await crashAt(cfgFile, 'macvlan-created');
    expect(crash.signal, crash.err).toBe('SIGKILL');
    // what the crash left: the macvlan in Linux, and the state file that says the manager made it
    expect((await topo.nodeNs.nl.link.find('vmhmv0'))?.kind).toBe('macvlan');
    const state = await readState(stateFile);
    expect(state).toMatchObject({ phase: 'creating-macvlan', createdMacvlan: { parent: 'eth0' } });
    expect(state?.uplink.name).toBe('vmhmv0');

    const r = await shim('restore', '--config', cfgFile);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/restored from/);
    expect(await topo.nodeNs.nl.link.find('vmhmv0')).toBeUndefined();
    await expectRestored();
  });

  it('a crash right after the macvlan uplink was created: the next start deletes it, then takes the uplink', async () => {
    const config: ManagerConfigInput = {
      ...env.config,
      uplink: { interfaceName: 'vmhmv0', driver: 'af_packet', macvlan: { parent: 'eth0', mode: 'bridge' } },
    };
    writeConfig(config);
    const crash = await crashAt(cfgFile, 'macvlan-created');
    expect(crash.signal, crash.err).toBe('SIGKILL');
    expect((await topo.nodeNs.nl.link.find('vmhmv0'))?.kind).toBe('macvlan');

    const m = createVppManager({ config });
    const ready = await m.start(); // without the intent, the leftover would make the create fail (EEXIST)
    try {
      expect(ready.recovered).toBe(true);
      expect(ready.driver).toBe('af_packet');
      // one macvlan, the new one, parked in VPP's namespace
      expect(await topo.nodeNs.nl.link.find('vmhmv0')).toBeUndefined();
      const vppNl = await openNetlink({ netns: vppNs });
      try {
        expect((await vppNl.link.get('vmhmv0')).kind).toBe('macvlan');
      } finally {
        vppNl.close();
      }
    } finally {
      expect((await m.stop()).failed).toEqual([]);
    }
    await expectRestored();
  });

  it('a crash right after the host interface was created: the restore removes the twin and brings the uplink back', async () => {
    writeConfig(env.config);
    const crash = await crashAt(cfgFile, 'host-interface-created');
    expect(crash.signal, crash.err).toBe('SIGKILL');
    const state = await readState(stateFile);
    expect(state).toMatchObject({ phase: 'host-interface', hostInterface: { mode: 'veth', vppSideName: 'vpphost0' } });
    expect(alive(state!.vppPid!)).toBe(true);
    // the twin exists: eth0 in the node is the new veth, the uplink is parked in VPP's namespace
    expect((await topo.nodeNs.nl.link.get('eth0')).kind).toBe('veth');
    const vppNl = await openNetlink({ netns: vppNs });
    try {
      expect(await linkNames(vppNl)).toEqual(['eth0', 'lo', 'vpphost0']);
    } finally {
      vppNl.close();
    }
    const summary = await restoreFromStateFile(stateFile, { vppCommandMatch: join(env.dir, 'run') });
    expect(summary?.failed).toEqual([]);
    expect(alive(state!.vppPid!)).toBe(false);
    await expectRestored();
  });

  it('a crash while VPP boots: its pid was saved at spawn, so the restore stops it (no orphan VPP)', async () => {
    writeConfig(env.config);
    const crash = await crashAt(cfgFile, 'vpp-spawned');
    expect(crash.signal, crash.err).toBe('SIGKILL');
    const state = await readState(stateFile);
    expect(state?.phase).toBe('captured');
    const vppPid = state!.vppPid!;
    expect(alive(vppPid)).toBe(true);
    const summary = await restoreFromStateFile(stateFile, { vppCommandMatch: join(env.dir, 'run') });
    expect(summary?.failed).toEqual([]);
    expect(alive(vppPid)).toBe(false);
    await expectRestored();
  });

  it('a VPP binary that cannot be started: VppExitedError quoting why, uplink untouched', async () => {
    const m = createVppManager({
      config: { ...env.config, vpp: { ...(env.config.vpp as object), bin: '/nonexistent/vpp', args: [] } },
    } as { config: ManagerConfigInput });
    const err = await m.start().then(
      () => undefined,
      (e: unknown) => e as { name: string; phase: string; message: string },
    );
    expect(err).toMatchObject({ name: 'VppExitedError', code: 'EVPPEXIT', phase: 'start' });
    expect(err!.message).toMatch(/\/nonexistent\/vpp/);
    expect(readStatus()).toMatchObject({ status: 'failed', error: { name: 'VppExitedError' } });
    await expectRestored();
  });

  it('a link of the macvlan uplink name that the manager did not make is refused and never deleted', async () => {
    await topo.nodeNs.nl.link.add({ kind: 'veth', name: 'vmhmv0', peer: { name: 'vmhmv1' } });
    const m = createVppManager({
      config: {
        ...env.config,
        uplink: { interfaceName: 'vmhmv0', driver: 'af_packet', macvlan: { parent: 'eth0', mode: 'bridge' } },
      },
    });
    await expect(m.start()).rejects.toMatchObject({
      name: 'SetupError',
      step: 'create macvlan',
      message: expect.stringMatching(/a link named vmhmv0 already exists/),
    });
    expect((await topo.nodeNs.nl.link.get('vmhmv0')).kind).toBe('veth');
    expect(existsSync(stateFile)).toBe(false);
    await topo.nodeNs.nl.link.delete('vmhmv0');

    // a parent that does not exist: the kernel's refusal, named by the step; the intent is undone
    const m2 = createVppManager({
      config: {
        ...env.config,
        uplink: { interfaceName: 'vmhmv0', driver: 'af_packet', macvlan: { parent: 'vmhnone0', mode: 'bridge' } },
      },
    });
    const err = await m2.start().then(
      () => undefined,
      (e: unknown) => e as { name: string; step: string; cause: { code?: string } },
    );
    expect(err).toMatchObject({ name: 'SetupError', step: 'create macvlan' });
    expect(err!.cause.code).toBe('ENODEV');
    expect(existsSync(stateFile)).toBe(false);
    await expectRestored();
  });

  it('a driver that cannot run on this host (virtio on a veth) is refused with its reasons before VPP starts', async () => {
    const m = createVppManager({ config: { ...env.config, uplink: { interfaceName: 'eth0', driver: 'virtio' } } });
    const err = await m.start().then(
      () => undefined,
      (e: unknown) => e as { name: string; code: string; driver: string; reasons: string[] },
    );
    expect(err).toMatchObject({ name: 'DriverUnsupportedError', code: 'EDRIVERUNSUPPORTED', driver: 'virtio' });
    expect(err!.reasons).toContainEqual('virtio: eth0 is not a PCI device (kind veth)');
    expect(m.vppPid).toBeUndefined(); // VPP was never started
    await expectRestored();
  });

  it('`vpp-manager restore` after the manager was killed with SIGKILL: the uplink is back with its addresses, routes, MTU and MAC; VPP, its netns and the host interface are gone', async () => {
    writeConfig(env.config);
    const run = node([SHIM, 'run', '--config', cfgFile]);
    const end = Date.now() + 30_000;
    let st: StatusRecord | undefined;
    while (Date.now() < end) {
      try {
        st = readStatus();
        if (st.status === 'ready' || st.status === 'failed') break;
      } catch {
        // not written yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(st?.status, run.stderr()).toBe('ready');
    run.p.kill('SIGKILL'); // no clean-up: VPP (its child) keeps running and holds the uplink
    expect((await run.exited).signal).toBe('SIGKILL');
    const vppPid = st!.vppPid!;
    expect(alive(vppPid)).toBe(true);
    expect(existsSync(stateFile)).toBe(true);
    expect(listNamedNetns()).toContain(vppNs);
    // Linux has the twin: the uplink's name on a veth whose peer is VPP's vpphost0
    const vppNl = await openNetlink({ netns: vppNs });
    try {
      expect(await linkNames(vppNl)).toEqual(['eth0', 'lo', 'vpphost0']);
    } finally {
      vppNl.close();
    }

    const r = await shim('restore', '--config', cfgFile);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/restored from/);
    expect(alive(vppPid)).toBe(false); // the orphaned VPP was killed before the uplink was moved back
    await expectRestored();
    const now = await topo.nodeNs.nl.link.get('eth0');
    expect({ mac: now.mac, mtu: now.mtu }).toEqual({ mac: before.link.mac, mtu: before.link.mtu });

    // once more: nothing to restore
    const again = await shim('restore', '--config', cfgFile);
    expect(again.code).toBe(3);
    expect(again.err).toContain(`no state file at ${stateFile}: nothing to restore`);
  });

  it('`vpp-manager restore` with a corrupt state file: exit 4 naming the file, which is kept; nothing changes; start() refuses too', async () => {
    writeConfig(env.config);
    const torn = '{"version": 1, "uplink": {"name": "eth0", ';
    writeFileSync(stateFile, torn);
    const r = await shim('restore', '--config', cfgFile);
    expect(r.code).toBe(4);
    expect(r.err).toContain(`state file ${stateFile}: not valid JSON`);
    expect(r.err).toContain('nothing was changed');
    expect(readFileSync(stateFile, 'utf8')).toBe(torn);

    // bad usage: a configuration file that is not JSON
    writeFileSync(join(env.dir, 'bad.json'), 'uplink: eth0');
    const r2 = await shim('restore', '--config', join(env.dir, 'bad.json'));
    expect(r2.code).toBe(2);
    expect(r2.err).toContain(`cannot read ${join(env.dir, 'bad.json')}`);

    // a JSON file that is not a state: the manager's own start refuses it, and touches nothing
    const alien = '{"hello": "world"}\n';
    writeFileSync(stateFile, alien);
    const m = createVppManager({ config: env.config });
    await expect(m.start()).rejects.toMatchObject({
      name: 'StateFileError',
      code: 'ESTATE',
      path: stateFile,
      message: expect.stringContaining('not a vpp-manager state'),
    });
    expect(m.status).toBe('failed');
    expect(readStatus()).toMatchObject({ status: 'failed', error: { name: 'StateFileError', code: 'ESTATE' } });
    expect(readFileSync(stateFile, 'utf8')).toBe(alien);
    expect(await settledDiff(topo.nodeNs.nl, 'eth0', before, 0)).toEqual([]);
    expect(await linkNames(topo.nodeNs.nl)).toEqual(beforeLinks);
    expect(listNamedNetns()).not.toContain(vppNs);
  });
});
