/**
 * rtnetlink for Node: links, addresses, routes, nexthops, neighbours/FDB, policy rules, events and sysctls,
 * in any network namespace. A small native addon owns the sockets, namespaces and TUN/TAP ioctls; every
 * message is encoded and decoded in TypeScript.
 *
 * @example
 * ```ts
 * import { openNetlink } from '@vectorplane/netlink';
 *
 * const nl = await openNetlink({ netns: 'blue' }); // a name under /run/netns; omit for the current one
 * try {
 *   await nl.link.add({ kind: 'veth', name: 'veth0', peer: { name: 'eth0', netns: 'pod1' }, mtu: 1450, up: true });
 *   await nl.address.add({ link: 'veth0', address: '10.1.0.1/24' });
 *   for (const link of await nl.link.list()) console.log(link.index, link.name, link.kind, link.up);
 *   for await (const ev of nl.subscribe({ link: true, signal: AbortSignal.timeout(1000) })) console.log(ev.type);
 * } finally {
 *   nl.close();
 * }
 * ```
 *
 * @packageDocumentation
 */

// handle and transport
export {
  openNetlink,
  batchIn,
  BATCH_IN_MAX_MESSAGES,
  NetlinkHandle,
  DEFAULT_RCVBUF,
  errnoCode,
  decodeNlError,
} from './handle.js';
export type { NetlinkInit, MulticastListener } from './handle.js';
export type { RtnlTransport, CallOptions, BatchItemResult } from './transport.js';

// errors
export {
  NetlinkError,
  LinkNotFoundError,
  InvalidArgumentError,
  NativeAddonError,
  NetnsNotFoundError,
  HandleClosedError,
  DumpInterruptedError,
  ProtocolError,
  SysctlError,
} from './errors.js';

// namespaces
export {
  createNamedNetns,
  deleteNamedNetns,
  listNamedNetns,
  namedNetnsExists,
  netnsPath,
  NETNS_RUN_DIR,
} from './netns.js';
export type { NetnsRef } from './netns.js';

// links and tun/tap
export {
  LinkApi,
  decodeLink,
  encodeLinkAdd,
  encodeLinkSet,
  encodeLinkDel,
  encodeLinkGet,
  encodeLinkDump,
  validateLinkAdd,
  validateLinkSet,
  IFF_UP,
  IFF_PROMISC,
  IFF_LOWER_UP,
} from './link.js';
export type {
  Link,
  LinkData,
  LinkStats,
  LinkKind,
  LinkAddSpec,
  LinkCommonInit,
  LinkQueuesInit,
  VethPeerInit,
  LinkSetInit,
  LinkListFilter,
  OperState,
  MacvlanMode,
  IpvlanMode,
  IpvlanFlag,
  VlanProtocol,
} from './link.js';
export { createTuntap, closeTuntapFd } from './tuntap.js';
export type { TuntapInit, Tuntap } from './tuntap.js';

// addresses
export { AddressApi, decodeAddress, encodeAddress, ADDRESS_FLAGS } from './address.js';
export type { Address, AddressSpec, AddressFilter, AddressFlag, AddressOp } from './address.js';

// routes
export {
  RouteApi,
  decodeRoute,
  encodeRoute,
  ROUTE_TABLES,
  ROUTE_TYPES,
  ROUTE_PROTOCOLS,
  ROUTE_METRICS,
} from './route.js';
export type {
  Route,
  RouteSpec,
  RouteNexthop,
  RouteNexthopSpec,
  RouteFilter,
  RouteGetOptions,
  RouteOp,
  RouteTable,
  RouteType,
  RouteProtocol,
  RouteMetrics,
} from './route.js';

// nexthops
export { NexthopApi, decodeNexthop, encodeNexthop } from './nexthop.js';
export type {
  Nexthop,
  NexthopSpec,
  NexthopFilter,
  NexthopGroupMember,
  NexthopGroupType,
  NexthopOp,
} from './nexthop.js';

// neighbours and FDB
export { NeighApi, decodeNeigh, encodeNeigh, NEIGH_STATES, NEIGH_FLAGS } from './neigh.js';
export type { Neigh, NeighSpec, NeighFilter, NeighState, NeighFlag, NeighFamily, NeighOp } from './neigh.js';

// policy rules
export { RuleApi, decodeRule, encodeRule, RULE_ACTIONS } from './rule.js';
export type { Rule, RuleSpec, RuleAction, RuleOp, PortRange } from './rule.js';

// events
export { decodeEvent, subscriptionGroups, RTNLGRP } from './events.js';
export type { NetlinkEvent, SubscribeInit } from './events.js';

// sysctls
export { Sysctl, RP_FILTER } from './sysctl.js';
export type { SysctlInit, SysctlFamily, SysctlIface, RpFilter } from './sysctl.js';

// snapshot / restore of one interface
export { snapshot, restore, diffSnapshots, SNAPSHOT_VERSION } from './snapshot.js';
export type {
  InterfaceSnapshot,
  LinkSnapshot,
  RestoreReport,
  RestoreItem,
  RestoreOptions,
  SnapshotDifference,
  SnapshotNexthopObject,
} from './snapshot.js';

// address helpers
export { parseIp, formatIp, parseMac, formatMac, SCOPES } from './addr.js';
export type { IpFamily, IpAddr, IpPrefix, Scope } from './addr.js';
