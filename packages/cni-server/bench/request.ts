/** The Add request the bench scripts send: one pod, one /32 address, one port, in `ns`. */
import type { TestNetns } from '@vectorplane/netlink/testing';

export const benchRequest = (ns: TestNetns, ip: string) => ({
  interface_name: 'eth0',
  netns: ns.path,
  container_ips: [{ address: `${ip}/32` }],
  workload: { name: 'bench', namespace: 'default', ports: [{ protocol: 'TCP', port: 80, host_port: 0 }] },
});
