/** Loads the native addon (build/Release/vectorplane_netlink.node) with a typed error when it is not built. */
import { createRequire } from 'node:module';
import { NativeAddonError } from './errors.js';

/** The addon's socket object: one AF_NETLINK socket polled on the libuv loop. */
export interface NativeNetlinkSocket {
  portid(): number;
  /** setsockopt(int); with `optional` it returns false instead of throwing when refused. */
  setOption(level: number, name: number, value: number, optional?: boolean): boolean;
  getOption(level: number, name: number): number;
  /** One sendmsg: all messages in one datagram (≤ 1024). Returns bytes sent. */
  send(messages: readonly Uint8Array[]): number;
  /** Whether the socket keeps the event loop alive. */
  ref(on: boolean): void;
  close(): void;
}

/**
 * Called with what was received, or with an errno. Each Buffer holds one or more whole datagrams of the same
 * multicast group (`groups[i]`, 0 = unicast); split it with `parseMessages`.
 */
export type NativeOnData = (datagrams: Buffer[] | null, groups: number[] | null, errno?: number) => void;

export interface NativeAddon {
  NetlinkSocket: new (fd: number, onData: NativeOnData) => NativeNetlinkSocket;
  /** socket() on a helper thread inside `netns` (a path; '' = current). */
  socketIn(netns: string, domain: number, type: number, protocol: number): Promise<number>;
  /** open() on a helper thread inside `netns`. */
  openIn(netns: string, path: string, flags: number, mode: number): Promise<number>;
  /** TUNSETIFF (+ OWNER/GROUP/PERSIST) on a helper thread inside `netns`; fd is -1 unless kept. */
  tunCreate(
    netns: string,
    name: string,
    ifrFlags: number,
    persist: number,
    owner: number,
    group: number,
    keepFd: number,
  ): Promise<{ name: string; fd: number }>;
  /**
   * On the namespace thread inside `netns`: a throwaway rtnetlink socket, `requests` sent as one datagram, every
   * answer read until `acks` NLMSG_ERROR messages came (or `timeoutMs` without one), the socket closed.
   */
  exchangeIn(netns: string, requests: Uint8Array, acks: number, timeoutMs: number): Promise<Buffer>;
  /** Creates a namespace bound at `path` (as `ip netns add`). */
  netnsAdd(path: string): Promise<void>;
  /** Unmounts and removes a namespace file. */
  netnsDelete(path: string): Promise<void>;
  closeFd(fd: number): void;
}

let cached: NativeAddon | undefined;

/**
 * The native addon, loaded once.
 * @throws NativeAddonError (code 'ENOTBUILT') when build/Release has no addon: run `npm run install -w @vectorplane/netlink`.
 */
export function native(): NativeAddon {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const candidates = ['../build/Release/vectorplane_netlink.node', '../../build/Release/vectorplane_netlink.node'];
  let last: unknown;
  for (const c of candidates) {
    try {
      cached = require(c) as NativeAddon;
      return cached;
    } catch (e) {
      last = e;
    }
  }
  throw new NativeAddonError(
    'the @vectorplane/netlink native addon is not built (build/Release/vectorplane_netlink.node): run `npm run install -w @vectorplane/netlink` (node-gyp rebuild)',
    { code: 'ENOTBUILT' },
    { cause: last },
  );
}

/** Wraps an error thrown by the addon (it carries `code`, `errno`, `syscall`) into a NativeAddonError. */
export function nativeError(e: unknown, what: string): NativeAddonError {
  const err = e as { code?: unknown; errno?: unknown; syscall?: unknown; message?: unknown };
  const code = typeof err?.code === 'string' ? err.code : 'EUNKNOWN';
  return new NativeAddonError(
    `${what}: ${typeof err?.message === 'string' ? err.message : String(e)}`,
    {
      code,
      errno: typeof err?.errno === 'number' ? err.errno : undefined,
      syscall: typeof err?.syscall === 'string' ? err.syscall : undefined,
    },
    { cause: e },
  );
}
