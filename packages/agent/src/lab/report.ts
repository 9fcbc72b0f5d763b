/** Renders the lab's findings as Markdown (printed, and written to lab-report.md) with a Mermaid diagram. */
import { LAB_PLAN, type LabReport } from './lab.js';

function table(rows: readonly Record<string, unknown>[]): string {
  if (rows.length === 0) return '_(none)_\n';
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown) => String(Array.isArray(v) ? v.join(', ') : (v ?? '')).replace(/\|/g, '\\|');
  return [
    `| ${cols.join(' | ')} |`,
    `| ${cols.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${cols.map((c) => cell(r[c])).join(' | ')} |`),
  ]
    .join('\n')
    .concat('\n');
}

/** The topology as a Mermaid flowchart: switch, nodes, their VPP, pods, the Service and the BGP session. */
export function labMermaid(report: LabReport): string {
  const id = (s: string) => s.replace(/[^a-zA-Z0-9]/g, '_');
  const lines = ['flowchart LR', `  SW["switch netns<br/>br0 ${LAB_PLAN.switchIp4}/${LAB_PLAN.prefixLength}"]`];
  for (const n of report.nodes) {
    lines.push(`  subgraph ${id(n.name)}["${n.name} (netns ${n.netns})"]`);
    lines.push(`    ${id(n.name)}_eth0["eth0 ${n.ip4}"]`);
    lines.push(`    ${id(n.name)}_agent["vectorplane agent<br/>+ gobgpd AS 64512"]`);
    lines.push(`    ${id(n.name)}_vpp[["VPP (${n.vppKind})"]]`);
    for (const p of report.pods.filter((x) => x.node === n.name)) {
      lines.push(`    ${id(p.pod)}(["${p.pod}<br/>${p.ip}"])`);
      lines.push(`    ${id(p.pod)} ---|"${p.vppInterface ?? '?'}"| ${id(n.name)}_vpp`);
    }
    lines.push(`    ${id(n.name)}_agent -.programs.-> ${id(n.name)}_vpp`);
    lines.push('  end');
    lines.push(`  ${id(n.name)}_eth0 --- SW`);
  }
  const [a, b] = report.nodes;
  if (a && b) {
    const up = a.bgpPeers.some((p) => p.state.toLowerCase() === 'established');
    lines.push(`  ${id(a.name)}_agent <-.BGP ${up ? 'established' : 'not established'}.-> ${id(b.name)}_agent`);
  }
  const s = LAB_PLAN.service;
  lines.push(
    `  SVC{{"Service ${s.name}<br/>ClusterIP ${s.clusterIP}:${s.port}<br/>NodePort ${s.nodePort}<br/>external ${s.externalIP}"}}`,
  );
  for (const p of report.pods.filter((x) => x.pod.startsWith('default/web')))
    lines.push(`  SVC -.cnat.-> ${id(p.pod)}`);
  lines.push(`  POL["NetworkPolicy deny-denied"] -.ACL.-> ${id(LAB_PLAN.deniedPod)}`);
  return lines.join('\n');
}

/** The whole report as Markdown. */
export function renderLabReport(report: LabReport): string {
  const out: string[] = [];
  out.push('# vectorplane lab report\n');
  out.push(
    `Two nodes, each a network namespace with an uplink on a shared switch, a ${report.vppKind === 'fake' ? 'fake' : 'real'} VPP, ` +
      'a `vectorplane run` agent in standalone mode (manifests: `packages/agent/lab/manifests`), two pods added through ' +
      'the `vectorplane-cni` plugin with host-local IPAM, and the BGP node mesh (gobgpd per node).\n',
  );
  if (report.vppKind === 'fake') {
    out.push(
      '> **No packets flow through VPP in this run.** VPP cannot be installed on this machine, so each node runs the ' +
        "project's fake VPP: it speaks VPP's binary API and keeps VPP's state, but forwards nothing. What is shown below " +
        'is the state the agents programmed, read back over the VPP API. The uplinks stay with Linux (vpp-manager does ' +
        'not take them into a fake that cannot forward), so the BGP sessions between the nodes are real TCP sessions ' +
        'over the switch and the routes they carry are really learned and programmed into the fake VPPs. ' +
        'Set `VPP_BIN=/path/to/vpp` to run the same lab with a real VPP and a traffic table.\n',
    );
  }
  out.push('## Topology\n');
  out.push('```mermaid\n' + labMermaid(report) + '\n```\n');
  out.push('## Health\n');
  out.push(
    table(
      report.nodes.flatMap((n) =>
        Object.entries(n.components).map(([c, s]) => ({
          node: n.name,
          component: c,
          state: s.state ?? '',
          synced: s.synced ?? '',
          error: s.error ?? '',
        })),
      ),
    ),
  );
  out.push(report.nodes.map((n) => `- ${n.name}: ${n.ready ? 'ready' : '**not ready**'}`).join('\n') + '\n');
  out.push('## Pods and their interfaces\n');
  out.push(
    table(
      report.pods.map((p) => ({
        node: p.node,
        pod: p.pod,
        'IP (host-local)': p.cniIp ?? '',
        'interface in the pod netns': p.podInterface,
        'VPP interface': p.vppInterface ?? '',
        sw_if_index: p.swIfIndex ?? '',
        'in VPP': p.inVpp ? 'yes' : 'NO',
        'ACLs in/out': `${p.acls.input.join(',') || '-'} / ${p.acls.output.join(',') || '-'}`,
      })),
    ),
  );
  out.push('## Policy bindings\n');
  const denied = report.pods.find((p) => p.pod === LAB_PLAN.deniedPod);
  out.push(
    `NetworkPolicy \`default/deny-denied\` selects \`${LAB_PLAN.deniedPod}\`: ` +
      (denied && denied.acls.input.length + denied.acls.output.length > 0
        ? `its VPP interface ${denied.vppInterface} has ACLs bound (input ${denied.acls.input.join(',') || '-'}, output ${denied.acls.output.join(',') || '-'}).`
        : '**no ACL is bound to its interface**.') +
      ' Pods no policy selects have no ACL (allow all).\n',
  );
  out.push('## cnat translations (Service `default/web`)\n');
  out.push(
    table(
      report.nodes.flatMap((n) =>
        n.cnat.map((t) => ({ node: n.name, vip: t.vip, proto: t.proto, backends: t.backends })),
      ),
    ),
  );
  out.push('## BGP\n');
  out.push(
    table(
      report.nodes.flatMap((n) =>
        n.bgpPeers.map((p) => ({
          node: n.name,
          peer: p.address,
          state: p.state,
          received: p.received,
          advertised: p.advertised,
        })),
      ),
    ),
  );
  out.push('Routes learned over BGP and programmed into VPP:\n');
  out.push(
    table(report.nodes.flatMap((n) => n.bgpRoutes.map((r) => ({ node: n.name, prefix: r.prefix, via: r.via })))),
  );
  out.push(
    'Service IPs announced: ' +
      report.nodes.map((n) => `${n.name}: ${n.announcedServiceIPs.join(', ') || '(none)'}`).join('; ') +
      '\n',
  );
  if (report.traffic) {
    out.push('## Traffic (real VPP)\n');
    out.push(
      table(
        report.traffic.map((t) => ({
          check: t.check,
          expected: t.expect,
          result: t.ok ? 'PASS' : 'FAIL',
          detail: t.detail,
        })),
      ),
    );
  } else {
    out.push('## Traffic\n');
    out.push(
      'Not run: the fake VPP forwards no packets. With `VPP_BIN` the lab checks pod → pod (same node, across nodes), pod → ClusterIP, NodePort from the switch, the denied pod refused, and the host reachable.\n',
    );
  }
  out.push('## Timings (ms since start)\n');
  out.push(table([report.timings]));
  out.push(
    report.leftovers.length
      ? `**Cleanup left:** ${report.leftovers.join('; ')}\n`
      : 'Cleanup: every namespace, process and file the lab created was removed.\n',
  );
  return out.join('\n');
}
