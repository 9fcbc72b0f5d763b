/**
 * Pod routes between nodes over BGP, for a VPP dataplane: drives gobgpd (GoBGP v3) over its gRPC API,
 * turns Calico's BGP model (node-to-node mesh, BGPPeer, route reflectors, BGPFilter, passwords from
 * Secrets) into peers, policies and announcements, and programs the best paths it learns into VPP
 * directly (FLAT) or through IPIP, VXLAN or WireGuard tunnels.
 *
 * @example
 * ```ts
 * import { createGobgpSpeaker } from '@vectorplane/bgp';
 *
 * const speaker = createGobgpSpeaker({ global: { asn: 64512, routerId: '10.0.0.1', listenAddresses: ['10.0.0.1'] } });
 * await speaker.start();
 * await speaker.addPeer({ address: '10.0.0.2', asn: 64512 });
 * await speaker.announce({ prefix: '10.244.1.0/26', nextHop: '10.0.0.1' });
 * for await (const ev of speaker.watch()) if (ev.type === 'paths') for (const p of ev.paths) console.log(p.prefix, p.nextHop);
 * ```
 * @packageDocumentation
 */

// speaker
export type {
  BgpSpeaker,
  BgpGlobalConfig,
  BgpPeerConfig,
  BgpPolicy,
  BgpPolicyStatement,
  BgpPeerStatus,
  BgpWatchEvent,
  BgpCallOptions,
  BgpSpeakerEvents,
} from './speaker.js';
export { createGobgpSpeaker, type GobgpSpeakerInit, type GobgpSpeakerComponents } from './gobgp-speaker.js';
export { spawnGobgpd, type GobgpdInit, type GobgpdProcess } from './gobgpd.js';
export { toApiGlobal, toApiPeer, toApiPolicy, fromApiPeer, checkAsn, KEEP_NEXT_HOP_POLICY } from './gobgp-mapping.js';
export { toApiPath, fromApiPath, apiFamily, parseCommunity, type BgpAnnouncement, type BgpPath } from './paths.js';

// GoBGP API client
export { createGobgpClient, type GobgpClient, type GobgpClientInit, type GobgpCallOptions } from './api/client.js';
export { packAny, unpackAny, encodeMessage, decodeMessage, TYPE_URL_PREFIX, type Unpacked } from './api/codec.js';
export type * from './api/types.js';

// Calico model
export {
  translateBgp,
  chooseProvider,
  poolEncaps,
  parsePeerIP,
  parseDuration,
  filterPolicyName,
  type BgpIssue,
  type BgpModelInput,
  type BgpDesiredState,
  type PoolEncap,
} from './model/translate.js';
export { parseCalicoSelector, SelectorSyntaxError, type CalicoSelector } from './model/selector.js';

// VPP
export {
  createRouteProgrammer,
  generateWireguardKeyPair,
  wireguardPublicKey,
  type RouteProgrammer,
  type RouteProgrammerInit,
  type RouteProgrammerComponents,
  type RouteProgrammerStats,
  type WireguardPeerInfo,
} from './vpp/programmer.js';
export type { BgpVpp, ProviderKind, RouteTarget } from './vpp/types.js';

// controller
export {
  createBgpController,
  type BgpController,
  type BgpControllerInit,
  type BgpControllerComponents,
  type BgpControllerEvents,
  type BgpControllerStats,
} from './controller.js';

// misc
export { parseCidr, canonicalCidr, cidrContains, type Cidr, type IpFamily } from './net.js';
export type { BgpLogger } from './logger.js';
export * from './constants.js';
export {
  BgpError,
  GobgpdNotFoundError,
  GobgpdStartError,
  GobgpApiError,
  BgpAbortError,
  BgpInvalidConfigError,
  BgpPeerRefusedError,
  BgpPathRefusedError,
  BgpPolicyRefusedError,
  BgpRouteProgramError,
  BgpSpeakerDownError,
  PathDecodeError,
} from './errors.js';
