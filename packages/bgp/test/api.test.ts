import { existsSync, readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { gobgpRoot } from '../src/api/codec.js';
import {
  fromApiPath,
  fromApiPeer,
  packAny,
  toApiGlobal,
  toApiPath,
  toApiPeer,
  toApiPolicy,
  unpackAny,
} from '../src/index.js';

const API_DIR = '/usr/share/gocode/src/github.com/osrg/gobgp/api';

describe('bgp proto subset', () => {
  // Debian's golang-github-osrg-gobgp-dev (3.10.0) installs GoBGP's own .proto files here
  it.skipIf(!existsSync(`${API_DIR}/gobgp.proto`))(
    'bgp: every message, field number, type and enum value matches GoBGP v3.10.0',
    () => {
      const real = new protobuf.Root();
      for (const f of ['gobgp.proto', 'attribute.proto']) {
        const text = readFileSync(`${API_DIR}/${f}`, 'utf8').replace(/^import .*$/gm, '');
        protobuf.parse(text, real, { keepCase: true, alternateCommentMode: true });
      }
      protobuf.parse(
        'syntax = "proto3"; package google.protobuf; message Any { string type_url = 1; bytes value = 2; } message Empty {} message Timestamp { int64 seconds = 1; int32 nanos = 2; }',
        real,
        { keepCase: true },
      );
      real.resolveAll();
      const ours = gobgpRoot();
      const ns = ours.lookup('apipb') as protobuf.Namespace;
      let fields = 0;
      const visit = (obj: protobuf.ReflectionObject) => {
        if (obj instanceof protobuf.Type) {
          const theirs = real.lookupType(obj.fullName);
          for (const f of obj.fieldsArray) {
            const t = theirs.fields[f.name];
            expect(t, `${obj.fullName}.${f.name}`).toBeDefined();
            expect([f.id, f.repeated, f.resolvedType?.fullName ?? f.type], `${obj.fullName}.${f.name}`).toEqual([
              t!.id,
              t!.repeated,
              t!.resolve().resolvedType?.fullName ?? t!.type,
            ]);
            fields++;
          }
          for (const n of obj.nestedArray) visit(n);
        } else if (obj instanceof protobuf.Enum) {
          const theirs = real.lookupEnum(obj.fullName);
          for (const [k, v] of Object.entries(obj.values)) expect(theirs.values[k], `${obj.fullName}.${k}`).toBe(v);
        } else if (obj instanceof protobuf.Service) {
          const theirs = real.lookupService(obj.fullName);
          for (const m of obj.methodsArray) {
            const t = theirs.methods[m.name]!;
            expect([m.requestType, m.responseType, !!m.requestStream, !!m.responseStream], m.name).toEqual([
              t.requestType,
              t.responseType,
              !!t.requestStream,
              !!t.responseStream,
            ]);
          }
        }
      };
      for (const n of ns.nestedArray) visit(n);
      expect(fields).toBeGreaterThan(250);
    },
  );
});

describe('bgp Any packing and paths', () => {
  it('bgp: Any round trip keeps the apipb type URL and value', () => {
    const a = packAny('IPAddressPrefix', { prefix: '10.1.0.0', prefix_len: 16 });
    expect(a.type_url).toBe('type.googleapis.com/apipb.IPAddressPrefix');
    expect(unpackAny(a)).toEqual({ type: 'IPAddressPrefix', value: { prefix: '10.1.0.0', prefix_len: 16 } });
    expect(unpackAny({ type_url: 'type.googleapis.com/apipb.NotInSubset', value: new Uint8Array([8, 1]) })).toEqual({
      type: 'NotInSubset',
      value: {},
    });
  });

  it('bgp: a v4 announcement is NLRI + Origin + NextHop (+ communities); a v6 one carries MpReachNLRI', () => {
    const p4 = toApiPath({ prefix: '10.244.1.0/26', nextHop: '192.168.1.1', communities: ['64512:100', 7] });
    expect(p4.family).toEqual({ afi: 'AFI_IP', safi: 'SAFI_UNICAST' });
    expect(p4.pattrs!.map((a) => unpackAny(a))).toEqual([
      { type: 'OriginAttribute', value: { origin: 0 } }, // IGP
      { type: 'NextHopAttribute', value: { next_hop: '192.168.1.1' } },
      { type: 'CommunitiesAttribute', value: { communities: [64512 * 65536 + 100, 7] } },
    ]);
    const p6 = toApiPath({ prefix: 'fd00:244:0:0::1:0/112', nextHop: 'fd01::1' });
    const mp = unpackAny(p6.pattrs![1]!);
    expect(mp.type).toBe('MpReachNLRIAttribute');
    expect(mp.value['next_hops']).toEqual(['fd01::1']);
    expect(unpackAny((mp.value['nlris'] as never[])[0]!)).toEqual({
      type: 'IPAddressPrefix',
      value: { prefix: 'fd00:244::1:0', prefix_len: 112 },
    });
  });

  it('bgp: learned paths decode (next hop, AS path, originator, cluster list; own paths marked local)', () => {
    const learned = fromApiPath({
      nlri: packAny('IPAddressPrefix', { prefix: '10.244.2.0', prefix_len: 26 }),
      pattrs: [
        packAny('NextHopAttribute', { next_hop: '192.168.1.2' }),
        packAny('AsPathAttribute', { segments: [{ type: 'AS_SEQUENCE', numbers: [65001, 65002] }] }),
        packAny('OriginatorIdAttribute', { id: '192.168.1.2' }),
        packAny('ClusterListAttribute', { ids: ['224.0.0.1'] }),
      ],
      neighbor_ip: '192.168.1.254',
      source_asn: 65001,
      is_withdraw: true,
    });
    expect(learned).toMatchObject({
      prefix: '10.244.2.0/26',
      family: 'ipv4',
      nextHop: '192.168.1.2',
      asPath: [65001, 65002],
      originatorId: '192.168.1.2',
      clusterList: ['224.0.0.1'],
      neighbor: '192.168.1.254',
      local: false,
      withdrawn: true,
    });
    expect(fromApiPath({ ...toApiPath({ prefix: '10.0.0.0/8' }), neighbor_ip: '<nil>' })).toMatchObject({
      local: true,
      neighbor: undefined,
      nextHop: '0.0.0.0',
    });
    expect(fromApiPath({ nlri: packAny('OriginAttribute', {}) })).toBeUndefined();
  });
});

describe('bgp speaker mapping', () => {
  it('bgp: global settings never default to all interfaces', () => {
    expect(() => toApiGlobal({ asn: 64512, routerId: '10.0.0.1', listenAddresses: [] })).toThrow(/listenAddresses/);
    expect(() => toApiGlobal({ asn: 64512, routerId: 'fd00::1', listenAddresses: ['10.0.0.1'] })).toThrow(/routerId/);
    expect(
      toApiGlobal({
        asn: 64512,
        routerId: '10.0.0.1',
        listenAddresses: ['10.0.0.1'],
        gracefulRestart: { restartTimeS: 90 },
      }),
    ).toEqual({
      asn: 64512,
      router_id: '10.0.0.1',
      listen_port: 179,
      listen_addresses: ['10.0.0.1'],
      graceful_restart: { enabled: true, restart_time: 90 },
    });
  });

  it('bgp: a peer maps to GoBGP fields (password, GTSM, RR client, graceful restart, policies, keep next hop, transport)', () => {
    expect(
      toApiPeer({
        address: '10.0.0.2',
        asn: 65000,
        password: 'pw',
        ttlSecurityHops: 1,
        routeReflectorClient: { clusterId: '224.0.0.1' },
        gracefulRestart: { restartTimeS: 120 },
        families: ['ipv4'],
        keepOriginalNextHop: true,
        importPolicies: ['f-import'],
        sourceAddress: '10.0.0.1',
        port: 1790,
      }),
    ).toEqual({
      conf: { neighbor_address: '10.0.0.2', peer_asn: 65000, auth_password: 'pw' },
      transport: { remote_port: 1790, local_address: '10.0.0.1' },
      ttl_security: { enabled: true, ttl_min: 255 },
      route_reflector: { route_reflector_client: true, route_reflector_cluster_id: '224.0.0.1' },
      graceful_restart: { enabled: true, restart_time: 120 },
      afi_safis: [
        {
          config: { family: { afi: 'AFI_IP', safi: 'SAFI_UNICAST' }, enabled: true },
          mp_graceful_restart: { config: { enabled: true } },
        },
      ],
      apply_policy: {
        import_policy: {
          name: '10.0.0.2',
          direction: 'IMPORT',
          policies: [{ name: 'f-import' }],
          default_action: 'ACCEPT',
        },
        export_policy: {
          name: '10.0.0.2',
          direction: 'EXPORT',
          policies: [{ name: 'vp-keep-next-hop' }],
          default_action: 'ACCEPT',
        },
      },
    });
    expect(() => toApiPeer({ address: '10.0.0.2', asn: 65000, sourceAddress: 'fd00::1' })).toThrow(/sourceAddress/);
    expect(() => toApiPeer({ address: '10.0.0.2', asn: 65000, ttlSecurityHops: 0 })).toThrow(/ttlSecurityHops/);
  });

  it('bgp: a policy maps to prefix sets and statements (NotIn → INVERT)', () => {
    expect(
      toApiPolicy({
        name: 'p',
        statements: [
          {
            prefixes: [{ cidr: '10.0.0.0/8', maskMin: 8, maskMax: 32 }],
            match: 'notIn',
            action: 'reject',
            family: 'ipv4',
          },
          { action: 'accept' },
        ],
      }),
    ).toEqual({
      sets: [
        {
          defined_type: 'PREFIX',
          name: 'p-0',
          prefixes: [{ ip_prefix: '10.0.0.0/8', mask_length_min: 8, mask_length_max: 32 }],
        },
      ],
      policy: {
        name: 'p',
        statements: [
          {
            name: 'p-0',
            conditions: {
              prefix_set: { name: 'p-0', type: 'INVERT' },
              afi_safi_in: [{ afi: 'AFI_IP', safi: 'SAFI_UNICAST' }],
            },
            actions: { route_action: 'REJECT' },
          },
          { name: 'p-1', conditions: {}, actions: { route_action: 'ACCEPT' } },
        ],
      },
    });
    expect(() => toApiPolicy({ name: 'bad name', statements: [] })).toThrow(/name/);
    expect(() =>
      toApiPolicy({ name: 'p', statements: [{ prefixes: [{ cidr: '10.0.0.0/8', maskMin: 4 }], action: 'accept' }] }),
    ).toThrow(/maskMin/);
  });

  it('bgp: peer status from a ListPeer answer', () => {
    expect(
      fromApiPeer({
        conf: { neighbor_address: '10.0.0.2', peer_asn: 65000 },
        state: { session_state: 'ESTABLISHED', router_id: '<nil>' },
        afi_safis: [{ state: { received: 3, accepted: 2, advertised: 1 } }],
      }),
    ).toEqual({
      address: '10.0.0.2',
      asn: 65000,
      state: 'ESTABLISHED',
      routerId: undefined,
      received: 3,
      accepted: 2,
      advertised: 1,
    });
  });
});
