/**
 * rtnetlink events as an async iterable: first what exists (dumps), then changes from the multicast groups
 * (RTNLGRP_*). When the kernel drops notifications (ENOBUFS on the socket) the stream resyncs by itself:
 * it yields `{ type: 'resync' }`, everything that exists again (`existing: true`), then `{ type: 'sync' }`.
 * Consumers that keep state clear it on `resync`.
 */
import { decodeAddress, RTM_DELADDR, RTM_NEWADDR, type Address } from './address.js';
import type { NlMessage } from './codec/nlmsg.js';
import { InvalidArgumentError } from './errors.js';
import type { NetlinkHandle } from './handle.js';
import { decodeLink, RTM_DELLINK, RTM_NEWLINK, type Link } from './link.js';
import { decodeNeigh, RTM_DELNEIGH, RTM_NEWNEIGH, type Neigh } from './neigh.js';
import { decodeNexthop, RTM_DELNEXTHOP, RTM_NEWNEXTHOP, type Nexthop } from './nexthop.js';
import { decodeRoute, RTM_DELROUTE, RTM_NEWROUTE, type Route } from './route.js';
import { decodeRule, RTM_DELRULE, RTM_NEWRULE, type Rule } from './rule.js';

/** Multicast groups (linux/rtnetlink.h enum rtnetlink_groups). */
export const RTNLGRP = {
  LINK: 1,
  NEIGH: 3,
  IPV4_IFADDR: 5,
  IPV4_ROUTE: 7,
  IPV4_RULE: 8,
  IPV6_IFADDR: 9,
  IPV6_ROUTE: 11,
  IPV6_RULE: 19,
  NEXTHOP: 32,
} as const;

/** What to watch; each defaults to false. `snapshot` (default true) lists what exists first. */
export interface SubscribeInit {
  readonly link?: boolean;
  readonly address?: boolean;
  readonly route?: boolean;
  readonly neigh?: boolean;
  readonly rule?: boolean;
  readonly nexthop?: boolean;
  /** Yield what exists before the changes; default true. */
  readonly snapshot?: boolean;
  readonly signal?: AbortSignal;
  /**
   * Changes buffered while the consumer is slow before the stream gives up on them and resyncs; default
   * 100 000.
   */
  readonly maxQueue?: number;
  /** Receive buffer of the event socket in bytes; default 32 MiB (see `NetlinkInit.rcvbuf`). */
  readonly rcvbuf?: number;
}

/**
 * One item of the stream. `*:add` means added or changed (RTM_NEW*), `*:del` removed. `existing` marks
 * items of a (re)sync listing rather than changes.
 */
export type NetlinkEvent =
  | { readonly type: 'link:add' | 'link:del'; readonly link: Link; readonly existing: boolean }
  | { readonly type: 'address:add' | 'address:del'; readonly address: Address; readonly existing: boolean }
  | { readonly type: 'route:add' | 'route:del'; readonly route: Route; readonly existing: boolean }
  | { readonly type: 'neigh:add' | 'neigh:del'; readonly neigh: Neigh; readonly existing: boolean }
  | { readonly type: 'rule:add' | 'rule:del'; readonly rule: Rule; readonly existing: boolean }
  | { readonly type: 'nexthop:add' | 'nexthop:del'; readonly nexthop: Nexthop; readonly existing: boolean }
  /** Notifications were lost (ENOBUFS, or the consumer fell `maxQueue` behind): a full listing follows. */
  | { readonly type: 'resync'; readonly reason: 'overrun' }
  /** The listing is complete; changes follow. */
  | { readonly type: 'sync' };

/** Decodes one rtnetlink notification into an event (undefined for kinds/families not handled). */
export function decodeEvent(msg: NlMessage, existing = false): NetlinkEvent | undefined {
  switch (msg.type) {
    case RTM_NEWLINK:
    case RTM_DELLINK:
      return { type: msg.type === RTM_NEWLINK ? 'link:add' : 'link:del', link: decodeLink(msg), existing };
    case RTM_NEWADDR:
    case RTM_DELADDR: {
      const address = decodeAddress(msg);
      return address && { type: msg.type === RTM_NEWADDR ? 'address:add' : 'address:del', address, existing };
    }
    case RTM_NEWROUTE:
    case RTM_DELROUTE: {
      const route = decodeRoute(msg);
      return route && { type: msg.type === RTM_NEWROUTE ? 'route:add' : 'route:del', route, existing };
    }
    case RTM_NEWNEIGH:
    case RTM_DELNEIGH: {
      const neigh = decodeNeigh(msg);
      return neigh && { type: msg.type === RTM_NEWNEIGH ? 'neigh:add' : 'neigh:del', neigh, existing };
    }
    case RTM_NEWRULE:
    case RTM_DELRULE: {
      const rule = decodeRule(msg);
      return rule && { type: msg.type === RTM_NEWRULE ? 'rule:add' : 'rule:del', rule, existing };
    }
    case RTM_NEWNEXTHOP:
    case RTM_DELNEXTHOP: {
      const nexthop = decodeNexthop(msg);
      return nexthop && { type: msg.type === RTM_NEWNEXTHOP ? 'nexthop:add' : 'nexthop:del', nexthop, existing };
    }
    default:
      return undefined;
  }
}

/** The groups to join for `init`. */
export function subscriptionGroups(init: SubscribeInit): number[] {
  const g: number[] = [];
  if (init.link) g.push(RTNLGRP.LINK);
  if (init.address) g.push(RTNLGRP.IPV4_IFADDR, RTNLGRP.IPV6_IFADDR);
  if (init.route) g.push(RTNLGRP.IPV4_ROUTE, RTNLGRP.IPV6_ROUTE);
  if (init.neigh) g.push(RTNLGRP.NEIGH);
  if (init.rule) g.push(RTNLGRP.IPV4_RULE, RTNLGRP.IPV6_RULE);
  if (init.nexthop) g.push(RTNLGRP.NEXTHOP);
  return g;
}

async function* listing(
  nl: NetlinkHandle,
  init: SubscribeInit,
  signal: AbortSignal | undefined,
): AsyncGenerator<NetlinkEvent> {
  const opts = signal ? { signal } : {};
  if (init.link) for (const link of await nl.link.list({}, opts)) yield { type: 'link:add', link, existing: true };
  if (init.address)
    for await (const address of nl.address.list({}, opts)) yield { type: 'address:add', address, existing: true };
  if (init.route)
    for await (const route of nl.route.list({ table: 'all' }, opts)) yield { type: 'route:add', route, existing: true };
  if (init.neigh) for await (const neigh of nl.neigh.list({}, opts)) yield { type: 'neigh:add', neigh, existing: true };
  if (init.rule) for await (const rule of nl.rule.list({}, opts)) yield { type: 'rule:add', rule, existing: true };
  if (init.nexthop)
    for await (const nexthop of nl.nexthop.list({}, opts)) yield { type: 'nexthop:add', nexthop, existing: true };
}

/**
 * The event stream behind `NetlinkHandle.subscribe`: `open` gives a dedicated handle in the namespace to
 * watch (so the caller's own requests are not slowed by event traffic). The iterable ends when the consumer
 * stops iterating or `signal` aborts (then it throws the abort reason); either way that socket is closed.
 * @throws InvalidArgumentError when nothing is selected.
 */
export function subscribeEvents(
  open: (rcvbuf: number | undefined) => Promise<NetlinkHandle>,
  init: SubscribeInit,
): AsyncIterable<NetlinkEvent> {
  const groups = subscriptionGroups(init);
  if (groups.length === 0) {
    throw new InvalidArgumentError(
      'subscribe',
      init,
      'select at least one of link, address, route, neigh, rule, nexthop',
    );
  }
  const maxQueue = init.maxQueue ?? 100_000;
  const signal = init.signal;
  return {
    async *[Symbol.asyncIterator]() {
      signal?.throwIfAborted();
      // `h` only listens; listings run on `q`, so a dump is never starved by a backlog of notifications.
      const h = await open(init.rcvbuf);
      let q: NetlinkHandle;
      try {
        q = await open(undefined);
      } catch (err) {
        h.close();
        throw err;
      }
      let queue: NlMessage[] = [];
      let overrun = false;
      let wake: (() => void) | undefined;
      const notify = (): void => {
        const w = wake;
        wake = undefined;
        w?.();
      };
      const off = h.addListener({
        message(m) {
          if (overrun) return;
          if (queue.length >= maxQueue) {
            overrun = true;
            queue = [];
          } else queue.push(m);
          notify();
        },
        overrun() {
          overrun = true;
          queue = [];
          notify();
        },
      });
      const onAbort = (): void => notify();
      signal?.addEventListener('abort', onAbort);
      try {
        for (const g of groups) h.joinGroup(g);
        if (init.snapshot ?? true) {
          yield* listing(q, init, signal);
          yield { type: 'sync' };
        }
        for (;;) {
          signal?.throwIfAborted();
          if (overrun) {
            overrun = false;
            queue = [];
            yield { type: 'resync', reason: 'overrun' };
            yield* listing(q, init, signal);
            yield { type: 'sync' };
            continue;
          }
          if (queue.length === 0) {
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            continue;
          }
          const batch = queue;
          queue = [];
          for (const m of batch) {
            if (overrun) break;
            let ev: NetlinkEvent | undefined;
            try {
              ev = decodeEvent(m);
            } catch {
              ev = undefined; // a malformed notification is skipped, never the end of the stream
            }
            if (ev) yield ev;
          }
        }
      } finally {
        signal?.removeEventListener('abort', onAbort);
        off();
        h.close();
        q.close();
      }
    },
  };
}
