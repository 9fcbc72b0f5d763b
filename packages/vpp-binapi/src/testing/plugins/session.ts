/** VPP's session layer (src/vnet/session/session_api.c) and the http_static plugin (src/plugins/http_static/http_static.c). */
import { VNET_API_ERROR } from '../constants.js';
import { type FakePlugin, num, str } from './context.js';

/** `rt_backend_engine`: 0 disable, 1 rule table, 2 none, 3 sdl. */
const RT_BACKEND_ENGINE_RULE_TABLE = 1;

export const sessionPlugin: FakePlugin = {
  name: 'session',
  source: 'src/vnet/session/session_api.c',
  handlers: {
    // vl_api_session_enable_disable_t_handler: enable uses the rule-table engine
    session_enable_disable: (ctx, m) => {
      const on = Boolean(m.is_enable);
      Object.assign(ctx.state.session, { enabled: on, rt_engine_type: on ? RT_BACKEND_ENGINE_RULE_TABLE : 0 });
      ctx.reply({ retval: 0 });
    },
    // vl_api_session_enable_disable_v2_t_handler: engine 0 disables; an unknown engine → -7
    session_enable_disable_v2: (ctx, m) => {
      const engine = num(m, 'rt_engine_type');
      if (engine > 3) return ctx.reply({ retval: VNET_API_ERROR.INVALID_VALUE });
      Object.assign(ctx.state.session, { enabled: engine !== 0, rt_engine_type: engine });
      ctx.reply({ retval: 0 });
    },
  },
};

/** `parse_uri` accepts `<proto>://<address>/<port>`. */
function validUri(uri: string): boolean {
  return /^(tcp|tls|udp|quic|http|https):\/\/[^/]+\/\d+$/.test(uri);
}

export const httpStaticPlugin: FakePlugin = {
  name: 'http_static',
  source: 'src/plugins/http_static/http_static.c',
  handlers: {
    // hss_enable_api: a uri that does not parse or a www_root shorter than one character → -7, a second
    // enable → -131 (APP_ALREADY_ATTACHED); success enables the session layer (rule table)
    http_static_enable_v5: (ctx, m) => {
      const uri = str(m, 'uri');
      const root = str(m, 'www_root');
      if (uri && !validUri(uri)) return ctx.reply({ retval: VNET_API_ERROR.INVALID_VALUE });
      if (root.length < 1) return ctx.reply({ retval: VNET_API_ERROR.INVALID_VALUE });
      if (ctx.state.httpStatic) return ctx.reply({ retval: VNET_API_ERROR.APP_ALREADY_ATTACHED });
      if (!ctx.state.session.enabled)
        Object.assign(ctx.state.session, { enabled: true, rt_engine_type: RT_BACKEND_ENGINE_RULE_TABLE });
      ctx.state.httpStatic = { www_root: root, uri: uri || 'tcp://0.0.0.0/80' };
      ctx.reply({ retval: 0 });
    },
  },
};
