import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A host interface made for a case, removed by `remove()`. */
export interface HostInterfaceLease {
  /** The end VPP binds to (af_packet's `host_if_name`). */
  readonly name: string;
  /** The other end of the veth pair. */
  readonly peer: string;
  remove(): Promise<void>;
}

/** Options of {@link createVethHostInterface}. */
export interface VethHostInterfaceInit {
  /** Name prefix (≤ 7 characters): the name is the prefix and 6 hex digits, the peer adds `p`. Default `vpf`. */
  readonly prefix?: string;
  /** Network namespace (`ip netns` name) to create the pair in: the one VPP runs in. Default: the current one. */
  readonly netns?: string;
}

/**
 * Creates a veth pair (both ends up) for af_packet to bind to, as root. The pair goes away with `remove()`
 * (deleting one end deletes both).
 * @throws Error when `ip link add` fails (not root, no such netns).
 */
export async function createVethHostInterface(init: VethHostInterfaceInit = {}): Promise<HostInterfaceLease> {
  const prefix = (init.prefix ?? 'vpf').slice(0, 7);
  const name = `${prefix}${randomBytes(3).toString('hex')}`;
  const peer = `${name}p`;
  const ns = init.netns ? ['-n', init.netns] : [];
  await run('ip', [...ns, 'link', 'add', name, 'type', 'veth', 'peer', 'name', peer]);
  const remove = async (): Promise<void> => {
    await run('ip', [...ns, 'link', 'del', name]).catch(() => undefined);
  };
  try {
    await run('ip', [...ns, 'link', 'set', name, 'up']);
    await run('ip', [...ns, 'link', 'set', peer, 'up']);
  } catch (err) {
    await remove();
    throw err;
  }
  return { name, peer, remove };
}

/** True when this process may create links (root). */
export function canCreateHostInterfaces(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
