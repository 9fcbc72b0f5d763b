import { VppClient } from './client.js';
import type { AnyVppApi, VppApiShape, VppBindings, VppClientInit } from './types.js';

/**
 * Connects to VPP with the given bindings and completes the `sockclnt_create` handshake.
 * @throws VppConnectError when the socket cannot be opened (or `signal`/`timeoutMs` fire first),
 *   VppHandshakeError when VPP refuses the registration.
 */
export async function connectVppWith<A extends VppApiShape = AnyVppApi>(
  bindings: VppBindings,
  init: VppClientInit = {},
): Promise<VppClient<A>> {
  const client = new VppClient<A>(bindings, init);
  await client.start(init.signal);
  return client;
}
