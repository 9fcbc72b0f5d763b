/**
 * The agent's configuration: defaults, then one YAML/JSON file, then the environment (Calico/VPP's variables as a
 * drop-in), validated in one pass. Every problem names the variable or file and the field.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { CORE_SCHEMA, load as loadYaml } from 'js-yaml';
import { z } from 'zod';
import { AgentConfigError, type ConfigOrigin, type ConfigProblem } from './errors.js';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
/** A pino log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The components the agent composes, in start order. */
export const COMPONENTS = ['vpp-manager', 'kube', 'cni-server', 'services', 'policies', 'bgp'] as const;
export type ComponentName = (typeof COMPONENTS)[number];

function isCidr(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const family = isIP(s.slice(0, slash));
  const len = s.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(len)) return false;
  return Number(len) <= (family === 4 ? 32 : 128);
}

const cidr = z.string().refine(isCidr, { message: 'not a CIDR (address/length)' });
const listen = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[0-9.]+|localhost):\d{1,5}$/, { message: "not 'address:port'" })
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, { message: 'port out of range' });

const levelSchema = z.enum(LOG_LEVELS);

/** The validated configuration. Defaults are filled in; see {@link loadAgentConfig}. */
export const AgentConfigSchema = z
  .object({
    /** This node's Kubernetes name. Default: `NODENAME`, else the host name. */
    nodeName: z.string().min(1).max(253),
    log: z
      .object({
        /** Root level. Default `info`. */
        level: levelSchema.default('info'),
        /** Per component levels, e.g. `{ bgp: 'debug' }`. */
        components: z.partialRecord(z.enum(COMPONENTS), levelSchema).default({}),
      })
      .strict()
      .default({ level: 'info', components: {} }),
    kube: z
      .object({
        /** `apiserver` (in-cluster or kubeconfig), `folder` (standalone: manifests from a folder) or `memory`. */
        mode: z.enum(['apiserver', 'folder', 'memory']).default('apiserver'),
        kubeconfig: z.string().optional(),
        manifests: z.string().optional(),
      })
      .strict()
      .default({ mode: 'apiserver' }),
    /** Service CIDRs (`SERVICE_PREFIX`, comma-separated). */
    serviceCidrs: z.array(cidr).default([]),
    vpp: z
      .object({
        /** The VPP binary; `VPP_BIN`. Unset: the fake VPP (tests and the lab where VPP cannot be installed). */
        bin: z.string().optional(),
        /** VPP's runtime directory (api.sock, cli.sock, pid file). */
        runtimeDir: z.string().default('/run/vpp'),
        /** With vpp-manager: the network namespace VPP runs in (a name under /run/netns). Default vpp-manager's. */
        netns: z.string().min(1).max(64).optional(),
        /** Calico/VPP's vpp-manager variables, passed through as they are for vpp-manager to validate. */
        managerEnv: z.record(z.string(), z.string()).default({}),
      })
      .strict()
      .default({ runtimeDir: '/run/vpp', managerEnv: {} }),
    cni: z
      .object({
        enabled: z.boolean().default(true),
        /** gRPC socket of the CNI server (mode 0600). */
        socket: z.string().default('/var/run/calico/cni-server.sock'),
      })
      .strict()
      .default({ enabled: true, socket: '/var/run/calico/cni-server.sock' }),
    services: z
      .object({
        enabled: z.boolean().default(true),
        /** Default load-balancing type; per service by `cni.projectcalico.org/vppLBType`. */
        lbType: z.enum(['ecmp', 'maglev', 'maglevdsr']).default('ecmp'),
      })
      .strict()
      .default({ enabled: true, lbType: 'ecmp' }),
    policies: z
      .object({
        enabled: z.boolean().default(true),
        /** `acl` enforces on released VPPs; `npol` needs a VPP whose npol has a datapath; `auto` detects. */
        backend: z.enum(['auto', 'acl', 'npol']).default('auto'),
        /** Felix's dataplane socket; unset: no Felix front-end. */
        felixSocket: z.string().optional(),
        /** Enforce Kubernetes NetworkPolicy natively (no Felix). */
        native: z.boolean().default(true),
      })
      .strict()
      .default({ enabled: true, backend: 'auto', native: true }),
    bgp: z
      .object({
        enabled: z.boolean().default(true),
        /** gobgpd binary. */
        gobgpd: z.string().default('gobgpd'),
        /**
         * This node's IPAM blocks to announce (`VECTORPLANE_IPAM_BLOCKS`, comma-separated), besides those Calico
         * IPAM's BlockAffinities confirm for this node: for a node whose pods get addresses from host-local.
         */
        ipamBlocks: z.array(cidr).default([]),
        /** Announce this Node's `spec.podCIDRs` as blocks (Calico's `USE_POD_CIDR=true`, host-local IPAM). */
        usePodCidr: z.boolean().default(false),
      })
      .strict()
      .default({ enabled: true, gobgpd: 'gobgpd', ipamBlocks: [], usePodCidr: false }),
    features: z
      .object({
        memifEnabled: z.boolean().default(false),
        vclEnabled: z.boolean().default(false),
        multinetEnabled: z.boolean().default(false),
        srv6Enabled: z.boolean().default(false),
        ipsecEnabled: z.boolean().default(false),
        maglevEnabled: z.boolean().default(true),
        gsoEnabled: z.boolean().default(true),
      })
      .strict()
      .default({
        memifEnabled: false,
        vclEnabled: false,
        multinetEnabled: false,
        srv6Enabled: false,
        ipsecEnabled: false,
        maglevEnabled: true,
        gsoEnabled: true,
      }),
    /** Health (`/liveness`, `/readiness`, `/status`) listener. */
    health: z
      .object({ listen: listen.default('127.0.0.1:9090') })
      .strict()
      .default({ listen: '127.0.0.1:9090' }),
    /** Prometheus `/metrics` listener; may equal the health listener. */
    metrics: z
      .object({ listen: listen.default('127.0.0.1:9091') })
      .strict()
      .default({ listen: '127.0.0.1:9091' }),
    /** Where state files live (the CNI server's pods, vpp-manager's uplink capture). */
    stateDir: z.string().min(1).default('/var/lib/vectorplane'),
    /** How long SIGTERM may take, all components together. */
    shutdownDeadlineMs: z.number().int().min(100).max(600_000).default(20_000),
  })
  .strict();

/** The agent's effective configuration. */
export type AgentConfig = z.infer<typeof AgentConfigSchema>;

/** Calico/VPP's variables that belong to vpp-manager; the agent passes them through. */
export const VPP_MANAGER_VARIABLES = [
  'CALICOVPP_INTERFACES',
  'CALICOVPP_INITIAL_CONFIG',
  'CALICOVPP_CONFIG_TEMPLATE',
  'CALICOVPP_CONFIG_EXEC_TEMPLATE',
  'CALICOVPP_TAP0_ADDR',
  'CALICOVPP_INTERFACE',
  'CALICOVPP_NATIVE_DRIVER',
] as const;

/** Options of {@link loadAgentConfig}. */
export interface LoadAgentConfigInit {
  /** Environment to read. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Config file (YAML or JSON). Default: `VECTORPLANE_CONFIG` from `env`, else none. */
  readonly file?: string;
}

type Json = Record<string, unknown>;

function set(obj: Json, path: readonly string[], value: unknown): void {
  let cur = obj;
  for (const k of path.slice(0, -1)) {
    const next = cur[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[k] = {};
    cur = cur[k] as Json;
  }
  cur[path[path.length - 1]!] = value;
}

/** Where each top-level path came from, so a zod issue can name the variable that set it. */
interface Sources {
  readonly byPath: Map<string, ConfigOrigin>;
  readonly file: ConfigOrigin | undefined;
}

function originOf(sources: Sources, path: readonly PropertyKey[]): { origin: ConfigOrigin; field: string } {
  const parts = path.map(String);
  for (let n = parts.length; n > 0; n--) {
    const origin = sources.byPath.get(parts.slice(0, n).join('.'));
    if (origin) return { origin, field: origin.kind === 'env' ? parts.slice(n).join('.') : parts.join('.') };
  }
  return { origin: sources.file ?? { kind: 'file', file: '(defaults)' }, field: parts.join('.') };
}

function parseJsonVar(env: LoadAgentConfigInit['env'], variable: string, problems: ConfigProblem[]): Json | undefined {
  const raw = env?.[variable];
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    const v: unknown = JSON.parse(raw);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Json;
    problems.push({ origin: { kind: 'env', variable }, field: '', message: 'must be a JSON object' });
  } catch (err) {
    problems.push({ origin: { kind: 'env', variable }, field: '', message: `not JSON: ${(err as Error).message}` });
  }
  return undefined;
}

function readFile(file: string, problems: ConfigProblem[]): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push({ origin: { kind: 'file', file }, field: '', message: `cannot read: ${(err as Error).message}` });
    return {};
  }
  try {
    const v: unknown = loadYaml(text, { filename: file, schema: CORE_SCHEMA }); // YAML is a superset of JSON
    if (v === null || v === undefined) return {};
    if (typeof v === 'object' && !Array.isArray(v)) return v as Json;
    problems.push({ origin: { kind: 'file', file }, field: '', message: 'must be a mapping of settings' });
  } catch (err) {
    problems.push({ origin: { kind: 'file', file }, field: '', message: `not YAML/JSON: ${(err as Error).message}` });
  }
  return {};
}

const BOOL_FLAGS: ReadonlyArray<readonly [variable: string, key: string, path: readonly string[]]> = [
  ['CALICOVPP_DEBUG', 'policiesEnabled', ['policies', 'enabled']],
  ['CALICOVPP_DEBUG', 'servicesEnabled', ['services', 'enabled']],
  ['CALICOVPP_DEBUG', 'maglevEnabled', ['features', 'maglevEnabled']],
  ['CALICOVPP_DEBUG', 'gsoEnabled', ['features', 'gsoEnabled']],
  ['CALICOVPP_FEATURE_GATES', 'memifEnabled', ['features', 'memifEnabled']],
  ['CALICOVPP_FEATURE_GATES', 'vclEnabled', ['features', 'vclEnabled']],
  ['CALICOVPP_FEATURE_GATES', 'multinetEnabled', ['features', 'multinetEnabled']],
  ['CALICOVPP_FEATURE_GATES', 'srv6Enabled', ['features', 'srv6Enabled']],
  ['CALICOVPP_FEATURE_GATES', 'ipsecEnabled', ['features', 'ipsecEnabled']],
];

/**
 * Builds the effective configuration: defaults ← file ← environment. Recognised variables: `NODENAME`,
 * `SERVICE_PREFIX`, `CALICOVPP_LOG_LEVEL`, `CALICOVPP_DEBUG`, `CALICOVPP_FEATURE_GATES`, `VPP_BIN`, `KUBECONFIG`,
 * `VECTORPLANE_MANIFESTS` (standalone mode), `VECTORPLANE_STATE_DIR`, `VECTORPLANE_CONFIG` (the file), and vpp-manager's variables
 * ({@link VPP_MANAGER_VARIABLES}), passed through.
 * @throws AgentConfigError listing every problem with its variable or file and field; nothing is started.
 */
export function loadAgentConfig(init: LoadAgentConfigInit = {}): AgentConfig {
  const env = init.env ?? process.env;
  const problems: ConfigProblem[] = [];
  const fileName = init.file ?? env.VECTORPLANE_CONFIG;
  const raw: Json = fileName ? readFile(fileName, problems) : {};
  const sources: Sources = { byPath: new Map(), file: fileName ? { kind: 'file', file: fileName } : undefined };
  const fromEnv = (variable: string, path: readonly string[], value: unknown, origin?: string) => {
    set(raw, path, value);
    sources.byPath.set(path.join('.'), { kind: 'env', variable: origin ?? variable });
  };

  if (env.NODENAME) fromEnv('NODENAME', ['nodeName'], env.NODENAME);
  else if (raw.nodeName === undefined) raw.nodeName = hostname();
  /** A comma-separated variable as a list (blanks dropped). */
  const listFromEnv = (variable: 'SERVICE_PREFIX' | 'VECTORPLANE_IPAM_BLOCKS', path: readonly string[]) => {
    const v = env[variable];
    if (v === undefined) return;
    fromEnv(
      variable,
      path,
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
  };
  listFromEnv('SERVICE_PREFIX', ['serviceCidrs']);
  listFromEnv('VECTORPLANE_IPAM_BLOCKS', ['bgp', 'ipamBlocks']);
  if (env.USE_POD_CIDR !== undefined) {
    const v = env.USE_POD_CIDR.trim().toLowerCase();
    if (v === 'true' || v === 'false') fromEnv('USE_POD_CIDR', ['bgp', 'usePodCidr'], v === 'true');
    else
      problems.push({
        origin: { kind: 'env', variable: 'USE_POD_CIDR' },
        field: '',
        message: `must be true or false, got ${JSON.stringify(env.USE_POD_CIDR)}`,
      });
  }
  if (env.CALICOVPP_LOG_LEVEL) fromEnv('CALICOVPP_LOG_LEVEL', ['log', 'level'], env.CALICOVPP_LOG_LEVEL.toLowerCase());
  if (env.VPP_BIN) fromEnv('VPP_BIN', ['vpp', 'bin'], env.VPP_BIN);
  if (env.VECTORPLANE_STATE_DIR) fromEnv('VECTORPLANE_STATE_DIR', ['stateDir'], env.VECTORPLANE_STATE_DIR);
  if (env.KUBECONFIG) fromEnv('KUBECONFIG', ['kube', 'kubeconfig'], env.KUBECONFIG);
  if (env.VECTORPLANE_MANIFESTS) {
    fromEnv('VECTORPLANE_MANIFESTS', ['kube', 'manifests'], env.VECTORPLANE_MANIFESTS);
    fromEnv('VECTORPLANE_MANIFESTS', ['kube', 'mode'], 'folder');
  }
  const json: Record<string, Json | undefined> = {};
  for (const variable of ['CALICOVPP_DEBUG', 'CALICOVPP_FEATURE_GATES'])
    json[variable] = parseJsonVar(env, variable, problems);
  for (const [variable, key, path] of BOOL_FLAGS) {
    const v = json[variable]?.[key];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') {
      problems.push({
        origin: { kind: 'env', variable },
        field: key,
        message: `must be true or false, got ${JSON.stringify(v)}`,
      });
      continue;
    }
    fromEnv(variable, path, v);
  }
  const passThrough: Record<string, string> = {};
  for (const v of VPP_MANAGER_VARIABLES) if (env[v] !== undefined) passThrough[v] = env[v];
  if (Object.keys(passThrough).length) {
    const vpp = (raw.vpp ?? {}) as Json;
    raw.vpp = { ...vpp, managerEnv: { ...((vpp.managerEnv ?? {}) as Json), ...passThrough } };
  }

  const parsed = AgentConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const { origin, field } = originOf(sources, issue.path);
      problems.push({ origin, field, message: issue.message });
    }
  }
  if (problems.length || !parsed.success) throw new AgentConfigError(problems);
  const config = parsed.data;
  if (config.kube.mode === 'folder' && !config.kube.manifests) {
    throw new AgentConfigError([
      {
        ...originOf(sources, ['kube', 'mode']),
        message: "mode 'folder' needs kube.manifests (or VECTORPLANE_MANIFESTS)",
      },
    ]);
  }
  return config;
}
