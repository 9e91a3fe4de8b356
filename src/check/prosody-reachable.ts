import { ok, problem, type CheckOutcome } from './check.js';
import { errorCode, tcpConnects, type Endpoint } from './tcp-probe.js';

/** Prosody's client port (XMPP_SERVER:XMPP_PORT) accepts a TCP connection. */
export async function checkProsodyReachable(target: Endpoint, signal: AbortSignal): Promise<CheckOutcome> {
  const where = `${target.host}:${target.port}`;
  try {
    await tcpConnects(target, signal);
    return ok(`${where} accepts connections`);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      return problem(
        `XMPP_SERVER '${target.host}' does not resolve`,
        "set XMPP_SERVER to Prosody's host name or address (docker-jitsi-meet's xmpp.meet.jitsi resolves only inside its Docker network: run the gateway on that network or use the host's address)",
      );
    }
    if (code === 'ECONNREFUSED') {
      return problem(
        `nothing accepts connections on ${where}`,
        "start Prosody, or set XMPP_SERVER / XMPP_PORT to where it listens for clients (5222; docker-jitsi-meet publishes it only inside its network unless the port is mapped)",
      );
    }
    return problem(`${where}: ${(err as Error).message}`, 'check XMPP_SERVER / XMPP_PORT and any firewall between this host and Prosody');
  }
}

export const PROSODY_TIMEOUT_FIX = 'a firewall drops the connection, or XMPP_SERVER points at a host that does not answer: check XMPP_SERVER / XMPP_PORT';
