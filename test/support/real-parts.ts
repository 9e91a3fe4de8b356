/**
 * Which real-SIP-stack suites can run here, printing one `skipped: …` line for what cannot:
 * a real drachtio-server (DRACHTIO_BIN) and Prosody always, plus the suite's own parts, and for
 * the FreeSWITCH-mode variant a FreeSWITCH binary (FREESWITCH_BIN).
 */
import { drachtioAvailable } from './drachtio-server.js';
import { freeswitchAvailable } from './freeswitch.js';
import { prosodyAvailable } from './prosody.js';

export function realStackAvailability(suite: string, parts: ReadonlyArray<[available: boolean, name: string]> = []): { direct: boolean; freeswitch: boolean } {
  const missing = [
    ...(prosodyAvailable() ? [] : ['prosody']),
    ...(drachtioAvailable() ? [] : ['drachtio-server (set DRACHTIO_BIN)']),
    ...parts.filter(([ok]) => !ok).map(([, name]) => name),
  ];
  const direct = missing.length === 0;
  const freeswitch = direct && freeswitchAvailable();
  if (!direct) console.log(`skipped: ${suite}: ${missing.join(', ')} not available`);
  else if (!freeswitch) console.log(`skipped: ${suite} in FreeSWITCH mode: FreeSWITCH not available (set FREESWITCH_BIN)`);
  return { direct, freeswitch };
}
