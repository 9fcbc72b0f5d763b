import type { BGPConfiguration, BGPFilter, BGPPeer, IPPool, Node, Secret } from '@vectorplane/kube';
import { describe, expect, it } from 'vitest';
import { parseCidr } from '../src/net.js';
import { parseCalicoSelector } from '../src/model/selector.js';
import {
  chooseProvider,
  parseDuration,
  parsePeerIP,
  poolEncaps,
  translateBgp,
  type BgpModelInput,
} from '../src/model/translate.js';

function node(
  name: string,
  v4: string,
  extra: { v6?: string; asn?: string; rr?: string; labels?: Record<string, string> } = {},
): Node {
  const annotations: Record<string, string> = { 'projectcalico.org/IPv4Address': v4 };
  if (extra.v6) annotations['projectcalico.org/IPv6Address'] = extra.v6;
  if (extra.asn) annotations['projectcalico.org/ASNumber'] = extra.asn;
  if (extra.rr) annotations['projectcalico.org/RouteReflectorClusterID'] = extra.rr;
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, annotations, labels: extra.labels ?? {} } };
}
const peer = (name: string, spec: BGPPeer['spec']): BGPPeer => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'BGPPeer',
  metadata: { name },
  spec,
});
const cfg = (spec: NonNullable<BGPConfiguration['spec']>): BGPConfiguration => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'BGPConfiguration',
  metadata: { name: 'default' },
  spec,
});
const secret = (name: string, data: Record<string, string>): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'calico-system' },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});
const pool = (name: string, cidr: string, spec: Partial<IPPool['spec']> = {}): IPPool => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'IPPool',
  metadata: { name },
  spec: { cidr, ...spec },
});

const nodes = [
  node('a', '192.168.1.1/24', { v6: 'fd01::1/64' }),
  node('b', '192.168.1.2/24', { v6: 'fd01::2/64', asn: '64600' }),
  node('c', '192.168.2.3/24', { labels: { role: 'edge' } }),
];

describe('bgp translator: global and node-to-node mesh', () => {
  it('bgp: meshes with every other node per family; ASN from the node, else BGPConfiguration, else 64512', () => {
    const { result, issues } = translateBgp({ nodeName: 'a', nodes });
    expect(issues).toEqual([]);
    expect(result!.global).toEqual({
      asn: 64512,
      routerId: '192.168.1.1',
      listenPort: 179,
      listenAddresses: ['192.168.1.1', 'fd01::1'],
    });
    expect(result!.peers.map((p) => [p.address, p.asn, p.families, p.sourceAddress])).toEqual([
      ['192.168.1.2', 64600, ['ipv4'], '192.168.1.1'],
      ['fd01::2', 64600, ['ipv6'], 'fd01::1'],
      ['192.168.2.3', 64512, ['ipv4'], '192.168.1.1'],
    ]);
    const b = translateBgp({
      nodeName: 'b',
      nodes,
      bgpConfigurations: [cfg({ asNumber: 65000, listenPort: 1790 })],
    }).result!;
    expect(b.global.asn).toBe(64600);
    expect(b.global.listenPort).toBe(1790);
    expect(b.peers.find((p) => p.address === '192.168.1.1')!.asn).toBe(65000);
  });

  it('bgp: nodeToNodeMeshEnabled false turns the mesh off; mesh password and restart time come from BGPConfiguration', () => {
    expect(
      translateBgp({ nodeName: 'a', nodes, bgpConfigurations: [cfg({ nodeToNodeMeshEnabled: false })] }).result!.peers,
    ).toEqual([]);
    const { result } = translateBgp({
      nodeName: 'a',
      nodes,
      bgpConfigurations: [
        cfg({ nodeMeshPassword: { secretKeyRef: { name: 'mesh', key: 'pw' } }, nodeMeshMaxRestartTime: '2m' }),
      ],
      secrets: [secret('mesh', { pw: 's3cret' })],
    });
    expect(result!.peers[0]).toMatchObject({ password: 's3cret', gracefulRestart: { restartTimeS: 120 } });
  });
});

describe('bgp translator: BGPPeer', () => {
  it('bgp: BGPPeer fields gobgpd is not driven with are named once per peer (unsupported) and the peering is still made', () => {
    const { result, issues } = translateBgp({
      nodeName: 'c',
      nodes,
      bgpConfigurations: [cfg({ nodeToNodeMeshEnabled: false })],
      bgpPeers: [
        peer('tor', {
          node: 'c',
          peerIP: '192.168.2.254',
          asNumber: 65100,
          keepaliveTime: '10s',
          numAllowedLocalASNumbers: 2,
          reachableBy: '192.168.2.1',
          localWorkloadSelector: "app == 'lb'",
          failureDetectionMode: 'BFDIfDirectlyConnected',
        }),
        // defaults / off values are not reported
        peer('plain', {
          node: 'c',
          peerIP: '192.168.2.253',
          asNumber: 65100,
          failureDetectionMode: 'None',
          numAllowedLocalASNumbers: 0,
        }),
        // a peer for another node says nothing here
        peer('elsewhere', { node: 'a', peerIP: '192.168.1.254', asNumber: 65100, keepaliveTime: '10s' }),
      ],
    });
    expect(issues.map((i) => [i.code, i.object, i.path])).toEqual([
      ['unsupported', 'BGPPeer/tor', 'spec.keepaliveTime'],
      ['unsupported', 'BGPPeer/tor', 'spec.numAllowedLocalASNumbers'],
      ['unsupported', 'BGPPeer/tor', 'spec.reachableBy'],
      ['unsupported', 'BGPPeer/tor', 'spec.localWorkloadSelector'],
      ['unsupported', 'BGPPeer/tor', 'spec.failureDetectionMode'],
    ]);
    expect(issues[0]!.message).toMatch(/"10s" is not supported/);
    expect(result!.peers.map((p) => p.address)).toEqual(['192.168.2.254', '192.168.2.253']);
  });

  it('bgp: peerIP peers with password, ttlSecurity, keepOriginalNextHop, maxRestartTime, port; node and nodeSelector match', () => {
    const { result, issues } = translateBgp({
      nodeName: 'c',
      nodes,
      bgpConfigurations: [cfg({ nodeToNodeMeshEnabled: false })],
      secrets: [secret('tor', { password: 'torpw' })],
      bgpPeers: [
        peer('tor', {
          nodeSelector: "role == 'edge'",
          peerIP: '192.168.2.254:1790',
          asNumber: 65100,
          password: { secretKeyRef: { name: 'tor', key: 'password' } },
          ttlSecurity: 1,
          keepOriginalNextHop: true,
          maxRestartTime: '300s',
        }),
        peer('other-node', { node: 'a', peerIP: '192.168.1.254', asNumber: 65100 }),
        peer('v6', { node: 'c', peerIP: '[fd02::fe]:179', asNumber: 65100, sourceAddress: 'None' }),
      ],
    });
    expect(issues).toEqual([]);
    expect(result!.peers).toEqual([
      {
        address: '192.168.2.254',
        asn: 65100,
        families: ['ipv4'],
        description: 'BGPPeer/tor',
        gracefulRestart: { restartTimeS: 300 },
        password: 'torpw',
        ttlSecurityHops: 1,
        keepOriginalNextHop: true,
        sourceAddress: '192.168.2.3',
        port: 1790,
      },
      {
        address: 'fd02::fe',
        asn: 65100,
        families: ['ipv6'],
        description: 'BGPPeer/v6',
        gracefulRestart: { restartTimeS: 120 },
        port: 179,
      },
    ]);
  });

  it('bgp: a node with a route-reflector cluster id reflects for the peers its peerSelector picks', () => {
    const rrNodes = [
      node('rr', '10.0.0.1/24', { rr: '224.0.0.1', labels: { rr: 'true' } }),
      node('w1', '10.0.0.2/24'),
      node('w2', '10.0.0.3/24'),
      node('rr2', '10.0.0.4/24', { rr: '224.0.0.1', labels: { rr: 'true' } }),
    ];
    const input: BgpModelInput = {
      nodeName: 'rr',
      nodes: rrNodes,
      bgpConfigurations: [cfg({ nodeToNodeMeshEnabled: false })],
      bgpPeers: [
        peer('to-rr', { nodeSelector: '!has(rr)', peerSelector: "rr == 'true'" }),
        peer('rr-mesh', { nodeSelector: "rr == 'true'", peerSelector: 'all()' }),
      ],
    };
    const rr = translateBgp(input).result!;
    expect(rr.peers.map((p) => [p.address, p.routeReflectorClient?.clusterId])).toEqual([
      ['10.0.0.2', '224.0.0.1'],
      ['10.0.0.3', '224.0.0.1'],
      ['10.0.0.4', undefined], // another reflector of the same cluster: a plain iBGP peer
    ]);
    const w1 = translateBgp({ ...input, nodeName: 'w1' }).result!;
    expect(w1.peers.map((p) => [p.address, p.routeReflectorClient])).toEqual([
      ['10.0.0.1', undefined],
      ['10.0.0.4', undefined],
    ]);
  });

  it('bgp: bad peers are reported with their path and skipped; the others are kept', () => {
    const { result, issues } = translateBgp({
      nodeName: 'a',
      nodes,
      bgpConfigurations: [cfg({ nodeToNodeMeshEnabled: false })],
      bgpPeers: [
        peer('bad-ip', { peerIP: '300.1.1.1', asNumber: 65000 }),
        peer('bad-asn', { peerIP: '10.9.9.9', asNumber: 0 }),
        peer('bad-selector', { peerSelector: "role == 'x" }),
        peer('bad-node-selector', { nodeSelector: 'role in (a)', peerIP: '10.9.9.8', asNumber: 65000 }),
        peer('no-secret', {
          peerIP: '10.9.9.7',
          asNumber: 65000,
          password: { secretKeyRef: { name: 'absent', key: 'k' } },
        }),
        peer('no-filter', { peerIP: '10.9.9.6', asNumber: 65000, filters: ['absent'] }),
        peer('good', { peerIP: '10.9.9.5', asNumber: 65000 }),
      ],
    });
    expect(issues.map((i) => [i.code, i.object, i.path])).toEqual([
      ['peer-ip-invalid', 'BGPPeer/bad-ip', 'spec.peerIP'],
      ['asn-out-of-range', 'BGPPeer/bad-asn', 'spec.asNumber'],
      ['selector-invalid', 'BGPPeer/bad-selector', 'spec.peerSelector'],
      ['selector-invalid', 'BGPPeer/bad-node-selector', 'spec.nodeSelector'],
      ['secret-missing', 'BGPPeer/no-secret', 'spec.password.secretKeyRef'],
      ['filter-missing', 'BGPPeer/no-filter', 'spec.filters[0]'],
    ]);
    expect(result!.peers.map((p) => p.address)).toEqual(['10.9.9.5']);
  });

  it('bgp: a node ASN out of range is reported and that node is not meshed', () => {
    const { result, issues } = translateBgp({
      nodeName: 'a',
      nodes: [...nodes, node('d', '192.168.1.4/24', { asn: '4294967296' })],
    });
    expect(issues).toMatchObject([{ code: 'asn-out-of-range', object: 'Node/d', path: 'spec.bgp.asNumber' }]);
    expect(result!.peers.map((p) => p.address)).not.toContain('192.168.1.4');
  });
});

describe('bgp translator: BGPFilter', () => {
  it('bgp: rules become policy statements per family (In/NotIn/Equal/NotEqual, Accept/Reject, prefixLength)', () => {
    const filter: BGPFilter = {
      apiVersion: 'projectcalico.org/v3',
      kind: 'BGPFilter',
      metadata: { name: 'f' },
      spec: {
        importV4: [
          { action: 'Reject', cidr: '10.0.0.0/8', matchOperator: 'NotIn' },
          { action: 'Accept', cidr: '10.1.0.0/16', matchOperator: 'In', prefixLength: { min: 24, max: 26 } },
        ],
        exportV4: [
          { action: 'Accept', cidr: '10.2.0.0/24', matchOperator: 'Equal' },
          { action: 'Reject', cidr: '10.3.0.0/24', matchOperator: 'NotEqual' },
        ],
        exportV6: [{ action: 'Reject', cidr: '10.0.0.0/8' }, { action: 'Reject' }],
      },
    };
    const { result, issues } = translateBgp({
      nodeName: 'a',
      nodes,
      bgpConfigurations: [cfg({ nodeToNodeMeshEnabled: false })],
      bgpFilters: [filter],
      bgpPeers: [peer('p', { peerIP: '10.9.9.9', asNumber: 65000, filters: ['f'] })],
    });
    expect(issues).toMatchObject([
      { code: 'filter-rule-invalid', object: 'BGPFilter/f', path: 'spec.exportV6[0].cidr' },
    ]);
    expect(result!.peers[0]).toMatchObject({
      importPolicies: ['bgpfilter-f-import'],
      exportPolicies: ['bgpfilter-f-export'],
    });
    expect(result!.policies).toEqual([
      {
        name: 'bgpfilter-f-import',
        statements: [
          {
            family: 'ipv4',
            action: 'reject',
            prefixes: [{ cidr: '10.0.0.0/8', maskMin: 8, maskMax: 32 }],
            match: 'notIn',
          },
          {
            family: 'ipv4',
            action: 'accept',
            prefixes: [{ cidr: '10.1.0.0/16', maskMin: 24, maskMax: 26 }],
            match: 'in',
          },
        ],
      },
      {
        name: 'bgpfilter-f-export',
        statements: [
          {
            family: 'ipv4',
            action: 'accept',
            prefixes: [{ cidr: '10.2.0.0/24', maskMin: 24, maskMax: 24 }],
            match: 'in',
          },
          {
            family: 'ipv4',
            action: 'reject',
            prefixes: [{ cidr: '10.3.0.0/24', maskMin: 24, maskMax: 24 }],
            match: 'notIn',
          },
          { family: 'ipv6', action: 'reject' },
        ],
      },
    ]);
  });
});

describe('bgp translator: announcements', () => {
  it('bgp: blocks, pod addresses outside them, service IPs and BGPConfiguration service CIDRs, v4 and v6; disableBGPExport pools left out', () => {
    const { result, issues } = translateBgp({
      nodeName: 'a',
      nodes,
      ipPools: [pool('p', '10.244.0.0/16'), pool('quiet', '10.250.0.0/16', { disableBGPExport: true })],
      bgpConfigurations: [
        cfg({
          serviceClusterIPs: [{ cidr: '10.96.0.0/12' }],
          serviceExternalIPs: [{ cidr: 'fd96::/108' }],
          serviceLoadBalancerIPs: [{ cidr: 'bad' }],
        }),
      ],
      ipamBlocks: ['10.244.1.0/26', 'fd00:244::1:0/122', '10.250.1.0/26'],
      podAddresses: ['10.244.1.5', '10.244.9.9', 'fd00:244::2:1'],
      serviceIPs: ['10.96.0.10'],
    });
    expect(issues).toMatchObject([
      { code: 'cidr-invalid', object: 'BGPConfiguration/default', path: 'spec.serviceLoadBalancerIPs[0].cidr' },
    ]);
    expect(result!.announcements).toEqual([
      { prefix: '10.244.1.0/26', nextHop: '192.168.1.1' },
      { prefix: '10.244.9.9/32', nextHop: '192.168.1.1' },
      { prefix: '10.96.0.0/12', nextHop: '192.168.1.1' },
      { prefix: '10.96.0.10/32', nextHop: '192.168.1.1' },
      { prefix: 'fd00:244::1:0/122', nextHop: 'fd01::1' },
      { prefix: 'fd00:244::2:1/128', nextHop: 'fd01::1' },
      { prefix: 'fd96::/108', nextHop: 'fd01::1' },
    ]);
  });
  it('bgp: a node without IPv4 address or a missing node yields no result and an issue', () => {
    expect(translateBgp({ nodeName: 'zz', nodes }).issues[0]).toMatchObject({ code: 'node-missing' });
    const r = translateBgp({ nodeName: 'x', nodes: [node('x', 'garbage')] });
    expect(r.result).toBeUndefined();
    expect(r.issues[0]).toMatchObject({ code: 'node-address-invalid', path: 'spec.bgp.ipv4Address' });
  });
});

describe('bgp provider choice', () => {
  const pools = poolEncaps([
    pool('ipip', '10.1.0.0/16', { ipipMode: 'Always' }),
    pool('ipip-cross', '10.2.0.0/16', { ipipMode: 'CrossSubnet' }),
    pool('vx', '10.3.0.0/16', { vxlanMode: 'Always', ipipMode: 'Always' }),
    pool('vx-cross', '10.4.0.0/16', { vxlanMode: 'CrossSubnet' }),
    pool('flat', '10.5.0.0/16', { vxlanMode: 'Never', ipipMode: 'Never' }),
    pool('v1', '10.6.0.0/16', { ipip: { enabled: true, mode: 'cross-subnet' } }),
    pool('v6-vx', 'fd00:3::/64', { vxlanMode: 'Always' }),
    pool('v6-ipip', 'fd00:4::/64', { ipipMode: 'Always' }),
  ]);
  const self = {
    ipv4: { ...parseCidr('192.168.1.0/24')!, host: '192.168.1.1' },
    ipv6: { ...parseCidr('fd01::/64')!, host: 'fd01::1' },
  };
  it.each([
    ['10.1.1.0/26', '192.168.1.2', 'ipip'],
    ['10.2.1.0/26', '192.168.1.2', 'flat'],
    ['10.2.1.0/26', '192.168.2.2', 'ipip'],
    ['10.3.1.0/26', '192.168.1.2', 'vxlan'],
    ['10.4.1.0/26', '192.168.1.2', 'flat'],
    ['10.4.1.0/26', '192.168.9.2', 'vxlan'],
    ['10.5.1.0/26', '192.168.9.2', 'flat'],
    ['10.6.1.0/26', '192.168.9.2', 'ipip'],
    ['10.7.1.0/26', '192.168.9.2', 'flat'],
    ['fd00:3::1:0/122', 'fd01::2', 'vxlan'],
    ['fd00:4::1:0/122', 'fd01::2', 'flat'],
  ])('bgp: %s via %s → %s', (prefix, nh, want) => {
    expect(chooseProvider(prefix, nh, pools, self)).toBe(want);
  });
  it('bgp: WireGuard carries everything when on', () => {
    expect(chooseProvider('10.1.1.0/26', '192.168.1.2', pools, self, true)).toBe('wireguard');
  });
});

describe('bgp helpers', () => {
  it.each([
    ["role == 'rr'", { role: 'rr' }, true],
    ["role == 'rr'", { role: 'x' }, false],
    ["role != 'rr'", {}, true],
    ['has(rr)', { rr: '' }, true],
    ['!has(rr)', { rr: '' }, false],
    ["zone in {'a','b'}", { zone: 'b' }, true],
    ["zone not in {'a','b'}", { zone: 'b' }, false],
    ["zone not in {'a'}", {}, true],
    ['all()', {}, true],
    ["(a == '1' || b == '2') && !has(c)", { b: '2' }, true],
    ["(a == '1' || b == '2') && !has(c)", { b: '2', c: 'x' }, false],
    ['', { a: '1' }, false],
  ])('bgp: selector %j on %j → %s', (sel, labels, want) => {
    expect(parseCalicoSelector(sel)(labels)).toBe(want);
  });
  it.each(["a == 'x", 'a ==', 'has(', "a = 'x'", "a == 'x' b"])('bgp: selector %j is a syntax error', (sel) => {
    expect(() => parseCalicoSelector(sel)).toThrow(
      expect.objectContaining({ name: 'SelectorSyntaxError', selector: sel }),
    );
  });
  it('bgp: peerIP and durations', () => {
    expect(parsePeerIP('10.0.0.1')).toEqual({ address: '10.0.0.1' });
    expect(parsePeerIP('10.0.0.1:1790')).toEqual({ address: '10.0.0.1', port: 1790 });
    expect(parsePeerIP('[fd00:0::1]:179')).toEqual({ address: 'fd00::1', port: 179 });
    expect(parsePeerIP('10.0.0.1:0')).toBeUndefined();
    expect(parsePeerIP('nope')).toBeUndefined();
    expect([parseDuration('120s'), parseDuration('2m'), parseDuration('1h1m1s'), parseDuration('x')]).toEqual([
      120,
      120,
      3661,
      undefined,
    ]);
  });
});
