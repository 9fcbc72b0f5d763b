/**
 * kube-proxy for VPP: Services and EndpointSlices (from `@vectorplane/kube`) become VPP cnat
 * translations, computed and programmed incrementally — one changed endpoint is one
 * `cnat_translation_update` — reconciled with `cnat_translation_dump` at start and after a VPP restart
 * without flapping what is already right. It also sets up VPP's SNAT for Services and tells BGP which
 * Service addresses to announce.
 *
 * @example
 * ```ts
 * import { connectVpp } from '@vectorplane/vpp-binapi';
 * import { createServices } from '@vectorplane/services';
 *
 * const vpp = await connectVpp({ socket: '/run/vpp/api.sock', reconnect: true });
 * const services = createServices(
 *   { node: { name: 'node-a', addresses: ['192.168.1.10'] }, serviceCidrs: ['10.96.0.0/12'] },
 *   { vpp },
 * );
 * await services.start();
 * services.upsertService({
 *   metadata: { name: 'web', namespace: 'default' },
 *   spec: { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
 * });
 * services.upsertEndpointSlice({
 *   metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
 *   addressType: 'IPv4',
 *   endpoints: [{ addresses: ['10.244.1.5'], nodeName: 'node-a' }],
 *   ports: [{ name: 'http', port: 8080 }],
 * });
 * await services.sync(); // one cnat_translation_update: TCP 10.96.0.20:80 → 10.244.1.5:8080
 * ```
 * @packageDocumentation
 */
export {
  createServices,
  type Services,
  type ServicesComponents,
  type ServicesEvents,
  type ServicesInit,
  type ServicesSource,
  type SnatInit,
  type SourceEvent,
  type SyncResult,
  type VipEvent,
} from './services.js';
export {
  translate,
  translateService,
  parseService,
  parseEndpointSlice,
  parseHashConfig,
  translationKey,
  type ParsedService,
  type ParsedServicePort,
  type ParsedSlice,
  type ParsedEndpoint,
  type TranslateContext,
} from './translate.js';
export { ServiceChangeTracker, type TrackerChanges, type VipCollision } from './tracker.js';
export {
  CnatProgrammer,
  changeNeeded,
  fromDetails,
  samePaths,
  updateRequest,
  type CnatProgrammerInit,
  type DumpedTranslation,
  type ProgramStats,
  type ProgrammedTranslation,
  type ServicesLogger,
  type ServicesVpp,
} from './programmer.js';
export { SnatProgrammer, type SnatInterfaceRole, type SnatWanted } from './snat.js';
export { parseIp, parseCidr, type IpFamily, type ParsedIp, type ParsedCidr } from './ip.js';
export {
  InvalidEndpointSliceError,
  InvalidServiceError,
  MissingPortError,
  ReconcileError,
  ServicesConfigError,
  ServicesNotRunningError,
  SnatProgramError,
  TranslationProgramError,
} from './errors.js';
export * from './constants.js';
export type * from './types.js';
