import type { FakeFocus } from '../support/fake-focus.js';
import type { ProsodyHarness } from '../support/prosody.js';

/** The environment of a test gateway pointed at a test Prosody (with its `jigasi` user) and focus. */
export function gatewayTestEnv(prosody: ProsodyHarness, focus: FakeFocus, drachtio: { port: number; secret: string }): Record<string, string> {
  return {
    XMPP_SERVER: '127.0.0.1',
    XMPP_PORT: String(prosody.port),
    XMPP_DOMAIN: prosody.domain,
    XMPP_AUTH_DOMAIN: prosody.authDomain,
    XMPP_MUC_DOMAIN: prosody.mucDomain,
    XMPP_INTERNAL_MUC_DOMAIN: prosody.internalMucDomain,
    XMPP_FOCUS_JID: focus.jid,
    JIGASI_XMPP_PASSWORD: 'jigasi-pw',
    DRACHTIO_PORT: String(drachtio.port),
    DRACHTIO_SECRET: drachtio.secret,
    HTTP_PORT: '0',
    // The built-in conference mapper (a PIN prompt for calls without a room, a file store, a
    // listener) is switched on by the tests about it, with their own data directory.
    MAPPER_STORE: 'none',
    DIALIN_HTTP_PORT: '0',
    MEDIA_ADDRESS: '127.0.0.1',
  };
}
