/**
 * Uplink drivers that take a host device: af_xdp (src/plugins/af_xdp), rdma (src/plugins/rdma), virtio
 * PCI (src/vnet/devices/virtio) and vmxnet3 (src/plugins/vmxnet3). Without a device they fail the way
 * VPP does on a machine that lacks one; a test that wants one to succeed declares the device first with
 * `fake.state.devices.addNetdev()` / `addPci()`.
 */
import { INDEX_INVALID, VNET_API_ERROR } from '../constants.js';
import { type FakePlugin, type HandlerContext, type Msg, isZeroMac, num, obj, randomMac, str } from './context.js';

/** A Linux netdev as the drivers see it. */
export interface FakeNetdev {
  readonly name: string;
  /** MAC of the netdev (used when a driver reuses it). */
  readonly mac: string;
  /** Combined/rx queue count `ETHTOOL_GCHANNELS` reports (af_xdp). Default 1. */
  readonly queues: number;
  /** An RDMA-capable (Mellanox) NIC: `rdma_create_v4` can take it. */
  readonly rdma: boolean;
}

/** A PCI function and the driver that can bind it. */
export interface FakePciDevice {
  /** `'0000:00:08.0'`. */
  readonly address: string;
  readonly driver: 'virtio' | 'vmxnet3';
}

/** Devices present on the fake's host, for the drivers that need real hardware or a real netdev. */
export class FakeDevicesState {
  readonly netdevs = new Map<string, FakeNetdev>();
  readonly pci = new Map<string, FakePciDevice>();

  /** Declares a netdev af_xdp (and rdma when `rdma`) can take. */
  addNetdev(name: string, opts: { mac?: string; queues?: number; rdma?: boolean } = {}): FakeNetdev {
    const d = { name, mac: opts.mac ?? randomMac(0x02, 0x00), queues: opts.queues ?? 1, rdma: opts.rdma ?? false };
    this.netdevs.set(name, d);
    return d;
  }

  /** Declares a PCI function (`'0000:00:08.0'`) bound to vfio/uio that virtio-pci or vmxnet3 can open. */
  addPci(address: string, driver: FakePciDevice['driver']): FakePciDevice {
    const d = { address: address.toLowerCase(), driver };
    this.pci.set(d.address, d);
    return d;
  }
}

function pow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** `'dddd:bb:ss.f'` from a `vl_api_pci_address_t`. */
function pciText(a: Msg): string {
  const h = (v: number, w: number): string => v.toString(16).padStart(w, '0');
  return `${h(num(a, 'domain'), 4)}:${h(num(a, 'bus'), 2)}:${h(num(a, 'slot'), 2)}.${num(a, 'function')}`;
}

/** vmxnet3's u32 `pci_addr` (`vlib_pci_addr_t.as_u32`: domain in bits 0-15, bus 16-23, slot 24-28, function 29-31). */
function pciFromU32(v: number): string {
  return pciText({ domain: v & 0xffff, bus: (v >>> 16) & 0xff, slot: (v >>> 24) & 0x1f, function: (v >>> 29) & 0x7 });
}

function pciName(prefix: string, address: string): string {
  const [domain = '0', bus = '0', rest = '0.0'] = address.split(':');
  const [slot = '0', fn = '0'] = rest.split('.');
  const x = (s: string): string => parseInt(s, 16).toString(16);
  return `${prefix}-${x(domain)}/${x(bus)}/${x(slot)}/${x(fn)}`;
}

function deleteOf(kind: 'af_xdp' | 'rdma' | 'vmxnet3' | 'virtio', wrongKindRetval: number) {
  return (ctx: HandlerContext, m: Msg): void => {
    const itf = ctx.state.interfaces.get(num(m, 'sw_if_index'));
    if (!itf || itf.kind !== kind) return ctx.reply({ retval: wrongKindRetval });
    ctx.state.removeInterface(itf);
    ctx.reply({ retval: 0 });
  };
}

const ETH_DEFAULTS = { linkMtu: 9000, mtu: [9000, 0, 0, 0] } as const;

export const afXdpPlugin: FakePlugin = {
  name: 'af_xdp',
  source: 'src/plugins/af_xdp/api.c, device.c',
  handlers: {
    // af_xdp_create_if (device.c): on failure the reply's sw_if_index is the zeroed args' 0
    af_xdp_create_v3: (ctx, m) => {
      const fail = (retval: number): void => ctx.reply({ retval, sw_if_index: 0 });
      const host = str(m, 'host_if');
      const rxqSize = num(m, 'rxq_size') || 512;
      const txqSize = num(m, 'txq_size') || 512;
      const rxqNum = num(m, 'rxq_num') || 1;
      if (!host || Buffer.byteLength(host) >= 16) return fail(VNET_API_ERROR.INVALID_VALUE);
      const sizeOk = (n: number): boolean => n >= 256 && n <= 65535 && pow2(n);
      if (!sizeOk(rxqSize) || !sizeOk(txqSize)) return fail(VNET_API_ERROR.INVALID_VALUE);
      const dev = ctx.state.devices.netdevs.get(host);
      // af_xdp_get_q_count falls back to 1 queue when ETHTOOL_GCHANNELS fails; 0xffff means "all"
      if (rxqNum > (dev?.queues ?? 1) && rxqNum !== 0xffff) return fail(VNET_API_ERROR.INVALID_VALUE);
      // if_nametoindex fails for a netdev that is not there
      if (!dev) return fail(VNET_API_ERROR.INVALID_VALUE);
      const name =
        str(m, 'name') || `${host}/${[...ctx.state.interfaces.values()].filter((i) => i.kind === 'af_xdp').length}`;
      const itf = ctx.state.addInterface(
        'af_xdp',
        name,
        0,
        { devType: 'AF_XDP interface' /* device class names, as VPP reports them */, ...ETH_DEFAULTS },
        {
          l2_address: num(m, 'flags') & 2 ? dev.mac : randomMac(0x02, 0xfe),
          rxQueues: Math.min(rxqNum, dev.queues),
          plugin: { host_if: host },
        },
      );
      ctx.reply({ retval: 0, sw_if_index: itf.sw_if_index });
    },
    af_xdp_delete: deleteOf('af_xdp', VNET_API_ERROR.INVALID_INTERFACE),
  },
};

export const rdmaPlugin: FakePlugin = {
  name: 'rdma',
  source: 'src/plugins/rdma/api.c, device.c',
  handlers: {
    // rdma_create_if (device.c): with no RDMA device at all, ibv_get_device_list finds none and the
    // function returns before setting args->rv: VPP answers retval 0 with sw_if_index 0 (local0).
    // With RDMA devices but not this netdev, -71.
    rdma_create_v4: (ctx, m) => {
      const rxqSize = num(m, 'rxq_size') || 1024;
      const txqSize = num(m, 'txq_size') || 1024;
      const sizeOk = (n: number): boolean => n >= 256 && n <= 65535 && pow2(n);
      if (!sizeOk(rxqSize) || !sizeOk(txqSize))
        return ctx.reply({ retval: VNET_API_ERROR.INVALID_VALUE, sw_if_index: 0 });
      const rdmaDevs = [...ctx.state.devices.netdevs.values()].filter((d) => d.rdma);
      if (rdmaDevs.length === 0) return ctx.reply({ retval: 0, sw_if_index: 0 });
      const host = str(m, 'host_if');
      const dev = rdmaDevs.find((d) => d.name === host);
      if (!dev) return ctx.reply({ retval: VNET_API_ERROR.INVALID_INTERFACE, sw_if_index: 0 });
      const n = [...ctx.state.interfaces.values()].filter((i) => i.kind === 'rdma').length;
      const itf = ctx.state.addInterface(
        'rdma',
        str(m, 'name') || `${host}/${n}`,
        n,
        { devType: 'RDMA interface', ...ETH_DEFAULTS },
        { l2_address: dev.mac, rxQueues: num(m, 'rxq_num') || 2, plugin: { host_if: host } },
      );
      ctx.reply({ retval: 0, sw_if_index: itf.sw_if_index });
    },
    rdma_delete: deleteOf('rdma', VNET_API_ERROR.INVALID_INTERFACE),
  },
};

export const vmxnet3Plugin: FakePlugin = {
  name: 'vmxnet3',
  source: 'src/plugins/vmxnet3/vmxnet3.c, vmxnet3_api.c',
  handlers: {
    // vmxnet3_create_if: queue checks (-7), a PCI address in use (-105), a device that cannot be
    // opened (-71); the reply carries the zeroed args' sw_if_index 0 on failure
    vmxnet3_create: (ctx, m) => {
      const fail = (retval: number): void => ctx.reply({ retval, sw_if_index: 0 });
      const rxqNum = num(m, 'rxq_num') || 1;
      const txqNum = num(m, 'txq_num') || 1;
      if (rxqNum > 16 || txqNum > 8) return fail(VNET_API_ERROR.INVALID_VALUE);
      const qOk = (n: number): boolean => n === 0 || (n >= 64 && n <= 4096 && n % 64 === 0);
      if (!qOk(num(m, 'rxq_size')) || !qOk(num(m, 'txq_size'))) return fail(VNET_API_ERROR.INVALID_VALUE);
      const addr = pciFromU32(num(m, 'pci_addr'));
      for (const i of ctx.state.interfaces.values())
        if (i.kind === 'vmxnet3' && i.plugin?.pci === addr) return fail(VNET_API_ERROR.ADDRESS_IN_USE);
      if (ctx.state.devices.pci.get(addr)?.driver !== 'vmxnet3') return fail(VNET_API_ERROR.INVALID_INTERFACE);
      const itf = ctx.state.addInterface(
        'vmxnet3',
        pciName('vmxnet3', addr),
        0,
        { devType: 'VMXNET3 interface', ...ETH_DEFAULTS },
        { l2_address: randomMac(0x00, 0x50), rxQueues: rxqNum, plugin: { pci: addr } },
      );
      ctx.reply({ retval: 0, sw_if_index: itf.sw_if_index });
    },
    vmxnet3_delete: deleteOf('vmxnet3', VNET_API_ERROR.INVALID_INTERFACE),
  },
};

export const virtioPciPlugin: FakePlugin = {
  name: 'virtio',
  source: 'src/vnet/devices/virtio/virtio_api.c, pci.c',
  handlers: {
    // virtio_pci_create_if (pci.c): an address in use → -105, a device that cannot be opened → -71;
    // the reply's sw_if_index stays ~0 on failure
    virtio_pci_create_v2: (ctx, m) => {
      const addr = pciText(obj(m, 'pci_addr'));
      for (const i of ctx.state.interfaces.values())
        if (i.kind === 'virtio' && i.plugin?.pci === addr)
          return ctx.reply({ retval: VNET_API_ERROR.ADDRESS_IN_USE, sw_if_index: INDEX_INVALID });
      if (ctx.state.devices.pci.get(addr)?.driver !== 'virtio')
        return ctx.reply({ retval: VNET_API_ERROR.INVALID_INTERFACE, sw_if_index: INDEX_INVALID });
      const mac = m.use_random_mac || isZeroMac(str(m, 'mac_address')) ? randomMac(0x02, 0xfe) : str(m, 'mac_address');
      const itf = ctx.state.addInterface(
        'virtio',
        pciName('virtio', addr),
        0,
        { devType: 'virtio', ...ETH_DEFAULTS },
        { l2_address: mac, rxQueues: 1, plugin: { pci: addr, virtio_flags: num(m, 'virtio_flags') } },
      );
      ctx.reply({ retval: 0, sw_if_index: itf.sw_if_index });
    },
    virtio_pci_delete: deleteOf('virtio', VNET_API_ERROR.INVALID_SW_IF_INDEX),
  },
};
