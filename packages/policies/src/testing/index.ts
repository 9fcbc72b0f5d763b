/**
 * Testing support for @vectorplane/policies: a Felix-side test peer that speaks the length-framed
 * `felix.ToDataplane` / `felix.FromDataplane` protocol.
 *
 * @example
 * ```ts
 * import { connectFelixPeer } from '@vectorplane/policies/testing';
 * const felix = await connectFelixPeer('/run/vectorplane/felix-dataplane.sock');
 * felix.send({ in_sync: {} });
 * await felix.next('dataplane_in_sync');
 * felix.close();
 * ```
 * @packageDocumentation
 */
export { connectFelixPeer, type FelixPeer } from './felix-peer.js';
