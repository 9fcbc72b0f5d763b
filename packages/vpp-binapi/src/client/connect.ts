import { messagesByName, servicesByRequest, type VppCalls, type VppDumps, type VppEvents, type VppGets } from '../generated/index.js';
import { VppClient } from './client.js';
import type { AnyVppApi, VppApiShape, VppBindings, VppClientInit } from './types.js';

/** The message sets of the generated bindings: request name → request and answer types. */
export interface VppApi {
  calls: VppCalls;
  dumps: VppDumps;
  gets: VppGets;
  events: VppEvents;
}

/** The generated bindings (every vendored VPP 26.06 message and service) as {@link VppBindings}. */
export const defaultBindings: VppBindings = { messages: messagesByName, services: servicesByRequest };

/**
 * Connects to VPP's API socket and completes the `sockclnt_create` handshake; the client is typed by
 * the generated bindings.
 * @throws VppConnectError when the socket cannot be opened (or `signal`/`timeoutMs` fire first),
 *   VppHandshakeError when VPP refuses the registration.
 */
export function connectVpp(init: VppClientInit = {}): Promise<VppClient<VppApi>> {
  return connectVppWith<VppApi>(defaultBindings, init);
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
