import type { ApiPeer, ApiPolicy, ApiDefinedSet, ApiPath, SessionState } from './api/types.js';
import type { BgpAnnouncement, BgpPath } from './paths.js';
import type { IpFamily } from './net.js';

/** Global settings of the speaker (GoBGP's `Global`). */
export interface BgpGlobalConfig {
  /** Local AS number, 1…4294967295. */
  asn: number;
  /** Router id, an IPv4 address. */
  routerId: string;
  /** TCP port BGP listens on (default 179; -1: do not listen). */
  listenPort?: number;
  /** Addresses BGP listens on. Required: never all interfaces by default. */
  listenAddresses: string[];
  /** Graceful restart for the whole speaker (default: off). */
  gracefulRestart?: { restartTimeS: number };
}

/** One BGP neighbor. */
export interface BgpPeerConfig {
  /** The neighbor's address (its key). */
  address: string;
  /** The neighbor's AS number. */
  asn: number;
  /** Our AS number towards this neighbor (default: the global one). */
  localAsn?: number;
  /** The neighbor's TCP port (default 179). */
  port?: number;
  /** TCP MD5 password (RFC 2385). */
  password?: string;
  /** GTSM: the neighbor is at most this many hops away (ttl-min = 256 - hops). */
  ttlSecurityHops?: number;
  /** eBGP multihop TTL. */
  ebgpMultihopTtl?: number;
  /** Do not rewrite the next hop of routes sent to this neighbor. */
  keepOriginalNextHop?: boolean;
  /** Local address of the session. */
  sourceAddress?: string;
  /** This neighbor is our route-reflector client; we reflect with `clusterId`. */
  routeReflectorClient?: { clusterId: string };
  /** Graceful restart with this restart time in seconds (default: off). */
  gracefulRestart?: { restartTimeS: number };
  /** Families to negotiate (default both v4 and v6 unicast). */
  families?: IpFamily[];
  /** Names of import / export policies (see {@link BgpPolicy}), applied in order, default accept. */
  importPolicies?: string[];
  exportPolicies?: string[];
  /** Only accept connections, never connect. */
  passive?: boolean;
  description?: string;
}

/** A named routing policy: statements tried in order; the first that matches decides. */
export interface BgpPolicy {
  name: string;
  statements: BgpPolicyStatement[];
}

/** One statement: a prefix match and an action. */
export interface BgpPolicyStatement {
  /** Prefixes to match, each with an optional mask-length range (default: exactly the prefix length). */
  prefixes?: { cidr: string; maskMin?: number; maskMax?: number }[];
  /** `in` matches routes in the set, `notIn` the others (default `in`). */
  match?: 'in' | 'notIn';
  /** Restrict to one family. */
  family?: IpFamily;
  action: 'accept' | 'reject' | 'none';
  /** Leave the next hop unchanged (export). */
  nextHopUnchanged?: boolean;
}

/** State of a neighbor as gobgpd reports it. */
export interface BgpPeerStatus {
  address: string;
  asn: number;
  state: SessionState;
  routerId: string | undefined;
  received: number;
  accepted: number;
  advertised: number;
}

/**
 * What a watch yields: first one snapshot of every best path, then changes. Changes come in batches
 * (`paths`, in the order gobgpd sent them: a later entry for a prefix supersedes an earlier one); a
 * withdrawal has `withdrawn: true`.
 */
export type BgpWatchEvent =
  { type: 'snapshot'; paths: BgpPath[] } | { type: 'paths'; paths: BgpPath[] } | { type: 'peer'; peer: BgpPeerStatus };

/** Options of async speaker calls. */
export interface BgpCallOptions {
  signal?: AbortSignal;
}

/** Events of a speaker (a typed EventTarget). */
export interface BgpSpeakerEvents {
  /** The daemon (re)started and everything was re-applied. */
  'speaker:up': CustomEvent<{ restarted: boolean }>;
  /** The daemon died; it is being restarted. */
  'speaker:down': CustomEvent<{ error: Error }>;
  /** A neighbor changed state. */
  'peer:state': CustomEvent<BgpPeerStatus>;
  /** Trouble that belongs to no call (a re-apply that failed, a restart that failed). */
  'speaker:error': CustomEvent<{ error: Error }>;
}

/**
 * A BGP speaker. The gobgpd-backed one is {@link createGobgpSpeaker}; a GoBGP v4 daemon or a native
 * speaker can stand in behind the same interface.
 */
export interface BgpSpeaker extends EventTarget {
  /** Start (spawn or connect) and configure the global settings. */
  start(options?: BgpCallOptions): Promise<void>;
  /** Stop the speaker (and the daemon it spawned). */
  stop(): Promise<void>;
  /** The global settings the speaker runs with. */
  readonly global: BgpGlobalConfig;
  /** Add a neighbor. @throws BgpInvalidConfigError, BgpPeerRefusedError */
  addPeer(peer: BgpPeerConfig, options?: BgpCallOptions): Promise<void>;
  /** Replace a neighbor's settings in place (no session reset unless gobgpd needs one). */
  updatePeer(peer: BgpPeerConfig, options?: BgpCallOptions): Promise<void>;
  /** Remove a neighbor. */
  deletePeer(address: string, options?: BgpCallOptions): Promise<void>;
  /** Neighbors and their session state. */
  peers(options?: BgpCallOptions): Promise<BgpPeerStatus[]>;
  /** Define or replace a policy (before peers refer to it). @throws BgpPolicyRefusedError */
  setPolicy(policy: BgpPolicy, options?: BgpCallOptions): Promise<void>;
  /** Remove a policy no peer refers to any more. */
  deletePolicy(name: string, options?: BgpCallOptions): Promise<void>;
  /** Originate a route (replaces an earlier announcement of the same prefix). @throws BgpPathRefusedError */
  announce(route: BgpAnnouncement, options?: BgpCallOptions): Promise<void>;
  /** Withdraw a route we originated (no-op when not announced). */
  withdraw(prefix: string, options?: BgpCallOptions): Promise<void>;
  /**
   * Best paths of v4 and v6 unicast: a snapshot, then batches of changes; survives daemon restarts (a
   * new snapshot follows each).
   */
  watch(options?: BgpCallOptions): AsyncIterable<BgpWatchEvent>;
  /** Every best path now held (ours and learned). */
  bestPaths(family: IpFamily, options?: BgpCallOptions): Promise<BgpPath[]>;
}

/** GoBGP API shapes the speaker builds, exposed for tests of the mapping. @internal */
export interface GobgpShapes {
  peer: ApiPeer;
  policy: ApiPolicy;
  sets: ApiDefinedSet[];
  path: ApiPath;
}
