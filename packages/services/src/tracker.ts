import { InvalidEndpointSliceError, InvalidServiceError } from './errors.js';
import {
  type ParsedService,
  type ParsedSlice,
  type TranslateContext,
  objectKey,
  parseEndpointSlice,
  parseService,
  translateService,
} from './translate.js';
import type { DesiredTranslation, EndpointSliceInput, ServiceInput, TranslationIssue } from './types.js';

/** What a flush found changed. */
export interface TrackerChanges {
  /** Translation keys whose wanted state may differ from before. */
  readonly keys: ReadonlySet<string>;
  /** Addresses that became announced / stopped being announced. */
  readonly announce: readonly string[];
  readonly withdraw: readonly string[];
  /** Issues newly found in the re-translated Services (warnings; errors come from `update*`). */
  readonly issues: readonly TranslationIssue[];
  /** Services re-translated. */
  readonly services: number;
}

/** A VIP wanted by more than one Service: who got it. */
export interface VipCollision {
  readonly key: string;
  readonly winner: string;
  readonly losers: readonly string[];
}

/**
 * kube-proxy's service and endpoints change trackers in one: Services and EndpointSlices go in as they
 * change (each validated; a bad one is refused and its last good version kept), the Services they touch
 * are marked, and `flush()` re-translates only those and says which translation keys moved.
 */
export class ServiceChangeTracker {
  #ctx: TranslateContext;
  readonly #services = new Map<string, ParsedService>();
  /** The last good source object of each Service, to parse again when the defaults change. */
  readonly #rawServices = new Map<string, ServiceInput>();
  readonly #slices = new Map<string, ParsedSlice>();
  readonly #slicesByService = new Map<string, Set<string>>();
  readonly #dirty = new Set<string>();
  /** Per Service: its translations by key, its announced addresses, its issue signature. */
  readonly #bySvc = new Map<
    string,
    { translations: Map<string, DesiredTranslation>; announce: readonly string[]; issues: string }
  >();
  /** Per translation key: every Service that wants it. */
  readonly #claims = new Map<string, Map<string, DesiredTranslation>>();
  readonly #announceRefs = new Map<string, number>();
  readonly #onCollision: ((c: VipCollision) => void) | undefined;

  constructor(ctx: TranslateContext, init: { onCollision?: (c: VipCollision) => void } = {}) {
    this.#ctx = ctx;
    this.#onCollision = init.onCollision;
  }

  /** Services with changes not yet flushed. */
  get pending(): number {
    return this.#dirty.size;
  }

  /** Number of Services and slices held. */
  get size(): { services: number; slices: number } {
    return { services: this.#services.size, slices: this.#slices.size };
  }

  /**
   * A Service was added or changed.
   * @returns the issues found; `error` is set (and nothing changes) when the Service is refused.
   */
  updateService(svc: ServiceInput): { issues: readonly TranslationIssue[]; error?: InvalidServiceError } {
    const { result, issues } = parseService(svc, this.#ctx);
    if (!result) {
      const ref = issues[0]?.object ?? {
        kind: 'Service' as const,
        namespace: svc.metadata?.namespace ?? '',
        name: svc.metadata?.name ?? '',
      };
      return {
        issues,
        error: new InvalidServiceError(
          ref,
          issues.filter((i) => i.severity === 'error'),
        ),
      };
    }
    this.#services.set(result.key, result);
    this.#rawServices.set(result.key, svc);
    this.#dirty.add(result.key);
    return { issues };
  }

  /** A Service was deleted. */
  deleteService(meta: { name: string; namespace?: string | null | undefined }): void {
    const key = objectKey(meta);
    this.#rawServices.delete(key);
    if (this.#services.delete(key)) this.#dirty.add(key);
  }

  /**
   * An EndpointSlice was added or changed.
   * @returns the issues found; `error` is set (and the slice's last good version kept) when it is refused.
   */
  updateSlice(slice: EndpointSliceInput): { issues: readonly TranslationIssue[]; error?: InvalidEndpointSliceError } {
    const { result, issues } = parseEndpointSlice(slice);
    const key = objectKey(slice.metadata);
    if (!result) {
      if (issues.some((i) => i.severity === 'error')) {
        return {
          issues,
          error: new InvalidEndpointSliceError(
            issues[0]!.object,
            issues.filter((i) => i.severity === 'error'),
          ),
        };
      }
      // not ours (FQDN, no service label): forget any earlier version
      this.deleteSlice(slice.metadata);
      return { issues };
    }
    const old = this.#slices.get(key);
    if (old && old.service !== result.service) this.#unlink(old);
    this.#slices.set(key, result);
    let set = this.#slicesByService.get(result.service);
    if (!set) this.#slicesByService.set(result.service, (set = new Set()));
    set.add(key);
    this.#dirty.add(result.service);
    return { issues };
  }

  /** An EndpointSlice was deleted. */
  deleteSlice(meta: { name: string; namespace?: string | null | undefined }): void {
    const key = objectKey(meta);
    const old = this.#slices.get(key);
    if (!old) return;
    this.#slices.delete(key);
    this.#unlink(old);
  }

  #unlink(old: ParsedSlice): void {
    const set = this.#slicesByService.get(old.service);
    set?.delete(old.key);
    if (set && set.size === 0) this.#slicesByService.delete(old.service);
    this.#dirty.add(old.service);
  }

  /** Changes the node or defaults; every Service is re-translated at the next flush. */
  setContext(ctx: TranslateContext): void {
    this.#ctx = ctx;
    for (const [k, raw] of this.#rawServices) {
      const { result } = parseService(raw, ctx);
      if (result) this.#services.set(k, result);
      this.#dirty.add(k);
    }
    for (const k of this.#bySvc.keys()) this.#dirty.add(k);
  }

  /** The translation VPP should hold for `key` (the collision winner's), if any. */
  desired(key: string): DesiredTranslation | undefined {
    const claims = this.#claims.get(key);
    if (!claims) return undefined;
    let best: string | undefined;
    for (const svc of claims.keys()) if (best === undefined || svc < best) best = svc;
    return best === undefined ? undefined : claims.get(best);
  }

  /** Every translation VPP should hold. */
  *allDesired(): IterableIterator<DesiredTranslation> {
    for (const key of this.#claims.keys()) {
      const d = this.desired(key);
      if (d) yield d;
    }
  }

  /** Addresses announced now. */
  announced(): string[] {
    return [...this.#announceRefs.keys()].sort();
  }

  /** Re-translates the Services marked since the last flush. */
  flush(): TrackerChanges {
    const keys = new Set<string>();
    const announce: string[] = [];
    const withdraw: string[] = [];
    const issues: TranslationIssue[] = [];
    const touched = new Set<string>();
    const services = this.#dirty.size;
    for (const svcKey of this.#dirty) {
      const svc = this.#services.get(svcKey);
      const before = this.#bySvc.get(svcKey);
      let next: Map<string, DesiredTranslation> = new Map();
      let nextAnnounce: readonly string[] = [];
      let sig = '';
      if (svc) {
        const slices: ParsedSlice[] = [];
        for (const k of this.#slicesByService.get(svcKey) ?? []) {
          const s = this.#slices.get(k);
          if (s) slices.push(s);
        }
        const t = translateService(svc, slices, this.#ctx);
        next = new Map(t.result.translations.map((x) => [x.key, x]));
        nextAnnounce = t.result.announce;
        sig = t.issues.map((i) => `${i.code}:${i.object.kind}/${i.object.name}:${i.path.join('.')}`).join('|');
        if (sig !== (before?.issues ?? '')) issues.push(...t.issues);
      }
      // translation claims
      for (const [k, t] of next) {
        let claims = this.#claims.get(k);
        if (!claims) this.#claims.set(k, (claims = new Map<string, DesiredTranslation>()));
        claims.set(svcKey, t);
        keys.add(k);
        if (claims.size > 1) touched.add(k);
      }
      if (before) {
        for (const k of before.translations.keys()) {
          if (next.has(k)) continue;
          const claims = this.#claims.get(k);
          claims?.delete(svcKey);
          if (claims && claims.size === 0) this.#claims.delete(k);
          else if (claims) touched.add(k);
          keys.add(k);
        }
      }
      // announcements, counted over Services
      const was = new Set(before?.announce ?? []);
      const now = new Set(nextAnnounce);
      for (const ip of now) {
        if (was.has(ip)) continue;
        const n = (this.#announceRefs.get(ip) ?? 0) + 1;
        this.#announceRefs.set(ip, n);
        if (n === 1) announce.push(ip);
      }
      for (const ip of was) {
        if (now.has(ip)) continue;
        const n = (this.#announceRefs.get(ip) ?? 1) - 1;
        if (n <= 0) {
          this.#announceRefs.delete(ip);
          withdraw.push(ip);
        } else this.#announceRefs.set(ip, n);
      }
      if (svc || next.size > 0) this.#bySvc.set(svcKey, { translations: next, announce: nextAnnounce, issues: sig });
      else this.#bySvc.delete(svcKey);
    }
    this.#dirty.clear();
    for (const k of touched) {
      const claims = this.#claims.get(k);
      if (!claims || claims.size < 2) continue;
      const winner = this.desired(k)!.service;
      const losers = [...claims.keys()].filter((s) => s !== winner).sort();
      this.#onCollision?.({ key: k, winner, losers });
      const d = this.desired(k)!;
      issues.push({
        code: 'VIP_COLLISION',
        severity: 'warning',
        object: {
          kind: 'Service',
          namespace: d.service.split('/')[0] ?? '',
          name: d.service.split('/')[1] ?? d.service,
        },
        path: ['spec'],
        message: `${k} is wanted by ${[winner, ...losers].join(', ')}; ${winner} has it (lowest namespace/name)`,
        value: k,
      });
    }
    return { keys, announce: announce.sort(), withdraw: withdraw.sort(), issues, services };
  }
}
