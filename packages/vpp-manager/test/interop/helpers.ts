import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  diffSnapshots,
  listNamedNetns,
  snapshot,
  type InterfaceSnapshot,
  type NetlinkHandle,
} from '@vectorplane/netlink';
import { vppFakeCommand } from '@vectorplane/vpp-binapi/testing';
import type { ManagerConfigInput } from '../../src/index.js';

export const root = process.getuid?.() === 0;
export const SKIP_REASON = root ? '' : 'needs root (network namespaces)';

/** Configuration for a test run: VPP is the real one with VPP_BIN, else the vpp-fake bin started as VPP. */
export async function testConfig(
  nodeNs: string,
  extra: Partial<ManagerConfigInput> = {},
  prefix = 'vpm',
): Promise<{ config: ManagerConfigInput; dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-mgr-`));
  const fake = vppFakeCommand();
  const vppNs = `${prefix}-vpp-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
  const real = process.env.VPP_BIN;
  const config: ManagerConfigInput = {
    netns: nodeNs,
    uplink: { interfaceName: 'eth0', driver: 'af_packet' },
    vpp: {
      ...(real ? { bin: real } : { bin: fake.command, args: fake.args }),
      netns: vppNs,
      runtimeDir: join(dir, 'run'),
      stopGraceMs: real ? 10_000 : 3_000,
      readyTimeoutMs: real ? 60_000 : 20_000,
      hugepages: false,
      ...(extra.vpp ?? {}),
    },
    stateFile: join(dir, 'state.json'),
    statusFile: join(dir, 'status.json'),
    podCidrs: ['10.244.0.0/16'],
    servicePrefixes: ['10.96.0.0/12', 'fd00:96::/108'],
    checkCapabilities: false,
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'vpp')),
  };
  return {
    config,
    dir,
    async cleanup() {
      if (listNamedNetns().includes(vppNs))
        await import('@vectorplane/netlink').then((m) => m.deleteNamedNetns(vppNs)).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until the snapshot of `ifname` matches `before` (IPv6 kernel routes settle a moment after up). */
export async function settledDiff(
  nl: NetlinkHandle,
  ifname: string,
  before: InterfaceSnapshot,
  ms = 5000,
): Promise<ReturnType<typeof diffSnapshots>> {
  const end = Date.now() + ms;
  for (;;) {
    let d: ReturnType<typeof diffSnapshots>;
    try {
      d = diffSnapshots(before, await snapshot(nl, ifname));
    } catch (e) {
      d = [{ path: 'snapshot', a: undefined, b: (e as Error).message }];
    }
    if (d.length === 0 || Date.now() > end) return d;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Names of the links of a namespace, sorted. */
export async function linkNames(nl: NetlinkHandle): Promise<string[]> {
  return (await nl.link.list()).map((l) => l.name).sort();
}
