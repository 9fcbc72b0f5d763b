/**
 * TUN/TAP devices through the native addon: TUNSETIFF (+ TUNSETOWNER/GROUP/PERSIST) on a helper thread
 * inside the target namespace. Deleting a persistent device is an ordinary RTM_DELLINK (`LinkApi.delete`).
 */
import { InvalidArgumentError } from './errors.js';
import { netnsPath, type NetnsRef } from './netns.js';
import { native, nativeError } from './native.js';
import { checkInt, checkLinkName } from './validate.js';

/** linux/if_tun.h TUNSETIFF flags. */
export const IFF_TUN = 0x0001;
export const IFF_TAP = 0x0002;
export const IFF_NO_PI = 0x1000;
export const IFF_VNET_HDR = 0x4000;
export const IFF_MULTI_QUEUE = 0x0100;

/** Options of `createTuntap`. */
export interface TuntapInit {
  /** Device name; default: the kernel picks tunN / tapN. */
  readonly name?: string;
  /** 'tun' (layer 3) or 'tap' (ethernet). */
  readonly mode: 'tun' | 'tap';
  /** Keep the device after the creating fd closes (TUNSETPERSIST); default true. */
  readonly persist?: boolean;
  /** Owning uid (TUNSETOWNER); default: none. */
  readonly owner?: number;
  /** Owning gid (TUNSETGROUP); default: none. */
  readonly group?: number;
  /** IFF_MULTI_QUEUE; default false. */
  readonly multiQueue?: boolean;
  /** IFF_VNET_HDR (virtio-net header on each packet); default false. */
  readonly vnetHdr?: boolean;
  /** Packet information header (clears IFF_NO_PI); default false. */
  readonly pi?: boolean;
  /** Namespace to create the device in; default: the current one. */
  readonly netns?: NetnsRef;
  /** Return the queue fd instead of closing it (the caller owns it and must close it); default false. */
  readonly keepFd?: boolean;
}

/** The created device: its name, and the queue fd when `keepFd` was set (else -1). */
export interface Tuntap {
  readonly name: string;
  readonly fd: number;
}

/** TUNSETIFF flags for `init`. */
export function tuntapFlags(init: Pick<TuntapInit, 'mode' | 'multiQueue' | 'vnetHdr' | 'pi'>): number {
  let f = init.mode === 'tap' ? IFF_TAP : IFF_TUN;
  if (!init.pi) f |= IFF_NO_PI;
  if (init.multiQueue) f |= IFF_MULTI_QUEUE;
  if (init.vnetHdr) f |= IFF_VNET_HDR;
  return f;
}

/**
 * Creates a TUN or TAP device (persistent by default) in `init.netns`.
 * @throws InvalidArgumentError before any system call; NativeAddonError with the errno code ('EBUSY' when
 *   the name is taken by another kind of device, 'EPERM', …).
 */
export async function createTuntap(init: TuntapInit): Promise<Tuntap> {
  if (init.mode !== 'tun' && init.mode !== 'tap')
    throw new InvalidArgumentError('mode', init.mode, "must be 'tun' or 'tap'");
  if (init.name !== undefined) checkLinkName('name', init.name);
  if (init.owner !== undefined) checkInt('owner', init.owner, 0, 0x7fffffff);
  if (init.group !== undefined) checkInt('group', init.group, 0, 0x7fffffff);
  const persist = init.persist ?? true;
  if (!persist && !init.keepFd) {
    throw new InvalidArgumentError(
      'persist',
      init.persist,
      'a non-persistent device vanishes at once unless keepFd is set',
    );
  }
  const path = netnsPath(init.netns);
  try {
    return await native().tunCreate(
      path,
      init.name ?? '',
      tuntapFlags(init),
      persist ? 1 : 0,
      init.owner ?? -1,
      init.group ?? -1,
      init.keepFd ? 1 : 0,
    );
  } catch (e) {
    if ((e as { name?: string }).name === 'NativeAddonError') throw e;
    throw nativeError(e, `create ${init.mode} ${init.name ?? ''}`.trim());
  }
}

/** Closes a queue fd returned with `keepFd`. */
export function closeTuntapFd(fd: number): void {
  native().closeFd(fd);
}
