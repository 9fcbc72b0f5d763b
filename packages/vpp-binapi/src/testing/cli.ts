import type { FakeVppState } from './state.js';

/** Centres `s` in `width` columns, the extra space on the left (as VPP's `%=Ns` does). */
function centre(s: string, width: number): string {
  const pad = Math.max(0, width - s.length);
  const left = Math.ceil(pad / 2);
  return ' '.repeat(left) + s + ' '.repeat(pad - left);
}

function showInterface(state: FakeVppState, args: string[]): string {
  if (args[0] && 'address'.startsWith(args[0]) && args[0].length >= 4) return showInterfaceAddress(state);
  const header =
    centre('Name', 32) +
    centre('Idx', 5) +
    centre('State', 10) +
    centre('MTU (L3/IP4/IP6/MPLS)', 21) +
    centre('Counter', 16) +
    centre('Count', 16);
  const rows = state
    .listInterfaces()
    .filter((i) => args.length === 0 || args.includes(i.interface_name))
    .map(
      (i) =>
        i.interface_name.padEnd(32) +
        centre(String(i.sw_if_index), 5) +
        centre(i.adminUp ? 'up' : 'down', 10) +
        centre(i.mtu.join('/'), 21),
    );
  return [header, ...rows].map((l) => `${l}\n`).join('');
}

function showInterfaceAddress(state: FakeVppState): string {
  let out = '';
  for (const i of state.listInterfaces()) {
    out += `${i.interface_name} (${i.adminUp ? 'up' : 'dn'}):\n`;
    if (i.unnumberedTo !== undefined) {
      const lender = state.interfaces.get(i.unnumberedTo);
      out += `  unnumbered, use ${lender?.interface_name ?? i.unnumberedTo}\n`;
    }
    for (const a of i.addresses) out += `  L3 ${a}\n`;
  }
  return out;
}

/**
 * `format_unformat_error` (vppinfra/unformat.c): the unparsed rest of the input, at most 30 characters
 * (then `...`), trailing white space trimmed when it fits.
 */
function unparsed(rest: string): string {
  return rest.length > 30 ? `${rest.slice(0, 30)}...` : rest.trimEnd();
}

/** What `cli_inband` answers: VPP's `vlib_cli_input` return value and the text the command printed. */
export interface CliResult {
  readonly retval: number;
  readonly reply: string;
}

/**
 * A few of VPP's CLI commands over `cli_inband`, answered from the fake's state. Anything else fails the
 * way `vlib_cli_dispatch_sub_commands` (vlib/cli.c) does: retval -1 and the error text as output,
 * `"<parent path>: unknown input \`<rest>'"` (or without a parent for an unknown first word).
 */
export function runCli(state: FakeVppState, cmd: string, version: string, buildDate: string): CliResult {
  const words = cmd.trim().split(/\s+/).filter(Boolean);
  const [verb, noun, ...rest] = words;
  const ok = (reply: string): CliResult => ({ retval: 0, reply });
  const fail = (text: string): CliResult => ({ retval: -1, reply: `${text}\n` });
  if (verb === undefined) return ok('');
  if ('show'.startsWith(verb) && verb.length >= 2) {
    if (noun === undefined) return fail("show: unknown input `'");
    if ('version'.startsWith(noun) && noun.length >= 3)
      return ok(`vpp v${version} built by vectorplane on fake-vpp at ${buildDate}\n`);
    if ('interface'.startsWith(noun) && noun.length >= 3) return ok(showInterface(state, rest));
    return fail(`show: unknown input \`${unparsed([noun, ...rest].join(' '))}'`);
  }
  return fail(`unknown input \`${unparsed(words.join(' '))}'`);
}
