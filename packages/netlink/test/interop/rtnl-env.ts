/**
 * Set-up for the rtnetlink family interop tests: a namespace from `createNetns()` (unique name, removed
 * even when a test fails, and at process exit as a last resort), links made with iproute2 inside it,
 * and its handle. Not a test file.
 */
import { execFileSync } from 'node:child_process';
import type { NetlinkHandle } from '../../src/handle.js';
import { createNetns, kernelSkipReason } from '../../src/testing/index.js';

export { collect } from '../addr-helpers.js';

/** Why the kernel tests cannot run here (one line), or undefined when they can. */
export const skipReason = kernelSkipReason;

export interface NsEnv {
  readonly ns: string;
  readonly nl: NetlinkHandle;
  /** Runs `ip -n <ns> ...args` and returns stdout. */
  ip(...args: string[]): string;
  /** `ip -j -n <ns> ...args`, parsed. */
  ipJson<T = unknown>(...args: string[]): T;
  /** Runs any command inside the namespace. */
  exec(cmd: string, ...args: string[]): string;
  /** Closes the handle and deletes the namespace; idempotent. */
  close(): Promise<void>;
}

const run = (cmd: string, args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Creates a namespace named after `tag`, runs each `ip` command of `setup` in it, and returns it. */
export async function createEnv(tag: string, setup: readonly string[][] = []): Promise<NsEnv> {
  const t = await createNetns(`vp-${tag}`);
  const ns = t.name;
  try {
    for (const args of setup) run('ip', ['-n', ns, ...args]);
  } catch (e) {
    await t.remove();
    throw e;
  }
  return {
    ns,
    nl: t.nl,
    ip: (...args) => run('ip', ['-n', ns, ...args]),
    ipJson: <T>(...args: string[]) => JSON.parse(run('ip', ['-j', '-n', ns, ...args]) || 'null') as T,
    exec: (cmd, ...args) => run('ip', ['netns', 'exec', ns, cmd, ...args]),
    close: () => t.remove(),
  };
}

/** Link-creation commands for a veth pair `a`/`b`, both up. */
export const vethPair = (a: string, b: string): string[][] => [
  ['link', 'add', a, 'type', 'veth', 'peer', 'name', b],
  ['link', 'set', a, 'up'],
  ['link', 'set', b, 'up'],
];
