/** @packageDocumentation Test helpers of @vectorplane/kube: a test Kubernetes API server and kubeconfigs for it. */
export {
  startTestApiServer,
  selfSignedCertificate,
  mergePatch,
  jsonPatch,
  type TestApiServer,
  type TestApiServerInit,
  type RequestRecord,
} from './api-server.js';
export { kubeconfigFor, writeKubeconfig, type KubeconfigOptions } from './kubeconfig.js';
export { SERVED_RESOURCES, apiVersionOf, type ServedResource } from './resources.js';
