/**
 * Uplink drivers: how VPP takes the uplink (af_packet, af_xdp, virtio, rdma, vmxnet3, dpdk), why a driver
 * cannot run on this host, and the API request that creates VPP's interface. Auto mode tries drivers in
 * order and falls back when one is unsupported or VPP refuses it.
 */
import { existsSync } from 'node:fs';
import { af_packet_flags, af_packet_mode, virtio_flags } from '@vectorplane/vpp-binapi';
import type { UplinkCapture } from './capture.js';
import { AUTO_DRIVER_ORDER, type DriverName, type ManagerConfig, type RxMode } from './config.js';

/** What decides whether a driver can run: the uplink and a few host facts (probed, or given by tests). */
export interface DriverHostFacts {
  readonly uplink: Pick<UplinkCapture, 'name' | 'kind' | 'driver' | 'pciAddress' | 'mtu' | 'numRxQueues'>;
  /** vfio-pci is loaded (/sys/bus/pci/drivers/vfio-pci). */
  readonly vfioPci: boolean;
  /** Free hugepages (dpdk). */
  readonly hugepages: boolean;
  /** MTU VPP will use on the uplink. */
  readonly mtu: number;
}

/** Probes the host facts for `uplink`. */
export function probeHostFacts(uplink: DriverHostFacts['uplink'], mtu: number, hugepages: boolean): DriverHostFacts {
  return { uplink, vfioPci: existsSync('/sys/bus/pci/drivers/vfio-pci'), hugepages, mtu };
}

/** A VPP API request: message name and fields. */
export interface DriverRequest {
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** One way for VPP to take the uplink. */
export interface UplinkDriver {
  readonly name: DriverName;
  /** Rx mode when the configuration sets none (af_packet supports only interrupt and polling). */
  readonly defaultRxMode: RxMode;
  /** The uplink netdev must be in VPP's namespace (af_packet/af_xdp open it there) and come back on restore. */
  readonly movesNetdev: boolean;
  /** Why it cannot run here; empty when it can. */
  unsupported(facts: DriverHostFacts): string[];
  /** The create request; undefined when VPP creates the interface from startup.conf (dpdk). */
  createRequest(
    config: ManagerConfig,
    uplink: Pick<UplinkCapture, 'name' | 'mac' | 'pciAddress'>,
  ): DriverRequest | undefined;
  /** Name VPP gives the interface, to find it when no create reply tells (dpdk) or to check. */
  vppInterfaceName(uplink: Pick<UplinkCapture, 'name'>): string;
  /**
   * The request that deletes an interface this driver created (auto mode removes what a refused attempt
   * left in VPP); undefined when VPP made it from startup.conf (dpdk).
   */
  deleteRequest(sw_if_index: number, uplink: Pick<UplinkCapture, 'name'>): DriverRequest | undefined;
}

/** `0000:00:04.0` → VPP's `pci_address` struct. */
export function parsePci(pci: string): { domain: number; bus: number; slot: number; function: number } {
  const m = pci.match(/^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i);
  if (!m) throw new Error(`not a PCI address: '${pci}'`);
  return { domain: parseInt(m[1]!, 16), bus: parseInt(m[2]!, 16), slot: parseInt(m[3]!, 16), function: Number(m[4]) };
}

/** VPP's `vlib_pci_addr_t.as_u32` (domain in the low 16 bits, then bus, slot:5, function:3), as vmxnet3_create takes it. */
export function pciAsU32(pci: string): number {
  const a = parsePci(pci);
  return (a.domain | (a.bus << 16) | ((a.slot & 0x1f) << 24) | ((a.function & 7) << 29)) >>> 0;
}

const needPci = (f: DriverHostFacts, out: string[]): void => {
  if (!f.uplink.pciAddress) out.push(`${f.uplink.name} is not a PCI device (kind ${f.uplink.kind})`);
};

export const afPacketDriver: UplinkDriver = {
  name: 'af_packet',
  defaultRxMode: 'interrupt',
  movesNetdev: true,
  unsupported: () => [],
  createRequest(config, uplink) {
    const u = config.uplink;
    const flags =
      (u.afPacket.gso ? af_packet_flags.AF_PACKET_API_FLAG_CKSUM_GSO : 0) |
      (u.afPacket.qdiscBypass ? af_packet_flags.AF_PACKET_API_FLAG_QDISC_BYPASS : 0) |
      (u.afPacket.version === 2 ? af_packet_flags.AF_PACKET_API_FLAG_VERSION_2 : 0);
    const mac = u.mac ?? uplink.mac;
    return {
      message: 'af_packet_create_v3',
      fields: {
        mode: af_packet_mode.AF_PACKET_API_MODE_ETHERNET,
        hw_addr: mac ?? '00:00:00:00:00:00',
        use_random_hw_addr: mac === undefined,
        host_if_name: uplink.name,
        rx_frame_size: 0,
        tx_frame_size: 0,
        rx_frames_per_block: u.rxQueueSize,
        tx_frames_per_block: u.txQueueSize,
        flags,
        num_rx_queues: u.rxQueues,
        num_tx_queues: u.txQueues,
      },
    };
  },
  vppInterfaceName: (u) => `host-${u.name}`,
  deleteRequest: (_sw, u) => ({ message: 'af_packet_delete', fields: { host_if_name: u.name } }),
};

/** Largest MTU af_xdp handles: one 4k page per frame less headroom. */
export const AF_XDP_MAX_MTU = 3072;

export const afXdpDriver: UplinkDriver = {
  name: 'af_xdp',
  defaultRxMode: 'adaptive',
  movesNetdev: true,
  unsupported(f) {
    const out: string[] = [];
    if (f.mtu > AF_XDP_MAX_MTU) out.push(`MTU ${f.mtu} > ${AF_XDP_MAX_MTU} for af_xdp`);
    if (f.uplink.kind === 'tun') out.push('af_xdp needs an Ethernet device, not tun');
    return out;
  },
  createRequest(config, uplink) {
    const u = config.uplink;
    return {
      message: 'af_xdp_create_v3',
      fields: {
        host_if: uplink.name,
        name: '',
        rxq_num: u.rxQueues,
        rxq_size: u.rxQueueSize,
        txq_size: u.txQueueSize,
        mode: 0,
        flags: 0,
        prog: '',
        netns: '',
      },
    };
  },
  vppInterfaceName: (u) => u.name,
  deleteRequest: (sw_if_index) => ({ message: 'af_xdp_delete', fields: { sw_if_index } }),
};

export const virtioDriver: UplinkDriver = {
  name: 'virtio',
  defaultRxMode: 'adaptive',
  movesNetdev: false,
  unsupported(f) {
    const out: string[] = [];
    needPci(f, out);
    if (f.uplink.pciAddress && f.uplink.driver !== 'virtio-pci' && f.uplink.driver !== 'vfio-pci') {
      out.push(`${f.uplink.name} is driven by ${f.uplink.driver ?? 'no driver'}, not virtio-pci`);
    }
    if (!f.vfioPci) out.push('no vfio-pci');
    return out;
  },
  createRequest(config, uplink) {
    const mac = config.uplink.mac ?? uplink.mac;
    return {
      message: 'virtio_pci_create_v2',
      fields: {
        pci_addr: parsePci(uplink.pciAddress ?? ''),
        use_random_mac: mac === undefined,
        mac_address: mac ?? '00:00:00:00:00:00',
        virtio_flags: config.uplink.afPacket.gso
          ? virtio_flags.VIRTIO_API_FLAG_GSO | virtio_flags.VIRTIO_API_FLAG_CSUM_OFFLOAD
          : 0,
        features: 0n,
      },
    };
  },
  vppInterfaceName: (u) => u.name,
  deleteRequest: (sw_if_index) => ({ message: 'virtio_pci_delete', fields: { sw_if_index } }),
};

export const rdmaDriver: UplinkDriver = {
  name: 'rdma',
  defaultRxMode: 'adaptive',
  movesNetdev: false,
  unsupported(f) {
    const out: string[] = [];
    needPci(f, out);
    if (f.uplink.driver !== 'mlx5_core')
      out.push(`${f.uplink.name} is driven by ${f.uplink.driver ?? 'no driver'}, not mlx5_core`);
    return out;
  },
  createRequest(config, uplink) {
    const u = config.uplink;
    return {
      message: 'rdma_create_v4',
      fields: {
        host_if: uplink.name,
        name: `rdma-${uplink.name}`.slice(0, 63),
        rxq_num: u.rxQueues,
        rxq_size: u.rxQueueSize,
        txq_size: u.txQueueSize,
        mode: 0,
        no_multi_seg: false,
        max_pktlen: 0,
        rss4: 0,
        rss6: 0,
      },
    };
  },
  vppInterfaceName: (u) => `rdma-${u.name}`.slice(0, 63),
  deleteRequest: (sw_if_index) => ({ message: 'rdma_delete', fields: { sw_if_index } }),
};

export const vmxnet3Driver: UplinkDriver = {
  name: 'vmxnet3',
  defaultRxMode: 'adaptive',
  movesNetdev: false,
  unsupported(f) {
    const out: string[] = [];
    needPci(f, out);
    if (f.uplink.driver !== 'vmxnet3' && f.uplink.driver !== 'vfio-pci')
      out.push(`${f.uplink.name} is driven by ${f.uplink.driver ?? 'no driver'}, not vmxnet3`);
    if (!f.vfioPci) out.push('no vfio-pci');
    return out;
  },
  createRequest(config, uplink) {
    const u = config.uplink;
    return {
      message: 'vmxnet3_create',
      fields: {
        pci_addr: pciAsU32(uplink.pciAddress ?? '0000:00:00.0'),
        enable_elog: 0,
        rxq_size: u.rxQueueSize,
        rxq_num: u.rxQueues,
        txq_size: u.txQueueSize,
        txq_num: u.txQueues,
        bind: 1,
        enable_gso: u.afPacket.gso,
      },
    };
  },
  vppInterfaceName: (u) => u.name,
  deleteRequest: (sw_if_index) => ({ message: 'vmxnet3_delete', fields: { sw_if_index } }),
};

export const dpdkDriver: UplinkDriver = {
  name: 'dpdk',
  defaultRxMode: 'adaptive',
  movesNetdev: false,
  unsupported(f) {
    const out: string[] = [];
    needPci(f, out);
    if (!f.vfioPci) out.push('no vfio-pci');
    return out;
  },
  createRequest: () => undefined,
  vppInterfaceName: (u) => u.name,
  deleteRequest: () => undefined,
};

export const UPLINK_DRIVERS: Readonly<Record<DriverName, UplinkDriver>> = {
  af_packet: afPacketDriver,
  af_xdp: afXdpDriver,
  virtio: virtioDriver,
  rdma: rdmaDriver,
  vmxnet3: vmxnet3Driver,
  dpdk: dpdkDriver,
};

/**
 * Drivers to try, in order, each with why it was left out (empty `reasons` = candidate). The drivers that
 * park the uplink netdev in VPP's namespace (af_xdp, af_packet) come after those that do not, so a
 * fallback never has to move the uplink back between two attempts.
 */
export function driverCandidates(
  config: ManagerConfig,
  facts: DriverHostFacts,
): { driver: UplinkDriver; reasons: string[] }[] {
  const names = config.uplink.driver === 'auto' ? AUTO_DRIVER_ORDER : [config.uplink.driver];
  return names
    .map((n) => ({ driver: UPLINK_DRIVERS[n], reasons: UPLINK_DRIVERS[n].unsupported(facts) }))
    .sort((a, b) => Number(a.driver.movesNetdev) - Number(b.driver.movesNetdev));
}
