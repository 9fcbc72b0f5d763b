/**
 * Health and metrics over HTTP: `/liveness`, `/readiness`, `/status` (JSON per component) and `/metrics`
 * (Prometheus text). These are the agent's only TCP listeners, on the configured addresses.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Runtime } from './runtime.js';

/** The agent's own metrics. */
export interface AgentMetrics {
  readonly registry: Registry;
  readonly pods: Gauge;
  readonly services: Gauge;
  readonly policies: Gauge;
  readonly bgpPeers: Gauge;
  readonly bgpRoutes: Gauge;
  /** VPP API round trips, by message name. */
  readonly vppApiLatency: Histogram<'message'>;
  /** VPP API errors, by message name and retval. */
  readonly vppApiErrors: Counter<'message' | 'retval'>;
  /** Per-interface counters of VPP; `pod` is `namespace/name` where a pod owns the interface. */
  readonly interfacePackets: Gauge<'interface' | 'direction' | 'pod'>;
  readonly interfaceBytes: Gauge<'interface' | 'direction' | 'pod'>;
}

/** Creates the registry with the agent's metrics and Node's process metrics. */
export function createAgentMetrics(): AgentMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vectorplane_' });
  const gauge = (name: string, help: string) => new Gauge({ name: `vectorplane_${name}`, help, registers: [registry] });
  return {
    registry,
    pods: gauge('pods', 'Pods with an interface in VPP on this node'),
    services: gauge('services', 'Services programmed as cnat translations'),
    policies: gauge('policies', 'Policies programmed in VPP'),
    bgpPeers: gauge('bgp_peers', 'BGP peers established'),
    bgpRoutes: gauge('bgp_routes', 'Routes learned over BGP and programmed in VPP'),
    vppApiLatency: new Histogram({
      name: 'vectorplane_vpp_api_latency_seconds',
      help: 'VPP binary API round trips',
      labelNames: ['message'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers: [registry],
    }),
    vppApiErrors: new Counter({
      name: 'vectorplane_vpp_api_errors_total',
      help: 'VPP binary API calls that failed',
      labelNames: ['message', 'retval'],
      registers: [registry],
    }),
    interfacePackets: new Gauge({
      name: 'vectorplane_interface_packets',
      help: 'VPP interface packet counters',
      labelNames: ['interface', 'direction', 'pod'],
      registers: [registry],
    }),
    interfaceBytes: new Gauge({
      name: 'vectorplane_interface_bytes',
      help: 'VPP interface byte counters',
      labelNames: ['interface', 'direction', 'pod'],
      registers: [registry],
    }),
  };
}

/** What a health/metrics listener serves. */
export interface HealthServerInit {
  /** `address:port`; port 0 picks a free one. */
  readonly listen: string;
  readonly runtime?: Runtime;
  readonly metrics?: AgentMetrics;
  /** Extra status sections (`/status` merges them), e.g. pods, services, BGP peers for the CLI. */
  readonly sections?: () => Record<string, unknown>;
}

/** A running listener. */
export interface HealthServer {
  /** The address it listens on (`127.0.0.1:9090`). */
  readonly address: string;
  close(): Promise<void>;
}

function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(listen.slice(i + 1)) };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

/** Starts an HTTP listener serving health and/or metrics. */
export async function startHealthServer(init: HealthServerInit): Promise<HealthServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
    const rt = init.runtime;
    if (rt && path === '/liveness')
      return send(res, rt.live() ? 200 : 503, 'text/plain', rt.live() ? 'ok\n' : 'stopping\n');
    if (rt && path === '/readiness')
      return send(res, rt.ready() ? 200 : 503, 'text/plain', rt.ready() ? 'ready\n' : 'not ready\n');
    if (rt && path === '/status') {
      const body = { ready: rt.ready(), live: rt.live(), components: rt.status(), ...(init.sections?.() ?? {}) };
      return send(res, 200, 'application/json', `${JSON.stringify(body, null, 2)}\n`);
    }
    if (init.metrics && path === '/metrics') {
      return send(res, 200, init.metrics.registry.contentType, await init.metrics.registry.metrics());
    }
    return send(res, 404, 'text/plain', 'not found\n');
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, 'text/plain', `${(err as Error).message}\n`));
  });
  const { host, port } = splitListen(init.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return {
    address: a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
