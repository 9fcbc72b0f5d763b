/**
 * Test support for the manager and for what composes it: a "node" namespace whose uplink is one end of a
 * veth pair, the other end in a "switch" namespace, with IPv4 + IPv6 addresses, a default route and extra
 * routes; and an ICMP echo from a namespace (`ping` when installed, else a raw socket through python3).
 *
 * @example
 * ```ts
 * import { createUplinkTopology, pingFrom } from '@vectorplane/vpp-manager/testing';
 * const topo = await createUplinkTopology('vpm');
 * await pingFrom(topo.switchNs.name, topo.nodeIp4); // true
 * await topo.remove();
 * ```
 * @packageDocumentation
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createNetns, type TestNetns } from '@vectorplane/netlink/testing';

/** The two namespaces and the addresses of {@link createUplinkTopology}. */
export interface UplinkTopology {
  readonly nodeNs: TestNetns;
  readonly switchNs: TestNetns;
  /** The node's uplink (`eth0`). */
  readonly uplink: string;
  readonly nodeIp4: string;
  readonly nodeIp6: string;
  readonly switchIp4: string;
  readonly switchIp6: string;
  /** Removes both namespaces (the veth pair goes with them). */
  remove(): Promise<void>;
}

/**
 * Builds node ⟷ switch: `eth0` in the node (192.0.2.10/24, 2001:db8::10/64, default routes via the switch,
 * 198.51.100.0/24 via 192.0.2.254 metric 100, 203.0.113.0/24 in table 100), `sw0` in the switch
 * (192.0.2.1/24, 192.0.2.254/24, 2001:db8::1/64). Addresses are `nodad` so they are usable at once.
 */
export async function createUplinkTopology(prefix = 'vpm', init: { mtu?: number } = {}): Promise<UplinkTopology> {
  const nodeNs = await createNetns(`${prefix}-node`);
  let switchNs: TestNetns | undefined;
  try {
    switchNs = await createNetns(`${prefix}-sw`);
    const n = nodeNs.nl;
    const s = switchNs.nl;
    const mtu = init.mtu ?? 1500;
    // no duplicate address detection in the node: IPv6 addresses (link-local too) are usable at once, so
    // a snapshot taken right after set-up is the settled one
    for (const iface of ['all', 'default'] as const) await n.sysctl.set(`net/ipv6/conf/${iface}/accept_dad`, '0');
    await n.link.add({
      kind: 'veth',
      name: 'eth0',
      mtu,
      mac: '02:00:00:00:0a:10',
      peer: { name: 'sw0', netns: switchNs.name, mac: '02:00:00:00:0a:01', mtu },
    });
    await s.link.up('sw0');
    await s.address.add({ link: 'sw0', address: '192.0.2.1/24' });
    await s.address.add({ link: 'sw0', address: '192.0.2.254/24' });
    await s.address.add({ link: 'sw0', address: '2001:db8::1/64', flags: ['nodad'] });
    await n.link.up('eth0');
    // addresses added before the carrier shows (linkwatch reports it late) get no IPv6 local route
    for (let i = 0; i < 300 && !(await n.link.get('eth0')).lowerUp; i++) await new Promise((r) => setTimeout(r, 10));
    await n.address.add({ link: 'eth0', address: '192.0.2.10/24' });
    await n.address.add({ link: 'eth0', address: '2001:db8::10/64', flags: ['nodad'] });
    await n.route.add({ dst: 'default', gateway: '192.0.2.1' });
    await n.route.add({ dst: 'default', family: 'inet6', gateway: '2001:db8::1' });
    await n.route.add({ dst: '198.51.100.0/24', gateway: '192.0.2.254', metric: 100 });
    await n.route.add({ dst: '203.0.113.0/24', gateway: '192.0.2.1', table: 100 });
    // settled: both IPv6 addresses (global and link-local) have their local routes
    for (let i = 0; i < 300; i++) {
      const local: string[] = [];
      for await (const r of n.route.list({ family: 'inet6', table: 'all', type: 'local', oif: 'eth0' }))
        local.push(r.dst);
      if (local.some((d) => d.startsWith('2001:db8::10')) && local.some((d) => d.startsWith('fe80:'))) break;
      await new Promise((r) => setTimeout(r, 10));
    }
  } catch (e) {
    await switchNs?.remove().catch(() => undefined);
    await nodeNs.remove().catch(() => undefined);
    throw e;
  }
  const sw = switchNs;
  return {
    nodeNs,
    switchNs: sw,
    uplink: 'eth0',
    nodeIp4: '192.0.2.10',
    nodeIp6: '2001:db8::10',
    switchIp4: '192.0.2.1',
    switchIp6: '2001:db8::1',
    async remove() {
      await sw.remove().catch(() => undefined);
      await nodeNs.remove();
    },
  };
}

const PY_PING = `
import socket,struct,sys,time,os
dst=sys.argv[1]; v6=':' in dst
s=socket.socket(socket.AF_INET6 if v6 else socket.AF_INET,socket.SOCK_RAW,socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
typ,rep=(128,129) if v6 else (8,0)
ident=os.getpid()&0xffff
def cs(b):
  if len(b)%2: b+=b'\\0'
  t=sum(struct.unpack('!%dH'%(len(b)//2),b)); t=(t>>16)+(t&0xffff); t+=t>>16; return ~t&0xffff
pl=b'vectorplane-ping'
c=0 if v6 else cs(struct.pack('!BBHHH',typ,0,0,ident,1)+pl)
s.settimeout(float(sys.argv[2]))
s.sendto(struct.pack('!BBHHH',typ,0,c,ident,1)+pl,(dst,0))
end=time.time()+float(sys.argv[2])
try:
  while time.time()<end:
    d,a=s.recvfrom(4096)
    if not v6: d=d[(d[0]&15)*4:]
    if d[0]==rep and struct.unpack('!H',d[4:6])[0]==ident: sys.exit(0)
except socket.timeout:
  pass
sys.exit(1)
`;

let hasPing: boolean | undefined;
let python: string | undefined;

/** python3's real binary: a pyenv shim costs seconds per start. */
function pythonPath(): string {
  if (python) return python;
  if (existsSync('/usr/bin/python3')) return (python = '/usr/bin/python3');
  const r = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  python = r.status === 0 && r.stdout.trim() ? r.stdout.trim() : 'python3';
  return python;
}

/** Sends one ICMP echo from namespace `netns` to `dst`; true when the reply came within `timeoutS`. */
export async function pingFrom(netns: string, dst: string, timeoutS = 2): Promise<boolean> {
  hasPing ??= spawnSync('sh', ['-c', 'command -v ping'], { stdio: 'ignore' }).status === 0;
  const args = hasPing
    ? ['netns', 'exec', netns, 'ping', '-c', '1', '-W', String(timeoutS), dst]
    : ['netns', 'exec', netns, pythonPath(), '-c', PY_PING, dst, String(timeoutS)];
  return new Promise((resolve) => {
    const p = spawn('ip', args, { stdio: 'ignore' });
    p.on('exit', (code) => resolve(code === 0));
    p.on('error', () => resolve(false));
  });
}

/** Pings until a reply or `tries` attempts (the first packets may wait for ARP/ND). */
export async function pingUntil(netns: string, dst: string, tries = 5): Promise<boolean> {
  for (let i = 0; i < tries; i++) if (await pingFrom(netns, dst, 1)) return true;
  return false;
}
