import { CNAT_POLICY_K8S, CNAT_SNAT_POLICY_F_USE_AS_DEFAULT, CNAT_SNAT_TABLE, INDEX_INVALID } from './constants.js';
import { SnatProgramError } from './errors.js';
import type { ServicesVpp } from './programmer.js';

/** The role of an interface in VPP's K8S SNAT policy (`cnat_snat_policy_table`). */
export type SnatInterfaceRole = keyof typeof CNAT_SNAT_TABLE;

/** The SNAT set-up wanted in VPP. */
export interface SnatWanted {
  /** Address SNAT rewrites IPv4 to; `'0.0.0.0'` for none. */
  ip4: string;
  /** Address SNAT rewrites IPv6 to; `'::'` for none. */
  ip6: string;
  /** Prefixes never source-NATed (normalised `addr/len`). */
  exclusions: ReadonlySet<string>;
  /** Interfaces by `swIfIndex/role`. */
  interfaces: ReadonlyMap<string, { swIfIndex: number; role: SnatInterfaceRole }>;
}

function retvalOf(err: unknown): number | undefined {
  const r = (err as { retval?: unknown } | null)?.retval;
  return typeof r === 'number' ? r : undefined;
}

/**
 * Programs VPP's source NAT for Services by difference between what is wanted and what was programmed:
 * the SNAT addresses (`cnat_set_snat_addresses_v2` for FIB 0, flagged as the default entry), policy K8S
 * (`cnat_set_snat_policy`), the prefixes never source-NATed (`cnat_snat_policy_add_del_exclude_pfx`) and
 * the interfaces registered as pod or host (`cnat_snat_policy_add_del_if`). The addresses go first: on
 * VPP 26.06 the policy, exclusions and interfaces act on the default entry that only they create.
 */
export class SnatProgrammer {
  readonly #vpp: ServicesVpp;
  readonly #count: (name: string) => void;
  #want: SnatWanted = { ip4: '0.0.0.0', ip6: '::', exclusions: new Set(), interfaces: new Map() };
  #haveAddresses: { ip4: string; ip6: string } | undefined;
  #havePolicy = false;
  readonly #haveExclusions = new Set<string>();
  readonly #haveInterfaces = new Set<string>();

  readonly #timeoutMs: number | undefined;

  constructor(vpp: ServicesVpp, count: (name: string) => void = () => {}, timeoutMs?: number) {
    this.#vpp = vpp;
    this.#count = count;
    this.#timeoutMs = timeoutMs;
  }

  #opts(signal: AbortSignal | undefined): { signal?: AbortSignal; timeoutMs?: number } {
    return { ...(signal ? { signal } : {}), ...(this.#timeoutMs !== undefined ? { timeoutMs: this.#timeoutMs } : {}) };
  }

  /** What is wanted. */
  get wanted(): SnatWanted {
    return this.#want;
  }

  /** What VPP was last told: excluded prefixes and interfaces (`swIfIndex/role`). */
  get programmed(): {
    addresses: { ip4: string; ip6: string } | undefined;
    policy: boolean;
    exclusions: string[];
    interfaces: string[];
  } {
    return {
      addresses: this.#haveAddresses,
      policy: this.#havePolicy,
      exclusions: [...this.#haveExclusions].sort(),
      interfaces: [...this.#haveInterfaces].sort(),
    };
  }

  /** Changes what is wanted (not sent until `sync`). */
  want(next: Partial<SnatWanted>): void {
    this.#want = { ...this.#want, ...next };
  }

  async #call(
    name: string,
    req: Record<string, unknown>,
    subject: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    this.#count(name);
    try {
      await this.#vpp.call(name as 'cnat_set_snat_policy', req as never, this.#opts(signal));
    } catch (err) {
      throw new SnatProgramError({ messageName: name, subject, retval: retvalOf(err) }, { cause: err });
    }
  }

  #running: Promise<unknown> = Promise.resolve();

  /**
   * Sends what differs between wanted and programmed. Failures are returned (what failed is tried again
   * at the next sync); everything else is applied. Syncs run one at a time, in call order.
   */
  sync(opts: { signal?: AbortSignal } = {}): Promise<SnatProgramError[]> {
    const run = this.#running.then(() => this.#sync(opts));
    this.#running = run.catch(() => undefined);
    return run;
  }

  async #sync(opts: { signal?: AbortSignal }): Promise<SnatProgramError[]> {
    const want = this.#want;
    const signal = opts.signal;
    const errors: SnatProgramError[] = [];
    const hasAddresses = want.ip4 !== '0.0.0.0' || want.ip6 !== '::';
    if (hasAddresses && (this.#haveAddresses?.ip4 !== want.ip4 || this.#haveAddresses.ip6 !== want.ip6)) {
      try {
        await this.#call(
          'cnat_set_snat_addresses_v2',
          {
            fwd_fib_index: 0,
            ret_fib_index: 0,
            snat_ip4: want.ip4,
            snat_ip6: want.ip6,
            sw_if_index: INDEX_INVALID,
            flags: CNAT_SNAT_POLICY_F_USE_AS_DEFAULT,
          },
          `${want.ip4} ${want.ip6}`,
          signal,
        );
        this.#haveAddresses = { ip4: want.ip4, ip6: want.ip6 };
      } catch (err) {
        errors.push(err as SnatProgramError);
        // without the default entry the rest would act on nothing (or crash VPP 26.06)
        return errors;
      }
    }
    if (!this.#haveAddresses) return errors;
    if (!this.#havePolicy) {
      try {
        await this.#call('cnat_set_snat_policy', { policy: CNAT_POLICY_K8S }, 'K8S', signal);
        this.#havePolicy = true;
      } catch (err) {
        errors.push(err as SnatProgramError);
      }
    }
    const ops: Promise<void>[] = [];
    const run = (p: Promise<void>, ok: () => void): void => {
      ops.push(p.then(ok, (e: SnatProgramError) => void errors.push(e)));
    };
    for (const p of want.exclusions) {
      if (!this.#haveExclusions.has(p)) {
        run(this.#call('cnat_snat_policy_add_del_exclude_pfx', { is_add: 1, prefix: p }, p, signal), () =>
          this.#haveExclusions.add(p),
        );
      }
    }
    for (const p of [...this.#haveExclusions]) {
      if (!want.exclusions.has(p)) {
        run(this.#call('cnat_snat_policy_add_del_exclude_pfx', { is_add: 0, prefix: p }, p, signal), () =>
          this.#haveExclusions.delete(p),
        );
      }
    }
    for (const [k, i] of want.interfaces) {
      if (!this.#haveInterfaces.has(k)) {
        run(
          this.#call(
            'cnat_snat_policy_add_del_if',
            { sw_if_index: i.swIfIndex, is_add: 1, table: CNAT_SNAT_TABLE[i.role] },
            k,
            signal,
          ),
          () => this.#haveInterfaces.add(k),
        );
      }
    }
    for (const k of [...this.#haveInterfaces]) {
      if (!want.interfaces.has(k)) {
        const [sw, role] = k.split('/') as [string, SnatInterfaceRole];
        run(
          this.#call(
            'cnat_snat_policy_add_del_if',
            { sw_if_index: Number(sw), is_add: 0, table: CNAT_SNAT_TABLE[role] },
            k,
            signal,
          ),
          () => this.#haveInterfaces.delete(k),
        );
      }
    }
    await Promise.all(ops);
    return errors;
  }

  /**
   * Whether VPP still holds our SNAT addresses (`cnat_get_snat_addresses`); false after a VPP restart,
   * when everything must be sent again.
   */
  async intact(opts: { signal?: AbortSignal } = {}): Promise<boolean> {
    const have = this.#haveAddresses;
    if (!have) return true;
    this.#count('cnat_get_snat_addresses');
    try {
      const r = await this.#vpp.call('cnat_get_snat_addresses', {}, this.#opts(opts.signal));
      return r.snat_ip4 === have.ip4 && r.snat_ip6 === have.ip6;
    } catch {
      return false;
    }
  }

  /** Forgets what was programmed (VPP lost it); the next `sync` sends everything. */
  forget(): void {
    this.#haveAddresses = undefined;
    this.#havePolicy = false;
    this.#haveExclusions.clear();
    this.#haveInterfaces.clear();
  }
}
