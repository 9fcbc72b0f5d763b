/**
 * Renders VPP's startup.conf from the typed configuration: unix, api-segment, socksvr (the API socket),
 * cpu, memory and buffers (4k pages when the host has no free hugepages), statseg, plugins (what is used is
 * enabled, dpdk disabled unless it is the driver) and the driver's own section. A Calico/VPP template
 * (CALICOVPP_CONFIG_TEMPLATE) replaces the rendering; its placeholders are filled in.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UplinkCapture } from './capture.js';
import { fillTemplate, type DriverName, type ManagerConfig } from './config.js';

/** Free hugepages the kernel reports in /proc/meminfo (0 when unreadable). */
export function freeHugepages(meminfo?: string): number {
  let text = meminfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/meminfo', 'utf8');
    } catch {
      return 0;
    }
  }
  const m = text.match(/^HugePages_Free:\s+(\d+)/m);
  return m ? Number(m[1]) : 0;
}

/** Plugins each driver needs (af_packet, af_xdp, rdma, vmxnet3 are plugins in VPP 26.06; virtio is in vnet). */
export const DRIVER_PLUGINS: Readonly<Record<DriverName, readonly string[]>> = {
  af_packet: ['af_packet_plugin.so'],
  af_xdp: ['af_xdp_plugin.so'],
  virtio: [],
  rdma: ['rdma_plugin.so'],
  vmxnet3: ['vmxnet3_plugin.so'],
  dpdk: ['dpdk_plugin.so'],
};

/** Where the manager's VPP keeps its files. */
export interface VppPaths {
  readonly runtimeDir: string;
  readonly apiSocket: string;
  readonly cliSocket: string;
  readonly statsSocket: string;
  readonly pidFile: string;
  readonly logFile: string;
  readonly configFile: string;
}

/** Paths of VPP's files for a configuration. */
export function vppPaths(config: ManagerConfig): VppPaths {
  const d = config.vpp.runtimeDir;
  return {
    runtimeDir: d,
    apiSocket: config.vpp.apiSocket ?? join(d, 'api.sock'),
    cliSocket: join(d, 'cli.sock'),
    statsSocket: join(d, 'stats.sock'),
    pidFile: join(d, 'vpp.pid'),
    logFile: join(d, 'vpp.log'),
    configFile: join(d, 'startup.conf'),
  };
}

/** What the rendering needs besides the configuration. */
export interface StartupFacts {
  /** Drivers whose sections and plugins go in (the chosen one, or every candidate in auto mode). */
  readonly drivers: readonly DriverName[];
  readonly uplink?: Pick<UplinkCapture, 'name' | 'pciAddress'>;
  /** Default: whether /proc/meminfo shows free hugepages. */
  readonly hugepages?: boolean;
  /** The host interface is a tap (tap plugin needed). */
  readonly tap?: boolean;
}

/**
 * The startup.conf text for `config`.
 * @throws ConfigError when a template has unknown or unfillable placeholders, or dpdk has no PCI address.
 */
export function renderStartupConf(config: ManagerConfig, facts: StartupFacts): string {
  const p = vppPaths(config);
  if (config.vpp.startupTemplate !== undefined) {
    return fillTemplate(config.vpp.startupTemplate, {
      interfaceNames: [config.uplink.interfaceName],
      pciAddresses: [facts.uplink?.pciAddress],
      nodeAnnotations: config.nodeAnnotations,
    });
  }
  const huge = facts.hugepages ?? config.vpp.hugepages ?? freeHugepages() > 0;
  const page = huge ? '' : ' main-heap-page-size 4k';
  const lines: string[] = [];
  lines.push(
    `unix { nodaemon cli-listen ${p.cliSocket} runtime-dir ${p.runtimeDir} pidfile ${p.pidFile} log ${p.logFile} }`,
  );
  if (config.vpp.apiSegmentGroup) lines.push(`api-segment { gid ${config.vpp.apiSegmentGroup} }`);
  lines.push(`socksvr { socket-name ${p.apiSocket} }`);
  lines.push(`cpu { workers ${config.vpp.workers} }`);
  lines.push(`memory { main-heap-size 1G${page} }`);
  lines.push(`buffers { buffers-per-numa ${config.vpp.buffersPerNuma}${huge ? '' : ' page-size 4k'} }`);
  lines.push(`statseg { socket-name ${p.statsSocket} size 64M${huge ? '' : ' page-size 4k'} }`);
  const plugins = new Set<string>();
  for (const d of facts.drivers) for (const pl of DRIVER_PLUGINS[d]) plugins.add(pl);
  if (facts.tap) plugins.add('tap_plugin.so');
  if (config.hostStack?.httpStatic) {
    plugins.add('http_plugin.so');
    plugins.add('http_static_plugin.so');
  }
  const dpdk = facts.drivers.includes('dpdk');
  const pl = ['plugin default { enable }', ...[...plugins].sort().map((x) => `plugin ${x} { enable }`)];
  if (!dpdk) pl.push('plugin dpdk_plugin.so { disable }');
  lines.push(`plugins { ${pl.join(' ')} }`);
  if (dpdk) {
    const pci = facts.uplink?.pciAddress;
    if (pci) {
      const u = config.uplink;
      lines.push(
        `dpdk { dev ${pci} { name ${u.interfaceName} num-rx-queues ${u.rxQueues} num-tx-queues ${u.txQueues} num-rx-desc ${u.rxQueueSize} num-tx-desc ${u.txQueueSize} }${huge ? '' : ' no-hugetlb'} }`,
      );
    } else lines.push('dpdk { no-pci }');
  }
  if (config.vpp.extraStartup) lines.push(config.vpp.extraStartup);
  return `${lines.join('\n')}\n`;
}
