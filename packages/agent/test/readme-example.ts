import { composeNode, createAgentMetrics, createLoggers, loadAgentConfig } from '@vectorplane/agent';
import { createMemorySource } from '@vectorplane/kube';
import { startTestVpp } from '@vectorplane/vpp-binapi/testing';

// A VPP to program: the project's fake (a real one when VPP_BIN names a vpp binary).
const vpp = await startTestVpp();
const base = loadAgentConfig({
  env: { NODENAME: 'node-a', SERVICE_PREFIX: '10.96.0.0/12', CALICOVPP_LOG_LEVEL: 'warn' },
});
const config = {
  ...base,
  kube: { mode: 'memory' as const }, // objects from memory instead of an API server
  stateDir: `${vpp.runtimeDir}/state`,
  vpp: { ...base.vpp, runtimeDir: vpp.runtimeDir }, // an already running VPP: no vpp-manager
  cni: { enabled: true, socket: `${vpp.runtimeDir}/cni.sock` },
  bgp: { ...base.bgp, enabled: false },
};
const source = createMemorySource({
  objects: [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10'],
        ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }],
      },
    },
  ],
});
const node = composeNode({ config, loggers: createLoggers(config), metrics: createAgentMetrics(), source });
await node.runtime.start(); // vpp → kube → cni-server → services → policies, in order
while (!node.runtime.ready()) await new Promise((r) => setTimeout(r, 20));
console.log(Object.keys(node.runtime.status())); // ['vpp-manager', 'kube', 'cni-server', 'services', 'policies']
await node.runtime.stop(); // in reverse, within config.shutdownDeadlineMs
await vpp.stop();
