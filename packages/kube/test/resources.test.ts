import { describe, expect, it } from 'vitest';
import {
  calicoNodeInfo,
  isConfirmedBlockAffinity,
  parseAnyResource,
  parseResource,
  type BlockAffinity,
  type EndpointSlice,
  type Node,
} from '../src/index.js';

describe('parseResource', () => {
  it('accepts a Service list item without apiVersion/kind and fills them from the kind', () => {
    const r = parseResource('Service', {
      metadata: { name: 'a', namespace: 'ns' },
      spec: { ports: [{ port: 53, protocol: 'UDP' }] },
    });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.object.apiVersion).toBe('v1');
      expect(r.object.spec?.ports?.[0]?.protocol).toBe('UDP');
    }
  });

  it('names the object and the bad field', () => {
    const r = parseResource('Service', {
      metadata: { name: 'web', namespace: 'prod' },
      spec: { ports: [{ port: 70000 }] },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.name).toBe('KubeInvalidObjectError');
      expect(r.error.code).toBe('KUBE_INVALID_OBJECT');
      expect(r.error.message).toContain('Service prod/web');
      expect(r.error.message).toContain('spec.ports.0.port');
      const issues = (r.error as unknown as { issues: { path: unknown[] }[] }).issues;
      expect(issues[0]?.path).toEqual(['spec', 'ports', 0, 'port']);
    }
  });

  it('reports a missing metadata.name', () => {
    const r = parseResource('Pod', { metadata: {} });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain('metadata.name');
  });

  it("reads Go's null slices as absent and requires EndpointSlice.addressType", () => {
    const ok = parseResource('EndpointSlice', {
      metadata: { name: 's', namespace: 'd' },
      addressType: 'IPv4',
      endpoints: [],
      ports: null,
    });
    expect(ok.ok).toBe(true);
    if (ok.ok) expect((ok.object as EndpointSlice).ports).toBeUndefined();
    const bad = parseResource('EndpointSlice', { metadata: { name: 's', namespace: 'd' }, endpoints: [] });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.message).toContain('addressType');
  });

  it('reads NetworkPolicy rules with their wire names (from/to, ipBlock.except)', () => {
    const r = parseResource('NetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'np', namespace: 'd' },
      spec: {
        podSelector: { matchLabels: { app: 'db' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ port: 'http' }] }],
      },
    });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.object.spec.ingress?.[0]?.from?.[0]?.ipBlock?.except).toEqual(['10.1.0.0/16']);
  });

  it('accepts both Calico API groups and converts dotted AS numbers', () => {
    for (const apiVersion of ['projectcalico.org/v3', 'crd.projectcalico.org/v1']) {
      const r = parseAnyResource({
        apiVersion,
        kind: 'BGPConfiguration',
        metadata: { name: 'default' },
        spec: { asNumber: '1.10', nodeToNodeMeshEnabled: false },
      });
      expect(r.ok).toBe(true);
      if (r.ok && r.object.kind === 'BGPConfiguration') expect(r.object.spec?.asNumber).toBe(65546);
    }
    const pool = parseAnyResource({
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'IPPool',
      metadata: { name: 'p' },
      spec: { vxlanMode: 'Always' },
    });
    expect(pool.ok).toBe(false);
    if (!pool.ok) expect(pool.error.message).toContain('spec.cidr');
  });

  it('rejects an unknown kind and an apiVersion the kind does not have', () => {
    const a = parseAnyResource({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } });
    expect(a.ok ? '' : a.error.name).toBe('KubeUnknownKindError');
    const b = parseAnyResource({ apiVersion: 'v1', kind: 'IPPool', metadata: { name: 'x' } });
    expect(b.ok ? '' : b.error.name).toBe('KubeUnknownKindError');
  });
});

describe('BlockAffinity', () => {
  const affinity = (spec: Record<string, unknown>, apiVersion = 'crd.projectcalico.org/v1') => {
    const r = parseResource('BlockAffinity', { apiVersion, kind: 'BlockAffinity', metadata: { name: 'b' }, spec });
    if (!r.ok) throw new Error(r.error.message);
    return r.object as BlockAffinity;
  };
  it('gives its node the block when confirmed and not deleted (string in the CRD, boolean in v3)', () => {
    const base = { node: 'node-a', cidr: '10.244.1.0/26' };
    expect(isConfirmedBlockAffinity(affinity({ ...base, state: 'confirmed', deleted: 'false' }))).toBe(true);
    expect(isConfirmedBlockAffinity(affinity({ ...base, state: 'confirmed' }, 'projectcalico.org/v3'))).toBe(true);
    expect(isConfirmedBlockAffinity(affinity({ ...base, state: 'pending', deleted: 'false' }))).toBe(false);
    expect(isConfirmedBlockAffinity(affinity({ ...base, state: 'pendingDeletion' }))).toBe(false);
    expect(isConfirmedBlockAffinity(affinity({ ...base, state: 'confirmed', deleted: 'true' }))).toBe(false);
    expect(
      isConfirmedBlockAffinity(affinity({ ...base, state: 'confirmed', deleted: true }, 'projectcalico.org/v3')),
    ).toBe(false);
  });
  it('names the missing field', () => {
    const r = parseResource('BlockAffinity', {
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'BlockAffinity',
      metadata: { name: 'b' },
      spec: { cidr: '10.244.1.0/26' },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/spec\.node/);
  });
});

describe('calicoNodeInfo', () => {
  it('reads the projectcalico.org annotations of a core/v1 Node', () => {
    const r = parseResource('Node', {
      metadata: {
        name: 'n1',
        annotations: {
          'projectcalico.org/IPv4Address': '192.168.1.10/24',
          'projectcalico.org/IPv6Address': 'fd00::10/64',
          'projectcalico.org/ASNumber': '64512',
          'projectcalico.org/RouteReflectorClusterID': '244.0.0.1',
        },
      },
      spec: { podCIDRs: ['10.244.1.0/24'] },
    });
    expect(r.ok).toBe(true);
    const info = calicoNodeInfo((r as { object: Node }).object);
    expect(info).toMatchObject({
      ipv4Address: '192.168.1.10/24',
      ipv6Address: 'fd00::10/64',
      asNumber: 64512,
      routeReflectorClusterID: '244.0.0.1',
      podCIDRs: ['10.244.1.0/24'],
    });
  });

  it("prefers a projectcalico.org/v3 Node's spec.bgp", () => {
    const r = parseAnyResource({
      apiVersion: 'projectcalico.org/v3',
      kind: 'Node',
      metadata: { name: 'n2', annotations: { 'projectcalico.org/ASNumber': '1' } },
      spec: { bgp: { ipv4Address: '10.0.0.2/24', asNumber: 65002, routeReflectorClusterID: '244.0.0.2' } },
    });
    expect(r.ok).toBe(true);
    const info = calicoNodeInfo((r as { object: Node }).object);
    expect(info.asNumber).toBe(65002);
    expect(info.ipv4Address).toBe('10.0.0.2/24');
    expect(info.routeReflectorClusterID).toBe('244.0.0.2');
  });
});
