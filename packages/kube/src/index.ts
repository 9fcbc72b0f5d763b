/**
 * @packageDocumentation
 * Kubernetes and Calico resources as typed, resumable streams. Three sources share one interface:
 * the API server (through @kubernetes/client-node), a folder of manifests, and memory.
 *
 * ```ts
 * import { createMemorySource } from '@vectorplane/kube';
 * const src = createMemorySource();
 * for await (const ev of src.stream('Service', { signal })) {
 *   if (ev.type === 'added') console.log(ev.object.spec?.clusterIP);
 * }
 * ```
 */
export type { ResourceEvent, ResourceSource, ResourceStream, StreamOptions } from './types.js';
export {
  createApiServerSource,
  type ApiServerSource,
  type ApiServerSourceInit,
  type ApiServerSourceStats,
  type KubeLogger,
} from './apiserver-source.js';
export { createFolderSource, type FolderSource, type FolderSourceInit } from './folder-source.js';
export { createMemorySource, type MemorySource, type MemorySourceInit } from './memory-source.js';
export {
  KINDS,
  RESOURCE_KINDS,
  isResourceKind,
  type KindInfo,
  type Resource,
  type ResourceKind,
  type ResourceTypes,
} from './resources/kinds.js';
export { parseResource, parseAnyResource, type ParseOptions, type ParseResult } from './resources/parse.js';
export { objectKey } from './store.js';
export {
  parseLabelSelector,
  parseFieldSelector,
  labelSelectorMatcher,
  objectFilter,
  type LabelMatcher,
  type FieldMatcher,
} from './selectors.js';
export { publishNodeWireguard, type NodeWireguardInfo, type PublishNodeWireguardResult } from './node-writer.js';
export { calicoNodeInfo, CALICO_NODE_ANNOTATIONS, type CalicoNodeInfo } from './calico-node.js';
export {
  KubeError,
  KubeApiError,
  KubeConfigError,
  KubeFileError,
  KubeInvalidObjectError,
  KubeInvalidValueError,
  KubeReadOnlyError,
  KubeParseError,
  KubeSelectorError,
  KubeSourceClosedError,
  KubeUnknownKindError,
  KubeWatchError,
  type KubeErrorCode,
  type ObjectOrigin,
  type ValidationIssue,
} from './errors.js';
export * from './resources/meta.js';
export * from './resources/core.js';
export * from './resources/calico.js';
