/**
 * VPP's memif plugin (src/plugins/memif/memif_api.c, memif.c): socket files by id and memif
 * interfaces named `memif<socket-id>/<id>`. No shared memory is set up: interfaces stay link-down.
 */
import { INDEX_INVALID, VNET_API_ERROR } from '../constants.js';
import { type FakePlugin, bool, isZeroMac, num, randomMac, str } from './context.js';

/** MEMIF_DEFAULT_SOCKET_FILENAME, registered as socket id 0 at plugin init (memif_init). */
export const MEMIF_DEFAULT_SOCKET = 'memif.sock';

export interface FakeMemifSocket {
  readonly socket_id: number;
  readonly socket_filename: string;
  /** Interfaces using it. */
  refs: number;
  /** Role of the interfaces on it (a socket file is either master or slave). */
  isMaster?: boolean;
}

/** memif's state: socket files (`socket_file_index_by_sock_id`). Interfaces live in `state.interfaces` (kind `'memif'`). */
export class FakeMemifState {
  readonly sockets = new Map<number, FakeMemifSocket>();
  #runtimeDir = '/run/vpp';

  constructor() {
    this.sockets.set(0, { socket_id: 0, socket_filename: `${this.#runtimeDir}/${MEMIF_DEFAULT_SOCKET}`, refs: 0 });
  }

  /** Path VPP stores for a filename: absolute or abstract (`@…`) as given, else under the runtime dir. */
  resolve(filename: string): string {
    return filename.startsWith('/') || filename.startsWith('@') ? filename : `${this.#runtimeDir}/${filename}`;
  }

  /**
   * `memif_socket_filename_add_del` (memif.c): id ~0 → -73; delete: id 0 or unknown → -73, in use → -74;
   * add: empty name → -73, the same name again is accepted, another name for a taken id → -116.
   */
  addDel(isAdd: boolean, id: number, filename: string): number {
    if (id === 0 && !isAdd) return VNET_API_ERROR.INVALID_ARGUMENT;
    if (id === INDEX_INVALID) return VNET_API_ERROR.INVALID_ARGUMENT;
    const cur = this.sockets.get(id);
    if (!isAdd) {
      if (!cur) return VNET_API_ERROR.INVALID_ARGUMENT;
      if (cur.refs > 0) return VNET_API_ERROR.UNEXPECTED_INTF_STATE;
      this.sockets.delete(id);
      return 0;
    }
    if (!filename) return VNET_API_ERROR.INVALID_ARGUMENT;
    const path = this.resolve(filename);
    if (cur) return cur.socket_filename === path ? 0 : VNET_API_ERROR.ENTRY_ALREADY_EXISTS;
    this.sockets.set(id, { socket_id: id, socket_filename: path, refs: 0 });
    return 0;
  }

  /** `memif_get_unused_socket_id`: a random id not in use (never 0 or ~0). */
  unusedId(): number {
    for (;;) {
      const id = 1 + Math.floor(Math.random() * 0xfffffffd);
      if (!this.sockets.has(id)) return id;
    }
  }
}

/** MEMIF_DEFAULT_RX_QUEUES / _TX_QUEUES, _RING_SIZE, _BUFFER_SIZE (memif.h). */
const MEMIF_DEFAULTS = { queues: 1, ringSize: 1024, bufferSize: 2048 };

export const memifPlugin: FakePlugin = {
  name: 'memif',
  source: 'src/plugins/memif/memif_api.c',
  handlers: {
    // vl_api_memif_socket_filename_add_del_v2_t_handler: id 0 → -73; ~0 on add → a fresh random id
    memif_socket_filename_add_del_v2: (ctx, m) => {
      let id = m.socket_id === undefined ? INDEX_INVALID : num(m, 'socket_id');
      if (id === 0) return ctx.reply({ retval: VNET_API_ERROR.INVALID_ARGUMENT, socket_id: 0 });
      const isAdd = bool(m, 'is_add');
      if (isAdd && id === INDEX_INVALID) id = ctx.state.memif.unusedId();
      ctx.reply({ retval: ctx.state.memif.addDel(isAdd, id, str(m, 'socket_filename')), socket_id: id });
    },
    memif_socket_filename_add_del: (ctx, m) =>
      ctx.reply({ retval: ctx.state.memif.addDel(bool(m, 'is_add'), num(m, 'socket_id'), str(m, 'socket_filename')) }),
    memif_socket_filename_dump: (ctx) => {
      for (const s of [...ctx.state.memif.sockets.values()].sort((a, b) => a.socket_id - b.socket_id))
        ctx.details('memif_socket_filename_details', { socket_id: s.socket_id, socket_filename: s.socket_filename });
    },
    // vl_api_memif_create_v2_t_handler → memif_create_if: ring size must be a power of two (-73),
    // unknown socket id (-73), a socket used by the other role or a taken id on it (-68)
    memif_create_v2: (ctx, m) => createMemif(ctx, m),
    memif_create: (ctx, m) => createMemif(ctx, m),
    memif_delete: (ctx, m) => {
      const itf = ctx.state.interfaces.get(num(m, 'sw_if_index'));
      if (!itf || itf.kind !== 'memif') return ctx.reply({ retval: VNET_API_ERROR.INVALID_SW_IF_INDEX });
      const sock = ctx.state.memif.sockets.get(itf.plugin?.socket_id as number);
      if (sock) sock.refs--;
      ctx.state.removeInterface(itf);
      ctx.reply({ retval: 0 });
    },
    memif_dump: (ctx) => {
      for (const i of ctx.state.listInterfaces()) {
        if (i.kind !== 'memif' || !i.plugin) continue;
        const p = i.plugin;
        ctx.details('memif_details', {
          sw_if_index: i.sw_if_index,
          hw_addr: i.l2_address,
          id: p.id,
          role: p.role,
          mode: p.mode,
          zero_copy: p.zero_copy,
          socket_id: p.socket_id,
          ring_size: p.ring_size,
          buffer_size: p.buffer_size,
          flags: ctx.state.interfaceFlags(i),
          if_name: i.interface_name,
        });
      }
    },
  },
};

function createMemif(ctx: Parameters<FakePlugin['handlers'][string]>[0], m: Record<string, unknown>): void {
  const fail = (retval: number): void => ctx.reply({ retval, sw_if_index: 0 });
  const ringSize = num(m, 'ring_size') || MEMIF_DEFAULTS.ringSize;
  if ((ringSize & (ringSize - 1)) !== 0) return fail(VNET_API_ERROR.INVALID_ARGUMENT);
  const socketId = num(m, 'socket_id');
  const id = num(m, 'id');
  const isMaster = num(m, 'role') === 0;
  const sock = ctx.state.memif.sockets.get(socketId);
  if (!sock) return fail(VNET_API_ERROR.INVALID_ARGUMENT);
  if (sock.refs > 0) {
    if (sock.isMaster !== isMaster) return fail(VNET_API_ERROR.SUBIF_ALREADY_EXISTS);
    for (const i of ctx.state.interfaces.values())
      if (i.kind === 'memif' && i.plugin?.socket_id === socketId && i.plugin.id === id)
        return fail(VNET_API_ERROR.SUBIF_ALREADY_EXISTS);
  }
  const hw = str(m, 'hw_addr');
  // memif_create_if: no MAC given → 02:fe:<random>
  const mac = isZeroMac(hw) ? randomMac(0x02, 0xfe) : hw;
  const queues = isMaster ? MEMIF_DEFAULTS.queues : num(m, 'rx_queues') || MEMIF_DEFAULTS.queues;
  const itf = ctx.state.addInterface(
    'memif',
    `memif${socketId}/${id}`,
    id,
    { devType: 'memif', linkMtu: 9000, mtu: [9000, 0, 0, 0] },
    {
      l2_address: mac,
      rxQueues: queues,
      plugin: {
        socket_id: socketId,
        id,
        role: num(m, 'role'),
        mode: num(m, 'mode'),
        zero_copy: !bool(m, 'no_zero_copy'),
        ring_size: ringSize,
        buffer_size: num(m, 'buffer_size') || MEMIF_DEFAULTS.bufferSize,
        secret: str(m, 'secret'),
      },
    },
  );
  sock.refs++;
  sock.isMaster = isMaster;
  ctx.reply({ retval: 0, sw_if_index: itf.sw_if_index });
}
