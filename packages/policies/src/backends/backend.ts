import type { InterfaceConfig } from '../endpoints.js';
import { type PolicyIssue, PolicyVppError } from '../errors.js';
import type { IpSetMember, IpSetType, Policy } from '../model.js';
import type { PolicyBackendKind, PolicyLogger, PolicyVpp } from '../types.js';

/** What a backend reads from the programmer: the desired state (including built-ins). */
export interface BackendContext {
  readonly vpp: PolicyVpp;
  readonly logger: PolicyLogger | undefined;
  /** Counts every VPP request (stats). */
  readonly count: (message: string) => void;
  readonly issue: (i: PolicyIssue) => void;
  ipset(id: string): { readonly type: IpSetType; readonly members: ReadonlyMap<string, IpSetMember> } | undefined;
  /** A policy by key (`policy:<id>`, `profile:<id>`, `builtin:<name>`). */
  policy(key: string): Policy | undefined;
  /** Runs `fn` between batches (no backend call in flight); used to snapshot what is programmed. */
  quiesce?<T>(fn: () => Promise<T> | T): Promise<T>;
}

/** What a backend's `start()` found from a previous run (npol: the state file). */
export interface AdoptionReport {
  /** `adopted`: objects taken over; `fresh`: programmed from scratch; `disabled`: no state file configured. */
  readonly outcome: 'adopted' | 'fresh' | 'disabled';
  /** Why nothing was adopted: `missing`, `invalid`, `unclean`, `other-vpp`, `no-marker`, `vpp-restart`. */
  readonly reason?: string;
  readonly detail?: string;
  /** Objects taken over. */
  readonly ipsets: number;
  readonly rules: number;
  readonly policies: number;
  readonly interfaces: number;
}

/** One enforcement backend. Every method programs VPP at once (ACL: at `flush`). */
export interface PolicyBackend {
  readonly kind: PolicyBackendKind;
  /** Learns what VPP already holds (restart), before the first sync. */
  start(signal?: AbortSignal): Promise<void>;
  ipsetUpsert(
    id: string,
    delta: { added: IpSetMember[]; removed: IpSetMember[] } | undefined,
    signal?: AbortSignal,
  ): Promise<void>;
  ipsetRemove(id: string, signal?: AbortSignal): Promise<void>;
  policyUpsert(key: string, signal?: AbortSignal): Promise<void>;
  policyRemove(key: string, signal?: AbortSignal): Promise<void>;
  interfaceUpsert(cfg: InterfaceConfig, signal?: AbortSignal): Promise<void>;
  interfaceRemove(swIfIndex: number, signal?: AbortSignal): Promise<void>;
  /** Pushes what was deferred (ACL lists); called at the end of every batch. */
  flush(signal?: AbortSignal): Promise<void>;
  /** After the first full sync: removes what VPP held from a previous run and nobody needs. */
  finishResync(signal?: AbortSignal): Promise<void>;
  /** Forgets everything programmed (VPP restarted empty). */
  forget(): void;
  /** Whether a policy key is programmed (npol) or compiled into a list (ACL). */
  has(key: string): boolean;
  /** True from a `start()` that adopted objects until the `finishResync()` that settles them. */
  readonly adopting?: boolean;
  /** What the last `start()` adopted. */
  readonly adoption?: AdoptionReport;
  /** State files written so far (npol). */
  readonly stateWrites?: number;
  /** Persists what is pending (npol state file); called by `stop()`. */
  close?(): Promise<void>;
}

/**
 * The backends' one way to call VPP: counts the request and turns a failure into PolicyVppError naming the
 * message, VPP's retval (when VPP answered one) and the object being programmed.
 */
export function vppCaller(ctx: BackendContext) {
  return async function call<K extends Parameters<PolicyVpp['call']>[0]>(
    name: K,
    req: Parameters<PolicyVpp['call']>[1],
    object: string,
    signal?: AbortSignal,
  ) {
    ctx.count(name);
    try {
      return await ctx.vpp.call(name, req as never, signal ? { signal } : {});
    } catch (e) {
      const err = e as { name?: string; retval?: number };
      throw new PolicyVppError(name, err.name === 'VppApiError' ? err.retval : undefined, object, { cause: e });
    }
  };
}
