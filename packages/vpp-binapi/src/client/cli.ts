/**
 * The `vpp-api` command line: talks to VPP's API socket with the generated bindings and prints JSON.
 * Kept apart from `src/cli.ts` (the bin entry) so it can be called with any argv and output streams.
 */
import { parseArgs } from 'node:util';
import type { AnyMessageDef } from '../codec/registry.js';
import { toHex } from '../codec/runtime.js';
import { HEADER_FIELDS, convertRequest } from './cli-input.js';
import type { VppClient } from './client.js';
import { DEFAULT_VPP_API_SOCKET } from './client.js';
import { connectVppWith, defaultBindings } from './connect.js';
import { isVppRelease, releaseBindings, releases } from './releases.js';
import type { AnyVppApi, VppBindings } from './types.js';

/** Exit codes of `vpp-api`. */
export const EXIT = {
  OK: 0,
  /** VPP answered a negative retval, or `messages --check` found CRC mismatches. */
  VPP_ERROR: 1,
  /** Bad command line or JSON, unknown message. */
  USAGE: 2,
  /** Could not connect, timeout, lost connection, protocol trouble. */
  FAILURE: 3,
} as const;

export const USAGE = `Usage: vpp-api [--socket PATH] [--timeout MS] <command> [args]

Talks to VPP's binary API socket. Prints JSON (64-bit integers as strings, bytes as hex).

Commands:
  call <message> [json]      send a request, print its reply
  dump <message> [json]      run a _dump (or a _get with cursor), print one JSON line per details message
  events <want_message> [json]
                             subscribe (e.g. want_interface_events) and print events as JSON lines until Ctrl-C
  cli "<command>"            run a VPP CLI command (cli_inband) and print VPP's text
  messages [--check] [--json]
                             list the messages our bindings know (VPP 25.10, 26.02, 26.06): name,
                             id in VPP, CRC, status and the releases whose definition VPP announced;
                             --check prints per message which release matched and exits 1 when VPP
                             has a CRC none of our releases has

Options:
  -s, --socket PATH          API socket (default: $VPP_API_SOCKET or ${DEFAULT_VPP_API_SOCKET})
  -t, --timeout MS           time limit per request (default 10000)
  -r, --release VERSION      speak exactly one VPP release (25.10, 26.02, 26.06); default: each message
                             as the running VPP announces it, from any of them
  -h, --help                 this text

Exit codes: 0 ok, 1 VPP error (negative retval; its name is printed) or CRC mismatch, 2 usage, 3 connection failure.

Examples:
  vpp-api call show_version
  vpp-api call create_loopback '{"mac_address":"02:00:00:00:00:01"}'
  vpp-api dump sw_interface_dump '{"sw_if_index":4294967295}'
  vpp-api cli "show interface"
  vpp-api messages --check
`;

/** Where the CLI writes. */
export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Runs `vpp-api` with `argv` (without node and script) and resolves with the exit code. */
export async function runCli(
  argv: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
  bindings: VppBindings = defaultBindings,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        socket: { type: 'string', short: 's' },
        timeout: { type: 'string', short: 't' },
        help: { type: 'boolean', short: 'h' },
        check: { type: 'boolean' },
        json: { type: 'boolean' },
        release: { type: 'string', short: 'r' },
      },
    });
  } catch (err) {
    io.stderr.write(`vpp-api: ${(err as Error).message}\n\n${USAGE}`);
    return EXIT.USAGE;
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (values.help || !command || command === 'help') {
    (values.help || command === 'help' ? io.stdout : io.stderr).write(USAGE);
    return values.help || command === 'help' ? EXIT.OK : EXIT.USAGE;
  }
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutMs !== undefined && !(timeoutMs > 0)) {
    io.stderr.write(`vpp-api: --timeout wants a positive number of milliseconds\n`);
    return EXIT.USAGE;
  }

  if (values.release !== undefined) {
    if (!isVppRelease(values.release)) {
      io.stderr.write(
        `vpp-api: --release wants one of ${releases.join(', ')}, not ${JSON.stringify(values.release)}\n`,
      );
      return EXIT.USAGE;
    }
    bindings = releaseBindings(values.release);
  }

  let vpp: VppClient<AnyVppApi> | undefined;
  const out = (s: string): unknown => io.stdout.write(s);
  try {
    const plan = plan_(command, args, bindings);
    vpp = await connectVppWith<AnyVppApi>(bindings, {
      name: 'vpp-api',
      ...(values.socket !== undefined && { socket: values.socket }),
      ...(timeoutMs !== undefined && { timeoutMs }),
    });
    switch (plan.kind) {
      case 'call': {
        const reply = await vpp.call(plan.name, plan.msg);
        out(toJson(reply, 2) + '\n');
        return EXIT.OK;
      }
      case 'dump': {
        const stream = plan.get ? vpp.get(plan.name, plan.msg) : vpp.dump(plan.name, plan.msg);
        for await (const d of stream) out(toJson(d) + '\n');
        return EXIT.OK;
      }
      case 'cli': {
        const reply = await vpp.call('cli_inband', { cmd: plan.cmd });
        const text = String(reply['reply'] ?? '');
        out(text.endsWith('\n') || text === '' ? text : text + '\n');
        return EXIT.OK;
      }
      case 'events': {
        const sub = vpp.events(plan.name, plan.msg);
        const stop = (): void => void sub.close();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          await sub.ready;
          for await (const e of sub) out(toJson(e) + '\n');
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
        return EXIT.OK;
      }
      case 'messages':
        return messages(vpp, bindings, io, values.check ?? false, values.json ?? false);
    }
    return EXIT.OK;
  } catch (err) {
    return report(err, io);
  } finally {
    await vpp?.close().catch(() => {});
  }
}

type Plan =
  | { kind: 'call'; name: string; msg: Record<string, unknown> }
  | { kind: 'dump'; name: string; msg: Record<string, unknown>; get: boolean }
  | { kind: 'events'; name: string; msg: Record<string, unknown> }
  | { kind: 'cli'; cmd: string }
  | { kind: 'messages' };

/** Checks the command line before connecting, so usage errors never wait for VPP. */
function plan_(command: string, args: string[], bindings: VppBindings): Plan {
  const needMessage = (): { name: string; def: AnyMessageDef; msg: Record<string, unknown> } => {
    const [name, json, ...extra] = args;
    if (!name) throw new UsageError(`${command} needs a message name`);
    if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    const def = bindings.messages.get(name);
    if (!def) {
      const similar = [...bindings.messages.keys()].filter((n) => n.includes(name) || name.includes(n)).slice(0, 8);
      throw new UsageError(`unknown message ${name}${similar.length ? ` (similar: ${similar.join(', ')})` : ''}`);
    }
    return { name, def, msg: json === undefined ? {} : parseMessage(json, def) };
  };
  switch (command) {
    case 'call': {
      const { name, msg } = needMessage();
      const service = bindings.services.get(name);
      if (service?.streamMessage) throw new UsageError(`${name} is a _get request with cursor; use dump`);
      if (service?.stream) throw new UsageError(`${name} is a _dump request; use dump`);
      if (!service && !bindings.messages.has(`${name}_reply`))
        throw new UsageError(`${name} is not a request VPP answers with a reply`);
      return { kind: 'call', name, msg };
    }
    case 'dump': {
      const { name, msg } = needMessage();
      const service = bindings.services.get(name);
      if (service?.streamMessage) return { kind: 'dump', name, msg, get: true };
      if (service ? !service.stream : !name.endsWith('_dump'))
        throw new UsageError(`${name} is not a _dump or _get request; use call`);
      return { kind: 'dump', name, msg, get: false };
    }
    case 'events': {
      const { name, msg } = needMessage();
      if (!bindings.services.get(name)?.events?.length) throw new UsageError(`${name} enables no events`);
      return { kind: 'events', name, msg };
    }
    case 'cli': {
      if (args.length !== 1) throw new UsageError('cli takes exactly one argument: the command, quoted');
      return { kind: 'cli', cmd: args[0]! };
    }
    case 'messages':
      if (args.length) throw new UsageError(`unexpected arguments: ${args.join(' ')}`);
      return { kind: 'messages' };
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

/**
 * Parses the JSON fields of a request and converts them by the schema at every depth: 64-bit integers
 * may be given as decimal strings, byte fields as hex, enums by name; unknown fields, non-boolean
 * booleans and values of the wrong kind are usage errors naming the field.
 */
function parseMessage(json: string, def: AnyMessageDef): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (err) {
    throw new UsageError(`bad JSON for ${def.name}: ${(err as Error).message}`);
  }
  try {
    return convertRequest(def, v);
  } catch (err) {
    if ((err as Error).name === 'FieldInputError') throw new UsageError((err as Error).message);
    throw err;
  }
}

/** JSON text of a decoded message: header fields left out, bigint as string, bytes as hex. */
export function toJson(msg: unknown, indent?: number): string {
  return JSON.stringify(
    msg,
    function (this: unknown, key: string, value: unknown) {
      if (this === msg && HEADER_FIELDS.has(key)) return undefined;
      if (typeof value === 'bigint') return value.toString();
      if (value instanceof Uint8Array) return toHex(value);
      return value;
    },
    indent,
  );
}

function messages(vpp: VppClient<AnyVppApi>, bindings: VppBindings, io: CliIo, check: boolean, json: boolean): number {
  const compat = vpp.compat;
  const mismatch = new Map(compat.mismatched.map((m) => [m.name, m]));
  const rows = [...bindings.messages.values()]
    .map((d) => {
      const m = mismatch.get(d.name);
      // the definition VPP announced, among every release's
      const used = (bindings.definitions?.get(d.name) ?? [d]).find((x) => vpp.table.has(x.nameCrc));
      const id = used ? vpp.table.get(used.nameCrc) : undefined;
      const status = used ? 'ok' : m ? 'crc-mismatch' : 'missing';
      const releases = used ? vpp.releasesOf(d.name) : [];
      return { name: d.name, id, crc: (used ?? d).crc, status, releases, ...(m && { vppCrc: m.vppCrc }) };
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const statusText = (r: (typeof rows)[number]): string =>
    r.status === 'crc-mismatch'
      ? `crc-mismatch (VPP ${r.vppCrc})`
      : r.status === 'ok' && r.releases.length
        ? `ok (${r.releases.join(', ')})`
        : r.status;
  if (check) {
    for (const m of compat.mismatched) {
      const ours = m.crcs.length > 1 ? m.crcs.map((c) => `${c.crc} (${c.releases.join(', ')})`).join(', ') : m.crc;
      io.stderr.write(`crc mismatch: ${m.name} ours ${ours}, VPP ${m.vppCrc}\n`);
    }
    if (json) for (const r of rows) io.stdout.write(JSON.stringify(r) + '\n');
    else {
      // per message: which release's definition VPP announced
      const w = Math.max(4, ...rows.map((r) => r.name.length));
      for (const r of rows)
        io.stdout.write(`${r.name.padEnd(w)}  ${r.status === 'ok' ? r.releases.join(', ') || 'ok' : statusText(r)}\n`);
      const known = bindings.releases?.length
        ? `; VPP's table agrees with release ${compat.releases.join(', ') || 'none of ours'}`
        : '';
      io.stdout.write(
        `${compat.matched} messages match, ${compat.mismatched.length} CRC mismatches, ${compat.missing.length} not in VPP${known}\n`,
      );
    }
    return compat.mismatched.length ? EXIT.VPP_ERROR : EXIT.OK;
  }
  if (json) {
    for (const r of rows) io.stdout.write(JSON.stringify(r) + '\n');
  } else {
    const w = Math.max(4, ...rows.map((r) => r.name.length));
    io.stdout.write(`${'NAME'.padEnd(w)}  ${'ID'.padStart(5)}  CRC         STATUS\n`);
    for (const r of rows)
      io.stdout.write(`${r.name.padEnd(w)}  ${String(r.id ?? '-').padStart(5)}  ${r.crc}  ${statusText(r)}\n`);
  }
  return EXIT.OK;
}

function report(err: unknown, io: CliIo): number {
  const e = err as Error & {
    code?: string;
    errorName?: string;
    retval?: number;
    messageName?: string;
    reply?: unknown;
  };
  switch (e?.name) {
    case 'UsageError':
      io.stderr.write(`vpp-api: ${e.message}\nRun vpp-api --help for usage.\n`);
      return EXIT.USAGE;
    case 'VppApiError':
      io.stderr.write(`vpp-api: ${e.messageName}: ${e.errorName} (retval ${e.retval})\n`);
      if (e.reply) io.stdout.write(toJson(e.reply, 2) + '\n');
      return EXIT.VPP_ERROR;
    case 'VppEncodeError':
    case 'VppUnknownMessageError':
    case 'VppCrcMismatchError':
    case 'VppUnsupportedMessageError':
      io.stderr.write(`vpp-api: ${e.message}\n`);
      return e.name === 'VppEncodeError' ? EXIT.USAGE : EXIT.VPP_ERROR;
    default: {
      const cause = (e?.cause as Error | undefined)?.message;
      io.stderr.write(`vpp-api: ${e?.message ?? String(err)}${cause ? ` (${cause})` : ''}\n`);
      return EXIT.FAILURE;
    }
  }
}
