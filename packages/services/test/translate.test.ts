import { describe, expect, it } from 'vitest';
import {
  CNAT_EPT_NO_NAT,
  CNAT_LB_TYPE,
  CNAT_TRANSLATION_FLAG,
  FLOW_HASH,
  HASH_CONFIG_ANNOTATION,
  LB_TYPE_ANNOTATION,
  translate,
  type DesiredTranslation,
  type EndpointSliceInput,
  type NodeInfo,
  type ServiceInput,
  type TranslateConfig,
} from '../src/index.js';
import { endpoint, makeService, makeSlice } from '../src/testing/index.js';

const NODE: NodeInfo = { name: 'node-a', addresses: ['192.168.1.10', 'fd00::10'] };

/** A translation reduced to what a case checks: `vip:port proto → backends`. */
function brief(t: DesiredTranslation): string {
  const paths = t.paths
    .map(
      (p) => `${p.dst.addr}:${p.dst.port}${p.src ? `<${p.src.addr}` : ''}${p.flags & CNAT_EPT_NO_NAT ? '!nonat' : ''}`,
    )
    .join(',');
  return `${t.kind} ${t.proto} ${t.vip}:${t.port} -> ${paths}`;
}

interface Case {
  name: string;
  svc: ServiceInput;
  slices: EndpointSliceInput[];
  config?: TranslateConfig;
  node?: NodeInfo;
  want: string[];
  announce?: string[];
}

const local = (ip: string, extra?: object): ReturnType<typeof endpoint> => ({ ...endpoint(ip, 'node-a'), ...extra });
const remote = (ip: string, extra?: object): ReturnType<typeof endpoint> => ({ ...endpoint(ip, 'node-b'), ...extra });

const cases: Case[] = [
  {
    name: 'ClusterIP: one translation per service port, to every ready endpoint',
    svc: makeService(),
    slices: [makeSlice({ endpoints: [local('10.244.1.5'), remote('10.244.2.7')] })],
    want: ['ClusterIP TCP 10.96.0.10:80 -> 10.244.1.5:8080,10.244.2.7:8080'],
  },
  {
    name: 'dual stack: every spec.clusterIPs entry, each with its own family’s endpoints',
    svc: makeService({ clusterIPs: ['10.96.0.10', 'fd00:96::a'], ipFamilies: ['IPv4', 'IPv6'] }),
    slices: [
      makeSlice({ name: 'web-v4', endpoints: [remote('10.244.2.7')] }),
      makeSlice({ name: 'web-v6', addressType: 'IPv6', endpoints: [remote('fd00:244:0:0::7')] }),
    ],
    want: ['ClusterIP TCP 10.96.0.10:80 -> 10.244.2.7:8080', 'ClusterIP TCP fd00:96::a:80 -> fd00:244::7:8080'],
  },
  {
    name: 'NodePort: on every node IP of the Service’s families, remote backends source-NATed to the node',
    svc: makeService({ type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }] }),
    slices: [makeSlice({ endpoints: [local('10.244.1.5'), remote('10.244.2.7')] })],
    want: [
      'ClusterIP TCP 10.96.0.10:80 -> 10.244.1.5:8080,10.244.2.7:8080',
      'NodePort TCP 192.168.1.10:30080 -> 10.244.1.5:8080,10.244.2.7:8080<192.168.1.10',
    ],
  },
  {
    name: 'NodePort dual stack: one per node address of each family',
    svc: makeService({
      type: 'NodePort',
      clusterIPs: ['10.96.0.10', 'fd00:96::a'],
      ports: [{ name: 'http', port: 80, nodePort: 30080 }],
    }),
    slices: [
      makeSlice({ name: 'v4', endpoints: [remote('10.244.2.7')], ports: [{ name: 'http', port: 80 }] }),
      makeSlice({
        name: 'v6',
        addressType: 'IPv6',
        endpoints: [remote('fd00:244::7')],
        ports: [{ name: 'http', port: 80 }],
      }),
    ],
    want: [
      'ClusterIP TCP 10.96.0.10:80 -> 10.244.2.7:80',
      'ClusterIP TCP fd00:96::a:80 -> fd00:244::7:80',
      'NodePort TCP 192.168.1.10:30080 -> 10.244.2.7:80<192.168.1.10',
      'NodePort TCP fd00::10:30080 -> fd00:244::7:80<fd00::10',
    ],
  },
  {
    name: 'LoadBalancer: ingress IPs, plus node ports (allocateLoadBalancerNodePorts defaults on); hostname-only and ipMode Proxy ingress ignored',
    svc: makeService({
      type: 'LoadBalancer',
      ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }],
      ingress: [{ ip: '203.0.113.7' }, { hostname: 'lb.example.com' }, { ip: '203.0.113.8', ipMode: 'Proxy' }],
    }),
    slices: [makeSlice({ endpoints: [remote('10.244.2.7')] })],
    want: [
      'ClusterIP TCP 10.96.0.10:80 -> 10.244.2.7:8080',
      'LoadBalancer TCP 203.0.113.7:80 -> 10.244.2.7:8080',
      'NodePort TCP 192.168.1.10:30080 -> 10.244.2.7:8080<192.168.1.10',
    ],
    announce: ['203.0.113.7'],
  },
  {
    name: 'LoadBalancer with allocateLoadBalancerNodePorts false: no node ports',
    svc: makeService({
      type: 'LoadBalancer',
      allocateLoadBalancerNodePorts: false,
      ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }],
      ingress: [{ ip: '203.0.113.7' }],
    }),
    slices: [makeSlice({ endpoints: [remote('10.244.2.7')] })],
    want: ['ClusterIP TCP 10.96.0.10:80 -> 10.244.2.7:8080', 'LoadBalancer TCP 203.0.113.7:80 -> 10.244.2.7:8080'],
    announce: ['203.0.113.7'],
  },
  {
    name: 'externalIPs, on any Service type',
    svc: makeService({ externalIPs: ['198.51.100.3'] }),
    slices: [makeSlice({ endpoints: [remote('10.244.2.7')] })],
    want: ['ClusterIP TCP 10.96.0.10:80 -> 10.244.2.7:8080', 'ExternalIP TCP 198.51.100.3:80 -> 10.244.2.7:8080'],
    announce: ['198.51.100.3'],
  },
  {
    name: 'TCP, UDP and SCTP on the same port number are three translations',
    svc: makeService({
      ports: [
        { name: 'dns-tcp', protocol: 'TCP', port: 53 },
        { name: 'dns-udp', protocol: 'UDP', port: 53 },
        { name: 'sig', protocol: 'SCTP', port: 53 },
      ],
    }),
    slices: [
      makeSlice({
        endpoints: [remote('10.244.2.7')],
        ports: [
          { name: 'dns-tcp', protocol: 'TCP', port: 5353 },
          { name: 'dns-udp', protocol: 'UDP', port: 5353 },
          { name: 'sig', protocol: 'SCTP', port: 5354 },
        ],
      }),
    ],
    want: [
      'ClusterIP SCTP 10.96.0.10:53 -> 10.244.2.7:5354',
      'ClusterIP TCP 10.96.0.10:53 -> 10.244.2.7:5353',
      'ClusterIP UDP 10.96.0.10:53 -> 10.244.2.7:5353',
    ],
  },
  {
    name: 'named targetPort: resolved per endpoint from each slice’s port of that name',
    svc: makeService({ ports: [{ name: 'http', port: 80, targetPort: 'web' }] }),
    slices: [
      makeSlice({ name: 'a', endpoints: [remote('10.244.2.7')], ports: [{ name: 'http', port: 8080 }] }),
      makeSlice({ name: 'b', endpoints: [remote('10.244.3.9')], ports: [{ name: 'http', port: 9090 }] }),
    ],
    want: ['ClusterIP TCP 10.96.0.10:80 -> 10.244.2.7:8080,10.244.3.9:9090'],
  },
  {
    name: 'numeric targetPort when the slice port carries no number',
    svc: makeService({ ports: [{ name: 'http', port: 80, targetPort: 8081 }] }),
    slices: [makeSlice({ endpoints: [remote('10.244.2.7')], ports: [{ name: 'http' }] })],
    want: ['ClusterIP TCP 10.96.0.10:80 -> 10.244.2.7:8081'],
  },
  {
    name: 'unset targetPort means the port',
    svc: makeService({ ports: [{ name: 'http', port: 80 }] }),
    slices: [makeSlice({ endpoints: [remote('10.244.2.7')], ports: [{ name: 'http' }] })],
    want: ['ClusterIP TCP 10.96.0.10:80 -> 10.244.2.7:80'],
  },
  {
    name: 'a named targetPort the slice did not resolve gives no backend',
    svc: makeService({ ports: [{ name: 'http', port: 80, targetPort: 'web' }] }),
    slices: [makeSlice({ endpoints: [remote('10.244.2.7')], ports: [{ name: 'http' }] })],
    want: [],
  },
  {
    name: 'internalTrafficPolicy Local: ClusterIP to local endpoints only; external addresses keep all',
    svc: makeService({ internalTrafficPolicy: 'Local', externalIPs: ['198.51.100.3'] }),
    slices: [makeSlice({ endpoints: [local('10.244.1.5'), remote('10.244.2.7')] })],
    want: [
      'ClusterIP TCP 10.96.0.10:80 -> 10.244.1.5:8080',
      'ExternalIP TCP 198.51.100.3:80 -> 10.244.1.5:8080,10.244.2.7:8080',
    ],
    announce: ['198.51.100.3'],
  },
  {
    name: 'externalTrafficPolicy Local: NodePort, LB and external IPs to local endpoints only, no source NAT; ClusterIP keeps all',
    svc: makeService({
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      externalIPs: ['198.51.100.3'],
      ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }],
      ingress: [{ ip: '203.0.113.7' }],
    }),
    slices: [makeSlice({ endpoints: [local('10.244.1.5'), remote('10.244.2.7')] })],
    want: [
      'ClusterIP TCP 10.96.0.10:80 -> 10.244.1.5:8080,10.244.2.7:8080',
      'ExternalIP TCP 198.51.100.3:80 -> 10.244.1.5:8080',
      'LoadBalancer TCP 203.0.113.7:80 -> 10.244.1.5:8080',
      'NodePort TCP 192.168.1.10:30080 -> 10.244.1.5:8080',
    ],
    announce: ['198.51.100.3', '203.0.113.7'],
  },
  {
    name: 'externalTrafficPolicy Local without a local endpoint: nothing external, nothing announced',
    svc: makeService({
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }],
      ingress: [{ ip: '203.0.113.7' }],
    }),
    slices: [makeSlice({ endpoints: [remote('10.244.2.7')] })],
    want: ['ClusterIP TCP 10.96.0.10:80 -> 10.244.2.7:8080'],
    announce: [],
  },
  {
    name: 'endpoint conditions: ready ones only (nil ready counts as ready)',
    svc: makeService(),
    slices: [
      makeSlice({
        endpoints: [
          remote('10.244.2.1', { conditions: { ready: true } }),
          remote('10.244.2.2', { conditions: {} }),
          remote('10.244.2.3', { conditions: { ready: false, serving: true, terminating: true } }),
          remote('10.244.2.4', { conditions: { ready: false, serving: false } }),
        ],
      }),
    ],
    want: ['ClusterIP TCP 10.96.0.10:80 -> 10.244.2.1:8080,10.244.2.2:8080'],
  },
  {
    name: 'endpoint conditions: none ready → the serving and terminating ones',
    svc: makeService(),
    slices: [
      makeSlice({
        endpoints: [
          remote('10.244.2.3', { conditions: { ready: false, serving: true, terminating: true } }),
          remote('10.244.2.4', { conditions: { ready: false, serving: false, terminating: true } }),
          remote('10.244.2.5', { conditions: { ready: false, serving: true, terminating: false } }),
        ],
      }),
    ],
    want: ['ClusterIP TCP 10.96.0.10:80 -> 10.244.2.3:8080'],
  },
  {
    name: 'Local policies pick terminating local endpoints before remote ready ones',
    svc: makeService({ internalTrafficPolicy: 'Local' }),
    slices: [
      makeSlice({
        endpoints: [
          local('10.244.1.3', { conditions: { ready: false, serving: true, terminating: true } }),
          remote('10.244.2.7'),
        ],
      }),
    ],
    want: ['ClusterIP TCP 10.96.0.10:80 -> 10.244.1.3:8080'],
  },
  {
    name: 'headless Service: nothing',
    svc: makeService({ clusterIP: 'None', clusterIPs: ['None'] }),
    slices: [makeSlice({ endpoints: [remote('10.244.2.7')] })],
    want: [],
  },
  {
    name: 'ExternalName Service: nothing',
    svc: makeService({ type: 'ExternalName', externalName: 'db.example.com', clusterIP: '', clusterIPs: [] }),
    slices: [],
    want: [],
  },
  {
    name: 'no endpoints: no translation',
    svc: makeService({
      type: 'NodePort',
      ports: [{ name: 'http', port: 80, nodePort: 30080 }],
      externalIPs: ['198.51.100.3'],
    }),
    slices: [makeSlice({ endpoints: [] })],
    want: [],
    announce: [],
  },
  {
    name: 'an endpoint in two slices (while the controller moves it) is one backend',
    svc: makeService(),
    slices: [
      makeSlice({ name: 'a', endpoints: [remote('10.244.2.7')] }),
      makeSlice({ name: 'b', endpoints: [remote('10.244.2.7')] }),
    ],
    want: ['ClusterIP TCP 10.96.0.10:80 -> 10.244.2.7:8080'],
  },
  {
    name: 'maglev DSR: remote backends of ClusterIP/external addresses are not NATed; NodePorts are',
    svc: makeService({
      type: 'NodePort',
      annotations: { [LB_TYPE_ANNOTATION]: 'maglevdsr' },
      externalIPs: ['198.51.100.3'],
      ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }],
    }),
    slices: [makeSlice({ endpoints: [local('10.244.1.5'), remote('10.244.2.7')] })],
    want: [
      'ClusterIP TCP 10.96.0.10:80 -> 10.244.1.5:8080,10.244.2.7:8080!nonat',
      'ExternalIP TCP 198.51.100.3:80 -> 10.244.1.5:8080,10.244.2.7:8080!nonat',
      'NodePort TCP 192.168.1.10:30080 -> 10.244.1.5:8080,10.244.2.7:8080<192.168.1.10',
    ],
    announce: ['198.51.100.3'],
  },
];

describe('translate: table of Service behaviours', () => {
  it.each(cases)('$name', (c) => {
    const { result, issues } = translate(c.svc, c.slices, c.node ?? NODE, c.config);
    expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(result.translations.map(brief).sort()).toEqual([...c.want].sort());
    if (c.announce) expect(result.announce).toEqual(c.announce);
    for (const t of result.translations) {
      expect(t.isRealIp).toBe(t.kind === 'NodePort');
      expect(t.flags).toBe(CNAT_TRANSLATION_FLAG.ALLOC_PORT);
      expect(t.service).toBe('default/web');
    }
  });
});

describe('translate: load balancing', () => {
  const slices = [makeSlice({ endpoints: [remote('10.244.2.7')] })];
  const lb = (svc: ServiceInput, config?: TranslateConfig): { lbType: number; hash: number } => {
    const t = translate(svc, slices, NODE, config).result.translations[0]!;
    return { lbType: t.lbType, hash: t.flowHashConfig };
  };
  it.each([
    {
      name: 'default is ECMP with VPP’s default hash',
      svc: makeService(),
      want: { lbType: CNAT_LB_TYPE.DEFAULT, hash: 0 },
    },
    {
      name: 'annotation ecmp',
      svc: makeService({ annotations: { [LB_TYPE_ANNOTATION]: 'ecmp' } }),
      want: { lbType: 0, hash: 0 },
    },
    {
      name: 'annotation maglev',
      svc: makeService({ annotations: { [LB_TYPE_ANNOTATION]: 'maglev' } }),
      want: { lbType: CNAT_LB_TYPE.MAGLEV, hash: 0 },
    },
    {
      name: 'annotation MaglevDSR (case-insensitive)',
      svc: makeService({ annotations: { [LB_TYPE_ANNOTATION]: 'MaglevDSR' } }),
      want: { lbType: 1, hash: 0 },
    },
    {
      name: 'hash annotation: every field name',
      svc: makeService({
        annotations: { [HASH_CONFIG_ANNOTATION]: 'srcport,dstport,srcaddr,dstaddr,iproto,reverse,symmetric' },
      }),
      want: { lbType: 0, hash: 0x7f },
    },
    {
      name: 'hash annotation with spaces',
      svc: makeService({ annotations: { [HASH_CONFIG_ANNOTATION]: ' srcaddr , dstaddr ' } }),
      want: { lbType: 0, hash: 3 },
    },
    {
      name: 'config default maglev + hash',
      svc: makeService(),
      config: { defaultLbType: 'maglev', defaultHashConfig: ['srcaddr', 'dstport'] },
      want: { lbType: 1, hash: 9 },
    },
    {
      name: 'annotation beats config',
      svc: makeService({ annotations: { [LB_TYPE_ANNOTATION]: 'ecmp' } }),
      config: { defaultLbType: 'maglev' },
      want: { lbType: 0, hash: 0 },
    },
    {
      name: 'sessionAffinity ClientIP: maglev on the source address only',
      svc: makeService({ sessionAffinity: 'ClientIP' }),
      want: { lbType: CNAT_LB_TYPE.MAGLEV, hash: FLOW_HASH.srcaddr },
    },
    {
      name: 'sessionAffinity ClientIP keeps maglevdsr',
      svc: makeService({ sessionAffinity: 'ClientIP', annotations: { [LB_TYPE_ANNOTATION]: 'maglevdsr' } }),
      want: { lbType: 1, hash: 1 },
    },
  ] as { name: string; svc: ServiceInput; config?: TranslateConfig; want: { lbType: number; hash: number } }[])(
    '$name',
    ({ svc, config, want }) => {
      expect(lb(svc, config)).toEqual(want);
    },
  );

  it('sessionAffinity ClientIP over a hash annotation: warns, and hashes on the source only', () => {
    const { result, issues } = translate(
      makeService({ sessionAffinity: 'ClientIP', annotations: { [HASH_CONFIG_ANNOTATION]: 'srcport,dstport' } }),
      slices,
      NODE,
    );
    expect(result.translations[0]!.flowHashConfig).toBe(FLOW_HASH.srcaddr);
    expect(issues).toMatchObject([
      { code: 'AFFINITY_OVERRIDES_HASH', severity: 'warning', path: ['spec', 'sessionAffinity'] },
    ]);
  });
});

describe('translate: bad input gets a typed issue naming the object and the field', () => {
  const slices = [makeSlice({ endpoints: [remote('10.244.2.7')] })];
  it.each([
    {
      name: 'invalid cluster IP',
      svc: makeService({ clusterIPs: ['10.96.0.300'] }),
      code: 'INVALID_IP',
      path: ['spec', 'clusterIPs', 0],
    },
    {
      name: 'invalid clusterIP (singular)',
      svc: makeService({ clusterIP: 'ten.ninety' }),
      code: 'INVALID_IP',
      path: ['spec', 'clusterIP', 0],
    },
    {
      name: 'invalid external IP',
      svc: makeService({ externalIPs: ['198.51.100.3', '1.2.3'] }),
      code: 'INVALID_IP',
      path: ['spec', 'externalIPs', 1],
    },
    {
      name: 'invalid LB ingress IP',
      svc: makeService({ type: 'LoadBalancer', ingress: [{ ip: 'fe80::1%eth0' }] }),
      code: 'INVALID_IP',
      path: ['status', 'loadBalancer', 'ingress', 0, 'ip'],
    },
    {
      name: 'port out of range',
      svc: makeService({ ports: [{ name: 'http', port: 70000 }] }),
      code: 'INVALID_PORT',
      path: ['spec', 'ports', 0, 'port'],
    },
    {
      name: 'port zero',
      svc: makeService({ ports: [{ name: 'http', port: 0 }] }),
      code: 'INVALID_PORT',
      path: ['spec', 'ports', 0, 'port'],
    },
    {
      name: 'targetPort out of range',
      svc: makeService({ ports: [{ name: 'http', port: 80, targetPort: 65536 }] }),
      code: 'INVALID_PORT',
      path: ['spec', 'ports', 0, 'targetPort'],
    },
    {
      name: 'nodePort out of range',
      svc: makeService({ type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: -1 }] }),
      code: 'INVALID_PORT',
      path: ['spec', 'ports', 0, 'nodePort'],
    },
    {
      name: 'unknown protocol',
      svc: makeService({ ports: [{ name: 'ping', protocol: 'ICMP', port: 1 }] }),
      code: 'UNKNOWN_PROTOCOL',
      path: ['spec', 'ports', 0, 'protocol'],
    },
    {
      name: 'unknown LB type annotation',
      svc: makeService({ annotations: { [LB_TYPE_ANNOTATION]: 'roundrobin' } }),
      code: 'UNKNOWN_LB_TYPE',
      path: ['metadata', 'annotations', LB_TYPE_ANNOTATION],
    },
    {
      name: 'unknown hash field',
      svc: makeService({ annotations: { [HASH_CONFIG_ANNOTATION]: 'srcaddr,flowlabel' } }),
      code: 'UNKNOWN_HASH_FIELD',
      path: ['metadata', 'annotations', HASH_CONFIG_ANNOTATION],
    },
    {
      name: 'unknown Service type',
      svc: makeService({ type: 'Magic' }),
      code: 'UNKNOWN_SERVICE_TYPE',
      path: ['spec', 'type'],
    },
  ] as { name: string; svc: ServiceInput; code: string; path: (string | number)[] }[])(
    '$name: the Service is skipped',
    ({ svc, code, path }) => {
      const { result, issues } = translate(svc, slices, NODE);
      expect(result.translations).toEqual([]);
      expect(issues).toContainEqual(
        expect.objectContaining({
          code,
          severity: 'error',
          path,
          object: { kind: 'Service', namespace: 'default', name: 'web' },
        }),
      );
    },
  );

  it('every problem of a Service is reported, not only the first', () => {
    const { issues } = translate(
      makeService({
        clusterIPs: ['x'],
        ports: [
          { name: 'a', port: 0 },
          { name: 'b', protocol: 'GRE', port: 1 },
        ],
      }),
      slices,
      NODE,
    );
    expect(issues.map((i) => i.code)).toEqual(['INVALID_IP', 'INVALID_PORT', 'UNKNOWN_PROTOCOL']);
  });

  it('a slice with a bad address is skipped, the others serve', () => {
    const { result, issues } = translate(
      makeService(),
      [
        makeSlice({ name: 'bad', endpoints: [remote('10.244.2.x')] }),
        makeSlice({ name: 'good', endpoints: [remote('10.244.3.3')] }),
      ],
      NODE,
    );
    expect(result.translations.map(brief)).toEqual(['ClusterIP TCP 10.96.0.10:80 -> 10.244.3.3:8080']);
    expect(issues).toContainEqual(
      expect.objectContaining({
        code: 'INVALID_IP',
        object: { kind: 'EndpointSlice', namespace: 'default', name: 'bad' },
        path: ['endpoints', 0, 'addresses', 0],
      }),
    );
  });

  it('a v6 address in an IPv4 slice is invalid', () => {
    const { issues } = translate(makeService(), [makeSlice({ endpoints: [remote('fd00::1')] })], NODE);
    expect(issues).toContainEqual(expect.objectContaining({ code: 'INVALID_IP', severity: 'error' }));
  });

  it('a slice port out of range is invalid', () => {
    const { issues } = translate(
      makeService(),
      [makeSlice({ endpoints: [remote('10.244.2.7')], ports: [{ name: 'http', port: 99999 }] })],
      NODE,
    );
    expect(issues).toContainEqual(
      expect.objectContaining({
        code: 'INVALID_PORT',
        path: ['ports', 0, 'port'],
        object: expect.objectContaining({ kind: 'EndpointSlice' }),
      }),
    );
  });

  it('a slice naming a port the Service lacks: that port is ignored with a warning naming slice and port', () => {
    const { result, issues } = translate(
      makeService(),
      [
        makeSlice({
          endpoints: [remote('10.244.2.7')],
          ports: [
            { name: 'http', port: 8080 },
            { name: 'metrics', port: 9100 },
          ],
        }),
      ],
      NODE,
    );
    expect(result.translations.map(brief)).toEqual(['ClusterIP TCP 10.96.0.10:80 -> 10.244.2.7:8080']);
    expect(issues).toEqual([
      expect.objectContaining({
        code: 'UNKNOWN_SLICE_PORT',
        severity: 'warning',
        path: ['ports', 1, 'name'],
        value: 'metrics',
        object: { kind: 'EndpointSlice', namespace: 'default', name: 'web-abc' },
      }),
    ]);
  });

  it('a Service port no slice names: no backends for it, a warning naming the port', () => {
    const { result, issues } = translate(
      makeService({
        ports: [
          { name: 'http', port: 80 },
          { name: 'admin', port: 81 },
        ],
      }),
      [makeSlice({ endpoints: [remote('10.244.2.7')], ports: [{ name: 'http', port: 8080 }] })],
      NODE,
    );
    expect(result.translations.map((t) => t.port)).toEqual([80]);
    expect(issues).toContainEqual(
      expect.objectContaining({
        code: 'SERVICE_PORT_WITHOUT_SLICE_PORT',
        path: ['spec', 'ports', 1, 'name'],
        value: 'admin',
      }),
    );
  });

  it('FQDN slices and slices of other Services are not used', () => {
    const { result, issues } = translate(
      makeService(),
      [
        makeSlice({ addressType: 'FQDN', endpoints: [{ addresses: ['db.example.com'] }] }),
        makeSlice({ service: 'other', endpoints: [remote('10.244.9.9')] }),
      ],
      NODE,
    );
    expect(result.translations).toEqual([]);
    expect(issues).toEqual([]);
  });
});
