import { createMemorySource, type EndpointSlice, type ResourceSource, type Service } from '@vectorplane/kube';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  CNAT_EPT_NO_NAT,
  ServiceChangeTracker,
  changeNeeded,
  fromDetails,
  samePaths,
  updateRequest,
  type DesiredTranslation,
  type EndpointSliceInput,
  type ServiceInput,
  type ServicesSource,
  type TranslateContext,
} from '../src/index.js';
import { endpoint, makeService, makeSlice } from '../src/testing/index.js';

const CTX: TranslateContext = {
  node: { name: 'node-a', addresses: [{ family: 4, text: '192.168.1.10' }] },
  defaultLbType: 'ecmp',
  defaultHashConfig: 0,
};

const svc = (name: string, ip: string, extra: Parameters<typeof makeService>[0] = {}): ServiceInput =>
  makeService({ name, clusterIP: ip, clusterIPs: [ip], ...extra });
const slice = (service: string, ips: string[], name = `${service}-1`): EndpointSliceInput =>
  makeSlice({ name, service, endpoints: ips.map((ip) => endpoint(ip, 'node-b')) });

describe('ServiceChangeTracker', () => {
  it('a change marks only its Service; flush re-translates only that one and names only its keys', () => {
    const t = new ServiceChangeTracker(CTX);
    for (let i = 1; i <= 100; i++) {
      t.updateService(svc(`s${i}`, `10.96.0.${i}`));
      t.updateSlice(slice(`s${i}`, [`10.244.${i}.1`]));
    }
    expect(t.flush()).toMatchObject({ services: 100 });
    t.updateSlice(slice('s42', ['10.244.42.1', '10.244.42.2']));
    expect(t.pending).toBe(1);
    const changes = t.flush();
    expect(changes.services).toBe(1);
    expect([...changes.keys]).toEqual(['TCP/10.96.0.42/80']);
    expect(t.desired('TCP/10.96.0.42/80')?.paths.map((p) => p.dst.addr)).toEqual(['10.244.42.1', '10.244.42.2']);
    expect(t.flush()).toMatchObject({ services: 0, keys: new Set() });
  });

  it('slices arriving before their Service are kept and used when it comes', () => {
    const t = new ServiceChangeTracker(CTX);
    t.updateSlice(slice('a', ['10.244.1.1']));
    t.flush();
    expect([...t.allDesired()]).toEqual([]);
    t.updateService(svc('a', '10.96.0.1'));
    expect([...t.flush().keys]).toEqual(['TCP/10.96.0.1/80']);
  });

  it('a slice that moves to another Service leaves the first one', () => {
    const t = new ServiceChangeTracker(CTX);
    t.updateService(svc('a', '10.96.0.1'));
    t.updateService(svc('b', '10.96.0.2'));
    t.updateSlice(slice('a', ['10.244.1.1'], 'x'));
    t.flush();
    t.updateSlice(slice('b', ['10.244.1.1'], 'x'));
    const c = t.flush();
    expect([...c.keys].sort()).toEqual(['TCP/10.96.0.1/80', 'TCP/10.96.0.2/80']);
    expect(t.desired('TCP/10.96.0.1/80')).toBeUndefined();
    expect(t.desired('TCP/10.96.0.2/80')).toBeDefined();
  });

  it('a refused update keeps the last good Service and slice', () => {
    const t = new ServiceChangeTracker(CTX);
    t.updateService(svc('a', '10.96.0.1'));
    t.updateSlice(slice('a', ['10.244.1.1']));
    t.flush();
    const bad = t.updateService(svc('a', '10.96.0.1', { ports: [{ name: 'http', protocol: 'ICMP', port: 80 }] }));
    expect(bad.error).toMatchObject({
      name: 'InvalidServiceError',
      object: { kind: 'Service', namespace: 'default', name: 'a' },
    });
    const badSlice = t.updateSlice(slice('a', ['10.244.1.x']));
    expect(badSlice.error).toMatchObject({
      name: 'InvalidEndpointSliceError',
      object: { kind: 'EndpointSlice', name: 'a-1' },
    });
    expect(t.flush().keys.size).toBe(0);
    expect(t.desired('TCP/10.96.0.1/80')?.paths.map((p) => p.dst.addr)).toEqual(['10.244.1.1']);
  });

  it('a collision goes to the lowest namespace/name whatever the order, and is reported', () => {
    for (const order of [
      ['a', 'b'],
      ['b', 'a'],
    ]) {
      const seen: unknown[] = [];
      const t = new ServiceChangeTracker(CTX, { onCollision: (c) => seen.push(c) });
      for (const n of order) {
        t.updateService(svc(n!, n === 'a' ? '10.96.0.1' : '10.96.0.2', { externalIPs: ['198.51.100.3'] }));
        t.updateSlice(slice(n!, [n === 'a' ? '10.244.1.1' : '10.244.2.1']));
      }
      const c = t.flush();
      expect(t.desired('TCP/198.51.100.3/80')?.service).toBe('default/a');
      expect(seen).toEqual([{ key: 'TCP/198.51.100.3/80', winner: 'default/a', losers: ['default/b'] }]);
      expect(c.issues).toContainEqual(
        expect.objectContaining({ code: 'VIP_COLLISION', severity: 'warning', value: 'TCP/198.51.100.3/80' }),
      );
    }
  });

  it('setContext re-translates everything with the new node and defaults', () => {
    const t = new ServiceChangeTracker(CTX);
    t.updateService(svc('np', '10.96.0.1', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }));
    t.updateSlice(slice('np', ['10.244.1.1']));
    t.flush();
    expect(t.desired('TCP/192.168.1.10/30080')).toBeDefined();
    t.setContext({
      ...CTX,
      node: { name: 'node-a', addresses: [{ family: 4, text: '192.168.1.20' }] },
      defaultLbType: 'maglev',
    });
    const c = t.flush();
    expect([...c.keys].sort()).toEqual(['TCP/10.96.0.1/80', 'TCP/192.168.1.10/30080', 'TCP/192.168.1.20/30080']);
    expect(t.desired('TCP/192.168.1.10/30080')).toBeUndefined();
    expect(t.desired('TCP/10.96.0.1/80')?.lbType).toBe(1);
  });

  it('repeated warnings are reported once, until they change', () => {
    const t = new ServiceChangeTracker(CTX);
    t.updateService(svc('a', '10.96.0.1'));
    t.updateSlice(
      makeSlice({
        name: 'a-1',
        service: 'a',
        endpoints: [endpoint('10.244.1.1')],
        ports: [
          { name: 'http', port: 8080 },
          { name: 'zzz', port: 1 },
        ],
      }),
    );
    expect(t.flush().issues.map((i) => i.code)).toEqual(['UNKNOWN_SLICE_PORT']);
    t.updateSlice(
      makeSlice({
        name: 'a-1',
        service: 'a',
        endpoints: [endpoint('10.244.1.2')],
        ports: [
          { name: 'http', port: 8080 },
          { name: 'zzz', port: 1 },
        ],
      }),
    );
    expect(t.flush().issues).toEqual([]);
  });
});

const T = (over: Partial<DesiredTranslation> = {}): DesiredTranslation => ({
  key: 'TCP/10.96.0.1/80',
  vip: '10.96.0.1',
  family: 4,
  port: 80,
  proto: 'TCP',
  isRealIp: false,
  flags: 1,
  lbType: 0,
  flowHashConfig: 0,
  paths: [{ dst: { addr: '10.244.1.1', port: 8080 }, src: undefined, flags: 0 }],
  service: 'default/a',
  portName: 'http',
  kind: 'ClusterIP',
  ...over,
});

describe('what a change costs in VPP', () => {
  it.each([
    { name: 'same', want: T(), change: 'none' },
    {
      name: 'same backends in another order',
      have: T({
        paths: [
          { dst: { addr: 'b', port: 1 }, src: undefined, flags: 0 },
          { dst: { addr: 'a', port: 1 }, src: undefined, flags: 0 },
        ],
      }),
      want: T({
        paths: [
          { dst: { addr: 'a', port: 1 }, src: undefined, flags: 0 },
          { dst: { addr: 'b', port: 1 }, src: undefined, flags: 0 },
        ],
      }),
      change: 'none',
    },
    {
      name: 'a backend more',
      want: T({ paths: [...T().paths, { dst: { addr: '10.244.1.2', port: 8080 }, src: undefined, flags: 0 }] }),
      change: 'update',
    },
    {
      name: 'a backend port',
      want: T({ paths: [{ dst: { addr: '10.244.1.1', port: 8081 }, src: undefined, flags: 0 }] }),
      change: 'update',
    },
    {
      name: 'a source rewrite',
      want: T({
        paths: [{ dst: { addr: '10.244.1.1', port: 8080 }, src: { addr: '192.168.1.10', port: 0 }, flags: 0 }],
      }),
      change: 'update',
    },
    {
      name: 'DSR flag',
      want: T({ paths: [{ dst: { addr: '10.244.1.1', port: 8080 }, src: undefined, flags: CNAT_EPT_NO_NAT }] }),
      change: 'update',
    },
    { name: 'LB type', want: T({ lbType: 1 }), change: 'recreate' },
    { name: 'hash', want: T({ flowHashConfig: 1 }), change: 'recreate' },
    { name: 'is_real_ip', want: T({ isRealIp: true }), change: 'recreate' },
  ] as { name: string; have?: DesiredTranslation; want: DesiredTranslation; change: string }[])(
    '$name → $change',
    ({ have, want, change }) => {
      expect(changeNeeded(have ?? T(), want)).toBe(change);
    },
  );

  it('samePaths compares sets', () => {
    expect(samePaths(T().paths, [])).toBe(false);
  });

  it('the update request carries VPP’s field values: address endpoints (sw_if_index ~0), family, proto number, zero source for no rewrite', () => {
    const r = updateRequest(
      T({
        vip: 'fd00::a',
        family: 6,
        proto: 'SCTP',
        isRealIp: true,
        paths: [{ dst: { addr: 'fd00::1', port: 80 }, src: undefined, flags: 0 }],
      }),
    );
    expect(r.translation).toMatchObject({
      vip: { addr: 'fd00::a', sw_if_index: 0xffffffff, if_af: 1, port: 80 },
      ip_proto: 132,
      is_real_ip: 1,
      flags: 1,
      paths: [
        {
          dst_ep: { addr: 'fd00::1', sw_if_index: 0xffffffff, if_af: 1, port: 80 },
          src_ep: { addr: '::', sw_if_index: 0xffffffff, port: 0 },
          flags: 0,
        },
      ],
    });
  });

  it('details read back: VPP’s own path flags (ACTIVE) dropped, zero source means none, interface VIPs are not ours', () => {
    const d = {
      vip: { addr: '10.96.0.1', sw_if_index: 0xffffffff, port: 80 },
      id: 3,
      ip_proto: 17,
      lb_type: 1,
      paths: [
        { dst_ep: { addr: '10.244.1.1', port: 53 }, src_ep: { addr: '0.0.0.0', port: 0 }, flags: 4 },
        {
          dst_ep: { addr: '10.244.1.2', port: 53 },
          src_ep: { addr: '192.168.1.10', port: 0 },
          flags: 4 | CNAT_EPT_NO_NAT,
        },
      ],
    };
    expect(fromDetails(d)).toEqual({
      id: 3,
      key: 'UDP/10.96.0.1/80',
      vip: '10.96.0.1',
      port: 80,
      proto: 'UDP',
      lbType: 1,
      paths: [
        { dst: { addr: '10.244.1.1', port: 53 }, src: undefined, flags: 0 },
        { dst: { addr: '10.244.1.2', port: 53 }, src: { addr: '192.168.1.10', port: 0 }, flags: CNAT_EPT_NO_NAT },
      ],
    });
    expect(fromDetails({ ...d, vip: { ...d.vip, sw_if_index: 1 } })).toBeUndefined();
  });
});

describe('types line up with @vectorplane/kube', () => {
  it('kube’s Service and EndpointSlice are inputs; its sources are ServicesSources', () => {
    expectTypeOf<Service>().toMatchTypeOf<ServiceInput>();
    expectTypeOf<EndpointSlice>().toMatchTypeOf<EndpointSliceInput>();
    expectTypeOf<ResourceSource>().toMatchTypeOf<ServicesSource>();
    const src: ServicesSource = createMemorySource();
    expect(typeof src.stream).toBe('function');
  });
});
