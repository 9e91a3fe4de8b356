import type { GatewayConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import { settleWithin } from '../util/deadline.js';
import { type CheckResult, type CheckSpec } from './check.js';
import { checkBrewery } from './brewery-check.js';
import { checkConferenceMapper } from './mapper-check.js';
import { checkDrachtio, DrachtioProbe, DRACHTIO_TIMEOUT_FIX } from './drachtio-check.js';
import { checkFocus } from './focus-check.js';
import { checkFreeswitch } from './freeswitch-check.js';
import { checkMediaAddress } from './media-address-check.js';
import { checkMediaPorts } from './media-ports-check.js';
import { checkProsodyReachable, PROSODY_TIMEOUT_FIX } from './prosody-reachable.js';
import { checkRegistration } from './registrar-check.js';
import { runChecks } from './runner.js';
import { checkCallLogin, checkControlLogin } from './xmpp-login.js';
import { XmppLogin } from './xmpp-session.js';
import { checkXmppTls } from './xmpp-tls.js';

/** Bound of a check that makes one connection or request. */
export const CHECK_TIMEOUT_MS = 5000;
/** Bound of an XMPP login (SCRAM, where PLAIN is not allowed, costs seconds on a busy host). */
const LOGIN_TIMEOUT_MS = 10_000;

export interface SelfCheckOptions {
  /** Bound of each network check, ms (CHECK_TIMEOUT_MS unless a test needs less). */
  timeoutMs?: number;
}

/**
 * Tests every dependency of the configured gateway for real, at once where they are independent:
 * Prosody, TLS, the gateway and per-call logins, the brewery, the focus, drachtio-server, the
 * registrar, FreeSWITCH, the conference mapper, the media ports and address. Every connection it
 * opened is closed before it returns.
 */
export async function runSelfCheck(config: GatewayConfig, logger: Logger, opts: SelfCheckOptions = {}): Promise<CheckResult[]> {
  const t = opts.timeoutMs ?? CHECK_TIMEOUT_MS;
  const x = config.xmpp;
  const service = `${x.tls ? 'xmpps' : 'xmpp'}://${x.server}:${x.port}`;
  const control = new XmppLogin({ service, domain: x.authDomain, account: { username: x.controlUser, password: x.controlPassword }, allowPlain: x.allowPlain, logger });
  const call = new XmppLogin({
    service,
    domain: x.callLogin.domain,
    ...(x.callLogin.mode === 'password' ? { account: { username: x.callLogin.username, password: x.callLogin.password } } : {}),
    allowPlain: x.allowPlain,
    logger,
  });
  const drachtio = new DrachtioProbe(config.drachtio, logger);
  const xmppTimeout = Math.max(t, x.joinTimeoutMs);

  const specs: CheckSpec[] = [
    { name: 'prosody', timeoutMs: t, fixOnTimeout: PROSODY_TIMEOUT_FIX, run: (s) => checkProsodyReachable({ host: x.server, port: x.port }, s) },
    { name: 'xmpp-tls', needs: ['prosody'], timeoutMs: t, fixOnTimeout: 'the TLS handshake stalled: XMPP_PORT must be a direct-TLS port with XMPP_TLS=true', run: (s) => checkXmppTls(x, s) },
    { name: 'xmpp-login', needs: ['prosody'], timeoutMs: Math.max(t, LOGIN_TIMEOUT_MS), fixOnTimeout: "Prosody did not finish the login: see its log", run: (s) => checkControlLogin(x, control, s) },
    { name: 'call-login', needs: ['prosody'], timeoutMs: Math.max(t, LOGIN_TIMEOUT_MS), fixOnTimeout: "Prosody did not finish the login: see its log", run: (s) => checkCallLogin(x, call, s) },
    { name: 'brewery', needs: ['xmpp-login'], timeoutMs: xmppTimeout * 2, fixOnTimeout: "Prosody's internal MUC did not answer: see its log", run: (s) => checkBrewery(x, control, s) },
    { name: 'focus', needs: ['xmpp-login'], timeoutMs: xmppTimeout, fixOnTimeout: 'Jicofo did not answer: start it, and check XMPP_FOCUS_JID', run: (s) => checkFocus(x, control, s) },
    { name: 'drachtio', timeoutMs: t, fixOnTimeout: DRACHTIO_TIMEOUT_FIX, run: (s) => checkDrachtio(drachtio, s) },
    {
      name: 'registration',
      needs: ['drachtio'],
      // The REGISTER's own bound first (its message is the better one), then the un-REGISTER's.
      timeoutMs: t + 3000,
      fixOnTimeout: 'the registrar did not answer: check JIGASI_SIP_SERVER / JIGASI_SIP_PORT / JIGASI_SIP_TRANSPORT',
      run: (s) => checkRegistration(config.sip, drachtio, logger, t, s),
    },
    {
      name: 'freeswitch',
      // The probe has its own bound at t; this one only catches a probe that forgot it.
      timeoutMs: t + 1000,
      fixOnTimeout: 'FreeSWITCH did not answer: check FREESWITCH_HOST / FREESWITCH_PORT',
      run: () => checkFreeswitch(config.media.mode, config.freeswitch, t),
    },
    {
      name: 'conference-mapper',
      timeoutMs: t + 1000,
      fixOnTimeout: 'the conference mapper did not answer: check CONFERENCE_MAPPER_URL',
      run: () => checkConferenceMapper(config.sip.conferenceMapperUrl, builtInMapper(config), t),
    },
    {
      name: 'media-ports',
      // One bind and close per port, tens of µs each: a millisecond a port leaves room on a busy host.
      timeoutMs: t + (config.media.portMax - config.media.portMin + 1),
      fixOnTimeout: 'binding every media port once took too long: is the host overloaded?',
      run: (s) => checkMediaPorts(config.media, s),
    },
    { name: 'media-address', timeoutMs: t, fixOnTimeout: 'reading the network interfaces stalled', run: () => Promise.resolve(checkMediaAddress(config.media)) },
  ];
  try {
    return await runChecks(specs);
  } finally {
    // Bounded: a peer that stalls the goodbye must not hold the verdict.
    await settleWithin(Promise.allSettled([control.close(), call.close(), drachtio.close()]), 3000);
  }
}

/** What stands in for CONFERENCE_MAPPER_URL when it is unset: the built-in mapper, or nothing. */
function builtInMapper(config: GatewayConfig): string | undefined {
  const store = config.dialIn.store;
  if (store.kind === 'none') return undefined;
  const where = store.kind === 'sqlite' ? `sqlite in ${store.dataDir}` : `redis at ${store.url}`;
  return `CONFERENCE_MAPPER_URL is not set: PINs come from the built-in mapper (MAPPER_STORE=${store.kind}, ${where}), which the gateway starts itself`;
}
