/**
 * Capability checks (the rootless seed: VPP runs with only CAP_NET_ADMIN, CAP_NET_RAW and CAP_IPC_LOCK).
 */
import { readFileSync } from 'node:fs';

/** Capability numbers of the ones that matter here (linux/capability.h). */
export const CAPS = {
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_IPC_LOCK: 14,
  CAP_SYS_ADMIN: 21,
} as const;
export type CapName = keyof typeof CAPS;

/** What VPP itself needs (af_packet: NET_RAW; interfaces: NET_ADMIN; buffers: IPC_LOCK). */
export const VPP_CAPS: readonly CapName[] = ['CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK'];
/** What the manager needs besides: moving links between namespaces and creating named ones. */
export const MANAGER_CAPS: readonly CapName[] = ['CAP_NET_ADMIN', 'CAP_SYS_ADMIN'];

/** The effective capability mask of a process from its /proc status text (`CapEff:`). */
export function effectiveCaps(status: string): bigint {
  const m = status.match(/^CapEff:\s*([0-9a-f]+)/m);
  return m ? BigInt(`0x${m[1]}`) : 0n;
}

/** Names in `want` whose bit is missing from `mask`. */
export function missingCaps(mask: bigint, want: readonly CapName[]): CapName[] {
  return want.filter((c) => (mask & (1n << BigInt(CAPS[c]))) === 0n);
}

/**
 * Capabilities the current process lacks for the manager and for the VPP it starts (VPP inherits them).
 * `status` defaults to /proc/self/status.
 */
export function checkCapabilities(status?: string): { manager: CapName[]; vpp: CapName[] } {
  const text = status ?? readFileSync('/proc/self/status', 'utf8');
  const mask = effectiveCaps(text);
  return { manager: missingCaps(mask, MANAGER_CAPS), vpp: missingCaps(mask, VPP_CAPS) };
}
