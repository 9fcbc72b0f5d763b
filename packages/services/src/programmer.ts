import type { VppApi, VppClient } from '@vectorplane/vpp-binapi';
import { ADDRESS_AF, CNAT_TRK_INTERNAL_FLAGS, INDEX_INVALID, IP_PROTO } from './constants.js';
import { ReconcileError, TranslationProgramError } from './errors.js';
import { parseIp } from './ip.js';
import type { CnatPath, DesiredTranslation, ServiceProtocol } from './types.js';

/** The VPP client services needs: `call`, `dump`, and `vpp:up` events to notice a VPP restart. */
export type ServicesVpp = Pick<VppClient<VppApi>, 'call' | 'dump'> &
  Partial<Pick<VppClient<VppApi>, 'addEventListener' | 'removeEventListener'>>;

/** A pino-compatible logger. */
export interface ServicesLogger {
  debug(fields: Record<string, unknown>, msg?: string): void;
  info(fields: Record<string, unknown>, msg?: string): void;
  warn(fields: Record<string, unknown>, msg?: string): void;
  error(fields: Record<string, unknown>, msg?: string): void;
}

/** What one apply or reconcile sent to VPP. */
export interface ProgramStats {
  /** `cnat_translation_update` calls. */
  updates: number;
  /** `cnat_translation_del` calls. */
  deletes: number;
  /** Entries deleted and added again because VPP fixes their LB type, hash or is_real_ip at creation. */
  recreates: number;
  /** Entries found in VPP exactly as wanted and left alone (reconcile only). */
  unchanged: number;
  /** Translations that failed; they are retried. */
  failed: TranslationProgramError[];
}

/** A translation as VPP holds it, with the id VPP gave it. */
export interface ProgrammedTranslation {
  readonly id: number;
  readonly translation: DesiredTranslation;
}

const PROTO_BY_NUMBER = new Map<number, ServiceProtocol>(
  Object.entries(IP_PROTO).map(([k, v]) => [v, k as ServiceProtocol]),
);

/** A translation read back from `cnat_translation_dump`, in our terms. */
export interface DumpedTranslation {
  readonly id: number;
  readonly key: string;
  readonly vip: string;
  readonly port: number;
  readonly proto: ServiceProtocol | number;
  readonly lbType: number;
  readonly paths: readonly CnatPath[];
}

function isAny(addr: string): boolean {
  return addr === '0.0.0.0' || addr === '::';
}

/** Converts one `cnat_translation_details.translation`; undefined for interface-based VIPs (not ours). */
export function fromDetails(t: {
  vip: { addr: string; sw_if_index: number; port: number };
  id: number;
  ip_proto: number;
  lb_type: number;
  paths: { dst_ep: { addr: string; port: number }; src_ep: { addr: string; port: number }; flags: number }[];
}): DumpedTranslation | undefined {
  if (t.vip.sw_if_index !== INDEX_INVALID) return undefined;
  const vip = parseIp(t.vip.addr)?.text ?? t.vip.addr;
  const proto = PROTO_BY_NUMBER.get(t.ip_proto) ?? t.ip_proto;
  const paths = t.paths.map((p) => ({
    dst: { addr: parseIp(p.dst_ep.addr)?.text ?? p.dst_ep.addr, port: p.dst_ep.port },
    src:
      isAny(p.src_ep.addr) && p.src_ep.port === 0
        ? undefined
        : { addr: parseIp(p.src_ep.addr)?.text ?? p.src_ep.addr, port: p.src_ep.port },
    flags: p.flags & ~CNAT_TRK_INTERNAL_FLAGS,
  }));
  return { id: t.id, key: `${proto}/${vip}/${t.vip.port}`, vip, port: t.vip.port, proto, lbType: t.lb_type, paths };
}

function pathKey(p: CnatPath): string {
  return `${p.dst.addr}|${p.dst.port}|${p.src?.addr ?? ''}|${p.src?.port ?? ''}|${p.flags}`;
}

/** Whether two path lists hold the same backends (order aside: VPP keeps ours, we compare sets). */
export function samePaths(a: readonly CnatPath[], b: readonly CnatPath[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a.map(pathKey));
  return b.every((p) => set.has(pathKey(p)));
}

/**
 * What it takes to go from `have` to `want`: nothing, an update (VPP keeps the trackers of unchanged
 * backends, so their sessions are untouched), or delete-and-add — VPP sets `lb_type`,
 * `flow_hash_config` and the VIP's FIB ownership (`is_real_ip`) only when it creates a translation.
 */
export function changeNeeded(have: DesiredTranslation, want: DesiredTranslation): 'none' | 'update' | 'recreate' {
  if (have.lbType !== want.lbType || have.flowHashConfig !== want.flowHashConfig || have.isRealIp !== want.isRealIp)
    return 'recreate';
  if (have.flags !== want.flags || !samePaths(have.paths, want.paths)) return 'update';
  return 'none';
}

function endpoint(addr: string, port: number): { addr: string; sw_if_index: number; if_af: number; port: number } {
  return { addr, sw_if_index: INDEX_INVALID, if_af: addr.includes(':') ? ADDRESS_AF[6] : ADDRESS_AF[4], port };
}

/** The `cnat_translation_update` request for a translation. */
export function updateRequest(t: DesiredTranslation): { translation: Record<string, unknown> } {
  const any = t.family === 4 ? '0.0.0.0' : '::';
  return {
    translation: {
      vip: endpoint(t.vip, t.port),
      id: 0,
      ip_proto: IP_PROTO[t.proto],
      is_real_ip: t.isRealIp ? 1 : 0,
      flags: t.flags,
      lb_type: t.lbType,
      flow_hash_config: t.flowHashConfig,
      paths: t.paths.map((p) => ({
        dst_ep: endpoint(p.dst.addr, p.dst.port),
        src_ep: endpoint(p.src?.addr ?? any, p.src?.port ?? 0),
        flags: p.flags,
      })),
    },
  };
}

function retvalOf(err: unknown): number | undefined {
  const r = (err as { retval?: unknown } | null)?.retval;
  return typeof r === 'number' ? r : undefined;
}

/** Runs `fn` over `items` with at most `limit` running at once. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Options of {@link CnatProgrammer}. */
export interface CnatProgrammerInit {
  /** Requests in flight at once. Default 256. */
  concurrency?: number;
  /** Per-request time limit in ms; default: the client's. */
  timeoutMs?: number;
}

/**
 * Keeps what is programmed in VPP's cnat table and changes it by difference: `apply` for a set of
 * keys, `reconcile` against a `cnat_translation_dump`.
 */
export class CnatProgrammer {
  readonly #vpp: ServicesVpp;
  readonly #programmed = new Map<string, ProgrammedTranslation>();
  readonly #concurrency: number;
  readonly #timeoutMs: number | undefined;
  /** Every VPP call sent, by message name. */
  readonly calls: Record<string, number> = {};

  constructor(vpp: ServicesVpp, init: CnatProgrammerInit = {}) {
    this.#vpp = vpp;
    this.#concurrency = init.concurrency ?? 256;
    this.#timeoutMs = init.timeoutMs;
  }

  /** What is programmed, by key. */
  get programmed(): ReadonlyMap<string, ProgrammedTranslation> {
    return this.#programmed;
  }

  #count(name: string): void {
    this.calls[name] = (this.calls[name] ?? 0) + 1;
  }

  #opts(signal: AbortSignal | undefined): { signal?: AbortSignal; timeoutMs?: number } {
    return { ...(signal ? { signal } : {}), ...(this.#timeoutMs !== undefined ? { timeoutMs: this.#timeoutMs } : {}) };
  }

  async #update(t: DesiredTranslation, signal: AbortSignal | undefined): Promise<number> {
    this.#count('cnat_translation_update');
    try {
      const reply = await this.#vpp.call('cnat_translation_update', updateRequest(t) as never, this.#opts(signal));
      return reply.id;
    } catch (err) {
      throw new TranslationProgramError(
        { service: t.service, key: t.key, messageName: 'cnat_translation_update', retval: retvalOf(err) },
        { cause: err },
      );
    }
  }

  async #del(
    id: number,
    t: DesiredTranslation | { service: string; key: string },
    signal: AbortSignal | undefined,
  ): Promise<void> {
    this.#count('cnat_translation_del');
    try {
      await this.#vpp.call('cnat_translation_del', { id }, this.#opts(signal));
    } catch (err) {
      // already gone is what we wanted
      if (retvalOf(err) === -6 /* NO_SUCH_ENTRY */) return;
      throw new TranslationProgramError(
        { service: t.service, key: t.key, messageName: 'cnat_translation_del', retval: retvalOf(err) },
        { cause: err },
      );
    }
  }

  /** Brings one key from what is programmed to `want` (undefined: not wanted). */
  async #converge(
    key: string,
    want: DesiredTranslation | undefined,
    stats: ProgramStats,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const have = this.#programmed.get(key);
    try {
      if (!want) {
        if (!have) return;
        await this.#del(have.id, have.translation, signal);
        stats.deletes++;
        this.#programmed.delete(key);
        return;
      }
      const change = have ? changeNeeded(have.translation, want) : 'update';
      if (change === 'none') {
        // same in VPP; keep the newer object (service name may differ after a collision handover)
        this.#programmed.set(key, { id: have!.id, translation: want });
        return;
      }
      if (change === 'recreate' && have) {
        await this.#del(have.id, have.translation, signal);
        stats.deletes++;
        stats.recreates++;
        this.#programmed.delete(key);
      }
      const id = await this.#update(want, signal);
      stats.updates++;
      this.#programmed.set(key, { id, translation: want });
    } catch (err) {
      stats.failed.push(
        err instanceof Error && err.name === 'TranslationProgramError'
          ? (err as TranslationProgramError)
          : new TranslationProgramError(
              {
                service: want?.service ?? have?.translation.service ?? '?',
                key,
                messageName: 'cnat_translation_update',
              },
              { cause: err },
            ),
      );
    }
  }

  /** Programs the difference for `keys`: `desired(key)` says what each should be (undefined: nothing). */
  async apply(
    keys: Iterable<string>,
    desired: (key: string) => DesiredTranslation | undefined,
    opts: { signal?: AbortSignal } = {},
  ): Promise<ProgramStats> {
    const stats: ProgramStats = { updates: 0, deletes: 0, recreates: 0, unchanged: 0, failed: [] };
    await pool([...keys], this.#concurrency, (key) => this.#converge(key, desired(key), stats, opts.signal));
    return stats;
  }

  /** Reads VPP's cnat translations (address-based VIPs only). @throws ReconcileError */
  async dump(opts: { signal?: AbortSignal } = {}): Promise<DumpedTranslation[]> {
    this.#count('cnat_translation_dump');
    const out: DumpedTranslation[] = [];
    try {
      for await (const d of this.#vpp.dump('cnat_translation_dump', {}, this.#opts(opts.signal))) {
        const t = fromDetails(d.translation);
        if (t) out.push(t);
      }
    } catch (err) {
      throw new ReconcileError({ cause: err });
    }
    return out;
  }

  /**
   * Makes VPP hold exactly `desired`: dumps its translations, leaves those already right untouched (no
   * flap), updates those whose backends differ, deletes stale ones and adds missing ones. What is
   * programmed is rebuilt from the dump. VPP's dump does not report `flow_hash_config` or `is_real_ip`,
   * so a dumped entry is taken to have the ones last programmed (or the wanted ones, after a restart of
   * ours).
   * @throws ReconcileError when the dump fails (nothing is changed then).
   */
  async reconcile(desired: Iterable<DesiredTranslation>, opts: { signal?: AbortSignal } = {}): Promise<ProgramStats> {
    const dumped = await this.dump(opts);
    const want = new Map<string, DesiredTranslation>();
    for (const t of desired) want.set(t.key, t);
    const previous = new Map(this.#programmed);
    this.#programmed.clear();
    const stats: ProgramStats = { updates: 0, deletes: 0, recreates: 0, unchanged: 0, failed: [] };
    const stale: DumpedTranslation[] = [];
    for (const d of dumped) {
      const w = want.get(d.key);
      if (!w || this.#programmed.has(d.key)) {
        stale.push(d);
        continue;
      }
      const before = previous.get(d.key)?.translation;
      this.#programmed.set(d.key, {
        id: d.id,
        translation: {
          ...w,
          lbType: d.lbType,
          paths: d.paths,
          flowHashConfig: before && before.vip === w.vip ? before.flowHashConfig : w.flowHashConfig,
          isRealIp: before && before.vip === w.vip ? before.isRealIp : w.isRealIp,
          flags: before && before.vip === w.vip ? before.flags : w.flags,
        },
      });
    }
    await pool(stale, this.#concurrency, async (d) => {
      try {
        await this.#del(d.id, { service: '(stale)', key: d.key }, opts.signal);
        stats.deletes++;
      } catch (err) {
        stats.failed.push(err as TranslationProgramError);
      }
    });
    const keys = [...want.keys()];
    await pool(keys, this.#concurrency, async (key) => {
      const have = this.#programmed.get(key);
      if (have && changeNeeded(have.translation, want.get(key)!) === 'none') stats.unchanged++;
      await this.#converge(key, want.get(key), stats, opts.signal);
    });
    return stats;
  }

  /** Forgets what is programmed (after VPP lost it); the next reconcile adds everything. */
  forget(): void {
    this.#programmed.clear();
  }
}
