/**
 * The manager's typed configuration (zod), and Calico/VPP's environment as a drop-in:
 * CALICOVPP_INTERFACES, CALICOVPP_INITIAL_CONFIG, CALICOVPP_CONFIG_TEMPLATE, CALICOVPP_TAP0_ADDR and
 * SERVICE_PREFIX. Every refused value is reported with its source (the env var, a file, `config`) and the
 * path of its field, before anything is touched.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from './errors.js';

/** Uplink drivers; `auto` tries them in order and falls back when one is unsupported or VPP refuses it. */
export const DRIVERS = ['af_packet', 'af_xdp', 'virtio', 'rdma', 'vmxnet3', 'dpdk'] as const;
export type DriverName = (typeof DRIVERS)[number];
/**
 * The order `auto` tries drivers in: the native PCI drivers first, then the socket drivers that park the
 * uplink netdev in VPP's namespace (af_xdp, then af_packet, which is always possible) last.
 */
export const AUTO_DRIVER_ORDER: readonly DriverName[] = ['rdma', 'vmxnet3', 'virtio', 'dpdk', 'af_xdp', 'af_packet'];

const ifname = z
  .string()
  .min(1)
  .max(15, 'must be at most 15 characters (IFNAMSIZ - 1)')
  .regex(/^[^\s/:]+$/, 'must not contain whitespace, / or :');
const mac = z
  .string()
  .regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, 'must be a MAC address like 02:00:00:00:00:01')
  .refine((m) => (parseInt(m.slice(0, 2), 16) & 1) === 0, 'must be a unicast MAC (multicast bit set)')
  .transform((m) => m.toLowerCase());
const ip = z.string().refine((s) => isIP(s) !== 0, 'must be an IPv4 or IPv6 address');
const cidr = z.string().refine((s) => {
  const [a, l, ...rest] = s.split('/');
  if (rest.length || a === undefined || l === undefined || !/^\d+$/.test(l)) return false;
  const v = isIP(a);
  return v !== 0 && Number(l) <= (v === 4 ? 32 : 128);
}, 'must be a prefix like 10.0.0.1/24 or fd00::1/64');
const queueSize = z
  .number()
  .int()
  .min(64)
  .max(65536)
  .refine((n) => (n & (n - 1)) === 0, 'must be a power of two');
const u32 = z.number().int().min(0).max(0xffffffff);

export const RX_MODES = ['polling', 'interrupt', 'adaptive'] as const;
export type RxMode = (typeof RX_MODES)[number];

export const UplinkConfigSchema = z
  .object({
    /** Linux name of the uplink. */
    interfaceName: ifname,
    driver: z.enum([...DRIVERS, 'auto']).default('auto'),
    rxQueues: z.number().int().min(1).max(64).default(1),
    txQueues: z.number().int().min(1).max(64).default(1),
    rxQueueSize: queueSize.default(1024),
    txQueueSize: queueSize.default(1024),
    /** Default: the driver's own (interrupt for af_packet, adaptive otherwise). */
    rxMode: z.enum(RX_MODES).optional(),
    /** MTU in VPP and on the host interface; default the uplink's. */
    mtu: z.number().int().min(576).max(65535).optional(),
    /** A fixed MAC for VPP's side of the uplink; default the uplink's own. */
    mac: mac.optional(),
    isMain: z.boolean().default(true),
    physicalNetworkName: z.string().default(''),
    afPacket: z
      .object({
        /** TPACKET version: 2 (Calico/VPP's default) or 3. */
        version: z.union([z.literal(2), z.literal(3)]).default(2),
        qdiscBypass: z.boolean().default(false),
        gso: z.boolean().default(true),
      })
      .strict()
      .default({ version: 2, qdiscBypass: false, gso: true }),
    /** VLAN sub-interfaces on the uplink, each with its own address (`create_vlan_subif`). */
    vlans: z.array(z.object({ id: z.number().int().min(1).max(4094), address: cidr }).strict()).default([]),
    /** Make the uplink a macvlan of `parent` first (the seed's af_packet-on-macvlan); removed on restore. */
    macvlan: z
      .object({ parent: ifname, mode: z.enum(['bridge', 'private', 'vepa', 'passthru']).default('bridge') })
      .strict()
      .optional(),
  })
  .strict();

export const ManagerConfigSchema = z
  .object({
    /** Namespace the uplink and the host live in (a name under /run/netns); default the manager's own. */
    netns: z.string().min(1).optional(),
    uplink: UplinkConfigSchema,
    hostInterface: z
      .object({
        /**
         * `tap` (tap_create_v3; needs /dev/vhost-net), `veth` (veth pair + af_packet), `auto` picks; `none`
         * gives Linux no twin (as with `uplink.macvlan`, where the parent keeps the host connected).
         */
        mode: z.enum(['auto', 'tap', 'veth', 'none']).default('auto'),
        /** Name of VPP's end of the veth pair (in VPP's namespace). */
        vppSideName: ifname.default('vpphost0'),
        rxQueues: z.number().int().min(1).max(64).default(1),
        txQueues: z.number().int().min(1).max(64).default(1),
        rxQueueSize: queueSize.default(1024),
        txQueueSize: queueSize.default(1024),
      })
      .strict()
      .default({
        mode: 'auto',
        vppSideName: 'vpphost0',
        rxQueues: 1,
        txQueues: 1,
        rxQueueSize: 1024,
        txQueueSize: 1024,
      }),
    vpp: z
      .object({
        /** VPP binary; default `$VPP_BIN`, else /usr/bin/vpp. */
        bin: z.string().min(1).optional(),
        /** Extra arguments before `-c <startup.conf>` (e.g. `--import tsx …` for a script). */
        args: z.array(z.string()).default([]),
        /** Namespace VPP runs in (created when missing, removed when the manager made it). */
        netns: z.string().min(1).max(64).default('vpp-manager'),
        runtimeDir: z.string().min(1).default('/run/vpp'),
        /** Default `<runtimeDir>/api.sock`. */
        apiSocket: z.string().min(1).optional(),
        /** A full startup.conf template (CALICOVPP_CONFIG_TEMPLATE); placeholders are filled in. */
        startupTemplate: z.string().optional(),
        /** Extra startup.conf text appended to the rendered config. */
        extraStartup: z.string().default(''),
        workers: z.number().int().min(0).max(256).default(0),
        /** Group owning the shared-memory API segment (`api-segment { gid … }`); left out by default. */
        apiSegmentGroup: z
          .string()
          .regex(/^[a-z_][a-z0-9_-]*$/i, 'must be a group name')
          .optional(),
        /** Use hugepages; default: only when the host has free ones. */
        hugepages: z.boolean().optional(),
        buffersPerNuma: z.number().int().min(1024).default(16384),
        readyTimeoutMs: z.number().int().min(100).default(30_000),
        /** Between SIGINT and SIGKILL on stop. */
        stopGraceMs: z.number().int().min(0).default(10_000),
        /** Environment added to VPP's (e.g. VPP_FAKE_CRASH_AFTER for the fake). */
        env: z.record(z.string(), z.string()).default({}),
      })
      .strict()
      .default({
        args: [],
        netns: 'vpp-manager',
        runtimeDir: '/run/vpp',
        extraStartup: '',
        workers: 0,
        buffersPerNuma: 16384,
        readyTimeoutMs: 30_000,
        stopGraceMs: 10_000,
        env: {},
      }),
    /** Written before anything changes; a later start restores from it. */
    stateFile: z.string().min(1).default('/var/lib/vpp-manager/uplink.json'),
    statusFile: z.string().min(1).default('/run/vpp-manager/status.json'),
    podCidrs: z.array(cidr).default([]),
    /** SERVICE_PREFIX. */
    servicePrefixes: z.array(cidr).default([]),
    /** Bytes kept free for encapsulation: pod/service routes get MTU = uplink MTU − this. */
    encapOverhead: z.number().int().min(0).max(200).default(60),
    /** Default gateways added in VPP besides the uplink's own routes (CALICOVPP_INITIAL_CONFIG.defaultGWs). */
    defaultGateways: z.array(ip).default([]),
    /** VPP-side next hops the host interface's punted traffic is sent to (CALICOVPP_TAP0_ADDR). */
    tap0Address: z
      .object({ ip4: ip.default('169.254.0.1'), ip6: ip.default('fc00:ffff:ffff:ffff:ca11:c000:fd10:fffe') })
      .strict()
      .default({ ip4: '169.254.0.1', ip6: 'fc00:ffff:ffff:ffff:ca11:c000:fd10:fffe' }),
    puntTableId: u32.default(1),
    podTableId: u32.default(2),
    neighbors: z
      .object({
        ip4MaxNumber: u32.default(50_000),
        ip6MaxNumber: u32.default(50_000),
        ip4MaxAge: u32.default(30),
        ip6MaxAge: u32.default(30),
      })
      .strict()
      .default({ ip4MaxNumber: 50_000, ip6MaxNumber: 50_000, ip4MaxAge: 30, ip6MaxAge: 30 }),
    /** VPP's host stack and HTTP server (the vpp-server seed). */
    hostStack: z
      .object({
        httpStatic: z
          .object({
            wwwRoot: z.string().min(1),
            /** `tcp://0.0.0.0/80` */
            uri: z.string().regex(/^(tcp|tls|udp):\/\/[^/]+\/\d+$/, 'must look like tcp://<addr>/<port>'),
            cacheSize: u32.default(10 << 20),
            fifoSize: u32.default(0),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    /** Node annotations for `__NODE_ANNOTATION:<key>__` template placeholders. */
    nodeAnnotations: z.record(z.string(), z.string()).default({}),
    /** Refuse to start when capabilities are missing. Default true. */
    checkCapabilities: z.boolean().default(true),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.puntTableId === c.podTableId || c.puntTableId === 0 || c.podTableId === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['podTableId'],
        message: `conflicts with puntTableId ${c.puntTableId} or table 0: the tables must differ`,
      });
    }
    if ((c.netns ?? '') === c.vpp.netns) {
      ctx.addIssue({
        code: 'custom',
        path: ['vpp', 'netns'],
        message:
          'conflicts with netns: VPP must run in its own namespace (the uplink is parked there; Linux cannot hold two links of one name)',
      });
    }
    const seen = new Set<number>();
    c.uplink.vlans.forEach((v, i) => {
      if (seen.has(v.id))
        ctx.addIssue({ code: 'custom', path: ['uplink', 'vlans', i, 'id'], message: `VLAN ${v.id} appears twice` });
      seen.add(v.id);
    });
    if (c.hostInterface.vppSideName === c.uplink.interfaceName) {
      ctx.addIssue({
        code: 'custom',
        path: ['hostInterface', 'vppSideName'],
        message: 'conflicts with uplink.interfaceName',
      });
    }
    if (c.uplink.macvlan && c.uplink.macvlan.parent === c.uplink.interfaceName) {
      ctx.addIssue({
        code: 'custom',
        path: ['uplink', 'macvlan', 'parent'],
        message: 'must differ from uplink.interfaceName',
      });
    }
  });

/** A validated configuration with every default filled in. */
export type ManagerConfig = z.output<typeof ManagerConfigSchema>;
/** What callers write: defaults may be left out. */
export type ManagerConfigInput = z.input<typeof ManagerConfigSchema>;
export type UplinkConfig = ManagerConfig['uplink'];

function formatPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s;
}

function issuesOf(source: string, err: z.ZodError, prefix = ''): ConfigIssue[] {
  return err.issues.map((i) => {
    const p = formatPath(i.path);
    return { source, path: prefix && p ? `${prefix}.${p}` : prefix || p, message: i.message };
  });
}

/**
 * Validates a configuration and fills in defaults.
 * @throws ConfigError listing every refused field (source `source`, default `config`).
 */
export function parseConfig(input: unknown, source = 'config'): ManagerConfig {
  const r = ManagerConfigSchema.safeParse(input);
  if (!r.success) throw new ConfigError(issuesOf(source, r.error));
  return r.data;
}

// ---- Calico/VPP environment drop-in ----

const CALICO_DRIVERS: Record<string, DriverName | 'auto'> = {
  '': 'auto',
  af_packet: 'af_packet',
  af_xdp: 'af_xdp',
  virtio: 'virtio',
  rdma: 'rdma',
  vmxnet3: 'vmxnet3',
  dpdk: 'dpdk',
};

const CalicoIfSpec = {
  rx: z.number().int().min(0).max(64).optional(),
  tx: z.number().int().min(0).max(64).optional(),
  rxqsz: z.number().int().min(0).max(65536).optional(),
  txqsz: z.number().int().min(0).max(65536).optional(),
  isl3: z.boolean().optional(),
  rxMode: z.enum(RX_MODES).optional(),
};

const CalicoInterfacesSchema = z
  .object({
    defaultPodIfSpec: z.object(CalicoIfSpec).passthrough().optional(),
    maxPodIfSpec: z.object(CalicoIfSpec).passthrough().optional(),
    vppHostTapSpec: z.object(CalicoIfSpec).passthrough().optional(),
    uplinkInterfaces: z
      .array(
        z
          .object({
            ...CalicoIfSpec,
            interfaceName: ifname,
            vppDriver: z
              .string()
              .default('')
              .refine(
                (d) => d in CALICO_DRIVERS,
                `must be one of ${Object.keys(CALICO_DRIVERS).filter(Boolean).join(', ')} or empty (auto)`,
              ),
            newDriver: z.string().optional(),
            annotations: z.record(z.string(), z.string()).optional(),
            mtu: z.number().int().min(0).max(65535).optional(),
            isMain: z.boolean().optional(),
            physicalNetworkName: z.string().optional(),
            ipFamilies: z.string().optional(),
          })
          .passthrough(),
      )
      .min(1, 'needs at least one uplink interface'),
  })
  .passthrough();

const CalicoInitialConfigSchema = z
  .object({
    vppStartupSleepSeconds: z.number().int().min(0).optional(),
    corePattern: z.string().optional(),
    ifConfigSavePath: z.string().optional(),
    defaultGWs: z
      .string()
      .optional()
      .refine(
        (s) => !s || s.split(',').every((g) => isIP(g.trim()) !== 0),
        'must be a comma-separated list of IP addresses',
      ),
    ip4NeighborsMaxNumber: u32.optional(),
    ip6NeighborsMaxNumber: u32.optional(),
    ip4NeighborsMaxAge: u32.optional(),
    ip6NeighborsMaxAge: u32.optional(),
  })
  .passthrough();

function parseJsonEnv<S extends z.ZodType>(
  name: string,
  text: string,
  schema: S,
  issues: ConfigIssue[],
): z.output<S> | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    issues.push({ source: name, path: '', message: `not valid JSON: ${(e as Error).message}` });
    return undefined;
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    issues.push(...issuesOf(name, r.error));
    return undefined;
  }
  return r.data;
}

const truthy = (s: string | undefined): boolean | undefined =>
  s === undefined ? undefined : /^(1|t|true|yes|on)$/i.test(s);

/**
 * Builds a configuration from Calico/VPP's environment on top of `base` (fields the environment does not
 * set come from `base`, then the defaults), and validates it.
 * @throws ConfigError whose issues name the environment variable and the field (`CALICOVPP_INTERFACES`,
 *   `uplinkInterfaces[0].vppDriver`).
 */
export function configFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  base: Partial<ManagerConfigInput> = {},
): ManagerConfig {
  const issues: ConfigIssue[] = [];
  type Obj = Record<string, unknown>;
  const out: Obj = structuredClone(base) as Obj;
  const uplink: Obj = { ...((out.uplink as Obj | undefined) ?? {}) };
  const vpp: Obj = { ...((out.vpp as Obj | undefined) ?? {}) };

  const ifs = env.CALICOVPP_INTERFACES;
  if (ifs !== undefined && ifs !== '') {
    const c = parseJsonEnv('CALICOVPP_INTERFACES', ifs, CalicoInterfacesSchema, issues);
    if (c) {
      const list = c.uplinkInterfaces;
      const mainIdx = Math.max(
        0,
        list.findIndex((u) => u.isMain === true),
      );
      const u = list[mainIdx]!;
      const at = `uplinkInterfaces[${mainIdx}]`;
      uplink.interfaceName = u.interfaceName;
      uplink.driver = CALICO_DRIVERS[u.vppDriver] ?? 'auto';
      if (u.rx) uplink.rxQueues = u.rx;
      if (u.tx) uplink.txQueues = u.tx;
      if (u.rxqsz) uplink.rxQueueSize = u.rxqsz;
      if (u.txqsz) uplink.txQueueSize = u.txqsz;
      if (u.rxMode) uplink.rxMode = u.rxMode;
      if (u.mtu) uplink.mtu = u.mtu;
      uplink.isMain = true;
      if (u.physicalNetworkName) uplink.physicalNetworkName = u.physicalNetworkName;
      const ann = u.annotations ?? {};
      const afp: Obj = { ...((uplink.afPacket as Obj | undefined) ?? {}) };
      for (const [key, field] of [
        ['AfPacketQdiscBypass', 'qdiscBypass'],
        ['AfPacketUseV3', 'version'],
      ] as const) {
        const v = ann[key];
        if (v === undefined) continue;
        if (!/^(1|0|t|f|true|false)$/i.test(v)) {
          issues.push({
            source: 'CALICOVPP_INTERFACES',
            path: `${at}.annotations.${key}`,
            message: `must be true or false, got '${v}'`,
          });
          continue;
        }
        afp[field] = field === 'version' ? (truthy(v) ? 3 : 2) : truthy(v);
      }
      uplink.afPacket = afp;
      const h = c.vppHostTapSpec;
      if (h) {
        const host: Obj = { ...((out.hostInterface as Obj | undefined) ?? {}) };
        if (h.rx) host.rxQueues = h.rx;
        if (h.tx) host.txQueues = h.tx;
        if (h.rxqsz) host.rxQueueSize = h.rxqsz;
        if (h.txqsz) host.txQueueSize = h.txqsz;
        out.hostInterface = host;
      }
      // values the schema refuses (rx 0 is Calico's "default"), reported against the env var
      const check = UplinkConfigSchema.safeParse(uplink);
      if (!check.success) {
        const back: Record<string, string> = {
          rxQueues: 'rx',
          txQueues: 'tx',
          rxQueueSize: 'rxqsz',
          txQueueSize: 'txqsz',
          driver: 'vppDriver',
        };
        for (const i of check.error.issues) {
          const first = String(i.path[0] ?? '');
          issues.push({
            source: 'CALICOVPP_INTERFACES',
            path: `${at}.${back[first] ?? formatPath(i.path)}`,
            message: i.message,
          });
        }
      }
    }
  }

  const init = env.CALICOVPP_INITIAL_CONFIG;
  if (init !== undefined && init !== '') {
    const c = parseJsonEnv('CALICOVPP_INITIAL_CONFIG', init, CalicoInitialConfigSchema, issues);
    if (c) {
      if (c.defaultGWs) out.defaultGateways = c.defaultGWs.split(',').map((g) => g.trim());
      const n: Obj = { ...((out.neighbors as Obj | undefined) ?? {}) };
      for (const k of ['ip4MaxNumber', 'ip6MaxNumber', 'ip4MaxAge', 'ip6MaxAge'] as const) {
        const v = c[`${k.slice(0, 3)}Neighbors${k.slice(3)}` as keyof typeof c];
        if (typeof v === 'number') n[k] = v;
      }
      out.neighbors = n;
      if (c.ifConfigSavePath) out.stateFile = c.ifConfigSavePath;
    }
  }

  const tpl = env.CALICOVPP_CONFIG_TEMPLATE;
  if (tpl !== undefined && tpl !== '') vpp.startupTemplate = tpl;

  const tap0 = env.CALICOVPP_TAP0_ADDR;
  if (tap0 !== undefined && tap0 !== '') {
    const a = tap0.replace(/\/32$/, '');
    if (isIP(a) !== 4)
      issues.push({
        source: 'CALICOVPP_TAP0_ADDR',
        path: '',
        message: `must be an IPv4 address (optionally /32), got '${tap0}'`,
      });
    else out.tap0Address = { ...((out.tap0Address as Obj | undefined) ?? {}), ip4: a };
  }

  const svc = env.SERVICE_PREFIX;
  if (svc !== undefined && svc !== '') {
    const list = svc.split(',').map((s) => s.trim());
    list.forEach((p, i) => {
      if (!cidr.safeParse(p).success)
        issues.push({
          source: 'SERVICE_PREFIX',
          path: `[${i}]`,
          message: `must be a prefix like 10.96.0.0/12, got '${p}'`,
        });
    });
    out.servicePrefixes = list;
  }

  if (issues.length) throw new ConfigError(issues);
  out.uplink = uplink;
  out.vpp = vpp;
  return parseConfig(out);
}

/** Facts a startup template's placeholders are filled with. */
export interface TemplateFacts {
  readonly interfaceNames: readonly string[];
  readonly pciAddresses: readonly (string | undefined)[];
  readonly nodeAnnotations?: Readonly<Record<string, string>>;
}

/**
 * Fills Calico/VPP's placeholders: `__VPP_DATAPLANE_IF__`, `__VPP_DATAPLANE_IF_<n>__`, `__PCI_DEVICE_ID__`,
 * `__PCI_DEVICE_ID_<n>__` and `__NODE_ANNOTATION:<key>__`.
 * @throws ConfigError (source `source`) naming a placeholder that is unknown or has no value here.
 */
export function fillTemplate(template: string, facts: TemplateFacts, source = 'CALICOVPP_CONFIG_TEMPLATE'): string {
  const issues: ConfigIssue[] = [];
  const out = template.replace(
    /__([A-Z0-9_]+?)(?::([^_\s][^\s]*?))?__/g,
    (whole, name: string, key: string | undefined) => {
      let v: string | undefined;
      let m: RegExpMatchArray | null;
      if (name === 'NODE_ANNOTATION' && key !== undefined) v = facts.nodeAnnotations?.[key];
      else if (name === 'VPP_DATAPLANE_IF') v = facts.interfaceNames[0];
      else if ((m = name.match(/^VPP_DATAPLANE_IF_(\d+)$/))) v = facts.interfaceNames[Number(m[1])];
      else if (name === 'PCI_DEVICE_ID') v = facts.pciAddresses[0];
      else if ((m = name.match(/^PCI_DEVICE_ID_(\d+)$/))) v = facts.pciAddresses[Number(m[1])];
      else {
        issues.push({ source, path: whole, message: 'unknown placeholder' });
        return whole;
      }
      if (v === undefined) {
        issues.push({
          source,
          path: whole,
          message: 'has no value on this host (no such interface, PCI address or annotation)',
        });
        return whole;
      }
      return v;
    },
  );
  if (issues.length) throw new ConfigError(issues);
  return out;
}
