/**
 * What the bench scripts share: a VPP for the server (the fake as a child process, or a real one with VPP_BIN),
 * a client, a netns for VPP's side of the veths, a state dir, and their removal; and the wait for a burst's
 * veths to be gone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectVpp } from '@vectorplane/vpp-binapi';
import { startTestVpp, type TestVpp } from '@vectorplane/vpp-binapi/testing';
import { createNetns, removeAllNetns, type TestNetns } from '@vectorplane/netlink/testing';
import type { NetlinkHandle } from '@vectorplane/netlink';

export interface BenchEnv {
  readonly testVpp: TestVpp;
  readonly vpp: Awaited<ReturnType<typeof connectVpp>>;
  readonly vppNs: TestNetns;
  /** A fresh temporary dir (the state file goes there). */
  readonly dir: string;
  /** Stops the VPP, removes every namespace the bench made and the dir. */
  close(): Promise<void>;
}

/** Starts the VPP, connects (`maxInFlight` as given, else the client's default), makes the netns and the dir. */
export async function startBenchEnv(prefix: string, opts: { maxInFlight?: number } = {}): Promise<BenchEnv> {
  const testVpp = await startTestVpp();
  const vpp = await connectVpp({
    socket: testVpp.apiSocket,
    ...(opts.maxInFlight === undefined ? {} : { maxInFlight: opts.maxInFlight }),
  });
  const vppNs = await createNetns(prefix);
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return {
    testVpp,
    vpp,
    vppNs,
    dir,
    async close() {
      await vpp.close();
      await testVpp.stop();
      await vppNs.remove();
      await removeAllNetns();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Resolves once no link whose name starts with `prefix` is left in `nl`'s netns (at most 3 s), then 50 ms more
 * for the work the kernel defers. A Del answers before its veth is gone (the veths of a burst go in one group
 * delete once Dels stop arriving), so a burst that does not wait shares the CPU with the last one's teardown.
 */
export async function vethsGone(nl: NetlinkHandle, prefix: string): Promise<void> {
  const end = performance.now() + 3000;
  while (performance.now() < end) {
    if (!(await nl.link.list()).some((l) => l.name.startsWith(prefix))) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 50));
}
