import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Run `ip …` (in a netns when given); rejects with stderr in the message. @internal */
export async function ip(args: string[], netns?: string): Promise<string> {
  const argv = netns ? ['-n', netns, ...args] : args;
  try {
    const { stdout } = await run('ip', argv);
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ip ${argv.join(' ')}: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/** A network namespace created for a test. */
export interface TestNetns {
  readonly name: string;
  /** Run a command inside it. */
  exec(cmd: string, args: string[]): Promise<string>;
  /** Process ids running inside it. */
  pids(): Promise<number[]>;
  remove(): Promise<void>;
}

/** Whether this process may create network namespaces (root). */
export function canCreateNetns(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** A random suffix for names of test objects. */
export function randomSuffix(n = 4): string {
  return randomBytes(n)
    .toString('hex')
    .slice(0, n * 2);
}

/** Create a netns named `<prefix><random>` with loopback up. */
export async function createTestNetns(prefix: string): Promise<TestNetns> {
  const name = `${prefix}${randomSuffix(3)}`;
  await ip(['netns', 'add', name]);
  await ip(['link', 'set', 'lo', 'up'], name);
  return {
    name,
    async exec(cmd, args) {
      const { stdout } = await run('ip', ['netns', 'exec', name, cmd, ...args]);
      return stdout;
    },
    async pids() {
      return (await ip(['netns', 'pids', name])).split(/\s+/).filter(Boolean).map(Number);
    },
    async remove() {
      await ip(['netns', 'del', name]).catch(() => {});
    },
  };
}

/** Join two namespaces with a veth pair and put addresses (CIDR) on each end; returns the link names. */
export async function linkNetns(
  a: { netns: string; addresses: string[] },
  b: { netns: string; addresses: string[] },
  prefix: string,
): Promise<[string, string]> {
  const s = randomSuffix(3);
  const na = `${prefix}a${s}`;
  const nb = `${prefix}b${s}`;
  await ip(['link', 'add', na, 'netns', a.netns, 'type', 'veth', 'peer', 'name', nb, 'netns', b.netns]);
  for (const [ns, link, addrs] of [
    [a.netns, na, a.addresses],
    [b.netns, nb, b.addresses],
  ] as const) {
    for (const addr of addrs)
      await ip(['addr', 'add', addr, 'dev', link, ...(addr.includes(':') ? ['nodad'] : [])], ns);
    await ip(['link', 'set', link, 'up'], ns);
  }
  return [na, nb];
}
