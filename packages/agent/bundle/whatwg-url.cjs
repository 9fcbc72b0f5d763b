// The bundle's whatwg-url: Node's own URL. node-fetch v2 (under @kubernetes/client-node) takes
// `Url.URL || whatwgUrl.URL` from node:url first, so the polyfill and its tr46 tables (about 290 KB) never run.
/* global module */
'use strict';
module.exports = { URL: globalThis.URL, URLSearchParams: globalThis.URLSearchParams };
