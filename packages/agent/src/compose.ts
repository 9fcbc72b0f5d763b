/**
 * The composition root: builds each package's instance from the configuration and wires their streams into each
 * other (Calico/VPP's boot order made explicit). No protocol logic lives here: every VPP message, every
 * Kubernetes rule and every BGP decision belongs to the package that owns it.
 *
 *   vpp-manager → VPP up, uplink in → VPP API client (reconnecting)
 *   kube source → cni-server, services, policies, bgp
 *   cni-server pods → policies (pod bindings), bgp (pod addresses)
 *   services VIPs → bgp announcements
 *
 * Each package is imported when its component starts (`await import(…)`), so a node loads only what it runs:
 * no vpp-manager without CALICOVPP_INTERFACES, no BGP stack with bgp disabled, no API-server client in folder
 * or memory mode. In the bundle those imports are lazy initialisers; idle RSS and start-up pay only for them.
 */
import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BgpController } from '@vectorplane/bgp';
import type { CniServer, PodInfo } from '@vectorplane/cni-server';
import {
  calicoNodeInfo,
  createFolderSource,
  createMemorySource,
  type Node,
  type ResourceSource,
} from '@vectorplane/kube';
import type { NetworkPolicyController, PolicyDataplane } from '@vectorplane/policies';
import type { Services } from '@vectorplane/services';
import type { VppApi, VppClient } from '@vectorplane/vpp-binapi';
import type { ReadyInfo, VppManager } from '@vectorplane/vpp-manager';
import type { Logger } from 'pino';
import type { AgentConfig } from './config.js';
import type { AgentMetrics } from './health.js';
import type { AgentLoggers } from './logger.js';
import { type AgentComponent, type Runtime, createRuntime } from './runtime.js';

/** Options of {@link composeNode}. */
export interface ComposeNodeInit {
  readonly config: AgentConfig;
  readonly loggers: AgentLoggers;
  readonly metrics: AgentMetrics;
  /** The resource source; default: built from `config.kube`. */
  readonly source?: ResourceSource;
  /** Where state files live (CNI pods, uplink capture, npol state). Default `config.stateDir`. */
  readonly stateDir?: string;
  /**
   * This node's WireGuard private key (base64). Default: the one kept in `<stateDir>/wireguard.key`, generated
   * (mode 0600) on the first start. BGP uses WireGuard when FelixConfiguration `default` enables it; the public
   * key is then published on our Node.
   */
  readonly wireguardPrivateKey?: string;
  /** The same for IPv6: default `<stateDir>/wireguard-v6.key` (Calico gives IPv6 its own key). */
  readonly wireguardPrivateKeyV6?: string;
  /** Our WireGuard interface address (bare IPv4) to publish with the key; default: none (Calico's IPAM sets it). */
  readonly wireguardInterfaceIPv4Address?: string;
  /** The same for IPv6. */
  readonly wireguardInterfaceIPv6Address?: string;
}

/** The node's components behind one runtime, plus what `/status` shows of them. */
export interface ComposedNode {
  readonly runtime: Runtime;
  /**
   * Settles with the reason when the node cannot go on: VPP exited under vpp-manager (which restored the uplink).
   * The process then stops and exits non-zero so that its supervisor starts it again, with a new VPP.
   */
  readonly fatal: Promise<Error>;
  /** Status sections for the CLI: pods, services, bgp. */
  sections(): Record<string, unknown>;
}

interface Shared {
  vpp?: VppClient<VppApi>;
  ready?: ReadyInfo;
  source?: ResourceSource;
  cni?: CniServer;
  services?: Services;
  policies?: NetworkPolicyController;
  bgp?: BgpController;
  nodeAddresses: string[];
  vips: Set<string>;
}

/** A command name resolved on PATH (bgp's gobgpd spawner wants a path); paths and misses are returned as given. */
export function resolveCommand(command: string, path = process.env.PATH ?? ''): string {
  if (command.includes('/')) return command;
  for (const dir of path.split(':').filter(Boolean)) {
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return command;
}

function addressOnly(cidr: string | undefined): string | undefined {
  return cidr?.split('/')[0];
}

/** The Node object of this node, once listed (undefined when the source has none). */
async function readNode(source: ResourceSource, name: string, signal: AbortSignal): Promise<Node | undefined> {
  let node: Node | undefined;
  for await (const ev of source.stream('Node', { signal, fieldSelector: `metadata.name=${name}` })) {
    if (ev.type === 'added' || ev.type === 'modified') node = ev.object;
    if (ev.type === 'synced') break;
  }
  return node;
}

/** The WireGuard private key kept in `file`, or a new one written there (mode 0600) when it has none or a bad one. */
function wireguardKeyFile(
  file: string,
  bgp: { generateWireguardKeyPair(): { privateKey: string }; wireguardPublicKey(k: string): string },
  log: Pick<Logger, 'warn'>,
): string {
  try {
    const key = readFileSync(file, 'utf8').trim();
    bgp.wireguardPublicKey(key); // throws on a malformed key
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ err, file }, 'bad WireGuard key file: new key');
  }
  const { privateKey } = bgp.generateWireguardKeyPair();
  writeFileSync(file, `${privateKey}\n`, { mode: 0o600 });
  return privateKey;
}

/** Options of {@link publishWireguardKey}. */
export interface WireguardKeyPublisherInit {
  readonly source: ResourceSource;
  readonly nodeName: string;
  /** Our IPv4 public key, published while `wireguardEnabled`. */
  readonly publicKey: string;
  /** Our IPv6 public key (Calico keeps a second one), published while `wireguardEnabledV6`. */
  readonly publicKeyV6?: string;
  /** Inner addresses to publish with the keys; default: none (Calico's IPAM sets them, we leave them alone). */
  readonly interfaceIPv4Address?: string;
  readonly interfaceIPv6Address?: string;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  /** Wait after a failed publish before trying again, doubled per failure up to 60 s; default 5000 ms. */
  readonly retryMs?: number;
}

/**
 * Keep our WireGuard public keys (and inner addresses, when given) on our Node as FelixConfiguration `default`
 * says, as Calico/VPP does: the IPv4 key while `wireguardEnabled`, the IPv6 key while `wireguardEnabledV6`, each
 * removed when its family is turned off (so that other nodes stop sending to us through WireGuard). Nothing is
 * written before both watches have listed, nor when the Node already shows what we want. Failures are logged and
 * retried after `retryMs` (doubling, at most 60 s; a 403 means the agent's ClusterRole lacks `patch` on nodes); a
 * read-only source (folder, memory) is logged once with the keys to put in the Node's manifest.
 * Resolves when `signal` aborts.
 */
export async function publishWireguardKey(init: WireguardKeyPublisherInit, signal: AbortSignal): Promise<void> {
  const { source, nodeName, logger: log } = init;
  let node: Node | undefined;
  let felix: { wireguardEnabled?: boolean; wireguardEnabledV6?: boolean } = {};
  const synced = { node: false, felix: false };
  let running = false;
  let again = false;
  let readOnly = false;
  let retry: NodeJS.Timeout | undefined;
  const firstDelay = init.retryMs ?? 5_000;
  let delay = firstDelay;
  /** What the Node should carry: a value, or null for "not there". Fields we do not manage are left out. */
  const wanted = (): Record<string, string | null> => {
    const v4 = felix.wireguardEnabled === true;
    const v6 = felix.wireguardEnabledV6 === true && init.publicKeyV6 !== undefined;
    const want: Record<string, string | null> = { publicKey: v4 ? init.publicKey : null };
    if (init.interfaceIPv4Address !== undefined) want['interfaceIPv4Address'] = v4 ? init.interfaceIPv4Address : null;
    want['publicKeyV6'] = v6 ? init.publicKeyV6! : null;
    if (init.interfaceIPv6Address !== undefined) want['interfaceIPv6Address'] = v6 ? init.interfaceIPv6Address : null;
    return want;
  };
  const differs = (): Record<string, string | null> => {
    const info = node ? calicoNodeInfo(node) : undefined;
    const have: Record<string, string | undefined> = {
      publicKey: info?.wireguardPublicKey,
      publicKeyV6: info?.wireguardPublicKeyV6,
      interfaceIPv4Address: info?.wireguardInterfaceIPv4Address,
      interfaceIPv6Address: info?.wireguardInterfaceIPv6Address,
    };
    return Object.fromEntries(Object.entries(wanted()).filter(([k, v]) => (have[k] ?? null) !== v));
  };
  const check = async (): Promise<void> => {
    if (!synced.node || !synced.felix || node === undefined || readOnly || signal.aborted) return;
    const change = differs();
    if (Object.keys(change).length === 0) return;
    if (running) return void (again = true);
    running = true;
    try {
      if (!('kubeConfig' in source)) {
        readOnly = true;
        log.info(
          { node: nodeName, want: wanted() },
          'the resource source is read-only: put these WireGuard annotations (projectcalico.org/WireguardPublicKey, …V6) on this Node in its manifest',
        );
        return;
      }
      const { publishNodeWireguard } = await import('@vectorplane/kube/apiserver');
      const { changed } = await publishNodeWireguard(source, nodeName, change, { signal });
      delay = firstDelay;
      log.info({ node: nodeName, changed }, 'WireGuard public keys updated on the Node');
    } catch (err) {
      if (signal.aborted) return;
      log.warn({ err, node: nodeName, retryMs: delay }, 'updating the WireGuard keys on the Node failed: retrying');
      clearTimeout(retry);
      retry = setTimeout(() => void check(), delay);
      delay = Math.min(delay * 2, 60_000);
      retry.unref();
    } finally {
      running = false;
      if (again) {
        again = false;
        void check();
      }
    }
  };
  const watch = async (kind: 'Node' | 'FelixConfiguration', name: string, apply: (o: unknown) => void) => {
    try {
      for await (const ev of source.stream(kind, { signal, fieldSelector: `metadata.name=${name}` })) {
        if (ev.type === 'added' || ev.type === 'modified') apply(ev.object);
        else if (ev.type === 'deleted') apply(undefined);
        else if (ev.type === 'synced') synced[kind === 'Node' ? 'node' : 'felix'] = true;
        else continue;
        void check();
      }
    } catch (err) {
      if (!signal.aborted) log.warn({ err, kind }, 'watch for the WireGuard key publisher ended');
    }
  };
  await Promise.all([
    watch('Node', nodeName, (o) => (node = o as Node | undefined)),
    watch('FelixConfiguration', 'default', (o) => (felix = (o as { spec?: typeof felix } | undefined)?.spec ?? {})),
  ]);
  clearTimeout(retry);
}

/** Builds every component from the configuration; nothing starts until `runtime.start()`. */
export function composeNode(init: ComposeNodeInit): ComposedNode {
  const { config, loggers, metrics } = init;
  const stateDir = init.stateDir ?? config.stateDir;
  const shared: Shared = { nodeAddresses: [], vips: new Set() };
  let fail: (err: Error) => void = () => undefined;
  const fatal = new Promise<Error>((resolve) => (fail = resolve));
  const vppOf = (): VppClient<VppApi> => {
    if (!shared.vpp) throw new Error('VPP is not connected');
    return shared.vpp;
  };

  // 1. VPP: vpp-manager takes the uplink and supervises VPP, or an already running VPP is used.
  let manager: VppManager | undefined;
  let vppStopping = false;
  /** The API connection is up (false from `vpp:down` until the client's reconnect answers). */
  let vppUp = false;
  const managed = config.vpp.managerEnv.CALICOVPP_INTERFACES !== undefined;
  const vppComponent: AgentComponent = {
    name: 'vpp-manager',
    async start(signal) {
      mkdirSync(stateDir, { recursive: true });
      let socket = join(config.vpp.runtimeDir, 'api.sock');
      if (managed) {
        // the fake VPP only when no VPP binary is configured (loaded lazily: the bundle leaves the testing module out)
        const fake =
          config.vpp.bin === undefined ? (await import('@vectorplane/vpp-binapi/testing')).vppFakeCommand() : undefined;
        const { configFromEnv, createVppManager } = await import('@vectorplane/vpp-manager');
        const mc = configFromEnv(config.vpp.managerEnv, {
          vpp: {
            bin: config.vpp.bin ?? fake!.command,
            args: fake?.args ?? [],
            runtimeDir: config.vpp.runtimeDir,
            ...(config.vpp.netns !== undefined && { netns: config.vpp.netns }),
          },
          servicePrefixes: config.serviceCidrs,
          stateFile: join(stateDir, 'uplink.json'),
          statusFile: join(stateDir, 'vpp-manager-status.json'),
        });
        manager = createVppManager({ config: mc }, { logger: loggers.component('vpp-manager') });
        shared.ready = await manager.start({ signal });
        socket = mc.vpp.apiSocket ?? join(mc.vpp.runtimeDir, 'api.sock');
        void manager.done.then((summary) => {
          if (vppStopping) return;
          loggers
            .component('vpp-manager')
            .error(
              { summary },
              'VPP exited: uplink restored; the agent stops so that its supervisor restarts it with VPP',
            );
          fail(new Error(`VPP exited (${summary.vppExit?.signal ?? `code ${String(summary.vppExit?.code)}`})`));
        });
      }
      const { connectVpp } = await import('@vectorplane/vpp-binapi');
      // many requests in flight: a burst of pod Adds pipelines about 15 requests per pod (cni-server bench)
      const vpp = await connectVpp({ socket, reconnect: true, signal, maxInFlight: 2048 });
      shared.vpp = vpp;
      vppUp = true;
      vpp.addEventListener('vpp:down', () => {
        vppUp = false;
        loggers.component('vpp-manager').warn({}, 'VPP API connection lost: not ready until VPP answers again');
      });
      vpp.addEventListener('vpp:up', () => (vppUp = true));
      vpp.addEventListener('vpp:error', () => metrics.vppApiErrors.inc({ message: 'connection', retval: 'n/a' }));
    },
    async stop() {
      vppStopping = true;
      await shared.vpp?.close().catch(() => undefined);
      if (manager) await manager.stop();
    },
    synced: () => shared.vpp !== undefined && vppUp && (!managed || manager?.status === 'ready'),
    details: () => ({
      managed,
      ...(shared.ready && {
        driver: shared.ready.driver,
        uplinkSwIfIndex: shared.ready.uplinkSwIfIndex,
        hostSwIfIndex: shared.ready.hostSwIfIndex,
        hostMode: shared.ready.hostMode,
        vppPid: shared.ready.vppPid,
      }),
    }),
  };

  // 2. Kubernetes (or Calico) resources: the API server, a folder of manifests (standalone), or memory.
  let nodeRead = false;
  const kubeComponent: AgentComponent = {
    name: 'kube',
    async start(signal) {
      const log = loggers.component('kube');
      shared.source =
        init.source ??
        (config.kube.mode === 'folder'
          ? createFolderSource({ dir: config.kube.manifests! })
          : config.kube.mode === 'memory'
            ? createMemorySource()
            : (await import('@vectorplane/kube/apiserver')).createApiServerSource({
                ...(config.kube.kubeconfig !== undefined && { kubeConfig: config.kube.kubeconfig }),
                logger: log,
              }));
      const node = await readNode(shared.source, config.nodeName, signal);
      const info = node ? calicoNodeInfo(node) : undefined;
      const internal = (node?.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address);
      shared.nodeAddresses = [
        ...new Set(
          [addressOnly(info?.ipv4Address), addressOnly(info?.ipv6Address), ...internal].filter((a): a is string => !!a),
        ),
      ];
      if (!node)
        log.warn({ node: config.nodeName }, 'no Node object for this node: NodePorts and SNAT get no node address');
      nodeRead = true;
    },
    async stop() {
      if (!init.source) await shared.source?.close();
    },
    synced: () => nodeRead,
    details: () => ({ mode: config.kube.mode, nodeAddresses: shared.nodeAddresses }),
  };

  // 3. CNI server: pods in VPP; its events feed policies and BGP.
  let cniSynced = false;
  const podsByWorkload = new Map<string, PodInfo>();
  const podKeyOf = (p: PodInfo) => `${p.workload.namespace}/${p.workload.name}`;
  const publishPods = () => {
    metrics.pods.set(podsByWorkload.size);
    shared.bgp?.setPodAddresses([...podsByWorkload.values()].flatMap((p) => p.ips));
  };
  const cniComponent: AgentComponent = {
    name: 'cni-server',
    async start(signal) {
      const { createCniServer } = await import('@vectorplane/cni-server');
      shared.cni = createCniServer(
        {
          socket: config.cni.socket,
          stateFile: join(stateDir, 'cni-state.json'),
          ...(managed && { vppNetns: managerNetns() }),
        },
        { vpp: vppOf(), logger: loggers.component('cni-server') },
      );
      await shared.cni.start({ signal });
      for (const p of shared.cni.pods()) podsByWorkload.set(podKeyOf(p), p);
      publishPods();
      cniSynced = true;
      void (async () => {
        for await (const ev of shared.cni!.events({ signal })) {
          const key = podKeyOf(ev.pod);
          if (ev.type === 'podAdded') podsByWorkload.set(key, ev.pod);
          else podsByWorkload.delete(key);
          publishPods();
          if (replayPending?.delete(key) && replayPending.size === 0) replayed?.();
          await shared.policies?.refreshPod(ev.pod.workload.namespace, ev.pod.workload.name).catch((err: unknown) => {
            loggers.component('policies').error({ err, pod: key }, 'binding a pod failed');
          });
        }
      })().catch((err: unknown) => loggers.component('cni-server').error({ err }, 'pod event stream ended'));
    },
    async stop() {
      await shared.cni?.stop();
    },
    synced: () => cniSynced,
    details: () => ({ pods: podsByWorkload.size, socket: shared.cni?.socketPath }),
  };
  function managerNetns(): string {
    return manager!.config.vpp.netns;
  }

  // 4. Services: cnat translations; announced VIPs go to BGP.
  let servicesSynced = false;
  const servicesComponent: AgentComponent = {
    name: 'services',
    async start(signal) {
      const { createServices } = await import('@vectorplane/services');
      const s = createServices(
        {
          node: { name: config.nodeName, addresses: shared.nodeAddresses },
          serviceCidrs: config.serviceCidrs,
          defaultLbType: config.services.lbType,
          ...(shared.ready && shared.ready.hostSwIfIndex !== 0xffffffff
            ? { snat: { interfaces: [{ swIfIndex: shared.ready.hostSwIfIndex, role: 'host' as const }] } }
            : {}),
        },
        { vpp: vppOf(), source: shared.source!, logger: loggers.component('services') },
      );
      shared.services = s;
      s.addEventListener('vip:announce', (ev) => {
        shared.vips.add(ev.detail.address);
        shared.bgp?.setServiceIPs([...shared.vips]);
      });
      s.addEventListener('vip:withdraw', (ev) => {
        shared.vips.delete(ev.detail.address);
        shared.bgp?.setServiceIPs([...shared.vips]);
      });
      s.addEventListener('sync:done', () => metrics.services.set(shared.vips.size));
      await s.start({ signal });
      void s.ready({ signal }).then(
        () => (servicesSynced = true),
        () => undefined,
      );
    },
    async stop() {
      await shared.services?.stop();
    },
    synced: () => servicesSynced,
    details: () => ({ vips: [...shared.vips] }),
  };

  // 5. Policies: Kubernetes NetworkPolicy natively, bound to the CNI server's pod interfaces.
  let policiesSynced = false;
  let policyDataplane: PolicyDataplane | undefined;
  let onVppUpPolicies: ((ev: Event) => void) | undefined;
  /** Pods the CNI server has yet to replay after VPP came back; the policies wait for them. */
  let replayPending: Set<string> | undefined;
  let replayed: (() => void) | undefined;
  const policiesComponent: AgentComponent = {
    name: 'policies',
    async start(signal) {
      const log = loggers.component('policies');
      const { createNetworkPolicyController, createPolicyDataplane } = await import('@vectorplane/policies');
      const build = async () => {
        const dataplane = createPolicyDataplane(
          { vpp: vppOf(), logger: log },
          // the npol backend keeps what it programmed here, to adopt it after an agent restart
          { backend: config.policies.backend, npolStatePath: join(stateDir, 'policies-npol.json') },
        );
        await dataplane.start({ signal });
        policyDataplane = dataplane;
        const c = createNetworkPolicyController({
          dataplane,
          source: shared.source!,
          endpoints: {
            pod: (namespace, name) => {
              const p = podsByWorkload.get(`${namespace}/${name}`);
              return p ? [p.swIfIndex] : undefined;
            },
          },
          logger: log,
        });
        shared.policies = c;
        await c.start({ signal });
        void c.synced.then(
          () => (policiesSynced = true),
          (err: unknown) => log.error({ err }, 'policies did not sync'),
        );
      };
      await build();
      // VPP came back empty (restarted under someone else's supervision; under vpp-manager the agent restarts):
      // once the CNI server has replayed the pods (new interfaces), build the policies again from the sources.
      // Rebuilding, not resync(): the dataplane's workloads still name the dead VPP's interfaces.
      onVppUpPolicies = (ev) => {
        if (!(ev as CustomEvent<{ reconnected?: boolean }>).detail?.reconnected) return;
        policiesSynced = false;
        const old = { controller: shared.policies, dataplane: policyDataplane };
        delete shared.policies; // pod events meanwhile: nothing to bind to the old state
        replayPending = new Set(podsByWorkload.keys());
        const waitReplay = new Promise<void>((resolve) => {
          replayed = resolve;
          if (replayPending!.size === 0) resolve();
          setTimeout(resolve, 30_000).unref();
        });
        void (async () => {
          await waitReplay;
          replayPending = undefined;
          await old.controller?.stop();
          await old.dataplane?.stop();
          await build();
          log.info({ pods: podsByWorkload.size }, 'policies programmed again after a VPP restart');
        })().catch((err: unknown) => log.error({ err }, 'programming the policies again after a VPP restart failed'));
      };
      vppOf().addEventListener('vpp:up', onVppUpPolicies);
    },
    async stop() {
      if (onVppUpPolicies) shared.vpp?.removeEventListener('vpp:up', onVppUpPolicies);
      await shared.policies?.stop();
      await policyDataplane?.stop();
    },
    synced: () => policiesSynced,
  };

  // 6. BGP: gobgpd driven from the Calico model; learned routes into VPP.
  let bgpSynced = false;
  let bgpPeers: unknown[] = [];
  let bgpPeersTimer: NodeJS.Timeout | undefined;
  let wireguardPublisher: AbortController | undefined;
  const bgpComponent: AgentComponent = {
    name: 'bgp',
    async start(signal) {
      const bgp = await import('@vectorplane/bgp');
      const { createBgpController } = bgp;
      const log = loggers.component('bgp');
      const wireguardPrivateKey =
        init.wireguardPrivateKey ?? wireguardKeyFile(join(stateDir, 'wireguard.key'), bgp, log);
      const wireguardPrivateKeyV6 =
        init.wireguardPrivateKeyV6 ?? wireguardKeyFile(join(stateDir, 'wireguard-v6.key'), bgp, log);
      wireguardPublisher = new AbortController();
      void publishWireguardKey(
        {
          source: shared.source!,
          nodeName: config.nodeName,
          publicKey: bgp.wireguardPublicKey(wireguardPrivateKey),
          publicKeyV6: bgp.wireguardPublicKey(wireguardPrivateKeyV6),
          ...(init.wireguardInterfaceIPv4Address !== undefined && {
            interfaceIPv4Address: init.wireguardInterfaceIPv4Address,
          }),
          ...(init.wireguardInterfaceIPv6Address !== undefined && {
            interfaceIPv6Address: init.wireguardInterfaceIPv6Address,
          }),
          logger: log,
        },
        wireguardPublisher.signal,
      );
      const b = createBgpController(
        {
          nodeName: config.nodeName,
          wireguardPrivateKey,
          wireguardPrivateKeyV6,
          uplinkSwIfIndex: shared.ready?.uplinkSwIfIndex ?? 0,
          ipamBlocks: config.bgp.ipamBlocks,
          usePodCIDR: config.bgp.usePodCidr,
          gobgpd: { gobgpdPath: resolveCommand(config.bgp.gobgpd), logger: loggers.component('bgp') },
        },
        { vpp: vppOf(), source: shared.source!, logger: loggers.component('bgp') },
      );
      shared.bgp = b;
      b.addEventListener('route:add', () => metrics.bgpRoutes.inc());
      b.addEventListener('route:delete', () => metrics.bgpRoutes.dec());
      await b.start({ signal });
      publishPods();
      b.setServiceIPs([...shared.vips]);
      // idle() rejects while the speaker is down (gobgpd missing, dead or restarting): not synced then.
      void b.idle().then(
        () => (bgpSynced = true),
        (err: unknown) => loggers.component('bgp').error({ err }, 'BGP speaker is down'),
      );
      // `/status` is synchronous: keep the speaker's session states fresh in the background.
      const refresh = () =>
        void b.speaker
          ?.peers({ signal: AbortSignal.timeout(2_000) })
          .then((peers) => (bgpPeers = peers))
          .catch(() => undefined);
      refresh();
      bgpPeersTimer = setInterval(refresh, 1_000);
      bgpPeersTimer.unref();
    },
    async stop() {
      clearInterval(bgpPeersTimer);
      wireguardPublisher?.abort();
      await shared.bgp?.stop();
    },
    synced: () => bgpSynced && shared.bgp?.speakerError === undefined,
    details: () => ({ peers: bgpPeers.length, routes: shared.bgp?.programmer.routes().length ?? 0 }),
  };

  const components: AgentComponent[] = [vppComponent, kubeComponent];
  if (config.cni.enabled) components.push(cniComponent);
  if (config.services.enabled) components.push(servicesComponent);
  if (config.policies.enabled) components.push(policiesComponent);
  if (config.bgp.enabled) components.push(bgpComponent);

  return {
    fatal,
    runtime: createRuntime({
      components,
      logger: loggers.component('agent'),
      shutdownDeadlineMs: config.shutdownDeadlineMs,
    }),
    sections: () => ({
      pods: [...podsByWorkload.values()].map((p) => ({
        pod: `${p.workload.namespace}/${p.workload.name}`,
        interface: p.hostInterfaceName,
        swIfIndex: p.swIfIndex,
        ips: p.ips,
      })),
      services: [...shared.vips].map((ip) => ({ vip: ip })),
      ...(shared.bgp && { bgp: { peers: bgpPeers, routes: shared.bgp.programmer.routes() } }),
    }),
  };
}
