import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { DEFAULT_CNI_SERVER_SOCKET } from '../constants.js';
import type { CniClient } from '../grpc.js';

/** CNI versions the plugin speaks. */
export const SUPPORTED_CNI_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;

/** Well-known CNI error codes (spec section "Error"). */
export const CNI_ERRORS = {
  INCOMPATIBLE_VERSION: 1,
  UNSUPPORTED_FIELD: 2,
  UNKNOWN_CONTAINER: 3,
  INVALID_ENV: 4,
  IO: 5,
  DECODE: 6,
  INVALID_CONFIG: 7,
  TRY_AGAIN_LATER: 11,
  NOT_AVAILABLE: 50,
  LIMITED_CONNECTIVITY: 51,
  /** Plugin-specific: the dataplane refused the pod. */
  DATAPLANE: 100,
} as const;

/** A CNI error object; the plugin prints it and exits 1. */
export class CniPluginError extends Error {
  readonly code: number;
  readonly details: string;
  constructor(code: number, msg: string, details = '') {
    super(msg);
    this.name = 'CniPluginError';
    this.code = code;
    this.details = details;
  }
}

/** The plugin's network configuration (stdin). */
export interface CniNetConf {
  cniVersion: string;
  name: string;
  type: string;
  ipam: { type: string; [k: string]: unknown };
  /** The CNI server's socket. Default `/var/run/calico/cni-server.sock`. */
  socket?: string;
  mtu?: number;
  allow_ip_forwarding?: boolean;
  dataplane_options?: Record<string, string>;
  /** Seconds to wait for the server. Default 120. */
  timeout_seconds?: number;
  runtimeConfig?: { portMappings?: { hostPort: number; containerPort: number; protocol?: string; hostIP?: string }[] };
  prevResult?: CniResult;
  [k: string]: unknown;
}

export interface CniIp {
  address: string;
  gateway?: string;
  interface?: number;
  version?: string;
}
export interface CniResult {
  cniVersion: string;
  interfaces?: { name: string; mac?: string; sandbox?: string; mtu?: number }[];
  ips?: CniIp[];
  routes?: { dst: string; gw?: string }[];
  dns?: { nameservers?: string[]; domain?: string; search?: string[]; options?: string[] };
}

export interface PluginIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: string;
  /** Overrides the gRPC client (tests). */
  readonly client?: (socket: string) => CniClient;
}

export interface PluginOutcome {
  readonly exitCode: number;
  readonly stdout: string;
}

function envOf(env: NodeJS.ProcessEnv, name: string, required: boolean): string {
  const v = env[name];
  if (required && !v)
    throw new CniPluginError(CNI_ERRORS.INVALID_ENV, `${name} is not set`, `the runtime must set ${name}`);
  return v ?? '';
}

function parseConf(stdin: string, command: string): CniNetConf {
  let raw: unknown;
  try {
    raw = JSON.parse(stdin);
  } catch (e) {
    throw new CniPluginError(CNI_ERRORS.DECODE, 'network configuration is not JSON', (e as Error).message);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new CniPluginError(CNI_ERRORS.DECODE, 'network configuration is not a JSON object');
  const c = raw as Partial<CniNetConf>;
  if (typeof c.cniVersion !== 'string')
    throw new CniPluginError(
      CNI_ERRORS.INVALID_CONFIG,
      'cniVersion: missing',
      'the configuration must name its cniVersion',
    );
  if (!(SUPPORTED_CNI_VERSIONS as readonly string[]).includes(c.cniVersion)) {
    throw new CniPluginError(
      CNI_ERRORS.INCOMPATIBLE_VERSION,
      `cniVersion: ${c.cniVersion} is not supported`,
      `supported: ${SUPPORTED_CNI_VERSIONS.join(', ')}`,
    );
  }
  if (command === 'VERSION') return c as CniNetConf;
  if (
    command !== 'STATUS' &&
    command !== 'GC' &&
    (typeof c.ipam !== 'object' || c.ipam === null || typeof c.ipam.type !== 'string' || !c.ipam.type)
  ) {
    throw new CniPluginError(
      CNI_ERRORS.INVALID_CONFIG,
      'ipam: missing',
      'the configuration needs an "ipam" object with a "type" (e.g. host-local)',
    );
  }
  if (c.mtu !== undefined && (!Number.isInteger(c.mtu) || c.mtu < 0 || c.mtu > 65535))
    throw new CniPluginError(CNI_ERRORS.INVALID_CONFIG, 'mtu: must be an integer 0..65535');
  return c as CniNetConf;
}

async function findPlugin(type: string, cniPath: string): Promise<string> {
  if (type.includes('/'))
    throw new CniPluginError(CNI_ERRORS.INVALID_CONFIG, `ipam.type: ${JSON.stringify(type)} must be a plugin name`);
  for (const dir of cniPath.split(delimiter).filter(Boolean)) {
    const p = join(dir, type);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      // next dir
    }
  }
  throw new CniPluginError(
    CNI_ERRORS.INVALID_CONFIG,
    `ipam.type: plugin ${JSON.stringify(type)} not found`,
    `searched CNI_PATH=${cniPath}`,
  );
}

/** Runs a delegated plugin as a runtime would (same env, CNI_COMMAND replaced). */
async function delegate(plugin: string, command: string, env: NodeJS.ProcessEnv, conf: object): Promise<unknown> {
  const { code, out, err } = await new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
    const child = spawn(plugin, [], { env: { ...env, CNI_COMMAND: command }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, out, err }));
    child.stdin.end(JSON.stringify(conf));
  });
  let parsed: unknown;
  if (out.trim()) {
    try {
      parsed = JSON.parse(out);
    } catch {
      throw new CniPluginError(CNI_ERRORS.DECODE, `${plugin} ${command}: output is not JSON`, out.slice(0, 500));
    }
  }
  if (code !== 0) {
    const e = parsed as { code?: number; msg?: string; details?: string } | undefined;
    throw new CniPluginError(
      e?.code ?? CNI_ERRORS.IO,
      `${plugin} ${command}: ${e?.msg ?? `exit ${code}`}`,
      e?.details ?? err.slice(0, 500),
    );
  }
  return parsed;
}

/** host-local and friends may lack 1.1.0: delegate with the newest version whose result format is the same. */
function ipamConf(conf: CniNetConf): CniNetConf {
  return conf.cniVersion === '1.1.0' ? { ...conf, cniVersion: '1.0.0' } : conf;
}

function parseCniArgs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of text.split(';')) {
    const i = kv.indexOf('=');
    if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

function toVersion(result: CniResult, version: string): CniResult {
  const legacy = version.startsWith('0.');
  return {
    ...result,
    cniVersion: version,
    ips: (result.ips ?? []).map((ip) => {
      const { version: _v, ...rest } = ip;
      return legacy ? { ...rest, version: ip.address.includes(':') ? '6' : '4' } : rest;
    }),
  };
}

/** Runs one CNI command; never throws (errors become a CNI error object and exit code 1). */
export async function runCniPlugin(io: PluginIo): Promise<PluginOutcome> {
  const { env } = io;
  let version = '1.1.0';
  try {
    const v = (JSON.parse(io.stdin) as { cniVersion?: unknown }).cniVersion;
    if (typeof v === 'string' && (SUPPORTED_CNI_VERSIONS as readonly string[]).includes(v)) version = v;
  } catch {
    // reported below
  }
  try {
    const command = envOf(env, 'CNI_COMMAND', true);
    if (command === 'VERSION') {
      return {
        exitCode: 0,
        stdout: JSON.stringify({ cniVersion: '1.1.0', supportedVersions: SUPPORTED_CNI_VERSIONS }),
      };
    }
    if (!['ADD', 'DEL', 'CHECK', 'STATUS', 'GC'].includes(command))
      throw new CniPluginError(CNI_ERRORS.INVALID_ENV, `CNI_COMMAND: unknown command ${JSON.stringify(command)}`);
    const conf = parseConf(io.stdin, command);
    version = conf.cniVersion;
    const socket = conf.socket ?? DEFAULT_CNI_SERVER_SOCKET;
    // grpc-js is loaded only by the commands that talk to the server (VERSION and errors stay fast)
    const client = io.client ? io.client(socket) : (await import('../grpc.js')).createCniClient(socket);
    const deadlineMs = (conf.timeout_seconds ?? 120) * 1000;
    try {
      switch (command) {
        case 'ADD':
          return await cmdAdd(conf, env, client, deadlineMs);
        case 'DEL':
          return await cmdDel(conf, env, client, deadlineMs);
        case 'CHECK':
          return await cmdCheck(conf, env);
        case 'STATUS':
          try {
            await client.ready(Math.min(deadlineMs, 2000));
          } catch (e) {
            throw new CniPluginError(
              CNI_ERRORS.NOT_AVAILABLE,
              `the CNI server at ${socket} is not reachable`,
              (e as Error).message,
            );
          }
          return { exitCode: 0, stdout: '' };
        default:
          return await cmdGc(conf, env);
      }
    } finally {
      client.close();
    }
  } catch (e) {
    const err = e instanceof CniPluginError ? e : new CniPluginError(CNI_ERRORS.IO, (e as Error).message ?? String(e));
    return {
      exitCode: 1,
      stdout: JSON.stringify({ cniVersion: version, code: err.code, msg: err.message, details: err.details }),
    };
  }
}

async function cmdAdd(
  conf: CniNetConf,
  env: NodeJS.ProcessEnv,
  client: CniClient,
  deadlineMs: number,
): Promise<PluginOutcome> {
  envOf(env, 'CNI_CONTAINERID', true);
  const netns = envOf(env, 'CNI_NETNS', true);
  const ifname = envOf(env, 'CNI_IFNAME', true);
  const ipamPlugin = await findPlugin(conf.ipam.type, envOf(env, 'CNI_PATH', true));
  const ipam = toVersion((await delegate(ipamPlugin, 'ADD', env, ipamConf(conf))) as CniResult, conf.cniVersion);
  try {
    if (!ipam.ips?.length)
      throw new CniPluginError(CNI_ERRORS.INVALID_CONFIG, `ipam ${conf.ipam.type} returned no address`);
    const args = parseCniArgs(env['CNI_ARGS'] ?? '');
    const ports = (conf.runtimeConfig?.portMappings ?? []).map((p) => ({
      name: '',
      protocol: (p.protocol ?? 'tcp').toUpperCase(),
      port: p.containerPort,
      host_port: p.hostPort,
      host_ip: p.hostIP ?? '',
    }));
    let reply;
    try {
      reply = await client.add(
        {
          interface_name: ifname,
          netns,
          desired_host_interface_name: '',
          settings: { allow_ip_forwarding: conf.allow_ip_forwarding ?? false, mtu: conf.mtu ?? 0 },
          container_ips: ipam.ips.map((ip) => ({ address: ip.address, gateway: '' })),
          container_routes: (ipam.routes ?? []).map((r) => r.dst),
          workload: {
            name: args['K8S_POD_NAME'] ?? '',
            namespace: args['K8S_POD_NAMESPACE'] ?? '',
            pod: args['K8S_POD_NAME'] ?? '',
            endpoint: ifname,
            orchestrator: args['K8S_POD_NAME'] ? 'k8s' : 'cni',
            ports,
          },
          dataplane_options: conf.dataplane_options ?? {},
        },
        { deadlineMs },
      );
    } catch (e) {
      throw new CniPluginError(
        CNI_ERRORS.TRY_AGAIN_LATER,
        `CNI server at ${conf.socket ?? DEFAULT_CNI_SERVER_SOCKET}: ${(e as Error).message}`,
      );
    }
    if (!reply.successful)
      throw new CniPluginError(CNI_ERRORS.DATAPLANE, 'the dataplane refused the pod', reply.error_message);
    const result: CniResult = {
      cniVersion: conf.cniVersion,
      interfaces: [
        {
          name: ifname,
          ...(reply.container_mac ? { mac: reply.container_mac } : {}),
          sandbox: netns,
          ...(conf.mtu ? { mtu: conf.mtu } : {}),
        },
      ],
      ips: (ipam.ips ?? []).map((ip) => ({ ...ip, interface: 0 })),
      routes: ipam.routes ?? [],
      dns: ipam.dns ?? {},
    };
    return {
      exitCode: 0,
      stdout: JSON.stringify(conf.cniVersion.startsWith('0.') ? result : toVersion(result, conf.cniVersion)),
    };
  } catch (e) {
    // release the addresses: a failed ADD leaves nothing behind
    await delegate(ipamPlugin, 'DEL', env, ipamConf(conf)).catch(() => undefined);
    throw e;
  }
}

async function cmdDel(
  conf: CniNetConf,
  env: NodeJS.ProcessEnv,
  client: CniClient,
  deadlineMs: number,
): Promise<PluginOutcome> {
  envOf(env, 'CNI_CONTAINERID', true);
  const ifname = envOf(env, 'CNI_IFNAME', true);
  const netns = env['CNI_NETNS'] ?? '';
  let failure: CniPluginError | undefined;
  if (netns) {
    try {
      const r = await client.del(
        { interface_name: ifname, netns, dataplane_options: conf.dataplane_options ?? {} },
        { deadlineMs },
      );
      if (!r.successful)
        failure = new CniPluginError(CNI_ERRORS.DATAPLANE, 'the dataplane could not remove the pod', r.error_message);
    } catch (e) {
      failure = new CniPluginError(
        CNI_ERRORS.TRY_AGAIN_LATER,
        `CNI server at ${conf.socket ?? DEFAULT_CNI_SERVER_SOCKET}: ${(e as Error).message}`,
      );
    }
  }
  const ipamPlugin = await findPlugin(conf.ipam.type, envOf(env, 'CNI_PATH', true));
  await delegate(ipamPlugin, 'DEL', env, ipamConf(conf));
  if (failure) throw failure;
  return { exitCode: 0, stdout: '' };
}

async function cmdCheck(conf: CniNetConf, env: NodeJS.ProcessEnv): Promise<PluginOutcome> {
  envOf(env, 'CNI_CONTAINERID', true);
  const netns = envOf(env, 'CNI_NETNS', true);
  const ifname = envOf(env, 'CNI_IFNAME', true);
  if (!conf.prevResult)
    throw new CniPluginError(CNI_ERRORS.INVALID_CONFIG, 'prevResult: missing', 'CHECK needs the result of ADD');
  const ipamPlugin = await findPlugin(conf.ipam.type, envOf(env, 'CNI_PATH', true));
  await delegate(ipamPlugin, 'CHECK', env, ipamConf(conf));
  const out = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn('nsenter', [`--net=${netns}`, 'ip', '-j', 'addr', 'show', 'dev', ifname], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let o = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (o += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out: o }));
  });
  if (out.code !== 0) throw new CniPluginError(CNI_ERRORS.UNKNOWN_CONTAINER, `${ifname} is missing in ${netns}`);
  const links = JSON.parse(out.out || '[]') as { addr_info?: { local: string }[] }[];
  const have = new Set((links[0]?.addr_info ?? []).map((a) => a.local));
  for (const ip of conf.prevResult.ips ?? []) {
    const addr = ip.address.split('/')[0] ?? '';
    if (!have.has(addr)) throw new CniPluginError(CNI_ERRORS.UNKNOWN_CONTAINER, `${ifname} in ${netns} lacks ${addr}`);
  }
  return { exitCode: 0, stdout: '' };
}

async function cmdGc(conf: CniNetConf, env: NodeJS.ProcessEnv): Promise<PluginOutcome> {
  // The server keys pods by netns; the runtime's valid attachments are by container id. GC is delegated to
  // the IPAM plugin when it speaks 1.1.0 (host-local of Debian's plugins stops at 1.0.0: nothing to do).
  if (!conf.ipam?.type) return { exitCode: 0, stdout: '' };
  const ipamPlugin = await findPlugin(conf.ipam.type, envOf(env, 'CNI_PATH', true));
  const v = (await delegate(ipamPlugin, 'VERSION', env, { cniVersion: conf.cniVersion })) as {
    supportedVersions?: string[];
  };
  if (v?.supportedVersions?.includes('1.1.0')) await delegate(ipamPlugin, 'GC', env, conf);
  return { exitCode: 0, stdout: '' };
}
