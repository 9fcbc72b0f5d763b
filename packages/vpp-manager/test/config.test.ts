import { describe, expect, it } from 'vitest';
import { configFromEnv, fillTemplate, parseConfig, type ConfigError } from '../src/index.js';

const base = { uplink: { interfaceName: 'eth0' } };

const refused = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (e) {
    expect((e as Error).name).toBe('ConfigError');
    expect((e as ConfigError).code).toBe('EINVALIDCONFIG');
    return e as ConfigError;
  }
  throw new Error('not refused');
};

describe('parseConfig', () => {
  it('fills in the defaults', () => {
    const c = parseConfig(base);
    expect(c.uplink).toMatchObject({
      interfaceName: 'eth0',
      driver: 'auto',
      rxQueues: 1,
      rxQueueSize: 1024,
      afPacket: { version: 2, qdiscBypass: false, gso: true },
    });
    expect(c.hostInterface.mode).toBe('auto');
    expect(c.tap0Address).toEqual({ ip4: '169.254.0.1', ip6: 'fc00:ffff:ffff:ffff:ca11:c000:fd10:fffe' });
    expect([c.puntTableId, c.podTableId, c.encapOverhead]).toEqual([1, 2, 60]);
    expect(c.vpp).toMatchObject({ netns: 'vpp-manager', runtimeDir: '/run/vpp', stopGraceMs: 10_000 });
  });

  it('names every refused field and keeps going past the first', () => {
    const e = refused(() =>
      parseConfig({
        uplink: {
          interfaceName: 'an-interface-name-too-long',
          driver: 'e1000',
          rxQueueSize: 1000,
          mac: '01:00:00:00:00:01',
        },
        podCidrs: ['10.0.0.0/33'],
      }),
    );
    const paths = e.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'uplink.interfaceName',
        'uplink.driver',
        'uplink.rxQueueSize',
        'uplink.mac',
        'podCidrs[0]',
      ]),
    );
    expect(e.issues.every((i) => i.source === 'config')).toBe(true);
    expect(e.message).toMatch(/config: uplink\.rxQueueSize: must be a power of two/);
    expect(e.message).toMatch(/uplink\.mac: must be a unicast MAC/);
  });

  it('refuses conflicting settings', () => {
    expect(refused(() => parseConfig({ ...base, puntTableId: 5, podTableId: 5 })).path).toBe('podTableId');
    const ns = refused(() => parseConfig({ ...base, netns: 'node', vpp: { netns: 'node' } }));
    expect(ns.path).toBe('vpp.netns');
    expect(ns.message).toMatch(/two links of one name/);
    expect(
      refused(() =>
        parseConfig({
          uplink: {
            interfaceName: 'eth0',
            vlans: [
              { id: 5, address: '10.0.0.1/24' },
              { id: 5, address: '10.0.1.1/24' },
            ],
          },
        }),
      ).path,
    ).toBe('uplink.vlans[1].id');
    expect(refused(() => parseConfig({ ...base, hostInterface: { vppSideName: 'eth0' } })).path).toBe(
      'hostInterface.vppSideName',
    );
    expect(refused(() => parseConfig({ ...base, unknownField: 1 })).message).toMatch(/unknownField/);
  });
});

describe('configFromEnv (Calico/VPP drop-in)', () => {
  const interfaces = {
    maxPodIfSpec: { rx: 4, tx: 4, rxqsz: 4096, txqsz: 4096 },
    vppHostTapSpec: { rx: 2, tx: 2, rxqsz: 512, txqsz: 512 },
    uplinkInterfaces: [
      { interfaceName: 'eth1', vppDriver: 'af_xdp', isMain: false },
      {
        interfaceName: 'eth0',
        vppDriver: 'af_packet',
        rx: 2,
        tx: 3,
        rxqsz: 2048,
        txqsz: 512,
        rxMode: 'polling',
        mtu: 1400,
        isMain: true,
        physicalNetworkName: 'blue',
        annotations: { AfPacketQdiscBypass: 'true', AfPacketUseV3: 'true' },
      },
    ],
  };

  it('maps CALICOVPP_INTERFACES, CALICOVPP_INITIAL_CONFIG, the template, CALICOVPP_TAP0_ADDR and SERVICE_PREFIX', () => {
    const c = configFromEnv({
      CALICOVPP_INTERFACES: JSON.stringify(interfaces),
      CALICOVPP_INITIAL_CONFIG: JSON.stringify({
        defaultGWs: '192.0.2.1, 2001:db8::1',
        ip4NeighborsMaxNumber: 1000,
        ip6NeighborsMaxAge: 7,
        vppStartupSleepSeconds: 1,
      }),
      CALICOVPP_CONFIG_TEMPLATE:
        'unix { nodaemon }\nsocksvr { socket-name /run/vpp/api.sock }\ndpdk { dev __PCI_DEVICE_ID__ { name __VPP_DATAPLANE_IF__ } }',
      CALICOVPP_TAP0_ADDR: '169.254.10.1/32',
      SERVICE_PREFIX: '10.96.0.0/12,fd00:96::/108',
    });
    expect(c.uplink).toMatchObject({
      interfaceName: 'eth0',
      driver: 'af_packet',
      rxQueues: 2,
      txQueues: 3,
      rxQueueSize: 2048,
      txQueueSize: 512,
      rxMode: 'polling',
      mtu: 1400,
      physicalNetworkName: 'blue',
      afPacket: { qdiscBypass: true, version: 3 },
    });
    expect(c.hostInterface).toMatchObject({ rxQueues: 2, txQueues: 2, rxQueueSize: 512, txQueueSize: 512 });
    expect(c.defaultGateways).toEqual(['192.0.2.1', '2001:db8::1']);
    expect(c.neighbors).toMatchObject({ ip4MaxNumber: 1000, ip6MaxAge: 7, ip6MaxNumber: 50_000 });
    expect(c.vpp.startupTemplate).toMatch(/__PCI_DEVICE_ID__/);
    expect(c.tap0Address.ip4).toBe('169.254.10.1');
    expect(c.servicePrefixes).toEqual(['10.96.0.0/12', 'fd00:96::/108']);
  });

  it('lays the environment over a base configuration', () => {
    const c = configFromEnv(
      { SERVICE_PREFIX: '10.96.0.0/12' },
      { uplink: { interfaceName: 'ens4', driver: 'af_packet' }, podCidrs: ['10.244.0.0/16'] },
    );
    expect(c.uplink.interfaceName).toBe('ens4');
    expect(c.podCidrs).toEqual(['10.244.0.0/16']);
    expect(c.servicePrefixes).toEqual(['10.96.0.0/12']);
  });

  it('names the environment variable and the field of every refused value, all at once', () => {
    const e = refused(() =>
      configFromEnv({
        CALICOVPP_INTERFACES: JSON.stringify({
          uplinkInterfaces: [
            { interfaceName: 'eth0', vppDriver: 'e1000', rxqsz: 1000, annotations: { AfPacketUseV3: 'maybe' } },
          ],
        }),
        CALICOVPP_INITIAL_CONFIG: JSON.stringify({ defaultGWs: '192.0.2.1,not-an-ip' }),
        CALICOVPP_TAP0_ADDR: 'fe80::1',
        SERVICE_PREFIX: '10.96.0.0/12,10.300.0.0/16',
      }),
    );
    expect(e.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ source: 'CALICOVPP_INTERFACES', path: 'uplinkInterfaces[0].vppDriver' }),
        expect.objectContaining({ source: 'CALICOVPP_INITIAL_CONFIG', path: 'defaultGWs' }),
        expect.objectContaining({ source: 'CALICOVPP_TAP0_ADDR' }),
        expect.objectContaining({ source: 'SERVICE_PREFIX', path: '[1]' }),
      ]),
    );
    // once the driver is valid, the queue size and the annotation are reported against the env var too
    const e2 = refused(() =>
      configFromEnv({
        CALICOVPP_INTERFACES: JSON.stringify({
          uplinkInterfaces: [
            { interfaceName: 'eth0', vppDriver: 'af_packet', rxqsz: 1000, annotations: { AfPacketUseV3: 'maybe' } },
          ],
        }),
      }),
    );
    expect(e2.issues.map((i) => `${i.source} ${i.path}`).sort()).toEqual([
      'CALICOVPP_INTERFACES uplinkInterfaces[0].annotations.AfPacketUseV3',
      'CALICOVPP_INTERFACES uplinkInterfaces[0].rxqsz',
    ]);
  });

  it('refuses JSON that does not parse and an empty uplink list', () => {
    expect(refused(() => configFromEnv({ CALICOVPP_INTERFACES: '{nope' })).issues[0]).toMatchObject({
      source: 'CALICOVPP_INTERFACES',
      path: '',
      message: expect.stringMatching(/not valid JSON/),
    });
    expect(refused(() => configFromEnv({ CALICOVPP_INTERFACES: '{"uplinkInterfaces":[]}' })).issues[0]).toMatchObject({
      path: 'uplinkInterfaces',
    });
  });
});

describe('fillTemplate', () => {
  it("fills Calico/VPP's placeholders", () => {
    const out = fillTemplate(
      'dev __PCI_DEVICE_ID__ __PCI_DEVICE_ID_0__ name __VPP_DATAPLANE_IF__ __VPP_DATAPLANE_IF_1__ x __NODE_ANNOTATION:cpus__',
      {
        interfaceNames: ['eth0', 'eth1'],
        pciAddresses: ['0000:00:04.0'],
        nodeAnnotations: { cpus: '2-3' },
      },
    );
    expect(out).toBe('dev 0000:00:04.0 0000:00:04.0 name eth0 eth1 x 2-3');
  });

  it('names unknown placeholders and those without a value here', () => {
    const e = refused(() =>
      fillTemplate('__PCI_DEVICE_ID__ __NO_SUCH_THING__', { interfaceNames: ['eth0'], pciAddresses: [undefined] }),
    );
    expect(e.issues).toEqual([
      { source: 'CALICOVPP_CONFIG_TEMPLATE', path: '__PCI_DEVICE_ID__', message: expect.stringMatching(/no value/) },
      { source: 'CALICOVPP_CONFIG_TEMPLATE', path: '__NO_SUCH_THING__', message: 'unknown placeholder' },
    ]);
  });
});
