/**
 * Two real VPPs carry a ping between pods over a route learned through BGP (issue 8). Runs only when
 * `VPP_BIN` names a VPP binary (26.06), as root, with gobgpd installed; skips with one line otherwise.
 *
 * Topology (every netns `bgh…` plus a random suffix, removed in afterAll):
 *
 *   switch netns: bridge `br0` with four ports
 *   node A netns: VPP A (startTestVpp), af_packet on its uplink veth, 192.168.77.1/24 (the Node address)
 *                 af_packet on a pod veth, 10.244.1.1/24 → pod A netns eth0 10.244.1.2/24
 *   bgp A netns:  gobgpd of node A (the controller spawns it), kernel address 192.168.77.11/24 on the switch
 *   (node B likewise: 192.168.77.2, 10.244.2.0/24, 192.168.77.12)
 *
 * VPP owns the Node address on the uplink; nothing on this machine can hand VPP's own address to a kernel
 * BGP daemon (`tap_create_v3` needs vhost-net, and Calico/VPP's tap + punt is the agent's business), so each
 * gobgpd listens on a kernel address of its own next to it on the switch. The mesh is off and a BGPPeer
 * per node (`sourceAddress: None`) peers the two kernel addresses; the announced next hop is still the Node
 * address, i.e. VPP's, so the learned FLAT route sends pod traffic straight to the peer VPP.
 */
import { spawnSync } from 'node:child_process';
import { connectVpp, type VppApi, type VppClient } from '@vectorplane/vpp-binapi';
import { afPacketWithAddress, startTestVpp, type TestVpp } from '@vectorplane/vpp-binapi/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBgpController, generateWireguardKeyPair, type BgpController } from '../../src/index.js';
import { randomSuffix } from '../../src/testing/index.js';
import { until } from '../helpers/until.js';
import { interopSkipReason, Lab, nodeObject } from './env.js';

const skip =
  interopSkipReason() ?? (process.env['VPP_BIN'] ? undefined : 'VPP_BIN is not set: no real VPP for the BGP ping test');
if (skip) console.log(`bgp interop vpp-bin-ping: skipped (${skip})`);

/** `ip …`; throws with stderr when it fails. */
function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr?.trim() || r.error?.message}`);
}

/** `ping` from inside a netns; true when at least one reply came back. */
function ping(netns: string, dst: string, count = 3): boolean {
  const r = spawnSync('ip', ['netns', 'exec', netns, 'ping', '-c', String(count), '-i', '0.2', '-W', '1', dst], {
    encoding: 'utf8',
    timeout: 15_000,
  });
  return r.status === 0;
}

/** The IPv4 routes of VPP's table 0: prefix → next hop of its first path. */
async function fib4(vpp: VppClient<VppApi>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const d of vpp.dump('ip_route_v2_dump', { src: 0, table: { table_id: 0, is_ip6: false, name: '' } }))
    out.set(d.route.prefix, d.route.paths[0]?.nh.address.ip4 ?? '');
  return out;
}

/** What both VPPs say about their FIB, neighbours and interfaces: attached to a failed ping. */
async function diagnostics(nodes: readonly Node[]): Promise<string> {
  const out: string[] = [];
  for (const n of nodes)
    for (const cmd of ['show ip fib', 'show ip neighbors', 'show interface', 'show errors', 'show trace']) {
      const r = await n.vpp
        .call('cli_inband', { cmd })
        .then((x) => x.reply)
        .catch((e: unknown) => `(failed: ${(e as Error).message})`);
      out.push(`--- ${n.name}: ${cmd}\n${r.trim()}`);
    }
  return out.join('\n');
}

/** Pings until one answers or `timeoutMs` passes; the message names what VPP showed when none did. */
async function pingsWithin(nodes: readonly Node[], from: string, dst: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) if (ping(from, dst)) return;
  expect.fail(`no ping from ${from} to ${dst} answered within ${timeoutMs} ms\n${await diagnostics(nodes)}`);
}

interface Node {
  name: string;
  wgKeys: { privateKey: string; publicKey: string };
  vppAddr: string;
  bgpAddr: string;
  block: string;
  podGw: string;
  podAddr: string;
  testVpp: TestVpp;
  vpp: VppClient<VppApi>;
  podNs: string;
  controller: BgpController;
}

describe.skipIf(!!skip)('bgp interop: two real VPPs carry a pod ping over a BGP-learned FLAT route', () => {
  const lab = new Lab();
  const nodes: Node[] = [];
  let a: Node;
  let b: Node;

  beforeAll(async () => {
    const sw = await lab.addNetns();
    ip('-n', sw.name, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', sw.name, 'link', 'set', 'br0', 'up');
    /** A veth from `netns` (named `inner` there) into the switch bridge. */
    const toSwitch = (netns: string, inner: string): void => {
      const port = `bghs${randomSuffix(3)}`;
      ip('link', 'add', inner, 'netns', netns, 'type', 'veth', 'peer', 'name', port, 'netns', sw.name);
      ip('-n', sw.name, 'link', 'set', port, 'master', 'br0');
      ip('-n', sw.name, 'link', 'set', port, 'up');
      ip('-n', netns, 'link', 'set', inner, 'up');
    };

    lab.source.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'BGPConfiguration',
      metadata: { name: 'default' },
      spec: { nodeToNodeMeshEnabled: false, asNumber: 64512 },
    });
    const specs = [
      { name: 'node-a', i: 1, peer: 2 },
      { name: 'node-b', i: 2, peer: 1 },
    ];
    for (const s of specs) {
      lab.source.apply(nodeObject(s.name, `192.168.77.${s.i}`, undefined));
      lab.source.apply({
        apiVersion: 'projectcalico.org/v3',
        kind: 'BGPPeer',
        metadata: { name: `${s.name}-to-peer` },
        spec: { node: s.name, peerIP: `192.168.77.${10 + s.peer}`, asNumber: 64512, sourceAddress: 'None' },
      });
    }

    for (const s of specs) {
      const nodeNs = await lab.addNetns();
      const bgpNs = await lab.addNetns();
      const podNs = await lab.addNetns();
      // the node's uplink (VPP's, no kernel address) and gobgpd's kernel link, both on the switch
      toSwitch(nodeNs.name, 'uplink');
      toSwitch(bgpNs.name, 'bgp0');
      const bgpAddr = `192.168.77.${10 + s.i}`;
      ip('-n', bgpNs.name, 'addr', 'add', `${bgpAddr}/24`, 'dev', 'bgp0');
      // the pod: a veth whose host end VPP opens with af_packet
      ip('link', 'add', 'pod0', 'netns', nodeNs.name, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', podNs.name);
      ip('-n', nodeNs.name, 'link', 'set', 'pod0', 'up');

      const testVpp = await startTestVpp({ netns: nodeNs.name });
      lab.onCleanup(() => testVpp.stop());
      const vpp = await connectVpp({ socket: testVpp.apiSocket, timeoutMs: 30_000 });
      lab.onCleanup(() => vpp.close());
      const vppAddr = `192.168.77.${s.i}`;
      const uplink = await afPacketWithAddress(vpp, 'uplink', `${vppAddr}/24`);
      const block = `10.244.${s.i}.0/24`;
      const podGw = `10.244.${s.i}.1`;
      const podAddr = `10.244.${s.i}.2`;
      await afPacketWithAddress(vpp, 'pod0', `${podGw}/24`);
      ip('-n', podNs.name, 'link', 'set', 'eth0', 'up');
      ip('-n', podNs.name, 'addr', 'add', `${podAddr}/24`, 'dev', 'eth0');
      ip('-n', podNs.name, 'route', 'add', `10.244.${s.peer}.0/24`, 'via', podGw);

      const wgKeys = generateWireguardKeyPair();
      const controller = createBgpController(
        {
          nodeName: s.name,
          wireguardPrivateKey: wgKeys.privateKey, // used once FelixConfiguration turns WireGuard on
          uplinkSwIfIndex: uplink,
          ipamBlocks: [block],
          listenAddresses: [bgpAddr],
          gobgpd: { netns: bgpNs.name },
        },
        { vpp, source: lab.source },
      );
      lab.onCleanup(() => controller.stop());
      nodes.push({
        name: s.name,
        wgKeys,
        vppAddr,
        bgpAddr,
        block,
        podGw,
        podAddr,
        testVpp,
        vpp,
        podNs: podNs.name,
        controller,
      });
    }
    [a, b] = nodes as [Node, Node];
    await Promise.all(nodes.map((n) => n.controller.start()));
  }, 240_000);

  afterAll(async () => {
    // controllers (and their gobgpd), clients and VPPs in reverse order, then every netns with its links
    await lab.cleanup();
  }, 120_000);

  it('bgp: the session between the two kernel addresses comes up', async () => {
    const peers = await until(
      'session established',
      async () => {
        const p = await a.controller.speaker!.peers();
        return p.length === 1 && p[0]!.state === 'ESTABLISHED' && p;
      },
      60_000,
    );
    expect(peers.map((p) => p.address)).toEqual([b.bgpAddr]);
    expect(a.controller.issues).toEqual([]);
    expect(b.controller.issues).toEqual([]);
  }, 90_000);

  it("bgp: each VPP gets the other node's block via the other VPP's uplink address (FLAT)", async () => {
    const fibA = await until('node-b block in VPP A', async () => {
      const f = await fib4(a.vpp);
      return f.has(b.block) && f;
    });
    expect(fibA.get(b.block)).toBe(b.vppAddr);
    const fibB = await until('node-a block in VPP B', async () => {
      const f = await fib4(b.vpp);
      return f.has(a.block) && f;
    });
    expect(fibB.get(a.block)).toBe(a.vppAddr);
  }, 60_000);

  it('bgp: pod A pings pod B through both VPPs', async () => {
    // a packet trace of what each VPP receives, for the diagnostics of a failed ping (best effort)
    for (const n of nodes) await n.vpp.call('cli_inband', { cmd: 'trace add af-packet-input 50' }).catch(() => {});
    // each pod reaches its own VPP first (the af_packet attachment), then the other pod; the first echo
    // may be lost while VPP resolves the next hop (glean), so ping again until one answers
    await pingsWithin(nodes, a.podNs, a.podGw, 15_000);
    await pingsWithin(nodes, b.podNs, b.podGw, 15_000);
    await pingsWithin(nodes, a.podNs, b.podAddr, 30_000);
    await pingsWithin(nodes, b.podNs, a.podAddr, 15_000);
  }, 120_000);

  it('bgp: with WireGuard on (keys on the Nodes) the routes move onto wg interfaces and the ping goes through WireGuard', async () => {
    for (const n of nodes)
      lab.source.apply(
        nodeObject(n.name, n.vppAddr, undefined, {
          annotations: { 'projectcalico.org/WireguardPublicKey': n.wgKeys.publicKey },
        }),
      );
    lab.source.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'FelixConfiguration',
      metadata: { name: 'default' },
      spec: { wireguardEnabled: true },
    });
    for (const [n, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const wg = await until(
        `${n.name}: ${other.block} through a wg interface`,
        async () => {
          const itfs = [];
          for await (const d of n.vpp.dump('wireguard_interface_dump', {
            show_private_key: false,
            sw_if_index: ~0 >>> 0,
          }))
            itfs.push(d.interface);
          if (itfs.length !== 1) return false;
          for await (const d of n.vpp.dump('ip_route_v2_dump', {
            src: 0,
            table: { table_id: 0, is_ip6: false, name: '' },
          }))
            if (d.route.prefix === other.block && d.route.paths[0]?.sw_if_index === itfs[0]!.sw_if_index)
              return itfs[0]!;
          return false;
        },
        30_000,
      );
      expect(Buffer.from(wg.public_key).toString('base64')).toBe(n.wgKeys.publicKey);
    }
    // the first echoes start the handshake: ping until one answers, both ways
    await pingsWithin(nodes, a.podNs, b.podAddr, 30_000);
    await pingsWithin(nodes, b.podNs, a.podAddr, 15_000);
    // the peers did a handshake: VPP sets WIREGUARD_PEER_ESTABLISHED (flag 2)
    for (const n of nodes) {
      const flags = [];
      for await (const d of n.vpp.dump('wireguard_peers_dump', { peer_index: ~0 >>> 0 })) flags.push(d.peer.flags);
      expect(flags).toHaveLength(1);
      expect(flags[0]! & 2).toBe(2);
    }
    // WireGuard off again: FLAT routes back for the test below
    lab.source.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'FelixConfiguration',
      metadata: { name: 'default' },
      spec: { wireguardEnabled: false },
    });
    await until(
      'FLAT again in VPP A',
      async () => {
        for await (const d of a.vpp.dump('ip_route_v2_dump', {
          src: 0,
          table: { table_id: 0, is_ip6: false, name: '' },
        }))
          if (d.route.prefix === b.block) return d.route.paths[0]?.sw_if_index === ~0 >>> 0;
        return false;
      },
      30_000,
    );
  }, 120_000);

  it("bgp: withdrawing B's block removes the route from VPP A and the ping fails", async () => {
    b.controller.setIpamBlocks([]);
    await until('node-b block gone from VPP A', async () => !(await fib4(a.vpp)).has(b.block), 30_000);
    expect(ping(a.podNs, b.podAddr, 2)).toBe(false);
    // A's own block is untouched: B still routes to it
    expect((await fib4(b.vpp)).get(a.block)).toBe(a.vppAddr);
  }, 60_000);
});
