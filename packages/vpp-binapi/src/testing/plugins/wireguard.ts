/**
 * VPP's wireguard plugin (src/plugins/wireguard/wireguard_api.c, wireguard_if.c, wireguard_peer.c):
 * `wg<instance>` interfaces with real X25519 keys, and peers. No handshake happens: peers never get ESTABLISHED.
 */
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { INDEX_INVALID, VNET_API_ERROR } from '../constants.js';
import { canonicalPrefix } from '../ip.js';
import { IndexPool, InstanceSet } from '../pool.js';
import {
  type FakePlugin,
  type HandlerContext,
  type Msg,
  arr,
  canonicalOrAsReceived,
  num,
  obj,
  str,
  u32OrAny,
} from './context.js';

/**
 * `wireguard_peer_flags`: WIREGUARD_PEER_STATUS_DEAD is set by wg_peer_init (wg_peer_clear) and cleared again by
 * wg_peer_fill within the same wg_peer_add, so a peer just added reads 0; WIREGUARD_PEER_ESTABLISHED (2) comes
 * with a handshake, which the fake never does.
 */
export const WG_PEER_STATUS_DEAD = 1;
export const WG_PEER_ESTABLISHED = 2;

export interface FakeWireguardInterface {
  readonly sw_if_index: number;
  readonly user_instance: number;
  readonly private_key: Uint8Array;
  readonly public_key: Uint8Array;
  readonly port: number;
  readonly src_ip: string;
}

export interface FakeWireguardPeer {
  readonly peer_index: number;
  readonly public_key: Uint8Array;
  readonly sw_if_index: number;
  readonly table_id: number;
  readonly endpoint: string;
  readonly port: number;
  readonly persistent_keepalive: number;
  readonly allowed_ips: string[];
  /** `wireguard_peer_add_v2`'s preshared key (32 zero bytes when none). */
  readonly preshared_key: Uint8Array;
  flags: number;
}

const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** The X25519 public key of a 32-byte private key (curve25519 clamps the scalar, as VPP does). */
export function x25519PublicKey(privateKey: Uint8Array): Uint8Array {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, privateKey]), format: 'der', type: 'pkcs8' });
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'));
}

export class FakeWireguardState {
  /** Interfaces by sw_if_index. */
  readonly interfaces = new Map<number, FakeWireguardInterface>();
  /** `wg_peer_pool` by peer index. */
  readonly peers = new Map<number, FakeWireguardPeer>();
  readonly #instances = new InstanceSet();
  readonly #peerIds = new IndexPool(0);

  /** `wg_if_instance_alloc`: ~0 picks the lowest free instance; a taken one answers undefined. */
  allocInstance(requested: number): number | undefined {
    return this.#instances.alloc(requested === INDEX_INVALID ? undefined : requested);
  }

  releaseInstance(i: number): void {
    this.#instances.release(i);
  }

  /** `wg_peer_add`: -2 for a non-wireguard interface, -116 for a public key already used by a peer. */
  addPeer(p: Omit<FakeWireguardPeer, 'peer_index' | 'flags'>): { retval: number; peer_index: number } {
    if (!this.interfaces.has(p.sw_if_index))
      return { retval: VNET_API_ERROR.INVALID_SW_IF_INDEX, peer_index: INDEX_INVALID };
    const hex = Buffer.from(p.public_key).toString('hex');
    for (const q of this.peers.values())
      if (Buffer.from(q.public_key).toString('hex') === hex)
        return { retval: VNET_API_ERROR.ENTRY_ALREADY_EXISTS, peer_index: INDEX_INVALID };
    const peer_index = this.#peerIds.alloc();
    this.peers.set(peer_index, { ...p, peer_index, flags: 0 });
    return { retval: 0, peer_index };
  }

  /** `wg_peer_remove`: -6 for an unknown index. */
  removePeer(i: number): number {
    if (!this.peers.delete(i)) return VNET_API_ERROR.NO_SUCH_ENTRY;
    this.#peerIds.release(i);
    return 0;
  }

  /** @internal wg_if_delete removes the interface's peers first. */
  interfaceDeleted(sw: number): void {
    const itf = this.interfaces.get(sw);
    if (!itf) return;
    for (const p of [...this.peers.values()]) if (p.sw_if_index === sw) this.removePeer(p.peer_index);
    this.interfaces.delete(sw);
    this.releaseInstance(itf.user_instance);
  }
}

function bytes(v: unknown): Uint8Array {
  return v instanceof Uint8Array ? v : new Uint8Array(32);
}

function peerDetails(p: FakeWireguardPeer): Msg {
  return {
    peer: {
      peer_index: p.peer_index,
      public_key: p.public_key,
      port: p.port,
      persistent_keepalive: p.persistent_keepalive,
      table_id: p.table_id,
      endpoint: p.endpoint,
      sw_if_index: p.sw_if_index,
      flags: p.flags,
      n_allowed_ips: p.allowed_ips.length,
      allowed_ips: [...p.allowed_ips],
    },
  };
}

function addPeer(ctx: HandlerContext, m: Msg): void {
  const p = obj(m, 'peer');
  const sw = num(p, 'sw_if_index');
  if (!ctx.state.interfaces.has(sw))
    return ctx.reply({ retval: VNET_API_ERROR.INVALID_SW_IF_INDEX, peer_index: INDEX_INVALID });
  const allowed = arr(p, 'allowed_ips').slice(0, num(p, 'n_allowed_ips')) as unknown as string[];
  if (allowed.length === 0) return ctx.reply({ retval: VNET_API_ERROR.INVALID_VALUE, peer_index: INDEX_INVALID });
  ctx.reply(
    ctx.state.wireguard.addPeer({
      public_key: bytes(p.public_key),
      sw_if_index: sw,
      table_id: num(p, 'table_id'),
      endpoint: canonicalOrAsReceived(str(p, 'endpoint') || '0.0.0.0'),
      port: num(p, 'port'),
      persistent_keepalive: num(p, 'persistent_keepalive'),
      preshared_key: p.preshared_key_set ? bytes(p.preshared_key) : new Uint8Array(32),
      allowed_ips: allowed.map((a) => {
        try {
          return canonicalPrefix(a);
        } catch {
          return a;
        }
      }),
    }),
  );
}

export const wireguardPlugin: FakePlugin = {
  name: 'wireguard',
  source: 'src/plugins/wireguard/wireguard_api.c',
  handlers: {
    // vl_api_wireguard_interface_create_t_handler → wg_if_create: instance taken → -31
    wireguard_interface_create: (ctx, m) => {
      const i = obj(m, 'interface');
      const wg = ctx.state.wireguard;
      const inst = wg.allocInstance(u32OrAny(i, 'user_instance'));
      if (inst === undefined)
        return ctx.reply({ retval: VNET_API_ERROR.INVALID_REGISTRATION, sw_if_index: INDEX_INVALID });
      const priv = m.generate_key ? new Uint8Array(randomBytes(32)) : bytes(i.private_key);
      const itf = ctx.state.addInterface('wireguard', `wg${inst}`, inst, {
        devType: 'Wireguard Tunnel', // wg_if_device_class.name in src/plugins/wireguard/wireguard_if.c
        linkMtu: 0,
        mtu: [9000, 0, 0, 0],
      });
      wg.interfaces.set(itf.sw_if_index, {
        sw_if_index: itf.sw_if_index,
        user_instance: inst,
        private_key: priv,
        public_key: x25519PublicKey(priv),
        port: num(i, 'port'),
        src_ip: canonicalOrAsReceived(str(i, 'src_ip') || '0.0.0.0'),
      });
      ctx.reply({ retval: 0, sw_if_index: itf.sw_if_index });
    },
    // wg_if_delete: -2 unknown, -7 not a wireguard interface
    wireguard_interface_delete: (ctx, m) => {
      const itf = ctx.state.interfaces.get(num(m, 'sw_if_index'));
      if (!itf) return ctx.reply({ retval: VNET_API_ERROR.INVALID_SW_IF_INDEX });
      if (itf.kind !== 'wireguard') return ctx.reply({ retval: VNET_API_ERROR.INVALID_VALUE });
      ctx.state.removeInterface(itf);
      ctx.reply({ retval: 0 });
    },
    // wireguard_if_send_details: the private key only when asked for
    wireguard_interface_dump: (ctx, m) => {
      const only = u32OrAny(m, 'sw_if_index');
      for (const w of [...ctx.state.wireguard.interfaces.values()].sort((a, b) => a.sw_if_index - b.sw_if_index)) {
        if (only !== INDEX_INVALID && w.sw_if_index !== only) continue;
        ctx.details('wireguard_interface_details', {
          interface: {
            user_instance: w.user_instance,
            sw_if_index: w.sw_if_index,
            private_key: m.show_private_key ? w.private_key : new Uint8Array(32),
            public_key: w.public_key,
            port: w.port,
            src_ip: w.src_ip,
          },
        });
      }
    },
    // vl_api_wireguard_peer_add_t_handler: bad interface -2, no allowed IPs -7, then wg_peer_add
    wireguard_peer_add: (ctx, m) => addPeer(ctx, m),
    // vl_api_wireguard_peer_add_v2_t_handler: the same with a preshared key
    wireguard_peer_add_v2: (ctx, m) => addPeer(ctx, m),
    wireguard_peer_remove: (ctx, m) => ctx.reply({ retval: ctx.state.wireguard.removePeer(num(m, 'peer_index')) }),
    // vl_api_wireguard_peers_dump_t_handler: ~0 walks the pool; an unknown index sends nothing
    // wireguard_peers_v2_dump: v2 details add the preshared key and whether it is set
    wireguard_peers_v2_dump: (ctx, m) => {
      const only = u32OrAny(m, 'peer_index');
      for (const p of [...ctx.state.wireguard.peers.values()].sort((a, b) => a.peer_index - b.peer_index)) {
        if (only !== INDEX_INVALID && p.peer_index !== only) continue;
        const d = peerDetails(p);
        ctx.details('wireguard_peers_v2_details', {
          peer: {
            ...(d.peer as Msg),
            preshared_key: p.preshared_key,
            preshared_key_set: p.preshared_key.some((b) => b !== 0),
          },
        });
      }
    },
    // vl_api_want_wireguard_peer_events_t_handler: registers the client for peer events; the fake has no
    // handshakes, so none are ever sent
    want_wireguard_peer_events: (ctx) => ctx.reply({ retval: 0 }),
    wireguard_peers_dump: (ctx, m) => {
      const only = u32OrAny(m, 'peer_index');
      for (const p of [...ctx.state.wireguard.peers.values()].sort((a, b) => a.peer_index - b.peer_index)) {
        if (only !== INDEX_INVALID && p.peer_index !== only) continue;
        ctx.details('wireguard_peers_details', peerDetails(p));
      }
    },
  },
};
