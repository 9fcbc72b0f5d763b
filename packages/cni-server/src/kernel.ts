/**
 * Kernel work of a pod in as few rtnetlink round trips as possible, off the server's thread: the veth pair
 * created in one request whose echo names the pod end's index, the pod netns configured in one batch (both
 * through `batchIn`, on the netlink addon's namespace thread: a netlink request runs its kernel work inside the
 * sending thread, which would otherwise be our event loop), and veth deletions of concurrent Dels coalesced into
 * one group delete (one `unregister_netdevice_many`, so one set of RCU grace periods for the whole batch
 * instead of one per veth, which is what made a burst of Dels slow).
 */
import { closeSync, openSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import {
  batchIn,
  BATCH_IN_MAX_MESSAGES,
  decodeLink,
  encodeAddress,
  encodeLinkAdd,
  encodeLinkGet,
  encodeNeigh,
  encodeRoute,
  encodeLinkSet,
  Sysctl,
  type BatchItemResult,
  type NetnsRef,
  type RouteSpec,
} from '@vectorplane/netlink';
import type { PodSpec } from './spec.js';

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_SETLINK = 19;
const IFLA_IFNAME = 3;
const IFLA_GROUP = 27;
const IFINFOMSG_LEN = 16;

/** One link message (netlink header, struct ifinfomsg, attributes) for what the netlink package has no encoder for. */
function linkMessage(type: number, attrs: readonly [number, Uint8Array][]): Uint8Array {
  const len = 16 + IFINFOMSG_LEN + attrs.reduce((a, [, d]) => a + ((4 + d.length + 3) & ~3), 0);
  const out = new Uint8Array(len);
  const v = new DataView(out.buffer);
  v.setUint32(0, len, true);
  v.setUint16(4, type, true);
  let off = 16 + IFINFOMSG_LEN; // ifinfomsg all zero: no index, no flag change
  for (const [t, d] of attrs) {
    v.setUint16(off, 4 + d.length, true);
    v.setUint16(off + 2, t, true);
    out.set(d, off + 4);
    off += (4 + d.length + 3) & ~3;
  }
  return out;
}

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};
const cstr = (s: string): Uint8Array => new TextEncoder().encode(`${s}\0`);

/** RTM_SETLINK putting the link named `name` in device group `group`. */
export function encodeSetGroupByName(name: string, group: number): Uint8Array {
  return linkMessage(RTM_SETLINK, [
    [IFLA_IFNAME, cstr(name)],
    [IFLA_GROUP, u32(group)],
  ]);
}

/** RTM_DELLINK of every device in `group` (one unregister_netdevice_many for all of them). */
export function encodeGroupDelete(group: number): Uint8Array {
  return linkMessage(RTM_DELLINK, [[IFLA_GROUP, u32(group)]]);
}

const ONE_QUEUE = { numTxQueues: 1, numRxQueues: 1 } as const;

const NLM_F_ECHO = 0x08;

/**
 * Creates the veth pair of a pod: host end in VPP's netns, pod end in the pod netns.
 * @returns the pod end's interface index in the pod netns: the kernel echoes the host end (NLM_F_ECHO), whose
 *   IFLA_LINK is its peer's index, so the pod netns needs no lookup.
 */
export async function createVeth(vppNetns: NetnsRef, spec: PodSpec, containerMac: string): Promise<number> {
  const fd = openSync(spec.netns, 'r');
  try {
    // the host end up at once; the pod end cannot be (veth_open needs the pair linked): the netns batch does it
    const msg = encodeLinkAdd({
      kind: 'veth',
      name: spec.hostIfName,
      mtu: spec.mtu,
      up: true,
      // one queue each, as the kernel would trim them to anyway: without, each end waits for an expedited RCU
      // grace period under the RTNL lock and makes a sysfs directory per possible CPU (see LinkQueuesInit)
      ...ONE_QUEUE,
      peer: { name: spec.ifname, mtu: spec.mtu, mac: containerMac, ...ONE_QUEUE },
      peerNetnsFd: fd,
    });
    const flags = new DataView(msg.buffer, msg.byteOffset);
    flags.setUint16(6, flags.getUint16(6, true) | NLM_F_ECHO, true);
    const [r] = await batchIn(vppNetns, [msg]);
    if (!r) throw new Error('no answer');
    if (!r.ok) throw r.error;
    const echoed = r.replies.find((m) => m.type === RTM_NEWLINK);
    const peer = echoed ? decodeLink(echoed).parent : undefined;
    // a kernel without the echo (before 6.3): ask the pod netns for it
    return peer ?? (await podEndIndex(spec));
  } finally {
    closeSync(fd);
  }
}

/** The index of the pod's interface (`spec.ifname`) in its netns, which must be there by now. */
export async function podEndIndex(spec: PodSpec): Promise<number> {
  const index = await podLinkIndex(spec.netns, spec.ifname);
  if (index === undefined) throw new Error(`${spec.ifname} is not in ${spec.netns}`);
  return index;
}

/** The index of link `name` in the netns at `netnsPath`, or undefined when there is none. */
export async function podLinkIndex(netnsPath: string, name: string): Promise<number | undefined> {
  const [r] = await batchIn({ path: netnsPath }, [encodeLinkGet(name)]);
  if (!r) return undefined;
  if (!r.ok) {
    if ((r.error as { code?: string }).code === 'ENODEV') return undefined;
    throw r.error;
  }
  const m = r.replies.find((x) => x.type === RTM_NEWLINK);
  return m ? decodeLink(m).index : undefined;
}

/**
 * Configures the pod end (interface `index` in the pod netns) in one batch, on a throwaway socket there
 * (`batchIn`: a pod netns is configured once, so no handle is opened for it): link up, addresses, the gateway's
 * neighbour and on-link route in L2 modes, then the routes. The sysctls first (IPv6 on, forwarding).
 * @throws the first refused item's NetlinkError
 */
export async function configurePodNetns(spec: PodSpec, vppMac: string, index: number): Promise<void> {
  const families = new Set(spec.ips.map((i) => i.family));
  if (families.has(6) || spec.allowIpForwarding) {
    const sysctl = new Sysctl({ netns: { path: spec.netns } });
    if (families.has(6)) {
      // per-netns and per-link: the pod netns is the pod's own, so these are written once per pod, at once
      await Promise.all([
        sysctl.setDisableIpv6('all', false),
        sysctl.setDisableIpv6(spec.ifname, false),
        sysctl.setAcceptRa(spec.ifname, 0),
      ]);
    }
    if (spec.allowIpForwarding) {
      await Promise.all([
        sysctl.setIpForward(true),
        families.has(6) ? sysctl.setForwarding('inet6', 'all', true) : undefined,
      ]);
    }
  }
  const byIndex = (): number => index;
  const msgs: Uint8Array[] = [encodeLinkSet(index, { up: true })];
  for (const ip of spec.ips)
    msgs.push(
      encodeAddress(
        'add',
        {
          link: index,
          address: `${ip.address}/${ip.family === 4 ? 32 : 128}`,
          ...(ip.family === 6 ? { flags: ['nodad'] as const } : {}),
        },
        index,
      ),
    );
  const l2 = spec.mode !== 'tun';
  const gateways = new Map<4 | 6, string>();
  for (const ip of spec.ips) if (!gateways.has(ip.family)) gateways.set(ip.family, ip.gateway);
  for (const [af, gw] of gateways) {
    if (!l2) continue;
    msgs.push(encodeNeigh('add', { link: index, dst: gw, lladdr: vppMac, state: 'permanent' }, index));
    if (af === 4) msgs.push(encodeRoute('add', { dst: `${gw}/32`, oif: index, scope: 'link' }, byIndex));
  }
  const routes =
    spec.routes.length > 0
      ? spec.routes
      : [...families].map((f) => ({ dst: f === 4 ? '0.0.0.0/0' : '::/0', family: f }));
  for (const r of routes) {
    const gw = gateways.get(r.family);
    const route: RouteSpec =
      l2 && gw ? { dst: r.dst, gateway: gw, oif: index, onlink: true } : { dst: r.dst, oif: index, scope: 'link' };
    msgs.push(encodeRoute('add', route, byIndex));
  }
  const results = await batchIn({ path: spec.netns }, msgs);
  const failed = results.find((r) => !r.ok);
  if (failed && !failed.ok) throw failed.error;
}

/**
 * Deletes veths by name in VPP's netns, coalescing the requests that arrive while a deletion runs: each
 * batch is one sendmsg (a group change per veth, then one group delete), so N concurrent Dels cost one
 * set of grace periods instead of N. A veth that is already gone is not an error.
 */
export class VethReaper {
  #pending: { name: string; resolve: () => void; reject: (e: unknown) => void }[] = [];
  #running: Promise<void> | undefined;
  #hurry: (() => void) | undefined;
  batches = 0;
  /**
   * @param send sends a batch in VPP's netns: `batchIn` on the netlink addon's namespace thread (the server's: a
   *   group delete of many veths is many milliseconds of kernel work in the sending thread), or a handle's `batch`
   * @param quietMs a batch goes once no deletion arrived for this long (one group delete for a burst of Dels),
   *   or after `maxWaitMs` at the latest
   * @param maxPerBatch most veths in one batch (`batchIn` takes BATCH_IN_MAX_MESSAGES requests, the delete included)
   */
  constructor(
    readonly send: (msgs: readonly Uint8Array[]) => Promise<BatchItemResult[]>,
    readonly quietMs = 20,
    readonly maxWaitMs = 200,
    readonly maxPerBatch = BATCH_IN_MAX_MESSAGES - 1,
  ) {}

  /** Deletes the veth in the next batch; resolves once it is gone. */
  delete(name: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#abandoned) return;
      this.#pending.push({ name, resolve, reject });
      this.#arrived?.();
      if (!this.#running) this.#running = this.#loop();
    });
  }

  /** Forgets the pending deletions without sending them (a crash); their promises never settle. */
  abandon(): void {
    this.#abandoned = true;
    this.#pending = [];
    this.#hurry?.();
  }

  #abandoned = false;

  /** Sends the pending batch now (someone waits for it). */
  hurry(): void {
    this.#hurry?.();
  }

  #arrived: (() => void) | undefined;

  /** Waits until deletions stop arriving for `quietMs` (at most `maxWaitMs`) or `hurry()`. */
  async #quiet(): Promise<void> {
    const start = performance.now();
    for (;;) {
      const arrivedAgain = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), this.quietMs);
        const done = (again: boolean) => () => {
          clearTimeout(t);
          resolve(again);
        };
        this.#arrived = done(true);
        this.#hurry = done(false);
      });
      this.#arrived = undefined;
      this.#hurry = undefined;
      if (!arrivedAgain || performance.now() - start >= this.maxWaitMs) return;
    }
  }

  async #loop(): Promise<void> {
    let full = false; // the last batch left some behind: they go at once
    while (this.#pending.length > 0 && !this.#abandoned) {
      if (!full) await this.#quiet();
      if (this.#abandoned) break;
      const batch = this.#pending.splice(0, this.maxPerBatch);
      full = this.#pending.length > 0;
      try {
        // a random group in a range nothing else uses; the change and the delete travel in one datagram
        const group = 0x76700000 + randomInt(0x100000);
        const results = await this.send([
          ...batch.map((b) => encodeSetGroupByName(b.name, group)),
          encodeGroupDelete(group),
        ]);
        this.batches++;
        const del = results[batch.length];
        batch.forEach((b, i) => {
          const r = results[i];
          if (r && !r.ok && (r.error as { code?: string }).code !== 'ENODEV') return b.reject(r.error);
          if (r?.ok && del && !del.ok) return b.reject(del.error);
          b.resolve();
        });
      } catch (e) {
        for (const b of batch) b.reject(e);
      }
    }
    this.#running = undefined;
  }
}
