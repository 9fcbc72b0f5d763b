import type {
  VppAllCalls,
  VppAllDumps,
  VppAllEvents,
  VppAllGets,
  VppRelease,
  VppReleaseCalls,
  VppReleaseDumps,
  VppReleaseEvents,
  VppReleaseGets,
  VppReleaseMessages,
} from '../generated/index.js';
import { VppClient } from './client.js';
import { allReleasesBindings, releaseBindings } from './releases.js';
import type { AnyVppApi, VppApiShape, VppBindings, VppClientInit } from './types.js';

/**
 * The message sets of the generated bindings over every release they speak: a message whose shape
 * differs between releases is typed as the union of its shapes (narrow with `vpp.isRelease()`), and a
 * message only some releases have is there too (VPP answers `VppUnsupportedMessageError` if it lacks it).
 */
export interface VppApi {
  calls: VppAllCalls;
  dumps: VppAllDumps;
  gets: VppAllGets;
  events: VppAllEvents;
  releases: VppReleaseMessages;
}

/** The message sets of one release exactly, e.g. `VppReleaseApi<'26.02'>`. */
export interface VppReleaseApi<R extends VppRelease> {
  calls: VppReleaseCalls[R];
  dumps: VppReleaseDumps[R];
  gets: VppReleaseGets[R];
  events: VppReleaseEvents[R];
  releases: Pick<VppReleaseMessages, R>;
}

/**
 * The generated bindings (every vendored message of every release, VPP 25.10, 26.02 and 26.06) as
 * {@link VppBindings}: at connect the client picks, per message, the definition whose CRC VPP announces.
 */
export const defaultBindings: VppBindings = allReleasesBindings;

/**
 * Connects to VPP's API socket and completes the `sockclnt_create` handshake; the client is typed by
 * the generated bindings: over every release by default, or by exactly one with `{ release }`.
 * @throws VppConnectError when the socket cannot be opened (or `signal`/`timeoutMs` fire first),
 *   VppHandshakeError when VPP refuses the registration, VppUnknownReleaseError for a release the
 *   bindings do not have.
 */
export function connectVpp<R extends VppRelease>(
  init: VppClientInit & { release: R },
): Promise<VppClient<VppReleaseApi<R>>>;
export function connectVpp(init?: VppClientInit): Promise<VppClient<VppApi>>;
export async function connectVpp(init: VppClientInit = {}): Promise<VppClient<VppApi>> {
  const bindings = init.release === undefined ? defaultBindings : releaseBindings(init.release);
  return connectVppWith<VppApi>(bindings, init);
}

/**
 * Like {@link connectVpp}, with other bindings (e.g. generated for more plugins) and their types.
 * @throws VppConnectError, VppHandshakeError as {@link connectVpp}.
 */
export async function connectVppWith<A extends VppApiShape = AnyVppApi>(
  bindings: VppBindings,
  init: VppClientInit = {},
): Promise<VppClient<A>> {
  const client = new VppClient<A>(bindings, init);
  await client.start(init.signal);
  return client;
}
