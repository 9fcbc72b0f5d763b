/**
 * Test support for BGP: network namespaces joined by veth pairs, and a BIRD 2 peer. Real daemons run as
 * child processes that wait for readiness and clean up after themselves.
 *
 * @example
 * ```ts
 * import { createTestNetns, linkNetns, spawnBird } from '@vectorplane/bgp/testing';
 * const a = await createTestNetns('bgp');
 * const b = await createTestNetns('bgp');
 * await linkNetns({ netns: a.name, addresses: ['10.99.0.1/24'] }, { netns: b.name, addresses: ['10.99.0.2/24'] }, 'bgp');
 * const bird = await spawnBird({ netns: b.name, config: 'router id 10.99.0.2; protocol device {}' });
 * await bird.stop();
 * await a.remove();
 * await b.remove();
 * ```
 * @packageDocumentation
 */
export { createTestNetns, linkNetns, canCreateNetns, randomSuffix, ip, type TestNetns } from './netns.js';
export { spawnBird, type BirdInit, type BirdProcess } from './bird.js';
