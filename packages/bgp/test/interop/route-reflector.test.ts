import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ip } from '../../src/testing/index.js';
import { until } from '../helpers/until.js';
import { fibOf, interopSkipReason, Lab, nodeObject, type TestNode } from './env.js';

const skip = interopSkipReason();
if (skip) console.log(`bgp interop route reflector: skipped (${skip})`);

// rr (cluster 224.0.0.1) in the middle; c1 and c2 on two links, peering only with rr (mesh off).
describe.skipIf(!!skip)('bgp interop: route reflector with three speakers', () => {
  const lab = new Lab();
  let rr: TestNode;
  let c1: TestNode;
  let c2: TestNode;

  beforeAll(async () => {
    const nsR = await lab.addNetns();
    const ns1 = await lab.addNetns();
    const ns2 = await lab.addNetns();
    await lab.link(nsR, ['10.99.3.254/24'], ns1, ['10.99.3.1/24']);
    await lab.link(nsR, ['10.99.4.254/24'], ns2, ['10.99.4.1/24']);
    await ip(['route', 'add', '10.99.3.0/24', 'via', '10.99.4.254'], ns2.name);
    lab.source.apply(
      nodeObject('rr', '10.99.3.254', undefined, {
        labels: { rr: 'true' },
        annotations: { 'projectcalico.org/RouteReflectorClusterID': '224.0.0.1' },
      }),
    );
    lab.source.apply(nodeObject('c1', '10.99.3.1', undefined));
    lab.source.apply(nodeObject('c2', '10.99.4.1', undefined));
    lab.source.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'BGPConfiguration',
      metadata: { name: 'default' },
      spec: { nodeToNodeMeshEnabled: false },
    });
    lab.source.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'BGPPeer',
      metadata: { name: 'clients-to-rr' },
      spec: { nodeSelector: '!has(rr)', peerSelector: 'has(rr)' },
    });
    lab.source.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'BGPPeer',
      metadata: { name: 'rr-to-clients' },
      spec: { nodeSelector: 'has(rr)', peerSelector: '!has(rr)' },
    });
    rr = await lab.node('rr', nsR, '10.99.3.254', '', { ipamBlocks: [] });
    c1 = await lab.node('c1', ns1, '10.99.3.1', '', { ipamBlocks: ['10.244.31.0/26'] });
    c2 = await lab.node('c2', ns2, '10.99.4.1', '', { ipamBlocks: ['10.244.32.0/26'] });
    await Promise.all([rr.controller.start(), c1.controller.start(), c2.controller.start()]);
  });
  afterAll(async () => {
    await lab.cleanup();
  });

  it('bgp: clients peer only with the reflector, which treats them as route-reflector clients', async () => {
    const peers = await until('rr sessions up', async () => {
      const p = await rr.controller.speaker!.peers();
      return p.length === 2 && p.every((x) => x.state === 'ESTABLISHED') && p;
    });
    expect(peers.map((p) => p.address).sort()).toEqual(['10.99.3.1', '10.99.4.1']);
    expect((await c1.controller.speaker!.peers()).map((p) => p.address)).toEqual(['10.99.3.254']);
  });

  it('bgp: a client route reaches the other client through the reflector (originator id, cluster list), and its VPP', async () => {
    const path = await until('c2 learned c1 block', async () =>
      (await c2.controller.speaker!.bestPaths('ipv4')).find((p) => p.prefix === '10.244.31.0/26'),
    );
    expect(path).toMatchObject({
      nextHop: '10.99.3.1',
      neighbor: '10.99.3.254',
      originatorId: '10.99.3.1',
      clusterList: ['224.0.0.1'],
    });
    await until('c2 VPP route to c1 block', () => fibOf(c2.fake)['10.244.31.0/26']?.[0] === 'via 10.99.3.1');
    await until('c1 VPP route to c2 block', () => fibOf(c1.fake)['10.244.32.0/26']?.[0] === 'via 10.99.4.1');
  });

  it('bgp: a client withdrawal is reflected too', async () => {
    c1.controller.setIpamBlocks([]);
    await until('c2 VPP route gone', () => fibOf(c2.fake)['10.244.31.0/26'] === undefined);
  });
});
