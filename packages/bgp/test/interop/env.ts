import { createMemorySource, type MemorySource } from '@vectorplane/kube';
import { connectVpp, type VppApi, type VppClient } from '@vectorplane/vpp-binapi';
import { startFakeVpp, type FakeVpp } from '@vectorplane/vpp-binapi/testing';
import { existsSync } from 'node:fs';
import { createBgpController, type BgpController } from '../../src/index.js';
import { canCreateNetns, createTestNetns, linkNetns, type TestNetns } from '../../src/testing/index.js';

/** Why interop tests cannot run here, or undefined. */
export function interopSkipReason(): string | undefined {
  if (!canCreateNetns()) return 'not root: cannot create network namespaces';
  if (!existsSync('/usr/bin/gobgpd')) return 'gobgpd is not installed (Debian package gobgpd)';
  return undefined;
}

/** One simulated node: a netns for its BGP daemon, a fake VPP, an uplink in it, and a controller. */
export interface TestNode {
  name: string;
  v4: string;
  v6: string;
  netns: TestNetns;
  fake: FakeVpp;
  vpp: VppClient<VppApi>;
  uplink: number;
  controller: BgpController;
}

export function nodeObject(
  name: string,
  v4: string,
  v6: string | undefined,
  extra: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    wireguard?: { inner: string; publicKey: string; publicKeyV6?: string };
  } = {},
): unknown {
  const annotations: Record<string, string> = {
    'projectcalico.org/IPv4Address': `${v4}/24`,
    ...(extra.annotations ?? {}),
  };
  if (v6) annotations['projectcalico.org/IPv6Address'] = `${v6}/64`;
  // as Calico keeps them on a core/v1 Node (KDD): the public key and the inner address as annotations
  if (extra.wireguard) {
    annotations['projectcalico.org/WireguardPublicKey'] = extra.wireguard.publicKey;
    annotations['projectcalico.org/IPv4WireguardInterfaceAddr'] = extra.wireguard.inner;
    if (extra.wireguard.publicKeyV6)
      annotations['projectcalico.org/WireguardPublicKeyV6'] = extra.wireguard.publicKeyV6;
  }
  const o: Record<string, unknown> = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: extra.labels ?? {}, annotations },
  };
  return o;
}

/** Make a fake VPP with an uplink holding the node's addresses. */
export async function startNodeVpp(
  v4: string,
  v6: string | undefined,
): Promise<{ fake: FakeVpp; vpp: VppClient<VppApi>; uplink: number }> {
  const fake = await startFakeVpp();
  const vpp = await connectVpp({ socket: fake.socketPath, timeoutMs: 30_000 });
  const uplink = (await vpp.call('create_loopback', { mac_address: '02:00:00:00:0c:01' })).sw_if_index;
  await vpp.call('sw_interface_add_del_address', { sw_if_index: uplink, is_add: true, prefix: `${v4}/24` });
  if (v6) await vpp.call('sw_interface_add_del_address', { sw_if_index: uplink, is_add: true, prefix: `${v6}/64` });
  await vpp.call('sw_interface_set_flags', { sw_if_index: uplink, flags: 1 });
  return { fake, vpp, uplink };
}

/** The routes of table 0 in a fake VPP, prefix → best paths ('via 10.0.0.2 ipip0'). */
export function fibOf(fake: FakeVpp): Record<string, string[]> {
  const s = fake.state.snapshot().routes;
  return { ...(s['ip4:0'] ?? {}), ...(s['ip6:0'] ?? {}) };
}

/** A set of namespaces all joined to one "switch" netns by veths; cleaned by `cleanup()`. */
export class Lab {
  readonly netns: TestNetns[] = [];
  readonly cleanups: (() => Promise<unknown>)[] = [];
  source: MemorySource = createMemorySource();

  async addNetns(): Promise<TestNetns> {
    const ns = await createTestNetns('bgh');
    this.netns.push(ns);
    return ns;
  }

  /** Join netns `a` and `b` with addresses. */
  async link(a: TestNetns, aAddrs: string[], b: TestNetns, bAddrs: string[]): Promise<void> {
    await linkNetns({ netns: a.name, addresses: aAddrs }, { netns: b.name, addresses: bAddrs }, 'bgh');
  }

  onCleanup(f: () => Promise<unknown>): void {
    this.cleanups.push(f);
  }

  async cleanup(): Promise<void> {
    for (const f of this.cleanups.reverse()) await f().catch(() => {});
    for (const ns of this.netns) await ns.remove();
    await this.source.close();
  }

  /** A node whose daemon runs in `netns` (which must hold its addresses). */
  async node(
    name: string,
    netns: TestNetns,
    v4: string,
    v6: string,
    opts: { ipamBlocks?: string[]; wireguardPrivateKey?: string; wireguardPrivateKeyV6?: string } = {},
  ): Promise<TestNode> {
    const { fake, vpp, uplink } = await startNodeVpp(v4, v6);
    this.onCleanup(() => fake.stop());
    this.onCleanup(() => vpp.close());
    const controller = createBgpController(
      {
        nodeName: name,
        uplinkSwIfIndex: uplink,
        ipamBlocks: opts.ipamBlocks ?? [],
        gobgpd: { netns: netns.name },
        ...(opts.wireguardPrivateKey ? { wireguardPrivateKey: opts.wireguardPrivateKey } : {}),
        ...(opts.wireguardPrivateKeyV6 ? { wireguardPrivateKeyV6: opts.wireguardPrivateKeyV6 } : {}),
      },
      {
        vpp,
        source: this.source,
        ...(process.env['BGP_DEBUG']
          ? {
              logger: {
                debug: (o: unknown, m?: string) => console.log(name, 'D', m, o),
                info: (o: unknown, m?: string) => console.log(name, 'I', m, o),
                warn: (o: unknown, m?: string) => console.log(name, 'W', m, o),
                error: (o: unknown, m?: string) => console.log(name, 'E', m, o),
              },
            }
          : {}),
      },
    );
    this.onCleanup(() => controller.stop());
    return { name, v4, v6, netns, fake, vpp, uplink, controller };
  }
}
