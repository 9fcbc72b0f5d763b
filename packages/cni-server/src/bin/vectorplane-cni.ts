/**
 * `vectorplane-cni`: a CNI 1.x plugin (ADD, DEL, CHECK, STATUS, GC, VERSION) that delegates IPAM and asks
 * the vectorplane CNI server (Calico's CniDataplane API) for the pod's network.
 */
import { readFileSync } from 'node:fs';
import { runCniPlugin } from '../plugin/cni.js';

const HELP = `vectorplane-cni: CNI plugin for the vectorplane CNI server (CNI spec 1.0/1.1).
Run by a container runtime with CNI_COMMAND (ADD, DEL, CHECK, STATUS, GC, VERSION), CNI_CONTAINERID,
CNI_NETNS, CNI_IFNAME, CNI_PATH in the environment and the network configuration on stdin:
  {"cniVersion":"1.0.0","name":"k8s-pod-network","type":"vectorplane-cni",
   "socket":"/var/run/calico/cni-server.sock","mtu":1450,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.0.0.0/24"}]]}}
`;

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(HELP);
  process.exit(0);
}
// no top-level await: the plugin is also built as one CommonJS file (what a Node single executable runs,
// and what node loads from an extensionless file in /opt/cni/bin)
async function main(): Promise<void> {
  const command = process.env['CNI_COMMAND'];
  const stdin = command === 'VERSION' && process.stdin.isTTY ? '{}' : readFileSync(0, 'utf8');
  const out = await runCniPlugin({ env: process.env, stdin });
  if (out.stdout) process.stdout.write(`${out.stdout}\n`);
  process.exitCode = out.exitCode;
}
main().catch((err: unknown) => {
  process.stderr.write(`vectorplane-cni: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
