import { messagesByName } from '@vectorplane/vpp-binapi';
import {
  parseStartupConf,
  startupConfApiSocket,
  startupConfSection,
  type StartupConfNode,
  type StartupConfSection,
} from '@vectorplane/vpp-binapi/testing';
import { describe, expect, it } from 'vitest';
import {
  AF_XDP_MAX_MTU,
  UPLINK_DRIVERS,
  checkCapabilities,
  driverCandidates,
  effectiveCaps,
  freeHugepages,
  missingCaps,
  orderRoutes,
  parseConfig,
  parsePci,
  pciAsU32,
  pickNextHop,
  renderStartupConf,
  type DriverHostFacts,
  type DriverName,
} from '../src/index.js';

const words = (s: StartupConfSection | undefined): string[] =>
  (s?.body ?? []).filter((x): x is string => typeof x === 'string');
const plugins = (conf: StartupConfNode[]): Record<string, string> => {
  const body = startupConfSection(conf, 'plugins')?.body ?? [];
  const out: Record<string, string> = {};
  for (const n of body) if (typeof n !== 'string') out[n.name] = words(n).join(' ');
  return out;
};

describe('renderStartupConf', () => {
  const config = parseConfig({
    uplink: { interfaceName: 'eth0', driver: 'af_packet' },
    vpp: { runtimeDir: '/run/x', workers: 2 },
  });

  it('renders a config VPP runs without hugepages: 4k pages, socket in the runtime dir, dpdk off', () => {
    const conf = parseStartupConf(renderStartupConf(config, { drivers: ['af_packet'], hugepages: false }));
    expect(startupConfApiSocket(conf)).toBe('/run/x/api.sock');
    expect(words(startupConfSection(conf, 'unix'))).toEqual([
      'nodaemon',
      'cli-listen',
      '/run/x/cli.sock',
      'runtime-dir',
      '/run/x',
      'pidfile',
      '/run/x/vpp.pid',
      'log',
      '/run/x/vpp.log',
    ]);
    expect(words(startupConfSection(conf, 'cpu'))).toEqual(['workers', '2']);
    expect(words(startupConfSection(conf, 'buffers'))).toEqual(['buffers-per-numa', '16384', 'page-size', '4k']);
    expect(words(startupConfSection(conf, 'memory'))).toContain('main-heap-page-size');
    expect(words(startupConfSection(conf, 'statseg'))).toContain('4k');
    expect(plugins(conf)).toEqual({ default: 'enable', 'af_packet_plugin.so': 'enable', 'dpdk_plugin.so': 'disable' });
    expect(startupConfSection(conf, 'dpdk')).toBeUndefined();
    expect(startupConfSection(conf, 'api-segment')).toBeUndefined();
  });

  it('with hugepages: no 4k pages; the api-segment group when configured', () => {
    const c = parseConfig({ uplink: { interfaceName: 'eth0' }, vpp: { apiSegmentGroup: 'vpp' } });
    const conf = parseStartupConf(renderStartupConf(c, { drivers: ['af_packet'], hugepages: true }));
    expect(words(startupConfSection(conf, 'buffers'))).toEqual(['buffers-per-numa', '16384']);
    expect(words(startupConfSection(conf, 'api-segment'))).toEqual(['gid', 'vpp']);
  });

  it("renders each driver's plugins and the dpdk section with the uplink's PCI address", () => {
    for (const d of ['af_xdp', 'rdma', 'vmxnet3'] as DriverName[]) {
      expect(plugins(parseStartupConf(renderStartupConf(config, { drivers: [d], hugepages: false })))).toHaveProperty(
        `${d}_plugin.so`,
        'enable',
      );
    }
    expect(
      plugins(parseStartupConf(renderStartupConf(config, { drivers: ['virtio'], tap: true, hugepages: false }))),
    ).toEqual({
      default: 'enable',
      'tap_plugin.so': 'enable',
      'dpdk_plugin.so': 'disable',
    });
    const conf = parseStartupConf(
      renderStartupConf(config, {
        drivers: ['dpdk'],
        uplink: { name: 'eth0', pciAddress: '0000:00:04.0' },
        hugepages: false,
      }),
    );
    expect(plugins(conf)).toEqual({ default: 'enable', 'dpdk_plugin.so': 'enable' });
    const dpdk = startupConfSection(conf, 'dpdk')!;
    expect(dpdk.body).toEqual([
      'dev',
      {
        name: '0000:00:04.0',
        body: [
          'name',
          'eth0',
          'num-rx-queues',
          '1',
          'num-tx-queues',
          '1',
          'num-rx-desc',
          '1024',
          'num-tx-desc',
          '1024',
        ],
      },
      'no-hugetlb',
    ]);
  });

  it('enables the HTTP plugins for the host stack and appends extra text', () => {
    const c = parseConfig({
      uplink: { interfaceName: 'eth0' },
      hostStack: { httpStatic: { wwwRoot: '/srv', uri: 'tcp://0.0.0.0/80' } },
      vpp: { extraStartup: 'api-trace { on }' },
    });
    const conf = parseStartupConf(renderStartupConf(c, { drivers: ['af_packet'], hugepages: false }));
    expect(plugins(conf)).toMatchObject({ 'http_plugin.so': 'enable', 'http_static_plugin.so': 'enable' });
    expect(startupConfSection(conf, 'api-trace')).toEqual({ name: 'api-trace', body: ['on'] });
  });

  it('uses a Calico/VPP template with its placeholders filled, and refuses one it cannot fill', () => {
    const c = parseConfig({
      uplink: { interfaceName: 'eth0' },
      vpp: {
        startupTemplate:
          'socksvr { socket-name /s/api.sock }\ndpdk { dev __PCI_DEVICE_ID__ { name __VPP_DATAPLANE_IF__ } }',
      },
    });
    const text = renderStartupConf(c, { drivers: ['dpdk'], uplink: { name: 'eth0', pciAddress: '0000:00:05.0' } });
    expect(text).toBe('socksvr { socket-name /s/api.sock }\ndpdk { dev 0000:00:05.0 { name eth0 } }');
    expect(() => renderStartupConf(c, { drivers: ['dpdk'], uplink: { name: 'eth0', pciAddress: undefined } })).toThrow(
      /__PCI_DEVICE_ID__/,
    );
  });

  it('reads free hugepages from /proc/meminfo', () => {
    expect(freeHugepages('HugePages_Total:      64\nHugePages_Free:       12\n')).toBe(12);
    expect(freeHugepages('MemTotal: 1 kB\n')).toBe(0);
  });
});

describe('uplink drivers', () => {
  const facts = (
    over: Partial<DriverHostFacts['uplink']> = {},
    host: Partial<Omit<DriverHostFacts, 'uplink'>> = {},
  ): DriverHostFacts => ({
    uplink: { name: 'eth0', kind: 'veth', driver: 'veth', pciAddress: undefined, mtu: 1500, numRxQueues: 1, ...over },
    vfioPci: false,
    hugepages: false,
    mtu: 1500,
    ...host,
  });

  it('says why each driver cannot run on a veth host without vfio-pci; only af_packet and af_xdp can', () => {
    const why = Object.fromEntries(Object.values(UPLINK_DRIVERS).map((d) => [d.name, d.unsupported(facts())]));
    expect(why.af_packet).toEqual([]);
    expect(why.af_xdp).toEqual([]);
    expect(why.virtio).toEqual(['eth0 is not a PCI device (kind veth)', 'no vfio-pci']);
    expect(why.rdma).toContain('eth0 is driven by veth, not mlx5_core');
    expect(why.vmxnet3).toContain('no vfio-pci');
    expect(why.dpdk).toEqual(['eth0 is not a PCI device (kind veth)', 'no vfio-pci']);
    expect(UPLINK_DRIVERS.af_xdp.unsupported(facts({}, { mtu: 9000 }))).toEqual([
      `MTU 9000 > ${AF_XDP_MAX_MTU} for af_xdp`,
    ]);
    expect(
      UPLINK_DRIVERS.rdma.unsupported(facts({ kind: 'physical', driver: 'mlx5_core', pciAddress: '0000:3b:00.0' })),
    ).toEqual([]);
    expect(
      UPLINK_DRIVERS.virtio.unsupported(
        facts({ kind: 'physical', driver: 'virtio-pci', pciAddress: '0000:00:04.0' }, { vfioPci: true }),
      ),
    ).toEqual([]);
  });

  it('auto tries native drivers first, then the ones that park the netdev in VPP (af_packet last)', () => {
    const c = parseConfig({ uplink: { interfaceName: 'eth0' } });
    const cands = driverCandidates(c, facts());
    expect(cands.map((x) => x.driver.name)).toEqual(['rdma', 'vmxnet3', 'virtio', 'dpdk', 'af_xdp', 'af_packet']);
    // once a driver parked the uplink, no later candidate needs it back in the host namespace
    const moves = cands.map((x) => x.driver.movesNetdev);
    expect(moves).toEqual([...moves].sort((a, b) => Number(a) - Number(b)));
    expect(cands.filter((x) => x.reasons.length === 0).map((x) => x.driver.name)).toEqual(['af_xdp', 'af_packet']);
    expect(
      driverCandidates(parseConfig({ uplink: { interfaceName: 'eth0', driver: 'rdma' } }), facts()).map(
        (x) => x.driver.name,
      ),
    ).toEqual(['rdma']);
  });

  it("builds create requests that encode with VPP 26.06's schemas and decode back unchanged", () => {
    const c = parseConfig({
      uplink: { interfaceName: 'eth0', rxQueues: 2, txQueueSize: 512, afPacket: { version: 3, qdiscBypass: true } },
    });
    const up = { name: 'eth0', mac: '02:00:00:00:0a:10', pciAddress: '0000:3b:00.1' };
    for (const d of Object.values(UPLINK_DRIVERS)) {
      const req = d.createRequest(c, up);
      const del = d.deleteRequest(7, up);
      if (!req) {
        expect(d.name).toBe('dpdk'); // created from startup.conf
        expect(del).toBeUndefined();
        continue;
      }
      for (const r of [req, del!]) {
        const def = messagesByName.get(r.message)!;
        expect(def, r.message).toBeDefined();
        const msg = def.create(r.fields as never);
        const back = def.decode(def.encode(msg)) as Record<string, unknown>;
        expect(back).toMatchObject(r.fields);
      }
    }
    expect(UPLINK_DRIVERS.af_packet.deleteRequest(7, up)).toEqual({
      message: 'af_packet_delete',
      fields: { host_if_name: 'eth0' },
    });
    expect(UPLINK_DRIVERS.af_xdp.deleteRequest(7, up)).toEqual({
      message: 'af_xdp_delete',
      fields: { sw_if_index: 7 },
    });
    const afp = UPLINK_DRIVERS.af_packet.createRequest(c, up)!.fields;
    expect(afp).toMatchObject({
      host_if_name: 'eth0',
      hw_addr: '02:00:00:00:0a:10',
      use_random_hw_addr: false,
      flags: 1 | 2,
      num_rx_queues: 2,
      tx_frames_per_block: 512,
    });
    expect(
      UPLINK_DRIVERS.af_packet.createRequest(parseConfig({ uplink: { interfaceName: 'eth0' } }), up)!.fields.flags,
    ).toBe(2 | 8); // GSO + TPACKET_V2
    expect(UPLINK_DRIVERS.virtio.createRequest(c, up)!.fields.pci_addr).toEqual({
      domain: 0,
      bus: 0x3b,
      slot: 0,
      function: 1,
    });
  });

  it("packs PCI addresses as VPP's vlib_pci_addr_t", () => {
    expect(parsePci('0001:3b:1f.7')).toEqual({ domain: 1, bus: 0x3b, slot: 0x1f, function: 7 });
    expect(pciAsU32('0000:00:04.0')).toBe(0x04000000);
    expect(pciAsU32('0001:3b:1f.7')).toBe((1 | (0x3b << 16) | (0x1f << 24) | (7 << 29)) >>> 0);
    expect(() => parsePci('00:04.0')).toThrow(/not a PCI address/);
  });
});

describe('capture helpers', () => {
  it('orders routes so that they can be re-added: connected, via a gateway, default last', () => {
    const r = orderRoutes([
      { dst: 'default', gateway: '192.0.2.1' },
      { dst: '198.51.100.0/24', gateway: '192.0.2.254' },
      { dst: '192.0.2.0/24' },
      { dst: '::/0', gateway: 'fe80::1' },
      { dst: '2001:db8::/64' },
    ]);
    expect(r.map((x) => x.dst)).toEqual(['192.0.2.0/24', '2001:db8::/64', '198.51.100.0/24', 'default', '::/0']);
  });

  it("picks Calico/VPP's next hop for cluster routes: the subnet's last usable address, else its first", () => {
    expect(pickNextHop('192.0.2.10/24')).toBe('192.0.2.254');
    expect(pickNextHop('192.0.2.254/24')).toBe('192.0.2.1');
    expect(pickNextHop('2001:db8::10/64')).toBe('2001:db8::ffff:ffff:ffff:fffe');
    expect(pickNextHop('10.0.0.1/32')).toBeUndefined();
  });
});

describe('capabilities', () => {
  it('names the capabilities missing for the manager and for a rootless VPP', () => {
    // CAP_NET_ADMIN | CAP_NET_RAW only
    const status = `Name:\tx\nCapEff:\t${((1n << 12n) | (1n << 13n)).toString(16).padStart(16, '0')}\n`;
    expect(effectiveCaps(status)).toBe((1n << 12n) | (1n << 13n));
    expect(checkCapabilities(status)).toEqual({ manager: ['CAP_SYS_ADMIN'], vpp: ['CAP_IPC_LOCK'] });
    expect(missingCaps(0x3fffffffffn, ['CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_SYS_ADMIN'])).toEqual([]);
  });
});
