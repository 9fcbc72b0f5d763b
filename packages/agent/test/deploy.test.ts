import { readFileSync } from 'node:fs';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { KINDS } from '@vectorplane/kube';
import { loadAgentConfig } from '../src/config.js';
import { DAEMON_ENV } from '../src/tuning.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- YAML documents of many shapes, read field by field
type Doc = Record<string, any>;
const docs = loadAll(readFileSync(new URL('../deploy/vectorplane.yaml', import.meta.url), 'utf8')) as Doc[];
const byKind = (kind: string) => docs.filter((d) => d.kind === kind);

describe('deployment manifests', () => {
  it('the ClusterRole lets the agent list and watch every kind it streams, and write only Node annotations', () => {
    const rules = byKind('ClusterRole')[0]!.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    for (const info of Object.values(KINDS)) {
      const group = info.apiVersions[0]!.includes('/') ? info.apiVersions[0]!.split('/')[0]! : '';
      const rule = rules.find((r) => r.apiGroups.includes(group) && r.resources.includes(info.plural));
      expect(rule, `${info.kind} (${group}/${info.plural})`).toBeDefined();
      expect(rule!.verbs).toEqual(expect.arrayContaining(['list', 'watch']));
    }
    const verbs = new Set(rules.flatMap((r) => r.verbs));
    expect([...verbs].sort()).toEqual(['get', 'list', 'patch', 'watch']);
    // the only write: patch on core Nodes (the WireGuard key annotations)
    const writes = rules.filter((r) => r.verbs.some((v) => !['get', 'list', 'watch'].includes(v)));
    expect(writes).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['patch'] }]);
  });

  it('the ConfigMap is a valid configuration for the agent, and the probes hit the health listener', () => {
    const data = byKind('ConfigMap')[0]!.data as Record<string, string>;
    const config = loadAgentConfig({ env: { ...data, NODENAME: 'node-1' } });
    expect(config.vpp.managerEnv.CALICOVPP_INTERFACES).toContain('uplinkInterfaces');
    const ds = byKind('DaemonSet')[0]!;
    const container = ds.spec.template.spec.containers[0];
    const port = Number(config.health.listen.split(':').at(-1));
    expect(container.livenessProbe.httpGet).toMatchObject({ path: '/liveness', port });
    expect(container.readinessProbe.httpGet).toMatchObject({ path: '/readiness', port });
    expect(ds.spec.template.spec.serviceAccountName).toBe(byKind('ServiceAccount')[0]!.metadata.name);
    expect(container.env.find((e: { name: string }) => e.name === 'NODENAME').valueFrom.fieldRef.fieldPath).toBe(
      'spec.nodeName',
    );
  });

  it('the image runs the bundle that the build makes, with the daemon malloc settings of src/tuning.ts', () => {
    const dockerfile = readFileSync(new URL('../deploy/Dockerfile', import.meta.url), 'utf8');
    expect(dockerfile).toContain('/src/packages/agent/dist/bin/vectorplane.js');
    expect(dockerfile).toContain('/src/packages/agent/dist/build/Release/vectorplane_netlink.node');
    // the CNI plugin is a single executable made from the CommonJS bundle cni-server's build writes (the host
    // need not have Node), and the DaemonSet's init container installs exactly that file
    expect(dockerfile).toContain('"main":"packages/cni-server/dist/bin/vectorplane-cni.cjs"');
    expect(dockerfile).toContain('NODE_SEA_BLOB');
    const tsup = readFileSync(new URL('../../cni-server/tsup.config.ts', import.meta.url), 'utf8');
    expect(tsup).toMatch(/format: \['cjs'\]/);
    const manifests = readFileSync(new URL('../deploy/vectorplane.yaml', import.meta.url), 'utf8');
    expect(manifests).toContain('[cp, /usr/local/lib/vectorplane/vectorplane-cni, /host/opt/cni/bin/vectorplane-cni]');
    expect(dockerfile).toContain('COPY --from=build /src/vectorplane-cni /usr/local/lib/vectorplane/vectorplane-cni');
    for (const [k, v] of Object.entries(DAEMON_ENV)) expect(dockerfile).toContain(`${k}="\${${k}:-${v}}"`);
    const shebang = readFileSync(new URL('../src/bin/vectorplane.ts', import.meta.url), 'utf8').split('\n')[0];
    expect(shebang).toBe(
      `#!/usr/bin/env -S ${Object.entries(DAEMON_ENV)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')} node`,
    );
  });
});
