import { createMemorySource, type MemorySource } from '@vectorplane/kube';
import { createNetworkPolicyController, type NetworkPolicyController } from '../../src/k8s/controller.js';
import type { PolicyError } from '../../src/errors.js';
import type { PolicyBackendKind } from '../../src/types.js';
import { policyEnv, type PolicyEnv } from './env.js';
import type { Packet } from './verdict.js';

export interface PodSpec {
  ns: string;
  name: string;
  labels?: Record<string, string>;
  ips: string[];
  ports?: { name: string; containerPort: number; protocol?: 'TCP' | 'UDP' | 'SCTP' }[];
}

export const ns = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});
export const pod = (p: PodSpec) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: p.name, namespace: p.ns, labels: p.labels ?? {} },
  spec: { nodeName: 'node-1', containers: [{ name: 'c', ports: p.ports ?? [] }] },
  status: { phase: 'Running', podIP: p.ips[0], podIPs: p.ips.map((ip) => ({ ip })) },
});
export const netpol = (namespace: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace },
  spec,
});

export interface K8sEnv {
  env: PolicyEnv;
  source: MemorySource;
  controller: NetworkPolicyController;
  errors: PolicyError[];
  sw: Map<string, number>;
  /** Can `from` (a pod name `ns/name` or an outside address) reach pod `to` with this packet? */
  can(from: string, to: string, p: Omit<Packet, 'src' | 'dst'>, family?: 4 | 6): Promise<boolean>;
  close(): Promise<void>;
}

export async function k8sEnv(kind: PolicyBackendKind, objects: unknown[], pods: PodSpec[]): Promise<K8sEnv> {
  const env = await policyEnv(kind, { host: { hostAddresses: ['192.168.0.1'] } });
  const sw = new Map<string, number>();
  for (const p of pods) sw.set(`${p.ns}/${p.name}`, await env.iface());
  const source = createMemorySource({ objects: [...objects, ...pods.map(pod)] });
  const errors: PolicyError[] = [];
  const controller = createNetworkPolicyController({
    dataplane: env.dp,
    source,
    endpoints: {
      pod: (n, name) => {
        const s = sw.get(`${n}/${name}`);
        return s === undefined ? undefined : [s];
      },
    },
  });
  controller.addEventListener('k8s:error', (e) => errors.push((e as CustomEvent<PolicyError>).detail));
  await controller.start();
  await controller.synced;
  const ipOf = (key: string, family: 4 | 6) => {
    const p = pods.find((x) => `${x.ns}/${x.name}` === key);
    if (!p) return key;
    const ip = p.ips.find((a) => a.includes(':') === (family === 6));
    if (!ip) throw new Error(`${key} has no IPv${family} address`);
    return ip;
  };
  return {
    env,
    source,
    controller,
    errors,
    sw,
    async can(from, to, p, family = 4) {
      await controller.idle();
      const packet = { ...p, src: ipOf(from, family), dst: ipOf(to, family) } as Packet;
      const fromSw = sw.get(from);
      if (fromSw !== undefined && !(await env.hop(fromSw, 'input', packet))) return false;
      return env.hop(sw.get(to)!, 'output', packet);
    },
    async close() {
      await controller.stop();
      await source.close();
      await env.close();
    },
  };
}
