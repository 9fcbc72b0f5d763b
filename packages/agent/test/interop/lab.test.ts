// `npm run lab` end to end with the fake VPP: the report's facts, and nothing left behind afterwards.
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { LAB_PLAN, labLeftovers, runLab, type LabReport } from '../../src/lab/lab.js';
import { labMermaid, renderLabReport } from '../../src/lab/report.js';

const root = process.getuid?.() === 0;
if (!root) console.log('lab test skipped: not root (the lab creates network namespaces)');

describe.skipIf(!root)('the lab with the fake VPP', () => {
  const prefix = `vplabt-${process.pid.toString(36)}`;
  let report: LabReport;
  const progress: string[] = [];

  beforeAll(async () => {
    report = await runLab({ prefix, vppBin: undefined, log: (l) => progress.push(l) });
  }, 240_000);

  it('shows progress, and every node became ready with each component synced', () => {
    expect(progress.some((l) => l.startsWith('[6/6]'))).toBe(true);
    expect(report.vppKind).toBe('fake');
    expect(report.nodes.map((n) => n.name)).toEqual(['node-a', 'node-b']);
    for (const n of report.nodes) {
      expect(n.ready).toBe(true);
      expect(Object.keys(n.components)).toEqual(['vpp-manager', 'kube', 'cni-server', 'services', 'policies', 'bgp']);
      expect(Object.values(n.components).every((c) => c.synced === true)).toBe(true);
    }
  });

  it('every pod got its host-local address and an interface in its node’s fake VPP and in its netns', () => {
    expect(report.pods).toHaveLength(4);
    for (const p of report.pods) {
      expect(p.cniIp?.split('/')[0]).toBe(p.ip);
      expect(p.inVpp).toBe(true);
      expect(p.podInterface).toContain(p.ip);
    }
  });

  it('both nodes hold cnat translations for the Service: ClusterIP, NodePort, external IP, backends on both nodes', () => {
    const s = LAB_PLAN.service;
    for (const n of report.nodes) {
      const vips = n.cnat.map((t) => t.vip);
      expect(vips).toEqual(
        expect.arrayContaining([`${s.clusterIP}:${s.port}`, `${n.ip4}:${s.nodePort}`, `${s.externalIP}:${s.port}`]),
      );
      for (const t of n.cnat) expect(t.backends.sort()).toEqual(['10.244.1.10:8080', '10.244.2.10:8080']);
      expect(n.announcedServiceIPs).toContain(s.externalIP);
    }
  });

  it('the denied pod’s interface has ACLs bound in both directions; the others have none', () => {
    for (const p of report.pods) {
      const bound = p.acls.input.length > 0 && p.acls.output.length > 0;
      expect([p.pod, bound]).toEqual([p.pod, p.pod === LAB_PLAN.deniedPod]);
    }
  });

  it('the BGP mesh is established over the switch and each node learned the other’s pod CIDR (USE_POD_CIDR, FLAT)', () => {
    const [a, b] = report.nodes;
    expect(a!.bgpPeers.map((p) => [p.address, p.state.toLowerCase()])).toEqual([[b!.ip4, 'established']]);
    expect(b!.bgpPeers.map((p) => [p.address, p.state.toLowerCase()])).toEqual([[a!.ip4, 'established']]);
    const learned = (n: typeof a) => n!.bgpRoutes.map((r) => `${r.prefix} ${r.via}`).sort();
    // the Node's podCIDR, where host-local takes the pods' addresses from: no per-pod /32 inside it
    expect(learned(a)).toEqual(['10.244.2.0/24 198.18.0.12 (flat)']);
    expect(learned(b)).toEqual(['10.244.1.0/24 198.18.0.11 (flat)']);
  });

  it('the report says plainly that no packets flow, and draws the topology', () => {
    const md = renderLabReport(report);
    expect(md).toContain('No packets flow through VPP');
    expect(md).toContain('```mermaid');
    expect(labMermaid(report)).toContain('BGP established');
    expect(report.traffic).toBeUndefined();
  });

  it('removed every namespace and process it created', () => {
    expect(report.leftovers).toEqual([]);
    expect(labLeftovers(prefix)).toEqual([]);
    const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    expect(ns).not.toContain(prefix);
  });
});

describe.skipIf(!root)('the lab interrupted (as by Ctrl-C)', () => {
  it('stops where it is, removes every namespace and process it created, and rejects', async () => {
    const prefix = `vplabi-${process.pid.toString(36)}`;
    const abort = new AbortController();
    const lab = runLab({
      prefix,
      vppBin: undefined,
      signal: abort.signal,
      log: (l) => {
        if (l.startsWith('[3/6]')) setTimeout(() => abort.abort(new Error('interrupted by the test')), 1_500);
      },
    });
    await expect(lab).rejects.toThrow('interrupted by the test');
    expect(labLeftovers(prefix)).toEqual([]);
  }, 120_000);
});
