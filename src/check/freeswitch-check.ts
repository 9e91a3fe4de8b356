import type { FreeswitchConfig, MediaMode } from '../config/types.js';
import { probeEventSocket } from '../media/freeswitch/esl-probe.js';
import { ok, problem, skipped, type CheckOutcome } from './check.js';

/**
 * In MEDIA_MODE=freeswitch: the event socket takes FREESWITCH_SECRET and the SIP profile
 * drachtio-fsmrf sends calls to is running, asked exactly as the gateway asks before each
 * connection (esl-probe.ts).
 */
export async function checkFreeswitch(mode: MediaMode, fs: FreeswitchConfig, timeoutMs: number): Promise<CheckOutcome> {
  if (mode !== 'freeswitch') return skipped(`MEDIA_MODE=${mode}: FreeSWITCH is not used`);
  const where = `${fs.host}:${fs.port}`;
  const r = await probeEventSocket(fs.host, fs.port, fs.secret, fs.profile, timeoutMs);
  if (r.ok) return ok(`event socket at ${where} accepts the password; SIP profile '${fs.profile}' is running`);
  switch (r.kind) {
    case 'unreachable':
      return problem(r.message, 'start FreeSWITCH (docker compose --profile freeswitch), or set FREESWITCH_HOST / FREESWITCH_PORT to its event socket (8021 by default)');
    case 'auth':
      return /ACL/.test(r.message)
        ? problem(`${where}: ${r.message}`, "FreeSWITCH's event socket ACL does not admit this host: add its address to FREESWITCH_ESL_ALLOW (freeswitch/conf), or FreeSWITCH's apply-inbound-acl list")
        : problem(`${where}: ${r.message}`, 'FREESWITCH_SECRET must be the event socket password (the FREESWITCH_SECRET FreeSWITCH started with from freeswitch/conf or the stock image, or event_socket.conf.xml of another configuration)');
    case 'not-ready':
      return problem(`${where}: ${r.message}`, `FREESWITCH_PROFILE must name the SIP profile drachtio-server sends calls to (drachtio_mrf in freeswitch/conf and the stock image); if the name is right, FreeSWITCH's log says why the profile did not start (port in use?)`);
    default:
      return problem(`${where}: ${r.message}`, 'FREESWITCH_HOST / FREESWITCH_PORT must point at the event socket, not the SIP port');
  }
}
