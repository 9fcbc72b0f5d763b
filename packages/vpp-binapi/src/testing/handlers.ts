/**
 * The fake's request handlers, composed from its plugin modules (src/testing/plugins/). Anything known
 * to the schemas but handled by no plugin gets VPP's "unsupported" retval from the server.
 */
import { PLUGINS, composeHandlers } from './plugins/index.js';
import type { Handler } from './plugins/context.js';

export type { Handler, HandlerContext, Msg } from './plugins/context.js';

/** Handlers by request name. */
export const HANDLERS: Readonly<Record<string, Handler>> = composeHandlers(PLUGINS);
