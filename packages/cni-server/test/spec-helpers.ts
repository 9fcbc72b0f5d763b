export { canonicalIp, podKey, toPodSpec, type SpecDefaults as SpecDefaultsForTest } from '../src/spec.js';
export { normaliseAddRequest } from '../src/proto.js';
