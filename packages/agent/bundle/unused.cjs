// Stands in the bundle for modules that only @kubernetes/client-node's exec, attach, cp and port-forward use
// (tar-fs, isomorphic-ws/ws): the agent lists and watches, nothing more. Any use fails loudly with this name.
/* global module */
'use strict';
function unavailable() {
  const err = new Error(
    'not in the vectorplane bundle: @kubernetes/client-node exec/attach/cp/port-forward (tar-fs, ws) are left out',
  );
  err.name = 'BundleOmittedError';
  err.code = 'EBUNDLEOMITTED';
  throw err;
}
module.exports = new Proxy(unavailable, { get: (_t, key) => (key === '__esModule' ? false : unavailable) });
