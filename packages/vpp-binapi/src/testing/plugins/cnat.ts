/** VPP's cnat plugin (src/plugins/cnat/cnat_api.c, cnat_translation.c, cnat_snat_policy.c). */
import { CNAT_TRK_ACTIVE, INDEX_INVALID, VNET_API_ERROR } from '../constants.js';
import { canonicalAddress, formatPrefix, networkOf, parsePrefix } from '../ip.js';
import type { FakeCnatEndpoint, FakeCnatTranslation } from '../state.js';
import { IndexPool } from '../pool.js';
import {
  type FakePlugin,
  type HandlerContext,
  type Msg,
  arr,
  bool,
  canonicalOrAsReceived,
  num,
  obj,
  str,
} from './context.js';

function endpointFromApi(e: Msg): FakeCnatEndpoint {
  const addr = canonicalOrAsReceived(str(e, 'addr') || '0.0.0.0');
  return { addr, sw_if_index: num(e, 'sw_if_index'), if_af: num(e, 'if_af'), port: num(e, 'port') };
}

/**
 * `cnat_set_snat` (cnat_snat_policy.c): all-zero addresses and no interface delete the entry (-30 when
 * there is none); otherwise the IPv4 part is updated when an interface or an IPv4 address is given, the
 * IPv6 part likewise.
 */
function setSnat(ctx: HandlerContext, m: Msg): number {
  const ip4 = canonicalAddress(str(m, 'snat_ip4') || '0.0.0.0');
  const ip6 = canonicalAddress(str(m, 'snat_ip6') || '::');
  const sw = m.sw_if_index === undefined ? INDEX_INVALID : num(m, 'sw_if_index');
  const s = ctx.state;
  const swSet = sw !== INDEX_INVALID;
  const ip4Set = ip4 !== '0.0.0.0';
  const ip6Set = ip6 !== '::';
  if (!swSet && !ip4Set && !ip6Set) {
    if (!s.cnatSnatSet) return VNET_API_ERROR.FEATURE_DISABLED;
    s.cnatSnatSet = false;
    Object.assign(s.cnatSnat, { snat_ip4: '0.0.0.0', snat_ip6: '::', sw_if_index: INDEX_INVALID });
    return 0;
  }
  s.cnatSnatSet = true;
  if (swSet || ip4Set) s.cnatSnat.snat_ip4 = ip4;
  if (swSet || ip6Set) s.cnatSnat.snat_ip6 = ip6;
  s.cnatSnat.sw_if_index = sw;
  return 0;
}

export const cnatPlugin: FakePlugin = {
  name: 'cnat',
  source: 'src/plugins/cnat/cnat_api.c',
  handlers: {
    cnat_translation_update: (ctx, m) => {
      const t = obj(m, 'translation');
      const id = ctx.state.cnatTranslationUpdate({
        vip: endpointFromApi(obj(t, 'vip')),
        ip_proto: num(t, 'ip_proto'),
        is_real_ip: num(t, 'is_real_ip'),
        flags: num(t, 'flags'),
        lb_type: num(t, 'lb_type'),
        flow_hash_config: num(t, 'flow_hash_config'),
        paths: arr(t, 'paths').map((p) => ({
          dst_ep: endpointFromApi(obj(p, 'dst_ep')),
          src_ep: endpointFromApi(obj(p, 'src_ep')),
          flags: num(p, 'flags'),
        })),
      });
      ctx.reply({ retval: 0, id });
    },
    cnat_translation_del: (ctx, m) => ctx.reply({ retval: ctx.state.cnatTranslationDel(num(m, 'id')) }),
    cnat_translation_dump: (ctx) => {
      // VPP walks its translation pool in index order.
      for (const t of [...ctx.state.cnatTranslations.values()].sort((a, b) => a.id - b.id)) {
        ctx.details('cnat_translation_details', {
          translation: {
            vip: { ...t.vip },
            id: t.id,
            ip_proto: t.ip_proto,
            is_real_ip: 0,
            flags: 0,
            lb_type: t.lb_type,
            n_paths: t.paths.length,
            flow_hash_config: 0,
            paths: t.paths.map((p) => ({
              dst_ep: { ...p.dst_ep },
              src_ep: { ...p.src_ep },
              flags: p.flags | CNAT_TRK_ACTIVE,
            })),
          },
        });
      }
    },
    cnat_session_dump: () => {
      // No traffic flows through the fake, so there are never sessions.
    },
    cnat_set_snat_addresses: (ctx, m) => ctx.reply({ retval: setSnat(ctx, m) }),
    // the fake keeps no FIB indexes: v2's fwd_fib_index/ret_fib_index are not modelled
    cnat_set_snat_addresses_v2: (ctx, m) => ctx.reply({ retval: setSnat(ctx, m) }),
    feature_cnat_enable_disable: (ctx, m) => {
      const sw = num(m, 'sw_if_index');
      if (!ctx.state.interfaces.has(sw)) {
        ctx.reply({ retval: VNET_API_ERROR.INVALID_SW_IF_INDEX });
        return;
      }
      if (bool(m, 'enable_disable')) ctx.state.cnatFeatureInterfaces.add(sw);
      else ctx.state.cnatFeatureInterfaces.delete(sw);
      ctx.reply({ retval: 0 });
    },
    // vl_api_cnat_get_snat_addresses_t_handler: no default SNAT policy entry yet → -30 and zeroes
    cnat_get_snat_addresses: (ctx) =>
      ctx.state.cnatSnatSet
        ? ctx.reply({ retval: 0, id: 0, ...ctx.state.cnatSnat })
        : ctx.reply({
            retval: VNET_API_ERROR.FEATURE_DISABLED,
            id: 0,
            snat_ip4: '0.0.0.0',
            snat_ip6: '::',
            sw_if_index: 0,
          }),
    // cnat_set_snat_policy (cnat_snat_policy.c): an unknown policy → -7. Without a SNAT entry (no
    // cnat_set_snat_addresses yet) VPP 26.06 dereferences a NULL entry and crashes; the fake answers -30
    // instead so that a test sees the ordering mistake.
    cnat_set_snat_policy: (ctx, m) => {
      if (!ctx.state.cnatSnatSet) return ctx.reply({ retval: VNET_API_ERROR.FEATURE_DISABLED });
      const policy = num(m, 'policy');
      if (policy > 4) return ctx.reply({ retval: VNET_API_ERROR.INVALID_VALUE });
      ctx.state.cnatSnatPolicy = policy;
      ctx.reply({ retval: 0 });
    },
    cnat_snat_policy_add_del_if: (ctx, m) => {
      const sw = num(m, 'sw_if_index');
      if (!ctx.state.interfaces.has(sw)) {
        ctx.reply({ retval: VNET_API_ERROR.INVALID_SW_IF_INDEX });
        return;
      }
      const table = num(m, 'table');
      const set = ctx.state.cnatSnatInterfaces.get(table) ?? new Set<number>();
      if (num(m, 'is_add')) set.add(sw);
      else set.delete(sw);
      ctx.state.cnatSnatInterfaces.set(table, set);
      ctx.reply({ retval: 0 });
    },
    // cnat_snat_policy_add_pfx / _del_pfx: deleting an absent prefix is a no-op (0); like
    // cnat_set_snat_policy, VPP needs the SNAT entry to exist (-30 here, a crash there)
    cnat_snat_policy_add_del_exclude_pfx: (ctx, m) => {
      if (!ctx.state.cnatSnatSet) return ctx.reply({ retval: VNET_API_ERROR.FEATURE_DISABLED });
      const pfx = formatPrefix(networkOf(parsePrefix(str(m, 'prefix') || '0.0.0.0/0')));
      if (num(m, 'is_add')) ctx.state.cnatSnatExcluded.add(pfx);
      else ctx.state.cnatSnatExcluded.delete(pfx);
      ctx.reply({ retval: 0 });
    },
    // cnat_session_purge: no traffic flows through the fake, so there is nothing to purge
    cnat_session_purge: (ctx) => ctx.reply({ retval: 0 }),
  },
};

/** cnat's state (cnat_translation.c pool, cnat_snat_policy.c default entry, cnat-enabled interfaces). */
export class FakeCnatStore {
  /** `cnat_translation_pool` by index. */
  readonly translations = new Map<number, FakeCnatTranslation>();
  /** The default SNAT entry's addresses; meaningful while {@link snatSet}. */
  readonly snat = { snat_ip4: '0.0.0.0', snat_ip6: '::', sw_if_index: INDEX_INVALID };
  /** Whether the default SNAT policy entry exists (cnat_set_snat created it). */
  snatSet = false;
  readonly snatExcluded = new Set<string>();
  /** `cnat_snat_policy_add_del_if`: interfaces per policy table. */
  readonly snatInterfaces = new Map<number, Set<number>>();
  /** `cnat_set_snat_policy`, 0 (none) until set. */
  snatPolicy = 0;
  /** Interfaces with `feature_cnat_enable_disable` on. */
  readonly featureInterfaces = new Set<number>();
  readonly #ids = new IndexPool(0);
  /** Translation ids by (proto, vip, port), VPP's `cnat_find_translation` key, so update and delete are O(1). */
  readonly #byKey = new Map<string, number>();

  /**
   * `cnat_translation_update`: a translation of the same (vip, port, proto) keeps its id and gets the new
   * flags and paths; lb_type and the flow hash are set when it is created only.
   */
  translationUpdate(t: Omit<FakeCnatTranslation, 'id'>): number {
    const key = translationKey(t);
    const known = this.#byKey.get(key);
    const e = known === undefined ? undefined : this.translations.get(known);
    if (e) {
      Object.assign(e, t, { id: e.id, lb_type: e.lb_type, flow_hash_config: e.flow_hash_config });
      return e.id;
    }
    const id = this.#ids.alloc();
    this.translations.set(id, { ...t, id });
    this.#byKey.set(key, id);
    return id;
  }

  /** `cnat_translation_delete`: -6 for a free pool index. */
  translationDel(id: number): number {
    const e = this.translations.get(id);
    if (!e) return VNET_API_ERROR.NO_SUCH_ENTRY;
    this.translations.delete(id);
    const key = translationKey(e);
    if (this.#byKey.get(key) === id) this.#byKey.delete(key);
    this.#ids.release(id);
    return 0;
  }
}

/** `cnat_find_translation`'s key: IP protocol, VIP address (canonical) and VIP port. */
function translationKey(t: Pick<FakeCnatTranslation, 'ip_proto' | 'vip'>): string {
  return `${t.ip_proto}|${t.vip.addr}|${t.vip.port}`;
}
