import { connectVpp } from '@vectorplane/vpp-binapi';
import { createCniClient, createCniServer } from '@vectorplane/cni-server';

// $VPP_API_SOCKET or /run/vpp/api.sock; a burst of Adds sends about 15 requests per pod at once
const vpp = await connectVpp({ reconnect: true, maxInFlight: 2048 });
const cni = createCniServer(
  {
    stateFile: '/var/lib/vectorplane/cni-server-state.json',
    socket: '/var/run/calico/cni-server.sock', // Calico's default path, mode 0600
    mtu: 1500,
    encapsulation: 'vxlan', // pods get 1450
    nodeIps: { ip4: '192.0.2.10' }, // where hostPorts listen
  },
  { vpp },
);
const report = await cni.start(); // reconciles the state file with VPP and the pod netns
console.log(`kept ${report.kept.length}, rebuilt ${report.rebuilt.length}, removed ${report.removed.length} pods`);

const watcher = (async () => {
  for await (const ev of cni.events()) {
    console.log(ev.type, ev.reason, ev.pod.workload.namespace, ev.pod.workload.name, ev.pod.swIfIndex, ev.pod.ips);
  }
})();

// What Calico's CNI plugin (or vectorplane-cni) sends over the socket:
const client = createCniClient('/var/run/calico/cni-server.sock');
const reply = await client.add({
  interface_name: 'eth0',
  netns: '/var/run/netns/pod1',
  container_ips: [{ address: '10.0.0.5/32' }],
  workload: {
    namespace: 'default',
    name: 'web-1',
    labels: { app: 'web' },
    ports: [{ protocol: 'TCP', port: 80, host_port: 8080 }],
  },
});
console.log(reply.successful ? `pod up, MAC ${reply.container_mac}` : `refused: ${reply.error_message}`);
await client.del({ interface_name: 'eth0', netns: '/var/run/netns/pod1' });
client.close();

await cni.stop(); // ends the event stream; VPP and the pods stay as they are
await watcher;
await vpp.close();
