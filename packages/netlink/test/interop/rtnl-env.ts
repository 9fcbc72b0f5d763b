/**
 * Set-up for the rtnetlink family interop tests: a namespace with a unique name, links made with
 * iproute2, and an rtnetlink handle inside it; `close()` removes everything even after a failure.
 * Not a test file.
 */
import { execFileSync } from 'node:child_process';
import { native } from '../../src/native.js';
import { openNetlink, type NetlinkHandle } from '../../src/handle.js';

/** Why the kernel tests cannot run here, or undefined when they can. */
export function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (creates network namespaces)';
  try {
    native();
  } catch {
    return 'native addon not built (npm run install -w @vectorplane/netlink)';
  }
  return undefined;
}

export interface NsEnv {
  readonly ns: string;
  readonly nl: NetlinkHandle;
  /** Runs `ip -n <ns> ...args` and returns stdout. */
  ip(...args: string[]): string;
  /** `ip -j -n <ns> ...args`, parsed. */
  ipJson<T = unknown>(...args: string[]): T;
  /** Runs any command inside the namespace. */
  exec(cmd: string, ...args: string[]): string;
  close(): void;
}

let counter = 0;

/**
 * Creates namespace `vp-<tag>-<pid>-<n>` with loopback up, runs each `ip` command of `setup` in it
 * and opens a handle there.
 */
export async function createEnv(tag: string, setup: readonly string[][] = []): Promise<NsEnv> {
  const ns = `vp-${tag}-${process.pid}-${(counter++).toString(36)}`;
  const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  run('ip', ['netns', 'add', ns]);
  let nl: NetlinkHandle | undefined;
  const close = (): void => {
    nl?.close();
    try {
      run('ip', ['netns', 'del', ns]);
    } catch {
      /* already gone */
    }
  };
  try {
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    for (const args of setup) run('ip', ['-n', ns, ...args]);
    nl = await openNetlink({ netns: ns });
  } catch (e) {
    close();
    throw e;
  }
  const handle = nl;
  return {
    ns,
    nl: handle,
    ip: (...args) => run('ip', ['-n', ns, ...args]),
    ipJson: <T,>(...args: string[]) => JSON.parse(run('ip', ['-j', '-n', ns, ...args]) || 'null') as T,
    exec: (cmd, ...args) => run('ip', ['netns', 'exec', ns, cmd, ...args]),
    close,
  };
}

/** Link-creation commands for a veth pair `a`/`b`, both up. */
export const vethPair = (a: string, b: string): string[][] => [
  ['link', 'add', a, 'type', 'veth', 'peer', 'name', b],
  ['link', 'set', a, 'up'],
  ['link', 'set', b, 'up'],
];

/** Collects an async iterable. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
