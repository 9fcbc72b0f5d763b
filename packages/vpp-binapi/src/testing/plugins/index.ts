/**
 * The fake's plugins: one module per VPP plugin or vnet module it imitates, each with its handlers
 * (and, where it has any, its state on `FakeVppState`). The server answers a request with the handler
 * of the plugin that owns it.
 */
import { aclPlugin } from './acl.js';
import { afPacketPlugin } from './af_packet.js';
import { arpPlugin, ip6NdPlugin } from './arp.js';
import { cnatPlugin } from './cnat.js';
import type { FakePlugin, Handler } from './context.js';
import { afXdpPlugin, rdmaPlugin, virtioPciPlugin, vmxnet3Plugin } from './devices.js';
import { featurePlugin } from './feature.js';
import { gsoPlugin } from './gso.js';
import { interfacePlugin } from './interface.js';
import { ipPlugin } from './ip.js';
import { ipNeighborPlugin } from './ip_neighbor.js';
import { ipipPlugin } from './ipip.js';
import { memifPlugin } from './memif.js';
import { npolPlugin } from './npol.js';
import { puntPlugin } from './punt.js';
import { httpStaticPlugin, sessionPlugin } from './session.js';
import { tapPlugin } from './tap.js';
import { urpfPlugin } from './urpf.js';
import { vlanPlugin } from './vlan.js';
import { vlibPlugin } from './vlib.js';
import { vxlanPlugin } from './vxlan.js';
import { wireguardPlugin } from './wireguard.js';

/** Every plugin the fake imitates. */
export const PLUGINS: readonly FakePlugin[] = [
  vlibPlugin,
  interfacePlugin,
  vlanPlugin,
  ipPlugin,
  ipNeighborPlugin,
  puntPlugin,
  arpPlugin,
  ip6NdPlugin,
  featurePlugin,
  gsoPlugin,
  tapPlugin,
  afPacketPlugin,
  afXdpPlugin,
  rdmaPlugin,
  vmxnet3Plugin,
  virtioPciPlugin,
  memifPlugin,
  ipipPlugin,
  vxlanPlugin,
  wireguardPlugin,
  cnatPlugin,
  npolPlugin,
  aclPlugin,
  urpfPlugin,
  sessionPlugin,
  httpStaticPlugin,
];

/** Handlers of all plugins by request name. @throws Error at load time when two plugins claim one message. */
export function composeHandlers(plugins: readonly FakePlugin[]): Readonly<Record<string, Handler>> {
  const out: Record<string, Handler> = {};
  const owner = new Map<string, string>();
  for (const p of plugins)
    for (const [name, h] of Object.entries(p.handlers)) {
      const prev = owner.get(name);
      if (prev) throw new Error(`fake VPP: ${name} is handled by both ${prev} and ${p.name}`);
      owner.set(name, p.name);
      out[name] = h;
    }
  return out;
}
