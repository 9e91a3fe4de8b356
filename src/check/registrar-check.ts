import type { SipConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import { Registrar, RegistrationError } from '../sip/registration.js';
import { srfApi } from '../sip/srf-types.js';
import { Backoff } from '../util/backoff.js';
import { ok, problem, skipped, type CheckOutcome } from './check.js';
import type { DrachtioProbe } from './drachtio-check.js';

/** Whether the gateway registers at all (the same rule as SipApp's). */
export function registers(s: SipConfig): boolean {
  return s.register && s.server !== undefined && s.server !== '' && s.uri !== undefined;
}

/**
 * Registers the account once through drachtio-server, as the gateway does (digest included), and
 * removes that binding again. It registers its own Contact (`<user>-check`), so a gateway already
 * running with this account keeps its binding.
 */
export async function checkRegistration(s: SipConfig, probe: DrachtioProbe, logger: Logger, timeoutMs: number, signal: AbortSignal): Promise<CheckOutcome> {
  if (!registers(s) || s.uri === undefined || s.server === undefined) {
    return skipped(s.server !== undefined && !s.register ? 'SIP_REGISTER=false: the trunk takes calls without registration' : 'JIGASI_SIP_SERVER is not set: no registration');
  }
  await probe.connect(signal);
  const where = `${s.server}:${s.port} over ${s.transport.toUpperCase()}`;
  const registrar = new Registrar({
    srf: srfApi(probe.connection.srf),
    connection: probe.connection,
    aor: s.uri,
    server: { host: s.server, port: s.port },
    transport: s.transport,
    password: s.password,
    contactUser: `${s.uri.replace(/^sips?:/, '').split('@')[0] ?? 'gateway'}-check`,
    expiresSeconds: s.registerExpires,
    logger,
    // One attempt: a retry would only repeat the answer already seen.
    backoff: new Backoff(3_600_000, 3_600_000),
    requestTimeoutMs: timeoutMs,
    unregisterTimeoutMs: 2000,
  });
  const outcome = new Promise<CheckOutcome>((resolve) => {
    registrar.once('registered', (expires) => resolve(ok(`${s.uri} registered at ${where} (granted ${expires} s; the test binding was removed again)`)));
    registrar.once('failed', (err) => resolve(registrationProblem(err, s, where)));
  });
  const onAbort = (): void => void registrar.stop();
  signal.addEventListener('abort', onAbort);
  registrar.start();
  try {
    return await outcome;
  } finally {
    signal.removeEventListener('abort', onAbort);
    await registrar.stop();
  }
}

function registrationProblem(err: RegistrationError, s: SipConfig, where: string): CheckOutcome {
  switch (err.kind) {
    case 'auth':
      return problem(`${where}: ${err.message}`, 'the registrar refuses the credentials: check JIGASI_SIP_URI (the account) and JIGASI_SIP_PASSWORD');
    case 'timeout':
      return problem(`${where}: ${err.message}`, `nothing answered: check JIGASI_SIP_SERVER, JIGASI_SIP_PORT (${s.port}), JIGASI_SIP_TRANSPORT (${s.transport}) and any firewall between drachtio-server and the registrar`);
    case 'transport':
      return problem(`${where}: ${err.message}`, `drachtio-server could not send the REGISTER: check JIGASI_SIP_SERVER resolves and that drachtio-server listens on ${s.transport.toUpperCase()}`);
    default:
      return problem(`${where}: ${err.message}`, "the registrar refused the registration: see its log; the account's domain is the host of JIGASI_SIP_URI");
  }
}
