/**
 * The `vectorplane` command line. Exit codes: 0 done, 1 failure at run time, 2 bad usage or configuration,
 * 3 agent reachable but not ready, 4 agent not reachable.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dump as toYaml } from 'js-yaml';
import { loadAgentConfig } from './config.js';

/** Exit codes of the `vectorplane` command. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2, NOT_READY: 3, UNREACHABLE: 4 } as const;

const HELP: Record<string, string> = {
  '': `Usage: vectorplane <command> [options]

The vectorplane node agent: VPP dataplane for Kubernetes.

Commands:
  run                 run the agent (vpp-manager, CNI server, services, policies, BGP)
  status              components and readiness of the running agent
  pods                pods with an interface in VPP
  services            services programmed as cnat translations
  policies            policies and their bindings
  bgp peers|routes    BGP sessions, learned routes
  config --print      the effective configuration (defaults <- file <- environment)
  vppctl <cli>        VPP's CLI over the API (cli_inband), e.g. vppctl show interface

Options of every command:
  --json              JSON output
  --address A:P       the agent's health address (default: from the configuration, 127.0.0.1:9090)
  --config FILE       configuration file (default: $VECTORPLANE_CONFIG)
  -h, --help          help

Exit codes: 0 ok, 1 failure, 2 bad usage or configuration, 3 not ready, 4 agent not reachable.
`,
  run: `Usage: vectorplane run [--config FILE]\n\nRuns the agent until SIGTERM/SIGINT, then stops every component in reverse order within the deadline.\n`,
  status: `Usage: vectorplane status [--json] [--address A:P]\n\nExit 0 when ready, 3 when not ready, 4 when the agent does not answer.\n`,
  vppctl: `Usage: vectorplane vppctl [--socket PATH] [--json] <cli command…>\n\nRuns a VPP CLI command over VPP's binary API (cli_inband) and prints VPP's answer. The socket defaults to <vpp.runtimeDir>/api.sock from the configuration. Exit 1 when VPP refuses the command, 4 when VPP does not answer.\n`,
  config: `Usage: vectorplane config --print [--json] [--config FILE]\n\nPrints the effective configuration; exit 2 with every problem named when it is invalid.\n`,
};

interface Io {
  out(s: string): void;
  err(s: string): void;
  env: Readonly<Record<string, string | undefined>>;
}

async function fetchStatus(address: string): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await fetch(`http://${address}/status`, { signal: AbortSignal.timeout(3000) });
    return (await res.json()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function table(rows: readonly Record<string, unknown>[]): string {
  if (rows.length === 0) return '(none)\n';
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(width[i]!))
      .join('  ')
      .trimEnd();
  return (
    [line(cols.map((c) => c.toUpperCase())), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n') + '\n'
  );
}

/** `vectorplane vppctl <cli>`: VPP's CLI through `cli_inband` on the API socket. */
async function vppctl(
  cmd: string,
  values: { socket?: string | undefined; json?: boolean | undefined },
  loadConfig: () => { vpp: { runtimeDir: string } },
  io: Io,
): Promise<number> {
  if (cmd.trim() === '') {
    io.err(HELP.vppctl!);
    return EXIT.USAGE;
  }
  let socket = values.socket;
  if (socket === undefined) {
    try {
      socket = join(loadConfig().vpp.runtimeDir, 'api.sock');
    } catch (err) {
      io.err(`vectorplane: ${(err as Error).message}\n`);
      return EXIT.USAGE;
    }
  }
  const { connectVpp } = await import('@vectorplane/vpp-binapi');
  let vpp;
  try {
    vpp = await connectVpp({ socket, timeoutMs: 5_000 });
  } catch (err) {
    io.err(`vectorplane: VPP does not answer at ${socket}: ${(err as Error).message}\n`);
    return EXIT.UNREACHABLE;
  }
  try {
    const r = await vpp.call('cli_inband', { cmd });
    io.out(values.json ? `${JSON.stringify({ command: cmd, reply: r.reply }, null, 2)}\n` : r.reply);
    return EXIT.OK;
  } catch (err) {
    io.err(`vectorplane: vppctl ${cmd}: ${(err as Error).message}\n`);
    return EXIT.FAILURE;
  } finally {
    await vpp.close();
  }
}

/** Runs one `vectorplane` invocation; resolves with the exit code. `run` is delegated to `runAgent`. */
export async function main(
  argv: readonly string[],
  io: Io,
  runAgent: (configFile: string | undefined) => Promise<number>,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        print: { type: 'boolean', default: false },
        address: { type: 'string' },
        config: { type: 'string' },
        socket: { type: 'string' },
      },
    });
  } catch (err) {
    io.err(`vectorplane: ${(err as Error).message}\n${HELP['']}`);
    return EXIT.USAGE;
  }
  const { values, positionals } = parsed;
  const [command = '', sub] = positionals;
  if (values.help || command === '' || command === 'help') {
    io.out(HELP[command === 'help' ? (sub ?? '') : command] ?? HELP['']!);
    return command === '' && !values.help ? EXIT.USAGE : EXIT.OK;
  }
  const loadConfig = () =>
    loadAgentConfig({ env: io.env, ...(values.config !== undefined && { file: values.config }) });
  if (command === 'run') return runAgent(values.config);
  if (command === 'config') {
    if (!values.print) {
      io.err(HELP.config!);
      return EXIT.USAGE;
    }
    try {
      const config = loadConfig();
      io.out(values.json ? `${JSON.stringify(config, null, 2)}\n` : toYaml(config));
      return EXIT.OK;
    } catch (err) {
      io.err(`vectorplane: ${(err as Error).message}\n`);
      return EXIT.USAGE;
    }
  }
  if (command === 'vppctl') return vppctl(positionals.slice(1).join(' '), values, loadConfig, io);
  const views: Record<string, (s: Record<string, unknown>) => unknown> = {
    status: (s) => s,
    pods: (s) => s.pods ?? [],
    services: (s) => s.services ?? [],
    policies: (s) => s.policies ?? [],
    'bgp peers': (s) => (s.bgp as Record<string, unknown> | undefined)?.peers ?? [],
    'bgp routes': (s) => (s.bgp as Record<string, unknown> | undefined)?.routes ?? [],
  };
  const key = command === 'bgp' ? `bgp ${sub ?? ''}` : command;
  const view = views[key];
  if (!view) {
    io.err(`vectorplane: unknown command '${positionals.join(' ')}'\n${HELP['']}`);
    return EXIT.USAGE;
  }
  let address = values.address;
  if (address === undefined) {
    try {
      address = loadConfig().health.listen;
    } catch {
      address = '127.0.0.1:9090';
    }
  }
  const status = await fetchStatus(address);
  if (!status) {
    io.err(`vectorplane: no agent answers at http://${address}/status\n`);
    return EXIT.UNREACHABLE;
  }
  const data = view(status);
  if (values.json) io.out(`${JSON.stringify(data, null, 2)}\n`);
  else if (command === 'status') {
    const comps = (status.components ?? {}) as Record<string, Record<string, unknown>>;
    io.out(`ready: ${String(status.ready)}\n`);
    io.out(
      table(
        Object.entries(comps).map(([name, c]) => ({
          component: name,
          state: c.state,
          synced: c.synced,
          error: c.error ?? '',
        })),
      ),
    );
  } else io.out(table(Array.isArray(data) ? (data as Record<string, unknown>[]) : [data as Record<string, unknown>]));
  return command === 'status' && status.ready !== true ? EXIT.NOT_READY : EXIT.OK;
}
