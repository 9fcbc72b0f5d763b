/**
 * `npm run lab`: two nodes on one machine, each a network namespace with an uplink on a shared switch, a VPP (the
 * fake unless `VPP_BIN` names a real one), a `vectorplane run` agent in standalone mode reading the manifests
 * shipped in `packages/agent/lab/manifests`, two pods per node added through the real CNI plugin binary with
 * host-local IPAM, and the BGP node mesh (one gobgpd per agent). It reads back what was programmed, reports it, and
 * removes everything it created, also on failure and on SIGINT/SIGTERM.
 *
 * With the fake VPP the uplink stays with Linux (vpp-manager is not run: the fake forwards no packets, so an uplink
 * handed to it would cut the nodes off from each other), which gives BGP a real path over the switch: the sessions
 * and the routes learned are real; the pods' interfaces, cnat translations and ACL bindings are programmed into the
 * fakes and read back over VPP's API; no packet crosses a VPP. With `VPP_BIN`, vpp-manager takes each node's
 * uplink into VPP and the lab also runs the traffic checks.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectVpp } from '@vectorplane/vpp-binapi';
import { startTestVpp, type TestVpp } from '@vectorplane/vpp-binapi/testing';
import { daemonEnv } from '../tuning.js';
import { LabTopology, sh, type LabNode } from './topology.js';

const here = dirname(fileURLToPath(import.meta.url));
/** packages/agent */
export const AGENT_DIR = join(here, '..', '..');
/** The repository root. */
export const REPO_ROOT = join(AGENT_DIR, '..', '..');
/** The manifests the lab's agents read (standalone mode). */
export const LAB_MANIFESTS = join(AGENT_DIR, 'lab', 'manifests');

/** A node of the lab as the manifests describe it. */
export interface LabNodeSpec {
  readonly name: string;
  readonly ip4: string;
  readonly mac: string;
  readonly podSubnet: string;
  readonly pods: readonly { readonly name: string; readonly ip: string }[];
}

/** The lab's fixed plan; the manifests folder says the same. */
export const LAB_PLAN = {
  switchIp4: '198.18.0.1',
  prefixLength: 24,
  serviceCidr: '10.96.0.0/12',
  service: { name: 'default/web', clusterIP: '10.96.0.10', port: 80, nodePort: 30080, externalIP: '198.18.10.10' },
  deniedPod: 'default/denied-b',
  nodes: [
    {
      name: 'node-a',
      ip4: '198.18.0.11',
      mac: '02:fe:00:00:00:11',
      podSubnet: '10.244.1.0/24',
      pods: [
        { name: 'web-a', ip: '10.244.1.10' },
        { name: 'client-a', ip: '10.244.1.11' },
      ],
    },
    {
      name: 'node-b',
      ip4: '198.18.0.12',
      mac: '02:fe:00:00:00:12',
      podSubnet: '10.244.2.0/24',
      pods: [
        { name: 'web-b', ip: '10.244.2.10' },
        { name: 'denied-b', ip: '10.244.2.11' },
      ],
    },
  ] satisfies LabNodeSpec[],
} as const;

/** One pod as the lab saw it. */
export interface LabPodReport {
  readonly node: string;
  readonly pod: string;
  readonly netns: string;
  readonly ip: string;
  /** The address the CNI plugin returned (host-local IPAM). */
  readonly cniIp: string | undefined;
  /** The interface inside the pod's netns (`ip -br addr`). */
  readonly podInterface: string;
  /** The pod's interface in VPP (from the agent's status, checked against `sw_interface_dump`). */
  readonly vppInterface: string | undefined;
  readonly swIfIndex: number | undefined;
  readonly inVpp: boolean;
  /** ACLs bound to the pod's VPP interface (`acl_interface_list_dump`): input, output. */
  readonly acls: { readonly input: number[]; readonly output: number[] };
}

/** What one node reports. */
export interface LabNodeReport {
  readonly name: string;
  readonly ip4: string;
  readonly netns: string;
  readonly vppKind: 'fake' | 'real';
  readonly ready: boolean;
  readonly components: Record<string, { state?: string; synced?: boolean; error?: string }>;
  readonly bgpPeers: { address: string; state: string; received: number; advertised: number }[];
  readonly bgpRoutes: { prefix: string; via: string }[];
  readonly cnat: { vip: string; proto: string; backends: string[] }[];
  readonly vppInterfaces: { swIfIndex: number; name: string; up: boolean }[];
  readonly announcedServiceIPs: string[];
}

/** One row of the traffic table (real VPP only). */
export interface LabTrafficCheck {
  readonly check: string;
  readonly expect: 'pass' | 'refused';
  readonly ok: boolean;
  readonly detail: string;
}

/** The lab's findings. */
export interface LabReport {
  readonly prefix: string;
  readonly vppKind: 'fake' | 'real';
  readonly nodes: LabNodeReport[];
  readonly pods: LabPodReport[];
  readonly traffic: LabTrafficCheck[] | undefined;
  readonly timings: Record<string, number>;
  readonly leftovers: string[];
}

/** Options of {@link runLab}. */
export interface LabInit {
  /** Progress lines. Default: none. */
  readonly log?: (line: string) => void;
  /** Name prefix of everything created (netns, directories). Default `vplab-<random>`. */
  readonly prefix?: string;
  /** Aborts the lab (cleanup still runs). */
  readonly signal?: AbortSignal;
  /** `VPP_BIN`: a real VPP. Default `process.env.VPP_BIN`. */
  readonly vppBin?: string | undefined;
  /** Copy each agent's log here (`<node>.log`) before the lab's directory is removed. Default: not kept. */
  readonly logsDir?: string;
  /** How long to wait for the agents, the pods and BGP. Default 60 s. */
  readonly timeoutMs?: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });

async function until<T>(
  what: string,
  f: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`lab: timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200, signal);
  }
}

/** `GET http://127.0.0.1:<port><path>` from inside a netns (the agents listen on their node's loopback). */
function httpInNetns(netns: string, url: string): { status: number; body: string } | undefined {
  const script =
    'fetch(process.argv[1],{signal:AbortSignal.timeout(2000)}).then(async r=>{process.stdout.write(JSON.stringify({status:r.status,body:await r.text()}))},()=>process.exit(1))';
  const r = spawnSync('ip', ['netns', 'exec', netns, process.execPath, '-e', script, url], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout) return undefined;
  try {
    return JSON.parse(r.stdout) as { status: number; body: string };
  } catch {
    return undefined;
  }
}

interface AgentStatus {
  ready: boolean;
  components: Record<string, { state?: string; synced?: boolean; error?: string }>;
  pods?: { pod: string; interface?: string; swIfIndex: number; ips: string[] }[];
  services?: { vip: string }[];
  bgp?: {
    peers: { address: string; state: string; received: number; advertised: number }[];
    routes: { prefix: string; nextHop?: string; via?: string; provider?: string }[];
  };
}

function agentStatus(netns: string): AgentStatus | undefined {
  const r = httpInNetns(netns, 'http://127.0.0.1:9090/status');
  if (!r) return undefined;
  try {
    return JSON.parse(r.body) as AgentStatus;
  } catch {
    return undefined;
  }
}

const PROTO: Record<number, string> = { 6: 'TCP', 17: 'UDP', 1: 'ICMP', 0: 'any' };

/** Reads what VPP holds: interfaces, cnat translations, ACL bindings. Works against the fake and a real VPP. */
async function readVpp(socket: string) {
  const vpp = await connectVpp({ socket, timeoutMs: 5_000 });
  try {
    const interfaces: { swIfIndex: number; name: string; up: boolean }[] = [];
    for await (const d of vpp.dump('sw_interface_dump', { sw_if_index: 0xffffffff })) {
      interfaces.push({ swIfIndex: d.sw_if_index, name: d.interface_name, up: (Number(d.flags) & 1) === 1 });
    }
    const cnat: { vip: string; proto: string; backends: string[] }[] = [];
    for await (const d of vpp.dump('cnat_translation_dump', {})) {
      const t = d.translation;
      cnat.push({
        vip: `${t.vip.addr}:${t.vip.port}`,
        proto: PROTO[Number(t.ip_proto)] ?? String(t.ip_proto),
        backends: t.paths.map((p) => `${p.dst_ep.addr}:${p.dst_ep.port}`),
      });
    }
    const acls = new Map<number, { input: number[]; output: number[] }>();
    for await (const d of vpp.dump('acl_interface_list_dump', { sw_if_index: 0xffffffff })) {
      if (d.acls.length === 0) continue;
      acls.set(d.sw_if_index, { input: d.acls.slice(0, d.n_input), output: d.acls.slice(d.n_input) });
    }
    return { interfaces, cnat, acls };
  } finally {
    await vpp.close();
  }
}

interface RunningNode {
  readonly spec: LabNodeSpec;
  readonly topo: LabNode;
  readonly dir: string;
  readonly apiSocket: string;
  readonly cniSocket: string;
  vpp?: TestVpp;
  agent?: ChildProcess;
  agentExit?: Promise<void>;
}

/** The `vectorplane` entry: the bundle when built, else the bin shim (which runs the sources). */
export function vectorplaneEntry(): string {
  const bundle = join(AGENT_DIR, 'dist', 'bin', 'vectorplane.js');
  return existsSync(bundle) ? bundle : join(AGENT_DIR, 'bin', 'vectorplane.js');
}

function cniPluginEntry(): string {
  const pkg = join(REPO_ROOT, 'packages', 'cni-server');
  const bundle = join(pkg, 'dist', 'bin', 'vectorplane-cni.js');
  return existsSync(bundle) ? bundle : join(pkg, 'bin', 'vectorplane-cni.js');
}

function killNetnsProcesses(netns: string): void {
  const r = spawnSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' });
  for (const pid of (r.stdout ?? '').split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
}

/** Runs the lab from start to cleanup; resolves with its report (cleanup has run by then). */
export async function runLab(init: LabInit = {}): Promise<LabReport> {
  const log = init.log ?? (() => undefined);
  const signal = init.signal;
  const timeoutMs = init.timeoutMs ?? 60_000;
  const vppBin = 'vppBin' in init ? init.vppBin : process.env.VPP_BIN;
  const vppKind: 'fake' | 'real' = vppBin ? 'real' : 'fake';
  const prefix = init.prefix ?? `vplab-${Math.random().toString(36).slice(2, 6)}`;
  const timings: Record<string, number> = {};
  const t0 = Date.now();
  const mark = (step: string) => (timings[step] = Date.now() - t0);
  const root = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const topo = new LabTopology(prefix);
  topo.onDestroy(`directory ${root}`, () => rmSync(root, { recursive: true, force: true }));
  const nodes: RunningNode[] = [];
  const podNetns = new Map<string, string>();
  let report: LabReport | undefined;
  let failure: unknown;
  try {
    // 1. the network: switch, nodes (each with a VPP netns), pods' netns
    log(`[1/6] network: switch ${topo.switchNetns} (${LAB_PLAN.switchIp4}/${LAB_PLAN.prefixLength}), two nodes`);
    topo.createSwitch(LAB_PLAN.switchIp4, LAB_PLAN.prefixLength);
    for (const spec of LAB_PLAN.nodes) {
      const n = topo.addNode({
        name: spec.name,
        ip4: spec.ip4,
        prefixLength: LAB_PLAN.prefixLength,
        gateway4: LAB_PLAN.switchIp4,
        mac: spec.mac,
      });
      topo.onDestroy(`processes in ${n.netns}`, () => killNetnsProcesses(n.netns));
      const dir = join(root, spec.name);
      mkdirSync(join(dir, 'vpp'), { recursive: true });
      nodes.push({
        spec,
        topo: n,
        dir,
        apiSocket: join(dir, 'vpp', 'api.sock'),
        cniSocket: join(dir, 'cni-server.sock'),
      });
      for (const p of spec.pods) podNetns.set(p.name, topo.addPodNetns(p.name));
    }
    mark('network');

    // 2. VPP per node
    log(`[2/6] VPP per node: ${vppKind === 'fake' ? 'the fake VPP (VPP_BIN unset)' : vppBin!}`);
    if (vppKind === 'fake') {
      await Promise.all(
        nodes.map(async (n) => {
          n.vpp = await startTestVpp({
            netns: n.topo.netns,
            runtimeDir: join(n.dir, 'vpp'),
            ...(signal && { signal }),
          });
          topo.onDestroy(`VPP of ${n.spec.name}`, () => void n.vpp?.stop());
        }),
      );
    }
    mark('vpp');

    // 3. one agent per node, standalone (manifests folder)
    log(`[3/6] agents: vectorplane run in each node's netns (manifests: ${LAB_MANIFESTS})`);
    const entry = vectorplaneEntry();
    for (const n of nodes) {
      const config = {
        nodeName: n.spec.name,
        kube: { mode: 'folder', manifests: LAB_MANIFESTS },
        serviceCidrs: [LAB_PLAN.serviceCidr],
        stateDir: join(n.dir, 'state'),
        vpp: { runtimeDir: join(n.dir, 'vpp') },
        cni: { socket: n.cniSocket },
        policies: { backend: 'acl' },
        // host-local IPAM from the Node's podCIDR: announce that CIDR, as Calico does (USE_POD_CIDR)
        bgp: { usePodCidr: true },
        health: { listen: '127.0.0.1:9090' },
        metrics: { listen: '127.0.0.1:9091' },
        shutdownDeadlineMs: 10_000,
      };
      const configFile = join(n.dir, 'vectorplane.json');
      writeFileSync(configFile, JSON.stringify(config, null, 2));
      const env = daemonEnv({ ...process.env, VECTORPLANE_CONFIG: configFile, CALICOVPP_LOG_LEVEL: 'info' });
      delete env.NODENAME;
      delete env.SERVICE_PREFIX;
      delete env.VECTORPLANE_MANIFESTS;
      if (vppKind === 'real') {
        env.VPP_BIN = vppBin;
        env.CALICOVPP_INTERFACES = JSON.stringify({
          uplinkInterfaces: [{ interfaceName: 'eth0', vppDriver: 'af_packet' }],
        });
      } else delete env.VPP_BIN;
      const out = openSync(join(n.dir, 'agent.log'), 'a');
      const child = spawn('ip', ['netns', 'exec', n.topo.netns, process.execPath, entry, 'run'], {
        env,
        stdio: ['ignore', out, out],
        detached: true, // its own process group: Ctrl-C reaches the lab, which stops the agents in order
      });
      n.agent = child;
      n.agentExit = new Promise((resolve) => child.once('exit', () => resolve()));
      topo.onDestroy(`agent of ${n.spec.name}`, () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
    }
    const logTail = (n: RunningNode) => {
      try {
        return readFileSync(join(n.dir, 'agent.log'), 'utf8').split('\n').slice(-15).join('\n');
      } catch {
        return '';
      }
    };
    await Promise.all(
      nodes.map(async (n) => {
        await until(
          `the agent of ${n.spec.name} to be ready`,
          () => {
            if (n.agent?.exitCode !== null && n.agent?.exitCode !== undefined)
              throw new Error(`lab: the agent of ${n.spec.name} exited with ${n.agent.exitCode}:\n${logTail(n)}`);
            return agentStatus(n.topo.netns)?.ready ? true : undefined;
          },
          timeoutMs,
          signal,
        ).catch((err: unknown) => {
          if (signal?.aborted) throw err;
          throw new Error(`${(err as Error).message}\n${logTail(n)}`);
        });
        log(`      ${n.spec.name}: ready`);
      }),
    );
    mark('agentsReady');

    // 4. pods through the real CNI plugin binary with host-local IPAM
    log('[4/6] pods: CNI ADD through vectorplane-cni (host-local IPAM from /usr/lib/cni)');
    const plugin = cniPluginEntry();
    const cniAdds = nodes.flatMap((n) =>
      n.spec.pods.map(async (p) => {
        const netns = podNetns.get(p.name)!;
        const conf = {
          cniVersion: '1.0.0',
          name: 'k8s-pod-network',
          type: 'vectorplane-cni',
          socket: n.cniSocket,
          mtu: 1450,
          ipam: {
            type: 'host-local',
            dataDir: join(n.dir, 'ipam'),
            ranges: [[{ subnet: n.spec.podSubnet }]],
          },
        };
        const env = {
          ...process.env,
          CNI_COMMAND: 'ADD',
          CNI_CONTAINERID: `${prefix}-${p.name}`,
          CNI_NETNS: `/run/netns/${netns}`,
          CNI_IFNAME: 'eth0',
          CNI_PATH: '/usr/lib/cni',
          CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${p.name};IP=${p.ip}`,
        };
        const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
          const c = spawn(process.execPath, [plugin], { env, stdio: ['pipe', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          c.stdout.on('data', (d: Buffer) => (out += d.toString()));
          c.stderr.on('data', (d: Buffer) => (err += d.toString()));
          c.on('close', (code) => resolve({ code, out, err }));
          c.stdin.end(JSON.stringify(conf));
        });
        if (r.code !== 0) throw new Error(`lab: CNI ADD of ${p.name} failed (${r.code}): ${r.out}${r.err}`);
        const result = JSON.parse(r.out) as { ips?: { address: string }[] };
        log(`      ${n.spec.name}/${p.name}: ${result.ips?.map((i) => i.address).join(', ') ?? '?'}`);
        return { node: n.spec.name, pod: p.name, cniIp: result.ips?.[0]?.address };
      }),
    );
    const added = await Promise.all(cniAdds);
    mark('podsAdded');

    // 5. wait for what should follow: pods bound, BGP sessions and routes, cnat
    log('[5/6] waiting for policy bindings, cnat translations and the BGP mesh');
    const deniedName = LAB_PLAN.deniedPod.split('/')[1]!;
    const deniedNode = nodes.find((n) => n.spec.pods.some((p) => p.name === deniedName))!;
    await until(
      'the denied pod to have its ACLs bound',
      async () => {
        const st = agentStatus(deniedNode.topo.netns);
        const pod = st?.pods?.find((p) => p.pod === LAB_PLAN.deniedPod);
        if (!pod) return undefined;
        const v = await readVpp(deniedNode.apiSocket);
        return v.acls.get(pod.swIfIndex) ? true : undefined;
      },
      timeoutMs,
      signal,
    );
    const bgpWait = await until(
      "BGP sessions established and each node's pod CIDR learned by the others",
      () => {
        const ok = nodes.every((n) => {
          const s = agentStatus(n.topo.netns);
          const learned = new Set(s?.bgp?.routes.map((r) => r.prefix));
          return (
            s?.bgp?.peers.length &&
            s.bgp.peers.every((p) => p.state.toLowerCase() === 'established') &&
            nodes.every((o) => o === n || learned.has(o.spec.podSubnet))
          );
        });
        return ok ? true : undefined;
      },
      Math.min(timeoutMs, 30_000),
      signal,
    ).catch((err: unknown) => {
      log(`      BGP: ${(err as Error).message} (reported as found)`);
      return false;
    });
    if (bgpWait) log('      BGP: sessions established, routes learned');
    mark('converged');

    // 6. the report
    log('[6/6] reading back the state');
    const nodeReports: LabNodeReport[] = [];
    const pods: LabPodReport[] = [];
    for (const n of nodes) {
      const st = agentStatus(n.topo.netns);
      const v = await readVpp(n.apiSocket);
      const byIndex = new Map(v.interfaces.map((i) => [i.swIfIndex, i]));
      nodeReports.push({
        name: n.spec.name,
        ip4: n.spec.ip4,
        netns: n.topo.netns,
        vppKind,
        ready: st?.ready === true,
        components: st?.components ?? {},
        bgpPeers: (st?.bgp?.peers ?? []).map((p) => ({
          address: p.address,
          state: p.state,
          received: p.received,
          advertised: p.advertised,
        })),
        bgpRoutes: (st?.bgp?.routes ?? []).map((r) => ({
          prefix: r.prefix,
          via: `${r.nextHop ?? r.via ?? '?'}${r.provider ? ` (${r.provider})` : ''}`,
        })),
        cnat: v.cnat,
        vppInterfaces: v.interfaces,
        announcedServiceIPs: (st?.services ?? []).map((s) => s.vip),
      });
      for (const p of n.spec.pods) {
        const key = `default/${p.name}`;
        const sp = st?.pods?.find((x) => x.pod === key);
        const netns = podNetns.get(p.name)!;
        const podIf = spawnSync('ip', ['-n', netns, '-br', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' });
        const itf = sp ? byIndex.get(sp.swIfIndex) : undefined;
        pods.push({
          node: n.spec.name,
          pod: key,
          netns,
          ip: p.ip,
          cniIp: added.find((a) => a.pod === p.name)?.cniIp,
          podInterface: (podIf.stdout ?? '').trim().replace(/\s+/g, ' ') || '(none)',
          vppInterface: itf?.name ?? sp?.interface,
          swIfIndex: sp?.swIfIndex,
          inVpp: itf !== undefined,
          acls: (sp && v.acls.get(sp.swIfIndex)) ?? { input: [], output: [] },
        });
      }
    }
    const traffic = vppKind === 'real' ? trafficChecks(topo, nodes, podNetns) : undefined;
    mark('report');
    report = { prefix, vppKind, nodes: nodeReports, pods, traffic, timings, leftovers: [] };
  } catch (err) {
    failure = err;
  }

  // cleanup: agents first (SIGTERM: they stop in order, gobgpd included), then VPPs, then the kernel state
  log('cleanup: stopping agents and VPPs, removing namespaces');
  await Promise.all(
    nodes.map(async (n) => {
      if (!n.agent || n.agent.exitCode !== null || n.agent.signalCode !== null) return;
      n.agent.kill('SIGTERM');
      await Promise.race([n.agentExit, sleep(12_000)]);
    }),
  );
  await Promise.all(nodes.map((n) => (n.vpp ? n.vpp.stop().catch(() => undefined) : Promise.resolve())));
  if (init.logsDir) {
    mkdirSync(init.logsDir, { recursive: true });
    for (const n of nodes)
      if (existsSync(join(n.dir, 'agent.log')))
        copyFileSync(join(n.dir, 'agent.log'), join(init.logsDir, `${n.spec.name}.log`));
  }
  const failed = topo.destroy();
  const leftovers = [...failed, ...labLeftovers(prefix)];
  timings.total = Date.now() - t0;
  if (failure !== undefined) {
    if (leftovers.length) log(`cleanup left: ${leftovers.join('; ')}`);
    throw failure;
  }
  return { ...report!, timings, leftovers };
}

/** Namespaces and processes whose name carries the prefix (empty after a clean run). */
export function labLeftovers(prefix: string): string[] {
  const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(prefix))
    .map((n) => `netns ${n}`);
  const procs = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.includes(prefix) && !l.includes('vitest') && !l.includes(' ps '))
    .map((l) => `process ${l.trim()}`);
  return [...ns, ...procs];
}

function ping(netns: string, target: string): boolean {
  return spawnSync('ip', ['netns', 'exec', netns, 'ping', '-c', '1', '-W', '1', target]).status === 0;
}

function tcp(netns: string, host: string, port: number): boolean {
  const script = `const s=require('net').connect(${port},'${host}');s.setTimeout(1500);s.on('connect',()=>process.exit(0));s.on('timeout',()=>process.exit(1));s.on('error',()=>process.exit(1))`;
  return spawnSync('ip', ['netns', 'exec', netns, process.execPath, '-e', script]).status === 0;
}

/** The traffic table (real VPP only): each row a ping or a TCP connect through VPP. */
function trafficChecks(topo: LabTopology, nodes: RunningNode[], podNetns: Map<string, string>): LabTrafficCheck[] {
  const ns = (pod: string) => podNetns.get(pod)!;
  const servers: ChildProcess[] = [];
  for (const p of ['web-a', 'web-b']) {
    const s = spawn(
      'ip',
      ['netns', 'exec', ns(p), process.execPath, '-e', "require('http').createServer((q,r)=>r.end('ok')).listen(8080)"],
      { stdio: 'ignore' },
    );
    servers.push(s);
  }
  spawnSync('sleep', ['0.5']);
  const rows: LabTrafficCheck[] = [];
  const row = (check: string, expect: 'pass' | 'refused', got: boolean, detail: string) =>
    rows.push({ check, expect, ok: expect === 'pass' ? got : !got, detail });
  try {
    row('pod → pod, same node', 'pass', ping(ns('client-a'), '10.244.1.10'), 'client-a → web-a (ping)');
    row('pod → pod, across nodes', 'pass', ping(ns('client-a'), '10.244.2.10'), 'client-a → web-b (ping)');
    row('pod → ClusterIP', 'pass', tcp(ns('client-a'), LAB_PLAN.service.clusterIP, 80), '10.96.0.10:80 (TCP)');
    row(
      'NodePort from the switch',
      'pass',
      tcp(topo.switchNetns, nodes[0]!.spec.ip4, LAB_PLAN.service.nodePort),
      `${nodes[0]!.spec.ip4}:${LAB_PLAN.service.nodePort} (TCP)`,
    );
    row('denied pod refused', 'refused', ping(ns('client-a'), '10.244.2.11'), 'client-a → denied-b (ping)');
    row(
      'host reachable via its host interface',
      'pass',
      ping(topo.switchNetns, nodes[0]!.spec.ip4),
      `switch → ${nodes[0]!.spec.ip4} (ping)`,
    );
  } finally {
    for (const s of servers) s.kill('SIGKILL');
  }
  return rows;
}

export { sh };
