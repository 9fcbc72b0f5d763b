import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectVpp, type VppApi, type VppClient } from '@vectorplane/vpp-binapi';
import { startFakeVpp, type FakeVpp, type FakeVppInit } from '@vectorplane/vpp-binapi/testing';
import { createNetns, kernelSkipReason, type TestNetns } from '@vectorplane/netlink/testing';
import { openNetlink, type NetlinkHandle } from '@vectorplane/netlink';
import { createCniServer, type CniServer, type CniServerInit, type CniVpp } from '../../src/index.js';

export const PREFIX = 'vpc7';

export interface Bed {
  readonly fake: FakeVpp | undefined;
  readonly vpp: VppClient<VppApi>;
  readonly vppNs: TestNetns;
  /** A handle where the veth host ends go (VPP's netns: VPP_NETNS for a real VPP, vppNs for the fake). */
  readonly hostNl: NetlinkHandle;
  readonly dir: string;
  readonly stateFile: string;
  readonly socket: string;
  server: CniServer;
  /** A server on the bed's config; `vpp` replaces the bed's client (e.g. a wrapper that injects a crash). */
  newServer(extra?: Partial<CniServerInit>, vpp?: CniVpp): CniServer;
  /** Prefix of the veth host names the bed's servers generate. */
  readonly hostIfPrefix: string;
  pod(): Promise<TestNetns>;
  close(): Promise<void>;
}

/** Skip reason for kernel tests (one line), or undefined. */
export async function skipReason(): Promise<string | undefined> {
  return kernelSkipReason();
}

/** A fake VPP (or the real one at VPP_API_SOCKET), a netns standing for VPP's, and a server. */
export async function startBed(
  opts: { fake?: FakeVppInit; server?: Partial<CniServerInit>; real?: boolean } = {},
): Promise<Bed> {
  const realSocket = opts.real ? process.env['VPP_API_SOCKET'] : undefined;
  const fake = realSocket ? undefined : await startFakeVpp(opts.fake ?? {});
  const vpp = await connectVpp({
    socket: realSocket ?? fake!.socketPath,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100, healthIntervalMs: 200 },
  });
  const vppNs = await createNetns(PREFIX);
  const dir = mkdtempSync(join(tmpdir(), 'cni-test-'));
  const stateFile = join(dir, 'state.json');
  const socket = join(dir, 'cni.sock');
  const pods: TestNetns[] = [];
  // a real VPP opens af_packet netdevs in its own netns: VPP_NETNS names it (default: ours); the fake has no
  // kernel side, so a throwaway netns stands in for VPP's
  const vppNetns = realSocket ? process.env['VPP_NETNS'] : vppNs.name;
  const base = {
    stateFile,
    socket,
    vppNetns,
    interfaceMode: 'veth' as const,
    nodeIps: { ip4: '192.0.2.10' },
    ...(realSocket ? { hostIfPrefix: 'cnih' } : {}),
    ...opts.server,
  };
  const hostNl = realSocket ? await openNetlink({ netns: vppNetns }) : vppNs.nl;
  const bed: Bed = {
    fake,
    vpp,
    vppNs,
    hostNl,
    dir,
    stateFile,
    socket,
    server: createCniServer(base, { vpp }),
    newServer: (extra = {}, other?: CniVpp) => createCniServer({ ...base, ...extra }, { vpp: other ?? vpp }),
    hostIfPrefix: realSocket ? 'cnih' : 'vpcni',
    async pod() {
      const ns = await createNetns(PREFIX);
      pods.push(ns);
      return ns;
    },
    async close() {
      await bed.server.stop().catch(() => undefined);
      await vpp.close().catch(() => undefined);
      await fake?.stop();
      if (realSocket) hostNl.close();
      for (const p of pods) await p.remove().catch(() => undefined);
      await vppNs.remove().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return bed;
}

export function addReq(ns: TestNetns, ip: string, extra: Record<string, unknown> = {}) {
  return {
    interface_name: 'eth0',
    netns: ns.path,
    container_ips: [{ address: ip, gateway: '' }],
    container_routes: [],
    workload: { name: 'p', namespace: 'default', labels: { app: 'x' }, annotations: {}, ports: [] },
    ...extra,
  };
}

export async function collectUntil<T>(it: AsyncIterable<T>, n: number, ms = 5000): Promise<T[]> {
  const out: T[] = [];
  const timer = new Promise<void>((r) => setTimeout(r, ms));
  const reader = (async () => {
    for await (const ev of it) {
      out.push(ev);
      if (out.length >= n) return;
    }
  })();
  await Promise.race([reader, timer]);
  return out;
}
