/**
 * VPP's core API modules: memclnt/vpe (`control_ping`, `show_version`), vlib
 * (src/vlibmemory/vlib_api.c: `cli_inband`, the f64 checks, the node graph calls) and interface events.
 */
import { VNET_API_ERROR } from '../constants.js';
import { runCli } from '../cli.js';
import { type FakePlugin, num, str } from './context.js';

/**
 * Graph nodes the fake knows, with the next nodes VPP registers for them at start-up (the node's
 * `.next_nodes`). `add_node_next` appends to these the way `vlib_node_add_next` does. Next indexes of
 * nodes whose start-up nexts are not listed here are the fake's own.
 */
const START_NODES: readonly [string, readonly string[]][] = [
  ['error-drop', []],
  ['error-punt', []],
  ['ethernet-input', []],
  ['l2-input', []],
  ['ip4-input', []],
  ['ip6-input', []],
  ['ip4-lookup', []],
  ['ip6-lookup', []],
  ['ip4-punt', []],
  ['ip6-punt', []],
  // src/plugins/vxlan/vxlan.h foreach_vxlan_input_next: DROP error-drop, L2_INPUT l2-input
  ['vxlan4-input', ['error-drop', 'l2-input']],
  ['vxlan6-input', ['error-drop', 'l2-input']],
  ['ipip4-input', []],
  ['ipip6-input', []],
  ['wg4-input', []],
  ['wg6-input', []],
  ['cnat-input-ip4', []],
  ['cnat-input-ip6', []],
  ['acl-plugin-in-ip4-fa', []],
  ['acl-plugin-out-ip4-fa', []],
];

/** vlib's node graph, far enough for `get_node_index`, `get_next_index` and `add_node_next`. */
export class FakeNodeGraph {
  /** Nodes in index order with their next nodes by next index. */
  readonly nodes = new Map<string, { index: number; nexts: string[] }>();

  constructor() {
    for (const [name, nexts] of START_NODES) this.nodes.set(name, { index: this.nodes.size, nexts: [...nexts] });
  }

  /** `vlib_node_add_next`: the existing next index of `next`, else a new one at the end. */
  addNext(node: string, next: string): { retval: number; next_index: number } {
    const n = this.nodes.get(node);
    if (!n) return { retval: VNET_API_ERROR.NO_SUCH_NODE, next_index: 0xffffffff };
    if (!this.nodes.has(next)) return { retval: VNET_API_ERROR.NO_SUCH_NODE2, next_index: 0xffffffff };
    let i = n.nexts.indexOf(next);
    if (i < 0) i = n.nexts.push(next) - 1;
    return { retval: 0, next_index: i };
  }
}

export const vlibPlugin: FakePlugin = {
  name: 'vlib',
  source: 'src/vlibmemory/vlib_api.c, src/vpp/api/api.c',
  handlers: {
    control_ping: (ctx) => ctx.reply({ retval: 0, client_index: 0, vpe_pid: ctx.pid }),
    show_version: (ctx) =>
      ctx.reply({ retval: 0, program: 'vpe', version: ctx.vppVersion, build_date: ctx.buildDate, build_directory: '' }),
    // vl_api_get_f64_endian_value_t_handler: -159 unless 1.0 arrived as VPP reads it; answers 1.0. The
    // reply's retval is a u32 in the schema; VPP writes its negative rv into it all the same.
    get_f64_endian_value: (ctx, m) =>
      ctx.reply({ retval: num(m, 'f64_one') === 1 ? 0 : VNET_API_ERROR.API_ENDIAN_FAILED, f64_one_result: 1 }),
    get_f64_increment_by_one: (ctx, m) => ctx.reply({ retval: 0, f64_value: num(m, 'f64_value') + 1 }),
    // vl_api_cli_inband_t_handler: rv is vlib_cli_input's (-1 when the command failed), the reply the
    // command's output or its error text
    cli_inband: (ctx, m) => ctx.reply({ ...runCli(ctx.state, str(m, 'cmd'), ctx.vppVersion, ctx.buildDate) }),
    want_interface_events: (ctx, m) =>
      ctx.reply({ retval: ctx.wantInterfaceEvents(num(m, 'enable_disable') !== 0, num(m, 'pid')) }),
    // vl_api_add_node_next_t_handler: -63 unknown node, -64 unknown next
    add_node_next: (ctx, m) => ctx.reply(ctx.state.nodes.addNext(str(m, 'node_name'), str(m, 'next_name'))),
    get_node_index: (ctx, m) => {
      const n = ctx.state.nodes.nodes.get(str(m, 'node_name'));
      ctx.reply(
        n ? { retval: 0, node_index: n.index } : { retval: VNET_API_ERROR.NO_SUCH_NODE, node_index: 0xffffffff },
      );
    },
    // vl_api_get_next_index_t_handler: -63 / -64 for unknown nodes, -6 when next is not a next of node
    get_next_index: (ctx, m) => {
      const g = ctx.state.nodes.nodes;
      const n = g.get(str(m, 'node_name'));
      if (!n) return ctx.reply({ retval: VNET_API_ERROR.NO_SUCH_NODE, next_index: 0xffffffff });
      if (!g.has(str(m, 'next_name')))
        return ctx.reply({ retval: VNET_API_ERROR.NO_SUCH_NODE2, next_index: 0xffffffff });
      const i = n.nexts.indexOf(str(m, 'next_name'));
      ctx.reply(
        i < 0 ? { retval: VNET_API_ERROR.NO_SUCH_ENTRY, next_index: 0xffffffff } : { retval: 0, next_index: i },
      );
    },
  },
};
