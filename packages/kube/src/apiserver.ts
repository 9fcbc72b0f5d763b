/**
 * `@vectorplane/kube/apiserver`: the API-server source alone, for callers that load it only when they need it
 * (`await import('@vectorplane/kube/apiserver')`), so that @kubernetes/client-node is not loaded in folder or
 * memory mode. The same functions are exported from the package's root.
 * @packageDocumentation
 */
export {
  createApiServerSource,
  type ApiServerSource,
  type ApiServerSourceInit,
  type ApiServerSourceStats,
  type KubeLogger,
} from './apiserver-source.js';
export { publishNodeWireguard, type NodeWireguardInfo, type PublishNodeWireguardResult } from './node-writer.js';
