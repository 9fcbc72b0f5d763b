import type { VppApi, VppClient } from '@vectorplane/vpp-binapi';
import type { HostConfig, HostEndpoint, IpSet, Policy, WorkloadEndpoint } from './model.js';

/** The part of a VPP client this package uses (a `connectVpp()` client fits). */
export type PolicyVpp = Pick<VppClient<VppApi>, 'call' | 'dump'>;

/** A pino-compatible logger. */
export interface PolicyLogger {
  debug(fields: Record<string, unknown>, msg?: string): void;
  info(fields: Record<string, unknown>, msg?: string): void;
  warn(fields: Record<string, unknown>, msg?: string): void;
  error(fields: Record<string, unknown>, msg?: string): void;
}

/** Which VPP feature enforces the policies. */
export type PolicyBackendKind = 'acl' | 'npol';

/** One change to the desired policy state. */
export type PolicyChange =
  | { readonly kind: 'ipset'; readonly id: string; readonly set: IpSet }
  | {
      readonly kind: 'ipset-delta';
      readonly id: string;
      readonly added: readonly string[];
      readonly removed: readonly string[];
    }
  | { readonly kind: 'ipset-remove'; readonly id: string }
  | { readonly kind: 'policy'; readonly id: string; readonly policy: Policy }
  | { readonly kind: 'policy-remove'; readonly id: string }
  | { readonly kind: 'profile'; readonly id: string; readonly profile: Policy }
  | { readonly kind: 'profile-remove'; readonly id: string }
  | { readonly kind: 'workload'; readonly id: string; readonly endpoint: WorkloadEndpoint }
  | { readonly kind: 'workload-remove'; readonly id: string }
  | { readonly kind: 'host-endpoint'; readonly id: string; readonly endpoint: HostEndpoint }
  | { readonly kind: 'host-endpoint-remove'; readonly id: string }
  | { readonly kind: 'host-config'; readonly config: HostConfig };

/** The whole desired state at once (Felix's InSync, a restart). */
export interface PolicySnapshot {
  readonly ipsets: ReadonlyMap<string, IpSet>;
  readonly policies: ReadonlyMap<string, Policy>;
  readonly profiles: ReadonlyMap<string, Policy>;
  readonly workloads: ReadonlyMap<string, WorkloadEndpoint>;
  readonly hostEndpoints: ReadonlyMap<string, HostEndpoint>;
  readonly host?: HostConfig;
}
